// I/O fault injection: an error on each write, each sync and the grow step,
// one at a time, leaves the file at the previous txid, clean for Go, with the
// previous contents. Also torn writes and rollback.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {BoltError, DB, realFileOps, type FileOps, type Tx} from '../../src/bbolt/index.js'
import {RandomTxs, modelDump, newBucket, readModel, type MBucket} from '../helpers/model.js'
import {oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-faults-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

type Op = 'write' | 'fdatasync' | 'fsync' | 'ftruncate'

/** FileOps that fail the n-th call of one kind (optionally after writing half of the buffer). */
function faulty(kind: Op, n: number, torn = false): FileOps & {calls: Record<Op, number>; fired: boolean} {
  const calls: Record<Op, number> = {write: 0, fdatasync: 0, fsync: 0, ftruncate: 0}
  const ops = {
    calls,
    fired: false,
    read: realFileOps.read,
    size: realFileOps.size,
    write(fd: number, buf: Buffer, pos: number) {
      if (kind === 'write' && calls.write++ === n) {
        ops.fired = true
        if (torn) realFileOps.write(fd, buf.subarray(0, Math.floor(buf.length / 2)), pos)
        throw Object.assign(new Error('injected EIO'), {code: 'EIO'})
      }
      realFileOps.write(fd, buf, pos)
    },
    fdatasync(fd: number) {
      if (kind === 'fdatasync' && calls.fdatasync++ === n) {
        ops.fired = true
        throw Object.assign(new Error('injected EIO'), {code: 'EIO'})
      }
      realFileOps.fdatasync(fd)
    },
    fsync(fd: number) {
      if (kind === 'fsync' && calls.fsync++ === n) {
        ops.fired = true
        throw Object.assign(new Error('injected EIO'), {code: 'EIO'})
      }
      realFileOps.fsync(fd)
    },
    ftruncate(fd: number, size: number) {
      if (kind === 'ftruncate' && calls.ftruncate++ === n) {
        ops.fired = true
        throw Object.assign(new Error('injected ENOSPC'), {code: 'ENOSPC'})
      }
      realFileOps.ftruncate(fd, size)
    },
  }
  return ops
}

/** A file with some history, and its model. */
function baseFile(name: string): {file: string; model: MBucket; txid: number} {
  const file = path.join(tmp, name)
  const db = DB.create(file)
  const model = newBucket()
  const g = new RandomTxs(4242)
  for (let t = 0; t < 8; t++) {
    const tx = db.begin(true)
    g.apply(tx, model, [])
    tx.commit()
  }
  const txid = db.meta().txid
  db.close()
  return {file, model, txid}
}

const kinds: Record<string, (tx: Tx) => void> = {
  'small put': (tx) => tx.createBucketIfNotExists(Buffer.from('small')).put(Buffer.from('k'), Buffer.from('v')),
  'growing load': (tx) => {
    const b = tx.createBucketIfNotExists(Buffer.from('big'))
    for (let i = 0; i < 4000; i++) b.put(Buffer.from(`key${i}`), Buffer.alloc(700, i & 255))
  },
  'bucket delete': (tx) => {
    let first: Buffer | null = null
    tx.forEach((name) => { first ??= name })
    if (first) tx.deleteBucket(first)
  },
  'empty commit': () => {},
}

describe('I/O faults during commit', () => {
  for (const [kindName, work] of Object.entries(kinds)) {
    for (const op of ['write', 'fdatasync', 'fsync', 'ftruncate'] as Op[]) {
      it(`${kindName}: every ${op} failing in turn leaves the previous state`, () => {
        const {file, model, txid} = baseFile(`${kindName.replace(/ /g, '-')}-${op}.bolt`)
        const expected = modelDump(model)
        // count the calls of a clean run on a copy
        const probe = path.join(tmp, `probe-${kindName.replace(/ /g, '-')}-${op}.bolt`)
        fs.copyFileSync(file, probe)
        const counter = faulty(op, -1)
        const pdb = DB.open(probe, {fileOps: counter})
        pdb.update(work)
        pdb.close()
        const total = counter.calls[op]
        let injected = 0
        // every call when there are few; otherwise the first, the last and a spread between
        const picks = new Set<number>()
        for (let n = 0; n < total; n++) if (total <= 12 || n < 3 || n >= total - 4 || n % Math.ceil(total / 6) === 0) picks.add(n)
        for (const n of picks) {
          for (const torn of op === 'write' ? [false, true] : [false]) {
            const ops = faulty(op, n, torn)
            const db = DB.open(file, {fileOps: ops})
            let error: unknown = null
            try {
              db.update(work)
            } catch (err) {
              error = err
            }
            db.close()
            expect(ops.fired).toBe(true)
            expect(error).toBeInstanceOf(BoltError)
            expect((error as BoltError).kind).toBe('io')
            injected++
            const after = DB.open(file, {readOnly: true})
            expect(after.meta().txid).toBe(txid)
            expect(after.view((tx) => modelDump(readModel(tx)))).toEqual(expected)
            after.close()
            oracleCheck(file)
            expect(oracleDump(file)).toEqual(expected)
          }
        }
        // grow-free transactions have no ftruncate/fsync to fail
        if (op === 'write' || op === 'fdatasync') expect(injected).toBeGreaterThan(0)
        // and the file is still writable afterwards
        const db = DB.open(file)
        db.update(work)
        expect(db.meta().txid).toBe(txid + 1)
        db.close()
        oracleCheck(file)
      })
    }
  }

  it('the growing load really exercises the grow step', () => {
    const {file} = baseFile('grow-probe.bolt')
    const counter = faulty('ftruncate', -1)
    const db = DB.open(file, {fileOps: counter})
    db.update(kinds['growing load'])
    db.close()
    expect(counter.calls.ftruncate).toBeGreaterThan(0)
  })
})

describe('rollback and damaged metas', () => {
  it('a rolled-back transaction leaves the file byte-identical', () => {
    const {file} = baseFile('rollback.bolt')
    const before = fs.readFileSync(file)
    const db = DB.open(file)
    const tx = db.begin(true)
    kinds['growing load'](tx)
    kinds['bucket delete'](tx)
    tx.rollback()
    db.close()
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('opens with the other meta when one is damaged, and fails clearly when both are', () => {
    const {file, txid} = baseFile('metas.bolt')
    const active = txid % 2
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, active * 4096 + 40) // inside the checksummed area
    fs.closeSync(fd)
    let db = DB.open(file, {readOnly: true})
    expect(db.meta().txid).toBe(txid - 1)
    expect(db.metas[active].problem).toMatch(/checksum/)
    db.close()
    // writing from the older meta works and Go agrees
    db = DB.open(file)
    db.update((tx) => tx.createBucketIfNotExists(Buffer.from('after-damage')))
    db.close()
    oracleCheck(file)

    const fd2 = fs.openSync(file, 'r+')
    fs.writeSync(fd2, Buffer.alloc(8, 0xee), 0, 8, 16)
    fs.writeSync(fd2, Buffer.alloc(8, 0xee), 0, 8, 4096 + 16)
    fs.closeSync(fd2)
    expect(() => DB.open(file, {readOnly: true})).toThrow(/bad magic|both meta pages are invalid/)
  })

  it('undoLastCommit returns the file to the previous txid', () => {
    const {file, model, txid} = baseFile('undo.bolt')
    const db = DB.open(file)
    db.update(kinds['growing load'])
    expect(db.meta().txid).toBe(txid + 1)
    expect(db.undoLastCommit()).toBe(txid)
    db.close()
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(modelDump(model))
    const again = DB.open(file)
    again.update(kinds['small put'])
    again.close()
    oracleCheck(file)
  })
})
