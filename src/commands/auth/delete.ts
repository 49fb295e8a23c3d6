import {Flags} from '@oclif/core'

import {AuthWriteCommand, authWriteFlags} from '../../cli/auth-command.js'
import {deleteAuthorization} from '../../recovery/auth-write.js'

export default class AuthDelete extends AuthWriteCommand {
  static override summary = 'Delete a token and its index entries'
  static override description = `Removes one API token from influxd.bolt (influxd stopped): its record and every raw or hashed index entry that points at it, so its value stops working. Refuses (exit 1) to delete the last active operator token of an existing, active user, unless --force. A record that cannot be decoded can be deleted too (a repair).

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: lock (exit 3 while influxd runs), verified backup <file>.influx-recover-<UTC time>.bak unless --no-backup (the only way back), one transaction, verified afterwards (undone, exit 6 on failure), an audit line with the fingerprint of the deleted token. An unknown ID exits 5 and lists the tokens.`

  static override examples = [
    {description: 'Delete a token that is no longer used', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --yes'},
    {description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 08371deae98c8000 --dry-run'},
    {description: 'Delete the last operator token anyway, backup in another directory', command: '<%= config.bin %> <%= command.id %> --id 08371db24dcc8000 --force --yes --backup-dir /var/backups'},
  ]

  static override flags = {
    id: Flags.string({char: 'i', description: 'ID of the token (as "auth list" shows it)', helpValue: 'ID', required: true}),
    force: Flags.boolean({description: 'also delete the last active operator token', default: false}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthDelete)
    this.jsonMode = flags.json
    const done = await this.runWrite({
      command: 'auth delete',
      flags,
      label: 'pre-delete',
      summary: `delete authorization ${flags.id} (its value stops working)`,
      destructive: true,
      canPrompt: true,
      apply: (tx) => deleteAuthorization(tx, {id: flags.id, force: flags.force}),
    })
    if (done === null) return
    const {path, outcome} = done
    if (outcome.dryRun) await this.printPlan(path, 'auth delete', outcome.result, flags.json)
    else await this.printRecord(outcome.result, flags.json)
  }
}
