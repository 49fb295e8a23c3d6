// Cursor movement against a sorted model: first, last, next, prev and seek,
// over pages and over a write transaction's own nodes (including leaves
// emptied by deletions before the commit merges them away).
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BoltError, DB, check, type Bucket, type Cursor} from '../../src/bbolt/index.js'
import {rng} from '../helpers/model.js'
import {oracleCheck} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-cursor-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const key = (i: number): Buffer => Buffer.from(`key-${String(i).padStart(6, '0')}`)

function forward(c: Cursor): string[] {
  const out: string[] = []
  for (let e = c.first(); e !== null; e = c.next()) out.push(e.key.toString())
  return out
}
function backward(c: Cursor): string[] {
  const out: string[] = []
  for (let e = c.last(); e !== null; e = c.prev()) out.push(e.key.toString())
  return out
}

function fill(file: string, n: number): string[] {
  const db = DB.create(file)
  db.update((tx) => {
    const b = tx.createBucket(Buffer.from('b'))
    for (let i = 0; i < n; i++) b.put(key(i * 2), Buffer.alloc(100 + (i % 300), i & 255))
  })
  db.close()
  return Array.from({length: n}, (_, i) => key(i * 2).toString())
}

describe('cursor', () => {
  it('walks forward and backward over a multi-level tree, and seeks exactly', () => {
    const file = path.join(tmp, 'walk.bolt')
    const keys = fill(file, 5000)
    const db = DB.open(file, {readOnly: true})
    db.view((tx) => {
      const b = tx.bucket(Buffer.from('b'))!
      expect(forward(b.cursor())).toEqual(keys)
      expect(backward(b.cursor())).toEqual([...keys].reverse())
      const r = rng(3)
      const c = b.cursor()
      for (let t = 0; t < 500; t++) {
        const i = Math.floor(r() * 10_002) // even keys exist, odd ones fall between
        const e = c.seek(key(i))
        const expected = keys.find((k) => k >= key(i).toString())
        expect(e?.key.toString()).toBe(expected)
      }
      expect(c.seek(Buffer.from('zzz'))).toBeNull()
      expect(c.seek(Buffer.from('a'))?.key.toString()).toBe(keys[0])
      // prev after seek steps back one key
      c.seek(key(2001))
      expect(c.prev()?.key.toString()).toBe(key(2000).toString())
      // moving past either end stays there
      c.first()
      expect(c.prev()).toBeNull()
      c.last()
      expect(c.next()).toBeNull()
    })
    db.close()
  })

  it('skips leaves emptied inside a write transaction, in both directions', () => {
    const file = path.join(tmp, 'empty-leaves.bolt')
    const keys = fill(file, 3000)
    const db = DB.open(file)
    const tx = db.begin(true)
    const b = tx.bucket(Buffer.from('b')) as Bucket
    // empty the tail and a run in the middle: their leaves become empty nodes until commit
    const removed = new Set<string>()
    for (let i = 2500; i < 3000; i++) removed.add(key(i * 2).toString())
    for (let i = 1000; i < 1200; i++) removed.add(key(i * 2).toString())
    for (const k of removed) b.delete(Buffer.from(k))
    const left = keys.filter((k) => !removed.has(k))
    expect(forward(b.cursor())).toEqual(left)
    expect(backward(b.cursor())).toEqual([...left].reverse())
    expect(b.cursor().seek(key(2100))?.key.toString()).toBe(key(2400).toString())
    tx.commit()
    db.close()
    oracleCheck(file)
  })

  it('going back and forth across a leaf boundary many times is not mistaken for a damaged tree', () => {
    const f = path.join(tmp, 'backforth.bolt')
    const keys = fill(f, 400)
    const db = DB.open(f, {readOnly: true})
    db.view((tx) => {
      const c = tx.bucket(Buffer.from('b'))!.cursor()
      // find a leaf boundary: the first key whose leaf differs from the previous one is unknown here, so cross every pair
      for (let i = 0; i + 1 < keys.length; i += 7) {
        expect(c.seek(Buffer.from(keys[i]))!.key.toString()).toBe(keys[i])
        for (let k = 0; k < 5; k++) {
          expect(c.next()!.key.toString()).toBe(keys[i + 1])
          expect(c.prev()!.key.toString()).toBe(keys[i])
        }
      }
      // and whole sweeps in both directions after partial ones
      expect(forward(c)).toEqual(keys)
      expect(backward(c)).toEqual([...keys].reverse())
    })
    db.close()
  })

  it('an empty bucket has no first or last entry', () => {
    const file = path.join(tmp, 'empty.bolt')
    const db = DB.create(file)
    db.update((tx) => tx.createBucket(Buffer.from('e')))
    db.view((tx) => {
      const c = tx.bucket(Buffer.from('e'))!.cursor()
      expect(c.first()).toBeNull()
      expect(c.last()).toBeNull()
      expect(c.seek(Buffer.from('x'))).toBeNull()
    })
    db.close()
  })
})

describe('bucket API edges', () => {
  it('copies caller buffers on put: changing them before the commit changes nothing', () => {
    const file = path.join(tmp, 'copy.bolt')
    const db = DB.create(file)
    const k = Buffer.from('key'), v = Buffer.from('value')
    db.update((tx) => {
      tx.createBucket(Buffer.from('b')).put(k, v)
      k.write('KEY')
      v.write('VALUE')
    })
    db.view((tx) => {
      expect(tx.bucket(Buffer.from('b'))!.get(Buffer.from('key'))?.toString()).toBe('value')
      expect(tx.bucket(Buffer.from('b'))!.get(Buffer.from('KEY'))).toBeUndefined()
    })
    db.close()
  })

  it('put with copy: false stores the caller\'s value itself (no copy), Buffer or plain Uint8Array', () => {
    const file = path.join(tmp, 'nocopy.bolt')
    const db = DB.create(file)
    const v = Buffer.from('value'), u = new Uint8Array([1, 2, 3])
    db.update((tx) => {
      const b = tx.createBucket(Buffer.from('b'))
      b.put(Buffer.from('k'), v, {copy: false})
      b.put(Buffer.from('u'), u, {copy: false})
      // not copied: the stored value is the caller's bytes until the commit
      v.write('VALUE')
      u[0] = 9
    })
    db.view((tx) => {
      expect(tx.bucket(Buffer.from('b'))!.get(Buffer.from('k'))?.toString()).toBe('VALUE')
      expect([...tx.bucket(Buffer.from('b'))!.get(Buffer.from('u'))!]).toEqual([9, 2, 3])
    })
    db.close()
    oracleCheck(file)
  })

  it('keeps an empty value apart from a missing key', () => {
    const file = path.join(tmp, 'empty-value.bolt')
    const db = DB.create(file)
    db.update((tx) => tx.createBucket(Buffer.from('b')).put(Buffer.from('k'), Buffer.alloc(0)))
    db.view((tx) => {
      const got = tx.bucket(Buffer.from('b'))!.get(Buffer.from('k'))
      expect(got).toBeInstanceOf(Buffer)
      expect(got!.length).toBe(0)
      expect(tx.bucket(Buffer.from('b'))!.get(Buffer.from('other'))).toBeUndefined()
    })
    db.close()
  })

  it('rejects bad arguments and key/bucket mix-ups with a typed error', () => {
    const file = path.join(tmp, 'errors.bolt')
    const db = DB.create(file)
    const kind = (fn: () => void): string => {
      try {
        fn()
      } catch (err) {
        if (err instanceof BoltError) return err.kind
        throw err
      }
      return 'none'
    }
    db.update((tx) => {
      const b = tx.createBucket(Buffer.from('b'))
      b.createBucket(Buffer.from('sub'))
      b.put(Buffer.from('k'), Buffer.from('v'))
      expect(kind(() => b.put(Buffer.alloc(0), Buffer.from('v')))).toBe('invalid')
      expect(kind(() => b.put(Buffer.alloc(32769, 1), Buffer.from('v')))).toBe('invalid')
      expect(kind(() => b.put(Buffer.from('sub'), Buffer.from('v')))).toBe('incompatible')
      expect(kind(() => b.createBucket(Buffer.from('k')))).toBe('incompatible')
      expect(kind(() => b.createBucket(Buffer.from('sub')))).toBe('exists')
      expect(kind(() => b.deleteBucket(Buffer.from('nope')))).toBe('not-found')
      expect(kind(() => b.delete(Buffer.from('sub')))).toBe('incompatible')
      expect(b.get(Buffer.from('sub'))).toBeUndefined()
      expect(b.createBucketIfNotExists(Buffer.from('sub')).path.map(String)).toEqual(['b', 'sub'])
    })
    expect(kind(() => db.view((tx) => tx.bucket(Buffer.from('b'))!.put(Buffer.from('x'), Buffer.from('y'))))).toBe('tx')
    db.close()
    const ro = DB.open(file, {readOnly: true})
    expect(kind(() => ro.begin(true))).toBe('tx')
    ro.close()
    oracleCheck(file)
  })

  it('deleting a bucket frees its whole subtree (nested, page-based and inline)', () => {
    const file = path.join(tmp, 'delete-tree.bolt')
    const db = DB.create(file)
    db.update((tx) => {
      const top = tx.createBucket(Buffer.from('top'))
      for (let i = 0; i < 2000; i++) top.put(key(i), Buffer.alloc(300, 1))
      let b = top
      for (let d = 0; d < 5; d++) {
        b = b.createBucket(Buffer.from(`level${d}`))
        for (let i = 0; i < (d % 2 ? 5 : 500); i++) b.put(key(i), Buffer.alloc(d % 2 ? 10 : 400, d))
      }
      tx.createBucket(Buffer.from('keep')).put(Buffer.from('a'), Buffer.from('b'))
    })
    db.update((tx) => {
      // modify the doomed bucket first (the case Go 1.3.6 gets wrong), then delete it
      tx.bucket(Buffer.from('top'))!.put(Buffer.from('new'), Buffer.from('v'))
      tx.deleteBucket(Buffer.from('top'))
    })
    db.close()
    oracleCheck(file)
  })

  it('leaves a sweep passes are not cached (each is met once), the leaves of seeks and the branches are', () => {
    const file = path.join(tmp, 'sweep-cache.bolt')
    const db = DB.create(file)
    // random order over many commits: the leaves end up scattered, so no read-ahead window serves them
    const order = Array.from({length: 3000}, (_, i) => i)
    const r = rng(9)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]]
    }
    for (let t = 0; t < order.length; t += 100) {
      db.update((tx) => {
        const b = tx.createBucketIfNotExists(Buffer.from('b'))
        for (const i of order.slice(t, t + 100)) b.put(key(i), Buffer.alloc(200, i & 255))
      })
    }
    db.close()
    const ro = DB.open(file, {readOnly: true})
    try {
      const {leafPages, branchPages} = check(ro).stats
      expect(leafPages).toBeGreaterThan(100)
      ro.view((tx) => {
        const b = tx.bucket(Buffer.from('b'))!
        expect(forward(b.cursor({copy: false}))).toHaveLength(3000)
        expect(backward(b.cursor({copy: false}))).toHaveLength(3000)
        // the branches, the root bucket's leaf, and the leaves first() and last() descended to
        expect(ro.file.cachedBytes()).toBeLessThanOrEqual((branchPages + 3) * ro.pageSize)
        for (let i = 0; i < 3000; i += 30) expect(b.get(key(i))).not.toBeUndefined()
        // most of them (a leaf that follows the last one read in the file may be served from the transaction's read area instead)
        expect(ro.file.cachedBytes()).toBeGreaterThan((branchPages + 40) * ro.pageSize)
      })
    } finally {
      ro.close()
    }
  })
})
