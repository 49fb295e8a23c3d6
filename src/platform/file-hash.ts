/**
 * The SHA-256 of a whole open file, for the audit line's before and after
 * (platform/audit.ts). Hashing a large file costs a fraction of a second of
 * CPU per 100 MB; a write needs it twice while it checks, plans and verifies
 * on the main thread, so a large file is hashed on a worker thread meanwhile
 * (startFileSha256). The worker reads through the same descriptor with
 * positioned reads: it never moves the file offset and holds no lock of its
 * own; the caller guarantees the file does not change until the hash is in.
 */
import {createHash, type Hash} from 'node:crypto'
import * as fs from 'node:fs'
import {Worker} from 'node:worker_threads'

/** Below this, starting a thread costs more than it hides: hashed on the spot. */
export const WORKER_HASH_MIN_BYTES = 32 << 20

const CHUNK_BYTES = 1 << 20

/**
 * The SHA-256 (hex) of an open file from offset 0 to its end, by positioned
 * reads. Self-contained (it uses only its arguments and Buffer): its source
 * text is also the worker thread's program (workerSource), so both hash alike.
 */
function sha256OfOpenFile(fd: number, readSync: typeof fs.readSync, hash: Hash, chunkBytes: number): string {
  const buf = Buffer.allocUnsafe(chunkBytes)
  for (let pos = 0; ; ) {
    const n = readSync(fd, buf, 0, chunkBytes, pos)
    if (n === 0) break
    hash.update(buf.subarray(0, n))
    pos += n
  }
  return hash.digest('hex')
}

/** The SHA-256 (hex) of a file (a path or an open descriptor, read from offset 0 to its end). */
export function fileSha256(file: string | number): string {
  const fd = typeof file === 'number' ? file : fs.openSync(file, 'r')
  try {
    return sha256OfOpenFile(fd, fs.readSync, createHash('sha256'), CHUNK_BYTES)
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd)
  }
}

/** A hash being computed. */
export interface FileHashJob {
  /** the hex digest, or the error that stopped it */
  readonly result: Promise<string>
  /** stops a worker still running (the result then rejects); for a caller that no longer needs it */
  cancel(): Promise<void>
  /** whether it runs on a worker thread (false: computed when started) */
  readonly threaded: boolean
}

/**
 * The worker's whole program: sha256OfOpenFile on the descriptor it is given
 * (made when a thread starts, not at load); a deferred one first waits for a
 * message saying the file is ready.
 */
const workerSource = (): string => `
const {parentPort, workerData} = require('node:worker_threads')
const sha256OfOpenFile = ${sha256OfOpenFile.toString()}
const run = () => parentPort.postMessage(sha256OfOpenFile(workerData.fd, require('node:fs').readSync, require('node:crypto').createHash('sha256'), ${CHUNK_BYTES}))
if (workerData.deferred) parentPort.once('message', run)
else run()
`

/**
 * Starts hashing an open file: on a worker thread when it is at least
 * WORKER_HASH_MIN_BYTES (or `threaded` says so), else at once on this one.
 * The file must not change until `result` settles or `cancel()` returns.
 */
export function startFileSha256(fd: number, opts: {threaded?: boolean} = {}): FileHashJob {
  return spawnFileSha256(fd, opts.threaded, false)
}

/** A hash whose thread is started ahead (its start-up is ~60 ms) and told when to begin. */
export interface DeferredFileHash extends FileHashJob {
  /** begins hashing the file as it is now; the file must not change until `result` settles */
  go(): void
}

/**
 * startFileSha256, with the thread started now and the hashing when go() is
 * called: for a file about to change once more before its hash is wanted.
 */
export function prepareFileSha256(fd: number, opts: {threaded?: boolean} = {}): DeferredFileHash {
  return spawnFileSha256(fd, opts.threaded, true)
}

function spawnFileSha256(fd: number, threadedOpt: boolean | undefined, deferred: boolean): DeferredFileHash {
  // INFLUX_RECOVER_TEST_HOOKS=hash-thread: every file on a thread (tests use small files);
  // hash-thread-fails: the thread throws instead of answering
  const hooks = (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',')
  const fails = hooks.includes('hash-thread-fails')
  const threaded = threadedOpt ?? (hooks.includes('hash-thread') || fails || fs.fstatSync(fd).size >= WORKER_HASH_MIN_BYTES)
  let worker: Worker | undefined
  if (threaded) {
    try {
      worker = new Worker(fails ? "throw new Error('hash thread failure (test hook)')" : workerSource(), {eval: true, workerData: {fd, deferred}})
    } catch {
      // no thread to be had (resource limits): hashed here instead
    }
  }
  if (worker === undefined) {
    let resolveHere: (hex: string) => void = () => undefined
    let rejectHere: (err: unknown) => void = () => undefined
    const result = new Promise<string>((resolve, reject) => {
      resolveHere = resolve
      rejectHere = reject
    })
    result.catch(() => undefined) // seen by whoever awaits it
    let begun = false
    const go = (): void => {
      if (begun) return
      begun = true
      try {
        resolveHere(fileSha256(fd))
      } catch (err) {
        rejectHere(err)
      }
    }
    if (!deferred) go()
    return {result, cancel: async () => undefined, threaded: false, go}
  }
  const started = worker
  let settled = false
  const result = new Promise<string>((resolve, reject) => {
    started.once('message', (hex: unknown) => {
      settled = true
      resolve(String(hex))
    })
    started.once('error', (err) => {
      settled = true
      reject(err)
    })
    started.once('exit', (code) => {
      if (settled) return
      settled = true
      reject(new Error(`the file hash thread stopped (exit ${code}) before it finished`))
    })
  })
  result.catch(() => undefined) // a cancelled or failed job rejects whether or not anyone awaits it
  let told = !deferred
  return {
    result,
    threaded: true,
    go: () => {
      if (told || settled) return
      told = true
      started.postMessage('go')
    },
    cancel: async () => {
      if (!settled) await started.terminate()
    },
  }
}
