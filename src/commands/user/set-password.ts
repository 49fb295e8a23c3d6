import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, writeFlags} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {canAsk, chooseOne} from '../../cli/prompt.js'
import {promptPassword, readSecret} from '../../cli/secret-input.js'
import {performWrite} from '../../cli/write.js'
import {UsageError} from '../../errors.js'
import {type Column} from '../../platform/format.js'
import type {TenantRef} from '../../recovery/tenants.js'
import {userNames} from '../../recovery/tenants.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'
import {
  checkPassword, describeChanges, hashPassword, passwordProblem, precheckSetPassword, setPassword, verify,
} from '../../recovery/user-write.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID'},
  {key: 'name', header: 'Name'},
  {key: 'status', header: 'Status'},
  {key: 'password', header: 'Password'},
]

const DESCRIPTION = `Replaces (or sets a first) password of an existing user, found by --username (through userindexv1, like influxd) or by --id. Only the userspasswordv1 entry changes: a bcrypt hash, cost 10, "$2a$" as Go writes it, checked against the password before it is committed. Passwords are 8 to 72 bytes in UTF-8 ("passwords must be between 8 and 72 characters long" otherwise, exit 2).

The password never comes from the command line: pipe it with --password-stdin, name a file with --password-file, or type it twice at the prompt (on a terminal). Without --username and --id, a terminal offers the users of the file to choose from; elsewhere it exits 2 naming them. An unknown user exits 5 naming the users that exist.

Safe write: exits 3 while influxd holds the file, refuses files whose schema this tool cannot write (exit 4), takes a verified backup first (unless --no-backup), writes one transaction, checks the file afterwards and undoes the write on failure (exit 6), and appends a line to influx-recover.audit.jsonl beside the file (never the password). --dry-run writes nothing.`

export default class UserSetPassword extends BaseCommand {
  static override summary = 'Set a user\'s password in influxd.bolt while influxd is stopped'
  static override description = DESCRIPTION

  static override examples = [
    {description: 'Choose the user and type the new password at the prompts', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'New password for "admin" from stdin', command: 'printf \'%s\\n\' "$NEW_PASSWORD" | <%= config.bin %> <%= command.id %> --username admin --password-stdin --bolt-path /var/lib/influxdb2/influxd.bolt'},
    {description: 'By user ID, password from a file (mode 0600), as JSON', command: '<%= config.bin %> <%= command.id %> --id 08371db1dd8c8000 --password-file ./admin.pass --json'},
  ]

  static override flags = {
    ...influxdFileFlags,
    username: Flags.string({char: 'u', description: 'name of the user [default: chosen at a prompt on a terminal]', helpValue: 'NAME', exclusive: ['id']}),
    id: Flags.string({char: 'i', description: 'ID of the user (16 hex digits), instead of --username', helpValue: 'ID', exclusive: ['username']}),
    'password-stdin': Flags.boolean({description: 'read the new password from the first line of stdin', default: false, exclusive: ['password-file']}),
    'password-file': Flags.string({description: 'read the new password from this file (one trailing newline is ignored)', helpValue: 'FILE', exclusive: ['password-stdin']}),
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(UserSetPassword)
    this.jsonMode = flags.json
    const command = (this.id ?? 'user set-password').replace(/:/g, ' ')
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const timeoutSec = flags['lock-timeout']

    let password = await readSecret({fromStdin: flags['password-stdin'], file: flags['password-file'], what: 'password'})
    const interactive = canAsk() && !flags['password-stdin']
    if (password === undefined && !interactive) {
      throw new UsageError('no new password given (not a terminal, so cannot ask)', 'pass --password-stdin and pipe the password, or --password-file FILE')
    }

    let user: TenantRef
    if (flags.id !== undefined) user = {id: flags.id}
    else if (flags.username !== undefined) user = {name: flags.username}
    else {
      const names = await withDataFile(path, {write: false, timeoutSec, check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => userNames(tx)))
      user = {name: await chooseOne('user', names, {flag: 'username', alternatives: ['id'], interactive})}
    }

    if (password === undefined) {
      // Refuse an unknown user before asking for a password.
      const found = await withDataFile(path, {write: false, timeoutSec, check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => precheckSetPassword(tx, user)))
      password = await promptPassword({message: `New password for ${found.name}`, validate: (v) => passwordProblem(v) ?? true})
    }
    checkPassword(password)
    const passwordHash = hashPassword(password)
    const secret = password

    const outcome = await withDataFile(path, {write: true, timeoutSec, check: true, hashBefore: !flags['dry-run'] && !flags.backup}, (ctx) =>
      performWrite(
        ctx,
        {
          dryRun: flags['dry-run'],
          yes: flags.yes,
          backup: flags.backup,
          backupDir: flags['backup-dir'],
          canPrompt: !flags['password-stdin'],
          command,
          flags,
        },
        {
          label: 'pre-set-password',
          summary: `set the password of user ${user.name ?? user.id}`,
          destructive: false,
          apply: (tx) => setPassword(tx, {user, passwordHash}),
          verify: (tx, r) => verify(tx, r, {password: secret}),
          audit: (r) => ({ids: r.ids}),
        },
        (line) => this.note(line),
      ),
    )
    const r = outcome.result
    if (flags.json) {
      await this.printJson({
        file: path,
        dryRun: outcome.dryRun,
        user: r.user,
        password: r.password,
        changes: r.changes,
        txidBefore: outcome.txidBefore,
        txidAfter: outcome.txidAfter,
        backup: outcome.backup,
        auditLog: outcome.auditLog,
      })
      return
    }
    const verb = r.password === 'changed' ? 'changed' : 'set'
    await this.record(COLUMNS, {...r.user, status: r.user.status === '' ? '(empty)' : r.user.status, password: outcome.dryRun ? `would be ${verb}` : verb})
    if (outcome.dryRun) {
      await this.lines([`dry run: nothing was written to ${path}; the write would:`, ...describeChanges(r.changes).map((l) => `  ${l}`)])
      return
    }
    await this.lines([`password of user ${r.user.name} ${verb} in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
  }
}
