// Damaged input: every way of reading a damaged file (the engine's check and
// reads, and the token listing of "auth list" through the recovery layer)
// ends in a BoltError (or succeeds), never another exception, a hang or
// unbounded memory. FUZZ_CASES sets the number of mutated files (500 by
// default, 20,000 with npm run fuzz), FUZZ_SEED the seed.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BoltError, DB, check} from '../../src/bbolt/index.js'
import {CheckProblem, checkStreamed, checkWithoutReuse, type CheckReport} from '../../src/bbolt/check.js'
import {listAuthorizations} from '../../src/recovery/list.js'
import {readModel, rng} from '../helpers/model.js'
import {fixture, oracle} from '../helpers/oracle.js'

const CASES = Number(process.env.FUZZ_CASES ?? 500)
/** peak resident set size of the test process over the whole run (the worker itself included) */
const RSS_LIMIT_MB = 512
const MB = 1024 * 1024

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-corrupt-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

/** Opens, checks and reads everything; returns 'ok' or the BoltError kind. Anything else fails the test. */
function exercise(file: string): string {
  let db: DB
  try {
    db = DB.open(file, {readOnly: true})
  } catch (err) {
    if (err instanceof BoltError) return `open:${err.kind}`
    throw err
  }
  try {
    const report = check(db)
    expect(Array.isArray(report.problems)).toBe(true)
    // the checker reuses its read buffers: it must find exactly what it finds without
    expect(report).toEqual(checkWithoutReuse(db))
    streamedAgrees(db)
    db.view((tx) => readModel(tx))
    // what "auth list" shows: every authorization decoded, its user and org looked up
    const rows = db.view((tx) => listAuthorizations(tx))
    expect(Array.isArray(rows)).toBe(true)
    return report.ok ? 'ok' : 'check-problems'
  } catch (err) {
    if (err instanceof BoltError) return `read:${err.kind}`
    throw err
  } finally {
    db.close()
  }
}

/**
 * checkStreamed (a reader's check of one bucket as it reads it, `auth list`'s)
 * finds a problem exactly when the scoped check of the same buckets does,
 * one the check also lists; when there is none, it hands out exactly the
 * entries a cursor reads. For every top-level bucket the engine can name.
 */
function streamedAgrees(db: DB): void {
  const all = {topLevel: (): boolean => true}
  let scoped: CheckReport
  try {
    scoped = check(db, all)
  } catch (err) {
    if (err instanceof BoltError) return
    throw err
  }
  const names = ['authorizationsv1']
  try {
    db.view((tx) => tx.forEach((name) => void names.push(name.toString('latin1'))))
  } catch (err) {
    if (!(err instanceof BoltError)) throw err
  }
  for (const name of new Set(names)) {
    try {
      streamedAgreesOn(db, name, scoped)
    } catch (err) {
      // a BoltError here is a streamed read failing otherwise than the check would
      if (err instanceof BoltError) throw new Error(`${name}: the streamed check raised ${err.message}`)
      throw err
    }
  }
}

function streamedAgreesOn(db: DB, name: string, scoped: CheckReport): void {
  {
    const streamed = checkStreamed(db, {topLevel: () => true, streamed: Buffer.from(name, 'latin1')})
    let first: string | undefined = streamed.report.problems[0]
    const got: string[] = []
    if (first === undefined && streamed.entries !== undefined) {
      try {
        for (const e of streamed.entries()) got.push(`${e.key.toString('hex')}=${e.value === null ? 'bucket' : e.value.toString('hex')}`)
      } catch (err) {
        if (!(err instanceof CheckProblem)) throw err
        first = err.message
      }
    }
    expect(first === undefined, `${name}: streamed found ${first}; the check found ${scoped.problems[0]}`).toBe(scoped.ok)
    if (first !== undefined) {
      expect(scoped.problems).toContain(first)
      return
    }
    if (streamed.entries === undefined) return
    const want: string[] = []
    db.view((tx) => tx.bucket(Buffer.from(name, 'latin1'))?.forEach((k, v) => void want.push(`${k.toString('hex')}=${v === null ? 'bucket' : v.toString('hex')}`)))
    expect(got).toEqual(want)
  }
}

function sources(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {}
  for (const name of ['influxd-v2.1-v2.7.bolt', 'influxd-v2.8-v2.9.bolt']) out[name] = fs.readFileSync(fixture(name))
  for (const scenario of ['nested', 'overflow', 'pagesize1024']) {
    const f = path.join(tmp, `${scenario}.bolt`)
    expect(oracle('gen', f, scenario, '3').status).toBe(0)
    out[scenario] = fs.readFileSync(f)
  }
  return out
}

describe('damaged files', () => {
  it('truncation at many offsets, zero length and random bytes', () => {
    const src = fs.readFileSync(fixture('influxd-v2.8-v2.9.bolt'))
    const f = path.join(tmp, 'cut.bolt')
    const seen = new Set<string>()
    for (const len of [0, 1, 100, 1023, 4095, 4096, 4097, 8191, 8192, 20000, 40000, 45055, 49151, 49152, 60000]) {
      fs.writeFileSync(f, src.subarray(0, len))
      seen.add(exercise(f))
    }
    const r = rng(5)
    for (let i = 0; i < 20; i++) {
      const b = Buffer.alloc(Math.floor(r() * 70000))
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256)
      fs.writeFileSync(f, b)
      expect(exercise(f)).toMatch(/^open:corrupt$/)
    }
    expect(seen.has('open:corrupt')).toBe(true)
  })

  it('a branch pointing to itself or to its ancestor is reported, not followed forever', () => {
    // the 2025 file: root bucket branch page 8 -> leaves 7 and 2; point its second child at page 8
    const src = Buffer.from(fs.readFileSync(fixture('influxd-v2.8-v2.9.bolt')))
    const branch = 8 * 4096
    expect(src.readUInt16LE(branch + 8)).toBe(0x01)
    src.writeUInt32LE(8, branch + 16 + 16 + 8)
    const f = path.join(tmp, 'cycle.bolt')
    fs.writeFileSync(f, src)
    const db = DB.open(f, {readOnly: true})
    const report = check(db)
    expect(report.ok).toBe(false)
    expect(report.problems.join('\n')).toMatch(/page 8.*multiple references/)
    expect(() => db.view((tx) => readModel(tx))).toThrow(BoltError)
    db.close()
  })

  /** An engine-built file whose bucket `b` is a root branch over many leaves; returns the bytes and the branch's children. */
  function twoLevel(name: string): {file: string; bytes: Buffer; root: number; children: number[]} {
    const file = path.join(tmp, name)
    fs.rmSync(file, {force: true})
    const db = DB.create(file)
    db.update((tx) => {
      const b = tx.createBucket(Buffer.from('b'))
      for (let i = 0; i < 2000; i++) b.put(Buffer.from(`k${String(i).padStart(5, '0')}`), Buffer.alloc(100, i & 255))
    })
    const root = db.view((tx) => tx.bucket(Buffer.from('b'))!.root)
    db.close()
    const bytes = Buffer.from(fs.readFileSync(file))
    const at = root * 4096
    expect(bytes.readUInt16LE(at + 8)).toBe(0x01)
    const children: number[] = []
    for (let i = 0; i < bytes.readUInt16LE(at + 10); i++) children.push(bytes.readUInt32LE(at + 16 + 16 * i + 8))
    expect(children.length).toBeGreaterThan(42)
    return {file, bytes, root, children}
  }

  function sweep(file: string, dir: 'forward' | 'backward'): unknown {
    const db = DB.open(file, {readOnly: true})
    try {
      return db.view((tx) => {
        const c = tx.bucket(Buffer.from('b'))!.cursor({copy: false})
        let n = 0
        if (dir === 'forward') for (let e = c.first(); e !== null; e = c.next()) n++
        else for (let e = c.last(); e !== null; e = c.prev()) n++
        return n
      })
    } catch (err) {
      return err
    } finally {
      db.close()
    }
  }

  it('two branch elements pointing to the same leaf (a DAG, no cycle): iteration stops with a corrupt error, check reports it', () => {
    const {file, bytes, root, children} = twoLevel('dag.bolt')
    // element 1 now points at element 0's leaf; nothing else changes
    bytes.writeUInt32LE(children[0], root * 4096 + 16 + 16 + 8)
    fs.writeFileSync(file, bytes)
    for (const dir of ['forward', 'backward'] as const) {
      const err = sweep(file, dir)
      expect(err).toBeInstanceOf(BoltError)
      expect((err as BoltError).kind).toBe('corrupt')
      expect((err as BoltError).message).toMatch(new RegExp(`page ${children[0]} is reached twice`))
    }
    const db = DB.open(file, {readOnly: true})
    const report = check(db)
    db.close()
    expect(report.ok).toBe(false)
    expect(report.problems.join('\n')).toMatch(new RegExp(`page ${children[0]} .*multiple references`))
  })

  it('a 40-level DAG whose branches all point twice at the next level (2^40 paths) ends at once', () => {
    const {file, bytes, root, children} = twoLevel('dag-deep.bolt')
    // the bucket root and 40 former leaves become branches with two elements, both naming the next page
    const chain = [root, ...children.slice(1, 41)]
    const leaf = children[0]
    const key = Buffer.from('k00000')
    chain.forEach((id, i) => {
      const p = Buffer.alloc(4096)
      p.writeUInt32LE(id, 0)
      p.writeUInt16LE(0x01, 8)
      p.writeUInt16LE(2, 10)
      const next = i + 1 < chain.length ? chain[i + 1] : leaf
      for (let e = 0; e < 2; e++) {
        const el = 16 + 16 * e
        p.writeUInt32LE(16 + 32 + e * key.length - el, el)
        p.writeUInt32LE(key.length, el + 4)
        p.writeUInt32LE(next, el + 8)
        key.copy(p, 16 + 32 + e * key.length)
      }
      p.copy(bytes, id * 4096)
    })
    fs.writeFileSync(file, bytes)
    const t = performance.now()
    for (const dir of ['forward', 'backward'] as const) {
      const err = sweep(file, dir)
      expect(err).toBeInstanceOf(BoltError)
      expect((err as BoltError).kind).toBe('corrupt')
    }
    expect(performance.now() - t).toBeLessThan(2000)
    const db = DB.open(file, {readOnly: true})
    const report = check(db)
    db.close()
    expect(report.ok).toBe(false)
    expect(report.problems.join('\n')).toMatch(/multiple references/)
  })

  it(`seeded byte mutations of real and Go-made files (${CASES} cases), peak RSS under ${RSS_LIMIT_MB} MB`, () => {
    const srcs = sources()
    const names = Object.keys(srcs)
    const r = rng(Number(process.env.FUZZ_SEED ?? 12345))
    const f = path.join(tmp, 'fuzz.bolt')
    const outcomes: Record<string, number> = {}
    const cases = CASES
    const rssStart = process.memoryUsage().rss
    let rssPeak = rssStart
    let heapPeak = process.memoryUsage().heapUsed
    let worst = {rssGrowth: 0, index: -1}
    for (let i = 0; i < cases; i++) {
      const name = names[Math.floor(r() * names.length)]
      const buf = Buffer.from(srcs[name])
      const ps = buf.readUInt32LE(24)
      const pages = Math.floor(buf.length / ps)
      const nmut = 1 + Math.floor(r() * 4)
      for (let m = 0; m < nmut; m++) {
        // aim at headers and element arrays more than at data
        const page = Math.floor(r() * pages)
        const off = page * ps + (r() < 0.6 ? Math.floor(r() * 96) : Math.floor(r() * ps))
        const kind = r()
        if (kind < 0.5) buf[off] = Math.floor(r() * 256)
        else if (kind < 0.8) buf.writeUInt32LE(Math.floor(r() * 0xffffffff), Math.min(off, buf.length - 4))
        else buf.writeUInt16LE(Math.floor(r() * 70000) & 0xffff, Math.min(off, buf.length - 2))
      }
      fs.writeFileSync(f, buf)
      const started = Date.now()
      let outcome: string
      try {
        outcome = exercise(f)
      } catch (err) {
        throw new Error(`case ${i} (${name}) raised ${(err as Error).name}: ${(err as Error).message}\n${(err as Error).stack}`)
      }
      expect(Date.now() - started).toBeLessThan(5000)
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
      const mem = process.memoryUsage()
      if (mem.rss - rssPeak > worst.rssGrowth) worst = {rssGrowth: mem.rss - rssPeak, index: i}
      rssPeak = Math.max(rssPeak, mem.rss)
      heapPeak = Math.max(heapPeak, mem.heapUsed)
      // a case that allocates without bound fails here, at the case, not at the end of the run
      expect(mem.rss, `case ${i} (${name}): RSS ${Math.round(mem.rss / MB)} MB`).toBeLessThan(RSS_LIMIT_MB * MB)
    }
    const mb = (n: number): string => `${Math.round(n / MB)} MB`
    console.log(`fuzz: ${cases} cases, outcomes ${JSON.stringify(outcomes)}; RSS ${mb(rssStart)} at the start, peak ${mb(rssPeak)} (largest single rise ${mb(worst.rssGrowth)} at case ${worst.index}); peak heap ${mb(heapPeak)}`)
    expect(rssPeak).toBeLessThan(RSS_LIMIT_MB * MB)
    // the mutations really hit: most cases are detected
    expect(Object.keys(outcomes).length).toBeGreaterThan(1)
  }, Math.max(180_000, CASES * 60)) // generous: the machine may be shared
})
