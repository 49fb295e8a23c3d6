/**
 * Verified, never-overwriting backup copy of a data file, taken before any edit:
 * `<file>.influx-recover-<UTC timestamp>.bak` (e.g.
 * `influxd.bolt.influx-recover-20261127T193000Z.bak`), `-2`, `-3`, … before
 * `.bak` when that name is taken. `<file>` is the real file's name (symlinks
 * resolved) and the default directory is the real file's. The label (why the
 * backup exists) is not part of the name; it is returned for the audit log.
 *
 * Whole or absent: the copy is written to a hidden temporary name in the target
 * directory (`.<file>.influx-recover-<timestamp>.<random>.tmp`, O_EXCL, 0600),
 * fsynced, read back and compared, and only then linked to its final name (which
 * is never overwritten) and the directory fsynced. So a file named like a backup
 * is always a whole, verified copy:
 *  - an error, SIGINT or SIGTERM during the copy removes the temporary file (the
 *    signals then exit 130/143 with one line, see interrupt.ts);
 *  - SIGKILL or a power cut leaves only the hidden temporary file. Its writer
 *    holds an exclusive flock on it for as long as it writes, so the next backup
 *    into that directory knows a temporary file nobody holds is abandoned, and
 *    removes it; `doctor` reports one as a partial copy.
 *
 * The caller MUST hold the data-file lock (lockDataFile, shared or exclusive) while
 * this runs, and should pass its descriptor: a copy of a file that influxd is
 * writing may be torn, and the copy must be of the file that is locked.
 *
 * Files can be gigabytes, so the copy is done in fixed-size positioned reads and the
 * SHA-256 is computed on the fly; nothing ever holds the whole file in memory. The
 * copy is asynchronous so that a signal is handled while it runs.
 */
import {createHash, randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {promisify} from 'node:util'

import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {flockRelease, flockWithTimeout} from './flock.js'
import {onInterrupt} from './interrupt.js'
import {diskFull, errnoCode, expectedOwner, O_NOFOLLOW, openSideFile, removeIfSame, syncDir, type SideFile} from './side-file.js'

export interface BackupResult {
  path: string
  /** Hex SHA-256 of the source, equal to the backup's (verified by re-reading it). */
  sha256: string
  size: number
  /** the label it was taken with */
  label: string
  /** temporary files of interrupted backups found in the directory and removed first */
  removedPartial: string[]
}

/** The part of a backup's name after the source's own name. */
export const BACKUP_INFIX = 'influx-recover'
export const BACKUP_SUFFIX = '.bak'

/** A file named like a backup of `base`: `<base>.influx-recover-<stamp>[-n].bak`. */
export function isBackupName(name: string, base: string): boolean {
  return name.startsWith(`${base}.`) && /\.influx-recover-\d{8}T\d{6}Z(?:-\d+)?\.bak$/.test(name.slice(base.length))
}

const TEMP_TAIL = /\.influx-recover-\d{8}T\d{6}Z\.[0-9a-f]{8}\.tmp$/

/** The hidden temporary file of a backup of `base` in progress (or abandoned); without `base`, of any file. */
export function isBackupTempName(name: string, base?: string): boolean {
  if (base === undefined) return name.startsWith('.') && TEMP_TAIL.test(name) && name.length > 1 + 45
  return name.startsWith(`.${base}.`) && TEMP_TAIL.test(name) && name.length === base.length + 1 + 45
}

/** A source already open (the data-file lock's descriptor): the copy is of exactly that file. */
export interface BackupSource {
  fd: number
  /** the path as given, for messages */
  path: string
  /** the real path: names the backup and is its default directory */
  realPath: string
}

export interface BackupOptions {
  /** Directory for the backup; default: the source's own (real) directory. Must exist. */
  dir?: string
  /** Short tag naming why the backup exists, e.g. "pre-repair" ([A-Za-z0-9._-] only); recorded in the audit log, not in the name. */
  label: string
  /** Clock for the timestamp in the name (tests). */
  now?: Date
  /** Test-only hooks; never set in production code. */
  testHooks?: {
    /** Runs after the copy is written and synced under its temporary name, before it is verified (e.g. to corrupt it). */
    beforeVerify?: (tempPath: string) => Promise<void>
  }
}

const CHUNK_SIZE = 1 << 20
/** Give up on suffixes long before this; thousands of same-second backups mean something is wrong. */
const MAX_SUFFIX = 1000
const LABEL_RE = /^[A-Za-z0-9._-]+$/

const readP = promisify(fs.read)
const writeP = promisify(fs.write)
const fsyncP = promisify(fs.fsync)
const fstatP = promisify(fs.fstat)

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** YYYYMMDDTHHMMSSZ in UTC: sortable, no characters that need quoting in a shell. */
export function backupTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')
}

function testHook(name: string): boolean {
  return (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(name)
}

/** Writes all of buf at position (writes may be partial). */
async function writeFully(fd: number, buf: Buffer, length: number, position: number): Promise<void> {
  // test-only: a full disk during the copy
  if (testHook('fail-backup-write:ENOSPC')) throw Object.assign(new Error('ENOSPC: no space left on device, write (injected by INFLUX_RECOVER_TEST_HOOKS)'), {code: 'ENOSPC'})
  let done = 0
  while (done < length) {
    const {bytesWritten} = await writeP(fd, buf, done, length - done, position + done)
    done += bytesWritten
  }
}

/** Streams fd through SHA-256 in positioned chunks, calling onChunk for each; returns [hex, size]. */
async function hashFd(fd: number, onChunk?: (buf: Buffer, length: number, position: number) => Promise<void>): Promise<[string, number]> {
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(CHUNK_SIZE)
  let position = 0
  for (;;) {
    const {bytesRead} = await readP(fd, buf, 0, CHUNK_SIZE, position)
    if (bytesRead === 0) break
    hash.update(buf.subarray(0, bytesRead))
    if (onChunk) await onChunk(buf, bytesRead, position)
    position += bytesRead
  }
  return [hash.digest('hex'), position]
}

/** SHA-256 of everything readable through fd (positioned reads: its offset is untouched). */
export function sha256OfFd(fd: number): Promise<string> {
  return hashFd(fd).then(([hex]) => hex)
}

function assertBackupDir(dir: string): void {
  let st
  try {
    st = fs.statSync(dir)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      throw new NotFoundError(`backup directory does not exist: ${dir}`, 'create it first, or choose another directory')
    }
    throw new RecoverError(`cannot use backup directory ${dir}: ${message(err)}`)
  }
  if (!st.isDirectory()) throw new NotFoundError(`backup directory is not a directory: ${dir}`)
}

/** The backup name of `file` taken at `now`, with the `n`th suffix (1 = none). */
export function backupName(file: string, now: Date, n = 1): string {
  return `${basename(file)}.${BACKUP_INFIX}-${backupTimestamp(now)}${n === 1 ? '' : `-${n}`}${BACKUP_SUFFIX}`
}

function tempName(base: string, now: Date): string {
  return `.${base}.${BACKUP_INFIX}-${backupTimestamp(now)}.${randomBytes(4).toString('hex')}.tmp`
}

/**
 * Removes the temporary files of backups of `base` in `dir` that no live run
 * holds (a run killed with SIGKILL, a power cut): each is opened without
 * following a link, must be a regular file of ours, and is removed only when
 * an exclusive flock on it can be taken at once (a run killed between naming
 * the backup and removing the temporary name leaves a second name of a whole
 * backup: removing it is just as right). Returns the paths removed;
 * never throws (what cannot be removed stays for doctor to report).
 */
export async function removeAbandonedBackups(dir: string, base: string): Promise<string[]> {
  let names: string[]
  try {
    names = fs.readdirSync(dir).filter((n) => isBackupTempName(n, base))
  } catch {
    return []
  }
  const removed: string[] = []
  const owner = expectedOwner()
  for (const n of names) {
    const p = join(dir, n)
    let fd: number
    try {
      fd = fs.openSync(p, fs.constants.O_RDONLY | O_NOFOLLOW | (fs.constants.O_NONBLOCK ?? 0))
    } catch {
      continue
    }
    try {
      const st = fs.fstatSync(fd)
      // unlink removes a name, never what a second hard link names: only the owner matters here
      if (!st.isFile() || (owner !== undefined && st.uid !== owner)) continue
      try {
        await flockWithTimeout(fd, 'exclusive', 0, p)
      } catch {
        continue // a live run is writing it
      }
      if (removeIfSame(p, st)) removed.push(p)
      await flockRelease(fd).catch(() => {})
    } catch {
      // leave it
    } finally {
      fs.closeSync(fd)
    }
  }
  if (removed.length > 0) syncDir(dir)
  return removed
}

/**
 * Gives the verified temporary file its final name: the first free one, with
 * link(2), which never replaces an existing name. Where hard links are not
 * supported, rename(2) after checking that the name is free.
 */
function publish(temp: string, dir: string, realName: string, now: Date): string {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const final = join(dir, backupName(realName, now, n))
    try {
      fs.linkSync(temp, final)
      return final
    } catch (err) {
      const code = errnoCode(err)
      if (code === 'EEXIST') continue
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw err
      try {
        fs.lstatSync(final)
        continue
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e
      }
      fs.renameSync(temp, final)
      return final
    }
  }
  throw new RecoverError(`cannot name the backup: ${join(dir, backupName(realName, now))} and ${MAX_SUFFIX - 1} suffixed names all exist`)
}

async function openSource(srcPath: string): Promise<number> {
  let fd: number
  try {
    // O_NONBLOCK: a FIFO in place of the source must not hang us (no effect on regular files).
    fd = fs.openSync(srcPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`no such file: ${srcPath}`)
    throw new RecoverError(`cannot read ${srcPath}: ${message(err)}`)
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd)
    throw new RecoverError(`${srcPath} is not a regular file, cannot back it up`, ExitCode.CORRUPT)
  }
  return fd
}

/**
 * Copies the source (a path, or better the descriptor the caller locked) to a
 * new backup, as the module header describes.
 */
export async function backupFile(source: string | BackupSource, opts: BackupOptions): Promise<BackupResult> {
  if (!LABEL_RE.test(opts.label)) {
    throw new UsageError(`invalid backup label "${opts.label}"`, 'use only letters, digits, ".", "_" and "-"')
  }
  const srcPath = typeof source === 'string' ? source : source.path
  const realPath = typeof source === 'string' ? source : source.realPath
  const base = basename(realPath)
  const dir = opts.dir ?? dirname(realPath)
  assertBackupDir(dir)
  const now = opts.now ?? new Date()

  const srcFd = typeof source === 'string' ? await openSource(source) : source.fd
  let temp: SideFile | undefined
  let stopInterrupt: (() => void) | undefined
  try {
    const removedPartial = await removeAbandonedBackups(dir, base)
    const expectedSize = (await fstatP(srcFd)).size
    temp = openSideFile(join(dir, tempName(base, now)), {what: 'temporary backup file', how: 'exclusive', readBack: true})
    const t = temp
    // marks it as written by a live run: only an abandoned one can be flocked by another
    await flockWithTimeout(t.fd, 'exclusive', 0, t.path)
    stopInterrupt = onInterrupt(() => {
      // once published, the temporary file's inode is the backup: never discarded
      if (temp === undefined) return undefined
      t.discard()
      return `the unfinished backup ${t.path} was removed`
    })

    const [sha256, size] = await hashFd(srcFd, (buf, length, position) => writeFully(t.fd, buf, length, position))
    if (size !== expectedSize) {
      throw new RecoverError(
        `${srcPath} changed size during the backup (${expectedSize} -> ${size} bytes)`,
        ExitCode.ERROR,
        'make sure nothing else writes the file (hold its lock while backing up)',
      )
    }
    await fsyncP(t.fd)

    if (opts.testHooks?.beforeVerify) await opts.testHooks.beforeVerify(t.path)

    // Re-read what was written and compare: catches short writes and bugs on our side.
    const actual = await hashFd(t.fd)
    if (actual[0] !== sha256 || actual[1] !== size) {
      throw new RecoverError(
        `backup verification failed: the copy of ${srcPath} read back differs (sha256 ${actual[0]} != ${sha256}); it was removed`,
        ExitCode.VERIFY_FAILED,
      )
    }
    const st = t.stat()
    const published = publish(t.path, dir, base, now)
    // from here the temporary file's inode is the backup: it must never be discarded
    temp = undefined
    removeIfSame(t.path, st)
    syncDir(dir)
    try {
      t.close()
    } catch {
      // the data is synced; closing cannot lose it
    }
    return {path: published, sha256, size, label: opts.label, removedPartial}
  } catch (err) {
    // Never leave a partial or wrong backup that could later be mistaken for a good one.
    temp?.discard()
    if (err instanceof RecoverError) throw err
    const code = errnoCode(err)
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(`writing the backup of ${srcPath} in ${dir}`, err)
    throw new RecoverError(`backup of ${srcPath} failed: ${message(err)}`, ExitCode.ERROR)
  } finally {
    stopInterrupt?.()
    if (typeof source === 'string') fs.closeSync(srcFd)
  }
}
