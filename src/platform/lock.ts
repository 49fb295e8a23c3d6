/**
 * Locks a bbolt data file for the duration of one command.
 *
 * Two layers, because they guard against different things:
 *  1. flock(2) on our own fd of the data file (shared for reads, exclusive for
 *     writes): the exact lock influxd/bbolt takes (spec §8), so we never touch a
 *     file a running influxd holds, and influxd refuses to start while we write.
 *     The kernel drops it when the process dies.
 *  2. For writes only, a proper-lockfile lock directory beside the file: two runs
 *     of this tool also exclude each other on network filesystems where flock is
 *     unreliable or local-only. A crashed run's lock goes stale after 10 s (its
 *     mtime stops being refreshed) and is then reclaimed; a normal exit or
 *     SIGINT/SIGTERM removes it at once (proper-lockfile's exit hook).
 *
 * One file, one identity: the path is resolved once (realpath) and the real file
 * opened once, without following a link; the flock, the engine (DB.open with the
 * descriptor), the backup and the checksums all use that descriptor. Once the
 * flock is held, the given path and the real path must still name the file held,
 * else the run stops (exit 1) before reading or writing anything: a path switched
 * between two files (a symlink swapped while influxd holds the other one) can
 * never make a write land in a file that was not locked.
 *
 * The lock directory is `<real file>.influx-recover.lock`; anything else found
 * under that name (a symlink, dangling or not, a file, a FIFO) is refused with one
 * line saying to remove it, never followed: proper-lockfile is given lstat and
 * lutimes in place of stat and utimes.
 *
 * Invariant: a run takes the flock before the directory and drops it after, so on a
 * local filesystem (where flock excludes every process on the machine) whoever holds
 * the exclusive flock and still finds the directory is looking at the leftover of a
 * killed run, and removes it at once instead of waiting for it to go stale.
 */
import * as fs from 'node:fs'
import {constants as fsConstants, promises as fsp} from 'node:fs'
import type {Stats} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {resolve as resolvePath} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import lockfile from 'proper-lockfile'

import {ExitCode, LockedError, RecoverError} from '../errors.js'
import {assertOpenableDataFile} from './file-check.js'
import {flockRelease, flockWithTimeout, monotonicMs} from './flock.js'
import {describeUid, errnoCode, expectedOwner, kindOf, O_NOFOLLOW, sameFile, shellQuote} from './side-file.js'

export interface DataFileLock {
  /** the path as given (for messages) */
  readonly path: string
  /** the canonical path: the lock directory, backups and the audit log sit beside it */
  readonly realPath: string
  /**
   * The one descriptor of the file (read-write for a write lock): the engine,
   * the backup and the checksums read and write through it. Closed by release().
   */
  readonly fd: number
  /** fstat of fd when the lock was taken */
  readonly stat: Stats
  /** Drops both locks and closes the lock fd. Idempotent; safe to call from finally blocks. */
  release(): Promise<void>
  /**
   * Throws LockedError if the lock-file layer was lost while held (its directory was
   * removed or taken over, e.g. after the process was suspended longer than the stale
   * time). Call before committing a write. Never throws for read locks.
   */
  assertHeld(): void
}

/** proper-lockfile's staleness threshold and refresh period. */
const LOCKFILE_STALE_MS = 10_000
const LOCKFILE_UPDATE_MS = 5_000
const RETRY_INTERVAL_MS = 50

/**
 * statfs f_type of local filesystems, whose flock(2) is enforced by the one kernel every
 * process that can open the file runs on (containers included). Network and FUSE
 * filesystems are deliberately absent: there the directory is the only cross-host lock.
 */
const LOCAL_FILESYSTEMS = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x794c7630, // overlayfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0x3153464a, // jfs
])

/** True when flock on realPath excludes every other process that could hold the lock directory. */
export async function flockIsMachineWide(realPath: string): Promise<boolean> {
  try {
    return LOCAL_FILESYSTEMS.has((await fsp.statfs(realPath)).type)
  } catch {
    return false
  }
}

export function lockfilePathFor(realPath: string): string {
  return `${realPath}.influx-recover.lock`
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function busyWithOtherRun(path: string, lockDir: string, owner: string | undefined): LockedError {
  return new LockedError(
    `${path} is being modified by another influx-recover run (its lock directory ${lockDir} exists${owner ? `, ${owner}` : ''})`,
    `wait for it to finish; if no other run exists (one was killed on another host), the directory is taken over once it has not been refreshed for ${LOCKFILE_STALE_MS / 1000} s`,
  )
}

/**
 * proper-lockfile's file system with lstat and lutimes in place of stat and
 * utimes: whatever sits at the lock directory's name is looked at, never
 * followed. One object for the process (proper-lockfile caches on it).
 */
const LOCK_DIR_FS = {...fs, stat: fs.lstat, utimes: fs.lutimes}

/**
 * Refuses (one line, exit 1) what sits at the lock directory's name when it is
 * not a directory: nothing there, or a run's directory, is for the caller.
 */
async function refuseForeignLockEntry(lockDir: string): Promise<void> {
  let st: Stats
  try {
    st = await fsp.lstat(lockDir)
  } catch {
    return
  }
  if (st.isDirectory()) return
  throw new RecoverError(
    `${lockDir} is ${kindOf(st)}, not the lock directory of an influx-recover run (something else put it there)`,
    ExitCode.ERROR,
    `it is never followed; check how it got there, remove it (rm -- ${shellQuote(lockDir)}) and run the command again`,
  )
}

/** The error for a lock directory that a run left behind but that cannot be removed because it is not empty. */
function leftoverNotEmpty(lockDir: string, why: string): RecoverError {
  return new RecoverError(
    `${lockDir} is left over from an influx-recover run that ${why}, but it is not empty, so it was not removed`,
    ExitCode.ERROR,
    `a lock directory of this tool is always empty: look at what is inside, remove it (rm -r -- ${shellQuote(lockDir)}) and run the command again`,
  )
}

/** "owned by uid 999 (influxdb)" when not owned by the user running this, else undefined: for messages. */
function foreignOwner(st: Stats | undefined): string | undefined {
  const me = expectedOwner()
  return st !== undefined && me !== undefined && st.uid !== me ? `owned by ${describeUid(st.uid)}` : undefined
}

/**
 * Takes the lock-file layer, retrying until `deadline` (monotonicMs() based;
 * at least one attempt). Our own loop rather than proper-lockfile's `retries`, so
 * the whole lockDataFile call honours one timeout.
 */
async function acquireLockfile(
  path: string,
  realPath: string,
  deadline: number,
  reclaimLeftover: boolean,
  onCompromised: (err: Error) => void,
): Promise<() => Promise<void>> {
  const lockDir = lockfilePathFor(realPath)
  let reclaimed = false
  for (;;) {
    await refuseForeignLockEntry(lockDir)
    try {
      return await lockfile.lock(realPath, {
        stale: LOCKFILE_STALE_MS,
        update: LOCKFILE_UPDATE_MS,
        retries: 0,
        realpath: false, // realPath is already canonical
        lockfilePath: lockDir,
        fs: LOCK_DIR_FS,
        // The default throws from a timer, i.e. crashes mid-write; we record it instead.
        onCompromised,
      })
    } catch (err) {
      const code = errnoCode(err)
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw leftoverNotEmpty(lockDir, `stopped refreshing it more than ${LOCKFILE_STALE_MS / 1000} s ago`)
      if (code !== 'ELOCKED') {
        // something took the name between the look and the mkdir: say what
        await refuseForeignLockEntry(lockDir)
        throw new RecoverError(`cannot create the lock directory ${lockDir}: ${message(err)}`, ExitCode.ERROR)
      }
      // We hold the exclusive flock, so no live run holds this directory (see the header).
      // rmdir removes only an empty directory, never follows a link, never touches a file.
      if (reclaimLeftover && !reclaimed) {
        reclaimed = true
        try {
          await fsp.rmdir(lockDir)
          continue
        } catch (e) {
          const c = errnoCode(e)
          if (c === 'ENOTEMPTY' || c === 'EEXIST') throw leftoverNotEmpty(lockDir, 'was killed')
          if (c === 'ENOENT') continue
          await refuseForeignLockEntry(lockDir)
          const st = await fsp.lstat(lockDir).catch(() => undefined)
          throw new RecoverError(
            `${lockDir}${foreignOwner(st) ? ` (${foreignOwner(st)})` : ''} is left over from an influx-recover run that was killed, and cannot be removed: ${message(e)}`,
            ExitCode.ERROR,
            `remove it (rmdir -- ${shellQuote(lockDir)}) and run the command again`,
          )
        }
      }
    }
    const remaining = deadline - monotonicMs()
    if (remaining <= 0) throw busyWithOtherRun(path, lockDir, foreignOwner(await fsp.lstat(lockDir).catch(() => undefined)))
    await sleep(Math.min(RETRY_INTERVAL_MS, remaining))
  }
}

/** "FILE" or "FILE (→ REAL)" when the path given is not the real one. */
export function describeDataPath(path: string, realPath: string): string {
  return resolvePath(path) === realPath ? path : `${path} (→ ${realPath})`
}

function changedWhileOpening(path: string, realPath: string, what: string): RecoverError {
  return new RecoverError(
    `${describeDataPath(path, realPath)} changed while it was being opened: ${what}; nothing was read or written`,
    ExitCode.ERROR,
    'run the command again; if this keeps happening, something is replacing the file or a link to it (a deployment tool, a container starting influxd?)',
  )
}

/**
 * Opens the one descriptor of the file: the real path, never following a link
 * (O_NOFOLLOW: the real path has none, so one there now was put there since),
 * never O_CREAT (a missing file is never created), O_NONBLOCK so a path swapped
 * for a FIFO cannot hang us; read-write for a write lock (the engine writes
 * through it). Node adds O_CLOEXEC, so spawned children never inherit the lock.
 */
async function openLockFd(path: string, realPath: string, write: boolean): Promise<FileHandle> {
  let fh: FileHandle
  try {
    fh = await fsp.open(realPath, (write ? fsConstants.O_RDWR : fsConstants.O_RDONLY) | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY | O_NOFOLLOW)
  } catch (err) {
    if (errnoCode(err) === 'ELOOP' || errnoCode(err) === 'EMLINK') throw changedWhileOpening(path, realPath, `${realPath} is now a symbolic link`)
    throw err
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) {
      throw new RecoverError(`${describeDataPath(path, realPath)} changed while being opened and is no longer a regular file`, ExitCode.CORRUPT)
    }
  } catch (err) {
    await fh.close()
    throw err
  }
  return fh
}

/**
 * After the flock: the given path (followed, as influxd follows it) and the
 * real path (not followed) must still name the file whose descriptor is held.
 */
async function assertSameIdentity(path: string, realPath: string, st: Stats): Promise<void> {
  const real = await fsp.lstat(realPath).catch(() => undefined)
  if (real === undefined || !sameFile(real, st)) throw changedWhileOpening(path, realPath, `${realPath} is now ${real === undefined ? 'gone' : 'another file'}`)
  if (resolvePath(path) !== realPath) {
    const given = await fsp.stat(path).catch(() => undefined)
    if (given === undefined || !sameFile(given, st)) throw changedWhileOpening(path, realPath, `${path} now names ${given === undefined ? 'no file' : 'another file'}`)
  }
}

/**
 * Locks `path` (shared when !write, exclusive when write) waiting at most timeoutSec
 * (0 = a single attempt, Infinity = forever). Throws NotFoundError / RecoverError(4) from
 * the pre-check, LockedError (exit 3) when held elsewhere. Hold the returned lock for the
 * whole time the file is read or written, and release it in a finally block.
 */
export async function lockDataFile(
  path: string,
  opts: {write: boolean; timeoutSec: number; /** tests: override filesystem detection */ machineWideFlock?: boolean},
): Promise<DataFileLock> {
  const {realPath} = await assertOpenableDataFile(path, {write: opts.write})
  const timeoutMs = opts.timeoutSec * 1000
  if (Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RecoverError(`invalid lock timeout: ${opts.timeoutSec} s`, ExitCode.USAGE)
  }
  const deadline = monotonicMs() + timeoutMs

  let fh: FileHandle
  try {
    fh = await openLockFd(path, realPath, opts.write)
  } catch (err) {
    if (err instanceof RecoverError) throw err
    // Raced with a delete/chmod after the pre-check: report it the same way.
    await assertOpenableDataFile(path, {write: opts.write})
    throw new RecoverError(`cannot open ${describeDataPath(path, realPath)}: ${message(err)}`)
  }

  let unlockFile: (() => Promise<void>) | undefined
  let compromised: Error | undefined
  let stat: Stats
  try {
    await flockWithTimeout(fh.fd, opts.write ? 'exclusive' : 'shared', timeoutMs, describeDataPath(path, realPath))
    stat = await fh.stat()
    await assertSameIdentity(path, realPath, stat)
    if (opts.write) {
      const reclaim = opts.machineWideFlock ?? (await flockIsMachineWide(realPath))
      unlockFile = await acquireLockfile(path, realPath, deadline, reclaim, (err) => {
        compromised = err
      })
    }
  } catch (err) {
    // Closing the fd drops the flock too; never leave a half-taken lock behind.
    await fh.close().catch(() => {})
    throw err
  }

  let released: Promise<void> | undefined
  const doRelease = async (): Promise<void> => {
    let firstError: unknown
    if (unlockFile) {
      // After a compromise the directory is no longer ours: unlocking it would fail (or
      // remove someone else's lock), so only the flock side is undone then.
      if (!compromised) await unlockFile().catch((err: unknown) => (firstError ??= err))
    }
    await flockRelease(fh.fd).catch((err: unknown) => (firstError ??= err))
    await fh.close().catch((err: unknown) => (firstError ??= err))
    if (firstError !== undefined) throw new RecoverError(`cannot release lock on ${path}: ${message(firstError)}`)
  }

  return {
    path,
    realPath,
    fd: fh.fd,
    stat,
    release: () => (released ??= doRelease()),
    assertHeld: () => {
      if (compromised) {
        throw new LockedError(
          `lost the lock on ${path}: ${compromised.message}`,
          'another influx-recover run may be modifying the file; do not trust this run\'s result',
        )
      }
    },
  }
}
