/**
 * Compaction: copies every bucket (recursively, sequences included) and every
 * key from a read transaction into a brand-new file written in one
 * transaction, so the result has no free pages and densely packed trees.
 * Engine-level: knows nothing of InfluxDB.
 */
import type {Bucket} from './bucket.js'
import {DB, type CreateOptions} from './db.js'
import {BoltError} from './errors.js'
import type {Tx} from './tx.js'

export interface CopySummary {
  buckets: number
  keys: number
}

/** Copies the contents of `src` into `dst` (both buckets; dst normally empty). */
export function copyBucket(src: Bucket, dst: Bucket, summary: CopySummary = {buckets: 0, keys: 0}): CopySummary {
  const c = src.cursor()
  for (let e = c.first(); e !== null; e = c.next()) {
    if (e.value === null) {
      const from = src.bucket(e.key)
      if (from === undefined) throw new BoltError('corrupt', `bucket entry ${e.key.toString('hex')} cannot be opened`)
      const to = dst.createBucket(e.key)
      if (from.sequence !== 0n) to.setSequence(from.sequence)
      summary.buckets++
      copyBucket(from, to, summary)
    } else {
      dst.put(e.key, e.value)
      summary.keys++
    }
  }
  return summary
}

/** Copies everything `tx` sees into a new file at `out` (refuses to overwrite). Returns the new DB, open. */
export function compactTo(tx: Tx, out: string, options: CreateOptions = {}): {db: DB; summary: CopySummary} {
  let summary: CopySummary = {buckets: 0, keys: 0}
  const db = DB.build(out, (dst) => {
    summary = copyBucket(tx.root, dst.root)
  }, {pageSize: options.pageSize ?? tx.pageSize, mode: options.mode})
  return {db, summary}
}
