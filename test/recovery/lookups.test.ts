// The lookups single-record writes are made of: each answers what the whole
// store would answer for the case it covers, by index or key.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {authorizationDecodeCount} from '../../src/influxd/records.js'
import {holdsHashedTokens, indexEntriesOf, authorizationById, otherUsableOperator, tokenConflict} from '../../src/recovery/lookups.js'
import {allAccessPerms, buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER} from '../helpers/influx-builder.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-lookups-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const OTHER = '0b0b0b0b0b0b0b0b'
const custom = (i: number): {id: string; token: string; description: string; orgID: string; userID: string; perms: string} => ({
  id: `0c0000000000${(0x5000 + i).toString(16)}`, token: `custom-token-${i}`, description: `c${i}`, orgID: ORG, userID: USER,
  perms: `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`,
})

describe('otherUsableOperator (the last-operator guard)', () => {
  it('finds an operator whose record spells "authorizations" with an escape, decoding only what may be one', () => {
    const file = path.join(tmp, 'escaped.bolt')
    const escaped = operatorPerms('2.2+').replace(/"authorizations"/g, '"\\u0061uthorizations"')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'acme'}],
      tokens: [
        ...Array.from({length: 50}, (_, i) => custom(i)),
        {id: '0c00000000001000', token: TOKENS.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000009000', token: TOKENS.allAccess, description: 'escaped op', orgID: ORG, userID: USER, perms: escaped},
      ],
    })
    const db = DB.open(file, {readOnly: true})
    try {
      const before = authorizationDecodeCount()
      expect(db.view((tx) => otherUsableOperator(tx, '0c00000000001000'))).toBe('0c00000000009000')
      // the 50 custom tokens hold no "authorizations" and no escape: skipped undecoded
      expect(authorizationDecodeCount() - before).toBeLessThanOrEqual(2)
      expect(db.view((tx) => otherUsableOperator(tx, '0c00000000009000'))).toBe('0c00000000001000')
    } finally {
      db.close()
    }
  })

  it('an operator of an inactive or missing user, an inactive one or one without a token does not count', () => {
    const file = path.join(tmp, 'unusable.bolt')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}, {id: OTHER, name: 'gone', status: 'inactive'}], orgs: [{id: ORG, name: 'acme'}],
      tokens: [
        {id: '0c00000000001000', token: TOKENS.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000002000', token: TOKENS.allAccess, description: 'inactive user', orgID: ORG, userID: OTHER, perms: operatorPerms('2.2+')},
        {id: '0c00000000003000', token: TOKENS.custom, description: 'missing user', orgID: ORG, userID: '0d0d0d0d0d0d0d0d', perms: operatorPerms('2.2+')},
        {id: '0c00000000004000', token: 'an-inactive-operator-token', status: 'inactive', description: 'inactive', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000005000', token: 'all-access', description: 'all-access', orgID: ORG, userID: USER, perms: allAccessPerms('2.2+', ORG, USER)},
      ],
    })
    const db = DB.open(file, {readOnly: true})
    try {
      expect(db.view((tx) => otherUsableOperator(tx, '0c00000000001000'))).toBeUndefined()
    } finally {
      db.close()
    }
  })
})

describe('token lookups by index', () => {
  it('tokenConflict: the raw index, and the hashed index under every variant; holdsHashedTokens; indexEntriesOf finds a raw leftover beside a hashed record', () => {
    const file = path.join(tmp, 'indexes.bolt')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'acme'}],
      tokens: [
        {id: '0c00000000001000', token: TOKENS.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000003000', token: TOKENS.custom, hashed: 'sha512', description: 'custom', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      ],
      extraIndex: [['authorizationindexv1', TOKENS.custom, '0c00000000003000']],
    })
    const db = DB.open(file, {readOnly: true})
    try {
      db.view((tx) => {
        expect(tokenConflict(tx, TOKENS.operator)).toMatch(/raw token index already holds it \(for authorization 0c00000000001000\)/)
        expect(tokenConflict(tx, 'free-token')).toBeUndefined()
        expect(holdsHashedTokens(tx)).toBe(true)
        const hashed = authorizationById(tx, '0c00000000003000')!
        expect(hashed.record!.hashedToken).toBe(hashOf(TOKENS.custom, 'sha512'))
        const entries = indexEntriesOf(tx, '0c00000000003000', hashed.record)
        expect(entries.raw.map((k) => k.toString())).toEqual([TOKENS.custom])
        expect(entries.hashed.map((k) => k.toString())).toEqual([hashOf(TOKENS.custom, 'sha512')])
        expect(indexEntriesOf(tx, '0c00000000001000', authorizationById(tx, '0c00000000001000')!.record).raw.map((k) => k.toString())).toEqual([TOKENS.operator])
        expect(authorizationById(tx, '0c0000000000ffff')).toBeUndefined()
      })
    } finally {
      db.close()
    }
  })
})
