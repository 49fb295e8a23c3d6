import {Flags} from '@oclif/core'

import {AuthWriteCommand, authWriteFlags} from '../../cli/auth-command.js'

export default class AuthActive extends AuthWriteCommand {
  static override summary = 'Activate a token again'
  static override description = `Sets the status of one API token in influxd.bolt to active (influxd stopped), with updatedAt now; its value and the token indexes stay as they are. A token that is already active is left alone (nothing written, exit 0). Not destructive: no confirmation. Safe write: lock (exit 3 while influxd runs), verified backup <file>.influx-recover-<UTC time>.bak unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown ID exits 5 and lists the tokens.`

  static override examples = [
    {description: 'Enable a token that was deactivated', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000'},
    {description: 'On a given file, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 08371deae98c8000 --json'},
  ]

  static override flags = {
    id: Flags.string({char: 'i', description: 'ID of the token (as "auth list" shows it)', helpValue: 'ID', required: true}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthActive)
    this.jsonMode = flags.json
    await this.changeStatus(flags, 'active')
  }
}
