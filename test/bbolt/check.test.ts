// The checker finds what Go's writer cannot live with, in agreement with the
// oracle, and stays quiet on healthy files.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB, check} from '../../src/bbolt/index.js'
import {fixture, oracle} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-check-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const PS = 4096
const elem = (page: number, i: number): number => page * PS + 16 + 16 * i

/** Corruptions of the 2021 file (branch 9 -> leaves 6 and 3; leaf 4 migrationsv1; freelist 7 = [2 8 10 11]). */
const corruptions: Record<string, {edit: (b: Buffer) => void; expect: RegExp; goCatches: boolean}> = {
  'keys out of order in a leaf': {
    edit: (b) => {
      const e1 = elem(4, 1)
      b[e1 + b.readUInt32LE(e1 + 4)] = 0x00 // first byte of key 1 now sorts before key 0
    },
    expect: /page 4 .*key 1 .*not greater than the previous key/,
    goCatches: true,
  },
  'header id differs from the position': {
    edit: (b) => b.writeUInt32LE(55, 5 * PS),
    expect: /page 5: header id is 55/,
    goCatches: true,
  },
  'freelist misses a free page': {
    edit: (b) => b.writeUInt16LE(3, 7 * PS + 10),
    expect: /page 11: unreachable and not freed/,
    goCatches: true,
  },
  'extra flag bits on a leaf': {
    edit: (b) => b.writeUInt16LE(0x12, 6 * PS + 8),
    expect: /page 6 .*invalid type/,
    goCatches: true,
  },
  'branch key shorter than the child\'s first key': {
    edit: (b) => b.writeUInt32LE(3, elem(9, 1) + 4),
    expect: /page 3 .*first key .* differs from its branch key/,
    goCatches: true,
  },
  'inline bucket page with a non-zero id': {
    edit: (b) => {
      const e0 = elem(3, 0)
      const value = e0 + b.readUInt32LE(e0 + 4) + b.readUInt32LE(e0 + 8)
      b.writeUInt32LE(5, value + 16)
    },
    expect: /inline bucket page must have id 0/,
    goCatches: true,
  },
  'a free page listed twice': {
    edit: (b) => b.writeUInt32LE(8, 7 * PS + 16 + 8 * 3), // [2 8 10 8]
    expect: /not sorted and unique|already freed/,
    goCatches: true,
  },
  'a reachable page listed as free': {
    edit: (b) => b.writeUInt32LE(4, 7 * PS + 16 + 8 * 3), // [2 8 10 4], page 11 now unfreed too
    expect: /page 4: reachable and freed/,
    goCatches: true,
  },
}

describe('check', () => {
  it('passes both real files and reports what Go reports about them', () => {
    for (const name of ['influxd-v2.1-v2.7.bolt', 'influxd-v2.8-v2.9.bolt']) {
      const db = DB.open(fixture(name), {readOnly: true})
      const r = check(db)
      db.close()
      expect(r.problems).toEqual([])
      expect(r.stats).toMatchObject({highWaterMark: 12, reachablePages: 8, freePages: 4, inlineBuckets: name.includes('2.1') ? 49 : 52})
    }
  })

  for (const [name, c] of Object.entries(corruptions)) {
    it(`finds: ${name}`, () => {
      const buf = Buffer.from(fs.readFileSync(fixture('influxd-v2.1-v2.7.bolt')))
      c.edit(buf)
      const file = path.join(tmp, name.replace(/\W+/g, '-') + '.bolt')
      fs.writeFileSync(file, buf)
      const db = DB.open(file, {readOnly: true})
      const r = check(db)
      db.close()
      expect(r.ok).toBe(false)
      expect(r.problems.join('\n')).toMatch(c.expect)
      if (c.goCatches) expect(oracle('check', file).status).toBe(2)
    })
  }

  it('reports several problems at once, not only the first', () => {
    const buf = Buffer.from(fs.readFileSync(fixture('influxd-v2.1-v2.7.bolt')))
    corruptions['keys out of order in a leaf'].edit(buf)
    corruptions['freelist misses a free page'].edit(buf)
    corruptions['inline bucket page with a non-zero id'].edit(buf)
    const file = path.join(tmp, 'several.bolt')
    fs.writeFileSync(file, buf)
    const db = DB.open(file, {readOnly: true})
    const r = check(db)
    db.close()
    const all = r.problems.join('\n')
    expect(all).toMatch(/page 4 .*not greater than the previous key/)
    expect(all).toMatch(/page 11: unreachable/)
    expect(all).toMatch(/inline bucket page must have id 0/)
  })

  it('a damaged meta page is a warning: Go falls back to the other one', () => {
    const buf = Buffer.from(fs.readFileSync(fixture('influxd-v2.1-v2.7.bolt')))
    buf[72] ^= 0xff // meta 0 checksum
    const file = path.join(tmp, 'meta0.bolt')
    fs.writeFileSync(file, buf)
    const db = DB.open(file, {readOnly: true})
    const r = check(db)
    db.close()
    expect(r.ok).toBe(true)
    expect(r.stats.txid).toBe(113)
    expect(r.warnings.join('\n')).toMatch(/meta 0: checksum error/)
    expect(oracle('check', file).status).toBe(0)
  })
})
