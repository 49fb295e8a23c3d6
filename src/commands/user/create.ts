import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, addingWriteFlags} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {canAsk} from '../../cli/prompt.js'
import {promptPassword, readSecret} from '../../cli/secret-input.js'
import {performWrite} from '../../cli/write.js'
import {type Column} from '../../platform/format.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'
import {checkNewName} from '../../recovery/input-rules.js'
import {
  checkPassword, createUser, describeChanges, hashPassword, passwordProblem, precheckCreateUser, verify,
} from '../../recovery/user-write.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID'},
  {key: 'name', header: 'Name'},
  {key: 'status', header: 'Status'},
  {key: 'ownerOf', header: 'Owner of'},
  {key: 'password', header: 'Password'},
]

export default class UserCreate extends BaseCommand {
  static override summary = 'Create a user in influxd.bolt while influxd is stopped'
  static override description = `Writes the user exactly as influxd does: a usersv1 record {"id","name","status"} with status "active" (influxd's own "recovery user create" leaves the status empty, which the v1 API refuses), its userindexv1 entry, and optionally a password (bcrypt, cost 10, "$2a$" as Go writes it; 8 to 72 bytes in UTF-8) and an owner mapping to an organization (with its by-user index entry).

The password never comes from the command line: pipe it with --password-stdin, name a file with --password-file, or type it twice at the prompt (on a terminal). Without any of them and without a terminal, the user is created without a password (say so later with "user set-password").

Safe write: exits 3 while influxd holds the file, refuses files whose schema this tool cannot write (exit 4), takes a verified backup first (unless --no-backup), writes one transaction, checks the file afterwards and undoes the write on failure (exit 6), and appends a line to influx-recover.audit.jsonl beside the file (never the password). --dry-run shows the records and index entries it would add and writes nothing. A duplicate name exits 1; an unknown --owner-of org exits 5 naming the orgs that exist.`

  static override examples = [
    {description: 'Create an admin user owning org "myorg", password typed at the prompt', command: '<%= config.bin %> <%= command.id %> --username admin2 --owner-of myorg'},
    {description: 'Password from a secrets manager, on stdin, no questions asked', command: 'vault kv get -field=password secret/influx/admin2 | <%= config.bin %> <%= command.id %> --username admin2 --password-stdin --owner-of myorg --bolt-path /var/lib/influxdb2/influxd.bolt'},
    {description: 'Password from a file (mode 0600), as JSON', command: '<%= config.bin %> <%= command.id %> --username ops --password-file ./ops.pass --json'},
    {description: 'Only show what would be written', command: '<%= config.bin %> <%= command.id %> --username ops --password-file ./ops.pass --dry-run'},
  ]

  static override flags = {
    ...influxdFileFlags,
    username: Flags.string({char: 'u', description: 'name of the new user (exact bytes; must not exist yet; no control or bidi characters, no white space around it)', helpValue: 'NAME', required: true}),
    'password-stdin': Flags.boolean({description: 'read the password from the first line of stdin', default: false, exclusive: ['password-file']}),
    'password-file': Flags.string({description: 'read the password from this file (one trailing newline is ignored)', helpValue: 'FILE', exclusive: ['password-stdin']}),
    'owner-of': Flags.string({description: 'make the user an owner of the organization with this name [default: no organization]', helpValue: 'ORG'}),
    ...addingWriteFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(UserCreate)
    this.jsonMode = flags.json
    const name = flags.username
    checkNewName(name, 'user')
    const ownerOf = flags['owner-of']
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const timeoutSec = flags['lock-timeout']

    let password = await readSecret({fromStdin: flags['password-stdin'], file: flags['password-file'], what: 'password'})
    if (password === undefined) {
      if (canAsk()) {
        // Refuse a taken name or an unknown org before asking for a password.
        await withDataFile(path, {write: false, timeoutSec, check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => precheckCreateUser(tx, {name, ownerOf})))
        password = await promptPassword({message: `Password for ${name}`, validate: (v) => passwordProblem(v) ?? true})
      }
    }
    let passwordHash: string | undefined
    if (password !== undefined) {
      checkPassword(password)
      passwordHash = hashPassword(password)
    }

    const outcome = await withDataFile(path, {write: true, timeoutSec, check: true, hashBefore: !flags['dry-run'] && !flags.backup}, (ctx) =>
      performWrite(
        ctx,
        {
          dryRun: flags['dry-run'],
          yes: flags.yes,
          backup: flags.backup,
          backupDir: flags['backup-dir'],
          canPrompt: !flags['password-stdin'],
          command: 'user create',
          flags,
        },
        {
          label: 'pre-user-create',
          summary: `create user ${name}`,
          destructive: false,
          apply: (tx) => createUser(tx, {name, passwordHash, ownerOf}),
          verify: (tx, r) => verify(tx, r, {password}),
          audit: (r) => ({ids: r.ids}),
        },
        (line) => this.note(line),
      ),
    )
    const r = outcome.result
    if (password === undefined) {
      this.note(`note: no password given and not a terminal, so ${r.user.name} ${outcome.dryRun ? 'would be' : 'was'} created without a password; set one with "user set-password --username ${r.user.name} --password-stdin"`)
    }
    if (flags.json) {
      await this.printJson({
        file: path,
        dryRun: outcome.dryRun,
        user: r.user,
        ownerOf: r.ownerOf ?? null,
        password: r.password,
        changes: r.changes,
        txidBefore: outcome.txidBefore,
        txidAfter: outcome.txidAfter,
        backup: outcome.backup,
        auditLog: outcome.auditLog,
      })
      return
    }
    const row = {
      ...r.user,
      ownerOf: r.ownerOf ? `${r.ownerOf.name} (${r.ownerOf.id})` : '',
      password: r.password === 'none' ? 'none' : 'set',
    }
    if (outcome.dryRun) {
      await this.record(COLUMNS, row)
      await this.lines([
        `dry run: nothing was written to ${path}; the write would (with a new ID each run):`,
        ...describeChanges(r.changes).map((l) => `  ${l}`),
      ])
      return
    }
    await this.record(COLUMNS, row)
    await this.lines([`created user ${r.user.name} in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
  }
}
