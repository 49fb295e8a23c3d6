// The meta.db (v1_tsm1_metadata) of a real fixture, as influxd wrote it.
import {DB} from '../../src/bbolt/index.js'
import {METADATA_BUCKET, METADATA_KEY} from '../../src/influxd/metadata.js'
import {fixture} from './oracle.js'

export function metaOf(name: string): Buffer {
  const db = DB.open(fixture(name), {readOnly: true})
  try {
    return db.view((tx) => Buffer.from(tx.bucket(Buffer.from(METADATA_BUCKET))!.get(Buffer.from(METADATA_KEY))!))
  } finally {
    db.close()
  }
}
