/**
 * A one-line description of a candidate influxd.bolt for `locate`: its schema
 * level and txid, read under a shared lock that is tried once. A file a
 * running influxd holds is not read at all.
 */
import {DB} from '../bbolt/index.js'
import {LockedError} from '../errors.js'
import {detectSchema} from '../influxd/schema.js'
import {assertOpenableDataFile} from '../platform/file-check.js'
import {lockDataFile} from '../platform/lock.js'

export async function describeInfluxdFile(path: string): Promise<string> {
  try {
    await assertOpenableDataFile(path, {write: false})
    const lock = await lockDataFile(path, {write: false, timeoutSec: 0})
    try {
      const db = DB.open(path, {fd: lock.fd, readOnly: true})
      try {
        const schema = db.view((tx) => detectSchema(tx))
        const level = schema.level === 'unknown' ? 'unknown schema' : `${schema.influxdRange} (migration ${schema.highestFinished})`
        return `${level}${schema.problems.length ? `, ${schema.problems.length} schema problem(s)` : ''}, txid ${db.meta().txid}`
      } finally {
        db.close()
      }
    } finally {
      await lock.release()
    }
  } catch (err) {
    // a table cell: the LOCKED column says who holds it, the path is in its own column
    if (err instanceof LockedError) return 'not read (in use)'
    return `not read: ${err instanceof Error ? err.message : String(err)}`
  }
}
