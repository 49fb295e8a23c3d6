import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, writeFlags} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {performWrite} from '../../cli/write.js'
import {identityFlag, readInputFile} from '../../cli/encryption.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {outputWidth} from '../../cli/terminal.js'
import {renderTable} from '../../platform/format.js'
import {assertWritableSchema} from '../../recovery/auth-write.js'
import {readTokenInput} from '../../recovery/export-reader.js'
import {applyRestore, planRestore, verifyRestore, type RestorePlan} from '../../recovery/restore-plaintext.js'

export default class AuthRestorePlaintext extends BaseCommand {
  static override summary = 'Store exported tokens raw again, for influxd ≤ 2.7 (run before installing it)'
  static override description = `The downgrade helper: influxd ≤ 2.7 cannot use hashed tokens. When: influxd stopped, after "influxd downgrade" (run with the 2.9 binary: it changes the schema but leaves the tokens hashed) and before installing and starting influxd ≤ 2.7, as in the README's runbook 5. It also works earlier, on the 2.9 file before "influxd downgrade"; either way never start 2.9 on the file again (it would hash the tokens again). Run after ≤ 2.7 has started, it still works, but until then every token fails.

For each token in EXPORT (written by "auth export" or "auth rescue": JSON, YAML, CSV, env lines INFLUX_TOKEN_<ID>=…, or any text holding 88-character tokens) whose hash matches a hashed record (an age-encrypted EXPORT is decrypted in memory with --identity KEYFILE; without it, exit 2), the record is stored raw again exactly as 2.7 had it ("token" right after "id", "hashedToken" removed, every other byte unchanged), the raw index entry is added and the hashed index entry removed. Entries whose token does not match their record's hash are refused and listed.

Complete or nothing: every record still stored hashed that EXPORT does not restore is listed, and unless --allow-partial nothing is written and the command exits 5 naming them (below 2.8 a token left hashed cannot be used). With --allow-partial the others are restored; exit 1 when nothing matched at all. An EXPORT that cannot be read as its format (an unclosed quote, a wrong number of CSV fields, bytes that are not UTF-8) exits 1 naming the line or entry.

This puts plaintext tokens back into the file: anyone who can read it can use them. It asks for confirmation on a terminal and needs --yes otherwise. Safe write as for every write command: lock, verified backup unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), --dry-run to check only.`

  static override examples = [
    {description: 'Check first, then restore', command: '<%= config.bin %> <%= command.id %> --from tokens.yaml --dry-run'},
    {description: 'Restore without a prompt', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --from tokens.json --yes'},
    {description: 'From an encrypted export (auth export --recipient, or the guard\'s)', command: '<%= config.bin %> <%= command.id %> --from /var/lib/influx-recover/exports/20260101T120000Z-131.yaml.age --identity key.txt --yes'},
  ]

  static override flags = {
    from: Flags.string({description: 'the export file holding the tokens', helpValue: 'EXPORT', required: true}),
    identity: identityFlag,
    'allow-partial': Flags.boolean({description: 'restore what EXPORT covers even when some hashed records are not in it (they stay hashed)', default: false}),
    ...influxdFileFlags,
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthRestorePlaintext)
    this.jsonMode = flags.json
    // an age file is decrypted in memory only: its plaintext never touches the disk
    const {bytes} = await readInputFile(flags.from, flags.identity, 'export file')
    let read: ReturnType<typeof readTokenInput>
    try {
      read = readTokenInput(bytes)
    } catch (err) {
      if (err instanceof RecoverError) throw new RecoverError(`cannot read ${flags.from}: ${err.message}; nothing was written`, err.exitCode)
      throw err
    }
    const {format, entries} = read
    if (entries.length === 0) throw new RecoverError(`${flags.from} holds no tokens (read as ${format})`, ExitCode.ERROR)
    const {path} = await findInfluxdFile(flags['bolt-path'])
    let plan: RestorePlan | undefined
    const outcome = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true, hashBefore: !flags['dry-run'] && !flags.backup}, async (ctx) => {
      // the schema gate of every other token write: exit 4 on a file influxd would refuse (e.g. migration 21
      // recorded without its bucket) or one of an unknown or unfinished schema
      plan = ctx.db.view((tx) => {
        assertWritableSchema(tx)
        return planRestore(tx, entries)
      })
      if (plan.restore.length === 0) return null
      if (plan.uncovered.length > 0 && !flags['allow-partial']) return null
      const n = plan.restore.length
      return performWrite(
        ctx,
        {
          dryRun: flags['dry-run'], yes: flags.yes, backup: flags.backup, backupDir: flags['backup-dir'], canPrompt: true,
          command: 'auth restore-plaintext', flags: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== false)),
        },
        {
          label: 'pre-restore-plaintext',
          summary: `store ${n} token${n === 1 ? '' : 's'} as plaintext again (the file will hold usable plaintext tokens)`,
          destructive: true,
          apply: (tx) => applyRestore(tx, plan!),
          verify: verifyRestore,
          audit: (r) => ({ids: r.restored.map((x) => x.id), tokenFingerprints: r.restored.map((x) => x.fingerprint)}),
        },
        (line) => this.note(line),
      )
    })
    const p = plan!
    const incomplete = p.uncovered.length > 0 && !flags['allow-partial']
    const restoredRows = (outcome?.result.restored ?? []).map((r) => ({...r, fingerprint: `sha256:${r.fingerprint.slice(0, 16)}`, from: `hashed (${r.variant})`}))
    // refused for incompleteness: what a run with --allow-partial would restore
    const restorableRows = incomplete ? p.restore.map(({token: _t, ...r}) => ({...r, fingerprint: `sha256:${r.fingerprint.slice(0, 16)}`, from: `hashed (${r.variant})`})) : []
    const refusedRows = p.refused.map((r) => ({...r, id: r.id ?? '', fingerprint: `sha256:${r.fingerprint.slice(0, 16)}`}))
    const dryRun = outcome?.dryRun ?? false
    const restoredColumns = [{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'from', header: 'Was'}, {key: 'fingerprint', header: 'Fingerprint'}]
    const table = (columns: Parameters<typeof renderTable>[0], rows: Parameters<typeof renderTable>[1]): string[] => renderTable(columns, rows, {maxWidth: outputWidth()}).trimEnd().split('\n')
    if (flags.json) {
      await this.printJson({
        file: path, from: flags.from, format, dryRun, complete: p.uncovered.length === 0, written: outcome !== null && !dryRun, backup: outcome?.backup ?? null,
        restored: restoredRows.map(({hashedToken: _h, ...r}) => r), ...(incomplete ? {restorable: restorableRows.map(({hashedToken: _h, ...r}) => r)} : {}),
        alreadyRaw: p.alreadyRaw, refused: refusedRows, uncovered: p.uncovered,
      })
    } else {
      const lines: string[] = []
      if (restoredRows.length > 0) {
        lines.push(dryRun ? `dry run: would store ${restoredRows.length} token(s) raw again in ${path} (nothing was written):` : `stored ${restoredRows.length} token(s) raw again in ${path}:`)
        lines.push(...table(restoredColumns, restoredRows))
      }
      if (restorableRows.length > 0) {
        lines.push(`${flags.from} holds ${restorableRows.length} token(s) that could be stored raw again (nothing was written):`)
        lines.push(...table(restoredColumns, restorableRows))
      }
      if (p.alreadyRaw.length > 0) lines.push(`already stored raw: ${p.alreadyRaw.map((a) => a.id).join(', ')}`)
      if (refusedRows.length > 0) {
        lines.push(`refused ${refusedRows.length} entr${refusedRows.length === 1 ? 'y' : 'ies'}:`)
        lines.push(...table([{key: 'where', header: 'Entry'}, {key: 'id', header: 'ID', minWidth: 16}, {key: 'fingerprint', header: 'Fingerprint'}, {key: 'reason', header: 'Reason'}], refusedRows))
      }
      if (p.uncovered.length > 0) {
        lines.push(`${p.uncovered.length} hashed token(s) not covered by ${flags.from}${flags['allow-partial'] ? ' (they stay hashed: --allow-partial)' : ''}:`)
        lines.push(...table([{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'reason', header: 'Why'}], p.uncovered))
      }
      await this.lines(lines)
    }
    if (outcome !== null && !dryRun) {
      this.note(`note: ${path} holds these tokens in plaintext again; anyone who can read it can use them (influxd 2.9 hashes them again on its next start)`)
    }
    if (incomplete) {
      const ids = p.uncovered.map((u) => u.id)
      const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ')
      throw new RecoverError(
        `${ids.length} hashed token(s) in ${path} are not covered by ${flags.from}: ${shown}; nothing was written`,
        ExitCode.NOT_FOUND,
        'add their plaintext to the export (e.g. from "auth rescue"), or pass --allow-partial to restore the others and leave these hashed (unusable below 2.8)',
      )
    }
    if (p.restore.length === 0 && p.alreadyRaw.length === 0) {
      throw new RecoverError(`no token in ${flags.from} matches a hashed authorization in ${path}: nothing was written`, ExitCode.ERROR)
    }
  }
}
