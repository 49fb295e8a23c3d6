import {Flags} from '@oclif/core'

import {AuthWriteCommand, authAddFlags, permissionFlags, permissionRequestOf, storageFlags, tokenInputFlags, variantOf} from '../../cli/auth-command.js'
import {UsageError} from '../../errors.js'
import {createAuthorization} from '../../recovery/auth-write.js'

export default class AuthCreate extends AuthWriteCommand {
  static override summary = 'Create an API token offline with the permission flags of "influx auth create"'
  static override description = `Writes a new token into influxd.bolt while influxd is stopped, with the permissions "influx auth create" would ask influxd for: --all-access (everything in one org), --operator (everything everywhere), --read-bucket/--write-bucket ID (repeatable; the bucket must belong to the org), and --read-TYPE/--write-TYPE for every resource type the file's schema knows (2.0: 18 types, 2.1: 20, 2.2+: 22). The permissions keep that command's order and shapes ({type, orgID}; {type: buckets, id, orgID} for one bucket; orgs and users without the org, as it sends them). --operator and --all-access cannot be combined with other permissions.

The record is what influxd writes: status active, snowflake ID, local-time timestamps, and the raw or hashed index entry (hashed when the file already holds hashed tokens, unless --hashed/--no-hashed). A chosen value (--token-stdin/--token-file) must not be any other token's. The new token is printed once. Safe write: lock (exit 3 while influxd runs), verified backup <file>.influx-recover-<UTC time>.bak unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line with fingerprints only. No confirmation is needed. Without --user/--org on a terminal you choose from the file's users and orgs; otherwise exit 2 says what to pass; unknown ones exit 5 and list the existing ones.`

  static override examples = [
    {description: 'An all-access token for admin in org acme', command: '<%= config.bin %> <%= command.id %> --org acme --user admin --all-access --description "admin all-access"'},
    {description: 'Telegraf: write one bucket, read another', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --org acme --user telegraf --write-bucket 7451ab8b9b7df592 --read-bucket 35227829a87926d7 --description telegraf'},
    {description: 'Read dashboards and tasks, keeping a value you choose, as JSON', command: '<%= config.bin %> <%= command.id %> --org acme --user grafana --read-dashboards --read-tasks --token-file ./grafana-token --json'},
  ]

  static override flags = {
    org: Flags.string({description: 'name of the org the token belongs to [default: chosen on a terminal]', helpValue: 'NAME', exclusive: ['org-id']}),
    'org-id': Flags.string({description: 'ID of the org (instead of --org)', helpValue: 'ID', exclusive: ['org']}),
    user: Flags.string({char: 'u', description: 'name of the user the token belongs to [default: chosen on a terminal]', helpValue: 'NAME', aliases: ['username'], exclusive: ['user-id']}),
    'user-id': Flags.string({description: 'ID of the user (instead of --user)', helpValue: 'ID', exclusive: ['user']}),
    description: Flags.string({char: 'd', description: 'description of the token [default: empty]', helpValue: 'TEXT'}),
    ...permissionFlags,
    ...tokenInputFlags,
    ...storageFlags,
    ...authAddFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthCreate)
    this.jsonMode = flags.json
    const permissions = permissionRequestOf(flags as unknown as Record<string, unknown>)
    if (permissions === undefined) throw new UsageError('no permissions given: a token must grant something', 'pass --all-access, --operator, --read-bucket ID, --write-bucket ID, or --read-TYPE/--write-TYPE flags (see --help)')
    const token = await this.readToken(flags)
    const interactive = this.interactive(flags['token-stdin'])
    let tenants = {user: {}, org: {}}
    const done = await this.runWrite({
      command: 'auth create',
      flags: flags as typeof flags & Record<string, unknown>,
      label: 'pre-create',
      summary: 'create a token',
      destructive: false,
      canPrompt: !flags['token-stdin'],
      prepare: async (ctx) => {
        tenants = await this.tenants(ctx, {userName: flags.user, userID: flags['user-id'], orgName: flags.org, orgID: flags['org-id']}, {userFlag: 'user', interactive})
      },
      apply: (tx) => createAuthorization(tx, {...tenants, permissions, description: flags.description, token, hashed: flags.hashed, variant: variantOf(flags.variant)}),
    })
    if (done === null) return
    const {path, outcome} = done
    if (outcome.dryRun) await this.printPlan(path, 'auth create', outcome.result, flags.json)
    else await this.printToken(outcome.result, flags.json)
  }
}
