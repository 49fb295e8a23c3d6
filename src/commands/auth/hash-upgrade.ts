import {createInterface} from 'node:readline/promises'

import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, writeFlags} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {canAsk} from '../../cli/prompt.js'
import {startExportThread} from '../../cli/export-thread.js'
import {crashPoint, phase} from '../../cli/test-hooks.js'
import {progressBar} from '../../cli/progress.js'
import {performWrite, prepareAudit} from '../../cli/write.js'
import {ExitCode, RecoverError, UsageError} from '../../errors.js'
import {HASH_VARIANTS, type HashVariant} from '../../influxd/hashing.js'
import {plaintextCopies} from '../../recovery/doctor.js'
import {addToExport, EXPORT_FORMATS, exportedTokensDigest, exportSealed, exportToFile, openExportFile, settleProven, type ExportDocument, type ExportFormat} from '../../recovery/export.js'
import {encryptFlags, seal, sealedNote, sealingFromFlags} from '../../cli/encryption.js'
import {applyHashUpgrade, findPlaintext, planHashUpgrade, scrub, verifyHashUpgrade, type HashUpgradeResult, type ScrubReport} from '../../recovery/hash-upgrade.js'
import {authRow} from '../../recovery/list.js'
import {escapeControls} from '../../platform/format.js'
import {onInterrupt} from '../../platform/interrupt.js'
import type {SideFile} from '../../platform/side-file.js'
import {readTenants} from '../../recovery/read-model.js'

const TYPED_CONFIRMATION = 'hash without export'

async function ask(question: string): Promise<string> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    return (await rl.question(escapeControls(question))).trim()
  } finally {
    rl.close()
  }
}

export default class AuthHashUpgrade extends BaseCommand {
  static override summary = 'Hash every raw token exactly as InfluxDB 2.9 does, after exporting them, and scrub the plaintext from the file'
  static override description = `The offline form of what InfluxDB 2.9 does at its first start, made safe: (1) every raw token is exported to a new file (as "auth export": mode 0600, never overwritten, read back and checked; encrypted with --recipient/--recipients-file [--armor]) before anything is written, unless --skip-export; (2) in one transaction every raw v2 token becomes exactly what 2.9 writes: "token" removed, "hashedToken" inserted after "id", every other byte unchanged (timestamps included), raw index entry deleted, hashed index entry added; a record holding both fields loses its plaintext too (2.9 would keep it), legacy v1 authorizations are not touched; (3) unless --no-scrub, both meta pages are made to point at the new tree and every unused page and the file's tail are overwritten with zeros, then the whole file is searched for every token that was raw: if any is still there the command fails (exit 6); (4) it says what still holds plaintext: its own backup (unless --no-backup) and any upgrade/downgrade backups beside the database.

The file must have the hashed token index (schema 2.8+). An older file is refused (exit 4): InfluxDB 2.7 and older cannot use hashed tokens. --create-hashed-index creates that bucket only (never a migration record) for files that will be opened by 2.8+ only.

Confirmation: on a terminal a y/N prompt (with --skip-export the phrase "${TYPED_CONFIRMATION}" must be typed); otherwise --yes is required. --dry-run runs the conversion in a rolled-back transaction and writes nothing, not even the export. Safe write as for every write command: lock (exit 3 while influxd runs), verified backup unless --no-backup, verification after the commit (undone, exit 6 on failure), an audit line with fingerprints only. Nothing to hash: says so, exit 0, no backup.`

  static override examples = [
    {description: 'Before upgrading to 2.9: export, hash, scrub', command: '<%= config.bin %> <%= command.id %> --export /root/influx-tokens.yaml --yes'},
    {description: 'No backup copy with plaintext left behind', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --export tokens.json --export-format json --no-backup --yes'},
    {description: 'The export encrypted to your age key', command: '<%= config.bin %> <%= command.id %> --export tokens.yaml.age --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --yes'},
  ]

  static override flags = {
    ...influxdFileFlags,
    export: Flags.string({description: 'export every raw token to this new file first (as "auth export")', helpValue: 'FILE', exclusive: ['skip-export']}),
    'export-format': Flags.option({options: EXPORT_FORMATS, default: 'yaml' as const, description: 'format of the export file'})(),
    'skip-export': Flags.boolean({description: 'hash without exporting: the plaintext of every token is then gone for good', default: false, exclusive: ['export']}),
    ...encryptFlags,
    variant: Flags.option({options: HASH_VARIANTS, default: 'sha256' as const, description: 'hash variant (influxd 2.9 writes sha256)'})(),
    scrub: Flags.boolean({description: 'zero the unused pages and check the file for plaintext afterwards; --no-scrub leaves the old bytes (run "auth scrub" later)', default: true, allowNo: true}),
    'create-hashed-index': Flags.boolean({description: 'create the authorizationhashedindexv1 bucket on a file that lacks it (no migration record is written)', default: false}),
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthHashUpgrade)
    this.jsonMode = flags.json
    if (flags.export === undefined && !flags['skip-export']) throw new UsageError('say where the tokens go first: --export FILE, or --skip-export to hash without keeping them')
    if (flags.export === undefined && ((flags.recipient ?? []).length > 0 || (flags['recipients-file'] ?? []).length > 0 || flags.armor)) throw new UsageError('--recipient, --recipients-file and --armor encrypt the --export file: give --export FILE')
    // recipients checked before anything is read or written
    const sealing = await sealingFromFlags(flags)
    const variant = flags.variant as HashVariant
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const format = flags['export-format'] as ExportFormat
    const done = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true, hashBefore: !flags['dry-run'] && !flags.backup}, async (ctx) => {
      const {db} = ctx
      const exporting = flags.export !== undefined && !flags['dry-run']
      // A plain export is read, rendered, written and checked on a second
      // thread, beside the plan and the building of the write (it writes
      // nothing until handed the file below); without a thread, and for an
      // encrypted one, it is built here from the plan's own decoding.
      const thread = exporting && sealing === undefined ? startExportThread({dataFd: ctx.lock.fd, dataPath: path, txid: db.meta().txid, format, variant}) : undefined
      /** the export file while the thread writes and checks it (discarded unless it passes) */
      let exportFile: SideFile | undefined
      try {
        let exportDoc: ExportDocument | undefined = exporting && thread === undefined ? {variant, exported: [], notExportable: []} : undefined
        // One read pass: every refusal is found and every new record computed
        // before anything (the export included) is written; an export made
        // here is built from the same decoding.
        const plan = db.view((tx) => {
          const tenants = exportDoc === undefined ? undefined : readTenants(tx)
          return planHashUpgrade(tx, {
            variant,
            createHashedIndex: flags['create-hashed-index'],
            ...(exportDoc !== undefined ? {onRecord: (d, hashed) => addToExport(exportDoc!, authRow(d, tenants!), hashed)} : {}),
          })
        })
        phase('plan')
        const pending = plan.records.length
        if (pending === 0) return null
        // checked before anything (the export included) is written
        const auditLog = prepareAudit(ctx, {dryRun: flags['dry-run'], command: 'auth hash-upgrade'})
        ctx.onClose(() => auditLog?.close())
        let confirmed = flags.yes
        if (!flags['dry-run'] && !confirmed) {
          if (!canAsk()) {
            throw new UsageError(`refusing to hash ${pending} token(s) without confirmation`, flags['skip-export'] ? 'pass --yes (their plaintext is then gone for good), or --export FILE to keep them' : 'pass --yes to confirm, or --dry-run to only check the change')
          }
          if (flags['skip-export']) {
            const a = await ask(`hash ${pending} token(s) in ${path} WITHOUT an export: their plaintext will be gone for good. Type "${TYPED_CONFIRMATION}" to go on: `)
            if (a !== TYPED_CONFIRMATION) throw new RecoverError('cancelled, nothing was written', ExitCode.ERROR)
          } else if (!/^y(es)?$/i.test(await ask(`export ${pending} token(s) to ${flags.export}, then hash them in ${path}? [y/N] `))) {
            throw new RecoverError('cancelled, nothing was written', ExitCode.ERROR)
          }
          confirmed = true
        }
        let exported: string | null = null
        /** the thread's export: written and checked while the write is built, proven before the commit */
        let ready: (() => Promise<void>) | undefined
        if (thread !== undefined) {
          // the thread read the same state (its txid was checked): its tokens must be the plan's, in order
          const tokens = await thread.tokens
          if (tokens.count !== pending || tokens.digest !== exportedTokensDigest(plan.records)) {
            throw new RecoverError(`the export thread read ${tokens.count} token(s) that are not the ${pending} of the plan; nothing was written`, ExitCode.VERIFY_FAILED)
          }
          const file = openExportFile(flags.export!)
          exportFile = file
          // interrupted before it is proven: an export not known to be whole is not left behind
          const stopInterrupt = onInterrupt(() => {
            file.discard()
            return `the unfinished export ${file.path} was removed`
          })
          const checked = thread.write(file)
          checked.catch(() => undefined) // awaited by ready()
          ready = async () => {
            let problems: string[]
            try {
              problems = await checked
            } catch (err) {
              file.discard() // the thread could not write it whole
              throw err
            } finally {
              exportFile = undefined // settled below: closed when proven, discarded otherwise
              stopInterrupt()
            }
            settleProven(file, problems)
            exported = file.path
            bar.finish() // the transaction is built: its progress is done
            this.note(`exported ${tokens.count} token(s) to ${exported} (mode 0600, checked against the database)`)
            crashPoint('after-export')
            phase('export')
          }
        } else if (exportDoc !== undefined) {
          // read back and compared with the document read above: nothing can
          // have changed the file since, the exclusive lock is held throughout
          const doc = exportDoc
          const res = sealing !== undefined ? await exportSealed(flags.export!, format, doc, () => doc, (text) => seal(text, sealing)) : exportToFile(flags.export!, format, doc, () => doc)
          exported = res.path
          exportDoc = undefined // only the tokens are needed from here on
          this.note(`exported ${res.doc.exported.length} token(s) to ${exported} (mode 0600, checked against the database${sealedNote(sealing)})`)
          crashPoint('after-export')
          phase('export')
        }
        const auditFlags = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== false))
        const bar = progressBar('hashing tokens', {json: flags.json || pending <= 1000 || flags['dry-run']})
        const exportNote = (): void => {
          if (exported !== null) this.note(`note: the export ${exported} was made before the write; it still holds the current plaintext of every token`)
        }
        const scanBar = progressBar('searching the whole file for plaintext', {json: flags.json})
        const scanProgress = (d: number, t: number): void => scanBar.update(d, t)
        let scrubbed = null as ScrubReport | null
        let remaining = 0
        // the search looks for r.secrets: every plan token (the export's tokens are the
        // plan's, from the same decoding or checked by digest) and every stale raw index key
        // with --scrub, the scrub and the search belong to the write: its audit
        // line follows them, so its "after" is the file as they left it
        const finish = flags.scrub
          ? {
              change: (): void => {
                bar.finish()
                crashPoint('after-commit')
                try {
                  scrubbed = scrub(db, (step) => crashPoint(`scrub-${step}`))
                  phase('scrub')
                } catch (err) {
                  throw new RecoverError(
                    `the tokens are hashed (txid ${db.meta().txid}, verified) but scrubbing the unused pages failed: ${(err as Error).message}; their plaintext may still be readable in ${path}`,
                    ExitCode.VERIFY_FAILED,
                    'run "influx-recover auth scrub" on the file once the cause is fixed',
                  )
                }
              },
              read: (r: HashUpgradeResult): void => {
                const hits = findPlaintext(ctx.lock.fd, r.secrets, scanProgress)
                phase('search')
                scanBar.finish()
                if (hits.length > 0) {
                  throw new RecoverError(
                    `the tokens are hashed (txid ${db.meta().txid}) but the plaintext of ${hits.length} token(s) is STILL in ${path} (first at byte offset ${hits[0]!.offset}) after zeroing ${scrubbed!.pagesZeroed} unused page(s)`,
                    ExitCode.VERIFY_FAILED,
                    'do not hand this file on: compact it into a new one ("influx-recover bolt compact") and check it with "influx-recover doctor"',
                  )
                }
              },
            }
          : undefined
        const outcome = await performWrite(
          ctx,
          {
            dryRun: flags['dry-run'], yes: confirmed, backup: flags.backup, backupDir: flags['backup-dir'], canPrompt: true,
            command: 'auth hash-upgrade', flags: auditFlags, auditLog,
          },
          {
            label: 'pre-hash-upgrade',
            summary: `hash ${pending} token(s)`,
            destructive: true,
            // every refusal came from the plan above: apply once (a dry run is the trial)
            trial: false,
            apply: (tx) => applyHashUpgrade(tx, plan, (n, total) => bar.update(n, total)),
            verify: verifyHashUpgrade,
            audit: (r) => ({ids: r.hashed.map((h) => h.id), tokenFingerprints: r.hashed.map((h) => h.fingerprint)}),
            finish,
            ...(ready !== undefined ? {ready} : {}),
          },
          (line) => this.note(line),
        ).catch((err: unknown) => {
          bar.finish()
          scanBar.finish()
          exportNote()
          throw err
        })
        bar.finish()
        if (!outcome.dryRun && finish === undefined) {
          crashPoint('after-commit')
          remaining = findPlaintext(ctx.lock.fd, outcome.result.secrets, scanProgress).length
          scanBar.finish()
        }
        return {outcome, exported, scrubbed, remaining}
      } finally {
        await thread?.cancel()
        exportFile?.discard() // not settled: the command failed before the export was proven
      }
    })

    if (done === null) {
      if (flags.json) await this.printJson({hashed: 0, variant, export: null, scrubbed: null, backup: null, stillExposed: plaintextCopies(path)})
      else await this.lines([`nothing to do: ${path} holds no raw token (nothing was written)`])
      return
    }
    const {outcome, exported, scrubbed, remaining} = done
    const r = outcome.result
    if (outcome.dryRun) {
      if (flags.json) await this.printJson({dryRun: true, wouldHash: r.hashed.map((h) => h.id), variant, createHashedIndex: r.createdHashedIndex})
      else {
        await this.lines([
          `dry run: would hash ${r.hashed.length} token(s) (${variant}) in ${path}; nothing was written${flags.export !== undefined ? ', not even the export' : ''}:`,
          ...r.hashed.map((h) => `  ${h.id}${h.hadBoth ? ' (stored both raw and hashed: its plaintext is removed)' : ''}`),
          ...(r.createdHashedIndex ? [`  and create the bucket authorizationhashedindexv1`] : []),
        ])
      }
      return
    }
    const stillExposed = [...new Set([...(outcome.backup !== null ? [outcome.backup] : []), ...plaintextCopies(path)])]
    if (flags.json) {
      await this.printJson({hashed: r.hashed.length, variant, export: exported, scrubbed, backup: outcome.backup, stillExposed})
    } else {
      const out = [`hashed ${r.hashed.length} token(s) (${variant}) in ${path}, txid ${outcome.txidAfter}${r.createdHashedIndex ? '; created the bucket authorizationhashedindexv1' : ''}`]
      if (exported !== null) out.push(sealing ? `export: ${exported} (mode 0600${sealedNote(sealing)}): only the recipients' keys read it` : `export: ${exported} (mode 0600): it holds the plaintext of every token: keep it safe`)
      else out.push('no export was made: the plaintext of these tokens is gone')
      if (scrubbed !== null) out.push(`scrubbed: ${scrubbed.pagesZeroed} unused page(s) and ${scrubbed.tailBytesZeroed} tail byte(s) zeroed; no plaintext token is left in the file`)
      else out.push(`not scrubbed (--no-scrub): the plaintext of ${remaining} token(s) can still be read from unused pages; run "influx-recover auth scrub"`)
      if (outcome.backup !== null) out.push(`STILL EXPOSED: the backup ${outcome.backup} holds every token in plaintext; delete it (or keep it as safe as the export) once the server works`)
      for (const p of plaintextCopies(path)) if (p !== outcome.backup) out.push(`STILL EXPOSED: ${p} is a copy of the database from before (plaintext tokens)`)
      await this.lines(out)
    }
  }
}
