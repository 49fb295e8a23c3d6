// The buckets' own lookups (get, put, delete) read leaves met in file order
// into one reused buffer (Tx.leafPage). These tests walk files of many leaves
// in key order so that buffer is refilled many times, and check that nothing
// read from it earlier changes: keys and values in nodes, views handed out.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
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
