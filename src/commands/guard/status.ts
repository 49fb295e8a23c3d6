import * as fs from 'node:fs'
import * as path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, lockTimeoutFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {exportDirFlag, systemdDirFlag, unitFlag} from '../../cli/guard.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'
import {DEFAULT_EXPORT_DIR, defaultExportDir, listExportNames, loadManifest, type GuardExport} from '../../platform/guard-exports.js'
import {escapeControls} from '../../platform/format.js'
import {resolveBoltPath} from '../../platform/locate.js'
import {cliInvocation, defaultSystemdDir, dropInPath, readDropIn, unitName, type GuardDropIn} from '../../platform/systemd.js'
import {rawTokenFingerprints, uncapturedFingerprints} from '../../recovery/guard.js'

interface DropInStatus {
  path: string
  installed: boolean
  /** written by guard install */
  ours?: boolean
  command?: string[]
  /** the program it runs is this CLI (same node and script) */
  runsThisCli?: boolean
  /** the program it runs exists */
  programExists?: boolean
  boltPath?: string | null
  exportDir?: string | null
  recipients?: number
  recipientsFiles?: string[]
  plaintextExports?: boolean
  problem?: string
}

function realOrSame(p: string): string {
  try {
    return fs.realpathSync(p)
  } catch {
    return p
  }
}

function dropInStatus(file: string, d: GuardDropIn | undefined): DropInStatus {
  if (d === undefined) return {path: file, installed: false}
  const cli = cliInvocation().map(realOrSame)
  const program = d.argv.slice(0, d.argv.indexOf('guard'))
  return {
    path: file, installed: true, ours: d.ours, command: d.argv,
    runsThisCli: program.length === cli.length && program.every((p, i) => realOrSame(p) === cli[i]),
    programExists: program.length > 0 && program.every((p) => fs.existsSync(p)),
    boltPath: d.boltPath ?? null, exportDir: d.exportDir ?? null, recipients: d.recipients.length, recipientsFiles: d.recipientsFiles, plaintextExports: d.plaintextExports,
    ...(d.problem !== undefined ? {problem: d.problem} : {}),
  }
}

export default class GuardStatus extends BaseCommand {
  static override summary = 'Is the guard installed, and is every raw token captured?'
  static override description = `Shows whether the systemd drop-in of "guard install" is there (and runs this CLI on which file), the export directory with every export (time, txid, token count, encrypted or not, whether it still matches its manifest), and how many raw tokens of the database are not in the newest export.

The file and the export directory come from the drop-in unless --bolt-path or --export-dir are given. Nothing is decrypted: the exports' manifests hold the tokens' SHA-256 fingerprints. Read-only.

Exit 0 when every raw token is captured (or none is left raw), 1 when some are not; 3 while influxd holds the file (everything else is still shown), 5 when there is no database.`

  static override examples = [
    {description: 'After installing, or before an upgrade', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A container\'s exports, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --export-dir /exports --json'},
  ]

  static override flags = {
    unit: unitFlag,
    'systemd-dir': systemdDirFlag,
    'bolt-path': Flags.string({description: 'the influxd.bolt [default: the drop-in\'s, else found like influxd does]', helpValue: 'FILE'}),
    'export-dir': exportDirFlag(`the export directory [default: the drop-in's, else ${DEFAULT_EXPORT_DIR}]`),
    'lock-timeout': lockTimeoutFlag,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(GuardStatus)
    this.jsonMode = flags.json
    const unit = unitName(flags.unit)
    const file = dropInPath(path.resolve(flags['systemd-dir'] ?? defaultSystemdDir()), unit)
    const dropIn = readDropIn(file)
    const di = dropInStatus(file, dropIn)
    const boltPath = path.resolve(flags['bolt-path'] ?? dropIn?.boltPath ?? (await resolveBoltPath()).path)
    const exportDir = path.resolve(flags['export-dir'] ?? dropIn?.exportDir ?? defaultExportDir())

    let exports: GuardExport[] = []
    let exportDirProblem: string | undefined
    let dirMode: string | undefined
    try {
      const st = fs.lstatSync(exportDir)
      dirMode = (st.mode & 0o7777).toString(8)
      if (!st.isDirectory()) exportDirProblem = 'not a directory'
      else exports = listExportNames(exportDir).map((e) => loadManifest(exportDir, e, {hash: true}))
    } catch (err) {
      exportDirProblem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (yet)' : (err as Error).message
    }
    const newest = exports[exports.length - 1]

    let raw: number | null = null
    let uncaptured: number | null = null
    let dbError: RecoverError | undefined
    try {
      const fps = await withDataFile(boltPath, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => rawTokenFingerprints(tx)))
      raw = fps.length
      uncaptured = uncapturedFingerprints(fps, newest?.problem === undefined ? newest?.manifest?.fingerprints : undefined).length
    } catch (err) {
      if (!(err instanceof RecoverError)) throw err
      dbError = err
    }

    if (flags.json) {
      await this.printJson({
        dropIn: di, boltPath, exportDir, exportDirMode: dirMode ?? null, exportDirProblem: exportDirProblem ?? null,
        exports: exports.map((e) => ({
          file: e.name, time: e.manifest?.time ?? e.nameTime, txid: e.manifest?.txid ?? e.nameTxid, tokens: e.manifest?.count ?? null,
          encrypted: e.encrypted, recipients: e.manifest?.recipients.length ?? null, problem: e.problem ?? null,
        })),
        newest: newest?.name ?? null, rawTokens: raw, uncaptured, databaseError: dbError?.message ?? null,
      })
    } else {
      const out: string[] = []
      if (!di.installed) out.push(`drop-in:     not installed (${file}); "influx-recover guard install --recipient age1…" installs it`)
      else {
        const runs = di.runsThisCli ? 'runs this influx-recover' : di.programExists ? 'runs ANOTHER influx-recover' : 'runs a program that does NOT EXIST'
        out.push(`drop-in:     installed: ${file} (${runs}${di.ours ? '' : '; not written by guard install'})`)
        if (di.problem !== undefined) out.push(`             problem: ${di.problem}`)
        else out.push(`             command: ${(di.command ?? []).join(' ')}`)
        if (di.boltPath !== undefined && di.boltPath !== null && path.resolve(di.boltPath) !== boltPath) out.push(`             note: it guards ${di.boltPath}, not ${boltPath}`)
      }
      out.push(`database:    ${boltPath}`)
      out.push(`exports:     ${exportDir}${dirMode !== undefined ? ` (mode ${dirMode})` : ''}${exportDirProblem !== undefined ? `: ${exportDirProblem}` : `, ${exports.length} export(s)`}`)
      for (const e of exports) {
        const what = e.manifest !== undefined ? `${e.manifest.count} token(s), txid ${e.manifest.txid}, ${e.encrypted ? `encrypted to ${e.manifest.recipients.length} recipient(s)` : 'PLAINTEXT'}` : e.encrypted ? 'encrypted' : 'PLAINTEXT'
        out.push(`  ${e.name}  ${e.manifest?.time ?? e.nameTime}  ${what}${e.problem !== undefined ? `; ${e.problem}` : ''}`)
      }
      if (dbError !== undefined) out.push(`raw tokens:  unknown: ${dbError.message}`)
      else if (raw === 0) out.push('raw tokens:  none (nothing to capture)')
      else if (uncaptured === 0) out.push(`raw tokens:  ${raw}, all captured in ${newest!.name}`)
      else out.push(`raw tokens:  ${raw}, ${uncaptured} NOT captured in the newest export${newest !== undefined ? ` (${newest.name}${newest.problem !== undefined ? `: ${newest.problem}` : ''})` : ''}`)
      if (dbError === undefined && uncaptured !== 0) {
        out.push(di.installed
          ? 'next:        the guard captures them at the next start of influxd (or run its "guard run" line with influxd stopped)'
          : 'next:        "influx-recover guard install --recipient age1…" captures them before every start; "influx-recover auth export --recipient age1…" once, now')
      }
      await this.lines(out.map(escapeControls))
    }
    if (dbError !== undefined) throw dbError
    // exit 1 is the verdict (as doctor's FAIL), said on stdout: no error line
    if (uncaptured !== 0) this.exit(ExitCode.ERROR)
  }
}
