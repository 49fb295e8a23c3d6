// The buckets' own lookups (get, put, delete) read leaves met in file order
// into one reused buffer (Tx.leafPage). These tests walk files of many leaves
// in key order so that buffer is refilled many times, and check that nothing
// read from it earlier changes: keys and values in nodes, views handed out.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {rng} from '../helpers/model.js'
import {oracle, oracleCheck} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-area-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const N = 3000
const BUCKET = Buffer.from('bench')
const key = (i: number): Buffer => Buffer.from(i.toString(16).padStart(16, '0'))
/** the oracle's bench values: 600 bytes, pad 'x' (load) or 'u' (update) */
function value(i: number, pad: string): Buffer {
  const head = `{"id":"${i.toString(16).padStart(16, '0')}","n":${i},"pad":"`
  return Buffer.from(head + pad.repeat(600 - 2 - head.length) + '"}')
}

let base = ''
beforeAll(() => {
  base = path.join(tmp, 'base.bolt')
  const r = oracle('bench-load', base, String(N))
  if (r.status !== 0) throw new Error(`oracle bench-load failed: ${r.stderr}`)
})

function copyOfBase(name: string): string {
  const f = path.join(tmp, name)
  fs.copyFileSync(base, f)
  return f
}

function contents(file: string): Map<string, string> {
  const db = DB.open(file, {readOnly: true})
  try {
    const out = new Map<string, string>()
    db.view((tx) => tx.bucket(BUCKET)!.forEach((k, v) => out.set(k.toString('latin1'), v!.toString('latin1'))))
    return out
  } finally {
    db.close()
  }
}

describe('leaves read in file order into a reused buffer', () => {
  it('updating every value in key order writes the very bytes Go writes', () => {
    const ours = copyOfBase('ours-all.bolt'), go = copyOfBase('go-all.bolt')
    expect(oracle('bench-update', go).status).toBe(0)
    const db = DB.open(ours)
    db.update((tx) => {
      const b = tx.bucket(BUCKET)!
      for (let i = 0; i < N; i++) b.put(key(i), value(i, 'u'), {copy: false})
    })
    db.close()
    expect(fs.readFileSync(ours).equals(fs.readFileSync(go))).toBe(true)
  })

  it('updating every third value in key order keeps the others', () => {
    const file = copyOfBase('third.bolt')
    const want = contents(file)
    const db = DB.open(file)
    db.update((tx) => {
      const b = tx.bucket(BUCKET)!
      for (let i = 0; i < N; i += 3) {
        b.put(key(i), value(i, 'u'))
        want.set(key(i).toString('latin1'), value(i, 'u').toString('latin1'))
      }
    })
    db.close()
    oracleCheck(file)
    expect(contents(file)).toEqual(want)
  })

  it('a value a cursor handed out without copying stays as it was while later puts read on', () => {
    const file = copyOfBase('views.bolt')
    const db = DB.open(file)
    const views: Array<{view: Buffer; bytes: string}> = []
    db.update((tx) => {
      const b = tx.bucket(BUCKET)!
      const c = b.cursor({copy: false})
      for (let i = 0; i < N; i++) {
        b.put(key(i), value(i, 'u'))
        // the next key's value, often still the one read from the file into a node
        const e = c.seek(key(i + 1))
        if (e !== null) views.push({view: e.value!, bytes: e.value!.toString('latin1')})
      }
      for (const v of views) expect(v.view.toString('latin1')).toBe(v.bytes)
    })
    db.close()
    oracleCheck(file)
  })

  it('puts, gets and deletes in ascending runs with jumps land where a search from the root puts them', () => {
    const file = copyOfBase('runs.bolt')
    const want = contents(file)
    const r = rng(11)
    const db = DB.open(file)
    db.update((tx) => {
      const b = tx.bucket(BUCKET)!
      for (let run = 0; run < 300; run++) {
        let i = Math.floor(r() * (N + 20)) - 10
        const len = 1 + Math.floor(r() * 25)
        for (let j = 0; j < len; j++, i += 1 + Math.floor(r() * 2)) {
          // keys of the file, and new ones between them, before the first and after the last
          const k = i < 0 ? Buffer.from(`+${-i}`) : r() < 0.3 ? Buffer.concat([key(i), Buffer.from('~')]) : key(i)
          const ks = k.toString('latin1')
          const op = r()
          if (op < 0.5) {
            const v = Buffer.from(`v${run}-${j}`)
            b.put(k, v)
            want.set(ks, v.toString('latin1'))
          } else if (op < 0.8) {
            expect(b.get(k)?.toString('latin1')).toBe(want.get(ks))
          } else {
            b.delete(k)
            want.delete(ks)
          }
        }
      }
    })
    db.close()
    oracleCheck(file)
    expect([...contents(file)]).toEqual([...want].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
  })

  it('get in key order returns each value intact after the buffer was refilled', () => {
    const file = copyOfBase('get.bolt')
    const db = DB.open(file, {readOnly: true})
    const got = db.view((tx) => {
      const b = tx.bucket(BUCKET)!
      return Array.from({length: N}, (_, i) => b.get(key(i))!)
    })
    db.close()
    for (let i = 0; i < N; i++) expect(got[i].toString('latin1')).toBe(value(i, 'x').toString('latin1'))
  })
})

describe('scan cursors (a reused buffer of their own)', () => {
  let file = ''
  const want: Array<[string, string]> = []
  beforeAll(() => {
    // a multi-level tree of varied values, some longer than a page (overflow runs), and inline sub-buckets
    file = path.join(tmp, 'scan.bolt')
    const db = DB.create(file)
    db.update((tx) => {
      const b = tx.createBucket(Buffer.from('b'))
      for (let i = 0; i < 4000; i++) {
        const k = Buffer.from(`k${String(i).padStart(6, '0')}`)
        if (i % 500 === 7) {
          b.createBucket(k).put(Buffer.from('inner'), Buffer.from(`inline-${i}`))
          continue
        }
        const v = Buffer.alloc(i % 97 === 0 ? 9000 : 50 + (i % 400), `${i}-`)
        b.put(k, v)
        want.push([k.toString('latin1'), v.toString('latin1')])
      }
    })
    db.close()
  })
  const str = (b: Uint8Array, s: number, e: number): string => Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1')

  it('views walk the same entries as a plain cursor, both ways, and seek', () => {
    const db = DB.open(file, {readOnly: true})
    db.view((tx) => {
      const c = tx.bucket(Buffer.from('b'))!.cursor({scan: true})
      const fwd: Array<[string, string]> = []
      for (let e = c.firstView(); e !== null; e = c.nextView()) if (e.valueBuf !== null) fwd.push([str(e.keyBuf, e.keyStart, e.keyEnd), str(e.valueBuf, e.valueStart, e.valueEnd)])
      expect(fwd).toEqual(want)
      const back: string[] = []
      for (let e = c.lastView(); e !== null; e = c.prevView()) if (e.valueBuf !== null) back.push(str(e.keyBuf, e.keyStart, e.keyEnd))
      expect(back).toEqual(want.map(([k]) => k).reverse())
      for (let i = 0; i < want.length; i += 37) {
        const e = c.seekView(Buffer.from(want[i][0], 'latin1'))!
        expect(str(e.valueBuf!, e.valueStart, e.valueEnd)).toBe(want[i][1])
      }
    })
    db.close()
  })

  it('entries from first() and next() are copies that stay as they were', () => {
    const db = DB.open(file, {readOnly: true})
    const got = db.view((tx) => {
      const c = tx.bucket(Buffer.from('b'))!.cursor({scan: true, copy: false})
      const out: Array<{key: Buffer; value: Buffer | null}> = []
      for (let e = c.first(); e !== null; e = c.next()) out.push(e)
      return out
    })
    db.close()
    expect(got.filter((e) => e.value !== null).map((e) => [e.key.toString('latin1'), e.value!.toString('latin1')])).toEqual(want)
  })

  it('a sub-bucket opened from it keeps its own bytes after the cursor moved on', () => {
    const db = DB.open(file, {readOnly: true})
    db.view((tx) => {
      const c = tx.bucket(Buffer.from('b'))!.cursor({scan: true})
      const subs: Array<{name: string; bucket: ReturnType<typeof c.openBucket>}> = []
      for (let e = c.firstView(); e !== null; e = c.nextView()) if (e.valueBuf === null) subs.push({name: str(e.keyBuf, e.keyStart, e.keyEnd), bucket: c.openBucket()})
      expect(subs.length).toBe(8)
      for (const s of subs) expect(s.bucket.get(Buffer.from('inner'))?.toString()).toBe(`inline-${Number(s.name.slice(1))}`)
    })
    db.close()
  })

  it('in a write transaction it sees the changes, and deleting through it writes a clean file', () => {
    const copy = path.join(tmp, 'scan-write.bolt')
    fs.copyFileSync(file, copy)
    const db = DB.open(copy)
    const left = new Map(want)
    db.update((tx) => {
      const b = tx.bucket(Buffer.from('b'))!
      for (let i = 0; i < want.length; i += 5) {
        b.put(Buffer.from(want[i][0], 'latin1'), Buffer.from(`new-${i}`))
        left.set(want[i][0], `new-${i}`)
      }
      const c = b.cursor({scan: true})
      const seen: Array<[string, string]> = []
      for (let e = c.firstView(); e !== null; e = c.nextView()) if (e.valueBuf !== null) seen.push([str(e.keyBuf, e.keyStart, e.keyEnd), str(e.valueBuf, e.valueStart, e.valueEnd)])
      expect(seen).toEqual([...left])
      for (let i = 1; i < want.length; i += 3) {
        expect(c.seekView(Buffer.from(want[i][0], 'latin1'))).not.toBeNull()
        c.delete()
        left.delete(want[i][0])
      }
    })
    db.close()
    oracleCheck(copy)
    const after = new Map<string, string>()
    const db2 = DB.open(copy, {readOnly: true})
    db2.view((tx) => tx.bucket(Buffer.from('b'))!.forEach((k, v) => { if (v !== null) after.set(k.toString('latin1'), v.toString('latin1')) }))
    db2.close()
    expect(after).toEqual(left)
  })
})
