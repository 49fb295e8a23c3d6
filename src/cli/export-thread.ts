/**
 * hash-upgrade's export on a second thread. Building, rendering, writing and
 * reading back the export of 100,000 tokens costs about as much as the plan
 * itself; none of it needs the plan, and the file cannot change while the
 * command holds its lock. So the thread reads the data file and renders the
 * export while this thread checks and plans, and writes and checks it while
 * this one builds the write transaction; the commit waits for its verdict.
 *
 * The command keeps every decision: the thread writes nothing until it is
 * handed the export file, which the command creates (exclusively, 0600) after
 * the plan, the audit log's checks and the confirmation, exactly when the
 * export would otherwise be written; the command compares the thread's
 * tokens with its plan's, and discards or keeps the file. The program is
 * cli/export-worker.ts, bundled alone as dist/export-worker.cjs.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {Worker} from 'node:worker_threads'

import {ExitCode, RecoverError} from '../errors.js'
import type {SideFile} from '../platform/side-file.js'
import type {ExportWorkerData, ExportWorkerMessage} from './export-worker.js'

// the bundle is CommonJS (its directory is dist/); under tsx or vitest there is no worker file
declare const __dirname: string | undefined

/** The thread's program: beside the bundle. */
function workerFile(): string | undefined {
  if (typeof __dirname !== 'string') return undefined
  const file = path.join(__dirname, 'export-worker.cjs')
  return fs.existsSync(file) ? file : undefined
}

export interface ExportThread {
  /** the tokens the export holds: how many, and exportedTokensDigest of them */
  readonly tokens: Promise<{count: number; digest: string}>
  /**
   * Hands the thread the new export file (created by the caller, who keeps
   * it): it writes, fsyncs and checks it. Resolves to the check's problems;
   * rejects (a RecoverError) when it cannot write.
   */
  write(file: SideFile): Promise<string[]>
  /** Stops the thread if it still runs (never rejects); the caller then discards a file it was writing. */
  cancel(): Promise<void>
}

/**
 * Starts the thread, or returns undefined when there is none to be had (no
 * worker program: the sources run under tsx; no thread: resource limits);
 * the caller then exports on this thread. INFLUX_RECOVER_TEST_HOOKS:
 * export-thread-off (no thread), export-thread-fails (a thread that dies).
 */
export function startExportThread(data: ExportWorkerData): ExportThread | undefined {
  const hooks = (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',')
  if (hooks.includes('export-thread-off')) return undefined
  const file = workerFile()
  if (file === undefined) return undefined
  let worker: Worker
  try {
    worker = hooks.includes('export-thread-fails')
      ? new Worker("throw new Error('export thread failure (test hook)')", {eval: true})
      : new Worker(file, {workerData: data})
  } catch {
    return undefined
  }
  return threadOf(worker)
}

function threadOf(worker: Worker): ExportThread {
  let stopped = false
  /** the step waiting for the thread's next message */
  let waiting: {resolve: (m: ExportWorkerMessage) => void; reject: (err: Error) => void} | undefined
  const inbox: ExportWorkerMessage[] = []
  let failure: Error | undefined
  const fail = (err: Error): void => {
    failure ??= err
    waiting?.reject(failure)
    waiting = undefined
  }
  worker.on('message', (m: ExportWorkerMessage) => {
    if (waiting === undefined) inbox.push(m)
    else {
      waiting.resolve(m)
      waiting = undefined
    }
  })
  worker.once('error', (err) => fail(new RecoverError(`the export thread stopped: ${err.message}; nothing was written to the data file`, ExitCode.ERROR)))
  worker.once('exit', (code) => {
    stopped = true
    fail(new RecoverError(`the export thread stopped (exit ${code}) before it finished; nothing was written to the data file`, ExitCode.ERROR))
  })
  const next = (): Promise<ExportWorkerMessage> => {
    const m = inbox.shift()
    if (m !== undefined) return Promise.resolve(m)
    if (failure !== undefined) return Promise.reject(failure)
    return new Promise((resolve, reject) => {
      waiting = {resolve, reject}
    })
  }
  const unwrap = (m: ExportWorkerMessage): ExportWorkerMessage => {
    if (m.kind === 'error') throw new RecoverError(m.message, (m.exitCode as ExitCode | undefined) ?? ExitCode.ERROR, m.hint)
    return m
  }
  const tokens = next().then((m) => {
    const t = unwrap(m)
    if (t.kind !== 'tokens') throw new Error(`export thread: unexpected message ${t.kind}`)
    return {count: t.count, digest: t.digest}
  })
  tokens.catch(() => undefined) // seen by whoever awaits it
  return {
    tokens,
    write: async (file) => {
      await tokens
      worker.postMessage({exportFd: file.fd, exportPath: file.path})
      const m = unwrap(await next())
      if (m.kind !== 'checked') throw new Error(`export thread: unexpected message ${m.kind}`)
      return m.problems
    },
    cancel: async () => {
      if (!stopped) await worker.terminate().catch(() => undefined)
    },
  }
}
