/**
 * An in-memory model of a bbolt file's contents (buckets, keys, sequences)
 * and a seeded generator of random transactions applied to both the model and
 * the engine. The oracle's dump of the engine's file must equal the model.
 */
import type {Bucket, Tx} from '../../src/bbolt/index.js'

export interface MBucket {
  seq: bigint
  /** hex(key) -> entry; hex order equals byte order */
  entries: Map<string, {key: Buffer; value?: Buffer; bucket?: MBucket}>
}

export const newBucket = (): MBucket => ({seq: 0n, entries: new Map()})

export function cloneModel(b: MBucket): MBucket {
  const out = newBucket()
  out.seq = b.seq
  for (const [k, e] of b.entries) out.entries.set(k, e.bucket ? {key: e.key, bucket: cloneModel(e.bucket)} : {key: e.key, value: e.value})
  return out
}

/** The model as the oracle's dump lines (base64 encoding, depth-first, key order). */
export function modelDump(root: MBucket): string[] {
  const lines: string[] = []
  const b64 = (b: Buffer): string => JSON.stringify(b.toString('base64'))
  const walk = (b: MBucket, path: Buffer[]): void => {
    for (const k of [...b.entries.keys()].sort()) {
      const e = b.entries.get(k)!
      if (e.bucket) {
        const p = [...path, e.key]
        lines.push(`{"type":"bucket","path":[${p.map(b64).join(',')}],"sequence":${e.bucket.seq}}`)
        walk(e.bucket, p)
      } else {
        lines.push(`{"type":"kv","path":[${path.map(b64).join(',')}],"key":${b64(e.key)},"value":${b64(e.value!)}}`)
      }
    }
  }
  walk(root, [])
  return lines
}

/** Small seeded PRNG (mulberry32): the same seed gives the same transactions. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class RandomTxs {
  private readonly r: () => number
  constructor(seed: number, private readonly opts: {maxValue?: number; maxKey?: number} = {}) {
    this.r = rng(seed)
  }

  int(n: number): number { return Math.floor(this.r() * n) }
  chance(p: number): boolean { return this.r() < p }

  bytes(len: number): Buffer {
    const b = Buffer.alloc(len)
    for (let i = 0; i < len; i++) b[i] = this.int(256)
    return b
  }

  key(): Buffer {
    const maxKey = this.opts.maxKey ?? 300
    const len = this.chance(0.8) ? 1 + this.int(24) : 1 + this.int(maxKey)
    // mostly printable with a common prefix so keys interleave and share pages
    if (this.chance(0.7)) return Buffer.from(('k' + this.int(5000).toString(36)).padEnd(len, 'x').slice(0, Math.max(1, len)))
    return this.bytes(len)
  }

  value(): Buffer {
    const maxValue = this.opts.maxValue ?? 10_000
    const roll = this.r()
    const len = roll < 0.05 ? 0 : roll < 0.85 ? this.int(200) : roll < 0.97 ? this.int(2000) : this.int(maxValue + 1)
    return this.bytes(len)
  }

  /** All bucket paths of the model (root excluded). */
  paths(root: MBucket): Buffer[][] {
    const out: Buffer[][] = []
    const walk = (b: MBucket, path: Buffer[]): void => {
      for (const e of b.entries.values()) {
        if (e.bucket) {
          const p = [...path, e.key]
          out.push(p)
          walk(e.bucket, p)
        }
      }
    }
    walk(root, [])
    return out
  }

  /** Applies a random transaction's operations to the engine tx and the model together. */
  apply(tx: Tx, root: MBucket, log: string[]): void {
    const nops = 1 + this.int(40)
    for (let i = 0; i < nops; i++) {
      const paths = this.paths(root)
      const roll = this.r()
      if (paths.length === 0 || roll < 0.08) {
        // create a bucket at the top or nested (depth <= 4)
        const parentPath = paths.length > 0 && this.chance(0.6) ? paths[this.int(paths.length)] : []
        if (parentPath.length >= 4) continue
        const parent = lookup(root, parentPath)
        const name = this.key()
        if (parent.entries.has(name.toString('hex'))) continue
        const b = parentPath.length === 0 ? tx.createBucket(name) : tx.bucketAt(parentPath)!.createBucket(name)
        void b
        parent.entries.set(name.toString('hex'), {key: name, bucket: newBucket()})
        log.push(`create-bucket ${fmt([...parentPath, name])}`)
        continue
      }
      const path = paths[this.int(paths.length)]
      const mb = lookup(root, path)
      const eb = tx.bucketAt(path) as Bucket
      if (roll < 0.5) {
        const key = this.chance(0.3) && mb.entries.size > 0 ? [...mb.entries.values()][this.int(mb.entries.size)].key : this.key()
        const existing = mb.entries.get(key.toString('hex'))
        if (existing?.bucket) continue
        const value = this.value()
        eb.put(key, value)
        mb.entries.set(key.toString('hex'), {key, value})
        log.push(`put ${fmt(path)} ${key.toString('hex')} (${value.length} bytes)`)
      } else if (roll < 0.7) {
        if (mb.entries.size === 0) continue
        const e = [...mb.entries.values()][this.int(mb.entries.size)]
        if (e.bucket) continue
        eb.delete(e.key)
        mb.entries.delete(e.key.toString('hex'))
        log.push(`delete ${fmt(path)} ${e.key.toString('hex')}`)
      } else if (roll < 0.78) {
        // bulk load: sequential keys make splits and deep trees
        const base = this.int(1_000_000)
        const n = 20 + this.int(300)
        for (let k = 0; k < n; k++) {
          const key = Buffer.from(`bulk${String(base + k).padStart(8, '0')}`)
          if (mb.entries.get(key.toString('hex'))?.bucket) continue
          const value = this.bytes(this.int(700))
          eb.put(key, value)
          mb.entries.set(key.toString('hex'), {key, value})
        }
        log.push(`bulk-put ${fmt(path)} ${n} keys from ${base}`)
      } else if (roll < 0.88) {
        // bulk delete: most keys of the bucket, for rebalance and merges
        let n = 0
        for (const e of [...mb.entries.values()]) {
          if (e.bucket || !this.chance(0.8)) continue
          eb.delete(e.key)
          mb.entries.delete(e.key.toString('hex'))
          n++
        }
        log.push(`bulk-delete ${fmt(path)} ${n} keys`)
      } else if (roll < 0.93) {
        if (this.chance(0.5)) {
          const v = this.chance(0.2) ? 0xffffffffffffffffn : BigInt(this.int(1_000_000))
          eb.setSequence(v)
          mb.seq = v
          log.push(`set-sequence ${fmt(path)} ${v}`)
        } else {
          const v = eb.nextSequence()
          mb.seq = (mb.seq + 1n) & 0xffffffffffffffffn
          if (v !== mb.seq) throw new Error(`nextSequence returned ${v}, model says ${mb.seq}`)
          log.push(`next-sequence ${fmt(path)}`)
        }
      } else if (this.chance(0.5)) {
        const parentPath = path.slice(0, -1)
        const name = path[path.length - 1]
        if (parentPath.length === 0) tx.deleteBucket(name)
        else tx.bucketAt(parentPath)!.deleteBucket(name)
        lookup(root, parentPath).entries.delete(name.toString('hex'))
        log.push(`delete-bucket ${fmt(path)}`)
      }
    }
  }
}

export function lookup(root: MBucket, path: Buffer[]): MBucket {
  let b = root
  for (const name of path) b = b.entries.get(name.toString('hex'))!.bucket!
  return b
}

const fmt = (path: Buffer[]): string => path.map((p) => p.toString('hex')).join('/')

/** Reads a file's whole contents through our engine into a model (for comparing with the oracle). */
export function readModel(tx: Tx): MBucket {
  const walk = (b: Bucket): MBucket => {
    const m = newBucket()
    m.seq = b.sequence
    const c = b.cursor()
    for (let e = c.first(); e !== null; e = c.next()) {
      if (e.value === null) m.entries.set(e.key.toString('hex'), {key: e.key, bucket: walk(c.openBucket())})
      else m.entries.set(e.key.toString('hex'), {key: e.key, value: e.value})
    }
    return m
  }
  return walk(tx.root)
}
