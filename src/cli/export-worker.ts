/**
 * The program of hash-upgrade's export thread (cli/export-thread.ts), built
 * alone into dist/export-worker.cjs. It reads the data file through the
 * descriptor the command locked (positioned reads only, no lock of its own),
 * builds and renders the export as `auth export` does, says which tokens it
 * holds, and parses the rendered bytes back and compares them with what it
 * read; told to, it writes those bytes into the new file the command opened,
 * fsyncs it and reads it back to see that it holds exactly them. It never opens,
 * closes or removes a file: the command owns both descriptors.
 *
 * Messages out: {kind: 'tokens', count, digest}, then {kind: 'checked',
 * problems}; or {kind: 'error', message, exitCode, hint} at any step, after
 * which it waits to be stopped (the command always stops it). Message in:
 * {exportFd, exportPath}.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {DB} from '../bbolt/index.js'
import type {HashVariant} from '../influxd/hashing.js'
import {RecoverError} from '../errors.js'
import {collectExport, exportedTokensDigest, provenBytesCheck, renderExportBytes, writeAndCheck, type ExportFormat} from '../recovery/export.js'
import {SideFile} from '../platform/side-file.js'

/** What the command gives the thread (workerData). */
export interface ExportWorkerData {
  dataFd: number
  /** the data file's path, for messages only */
  dataPath: string
  /** the transaction the command's plan read: the thread refuses any other state */
  txid: number
  format: ExportFormat
  variant: HashVariant
}

export type ExportWorkerMessage =
  | {kind: 'tokens'; count: number; digest: string}
  | {kind: 'checked'; problems: string[]}
  | {kind: 'error'; message: string; exitCode?: number; hint?: string}

function errorMessage(err: unknown): ExportWorkerMessage {
  if (err instanceof RecoverError) return {kind: 'error', message: err.message, exitCode: err.exitCode, ...(err.hint !== undefined ? {hint: err.hint} : {})}
  return {kind: 'error', message: err instanceof Error ? err.message : String(err)}
}

function main(port: NonNullable<typeof parentPort>, data: ExportWorkerData): void {
  let next: (file: SideFile) => string[]
  try {
    const db = DB.open(data.dataPath, {fd: data.dataFd, readOnly: true})
    let doc
    try {
      doc = db.view((tx) => {
        if (tx.id !== data.txid) throw new Error(`the file is at txid ${tx.id}, the plan read txid ${data.txid}`)
        return collectExport(tx, data.variant)
      })
    } finally {
      db.close()
    }
    // test hook: a thread that read one token fewer than the plan (the command must refuse)
    if (hook('export-thread-drop-token')) doc.exported.pop()
    const bytes = renderExportBytes(doc, data.format)
    port.postMessage({kind: 'tokens', count: doc.exported.length, digest: exportedTokensDigest(doc.exported)} satisfies ExportWorkerMessage)
    // While the command finishes its plan: the bytes parsed and compared with
    // the document this thread read (the command compares its tokens with
    // its plan's); once written, the file need only hold these bytes.
    const checkFile = provenBytesCheck(bytes, data.format, doc)
    const check = (file: SideFile): string[] => {
      // test hook: written and fsynced, not yet checked, for a while (a signal's moment)
      if (hook('export-thread-slow')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)
      return checkFile(file)
    }
    next = (file) => {
      // test hook: the thread dies halfway through writing the export
      if (hook('export-thread-dies-writing')) {
        file.write(Buffer.from('variant: sha256\nexported:\n'), 0)
        throw new Error('export thread died writing (test hook)')
      }
      return writeAndCheck(file, bytes, check)
    }
  } catch (err) {
    finish(port, errorMessage(err))
    return
  }
  port.once('message', (m: {exportFd: number; exportPath: string}) => {
    let answer: ExportWorkerMessage
    try {
      // created by the command (exclusively, 0600): this thread only writes and reads it through the descriptor
      answer = {kind: 'checked', problems: next(new SideFile(m.exportFd, m.exportPath, 'export', true))}
    } catch (err) {
      answer = errorMessage(err)
    }
    finish(port, answer)
  })
}

/**
 * Posts the thread's last message, then stays until the command stops it:
 * a thread that ended by itself could have its end reach the command before
 * its answer.
 */
function finish(port: NonNullable<typeof parentPort>, answer: ExportWorkerMessage): void {
  port.postMessage(answer)
  port.on('message', () => undefined)
}

function hook(name: string): boolean {
  return (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(name)
}

if (parentPort !== null) main(parentPort, workerData as ExportWorkerData)
