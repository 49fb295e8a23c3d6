/**
 * Real flock(2) on a file descriptor, via the fs-ext native addon.
 *
 * Why flock and not a lock file or fcntl: influxd (bbolt) takes flock(LOCK_EX)
 * on influxd.bolt for as long as it runs (spec §8). Only flock sees that lock;
 * POSIX fcntl locks live in a different table on Linux and lock-file libraries
 * are invisible to bbolt. flock belongs to the open file description, so it is
 * dropped by the kernel when the process dies: a crash can never leave it behind.
 */
import {createRequire} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

// fs-ext is CommonJS: loaded with require, which skips the export scan (and its
// WebAssembly start-up) an ESM import of a CommonJS module costs. `guard run`
// starts before every influxd start and feels every millisecond of that.
const fsExt = createRequire(import.meta.url)('fs-ext') as typeof import('fs-ext')

import {ExitCode, LockedError, RecoverError} from '../errors.js'

export type FlockMode = 'shared' | 'exclusive'

/** Same cadence as bbolt's own retry loop. */
const RETRY_INTERVAL_MS = 50

function flockAsync(fd: number, flags: 'shnb' | 'exnb' | 'un'): Promise<void> {
  return new Promise((resolve, reject) => {
    fsExt.flock(fd, flags, (err) => (err ? reject(err) : resolve()))
  })
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
 * Takes flock(mode) on fd without ever blocking the event loop or a thread for long:
 * non-blocking attempts every 50 ms until timeoutMs has elapsed. At least one attempt
 * is made even with timeoutMs = 0; Infinity waits forever (like bbolt's Timeout = 0).
 * `path` is only used in error messages.
 */
export async function flockWithTimeout(fd: number, mode: FlockMode, timeoutMs: number, path: string): Promise<void> {
  if (Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RecoverError(`invalid lock timeout: ${timeoutMs} ms`, ExitCode.USAGE)
  }
  const flags = mode === 'shared' ? 'shnb' : 'exnb'
  const start = performance.now()
  for (;;) {
    try {
      await flockAsync(fd, flags)
      return
    } catch (err) {
      const code = errnoCode(err)
      // EINTR: interrupted by a signal, just try again like a held lock.
      if (code !== 'EWOULDBLOCK' && code !== 'EAGAIN' && code !== 'EINTR') {
        const msg = err instanceof Error ? err.message : String(err)
        throw new RecoverError(`cannot lock ${path}: ${msg}`, ExitCode.ERROR)
      }
    }
    const remaining = timeoutMs - (performance.now() - start)
    if (remaining <= 0) throw lockedByOtherProcess(path)
    // Sleep at most until the deadline so the last attempt lands right at it.
    await sleep(Math.min(RETRY_INTERVAL_MS, remaining))
  }
}

/** LOCK_UN. Closing the fd releases the lock as well; this makes the release explicit and early. */
export async function flockRelease(fd: number): Promise<void> {
  await flockAsync(fd, 'un')
}
