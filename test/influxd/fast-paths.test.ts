// The shortcuts `auth list --json` takes over 100,000 tokens must give exactly
// what the general code gives: canonicalGoTime what parse + format give,
// tokenKind what classifyToken says, authJsonElement the bytes of
// stringifying authDocument and indenting it as an array element.
import {describe, expect, it} from 'vitest'

import {canonicalGoTime, formatGoTimeValue, parseGoTime} from '../../src/influxd/gotime.js'
import type {Permission} from '../../src/influxd/permission.js'
import {allAccessPermissions, classifyToken, operatorPermissions, PERMISSION_LEVELS, tokenKind} from '../../src/influxd/permissions.js'
import {authDocument, authJsonElement} from '../../src/recovery/auth-json.js'
import type {AuthRow} from '../../src/recovery/list.js'
import {renderJSON} from '../../src/platform/format.js'

/** A small deterministic generator (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

const slow = (s: string): string => {
  try {
    return formatGoTimeValue(parseGoTime(s))
  } catch (err) {
    return `error: ${(err as Error).message}`
  }
}
const fast = (s: string): string => {
  try {
    return canonicalGoTime(s)
  } catch (err) {
    return `error: ${(err as Error).message}`
  }
}

describe('canonicalGoTime', () => {
  it('gives what formatting the parse gives, for canonical, odd and invalid times', () => {
    const cases = [
      '2021-09-28T08:56:23.718372-04:00', '2021-09-28T08:56:23Z', '2021-09-28T08:56:23.000Z', '2021-09-28T08:56:23.5+00:00',
      '2021-09-28T08:56:23-00:00', '2021-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2021-09-28T24:00:00Z', '2021-09-28T08:60:00Z',
      '2021-09-28T08:56:60Z', '2021-09-28T08:56:23.1234567891Z', '2021-09-28T08:56:23.123456789Z', '2021-09-28T08:56:23.Z',
      '0000-01-01T00:00:00+01:00', '9999-12-31T23:59:59-01:00', '0001-01-01T00:00:00Z', '2021-09-28t08:56:23Z', '2021-09-28T08:56:23z',
      '2021-09-28T08:56:23+24:00', '2021-09-28T08:56:23+23:59', '2021-09-28T08:56:23+0100', '2021-13-01T00:00:00Z', '2021-00-01T00:00:00Z',
      '2021-04-31T00:00:00Z', '2021-04-30T00:00:00Z', '', 'x', '2021-09-28T08:56:23', '2021-09-28T08:56:23.10Z', '2021-09-28T08:56:23.01Z',
    ]
    for (const s of cases) expect(fast(s), s).toBe(slow(s))
  })

  it('agrees on 20,000 random near-canonical strings', () => {
    const r = rng(17)
    const d = (n: number): string => String(Math.floor(r() * n)).padStart(2, '0')
    for (let i = 0; i < 20_000; i++) {
      const frac = r() < 0.5 ? '' : `.${String(Math.floor(r() * 1e9)).padStart(9, '0').slice(0, 1 + Math.floor(r() * 10))}`
      const zone = r() < 0.3 ? 'Z' : `${r() < 0.5 ? '+' : '-'}${d(26)}:${d(62)}`
      const s = `${String(Math.floor(r() * 10000)).padStart(4, '0')}-${d(14)}-${d(33)}T${d(26)}:${d(62)}:${d(62)}${frac}${zone}`
      expect(fast(s), s).toBe(slow(s))
    }
  })
})

describe('tokenKind', () => {
  const ORG = 'dd7cd2292f6e974a'
  const USER = '08371db1dd8c8000'
  it('says what classifyToken says for the reference sets and their variations', () => {
    const r = rng(5)
    const lists: Permission[][] = []
    for (const level of PERMISSION_LEVELS) {
      lists.push(operatorPermissions(level), allAccessPermissions(ORG, USER, level))
    }
    const variants: Permission[][] = []
    for (const base of lists) {
      variants.push(base, [...base].reverse(), [...base, base[0]!], base.slice(1), [...base.slice(1), base[0]!, base[0]!])
      for (let k = 0; k < 40; k++) {
        const copy = base.map((p) => ({action: p.action, resource: {...p.resource}}))
        const i = Math.floor(r() * copy.length)
        const what = Math.floor(r() * 6)
        if (what === 0) copy[i]!.resource.orgID = ORG
        else if (what === 1) copy[i]!.resource.id = USER
        else if (what === 2) delete copy[i]!.resource.orgID
        else if (what === 3) copy[i]!.action = 'delete'
        else if (what === 4) copy[i]!.resource.type = 'instance'
        else copy[i]!.resource.orgID = ORG.toUpperCase()
        variants.push(copy)
      }
    }
    variants.push([], [{action: 'read', resource: {type: 'buckets'}}])
    for (const list of variants) {
      for (const [org, user] of [[ORG, USER], [ORG, undefined], ['', USER], [ORG, 'ffffffffffffffff']] as const) {
        expect(tokenKind(list, org, user), JSON.stringify(list)).toBe(classifyToken(list, org, user).kind)
      }
    }
    expect(tokenKind(null, ORG, USER)).toBe(classifyToken(null, ORG, USER).kind)
  })
})

describe('authJsonElement', () => {
  // the generic path of auth list --json (renderJSON: unsafe characters as \u escapes)
  const element = (r: AuthRow): string => renderJSON(authDocument(r), 2).slice(0, -1).replace(/\n/g, '\n  ')
  const base: AuthRow = {
    id: '08371deae98c8000', description: 'a "quoted" <desc> \u2028 é \u0001', status: 'active', kind: 'custom', tokenState: 'raw', token: 'tok\\en',
    userID: '08371db1dd8c8000', userName: 'admin', orgID: 'dd7cd2292f6e974a', orgName: 'acme',
    permissions: [{action: 'read', resource: {type: 'buckets', id: '7451ab8b9b7df592', orgID: 'dd7cd2292f6e974a'}}, {action: 'write', resource: {type: 'orgs'}}],
    createdAt: '2021-09-28T08:56:23.718372-04:00', updatedAt: '2021-09-28T08:56:42Z',
  }
  it('writes exactly the bytes of the generic path', () => {
    const rows: AuthRow[] = [
      base,
      {...base, token: undefined, tokenState: 'hashed', hashedToken: '$sha256$abc'},
      {...base, token: undefined, tokenState: 'none'},
      {...base, userID: undefined, userName: undefined, orgName: undefined},
      {...base, permissions: []},
      {...base, permissions: null},
      {...base, permissions: operatorPermissions('2.2+'), kind: 'operator'},
      {...base, permissions: [{action: 'read', resource: {orgID: 'dd7cd2292f6e974a', type: 'buckets'}}]},
      {...base, permissions: [{action: 'read', resource: {type: 'buckets', id: undefined}}]},
      // the memos (quoted values, permission texts): repeated, in other member orders, unsafe characters in every value
      {...base, permissions: [...operatorPermissions('2.2+'), ...operatorPermissions('2.2+')], kind: 'custom'},
      {...base, permissions: [{action: 'read', resource: {id: '7451ab8b9b7df592', type: 'buckets', orgID: 'dd7cd2292f6e974a'}}, {action: 'read', resource: {type: 'buckets', id: '7451ab8b9b7df592', orgID: 'dd7cd2292f6e974a'}}]},
      {...base, userName: 'ad\u202emin\u0085', orgName: 'ac\u2066me\u007f', status: 'in\u2029active', token: 'x\u200fy', hashedToken: 'h\u061c'},
      {...base, permissions: [{action: 're\u2028ad', resource: {type: 'buc\u202akets', id: '7451ab8b9b7df592\u0080', orgID: 'o\u2069'}}, {action: 're\u2028ad', resource: {type: 'buc\u202akets'}}]},
      {...base, permissions: [{action: 'read', resource: {type: 'buckets', id: '7451ab8b9b7df592\u0080', orgID: 'o\u2069'}}]},
    ]
    for (const r of rows) expect(authJsonElement(r), JSON.stringify(r)).toBe(element(r))
    // again, from the memos
    for (const r of rows) expect(authJsonElement(r), JSON.stringify(r)).toBe(element(r))
  })

  it('escapes exactly the characters the generic path escapes (every UTF-16 code unit in a description)', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const r: AuthRow = {...base, description: `a${String.fromCharCode(c)}b`}
      const got = authJsonElement(r)
      if (got !== element(r)) expect(got, `U+${c.toString(16)}`).toBe(element(r))
    }
  })

  it('keeps writing the right bytes past the memos\' bound (a file of 10,000 distinct permissions and names)', () => {
    for (let i = 0; i < 10_000; i++) {
      const id = i.toString(16).padStart(16, '0')
      const r: AuthRow = {...base, userName: `user${i}`, userID: id, permissions: [{action: 'read', resource: {type: 'buckets', id, orgID: 'dd7cd2292f6e974a'}}, {action: 'write', resource: {type: 'buckets', id}}]}
      expect(authJsonElement(r)).toBe(element(r))
    }
  })

  it('hands rows of another shape back (undefined) for the generic path', () => {
    expect(authJsonElement({id: 'x', error: 'bad'})).toBeUndefined()
    expect(authJsonElement({...base, permissions: [{action: 'read', resource: {type: 'buckets', name: 'b'}} as unknown as Permission]})).toBeUndefined()
    expect(authJsonElement({...base, permissions: [{action: 'read', resource: {type: 'buckets'}, extra: 1} as unknown as Permission]})).toBeUndefined()
  })
})
