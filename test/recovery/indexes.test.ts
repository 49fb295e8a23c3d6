// doctor's streamed token index check (TokenIndexScan) reports exactly what
// checkTokenIndexes reports from whole maps, on files whose records and
// indexes disagree in every way the check words: missing, stale and wrong
// entries, shared tokens, records both raw and hashed or neither, ids that
// differ from their keys, undecodable records, nested buckets, a missing
// hashed index, keys that are not UTF-8 and ids equal but for case.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB, type Tx} from '../../src/bbolt/index.js'
import {checkTokenIndexes, TokenIndexScan} from '../../src/recovery/indexes.js'
import {eachAuthorization, readModel} from '../../src/recovery/read-model.js'
import {hashOf} from '../helpers/influx-builder.js'
import {rng} from '../helpers/model.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-indexes-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const CASES = Number(process.env.INDEX_CASES ?? 300)

function randomFile(file: string, seed: number): void {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const hex = (): string => Array.from({length: 16}, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('')
  // how often something is wrong: a third of the files are consistent but for chance
  const bad = r() < 0.3 ? 0.002 : r() * 0.3
  const odd = (): boolean => r() < bad
  const tokenPool = Array.from({length: 4 + Math.floor(r() * 200)}, (_, i) => `tok${i}-${'x'.repeat(80)}==`)
  // a lone surrogate: JSON writes it escaped, decoding gives U+FFFD (as Go's does), UTF-8 keys hold EF BF BD
  const lone = 'tok-\ud800-' + 'y'.repeat(78) + '=='
  const ids: string[] = []
  const db = DB.build(file, (tx: Tx) => {
    const auths = tx.createBucket(Buffer.from('authorizationsv1'))
    const raw = tx.createBucket(Buffer.from('authorizationindexv1'))
    const hashed = r() < 0.85 ? tx.createBucket(Buffer.from('authorizationhashedindexv1')) : undefined
    const n = Math.floor(r() * 60)
    for (let i = 0; i < n; i++) {
      const key = hex()
      let id = key
      const roll = r()
      if (roll < bad / 3) id = hex() // stored under another key
      else if (roll < bad / 2) id = key.toUpperCase() // the same id but for case
      ids.push(id)
      if (r() < bad / 4) {
        auths.put(Buffer.from(key), Buffer.from('{not json'))
        continue
      }
      if (r() < bad / 8) {
        auths.createBucket(Buffer.from(key))
        continue
      }
      const token = odd() ? '' : odd() ? lone : odd() || (bad > 0.05 && r() < 0.3) ? pick(tokenPool) : `tok-${key}-${'x'.repeat(63)}==`
      const kind = odd() ? 0.9 + r() * 0.1 : r() * 0.85
      const fields = [`"id":"${id}"`]
      let hash: string | undefined
      if (kind < 0.6) fields.push(`"token":${JSON.stringify(token)}`)
      else if (kind < 0.85) hash = hashOf(token, r() < 0.5 ? 'sha256' : 'sha512')
      else if (kind < 0.95) {
        fields.push(`"token":${JSON.stringify(token)}`)
        hash = hashOf(token)
      }
      if (hash !== undefined) fields.push(`"hashedToken":${JSON.stringify(hash)}`)
      fields.push('"status":"active"', '"description":""', `"orgID":"${hex()}"`, `"userID":"${hex()}"`, '"permissions":[]', '"createdAt":"2024-01-02T03:04:05Z"', '"updatedAt":"2024-01-02T03:04:05Z"')
      auths.put(Buffer.from(key), Buffer.from(`{${fields.join(',')}}`))
      // index entries: mostly right, sometimes missing or pointing elsewhere
      const target = (): string => { const x = r(); return !odd() ? id : x < 0.3 ? id.toUpperCase() : x < 0.6 ? hex() : pick(ids) }
      const storesToken = fields.some((f) => f.startsWith('"token"'))
      if (token !== '' && (storesToken ? !odd() : odd())) raw.put(Buffer.from(token), Buffer.from(target()))
      if (hash !== undefined && hashed !== undefined && !odd()) hashed.put(Buffer.from(hash), Buffer.from(target()))
    }
    // stale and odd entries
    for (let i = Math.floor(r() * 6 * bad); i > 0; i--) raw.put(Buffer.from(pick(tokenPool)), Buffer.from(r() < 0.5 ? hex() : pick(ids.length ? ids : ['x'])))
    if (hashed !== undefined) for (let i = Math.floor(r() * 4 * bad); i > 0; i--) hashed.put(Buffer.from(hashOf(pick(tokenPool))), Buffer.from(pick(ids.length ? ids : ['x'])))
    if (odd()) raw.createBucket(Buffer.from(pick(tokenPool) + 'nested'))
    // keys that are not UTF-8 and decode to the same text
    if (r() < 0.05) for (const k of [[0x74, 0xff], [0x74, 0xfe]]) raw.put(Buffer.from(k), Buffer.from(pick(ids.length ? ids : ['x'])))
    if (r() < 0.05 && ids.length) {
      // an id equal to another but for case, under its own (upper-case) key, indexed by its decoded (lower-case) id
      const twin = ids[0].toUpperCase()
      const token = `twin-${'z'.repeat(81)}==`
      auths.put(Buffer.from(twin), Buffer.from(`{"id":"${twin}","token":${JSON.stringify(token)},"status":"active","description":"","orgID":"${hex()}","permissions":[],"createdAt":"2024-01-02T03:04:05Z","updatedAt":"2024-01-02T03:04:05Z"}`))
      raw.put(Buffer.from(token), Buffer.from(twin.toLowerCase()))
    }
  })
  db.close()
}

describe('token index check, streamed', () => {
  it(`equals checkTokenIndexes on ${CASES} random inconsistent files`, () => {
    const file = path.join(tmp, 'idx.bolt')
    let streamed = 0, withProblems = 0
    for (let seed = 1; seed <= CASES; seed++) {
      fs.rmSync(file, {force: true})
      randomFile(file, seed)
      const db = DB.open(file, {readOnly: true})
      try {
        db.view((tx) => {
          const expected = checkTokenIndexes(tx, readModel(tx, {readOnly: true}))
          const scan = new TokenIndexScan()
          for (const d of eachAuthorization(tx)) scan.add(d)
          expect(scan.finish(tx), `seed ${seed}`).toEqual(expected)
          if (!scan.usedMaps) streamed++
          if (expected.problems.length > 0) withProblems++
        })
      } finally {
        db.close()
      }
    }
    console.log(`streamed ${streamed}, with problems ${withProblems} of ${CASES}`)
    // both ways of reading were exercised, on files with and without problems
    expect(streamed).toBeGreaterThan(CASES * 0.7)
    expect(streamed).toBeLessThan(CASES)
    expect(withProblems).toBeGreaterThan(CASES * 0.7)
    expect(withProblems).toBeLessThan(CASES)
  })
})
