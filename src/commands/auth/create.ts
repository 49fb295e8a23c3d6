import {Flags} from '@oclif/core'

import {AuthWriteCommand, authWriteFlags, storageFlags, tokenInputFlags, variantOf} from '../../cli/auth-command.js'
import {UsageError} from '../../errors.js'
import {createAuthorization, PERMISSION_FLAG_TYPES, type PermissionRequest} from '../../recovery/auth-write.js'

function typeHelp(type: string, action: 'read' | 'write'): string {
  const scope = type === 'orgs' || type === 'users' ? `all ${type} (influx auth create does not limit these to the org)` : `the org's ${type}`
  return `grant ${action} on ${scope}; refused when the file's schema does not know the type`
}

/** --read-<type> and --write-<type> for every token resource type (22, InfluxDB 2.2+). */
const typeFlags = Object.fromEntries(PERMISSION_FLAG_TYPES.flatMap((type) => (['read', 'write'] as const).map((action) => [
  `${action}-${type}`,
  Flags.boolean({description: typeHelp(type, action), default: false, helpGroup: 'PERMISSION'}),
]))) as Record<string, ReturnType<typeof Flags.boolean>>

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
    'all-access': Flags.boolean({description: 'grant all permissions in the org (the set "influx auth create --all-access" builds)', default: false, exclusive: ['operator']}),
    operator: Flags.boolean({description: 'grant all permissions in all orgs (an operator token)', default: false, exclusive: ['all-access']}),
    'read-bucket': Flags.string({description: 'grant read on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true, helpGroup: 'PERMISSION'}),
    'write-bucket': Flags.string({description: 'grant write on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true, helpGroup: 'PERMISSION'}),
    ...typeFlags,
    ...tokenInputFlags,
    ...storageFlags,
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthCreate)
    this.jsonMode = flags.json
    const all = flags as unknown as Record<string, unknown>
    const read = PERMISSION_FLAG_TYPES.filter((t) => all[`read-${t}`] === true)
    const write = PERMISSION_FLAG_TYPES.filter((t) => all[`write-${t}`] === true)
    const readBuckets = flags['read-bucket'] ?? []
    const writeBuckets = flags['write-bucket'] ?? []
    const custom = read.length + write.length + readBuckets.length + writeBuckets.length > 0
    let permissions: PermissionRequest
    if (flags.operator || flags['all-access']) {
      if (custom) throw new UsageError(`cannot compose other permissions with ${flags.operator ? 'operator' : 'all access'} permissions`, 'give either --operator, --all-access, or individual permission flags')
      permissions = {kind: flags.operator ? 'operator' : 'all-access'}
    } else {
      if (!custom) throw new UsageError('no permissions given: a token must grant something', 'pass --all-access, --operator, --read-bucket ID, --write-bucket ID, or --read-TYPE/--write-TYPE flags (see --help)')
      permissions = {kind: 'custom', readBuckets, writeBuckets, read, write}
    }
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
