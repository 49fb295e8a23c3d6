/**
 * The content of an influxd.bolt file as Go's bbolt reads it (the oracle's
 * dump), for comparing before and after a write: bucket → key → value, all
 * as UTF-8 text; plus the checks every write test ends with.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {expect} from 'vitest'

import {oracle, oracleCheck, oracleDump} from './oracle.js'

export type KV = Map<string, Map<string, string>>

/** Every key/value of the file, read by the Go oracle (top-level buckets). */
export function contents(file: string): KV {
  const out: KV = new Map()
  for (const line of oracleDump(file)) {
    const e = JSON.parse(line) as {type: string; path: string[]; key?: string; value?: string}
    const bucket = e.path.map((p) => Buffer.from(p, 'base64').toString('utf8')).join('/')
    if (e.type === 'bucket') {
      out.set(bucket, out.get(bucket) ?? new Map())
      continue
    }
    out.get(bucket)!.set(Buffer.from(e.key!, 'base64').toString('utf8'), Buffer.from(e.value!, 'base64').toString('utf8'))
  }
  return out
}

/** Entries added, changed or removed between two snapshots, as "bucket key", sorted. */
export function diff(a: KV, b: KV): string[] {
  const out: string[] = []
  for (const bucket of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(bucket) ?? new Map<string, string>()
    const y = b.get(bucket) ?? new Map<string, string>()
    for (const k of new Set([...x.keys(), ...y.keys()])) if (x.get(k) !== y.get(k)) out.push(`${bucket} ${k}`)
  }
  return out.sort()
}

export const get = (kv: KV, bucket: string, key: string): string | undefined => kv.get(bucket)?.get(key)

/** Go's check passes, and Go's bbolt can keep writing the file (a copy) and the result passes too. */
export function goAccepts(file: string): void {
  oracleCheck(file)
  const copy = path.join(path.dirname(file), `mutated-${path.basename(file)}`)
  fs.copyFileSync(file, copy)
  const m = oracle('mutate', copy, '11')
  expect(m.status, m.stderr).toBe(0)
  oracleCheck(copy)
  fs.rmSync(copy)
}

export function auditLines(file: string): Array<Record<string, unknown>> {
  const audit = path.join(path.dirname(file), 'influx-recover.audit.jsonl')
  if (!fs.existsSync(audit)) return []
  return fs.readFileSync(audit, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)
}

export function backupsIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.influx-recover-\d{8}T\d{6}Z(?:-\d+)?\.bak$/.test(n)).sort()
}
