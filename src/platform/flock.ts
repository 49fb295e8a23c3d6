/**
 * The lock influxd (bbolt) takes on its data file, taken on a file descriptor
 * through the fs-ext-extra-prebuilt native addon.
 *
 * Why not a lock file or fcntl: influxd (bbolt) holds this lock on influxd.bolt
 * for as long as it runs (spec §8), and only the same kind of lock on the same
 * range sees it. The kernel drops it when the process dies, so a crash can
 * never leave it behind.
 *  - Linux, macOS and the other Unixes: flock(2), LOCK_SH or LOCK_EX, with
 *    LOCK_NB (bbolt_unix.go). POSIX fcntl locks live in another table on Linux
 *    and would not exclude bbolt.
 *  - Windows: LockFileEx on the one byte at offset 2^64-1, shared or
 *    LOCKFILE_EXCLUSIVE_LOCK, with LOCKFILE_FAIL_IMMEDIATELY (bbolt_windows.go
 *    in bbolt 1.3.6). The addon's own flock() emulation locks bytes
 *    0..0xffff0000 instead, which bbolt would not see (and which, Windows locks
 *    being mandatory, would block reading the file), so it is not used there.
 *    Not yet tested on Windows.
 *
 * The addon ships prebuilt binaries for linux, darwin and win32 on x64 and
 * arm64, so installing needs no compiler. It is loaded on the first lock, not
 * at start-up: when it cannot load (another platform, no source build), only
 * the commands that lock a file fail, with one line saying what to install.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {ExitCode, LockedError, RecoverError} from '../errors.js'

export type FlockMode = 'shared' | 'exclusive'

/** The part of fs-ext-extra-prebuilt this module uses. */
interface LockAddon {
  flock(fd: number, flags: 'shnb' | 'exnb' | 'un', callback: (err: NodeJS.ErrnoException | null) => void): void
  lockFileEx(fd: number, flags: number, offsetLow: number, offsetHigh: number, lengthLow: number, lengthHigh: number, callback: (err: NodeJS.ErrnoException | null) => void): void
  unlockFileEx(fd: number, offsetLow: number, offsetHigh: number, lengthLow: number, lengthHigh: number, callback: (err: NodeJS.ErrnoException | null) => void): void
  constants: {LOCKFILE_EXCLUSIVE_LOCK: number; LOCKFILE_FAIL_IMMEDIATELY: number}
}

/** Same cadence as bbolt's own retry loop. */
const RETRY_INTERVAL_MS = 50

/** bbolt's lock range on Windows: one byte at offset 2^64-1 (both 32-bit halves all ones). */
const WINDOWS_LOCK_OFFSET = 0xffff_ffff
const WINDOWS_LOCK_LENGTH = 1

/** The addon cannot be loaded: no lock can be taken on this machine. */
export class LockAddonError extends RecoverError {
  constructor(reason: string) {
    super(
      `cannot lock files here: the lock addon fs-ext-extra-prebuilt does not load on ${process.platform}-${process.arch} with Node ${process.version} (${reason}); ` +
        'to build it for this machine, install python3, make and a C++ compiler, then run: npm rebuild -g influx-recover',
      ExitCode.ERROR,
    )
    this.name = 'LockAddonError'
  }
}

let addon: Promise<LockAddon> | undefined

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return (msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim()
}

/** The addon, loaded once on first use; rejects with LockAddonError. */
export function lockAddon(): Promise<LockAddon> {
  addon ??= (async () => {
    try {
      // test hook: the addon fails to load as on a platform without a binary (its own message)
      if ((process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes('lock-addon-fails')) {
        throw new Error('Failed to load fs-ext native module. No prebuilt binary found (injected by INFLUX_RECOVER_TEST_HOOKS)')
      }
      const mod = (await import('fs-ext-extra-prebuilt')) as unknown as {default?: LockAddon} & LockAddon
      return mod.default ?? mod
    } catch (err) {
      const code = (err as {code?: unknown}).code
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new LockAddonError('it is not installed')
      const reason = firstLine(err)
      // the addon's own message when neither a prebuilt binary nor a local build loads
      throw new LockAddonError(reason.startsWith('Failed to load fs-ext native module') ? 'no prebuilt binary fits, and none was built here' : reason)
    }
  })()
  return addon
}

function call(fn: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())))
}

/**
 * A monotonic clock in milliseconds for lock deadlines. process.hrtime, not
 * the `performance` global: touching that loads node:perf_hooks (a dozen
 * modules) on every run that locks.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/** One non-blocking attempt to take the lock, or the release. */
async function lockOnce(fd: number, op: FlockMode | 'unlock'): Promise<void> {
  const a = await lockAddon()
  if (process.platform === 'win32') {
    if (op === 'unlock') {
      await call((cb) => a.unlockFileEx(fd, WINDOWS_LOCK_OFFSET, WINDOWS_LOCK_OFFSET, WINDOWS_LOCK_LENGTH, 0, cb))
      return
    }
    const flags = a.constants.LOCKFILE_FAIL_IMMEDIATELY | (op === 'exclusive' ? a.constants.LOCKFILE_EXCLUSIVE_LOCK : 0)
    await call((cb) => a.lockFileEx(fd, flags, WINDOWS_LOCK_OFFSET, WINDOWS_LOCK_OFFSET, WINDOWS_LOCK_LENGTH, 0, cb))
    return
  }
  await call((cb) => a.flock(fd, op === 'unlock' ? 'un' : op === 'shared' ? 'shnb' : 'exnb', cb))
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

export function lockedByOtherProcess(path: string): LockedError {
  return new LockedError(
    `${path} is in use (locked by another process, most likely a running influxd); stop influxd first`,
    'stop influxd (e.g. systemctl stop influxdb, or stop its container), then run this command again; --lock-timeout SECONDS waits longer for the lock',
  )
}

/**
 * Takes the lock (mode) on fd without ever blocking the event loop or a thread for long:
 * non-blocking attempts every 50 ms until timeoutMs has elapsed. At least one attempt
 * is made even with timeoutMs = 0; Infinity waits forever (like bbolt's Timeout = 0).
 * `path` is only used in error messages.
 */
export async function flockWithTimeout(fd: number, mode: FlockMode, timeoutMs: number, path: string): Promise<void> {
  if (Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RecoverError(`invalid lock timeout: ${timeoutMs} ms`, ExitCode.USAGE)
  }
  const start = monotonicMs()
  for (;;) {
    try {
      await lockOnce(fd, mode)
      return
    } catch (err) {
      if (err instanceof LockAddonError) throw err
      const code = errnoCode(err)
      // EINTR: interrupted by a signal, just try again like a held lock.
      if (code !== 'EWOULDBLOCK' && code !== 'EAGAIN' && code !== 'EINTR') {
        const msg = err instanceof Error ? err.message : String(err)
        throw new RecoverError(`cannot lock ${path}: ${msg}`, ExitCode.ERROR)
      }
    }
    const remaining = timeoutMs - (monotonicMs() - start)
    if (remaining <= 0) throw lockedByOtherProcess(path)
    // Sleep at most until the deadline so the last attempt lands right at it.
    await sleep(Math.min(RETRY_INTERVAL_MS, remaining))
  }
}

/** Releases the lock. Closing the fd releases it as well; this makes the release explicit and early. */
export async function flockRelease(fd: number): Promise<void> {
  await lockOnce(fd, 'unlock')
}
