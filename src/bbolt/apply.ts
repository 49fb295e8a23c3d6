/**
 * Batches of edits ("ops"), one JSON object per line:
 *
 *   {"op":"put","path":[...],"key":K,"value":V}
 *   {"op":"delete","path":[...],"key":K}
 *   {"op":"create-bucket","path":[...]}          path ends with the new bucket's name
 *   {"op":"delete-bucket","path":[...]}          path ends with the bucket's name
 *   {"op":"set-sequence","path":[...],"sequence":S}   S: integer up to 2^64-1 or a decimal string
 *
 * Everything is parsed and validated before any transaction starts; the ops
 * then run in ONE write transaction, so a failing op leaves the file as it was.
 * expectedState() describes what must be true afterwards, for the
 * verification that follows the commit. Engine-level: knows nothing of InfluxDB.
 */
import {describePath, type Bucket} from './bucket.js'
import {BoltError} from './errors.js'
import {atLine, checkFields, decodePath, lineError, parseJsonObject, parseU64, topLevelNumbers} from './dump.js'
import {decodeBytes, type Encoding} from './encoding.js'
import type {Tx} from './tx.js'

export const OP_NAMES = ['put', 'delete', 'create-bucket', 'delete-bucket', 'set-sequence'] as const
export type OpName = (typeof OP_NAMES)[number]

export type Op =
  | {op: 'put'; line: number; path: Buffer[]; key: Buffer; value: Buffer}
  | {op: 'delete'; line: number; path: Buffer[]; key: Buffer}
  | {op: 'create-bucket'; line: number; path: Buffer[]}
  | {op: 'delete-bucket'; line: number; path: Buffer[]}
  | {op: 'set-sequence'; line: number; path: Buffer[]; sequence: bigint}

const FIELDS: Record<OpName, string[]> = {
  put: ['op', 'path', 'key', 'value'],
  delete: ['op', 'path', 'key'],
  'create-bucket': ['op', 'path'],
  'delete-bucket': ['op', 'path'],
  'set-sequence': ['op', 'path', 'sequence'],
}

/** Parses one non-blank ops line. */
export function parseOpLine(text: string, line: number, enc: Encoding): Op {
  const obj = parseJsonObject(text, line)
  const name = obj.op
  if (name === undefined) throw lineError(line, 'missing field "op"')
  if (typeof name !== 'string' || !(OP_NAMES as readonly string[]).includes(name)) {
    throw lineError(line, `unknown op ${JSON.stringify(name)} (expected one of ${OP_NAMES.join(', ')})`)
  }
  const op = name as OpName
  checkFields(obj, line, FIELDS[op], `op "${op}"`)
  const path = decodePath(obj.path, enc, line)
  const key = (): Buffer => {
    const k = atLine(line, 'key', () => decodeBytes(obj.key, enc))
    if (k.length === 0) throw lineError(line, `op "${op}": "key" cannot be empty`)
    return k
  }
  switch (op) {
    case 'put':
    case 'delete':
      if (path.length === 0) throw lineError(line, `op "${op}": "path" must name a bucket (keys cannot live in the root bucket)`)
      if (op === 'delete') return {op, line, path, key: key()}
      return {op, line, path, key: key(), value: atLine(line, 'value', () => decodeBytes(obj.value, enc))}
    case 'create-bucket':
    case 'delete-bucket':
      if (path.length === 0) throw lineError(line, `op "${op}": "path" must end with the bucket's own name`)
      return {op, line, path}
    case 'set-sequence':
      if (path.length === 0) throw lineError(line, 'op "set-sequence": "path" must end with the bucket\'s own name')
      return {op, line, path, sequence: parseU64(obj.sequence, topLevelNumbers(text).get('sequence'), line, 'sequence')}
  }
}

/** Parses a whole ops file; blank lines are skipped. Throws on the first bad line. */
export function parseOps(text: string, enc: Encoding): Op[] {
  const ops: Op[] = []
  const lines = text.split('\n')
  // a final newline does not start another line
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  lines.forEach((raw, i) => {
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (t.trim() === '') return
    ops.push(parseOpLine(t, i + 1, enc))
  })
  return ops
}

export type OpCounts = Record<OpName, number>

export interface ApplySummary {
  total: number
  counts: OpCounts
  /** deletes of keys that did not exist (no-ops, as in bbolt) */
  absentDeletes: number
}

export function zeroCounts(): OpCounts {
  return {put: 0, delete: 0, 'create-bucket': 0, 'delete-bucket': 0, 'set-sequence': 0}
}

/** Wraps an engine error with the op's line so the user can find it. */
function opCall<T>(op: Op, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof BoltError && err.kind !== 'io' && err.kind !== 'corrupt') {
      throw new BoltError(err.kind, `line ${op.line} (${op.op}): ${err.message}`, {cause: err})
    }
    throw err
  }
}

function bucketFor(tx: Tx, op: Op, path: Buffer[]): Bucket {
  const b = tx.bucketAt(path)
  if (b === undefined) throw new BoltError('not-found', `line ${op.line} (${op.op}): bucket ${describePath(path)} not found`)
  return b
}

/**
 * Runs every op in `tx` (a write transaction) in order. Throws on the first
 * failing op; the caller must then roll back (db.update does).
 * Missing bucket -> 'not-found'; bucket exists -> 'exists'; key vs bucket -> 'incompatible'.
 */
export function applyOps(tx: Tx, ops: Op[]): ApplySummary {
  const summary: ApplySummary = {total: ops.length, counts: zeroCounts(), absentDeletes: 0}
  for (const op of ops) {
    switch (op.op) {
      case 'put': {
        const b = bucketFor(tx, op, op.path)
        opCall(op, () => b.put(op.key, op.value))
        break
      }
      case 'delete': {
        const b = bucketFor(tx, op, op.path)
        if (b.get(op.key) === undefined && b.bucket(op.key) === undefined) summary.absentDeletes++
        opCall(op, () => b.delete(op.key))
        break
      }
      case 'create-bucket': {
        const parent = bucketFor(tx, op, op.path.slice(0, -1))
        opCall(op, () => parent.createBucket(op.path[op.path.length - 1]))
        break
      }
      case 'delete-bucket': {
        const parent = bucketFor(tx, op, op.path.slice(0, -1))
        opCall(op, () => parent.deleteBucket(op.path[op.path.length - 1]))
        break
      }
      case 'set-sequence': {
        const b = bucketFor(tx, op, op.path)
        opCall(op, () => b.setSequence(op.sequence))
        break
      }
    }
    summary.counts[op.op]++
  }
  return summary
}

// ---------------------------------------------------------------------------
// Expected state after the batch, for the post-write verification.

export interface ExpectedKey {
  path: Buffer[]
  key: Buffer
  /** undefined: the key must be absent */
  value: Buffer | undefined
}

export interface ExpectedBucket {
  path: Buffer[]
  present: boolean
  /** checked when present and defined */
  sequence?: bigint
}

export interface ExpectedState {
  keys: ExpectedKey[]
  buckets: ExpectedBucket[]
}

const hexPath = (path: Buffer[]): string => path.map((p) => p.toString('hex')).join('/')

/**
 * The final effect of the batch, op by op: a later op overrides an earlier
 * one on the same key or bucket, and deleting a bucket drops every
 * expectation inside it (then expects the bucket to be absent).
 */
export function expectedState(ops: Op[]): ExpectedState {
  const keys = new Map<string, ExpectedKey>()
  const buckets = new Map<string, ExpectedBucket>()
  const under = (prefix: string, id: string): boolean => id === prefix || id.startsWith(`${prefix}/`)
  for (const op of ops) {
    const bp = hexPath(op.path)
    switch (op.op) {
      case 'put':
        keys.set(`${bp}:${op.key.toString('hex')}`, {path: op.path, key: op.key, value: op.value})
        break
      case 'delete':
        keys.set(`${bp}:${op.key.toString('hex')}`, {path: op.path, key: op.key, value: undefined})
        break
      case 'create-bucket':
        buckets.set(bp, {path: op.path, present: true, sequence: 0n})
        break
      case 'delete-bucket':
        for (const id of [...keys.keys()]) if (under(bp, id.slice(0, id.indexOf(':')))) keys.delete(id)
        for (const id of [...buckets.keys()]) if (under(bp, id)) buckets.delete(id)
        buckets.set(bp, {path: op.path, present: false})
        break
      case 'set-sequence':
        buckets.set(bp, {path: op.path, present: true, sequence: op.sequence})
        break
    }
  }
  return {keys: [...keys.values()], buckets: [...buckets.values()]}
}

/** Compares the expectations with what `tx` sees; returns one message per mismatch. */
export function verifyExpected(tx: Tx, state: ExpectedState): string[] {
  const failures: string[] = []
  for (const e of state.buckets) {
    const b = tx.bucketAt(e.path)
    const where = `bucket ${describePath(e.path)}`
    if (!e.present) {
      if (b !== undefined) failures.push(`${where} still exists`)
      continue
    }
    if (b === undefined) failures.push(`${where} is missing`)
    else if (e.sequence !== undefined && b.sequence !== e.sequence) failures.push(`${where} has sequence ${b.sequence}, expected ${e.sequence}`)
  }
  for (const e of state.keys) {
    const b = tx.bucketAt(e.path)
    const where = `key ${describePath([e.key])} in bucket ${describePath(e.path)}`
    const v = b?.get(e.key)
    if (e.value === undefined) {
      if (v !== undefined) failures.push(`${where} still exists`)
    } else if (v === undefined) failures.push(`${where} is missing`)
    else if (!v.equals(e.value)) failures.push(`${where} has a different value (${v.length} bytes, expected ${e.value.length})`)
  }
  return failures
}
