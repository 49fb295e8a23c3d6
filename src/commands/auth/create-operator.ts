import {Flags} from '@oclif/core'

import {AuthWriteCommand, authAddFlags, storageFlags, tokenInputFlags, variantOf} from '../../cli/auth-command.js'
import {createOperator} from '../../recovery/auth-write.js'

export default class AuthCreateOperator extends AuthWriteCommand {
  static override summary = 'Create an operator token (all permissions on everything) offline, to get back into InfluxDB'
  static override description = `Writes the token "influxd recovery auth create-operator" would write, into influxd.bolt while influxd is stopped: an operator permission set of the file's schema level (36, 40 or 44 entries, in influxd's order), status active, a snowflake ID, local-time timestamps, and the token index entry. Unlike influxd's command it can keep a token value you choose (so clients need no change), choose the description, and show the new token even when it is stored hashed. Nothing else from the file is printed.

The token is stored hashed when the file already holds hashed tokens (InfluxDB 2.8+), raw otherwise; --hashed/--no-hashed decide. A chosen value must not be any other token's (raw, or by its sha256 or sha512 hash).

Safe write: exclusive lock (exit 3 while influxd runs), a verified backup <file>.influx-recover-<UTC time>.bak first (unless --no-backup), one transaction, checked and verified afterwards (undone and exit 6 on failure), one line in influx-recover.audit.jsonl beside the file (fingerprints only, never the token). Adding a token needs no confirmation. Without --username/--org on a terminal you choose from the file's users and orgs; otherwise exit 2 says what to pass. An unknown user or org exits 5 and lists the existing ones.`

  static override examples = [
    {description: 'A new random operator token for admin in org acme (influxd stopped)', command: '<%= config.bin %> <%= command.id %> --username admin --org acme'},
    {description: 'Keep the value clients already use, read from a root-only file', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --username admin --org acme --token-file /root/old-token --description "restored operator token"'},
    {description: 'Pipe the value in, store it hashed (SHA-512), output as JSON', command: 'secret-tool lookup influx operator | <%= config.bin %> <%= command.id %> --username admin --org acme --token-stdin --hashed --variant sha512 --json'},
    {description: 'Only show what would be written', command: '<%= config.bin %> <%= command.id %> --username admin --org acme --dry-run'},
  ]

  static override flags = {
    username: Flags.string({description: 'name of the user the token belongs to [default: chosen on a terminal]', helpValue: 'NAME', aliases: ['user'], exclusive: ['user-id']}),
    'user-id': Flags.string({description: 'ID of the user (instead of --username)', helpValue: 'ID', exclusive: ['username']}),
    org: Flags.string({description: 'name of the org the token belongs to [default: chosen on a terminal]', helpValue: 'NAME', exclusive: ['org-id']}),
    'org-id': Flags.string({description: 'ID of the org (instead of --org)', helpValue: 'ID', exclusive: ['org']}),
    description: Flags.string({description: 'description of the token [default: "<username>\'s Recovery Token", as influxd]', helpValue: 'TEXT'}),
    ...tokenInputFlags,
    ...storageFlags,
    ...authAddFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthCreateOperator)
    this.jsonMode = flags.json
    const token = await this.readToken(flags)
    const interactive = this.interactive(flags['token-stdin'])
    let tenants = {user: {}, org: {}}
    const done = await this.runWrite({
      command: 'auth create-operator',
      flags,
      label: 'pre-create-operator',
      summary: 'create an operator token',
      destructive: false,
      canPrompt: !flags['token-stdin'],
      prepare: async (ctx) => {
        tenants = await this.tenants(ctx, {userName: flags.username, userID: flags['user-id'], orgName: flags.org, orgID: flags['org-id']}, {userFlag: 'username', interactive})
      },
      apply: (tx) => createOperator(tx, {...tenants, description: flags.description, token, hashed: flags.hashed, variant: variantOf(flags.variant)}),
    })
    if (done === null) return
    const {path, outcome} = done
    if (outcome.dryRun) await this.printPlan(path, 'auth create-operator', outcome.result, flags.json)
    else await this.printToken(outcome.result, flags.json)
  }
}
