/**
 * `guard run`: runs before every influxd start (the drop-in's ExecStartPre)
 * and captures every raw token not yet in the newest export.
 *
 * Rules, because influxd's start waits for it:
 *  - It always exits 0. Every problem (no database yet, locked, damaged,
 *    an unusable export directory or recipients file) is one line on stderr,
 *    which systemd puts in the journal; what it did is one line on stdout.
 *  - It never modifies the database (read-only, shared flock) and never
 *    creates it; it waits at most 1 s for the lock.
 *  - It starts fast: bin/run.js calls guardRunMain without loading oclif, and
 *    this module loads only the engine and the authorization decoder; the
 *    export renderer and the age library are imported only when there is
 *    something to capture.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

import {check} from '../bbolt/check.js'
import {DB} from '../bbolt/db.js'
import {BoltError} from '../bbolt/errors.js'
import {RecoverError, UsageError} from '../errors.js'
import {AUTH_TENANT_BUCKETS} from '../influxd/buckets.js'
import {ageEncrypt, gatherRecipients, type SourcedKey} from '../platform/age.js'
import {flockRelease, flockWithTimeout} from '../platform/flock.js'
import {checkExportDir, defaultExportDir, newestExport, writeGuardExport, type GuardExport, type WrittenExport} from '../platform/guard-exports.js'
import {rawTokenFingerprints, uncapturedFingerprints} from '../recovery/guard.js'

/** The longest the guard waits for the database's lock. */
export const GUARD_LOCK_TIMEOUT_MS = 1000

export interface GuardRunOptions {
  /** the database; resolved like influxd when absent */
  boltPath?: string
  exportDir: string
  recipients: string[]
  recipientsFiles: string[]
  plaintextExports: boolean
}

/** The flags of `guard run`, read by hand (oclif is not loaded on this path). */
export function parseGuardRunArgs(argv: readonly string[]): GuardRunOptions {
  const opts: GuardRunOptions = {exportDir: defaultExportDir(), recipients: [], recipientsFiles: [], plaintextExports: false}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    const name = eq > 0 ? a.slice(0, eq) : a
    const value = (): string => {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i]
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`)
      return v
    }
    switch (name) {
      case '--bolt-path':
        opts.boltPath = value()
        break
      case '--export-dir':
        opts.exportDir = value()
        break
      case '--recipient':
      case '-r':
        opts.recipients.push(value())
        break
      case '--recipients-file':
      case '-R':
        opts.recipientsFiles.push(value())
        break
      case '--plaintext-exports':
        if (eq > 0) throw new UsageError('--plaintext-exports takes no value')
        opts.plaintextExports = true
        break
      default:
        // never echo an unknown argument: it could be a secret typed in the wrong place
        throw new UsageError(a.startsWith('-') ? `unknown flag ${a.startsWith('--') ? name : a.slice(0, 2)}` : 'unexpected argument (not shown)')
    }
  }
  if (opts.plaintextExports && (opts.recipients.length > 0 || opts.recipientsFiles.length > 0)) {
    throw new UsageError('--plaintext-exports and recipients exclude each other')
  }
  if (!opts.plaintextExports && opts.recipients.length === 0 && opts.recipientsFiles.length === 0) {
    throw new UsageError('no recipient (--recipient or --recipients-file) and no --plaintext-exports: refusing to write a plaintext export')
  }
  opts.exportDir = path.resolve(opts.exportDir)
  return opts
}

export type GuardRunOutcome =
  | {kind: 'captured'; boltPath: string; raw: number; uncaptured: number; written: WrittenExport}
  | {kind: 'up-to-date'; boltPath: string; raw: number; newest: GuardExport}
  | {kind: 'no-raw-tokens'; boltPath: string}
  | {kind: 'problem'; message: string}

/** Control and line-separator characters shown as escapes: every message stays one harmless line. */
export function oneSafeLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return ' '
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

/** The database file, checked without opening it: never created, never a FIFO waited on. */
function statDatabase(boltPath: string): string | undefined {
  try {
    const st = fs.statSync(boltPath)
    if (!st.isFile()) return `${boltPath} is not a regular file: nothing captured`
    return undefined
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR') return `no database at ${boltPath} (yet): nothing to capture`
    if (code === 'EACCES' || code === 'EPERM') return `cannot read ${boltPath}: permission denied; nothing captured`
    return `cannot read ${boltPath}: ${(err as Error).message}; nothing captured`
  }
}

/**
 * Everything `guard run` does, as a value: the caller prints it. Throws only
 * for bugs; every expected problem is a `problem` outcome.
 */
export async function guardRun(opts: GuardRunOptions, now: () => Date = () => new Date()): Promise<GuardRunOutcome> {
  let recipients: SourcedKey[] = []
  try {
    // the recipients decide who can read every token: the file must be root's (or ours) and writable by no one else
    if (!opts.plaintextExports) recipients = gatherRecipients({recipient: opts.recipients, recipientsFile: opts.recipientsFiles}, {trusted: true})
  } catch (err) {
    return {kind: 'problem', message: `${(err as Error).message}; nothing captured`}
  }
  let boltPath = opts.boltPath
  if (boltPath === undefined) {
    try {
      const {resolveBoltPath} = await import('../platform/locate.js')
      boltPath = (await resolveBoltPath()).path
    } catch (err) {
      return {kind: 'problem', message: `cannot find influxd.bolt: ${(err as Error).message}; nothing captured`}
    }
  }
  boltPath = path.resolve(boltPath)
  const missing = statDatabase(boltPath)
  if (missing !== undefined) return {kind: 'problem', message: missing}

  let fd: number
  try {
    fd = fs.openSync(boltPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (err) {
    return {kind: 'problem', message: `cannot open ${boltPath}: ${(err as Error).message}; nothing captured`}
  }
  let db: DB | undefined
  try {
    if (!fs.fstatSync(fd).isFile()) return {kind: 'problem', message: `${boltPath} is not a regular file: nothing captured`}
    try {
      await flockWithTimeout(fd, 'shared', GUARD_LOCK_TIMEOUT_MS, boltPath)
    } catch (err) {
      if (err instanceof RecoverError && err.exitCode === 3) return {kind: 'problem', message: `${boltPath} is locked by another process (a running influxd?) after waiting ${GUARD_LOCK_TIMEOUT_MS / 1000} s: nothing captured`}
      throw err
    }
    try {
      db = DB.open(boltPath, {readOnly: true})
    } catch (err) {
      if (err instanceof BoltError || err instanceof RecoverError) return {kind: 'problem', message: `cannot read ${boltPath}: ${err.message}; nothing captured`}
      throw err
    }
    const names = new Set(AUTH_TENANT_BUCKETS)
    const report = check(db, {topLevel: (name) => names.has(name.toString('latin1'))})
    if (!report.ok) return {kind: 'problem', message: `${boltPath} does not pass the consistency check (first problem: ${report.problems[0] ?? 'see "influx-recover bolt check"'}): nothing captured`}
    const open = db
    const txid = open.meta().txid
    const raw = open.view((tx) => rawTokenFingerprints(tx))
    if (raw.length === 0) return {kind: 'no-raw-tokens', boltPath}

    let newest: GuardExport | undefined
    try {
      newest = fs.existsSync(opts.exportDir) ? (checkExportDir(opts.exportDir, {create: false}), newestExport(opts.exportDir, {hash: false})) : undefined
    } catch (err) {
      return {kind: 'problem', message: `${(err as Error).message}; nothing captured`}
    }
    const missingNow = uncapturedFingerprints(raw, newest?.problem === undefined ? newest?.manifest?.fingerprints : undefined)
    if (missingNow.length === 0) return {kind: 'up-to-date', boltPath, raw: raw.length, newest: newest!}
    return await capture(open, {boltPath, txid, raw, uncaptured: missingNow.length, recipients, exportDir: opts.exportDir, time: now()})
  } catch (err) {
    if (err instanceof RecoverError || err instanceof BoltError) return {kind: 'problem', message: `${err.message}; nothing captured`}
    throw err
  } finally {
    try {
      db?.close()
    } finally {
      await flockRelease(fd).catch(() => {})
      fs.closeSync(fd)
    }
  }
}

/** Writes the new export (under the caller's shared lock): rendered, checked against the database, encrypted, written, read back. */
async function capture(
  db: DB,
  c: {boltPath: string; txid: number; raw: string[]; uncaptured: number; recipients: SourcedKey[]; exportDir: string; time: Date},
): Promise<GuardRunOutcome> {
  const [{collectExport, compareExport, renderExport}, {readExport}] = await Promise.all([import('../recovery/export.js'), import('../recovery/export-reader.js')])
  const doc = db.view((tx) => collectExport(tx))
  const text = renderExport(doc, 'yaml')
  // the plaintext is proven before it is encrypted: parsed back and compared with the database
  const problems = compareExport(readExport(text, 'yaml'), db.view((tx) => collectExport(tx)))
  const fingerprints = doc.exported.map((e) => e.fingerprint)
  if (fingerprints.length !== c.raw.length || !c.raw.every((f) => fingerprints.includes(f))) problems.push('the export lists other tokens than the scan found')
  if (problems.length > 0) return {kind: 'problem', message: `the export does not match the database (${problems[0]}): nothing captured`}
  const encrypted = c.recipients.length > 0
  // (the age library is loaded here, on first use)
  const bytes = encrypted ? await ageEncrypt(Buffer.from(text, 'utf8'), c.recipients, {armor: false}) : Buffer.from(text, 'utf8')
  checkExportDir(c.exportDir, {create: true})
  const written = writeGuardExport(c.exportDir, bytes, {
    time: c.time, txid: c.txid, boltPath: c.boltPath, encrypted, recipients: c.recipients.map((r) => r.key), fingerprints,
  })
  return {kind: 'captured', boltPath: c.boltPath, raw: c.raw.length, uncaptured: c.uncaptured, written}
}

const PREFIX = 'influx-recover guard:'

/** The one line an outcome prints, and where. */
export function describeOutcome(o: GuardRunOutcome): {stream: 'stdout' | 'stderr'; line: string} {
  switch (o.kind) {
    case 'captured': {
      const m = o.written.manifest
      const how = m.encrypted ? `encrypted to ${m.recipients.length} recipient(s)` : 'PLAINTEXT (--plaintext-exports)'
      return {stream: 'stdout', line: `${PREFIX} captured ${o.raw} raw token(s) of ${o.boltPath} (${o.uncaptured} new) in ${o.written.path}, ${how}`}
    }
    case 'up-to-date':
      return {stream: 'stdout', line: `${PREFIX} all ${o.raw} raw token(s) of ${o.boltPath} are in ${o.newest.name}: nothing written`}
    case 'no-raw-tokens':
      return {stream: 'stdout', line: `${PREFIX} ${o.boltPath} holds no raw token: nothing to capture`}
    case 'problem':
      return {stream: 'stderr', line: `${PREFIX} ${o.message}`}
  }
}

/**
 * The whole command: parse, run, print one line, exit 0 whatever happened
 * (the exit code is set, not forced, so pending output is flushed).
 */
export async function guardRunMain(argv: readonly string[]): Promise<void> {
  let o: GuardRunOutcome
  try {
    o = await guardRun(parseGuardRunArgs(argv))
  } catch (err) {
    o = {kind: 'problem', message: err instanceof UsageError ? `${err.message} (see "influx-recover guard run --help"); nothing captured` : `unexpected error: ${err instanceof Error ? err.message : String(err)}; nothing captured`}
  }
  const {stream, line} = describeOutcome(o)
  const text = `${oneSafeLine(line)}\n`
  await new Promise<void>((resolve) => (stream === 'stdout' ? process.stdout : process.stderr).write(text, () => resolve()))
  process.exitCode = 0
}
