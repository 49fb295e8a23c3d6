import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {influxdFileFlags} from '../../../cli/influxd-file.js'
import {v1RefFlags} from '../../../cli/v1-auth-command.js'
import {V1StatusCommand} from '../../../cli/v1-status.js'

export default class V1AuthSetInactive extends V1StatusCommand {
  static override summary = 'Deactivate a v1 (InfluxQL / 1.x API) login (influxd refuses it until it is active again)'
  static override description = `Sets the status of one v1 login (named by --id or --username) to inactive, as influxd's UpdateAuthorization does: the record is written again with updatedAt now (local time); the user name index entry and the password stay, so "v1 auth set-active" undoes it. A login that is already inactive is left alone (nothing written, exit 0).

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: exits 3 while influxd holds the file, a verified backup first (unless --no-backup), one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown ID or user name exits 5.`

  static override examples = [
    {description: 'Lock the Grafana login out', command: '<%= config.bin %> <%= command.id %> --username grafana --yes'},
    {description: 'See what would change first', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071 --dry-run'},
  ]

  static override flags = {...influxdFileFlags, ...v1RefFlags, ...writeFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthSetInactive)
    this.jsonMode = flags.json
    await this.changeStatus(flags, 'inactive')
  }
}
