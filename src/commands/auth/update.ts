import {Flags} from '@oclif/core'

import {authWriteFlags, permissionFlags, permissionRequestOf} from '../../cli/auth-command.js'
import {BaseCommand} from '../../cli/base-command.js'
import {runRecordWrite, tryApply} from '../../cli/record-write.js'
import {type Column} from '../../platform/format.js'
import {planLines} from '../../recovery/change-set.js'
import {quotedName} from '../../recovery/name-rules.js'
import {permissionDiffLines, updateAuthorization, verifyUpdate, type UpdateAuthorizationResult} from '../../recovery/auth-update.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID'}, {key: 'description', header: 'Description'}, {key: 'user', header: 'User'},
  {key: 'org', header: 'Org'}, {key: 'status', header: 'Status'}, {key: 'kind', header: 'Kind'},
]

function document(r: UpdateAuthorizationResult): Record<string, unknown> {
  const a = r.record
  return {
    id: a.id, description: a.description, status: a.status, kind: r.kindAfter, kindBefore: r.kindBefore, tokenState: r.tokenState,
    userID: a.userID ?? null, orgID: a.orgID, permissions: a.permissions,
    added: r.added, removed: r.removed, descriptionBefore: r.before.description, updatedAt: a.updatedAt,
  }
}

export default class AuthUpdate extends BaseCommand {
  static override summary = 'Change a token\'s description and/or replace its permissions, keeping its value'
  static override description = `Edits one API token in influxd.bolt while influxd is stopped: --description TEXT, and/or a whole new permission set given with the flags of "auth create" (--all-access, --operator, --read-bucket/--write-bucket ID, --read-TYPE/--write-TYPE; same validation: types the file's schema knows, buckets of the token's org). The API cannot change permissions at all; this is the edit influxd's maintainers tell users to make by hand, made safely.

Everything else stays as it is, byte for byte: the ID, the token (raw or hashed) and its index entries, the status, the user, the org, createdAt. updatedAt becomes now in local time, as influxd's own update writes it. Asking for what the token already has (the same description and permission set, in any order) writes nothing (exit 0). Narrowing the last active operator token of an active user (so that no token can administer the instance) is refused (exit 1) unless --force.

Destructive (clients may lose access): asks for confirmation on a terminal, and needs --yes otherwise. --dry-run shows the permissions removed (-) and added (+) and the record it would write. Safe write: lock (exit 3 while influxd runs), verified backup unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown ID exits 5.`

  static override examples = [
    {description: 'Let a Telegraf token write a second bucket (the whole set is given)', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --write-bucket 7451ab8b9b7df592 --write-bucket 35227829a87926d7 --yes'},
    {description: 'See the permission change first', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 08371deae98c8000 --read-buckets --read-dashboards --dry-run'},
    {description: 'Only a new description, as JSON', command: '<%= config.bin %> <%= command.id %> --id 08371deae98c8000 --description "grafana (read only)" --yes --json'},
  ]

  static override flags = {
    id: Flags.string({char: 'i', description: 'ID of the token (as "auth list" shows it)', helpValue: 'ID', required: true}),
    description: Flags.string({char: 'd', description: 'the new description [default: unchanged]', helpValue: 'TEXT'}),
    ...permissionFlags,
    force: Flags.boolean({description: 'also narrow the last active operator token', default: false}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthUpdate)
    this.jsonMode = flags.json
    const permissions = permissionRequestOf(flags as unknown as Record<string, unknown>)
    const input = {id: flags.id, description: flags.description, permissions, force: flags.force}
    let unchanged: UpdateAuthorizationResult | undefined
    const done = await runRecordWrite({
      command: 'auth update',
      flags: flags as typeof flags & Record<string, unknown>,
      label: 'pre-update',
      summary: `update authorization ${flags.id} (its clients may lose access)`,
      destructive: true,
      canPrompt: true,
      prepare: (ctx) => {
        const r = tryApply(ctx.db, (tx) => updateAuthorization(tx, input))
        if (r.changed) return true
        unchanged = r
        return false
      },
      apply: (tx) => updateAuthorization(tx, input),
      verify: verifyUpdate,
      audit: (r) => ({ids: [r.id]}),
    }, (l) => this.note(l))
    if (done === null) {
      const r = unchanged!
      if (flags.json) await this.printJson({...document(r), changed: false})
      else await this.lines([`authorization ${r.id} already has this description and these permissions: nothing was written`])
      return
    }
    const {path, outcome} = done
    const r = outcome.result
    if (flags.json) {
      await this.printJson({
        file: path, dryRun: outcome.dryRun, changed: true, ...document(r), plan: r.changes.plan,
        txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
    } else {
      await this.record(COLUMNS, {id: r.id, description: r.record.description, user: r.userName ?? r.record.userID ?? '', org: r.orgName ?? r.record.orgID, status: r.record.status, kind: r.kindBefore === r.kindAfter ? r.kindAfter : `${r.kindBefore} -> ${r.kindAfter}`})
      const diff = permissionDiffLines(r)
      const lines: string[] = []
      if (r.descriptionChanged) lines.push(`description: ${quotedName(r.before.description)} -> ${quotedName(r.record.description)}`)
      if (diff.length > 0) lines.push(`permissions (${(r.before.permissions ?? []).length} -> ${(r.record.permissions ?? []).length}):`, ...diff.map((l) => `  ${l}`))
      else if (permissions !== undefined) lines.push('permissions: unchanged (the same set)')
      if (outcome.dryRun) lines.push(`dry run: "auth update" would make these changes to ${path} (nothing was written):`, ...planLines(r.changes.plan).map((l) => `  ${l}`))
      else lines.push(`updated authorization ${r.id} in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`)
      await this.lines(lines)
    }
    for (const n of r.notes) this.note(`note: ${n}`)
  }
}

