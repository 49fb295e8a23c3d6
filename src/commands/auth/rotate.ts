import {Flags} from '@oclif/core'

import {AuthWriteCommand, authWriteFlags, tokenInputFlags, variantFlag, variantOf} from '../../cli/auth-command.js'
import {rotate} from '../../recovery/auth-write.js'

export default class AuthRotate extends AuthWriteCommand {
  static override summary = 'Give an existing token a new value (same ID, permissions, user and org)'
  static override description = `Replaces the value of one API token in influxd.bolt while influxd is stopped: a new random value (or one you choose), the ID, permissions, description, user, org and status unchanged, updatedAt set to now. The old value stops working: its raw index entry is removed (influxd itself has no rotation and would leave it behind), and a hashed token gets a new hash (same variant unless --variant). Clients holding the old value must be given the new one, printed here once.

Destructive: asks for confirmation on a terminal, and needs --yes otherwise (also with --token-stdin, since stdin then carries the token). Safe write as for every write command: lock (exit 3 while influxd runs), verified backup <file>.influx-recover-<UTC time>.bak unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line with fingerprints only. An unknown ID exits 5 and lists the tokens.`

  static override examples = [
    {description: 'A new random value for a leaked token', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --yes'},
    {description: 'Set a value of your own, from a file; see the plan first', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 08371deae98c8000 --token-file ./new-token --dry-run'},
    {description: 'Rotate and capture the new value as JSON', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --yes --json > rotated.json'},
  ]

  static override flags = {
    id: Flags.string({char: 'i', description: 'ID of the token (as "auth list" shows it)', helpValue: 'ID', required: true}),
    ...tokenInputFlags,
    variant: variantFlag,
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthRotate)
    this.jsonMode = flags.json
    const token = await this.readToken(flags)
    const done = await this.runWrite({
      command: 'auth rotate',
      flags,
      label: 'pre-rotate',
      summary: `rotate the token of authorization ${flags.id} (its old value stops working)`,
      destructive: true,
      canPrompt: !flags['token-stdin'],
      apply: (tx) => rotate(tx, {id: flags.id, token, variant: variantOf(flags.variant)}),
    })
    if (done === null) return
    const {path, outcome} = done
    if (outcome.dryRun) await this.printPlan(path, 'auth rotate', outcome.result, flags.json)
    else await this.printToken(outcome.result, flags.json)
  }
}
