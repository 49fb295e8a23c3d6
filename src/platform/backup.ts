/**
 * Verified, never-overwriting backup copy of a data file, taken before any edit:
 * `<file>.influx-recover-<UTC timestamp>.bak` (e.g.
 * `influxd.bolt.influx-recover-20261127T193000Z.bak`), `-2`, `-3`, … before
 * `.bak` when that name is taken. The label (why the backup exists) is not part
 * of the name; it is returned for the audit log.
 *
 * The caller MUST hold the data-file lock (lockDataFile, shared or exclusive) while
 * this runs: a copy of a file that influxd is writing may be torn, and the checksum
 * would only prove that the torn copy was copied faithfully.
 *
 * Files can be gigabytes, so the copy is done in fixed-size positioned reads and the
 * SHA-256 is computed on the fly; nothing ever holds the whole file in memory.
 */
import {createHash} from 'node:crypto'
import {constants as fsConstants, promises as fsp} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'

export interface BackupResult {
  path: string
  /** Hex SHA-256 of the source, equal to the backup's (verified by re-reading it). */
  sha256: string
  size: number
  /** the label it was taken with */
  label: string
}

/** The part of a backup's name after the source's own name. */
export const BACKUP_INFIX = 'influx-recover'
export const BACKUP_SUFFIX = '.bak'

export interface BackupOptions {
  /** Directory for the backup; default: the source's own directory. Must exist. */
  dir?: string
  /** Short tag naming why the backup exists, e.g. "pre-repair" ([A-Za-z0-9._-] only); recorded in the audit log, not in the name. */
  label: string
  /** Clock for the timestamp in the name (tests). */
  now?: Date
  /** Test-only hooks; never set in production code. */
  testHooks?: {
    /** Runs after the backup is written and synced, before it is verified (e.g. to corrupt it). */
    beforeVerify?: (backupPath: string) => Promise<void>
  }
}

const CHUNK_SIZE = 1 << 20
/** Give up on suffixes long before this; thousands of same-second backups mean something is wrong. */
const MAX_SUFFIX = 1000
const LABEL_RE = /^[A-Za-z0-9._-]+$/

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** YYYYMMDDTHHMMSSZ in UTC: sortable, no characters that need quoting in a shell. */
export function backupTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')
}

/** Writes all of buf at position (fs writes may be partial). */
async function writeFully(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let done = 0
  while (done < length) {
    const {bytesWritten} = await fh.write(buf, done, length - done, position + done)
    done += bytesWritten
  }
}

/** Streams fh through SHA-256 in positioned chunks, calling onChunk for each; returns [hex, size]. */
async function hashFile(
  fh: FileHandle,
  onChunk?: (buf: Buffer, length: number, position: number) => Promise<void>,
): Promise<[string, number]> {
  const hash = createHash('sha256')
  const buf = Buffer.allocUnsafe(CHUNK_SIZE)
  let position = 0
  for (;;) {
    const {bytesRead} = await fh.read(buf, 0, CHUNK_SIZE, position)
    if (bytesRead === 0) break
    hash.update(buf.subarray(0, bytesRead))
    if (onChunk) await onChunk(buf, bytesRead, position)
    position += bytesRead
  }
  return [hash.digest('hex'), position]
}

/** fsync on the directory makes the new directory entry itself durable. */
async function syncDir(dir: string): Promise<void> {
  const dh = await fsp.open(dir, fsConstants.O_RDONLY)
  try {
    await dh.sync()
  } catch (err) {
    // Some filesystems do not support fsync on directories; the file data is synced anyway.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'ENOTSUP') throw err
  } finally {
    await dh.close()
  }
}

async function assertBackupDir(dir: string): Promise<void> {
  let st
  try {
    st = await fsp.stat(dir)
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

/** Creates the first free name with O_EXCL: an existing file is never touched. */
async function createExclusive(dir: string, file: string, now: Date): Promise<{path: string; fh: FileHandle}> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const path = join(dir, backupName(file, now, n))
    try {
      const fh = await fsp.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600)
      return {path, fh}
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue
      throw new RecoverError(`cannot create backup ${path}: ${message(err)}`)
    }
  }
  throw new RecoverError(`cannot create backup: ${join(dir, backupName(file, now))} and ${MAX_SUFFIX - 1} suffixed names all exist`)
}

async function openSource(srcPath: string): Promise<FileHandle> {
  let fh: FileHandle
  try {
    // O_NONBLOCK: a FIFO in place of the source must not hang us (no effect on regular files).
    fh = await fsp.open(srcPath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`no such file: ${srcPath}`)
    throw new RecoverError(`cannot read ${srcPath}: ${message(err)}`)
  }
  const st = await fh.stat()
  if (!st.isFile()) {
    await fh.close()
    throw new RecoverError(`${srcPath} is not a regular file, cannot back it up`, ExitCode.CORRUPT)
  }
  return fh
}

export async function backupFile(srcPath: string, opts: BackupOptions): Promise<BackupResult> {
  if (!LABEL_RE.test(opts.label)) {
    throw new UsageError(`invalid backup label "${opts.label}"`, 'use only letters, digits, ".", "_" and "-"')
  }
  const dir = opts.dir ?? dirname(srcPath)
  await assertBackupDir(dir)

  const src = await openSource(srcPath)
  let created: {path: string; fh: FileHandle} | undefined
  try {
    const expectedSize = (await src.stat()).size
    created = await createExclusive(dir, srcPath, opts.now ?? new Date())
    const {fh: dst} = created
    // The create mode is filtered by the umask; chmod makes 0600 exact either way.
    await dst.chmod(0o600)

    const [sha256, size] = await hashFile(src, (buf, length, position) => writeFully(dst, buf, length, position))
    if (size !== expectedSize) {
      throw new RecoverError(
        `${srcPath} changed size during the backup (${expectedSize} -> ${size} bytes)`,
        ExitCode.ERROR,
        'make sure nothing else writes the file (hold its lock while backing up)',
      )
    }
    await dst.sync()
    await dst.close()
    await syncDir(dir)

    if (opts.testHooks?.beforeVerify) await opts.testHooks.beforeVerify(created.path)

    // Re-read what was written and compare: catches short writes and bugs on our side.
    const check = await fsp.open(created.path, fsConstants.O_RDONLY)
    let actual: [string, number]
    try {
      actual = await hashFile(check)
    } finally {
      await check.close()
    }
    if (actual[0] !== sha256 || actual[1] !== size) {
      throw new RecoverError(
        `backup verification failed: ${created.path} does not match ${srcPath} (sha256 ${actual[0]} != ${sha256})`,
        ExitCode.VERIFY_FAILED,
      )
    }
    return {path: created.path, sha256, size, label: opts.label}
  } catch (err) {
    // Never leave a partial or wrong backup that could later be mistaken for a good one.
    if (created) {
      await created.fh.close().catch(() => {})
      await fsp.unlink(created.path).catch(() => {})
      await syncDir(dir).catch(() => {})
    }
    if (err instanceof RecoverError) throw err
    const hint = errnoCode(err) === 'ENOSPC' ? 'free some space or choose another backup directory' : undefined
    throw new RecoverError(`backup of ${srcPath} failed: ${message(err)}`, ExitCode.ERROR, hint)
  } finally {
    await src.close().catch(() => {})
  }
}
