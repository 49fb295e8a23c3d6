/**
 * Opening a data file for one command: pre-check the path (never create a
 * missing file, never hang on a FIFO), take the lock influxd would conflict
 * with (shared to read, exclusive to write), open the engine, run, and always
 * close and release — also when the command fails.
 */
import {DB} from '../bbolt/db.js'
import type {DataFileLock} from '../platform/lock.js'
import {lockDataFile} from '../platform/lock.js'
import {assertOpenableDataFile} from '../platform/file-check.js'

export interface DataFileContext {
  path: string
  /** canonical path (symlinks resolved) */
  realPath: string
  db: DB
  lock: DataFileLock
  write: boolean
}

export interface DataFileOptions {
  write: boolean
  /** seconds to wait for the lock; 0 = one attempt */
  timeoutSec: number
  /**
   * bytes of pages the engine may cache (its default otherwise): commands
   * that read every record once in key order gain nothing from a large cache
   * and keep their memory flat with a small one
   */
  cacheBytes?: number
}

/** The page cache for one ordered pass over the file (plus the hot branch pages of a few lookups). */
export const SCAN_CACHE_BYTES = 2 << 20

export async function withDataFile<T>(path: string, opts: DataFileOptions, fn: (ctx: DataFileContext) => Promise<T> | T): Promise<T> {
  const {realPath} = await assertOpenableDataFile(path, {write: opts.write})
  const lock = await lockDataFile(path, {write: opts.write, timeoutSec: opts.timeoutSec})
  let db: DB | undefined
  let failed = false
  try {
    db = DB.open(path, {readOnly: !opts.write, ...(opts.cacheBytes !== undefined ? {cacheBytes: opts.cacheBytes} : {})})
    return await fn({path, realPath, db, lock, write: opts.write})
  } catch (err) {
    failed = true
    throw err
  } finally {
    try {
      db?.close()
    } finally {
      // A release error must not hide the command's own error.
      await lock.release().catch((err: unknown) => {
        if (!failed) throw err
      })
    }
  }
}
