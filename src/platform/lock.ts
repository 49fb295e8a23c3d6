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
 * Invariant: a run takes the flock before the directory and drops it after, so on a
 * local filesystem (where flock excludes every process on the machine) whoever holds
 * the exclusive flock and still finds the directory is looking at the leftover of a
 * killed run, and removes it at once instead of waiting for it to go stale.
 */
import {constants as fsConstants, promises as fsp} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import lockfile from 'proper-lockfile'

import {ExitCode, LockedError, RecoverError} from '../errors.js'
import {assertOpenableDataFile} from './file-check.js'
import {flockRelease, flockWithTimeout} from './flock.js'

export interface DataFileLock {
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

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function busyWithOtherRun(path: string): LockedError {
  return new LockedError(
    `${path} is being modified by another influx-recover run`,
    `wait for it to finish; if no other run exists (one was killed on another host), its lock directory goes stale ${LOCKFILE_STALE_MS / 1000} s later`,
  )
}

/**
 * Takes the lock-file layer, retrying until `deadline` (performance.now() based;
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
  let reclaimed = false
  for (;;) {
    try {
      return await lockfile.lock(realPath, {
        stale: LOCKFILE_STALE_MS,
        update: LOCKFILE_UPDATE_MS,
        retries: 0,
        realpath: false, // realPath is already canonical
        lockfilePath: lockfilePathFor(realPath),
        // The default throws from a timer, i.e. crashes mid-write; we record it instead.
        onCompromised,
      })
    } catch (err) {
      if (errnoCode(err) !== 'ELOCKED') {
        throw new RecoverError(`cannot create lock ${lockfilePathFor(realPath)}: ${message(err)}`, ExitCode.ERROR)
      }
      // We hold the exclusive flock, so no live run holds this directory (see the header).
      // rmdir removes only an empty directory: a file squatting on the name stays a lock.
      if (reclaimLeftover && !reclaimed) {
        reclaimed = true
        if (await fsp.rmdir(lockfilePathFor(realPath)).then(() => true, () => false)) continue
      }
    }
    const remaining = deadline - performance.now()
    if (remaining <= 0) throw busyWithOtherRun(path)
    await sleep(Math.min(RETRY_INTERVAL_MS, remaining))
  }
}

/**
 * Opens the lock fd: read-only (enough for flock, and never O_CREAT so a missing file
 * is never created), O_NONBLOCK so a path swapped for a FIFO after the pre-check cannot
 * hang us. Node adds O_CLOEXEC, so spawned children never inherit the lock.
 */
async function openLockFd(path: string): Promise<FileHandle> {
  const fh = await fsp.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY)
  try {
    const st = await fh.stat()
    if (!st.isFile()) {
      throw new RecoverError(`${path} changed while being opened and is no longer a regular file`, ExitCode.CORRUPT)
    }
  } catch (err) {
    await fh.close()
    throw err
  }
  return fh
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
  const deadline = performance.now() + timeoutMs

  let fh: FileHandle
  try {
    fh = await openLockFd(path)
  } catch (err) {
    if (err instanceof RecoverError) throw err
    // Raced with a delete/chmod after the pre-check: report it the same way.
    await assertOpenableDataFile(path, {write: opts.write})
    throw new RecoverError(`cannot open ${path}: ${message(err)}`)
  }

  let unlockFile: (() => Promise<void>) | undefined
  let compromised: Error | undefined
  try {
    await flockWithTimeout(fh.fd, opts.write ? 'exclusive' : 'shared', timeoutMs, path)
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
