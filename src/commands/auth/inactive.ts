import {Flags} from '@oclif/core'

import {AuthWriteCommand, authWriteFlags} from '../../cli/auth-command.js'

export default class AuthInactive extends AuthWriteCommand {
  static override summary = 'Deactivate a token (influxd refuses it until it is activated again)'
  static override description = `Sets the status of one API token in influxd.bolt to inactive (influxd stopped), with updatedAt now; its value and the token indexes stay as they are, so "auth active" undoes it. Refuses (exit 1) to deactivate the last active operator token of an existing, active user, unless --force. A token that is already inactive is left alone (nothing written, exit 0).

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: lock (exit 3 while influxd runs), verified backup <file>.influx-recover-<UTC time>.bak unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown ID exits 5 and lists the tokens.`

  static override examples = [
    {description: 'Disable a token without deleting it', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --yes'},
    {description: 'See what would change first', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 08371deae98c8000 --dry-run'},
    {description: 'Even the last operator token (you have another way in)', command: '<%= config.bin %> <%= command.id %> --id 08371db24dcc8000 --force --yes'},
  ]

  static override flags = {
    id: Flags.string({char: 'i', description: 'ID of the token (as "auth list" shows it)', helpValue: 'ID', required: true}),
    force: Flags.boolean({description: 'also deactivate the last active operator token', default: false}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthInactive)
    this.jsonMode = flags.json
    await this.changeStatus(flags, 'inactive')
  }
}
