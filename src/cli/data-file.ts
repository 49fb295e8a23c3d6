/**
 * Opening a data file for one command: pre-check the path (never create a
 * missing file, never hang on a FIFO), take the lock influxd would conflict
 * with (shared to read, exclusive to write) on the one descriptor of the real
 * file, open the engine on that descriptor, run, and always close and
 * release — also when the command fails.
 */
import {check, checkStreamed, CheckProblem, type CheckReport, type CheckedEntry} from '../bbolt/check.js'
import {DB} from '../bbolt/db.js'
import {ExitCode, RecoverError} from '../errors.js'
import type {DataFileLock} from '../platform/lock.js'
import {onInterrupt} from '../platform/interrupt.js'
import {lockDataFile} from '../platform/lock.js'
import {assertOpenableDataFile} from '../platform/file-check.js'
import {startFileSha256, type FileHashJob} from '../platform/file-hash.js'
import {faultyFileOps, installTestReports, phase} from './test-hooks.js'

export interface DataFileContext {
  path: string
  /** canonical path (symlinks resolved) */
  realPath: string
  db: DB
  lock: DataFileLock
  write: boolean
  /** true when the consistency check already passed on open (opts.check) */
  checked: boolean
  /** runs fn when the command is done with the file (before the lock is released), also after an error */
  onClose(fn: () => void): void
  /**
   * With opts.check.streamed: that top-level bucket's entries in key order,
   * each page checked as it is read (exit 4 at the first problem); undefined
   * when the file has no such bucket. To be read once, in the read
   * transaction's snapshot (the file is locked: nothing moves meanwhile).
   */
  streamed?: () => Generator<CheckedEntry>
  /**
   * With opts.hashBefore: the file's SHA-256 as it was opened, started before
   * the consistency check (on a worker thread for a large file) so that the
   * check and the plan run meanwhile. For the audit line of a write that
   * makes no backup (the backup hashes what it copies).
   */
  shaBefore?: FileHashJob
}

export interface DataFileOptions {
  write: boolean
  /**
   * A write whose first change to the file is performWrite's commit, with an
   * audit line and no backup: start hashing the file now (ctx.shaBefore).
   */
  hashBefore?: boolean
  /** seconds to wait for the lock; 0 = one attempt */
  timeoutSec: number
  /**
   * Run the consistency check right after opening and refuse (exit 4) when it
   * fails: for every command whose answer or change depends on the whole file
   * being sound. Without it a damaged tree can be read as if it were whole
   * (a branch pointing twice at one leaf hides half of the buckets).
   * `{topLevel}` checks only those top-level buckets (with the metas and the
   * freelist): for readers of a few buckets, so a 1 GB file of other data
   * does not cost a full walk. Writes always check the whole file.
   * `streamed` (one of topLevel, reads only): that bucket is checked while
   * the command reads it (ctx.streamed) instead of before, so a reader of
   * every record reads the bucket once; a problem in it is found when the
   * reading reaches it (exit 4, the output so far incomplete).
   */
  check?: boolean | {topLevel: readonly string[]; streamed?: string}
  /**
   * bytes of pages the engine may cache (its default otherwise): commands
   * that read every record once in key order gain nothing from a large cache
   * and keep their memory flat with a small one
   */
  cacheBytes?: number
}

/** Throws exit 4 unless the file passes the consistency check. `doing` names what was refused ("read", "write"). */
export function requireConsistent(db: DB, path: string, doing: string, topLevel?: readonly string[]): void {
  const names = topLevel === undefined ? undefined : new Set(topLevel)
  refuseUnless(check(db, names === undefined ? {} : {topLevel: (name) => names.has(name.toString('latin1'))}), path, doing)
}

/** requireConsistent for a reader of one whole bucket (DataFileOptions.check.streamed): its entries, checked as they are read. */
function requireConsistentStreamed(db: DB, path: string, topLevel: readonly string[], streamed: string): (() => Generator<CheckedEntry>) | undefined {
  const names = new Set(topLevel)
  if (!names.has(streamed)) throw new Error(`the streamed bucket ${streamed} must be in the checked scope`)
  const {report, entries} = checkStreamed(db, {topLevel: (name) => names.has(name.toString('latin1')), streamed: Buffer.from(streamed, 'latin1')})
  refuseUnless(report, path, 'read')
  if (entries === undefined) return undefined
  let used = false
  return function* () {
    if (used) throw new Error(`the checked entries of ${streamed} were read twice`)
    used = true
    try {
      yield* entries()
    } catch (err) {
      if (!(err instanceof CheckProblem)) throw err
      throw new RecoverError(
        `stopped reading: ${path} does not pass the consistency check (first problem: ${err.message})`,
        ExitCode.CORRUPT,
        'run "influx-recover bolt check FILE" for the list; repair or compact into a new file first',
      )
    }
  }
}

function refuseUnless(report: CheckReport, path: string, doing: string): void {
  if (report.ok) return
  const n = report.problems.length + report.omitted
  throw new RecoverError(
    `refusing to ${doing}: ${path} does not pass the consistency check (${n} problem${n === 1 ? '' : 's'}, first: ${report.problems[0] ?? 'see bolt check'})`,
    ExitCode.CORRUPT,
    'run "influx-recover bolt check FILE" for the list; repair or compact into a new file first',
  )
}

/** The page cache for one ordered pass over the file (plus the hot branch pages of a few lookups). */
export const SCAN_CACHE_BYTES = 2 << 20

export async function withDataFile<T>(path: string, opts: DataFileOptions, fn: (ctx: DataFileContext) => Promise<T> | T): Promise<T> {
  installTestReports()
  await assertOpenableDataFile(path, {write: opts.write})
  const lock = await lockDataFile(path, {write: opts.write, timeoutSec: opts.timeoutSec})
  const {realPath} = lock
  // a write exits 130/143 with one line on SIGINT/SIGTERM (what is half done says so itself)
  const stopInterrupt = opts.write ? onInterrupt(() => undefined) : undefined
  let db: DB | undefined
  let failed = false
  const closers: Array<() => void> = []
  let shaBefore: FileHashJob | undefined
  try {
    // the engine reads and writes through the locked descriptor: one file, one identity
    db = DB.open(path, {fd: lock.fd, readOnly: !opts.write, fileOps: opts.write ? faultyFileOps() : undefined, ...(opts.cacheBytes !== undefined ? {cacheBytes: opts.cacheBytes} : {})})
    // writes always check the whole file; a scope only narrows a read
    const scope = typeof opts.check === 'object' && !opts.write ? opts.check.topLevel : undefined
    const wholeFile = opts.check !== undefined && opts.check !== false && scope === undefined
    phase('open')
    if (opts.write && opts.hashBefore) shaBefore = startFileSha256(lock.fd)
    const streamedName = typeof opts.check === 'object' && !opts.write ? opts.check.streamed : undefined
    let streamed: DataFileContext['streamed']
    if (scope !== undefined && streamedName !== undefined) streamed = requireConsistentStreamed(db, path, scope, streamedName)
    else if (opts.check) requireConsistent(db, path, opts.write ? 'write' : 'read', scope)
    phase('pre-check')
    return await fn({
      path, realPath, db, lock, write: opts.write, checked: wholeFile, onClose: (f) => void closers.push(f),
      ...(streamed !== undefined ? {streamed} : {}), ...(shaBefore !== undefined ? {shaBefore} : {}),
    })
  } catch (err) {
    failed = true
    throw err
  } finally {
    // a hash still running reads through the descriptor about to be closed: stopped first
    await shaBefore?.cancel().catch(() => undefined)
    for (const f of closers.reverse()) {
      try {
        f()
      } catch {
        // a cleanup must not hide the command's own outcome
      }
    }
    try {
      db?.close()
    } finally {
      // A release error must not hide the command's own error.
      await lock.release().catch((err: unknown) => {
        if (!failed) throw err
      }).finally(() => stopInterrupt?.())
    }
  }
}
