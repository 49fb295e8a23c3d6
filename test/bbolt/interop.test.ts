// Go -> TS: our reader sees exactly what Go wrote. TS -> Go: Go can keep
// writing files we wrote, and they still check clean.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB, check} from '../../src/bbolt/index.js'
import {RandomTxs, modelDump, newBucket, readModel} from '../helpers/model.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-interop-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const SCENARIOS = ['empty', 'splits', 'merges', 'overflow', 'nested', 'inline', 'bigfreelist', 'nofreelistsync', 'pagesize1024', 'pagesize16384', 'pagesize65536', 'churn']

function gen(scenario: string, seed = 1): string {
  const file = path.join(tmp, `go-${scenario}-${seed}.bolt`)
  const r = oracle('gen', file, scenario, String(seed))
  if (r.status !== 0) throw new Error(`oracle gen ${scenario} failed: ${r.stderr}`)
  return file
}

const dumpOf = (file: string): string[] => {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.view((tx) => modelDump(readModel(tx)))
  } finally {
    db.close()
  }
}

describe('Go-written files', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: read identically, check clean, then written by us and still clean for Go`, () => {
      const file = gen(scenario)
      const expected = oracleDump(file)
      expect(dumpOf(file)).toEqual(expected)

      let db = DB.open(file, {readOnly: true})
      const report = check(db)
      db.close()
      expect(report.problems).toEqual([])
      expect(report.ok).toBe(true)

      // Write to it with our engine: every bucket gets puts and deletes, a new nested bucket appears.
      db = DB.open(file)
      const model = db.view((tx) => readModel(tx))
      const gen2 = new RandomTxs(99)
      for (let t = 0; t < 5; t++) {
        const tx = db.begin(true)
        gen2.apply(tx, model, [])
        tx.commit()
      }
      db.close()
      oracleCheck(file)
      expect(oracleDump(file)).toEqual(modelDump(model))
    })
  }

  it('a NoFreelistSync file keeps its free pages free when we write (free set rebuilt by reachability)', () => {
    const file = gen('nofreelistsync', 3)
    const before = DB.open(file, {readOnly: true})
    expect(before.meta().freelist).toBeNull()
    const hwm = before.meta().pgid
    before.close()
    const db = DB.open(file)
    db.update((tx) => tx.createBucket(Buffer.from('after')).put(Buffer.from('k'), Buffer.from('v')))
    const m = db.meta()
    db.close()
    expect(m.freelist).not.toBeNull()
    // the few new pages came from the rebuilt free set, not from growing the file
    expect(m.pgid).toBeLessThanOrEqual(hwm + 1)
    oracleCheck(file)
  })
})

describe('files we write', () => {
  for (const pageSize of [1024, 4096, 8192, 65536]) {
    it(`page size ${pageSize}: Go reads, mutates and re-checks them`, () => {
      const file = path.join(tmp, `ts-${pageSize}.bolt`)
      const db = DB.create(file, {pageSize})
      const model = newBucket()
      const g = new RandomTxs(pageSize)
      for (let t = 0; t < 25; t++) {
        const tx = db.begin(true)
        g.apply(tx, model, [])
        tx.commit()
      }
      db.close()
      oracleCheck(file)
      expect(oracleDump(file)).toEqual(modelDump(model))
      for (const seed of [1, 2]) {
        const r = oracle('mutate', file, String(seed))
        expect(r.status, r.stderr).toBe(0)
        oracleCheck(file)
      }
      // and we read Go's result exactly
      expect(dumpOf(file)).toEqual(oracleDump(file))
    })
  }

  it('a new empty file has Go\'s 4-page layout and the first commit lands where Go puts it', () => {
    const file = path.join(tmp, 'fresh.bolt')
    const db = DB.create(file)
    expect(fs.statSync(file).size).toBe(16384)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    oracleCheck(file)
    db.update((tx) => tx.createBucket(Buffer.from('b')))
    const m = db.meta()
    db.close()
    expect({txid: m.txid, root: m.root, freelist: m.freelist, pgid: m.pgid}).toEqual({txid: 2, root: 4, freelist: 5, pgid: 6})
    expect(fs.statSync(file).size).toBe(32768)
    oracleCheck(file)
  })

  it('refuses to create over an existing file', () => {
    const file = path.join(tmp, 'exists.bolt')
    fs.writeFileSync(file, 'x')
    expect(() => DB.create(file)).toThrow(/EEXIST/)
    expect(fs.readFileSync(file, 'utf8')).toBe('x')
  })

  it('DB.build writes a file with no free pages', () => {
    const file = path.join(tmp, 'built.bolt')
    const db = DB.build(file, (tx) => {
      const b = tx.createBucket(Buffer.from('data'))
      for (let i = 0; i < 3000; i++) b.put(Buffer.from(`key${i}`), Buffer.alloc(i % 900, 1))
      b.createBucket(Buffer.from('sub')).put(Buffer.from('a'), Buffer.alloc(6000, 2))
      b.setSequence(42n)
    })
    const report = check(db)
    db.close()
    expect(report.ok).toBe(true)
    expect(report.stats.freePages).toBe(0)
    oracleCheck(file)
  })
})

describe('the real influxd files', () => {
  for (const name of ['influxd-v2.1-v2.7.bolt', 'influxd-v2.8-v2.9.bolt']) {
    it(`${name}: read like Go, check clean, and stay clean after we write`, () => {
      const src = fixture(name)
      expect(dumpOf(src)).toEqual(oracleDump(src))
      const db0 = DB.open(src, {readOnly: true})
      expect(check(db0).ok).toBe(true)
      db0.close()

      const copy = path.join(tmp, name)
      fs.copyFileSync(src, copy)
      const db = DB.open(copy)
      const model = db.view((tx) => readModel(tx))
      const g = new RandomTxs(7)
      for (let t = 0; t < 10; t++) {
        const tx = db.begin(true)
        g.apply(tx, model, [])
        tx.commit()
      }
      db.close()
      oracleCheck(copy)
      expect(oracleDump(copy)).toEqual(modelDump(model))
      expect(oracle('mutate', copy, '5').status).toBe(0)
      oracleCheck(copy)
    })
  }
})
