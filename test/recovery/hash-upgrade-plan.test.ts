// planHashUpgrade reads only and finds every change; applyHashUpgrade writes
// exactly that plan, and only on the state it was read from.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {applyHashUpgrade, planHashUpgrade, verifyHashUpgrade} from '../../src/recovery/hash-upgrade.js'
import {makeTempDir, removeDir, sha256} from '../helpers/cli.js'
import {buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS as BUILT, USER} from '../helpers/influx-builder.js'
import {oracleCheck} from '../helpers/oracle.js'

const PERM = '{"action":"read","resource":{"type":"buckets","orgID":"' + ORG + '"}}'
const STALE = 'stale-token-still-in-the-raw-index'
const UNRELATED = 'raw-entry-of-a-token-that-stays-raw'
/** a hash that is not the token's: its index entry must go, the record gets the right one */
const WRONG_HASH = hashOf('some other token')

let tmp: string
let file: string
beforeEach(() => {
  tmp = makeTempDir('hash-plan-')
  file = path.join(tmp, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}],
    orgs: [{id: ORG, name: 'acme'}],
    owners: [{userID: USER, orgID: ORG}],
    tokens: [
      {id: '0c00000000001000', token: BUILT.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      {id: '0c00000000002000', token: BUILT.allAccess, description: 'both, wrong hash', orgID: ORG, userID: USER, perms: PERM},
      {id: '0c00000000003000', token: BUILT.custom, hashed: 'sha256', description: 'already hashed', orgID: ORG, userID: USER, perms: PERM},
    ],
  })
  // by hand: a record holding a token and a hash that is not its own (indexed
  // for it), a stale raw entry for the operator token's record, and a raw
  // entry pointing at the already hashed record (not part of this change)
  const db = DB.open(file)
  db.update((tx) => {
    const auths = tx.bucket(Buffer.from('authorizationsv1'))!
    const key = Buffer.from('0c00000000002000')
    const rec = auths.get(key)!.toString('utf8').replace('"token":', `"hashedToken":"${WRONG_HASH}","token":`)
    auths.put(key, Buffer.from(rec))
    tx.bucket(Buffer.from('authorizationhashedindexv1'))!.put(Buffer.from(WRONG_HASH), key)
    const raw = tx.bucket(Buffer.from('authorizationindexv1'))!
    raw.put(Buffer.from(STALE), Buffer.from('0c00000000001000'))
    raw.put(Buffer.from(UNRELATED), Buffer.from('0c00000000003000'))
  })
  db.close()
})
afterEach(() => removeDir(tmp))

/** Runs fn on the test file opened read-write, closing it whatever happens. */
function withDb(fn: (db: DB) => void): void {
  const db = DB.open(file)
  try {
    fn(db)
  } finally {
    db.close()
  }
}

const keysOf = (db: DB, bucket: string): string[] => db.view((tx) => {
  const out: string[] = []
  tx.bucket(Buffer.from(bucket))!.forEach((k) => { out.push(k.toString('latin1')) })
  return out
})

describe('hash-upgrade plan and apply', () => {
  it('the plan reads only and names every change; the write does exactly that', () => {
    const before = sha256(file)
    withDb((db) => {
      const seen: string[] = []
      const plan = db.view((tx) => planHashUpgrade(tx, {variant: 'sha256', createHashedIndex: false, onRecord: (d, h) => seen.push(`${d.key}:${h === undefined ? '-' : h.hash}`)}))
      expect(sha256(file)).toBe(before)
      expect(seen).toEqual([`0c00000000001000:${hashOf(BUILT.operator)}`, `0c00000000002000:${hashOf(BUILT.allAccess)}`, '0c00000000003000:-'])
      expect(plan.records.map((r) => [r.id, r.hash, r.hadBoth])).toEqual([['0c00000000001000', hashOf(BUILT.operator), false], ['0c00000000002000', hashOf(BUILT.allAccess), true]])
      expect(plan.staleRawKeys).toEqual([STALE])
      expect(plan.rawDeletes.map((k) => k.toString('latin1')).sort()).toEqual([BUILT.operator, BUILT.allAccess, STALE].sort())
      expect(plan.hashedDeletes.map((k) => k.toString('latin1'))).toEqual([WRONG_HASH])
      expect(plan.hashedPuts.map(([k]) => k.toString('latin1'))).toEqual([hashOf(BUILT.operator), hashOf(BUILT.allAccess)].sort())

      const result = db.update((tx) => applyHashUpgrade(tx, plan))
      expect(result.staleRawEntries).toBe(1)
      expect(result.secrets).toEqual([BUILT.operator, BUILT.allAccess, STALE])
      expect(db.view((tx) => verifyHashUpgrade(tx, result))).toEqual([])
      expect(keysOf(db, 'authorizationindexv1')).toEqual([UNRELATED])
      expect(keysOf(db, 'authorizationhashedindexv1')).toEqual([hashOf(BUILT.operator), hashOf(BUILT.allAccess), hashOf(BUILT.custom)].sort())
      // verification reads what is stored: a wrong hash or a token still there is reported
      const wrong = {...result, hashed: result.hashed.map((h) => ({...h, hash: WRONG_HASH}))}
      expect(db.view((tx) => verifyHashUpgrade(tx, wrong))).toContain('authorization 0c00000000001000: hashedToken is not the expected hash')
      // the hashed index is read back too (one pass beside the expected entries in key order): an entry missing or naming another record is reported
      db.update((tx) => {
        const hashed = tx.bucket(Buffer.from('authorizationhashedindexv1'))!
        hashed.delete(Buffer.from(hashOf(BUILT.operator)))
        hashed.put(Buffer.from(hashOf(BUILT.allAccess)), Buffer.from('0c00000000009000'))
      })
      expect(db.view((tx) => verifyHashUpgrade(tx, result))).toEqual([
        'authorization 0c00000000001000: the hashed index entry is missing',
        'authorization 0c00000000002000: the hashed index entry is missing',
      ])
      db.update((tx) => {
        const hashed = tx.bucket(Buffer.from('authorizationhashedindexv1'))!
        hashed.put(Buffer.from(hashOf(BUILT.operator)), Buffer.from('0c00000000001000'))
        hashed.put(Buffer.from(hashOf(BUILT.allAccess)), Buffer.from('0c00000000002000'))
      })
      expect(db.view((tx) => verifyHashUpgrade(tx, result))).toEqual([])
      const withToken = Buffer.from(result.hashed[0]!.value.toString('utf8').replace('"status":', '"token":"back again","status":'))
      db.update((tx) => tx.bucket(Buffer.from('authorizationsv1'))!.put(Buffer.from('0c00000000001000'), withToken))
      const stillRaw = {...result, hashed: result.hashed.map((h, i) => (i === 0 ? {...h, value: withToken} : h))}
      expect(db.view((tx) => verifyHashUpgrade(tx, stillRaw))).toEqual(['authorization 0c00000000001000 still holds its token'])
      const both = JSON.parse(db.view((tx) => tx.bucket(Buffer.from('authorizationsv1'))!.get(Buffer.from('0c00000000002000'))!.toString('utf8'))) as Record<string, unknown>
      expect(both.token).toBeUndefined()
      expect(both.hashedToken).toBe(hashOf(BUILT.allAccess))
    })
    oracleCheck(file)
  })

  it('a plan is refused on any other state than the one it was read from, and in a read transaction', () => {
    withDb((db) => {
      const plan = db.view((tx) => planHashUpgrade(tx, {variant: 'sha256', createHashedIndex: false}))
      expect(() => db.view((tx) => applyHashUpgrade(tx, plan))).toThrow(/applied to transaction/)
      db.update((tx) => { tx.bucket(Buffer.from('authorizationsv1'))!.delete(Buffer.from('0c00000000001000')) })
      const after = fs.readFileSync(file)
      expect(() => db.update((tx) => applyHashUpgrade(tx, plan))).toThrow(/plan of txid \d+ applied to transaction/)
      expect(fs.readFileSync(file).equals(after)).toBe(true)
    })
  })

  it('a wrong hash that is another token\'s frees that index key for it', () => {
    withDb((db) => {
      // the operator's record (first in key order) claims the hash of a later record's token
      db.update((tx) => {
        const auths = tx.bucket(Buffer.from('authorizationsv1'))!
        const key = Buffer.from('0c00000000001000')
        auths.put(key, Buffer.from(auths.get(key)!.toString('utf8').replace('"token":', `"hashedToken":"${hashOf(BUILT.allAccess)}","token":`)))
        const hashed = tx.bucket(Buffer.from('authorizationhashedindexv1'))!
        hashed.delete(Buffer.from(WRONG_HASH))
        hashed.put(Buffer.from(hashOf(BUILT.allAccess)), key)
      })
      const plan = db.view((tx) => planHashUpgrade(tx, {variant: 'sha256', createHashedIndex: false}))
      expect(plan.hashedDeletes.map((k) => k.toString('latin1')).sort()).toEqual([hashOf(BUILT.allAccess)])
      db.update((tx) => applyHashUpgrade(tx, plan))
      const index = db.view((tx) => {
        const out: Record<string, string> = {}
        tx.bucket(Buffer.from('authorizationhashedindexv1'))!.forEach((k, v) => { out[k.toString('latin1')] = v!.toString('latin1') })
        return out
      })
      expect(index[hashOf(BUILT.allAccess)]).toBe('0c00000000002000')
      expect(index[hashOf(BUILT.operator)]).toBe('0c00000000001000')
    })
    oracleCheck(file)
  })

  it('a record under its id in capitals is refused (influxd looks records up in lowercase)', () => {
    withDb((db) => {
      db.update((tx) => {
        const auths = tx.bucket(Buffer.from('authorizationsv1'))!
        const v = Buffer.from(auths.get(Buffer.from('0c00000000001000'))!)
        auths.delete(Buffer.from('0c00000000001000'))
        auths.put(Buffer.from('0C00000000001000'), v)
      })
      expect(() => db.view((tx) => planHashUpgrade(tx, {variant: 'sha256', createHashedIndex: false}))).toThrow(/authorization 0c00000000001000 is stored under the key "0C00000000001000"/)
    })
  })

  it('a token indexed for another record is refused while planning', () => {
    withDb((db) => {
      db.update((tx) => { tx.bucket(Buffer.from('authorizationhashedindexv1'))!.put(Buffer.from(hashOf(BUILT.operator)), Buffer.from('0c00000000003000')) })
      const before = fs.readFileSync(file)
      expect(() => db.view((tx) => planHashUpgrade(tx, {variant: 'sha256', createHashedIndex: false}))).toThrow(/already holds its token for authorization 0c00000000003000/)
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    })
  })
})
