/**
 * Dump format: JSON Lines, depth-first in key order, a bucket's record before
 * its contents (the same order and fields as the Go oracle's `dump`):
 *
 *   {"type":"bucket","path":[N1,...,Nk],"sequence":S}   path ends with the bucket's own name
 *   {"type":"kv","path":[N1,...,Nk],"key":K,"value":V}  path is the bucket holding the key
 *
 * Names, keys and values use an Encoding (see encoding.ts); S is an exact
 * decimal u64. Lines are built by hand: JSON.stringify cannot print a bigint
 * and the field order and spacing must match Go's encoding/json byte for byte.
 *
 * loadDump replays records into a write transaction (normally DB.build's).
 */
import {describePath, type Bucket} from './bucket.js'
import {BoltError} from './errors.js'
import {decodeBytes, encodeBytesJson, EncodingError, type Encoding} from './encoding.js'
import type {Tx} from './tx.js'

export interface BucketRecord {
  type: 'bucket'
  path: Buffer[]
  sequence: bigint
}

export interface KvRecord {
  type: 'kv'
  path: Buffer[]
  key: Buffer
  value: Buffer
}

export type DumpRecord = BucketRecord | KvRecord

export const MAX_U64 = 0xffffffffffffffffn

/**
 * Yields every record of the file (or of the bucket at `start`, whose own
 * record comes first) depth-first in key order. Reads lazily through cursors:
 * nothing but the current path is held in memory.
 */
export function* dumpRecords(tx: Tx, start: Buffer[] = []): Generator<DumpRecord> {
  if (start.length === 0) {
    yield* walk(tx.root, [])
    return
  }
  const b = tx.bucketAt(start)
  if (b === undefined) throw new BoltError('not-found', `bucket ${describePath(start)} not found`)
  yield {type: 'bucket', path: start, sequence: b.sequence}
  yield* walk(b, start)
}

function* walk(bucket: Bucket, path: Buffer[]): Generator<DumpRecord> {
  const c = bucket.cursor()
  for (let e = c.first(); e !== null; e = c.next()) {
    if (e.value === null) {
      const sub = bucket.bucket(e.key)
      if (sub !== undefined) {
        const subPath = [...path, e.key]
        yield {type: 'bucket', path: subPath, sequence: sub.sequence}
        yield* walk(sub, subPath)
        continue
      }
    }
    // A plain key (at the root only in a damaged file; Go's dump prints it the same way).
    yield {type: 'kv', path, key: e.key, value: e.value ?? Buffer.alloc(0)}
  }
}

function pathJson(path: Buffer[], enc: Encoding): string {
  return `[${path.map((p) => encodeBytesJson(p, enc)).join(',')}]`
}

/** One dump line (without the newline). */
export function formatRecord(r: DumpRecord, enc: Encoding): string {
  if (r.type === 'bucket') return `{"type":"bucket","path":${pathJson(r.path, enc)},"sequence":${r.sequence.toString()}}`
  return `{"type":"kv","path":${pathJson(r.path, enc)},"key":${encodeBytesJson(r.key, enc)},"value":${encodeBytesJson(r.value, enc)}}`
}

// ---------------------------------------------------------------------------
// Parsing

/** An input error tied to a line: exit 2 in the CLI. */
export function lineError(line: number, message: string): BoltError {
  return new BoltError('invalid', `line ${line}: ${message}`)
}

/** Runs fn, prefixing any encoding error with the line number and field. */
export function atLine<T>(line: number, field: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof EncodingError) throw lineError(line, `${field}: ${err.message}`)
    throw err
  }
}

/** JSON.parse of one line into an object, with the line number on failure. */
export function parseJsonObject(text: string, line: number): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw lineError(line, `not valid JSON (${(err as Error).message})`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw lineError(line, 'expected a JSON object')
  return v as Record<string, unknown>
}

export function checkFields(obj: Record<string, unknown>, line: number, required: string[], what: string): void {
  for (const f of required) if (!(f in obj)) throw lineError(line, `${what}: missing field "${f}"`)
  for (const f of Object.keys(obj)) if (!required.includes(f)) throw lineError(line, `${what}: unknown field "${f}"`)
}

/** Decodes a "path" array of non-empty names. */
export function decodePath(v: unknown, enc: Encoding, line: number): Buffer[] {
  if (!Array.isArray(v)) throw lineError(line, '"path" must be an array')
  return v.map((el, i) => {
    const name = atLine(line, `path[${i}]`, () => decodeBytes(el, enc))
    if (name.length === 0) throw lineError(line, `path[${i}]: bucket names cannot be empty`)
    return name
  })
}

/**
 * Parses an unsigned 64-bit integer given as raw JSON digits (`raw`, taken
 * from the line's text because JSON.parse would round it) or as a decimal string.
 */
export function parseU64(parsed: unknown, raw: string | undefined, line: number, field: string): bigint {
  let digits: string
  if (typeof parsed === 'string') digits = parsed
  else if (typeof parsed === 'number') {
    if (raw === undefined) {
      if (!Number.isSafeInteger(parsed)) throw lineError(line, `"${field}" is too large to read exactly; write it as plain digits or a decimal string`)
      digits = String(parsed)
    } else digits = raw
  } else throw lineError(line, `"${field}" must be an integer or a decimal string`)
  if (!/^(?:0|[1-9][0-9]*)$/.test(digits)) throw lineError(line, `"${field}" must be an unsigned decimal integer, got ${JSON.stringify(digits)}`)
  const n = BigInt(digits)
  if (n > MAX_U64) throw lineError(line, `"${field}" ${digits} is larger than 2^64-1`)
  return n
}

/**
 * The raw text of every number that is a direct member of the top-level JSON
 * object in `text` (key -> digits as written). Used to read u64 values that
 * JSON.parse would round. Assumes `text` is valid JSON (parse it first).
 */
export function topLevelNumbers(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let depth = 0
  let i = 0
  let lastKey: string | null = null
  let expectValue = false
  const n = text.length
  while (i < n) {
    const ch = text[i]
    if (ch === '"') {
      const startStr = i
      i++
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      i++
      const str = text.slice(startStr, i)
      if (depth === 1 && !expectValue) lastKey = JSON.parse(str) as string
      else if (depth === 1) expectValue = false
      continue
    }
    if (ch === '{' || ch === '[') {
      depth++
      if (depth === 2) expectValue = false
      i++
      continue
    }
    if (ch === '}' || ch === ']') {
      depth--
      i++
      continue
    }
    if (ch === ':' && depth === 1) {
      expectValue = true
      i++
      continue
    }
    if (ch === ',' && depth === 1) {
      expectValue = false
      lastKey = null
      i++
      continue
    }
    if (depth === 1 && expectValue && (ch === '-' || (ch >= '0' && ch <= '9'))) {
      const m = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400))
      const tok = m ? m[0] : ch
      if (lastKey !== null) out.set(lastKey, tok)
      expectValue = false
      i += tok.length
      continue
    }
    i++
  }
  return out
}

/** Parses one dump line (already known to be non-blank). */
export function parseDumpLine(text: string, line: number, enc: Encoding): DumpRecord {
  const obj = parseJsonObject(text, line)
  const type = obj.type
  if (type === 'bucket') {
    checkFields(obj, line, ['type', 'path', 'sequence'], 'bucket record')
    const path = decodePath(obj.path, enc, line)
    if (path.length === 0) throw lineError(line, 'bucket record: "path" must name the bucket (it cannot be empty)')
    const sequence = parseU64(obj.sequence, topLevelNumbers(text).get('sequence'), line, 'sequence')
    return {type: 'bucket', path, sequence}
  }
  if (type === 'kv') {
    checkFields(obj, line, ['type', 'path', 'key', 'value'], 'kv record')
    const path = decodePath(obj.path, enc, line)
    if (path.length === 0) throw lineError(line, 'kv record: keys cannot live in the root bucket (empty "path")')
    const key = atLine(line, 'key', () => decodeBytes(obj.key, enc))
    if (key.length === 0) throw lineError(line, 'kv record: "key" cannot be empty')
    const value = atLine(line, 'value', () => decodeBytes(obj.value, enc))
    return {type: 'kv', path, key, value}
  }
  if (type === undefined) throw lineError(line, 'missing field "type"')
  throw lineError(line, `unknown record type ${JSON.stringify(type)} (expected "bucket" or "kv")`)
}

/** Parses dump lines lazily; blank lines are skipped. */
export function* parseDump(lines: Iterable<string>, enc: Encoding): Generator<{line: number; record: DumpRecord}> {
  let n = 0
  for (const text of lines) {
    n++
    if (text.trim() === '') continue
    yield {line: n, record: parseDumpLine(text, n, enc)}
  }
}

export interface LoadSummary {
  buckets: number
  keys: number
}

function pathKey(path: Buffer[]): string {
  return path.map((p) => p.toString('hex')).join('/')
}

/**
 * Replays dump records into a write transaction: buckets (with their
 * sequences) and keys. A bucket must be declared before its keys, and nothing
 * may be declared twice; any violation is an input error naming the line.
 * Ancestors of a bucket that are never declared (the dump of one nested
 * bucket, `dump --bucket a/b`) are created empty with sequence 0.
 */
export function loadDump(records: Iterable<{line: number; record: DumpRecord}> | Iterable<DumpRecord>, tx: Tx): LoadSummary {
  const open = new Map<string, Bucket>()
  const summary: LoadSummary = {buckets: 0, keys: 0}
  let n = 0
  for (const item of records) {
    n++
    const {line, record} = 'record' in item ? item : {line: n, record: item}
    const where = describePath(record.path)
    if (record.type === 'bucket') {
      // Ancestors never declared (a dump of one nested bucket) are created empty, sequence 0.
      let parent: Bucket = tx.root
      for (let i = 1; i < record.path.length; i++) {
        const id = pathKey(record.path.slice(0, i))
        let b = open.get(id)
        if (b === undefined) {
          const name = record.path[i - 1]
          if (parent.get(name) !== undefined || parent.bucket(name) !== undefined) {
            throw lineError(line, `bucket ${where}: its parent ${describePath(record.path.slice(0, i))} must be declared before its contents`)
          }
          const created = engineCall(line, () => parent.createBucket(name))
          open.set(id, created)
          summary.buckets++
          b = created
        }
        parent = b
      }
      const name = record.path[record.path.length - 1]
      if (parent.get(name) !== undefined) throw lineError(line, `bucket ${where}: the name is already used by a key`)
      if (parent.bucket(name) !== undefined) throw lineError(line, `bucket ${where} is declared twice`)
      const b = engineCall(line, () => parent.createBucket(name))
      if (record.sequence !== 0n) b.setSequence(record.sequence)
      open.set(pathKey(record.path), b)
      summary.buckets++
    } else {
      const b = open.get(pathKey(record.path))
      if (b === undefined) throw lineError(line, `key in bucket ${where}: the bucket was not declared before its keys`)
      if (b.get(record.key) !== undefined) throw lineError(line, `key ${describePath([record.key])} in bucket ${where} appears twice`)
      if (b.bucket(record.key) !== undefined) throw lineError(line, `key ${describePath([record.key])} in bucket ${where}: the name is already used by a bucket`)
      engineCall(line, () => b.put(record.key, record.value))
      summary.keys++
    }
  }
  return summary
}

/** Engine errors caused by the input become input errors with the line number. */
function engineCall<T>(line: number, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof BoltError && (err.kind === 'invalid' || err.kind === 'exists' || err.kind === 'incompatible')) throw lineError(line, err.message)
    throw err
  }
}
