/**
 * For the write tests of the org, member and bucket commands: copies of the
 * real fixtures in fresh directories, every key/value as the Go oracle reads
 * it, the difference between two snapshots, Go writing a file afterwards,
 * the audit log, and hand-made edits (with our engine) that stand for what
 * other writers leave behind.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {expect} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {copyInto} from './cli.js'
import {oracle, oracleCheck, oracleDump} from './oracle.js'

export type KV = Map<string, Map<string, Buffer>>

let seq = 0
/** A fresh directory under `tmp` holding a copy of `src` named influxd.bolt. */
export function copyOf(tmp: string, src: string): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  return copyInto(src, dir, 'influxd.bolt')
}

/** Every key/value of the file, read by the Go oracle, as bucket → key (latin1) → value bytes. */
export function contents(file: string): KV {
  const out: KV = new Map()
  for (const line of oracleDump(file)) {
    const e = JSON.parse(line) as {type: string; path: string[]; key?: string; value?: string}
    const bucket = e.path.map((p) => Buffer.from(p, 'base64').toString('utf8')).join('/')
    if (e.type === 'bucket') {
      out.set(bucket, out.get(bucket) ?? new Map())
      continue
    }
    out.get(bucket)!.set(Buffer.from(e.key!, 'base64').toString('latin1'), Buffer.from(e.value!, 'base64'))
  }
  return out
}

/** Entries added, changed or removed between two snapshots, as "bucket key", sorted. */
export function diff(a: KV, b: KV): string[] {
  const out: string[] = []
  for (const bucket of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(bucket) ?? new Map<string, Buffer>()
    const y = b.get(bucket) ?? new Map<string, Buffer>()
    for (const k of new Set([...x.keys(), ...y.keys()])) {
      const u = x.get(k)
      const v = y.get(k)
      if (u === undefined || v === undefined || !u.equals(v)) out.push(`${bucket} ${k}`)
    }
  }
  return out.sort()
}

/** A value as text (UTF-8), undefined when absent. */
export function get(kv: KV, bucket: string, key: string): string | undefined {
  return kv.get(bucket)?.get(key)?.toString('utf8')
}

/** A value's bytes. */
export function getBytes(kv: KV, bucket: string, key: string): Buffer | undefined {
  return kv.get(bucket)?.get(key)
}

/** Go's bbolt still writes the file, and the result is clean. */
export function goWritesAfter(file: string): void {
  const copy = path.join(path.dirname(file), 'mutated.bolt')
  fs.copyFileSync(file, copy)
  const m = oracle('mutate', copy, '15')
  expect(m.status, m.stderr).toBe(0)
  oracleCheck(copy)
  fs.rmSync(copy)
}

export function auditLines(file: string): Array<Record<string, unknown>> {
  const audit = path.join(path.dirname(file), 'influx-recover.audit.jsonl')
  if (!fs.existsSync(audit)) return []
  return fs.readFileSync(audit, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** Puts (value) or deletes (null) keys, and drops whole buckets (key '*' with null), in one transaction of our engine. */
export function edit(file: string, changes: Array<[bucket: string, key: string, value: string | Buffer | null]>): void {
  const db = DB.open(file)
  try {
    db.update((tx) => {
      for (const [bucket, key, value] of changes) {
        if (key === '*' && value === null) {
          tx.deleteBucket(Buffer.from(bucket))
          continue
        }
        const b = tx.bucket(Buffer.from(bucket))!
        if (value === null) b.delete(Buffer.from(key, 'latin1'))
        else b.put(Buffer.from(key, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'utf8') : value)
      }
    })
  } finally {
    db.close()
  }
  oracleCheck(file)
}

/** The files beside the database (the database itself excluded). */
export function sideFiles(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((n) => n !== path.basename(file)).sort()
}

// ---- protobuf by hand (meta.db): tag = field << 3 | wire type; varints 7 bits a byte, low group first

export function varint(n: bigint): string {
  let out = ''
  let v = n
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) b |= 0x80
    out += b.toString(16).padStart(2, '0')
  } while (v > 0n)
  return out
}

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex')
const lenPrefixed = (hex: string): string => `${varint(BigInt(hex.length / 2))}${hex}`

/** Data.Databases (field 5) entry of a bucket's database as influxd's engine creates it: policy autogen, ReplicaN 1. */
export function metaDatabase(name: string, retention: bigint, shardGroupDuration: bigint): string {
  const rp = `0a${lenPrefixed(ascii('autogen'))}10${varint(retention)}18${varint(shardGroupDuration)}2001`
  const body = `0a${lenPrefixed(ascii(name))}12${lenPrefixed(ascii('autogen'))}1a${lenPrefixed(rp)}`
  return `2a${lenPrefixed(body)}`
}

export const DAY = 86_400_000_000_000n
