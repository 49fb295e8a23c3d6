import {Flags} from '@oclif/core'

import {jsonFlag, addingWriteFlags} from '../../../cli/base-command.js'
import {withDataFile} from '../../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../../cli/influxd-file.js'
import {runRecordWrite} from '../../../cli/record-write.js'
import {passwordFlags, V1AuthCommand} from '../../../cli/v1-auth-command.js'
import {AUTH_TENANT_BUCKETS} from '../../../influxd/buckets.js'
import {UsageError} from '../../../errors.js'
import {quotedName} from '../../../recovery/name-rules.js'
import type {TenantRef} from '../../../recovery/tenants.js'
import {createV1Authorization, precheckCreateV1, verifyV1} from '../../../recovery/v1-auth.js'

export default class V1AuthCreate extends V1AuthCommand {
  static override summary = 'Create a v1 (InfluxQL / 1.x API) login offline: user name, password, bucket permissions'
  static override description = `Writes what influxd's v1 authorization service writes (the "influx v1 auth create" flags), while influxd is stopped: a legacy/authorizationsv1 record (the authorization JSON of API tokens with "token" holding the v1 user name, status active, local-time timestamps, a new snowflake ID), its legacy/authorizationindexv1 entry, and the password (legacy/authorizationPasswordv1: bcrypt, cost 10, "$2a$" as Go writes it; 8 to 72 bytes in UTF-8). Clients such as Grafana's InfluxQL data source then log in with that user name and password.

Permissions are single buckets, read then write, as "influx v1 auth create" sends them: --read-bucket ID and --write-bucket ID (repeatable; at least one). Each bucket must exist (exit 5 otherwise) and belong to the org. The login acts as a v2 user: --user, by default the org's only owner (with several owners, or none, exit 2 asks for --user). User names are unique among v1 logins (exit 1 otherwise) and must not start or end with spaces or contain control characters (exit 2).

The password never comes from the command line: --password-stdin, --password-file FILE, typed twice at a terminal, or --no-password (set it later with "v1 auth set-password"). Safe write: exits 3 while influxd holds the file, refuses files whose schema this tool cannot write (exit 4), takes a verified backup first (unless --no-backup), one transaction, verified afterwards (undone, exit 6 on failure), an audit line (never the password). --dry-run shows the records it would add.`

  static override examples = [
    {description: 'A Grafana login that reads one bucket, password from a secrets manager', command: 'vault kv get -field=password secret/influx/grafana | <%= config.bin %> <%= command.id %> --username grafana --org myorg --read-bucket 7451ab8b9b7df592 --password-stdin'},
    {description: 'Telegraf (1.x output plugin) writing one bucket, password from a file, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --username telegraf --org myorg --user admin --write-bucket 7451ab8b9b7df592 --password-file ./telegraf.pass --json'},
    {description: 'Only show what would be written', command: '<%= config.bin %> <%= command.id %> --username grafana --org myorg --read-bucket 7451ab8b9b7df592 --no-password --dry-run'},
  ]

  static override flags = {
    ...influxdFileFlags,
    username: Flags.string({description: 'the v1 user name clients log in with (must not be in use by another v1 login)', helpValue: 'NAME', required: true}),
    org: Flags.string({char: 'o', description: 'name of the org whose buckets the login reaches', helpValue: 'NAME', exclusive: ['org-id']}),
    'org-id': Flags.string({description: 'ID of the org (instead of --org)', helpValue: 'ID', exclusive: ['org']}),
    user: Flags.string({char: 'u', description: 'name of the v2 user the login acts as [default: the org\'s only owner]', helpValue: 'NAME', exclusive: ['user-id']}),
    'user-id': Flags.string({description: 'ID of the v2 user (instead of --user)', helpValue: 'ID', exclusive: ['user']}),
    'read-bucket': Flags.string({description: 'grant read on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true}),
    'write-bucket': Flags.string({description: 'grant write on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true}),
    description: Flags.string({char: 'd', description: 'description of the login [default: empty]', helpValue: 'TEXT'}),
    ...passwordFlags,
    'no-password': Flags.boolean({description: 'create it without a password (it cannot log in until "v1 auth set-password")', default: false, exclusive: ['password-stdin', 'password-file']}),
    ...addingWriteFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthCreate)
    this.jsonMode = flags.json
    if (flags.org === undefined && flags['org-id'] === undefined) throw new UsageError('no org given', 'name the org with --org NAME or --org-id ID ("influx-recover org list" shows them)')
    const org: TenantRef = flags['org-id'] !== undefined ? {id: flags['org-id']} : {name: flags.org}
    const user: TenantRef | undefined = flags['user-id'] !== undefined ? {id: flags['user-id']} : flags.user !== undefined ? {name: flags.user} : undefined
    const input = {username: flags.username, org, user, readBuckets: flags['read-bucket'] ?? [], writeBuckets: flags['write-bucket'] ?? [], description: flags.description}
    const {path} = await findInfluxdFile(flags['bolt-path'])
    let secret: {password: string; hash: string} | undefined
    if (!flags['no-password']) {
      secret = await this.password(flags, {
        message: `Password for the v1 user ${flags.username}`,
        precheck: () => withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => precheckCreateV1(tx, input))),
      }, 'pass --password-stdin and pipe the password, --password-file FILE, or --no-password')
    }
    const done = await runRecordWrite({
      command: 'v1 auth create',
      flags,
      label: 'pre-v1-create',
      summary: `create the v1 login ${quotedName(flags.username)}`,
      destructive: false,
      canPrompt: !flags['password-stdin'],
      apply: (tx) => createV1Authorization(tx, {...input, passwordHash: secret?.hash}),
      verify: (tx, r) => verifyV1(tx, r, {password: secret?.password}),
      audit: (r) => ({ids: r.ids}),
    }, (l) => this.note(l))
    if (done === null) return
    await this.printV1(done, 'v1 auth create', flags.json, `created the v1 login ${quotedName(flags.username)}`)
  }
}
