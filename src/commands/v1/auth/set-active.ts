import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {influxdFileFlags} from '../../../cli/influxd-file.js'
import {v1RefFlags} from '../../../cli/v1-auth-command.js'
import {V1StatusCommand} from '../../../cli/v1-status.js'

export default class V1AuthSetActive extends V1StatusCommand {
  static override summary = 'Activate a v1 (InfluxQL / 1.x API) login'
  static override description = `Sets the status of one v1 login (named by --id or --username) to active, as influxd's UpdateAuthorization does: the record is written again with updatedAt now (local time), its user name index entry stays (it is put back if it is missing). influxd also needs the login's v2 user to have status "active" and a password to be set: a note says when either is missing. A login that is already active is left alone (nothing written, exit 0).

Safe write: exits 3 while influxd holds the file, a verified backup first (unless --no-backup), one transaction, verified afterwards (undone, exit 6 on failure), an audit line. No confirmation is needed. An unknown ID or user name exits 5.`

  static override examples = [
    {description: 'Enable the Grafana login again', command: '<%= config.bin %> <%= command.id %> --username grafana'},
    {description: 'By ID, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071 --json'},
  ]

  static override flags = {...influxdFileFlags, ...v1RefFlags, ...writeFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthSetActive)
    this.jsonMode = flags.json
    await this.changeStatus(flags, 'active')
  }
}
