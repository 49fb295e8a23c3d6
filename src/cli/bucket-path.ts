/**
 * Bucket paths on the command line: names joined by '/'. A name may itself
 * contain '/' (influxd has a top-level bucket "templates/documents/content"),
 * so paths are resolved greedily against the file: at each level the longest
 * run of remaining segments that names an existing bucket wins. With
 * --encoding hex or base64 each candidate is decoded first (base64 may contain
 * '/' itself; the same greedy rule covers it).
 */
import {describePath, type Bucket} from '../bbolt/bucket.js'
import {BoltError} from '../bbolt/errors.js'
import {decodeString, EncodingError, type Encoding} from '../bbolt/encoding.js'
import type {Tx} from '../bbolt/tx.js'
import {NotFoundError, UsageError} from '../errors.js'

export interface ResolvedBucket {
  path: Buffer[]
  bucket: Bucket
}

export function resolveBucketPath(tx: Tx, spec: string, enc: Encoding, flag = '--bucket'): ResolvedBucket {
  if (spec === '') throw new UsageError(`${flag} cannot be empty`)
  const segs = spec.split('/')
  const path: Buffer[] = []
  let cur: Bucket = tx.root
  let i = 0
  while (i < segs.length) {
    let found = false
    let decodedAny = false
    let decodeError: string | undefined
    for (let j = segs.length; j > i; j--) {
      const candidate = segs.slice(i, j).join('/')
      let name: Buffer
      try {
        name = decodeString(candidate, enc)
      } catch (err) {
        if (err instanceof EncodingError) {
          decodeError ??= err.message
          continue
        }
        throw err
      }
      decodedAny = true
      if (name.length === 0) continue
      const b = cur.bucket(name)
      if (b !== undefined) {
        path.push(name)
        cur = b
        i = j
        found = true
        break
      }
    }
    if (!found) {
      if (!decodedAny && decodeError !== undefined) throw new UsageError(`${flag} ${JSON.stringify(spec)}: ${decodeError}`)
      const rest = segs.slice(i).join('/')
      const within = path.length > 0 ? ` inside bucket ${describePath(path)}` : ''
      throw new NotFoundError(`bucket ${JSON.stringify(spec)} not found (no bucket ${JSON.stringify(rest)}${within})`, 'list the buckets with "influx-recover bolt buckets FILE"')
    }
  }
  return {path, bucket: cur}
}

/** Decodes a --key style value; a malformed one is a usage error. */
export function decodeArg(value: string, enc: Encoding, flag: string): Buffer {
  try {
    const b = decodeString(value, enc)
    if (b.length === 0) throw new UsageError(`${flag} cannot be empty`)
    return b
  } catch (err) {
    if (err instanceof BoltError) throw new UsageError(`${flag}: ${err.message}`)
    throw err
  }
}
