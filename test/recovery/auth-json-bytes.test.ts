// auth list --json copies records influxd wrote straight from their bytes
// (AuthRecordJson). Whatever record it takes, it must print exactly what the
// decoding path prints for it (authRow + writeAuthJsonElement), and filter
// as that path filters; records it does not take go down that path.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {decodeAuthorization, encodeAuthorization, hashedRecordBytes, readAuthorization, readAuthorizationForHashing, type Authorization, type DecodedRecord, type Organization, type User} from '../../src/influxd/records.js'
import {SchemaError} from '../../src/influxd/errors.js'
import {allAccessPermissions, operatorPermissions} from '../../src/influxd/permissions.js'
import type {Permission} from '../../src/influxd/permission.js'
import {AuthRecordJson, authJsonElement} from '../../src/recovery/auth-json.js'
import {authRow, matchesAuthFilter, type AuthFilter} from '../../src/recovery/list.js'
import {decodeAuthorizationEntry, type Tenants} from '../../src/recovery/read-model.js'
import {ByteWriter} from '../../src/platform/byte-writer.js'
import {BytesMemo, hashOf} from '../../src/recovery/bytes-memo.js'
import {rng} from '../helpers/model.js'

const ORG = 'dd7cd2292f6e974a'
const ORG2 = '0000000000000001'
const USER = '08371db1dd8c8000'
const USER2 = '08371db1dd8c8001'
const tenant = <T>(rec: T): DecodedRecord<T> => ({...rec, source: undefined as never, unknownKeys: []})
const tenants: Pick<Tenants, 'userById' | 'orgById'> = {
  userById: new Map([
    [USER, tenant<User>({kind: 'user', id: USER, name: 'admin', status: 'active'} as User)],
    [USER2, tenant<User>({kind: 'user', id: USER2, name: 'e\u202evil\u0085 "quoted"', status: 'active'} as User)],
  ]),
  orgById: new Map([
    [ORG, tenant<Organization>({kind: 'organization', id: ORG, name: 'acme'} as Organization)],
    [ORG2, tenant<Organization>({kind: 'organization', id: ORG2, name: 'o\u2066rg'} as Organization)],
  ]),
}

const FILTERS: AuthFilter[] = [{}, {user: 'admin'}, {org: 'acme'}, {operator: true}, {id: '08371deae98c8000'}, {user: 'e\u202evil\u0085 "quoted"', org: 'o\u2066rg'}]

/**
 * What the byte path does with value: undefined when it does not take it;
 * otherwise the element it writes, checked against the decoding path's
 * (and its filtering against matchesAuthFilter's) before it is returned.
 */
function viaBytes(value: Buffer, redact = false): string | undefined {
  checkReaders(value)
  const fast = new AuthRecordJson(tenants, {redact})
  if (!fast.read(value)) return undefined
  const row = authRow(decodeAuthorizationEntry({key: Buffer.from('k'), value}), tenants, {redact})
  const w = new ByteWriter(16)
  expect(fast.write(w)).toBe(true)
  const got = w.written().toString('utf8')
  expect(got, value.toString('utf8')).toBe(authJsonElement(row))
  for (const f of FILTERS) expect(fast.matches(f), `${JSON.stringify(f)} ${value.toString('utf8')}`).toBe(matchesAuthFilter(row, f))
  return got
}

/**
 * readAuthorization (which reads a record influxd wrote from its spans)
 * gives exactly what the full decoder gives, members in the same order, or
 * the same error; hashing it gives the bytes of decoding, dropping the token,
 * setting hashedToken and encoding.
 */
function checkReaders(value: Buffer): void {
  let want: Authorization | string
  try {
    const d = decodeAuthorization(value) as Authorization
    delete d.source
    want = d
  } catch (err) {
    if (!(err instanceof SchemaError)) throw err
    want = err.message
  }
  let got: Authorization | string
  try {
    got = readAuthorization(value)
  } catch (err) {
    if (!(err instanceof SchemaError)) throw err
    got = err.message
  }
  const show = (a: Authorization | string): string => (typeof a === 'string' ? a : JSON.stringify(a) + Object.keys(a).join())
  expect(show(got), value.toString('utf8')).toBe(show(want))
  if (typeof want === 'string' || want.token === undefined || want.token === '') return
  // every kind of character the splice writes: escaped by goQuote, ASCII, other UTF-8
  const hash = '$influxdb2-sha256$<&>\u2028é'
  const expected = encodeAuthorization({...(decodeAuthorization(value) as Authorization), token: undefined, hashedToken: hash} as Authorization)
  expect(readAuthorizationForHashing(value).hashed(hash).toString('utf8'), value.toString('utf8')).toBe(expected.toString('utf8'))
  const spliced = hashedRecordBytes(value, hash)
  if (spliced !== undefined && want.hashedToken === undefined) expect(spliced.toString('utf8')).toBe(expected.toString('utf8'))
}

const base: Authorization = {
  kind: 'authorization', id: '08371deae98c8000', token: 'tok-en_123==', status: 'active', description: 'a token',
  orgID: ORG, userID: USER, permissions: [{action: 'read', resource: {type: 'buckets', id: '7451ab8b9b7df592', orgID: ORG}}],
  createdAt: '2021-09-28T08:56:23.718372-04:00', updatedAt: '2021-09-28T08:56:42Z',
} as Authorization
const enc = (a: Partial<Authorization>): Buffer => encodeAuthorization({...base, ...a} as Authorization)
const raw = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('auth list --json from the record bytes', () => {
  it('takes records as influxd writes them and prints what decoding them prints', () => {
    const taken: Partial<Authorization>[] = [
      {},
      {token: undefined, hashedToken: '$influxdb2-sha256$abcdef'},
      {token: '', hashedToken: ''},
      {token: ''},
      {userID: undefined},
      {userID: '0123456789abcdef', orgID: 'fedcba9876543210'},
      {userID: USER2, orgID: ORG2},
      {status: 'inactive'},
      {permissions: []},
      {permissions: operatorPermissions('2.2+'), userID: USER},
      {permissions: operatorPermissions('2.0')},
      {permissions: allAccessPermissions(ORG, USER, '2.2+')},
      {permissions: allAccessPermissions(ORG, USER, '2.1'), userID: USER},
      {permissions: allAccessPermissions(ORG, USER, '2.2+'), userID: USER2},
      {permissions: [...operatorPermissions('2.2+'), ...operatorPermissions('2.2+')]},
      {permissions: operatorPermissions('2.2+').slice(1)},
      {permissions: [{action: 'delete', resource: {type: 'buckets'}}, {action: 'read', resource: {type: 'x y', orgID: ORG}}] as Permission[]},
      // Go's escapes and other UTF-8 in the strings that hold them
      {description: 'backup <site-3> & "more" \\ / \n\t\r\b\f \u0001 \u001f'},
      {description: 'é ü 漢字 😀 \u2028 \u2029 \u061c \u200e \u202e \u2066 \u0085 \u007f'},
      {token: 'to"k\\en<>&\u2028', description: ''},
      {description: 'del \u007f only'},
      {token: undefined, hashedToken: 'h\u0000a<sh'},
      {createdAt: '2021-09-28T08:56:23Z', updatedAt: '2021-09-28T08:56:23Z'},
      {createdAt: '2021-09-28T08:56:23.1Z', updatedAt: '2021-09-28T08:56:23.123456789+14:00'},
    ]
    for (const a of taken) for (const redact of [false, true]) expect(viaBytes(enc(a), redact), JSON.stringify(a)).toBeDefined()
    // status "" is read as active; escapes Go does not write but reads the same: \/ and upper-case hex
    expect(viaBytes(raw(enc({}).toString().replace('"status":"active"', '"status":""')))).toBeDefined()
    expect(viaBytes(raw(enc({description: 'a/b'}).toString().replace('a/b', 'a\\/b\\u003C')))).toBeDefined()
  })

  it('leaves every other record to the decoding path', () => {
    const g = enc({}).toString()
    const left = [
      g.replace(`"id":"08371deae98c8000"`, `"id":"08371DEAE98C8000"`),
      g.replace(`"orgID":"${ORG}"`, `"orgID":"0000000000000000"`),
      g.replace(`"userID":"${USER}"`, `"userID":"${USER.slice(1)}"`),
      g.replace(`"id":"7451ab8b9b7df592"`, `"id":"7451AB8B9B7DF592"`),
      g.replace('2021-09-28T08:56:42Z', '2021-09-28T08:56:42.000Z'),
      g.replace('2021-09-28T08:56:23.718372-04:00', '2021-09-28T08:56:23.718372-0400'),
      g.replace('"status":"active"', '"status":"Active"'),
      g.replace('{"id"', '{ "id"'),
      g.replace('"description":"a token",', ''),
      g.replace('"status":"active",', '').replace('"description":"a token",', '"description":"a token","status":"active",'),
      g.replace('"createdAt"', '"extra":1,"createdAt"'),
      g.replace('"description":"a token"', '"description":"a token","description":"b"'),
      g.replace('"permissions":[', '"permissions":null,"x":['),
      g.replace('"type":"buckets"', '"type":"buckets","name":"b"'),
      g.replace('{"type":"buckets",', '{').replace('"orgID":"dd7cd2292f6e974a"}}', '"orgID":"dd7cd2292f6e974a","type":"buckets"}}'),
      g.replace('"action":"read"', '"action":"re\\u0061d"'),
      g.replace('a token', 'a \\ud800 token'),
      g.replace('a token', 'a \\ufffd token'),
      g.replace('a token', 'a \\x token'),
      g.replace('a token', 'a \u0001 token'),
      g.replace('a token', 'a \\u00zz token'),
      g + ' ',
      g.slice(0, -1),
    ]
    for (const s of left) {
      expect(s, 'each case changes the record').not.toBe(g)
      expect(viaBytes(raw(s)), s).toBeUndefined()
    }
    expect(viaBytes(Buffer.concat([raw(g.slice(0, 40)), Buffer.from([0xff, 0xfe]), raw(g.slice(40))]))).toBeUndefined()
    const desc = g.indexOf('a token')
    expect(viaBytes(Buffer.concat([raw(g.slice(0, desc)), Buffer.from([0xc3]), raw(g.slice(desc))]))).toBeUndefined()
  })

  it('agrees with the decoding path on 20,000 damaged records (bytes changed, dropped or repeated)', () => {
    const r = rng(29)
    const seeds = [enc({}), enc({permissions: allAccessPermissions(ORG, USER, '2.2+')}), enc({description: 'x <y> é \u2028', token: undefined, hashedToken: '$h'})]
    const alphabet = Buffer.from('"\\{}[],:0aAzu/ \u00e9\u2028', 'utf8')
    let taken = 0
    for (let i = 0; i < 20_000; i++) {
      const src = seeds[i % seeds.length]!
      const at = Math.floor(r() * src.length)
      const what = Math.floor(r() * 3)
      const v = what === 0
        ? Buffer.concat([src.subarray(0, at), alphabet.subarray(Math.floor(r() * alphabet.length)).subarray(0, 1), src.subarray(at + 1)])
        : what === 1 ? Buffer.concat([src.subarray(0, at), src.subarray(at + 1 + Math.floor(r() * 4))])
          : Buffer.concat([src.subarray(0, at), src.subarray(Math.max(0, at - 8), at), src.subarray(at)])
      if (viaBytes(v) !== undefined) taken++
    }
    // some damage leaves a record influxd could have written (a changed letter of a string)
    expect(taken).toBeGreaterThan(1000)
  })

  it('takes every token record of the real 2.8–2.9 fixture, and prints them as the decoding path does', () => {
    const path = new URL('../../../shared/fixtures/influxd/influxd-v2.8-v2.9.bolt', import.meta.url).pathname
    readFileSync(path) // the fixture must exist: a missing one fails here
    const db = DB.open(path, {readOnly: true})
    try {
      const tx = db.begin(false)
      const c = tx.bucket(Buffer.from('authorizationsv1'))!.cursor()
      let n = 0
      for (let e = c.first(); e !== null; e = c.next()) {
        expect(viaBytes(e.value!), e.value!.toString()).toBeDefined()
        n++
      }
      expect(n).toBeGreaterThan(0)
      tx.rollback()
    } finally {
      db.close()
    }
  })
})

describe('BytesMemo', () => {
  it('returns a value only for the very bytes it was stored under, a colliding hash included', () => {
    // two keys with the same hash, found by a birthday search
    const fnv = (k: Buffer): number => hashOf(k, 0, k.length)
    const r = rng(3)
    const seen = new Map<number, Buffer>()
    let pair: [Buffer, Buffer] | undefined
    for (let i = 0; i < 400_000 && pair === undefined; i++) {
      const k = Buffer.from([0, 0, 0, 0, 0, 0].map(() => Math.floor(r() * 256)))
      const other = seen.get(fnv(k))
      if (other !== undefined && !other.equals(k)) pair = [other, k]
      seen.set(fnv(k), k)
    }
    expect(pair).toBeDefined()
    const [a, b] = pair!
    const memo = new BytesMemo<string>()
    const v = Buffer.concat([Buffer.from('xx'), a, b])
    memo.set(v, 2, 8, 'a')
    expect(memo.get(v, 2, 8)).toBe('a')
    expect(memo.get(v, 8, 14)).toBeUndefined()
    memo.set(v, 8, 14, 'b')
    expect(memo.get(v, 8, 14)).toBe('b')
    expect(memo.get(v, 2, 8)).toBeUndefined()
    expect(memo.get(v, 2, 7)).toBeUndefined()
  })

  it('tells long keys apart that differ only where the hash does not look (their middle)', () => {
    const a = Buffer.alloc(3000, 0x61)
    const b = Buffer.from(a)
    b[1500] = 0x62
    expect(hashOf(a, 0, a.length)).toBe(hashOf(b, 0, b.length))
    const memo = new BytesMemo<string>()
    memo.set(a, 0, a.length, 'a')
    expect(memo.get(b, 0, b.length)).toBeUndefined()
    expect(memo.get(a, 0, a.length)).toBe('a')
    const c = Buffer.concat([Buffer.from('x'), b])
    expect(memo.get(c, 1, c.length)).toBeUndefined()
    expect(memo.get(Buffer.concat([Buffer.from('x'), a]), 1, a.length + 1)).toBe('a')
  })

  it('stays within its key bytes: a long key is not kept, and keys past the budget start it over', () => {
    const memo = new BytesMemo<number>(1000, 1600)
    const long = Buffer.alloc(101, 1)
    memo.set(long, 0, long.length, 1)
    expect(memo.get(long, 0, long.length)).toBeUndefined()
    const keys = Array.from({length: 20}, (_, i) => Buffer.alloc(100, i + 2))
    for (const [i, k] of keys.entries()) memo.set(k, 0, k.length, i)
    // 16 keys of 100 bytes fit; the 17th started over
    expect(memo.get(keys[15]!, 0, 100)).toBeUndefined()
    expect(memo.get(keys[16]!, 0, 100)).toBe(16)
    expect(memo.get(keys[19]!, 0, 100)).toBe(19)
  })

  it('stays bounded and right past its limit', () => {
    const memo = new BytesMemo<number>(100)
    const keys = Array.from({length: 1000}, (_, i) => Buffer.from(`key${i}`))
    for (const [i, k] of keys.entries()) memo.set(k, 0, k.length, i)
    for (const [i, k] of keys.entries()) {
      const got = memo.get(k, 0, k.length)
      if (got !== undefined) expect(got).toBe(i)
    }
    expect(memo.get(keys[999]!, 0, keys[999]!.length)).toBe(999)
    expect(memo.get(keys[0]!, 0, keys[0]!.length)).toBeUndefined()
  })
})
