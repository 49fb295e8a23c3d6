import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {withDataFile} from '../../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../../cli/influxd-file.js'
import {runRecordWrite} from '../../../cli/record-write.js'
import {passwordFlags, V1AuthCommand, v1Ref, v1RefFlags} from '../../../cli/v1-auth-command.js'
import {AUTH_TENANT_BUCKETS} from '../../../influxd/buckets.js'
import {precheckV1, setV1Password, verifyV1} from '../../../recovery/v1-auth.js'

export default class V1AuthSetPassword extends V1AuthCommand {
  static override summary = 'Set the password of a v1 (InfluxQL / 1.x API) login offline'
  static override description = `Sets (or replaces) the password of one v1 login, named by --id or --username, as influxd's SetPassword does: only legacy/authorizationPasswordv1[ID] changes, to a bcrypt hash (cost 10, "$2a$" as Go writes it) checked against the password before it is committed. Passwords are 8 to 72 bytes in UTF-8 ("passwords must be between 8 and 72 characters long" otherwise, exit 2).

The password never comes from the command line: --password-stdin, --password-file FILE, or typed twice at a terminal. An unknown ID or user name exits 5 listing the v1 user names. Safe write: exits 3 while influxd holds the file, a verified backup first (unless --no-backup), one transaction, verified afterwards (undone, exit 6 on failure), an audit line (never the password). --dry-run writes nothing.`

  static override examples = [
    {description: 'New password for the Grafana login, from stdin', command: 'printf \'%s\\n\' "$NEW_PASSWORD" | <%= config.bin %> <%= command.id %> --username grafana --password-stdin'},
    {description: 'By ID, typed at the prompt', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071'},
  ]

  static override flags = {
    ...influxdFileFlags,
    ...v1RefFlags,
    ...passwordFlags,
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthSetPassword)
    this.jsonMode = flags.json
    const ref = v1Ref(flags)
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const secret = await this.password(flags, {
      message: `New password for the v1 login ${flags.username ?? flags.id}`,
      precheck: () => withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => precheckV1(tx, ref))),
    }, 'pass --password-stdin and pipe the password, or --password-file FILE')
    const done = await runRecordWrite({
      command: 'v1 auth set-password',
      flags,
      label: 'pre-v1-set-password',
      summary: `set the password of the v1 login ${flags.username ?? flags.id}`,
      destructive: false,
      canPrompt: !flags['password-stdin'],
      apply: (tx) => setV1Password(tx, {ref, passwordHash: secret.hash}),
      verify: (tx, r) => verifyV1(tx, r, {password: secret.password}),
      audit: (r) => ({ids: r.ids}),
    }, (l) => this.note(l))
    if (done === null) return
    const r = done.outcome.result
    await this.printV1(done, 'v1 auth set-password', flags.json, `password of v1 authorization ${r.auth.id} ${r.password === 'changed' ? 'changed' : 'set'}`)
  }
}
