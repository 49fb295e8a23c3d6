import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import * as B from '../../src/influxd/buckets.js'
import {SchemaError} from '../../src/influxd/errors.js'
import {
  authorizationProblems,
  decodeAuthorization,
  decodeBucket,
  decodeLegacyAuthorization,
  decodeMigration,
  decodeOrganization,
  decodeRecord,
  decodeUser,
  decodeUserResourceMapping,
  encodeAuthorization,
  encodeBucket,
  encodeLegacyAuthorization,
  encodeMigration,
  encodeOrganization,
  encodePermission,
  encodeRecord,
  encodeUser,
  encodeUserResourceMapping,
  isModified,
  recordKey,
  type Authorization,
  type InfluxRecord,
  type Migration,
  type User,
} from '../../src/influxd/records.js'
import {FIXTURES} from '../helpers/oracle.js'

const FILES = {'2021': 'influxd-v2.1-v2.7.bolt', '2025': 'influxd-v2.8-v2.9.bolt'} as const
const RECORD_BUCKETS = [B.AUTHORIZATIONS, B.USERS, B.ORGANIZATIONS, B.URMS, B.BUCKETS, B.MIGRATIONS, B.LEGACY_AUTHORIZATIONS]

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-records-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

type Contents = Map<string, Array<[Buffer, Buffer]>>

/** Every key/value of the record buckets, read from a private copy of the fixture. */
function load(which: keyof typeof FILES): Contents {
  const copy = path.join(tmp, `${which}.bolt`)
  if (!fs.existsSync(copy)) fs.copyFileSync(path.join(FIXTURES, FILES[which]), copy)
  const db = DB.open(copy, {readOnly: true})
  try {
    return db.view((tx) => {
      const out: Contents = new Map()
      for (const name of RECORD_BUCKETS) {
        const b = tx.bucket(B.bucketName(name))
        const rows: Array<[Buffer, Buffer]> = []
        b?.forEach((k, v) => {
          if (v !== null) rows.push([Buffer.from(k), Buffer.from(v)])
        })
        out.set(name, rows)
      }
      return out
    })
  } finally {
    db.close()
  }
}

const contents = {'2021': load('2021'), '2025': load('2025')}

function value(which: keyof typeof FILES, bucket: string, key: string): Buffer {
  const row = contents[which].get(bucket)!.find(([k]) => k.toString() === key)
  if (!row) throw new Error(`no ${bucket}/${key} in ${which}`)
  return row[1]
}

function errorOf(f: () => unknown): SchemaError {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError)
    return err as SchemaError
  }
  throw new Error('expected an error')
}

const GOLDEN_82 =
  '{"id":"08371deae98c8000","hashedToken":"$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU=","status":"active","description":"testuser\'s read buckets token","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'

describe('real fixtures', () => {
  it('hold the expected number of records', () => {
    const count = (w: '2021' | '2025'): number[] => RECORD_BUCKETS.map((b) => contents[w].get(b)!.length)
    expect(count('2021')).toEqual([2, 1, 1, 1, 3, 17, 0])
    expect(count('2025')).toEqual([2, 1, 1, 1, 3, 21, 0])
  })

  for (const which of ['2021', '2025'] as const) {
    for (const bucket of RECORD_BUCKETS) {
      it(`${which} ${bucket}: every record decodes and re-encodes byte for byte`, () => {
        for (const [k, v] of contents[which].get(bucket)!) {
          const r = decodeRecord(bucket, v, k)
          expect(r.unknownKeys).toEqual([])
          expect(r.source.warnings).toEqual([])
          expect(isModified(r)).toBe(false)
          expect(encodeRecord(r).equals(v)).toBe(true)
          expect(recordKey(r)!.equals(k)).toBe(true)
        }
      })

      it(`${which} ${bucket}: Go-encoding the decoded values from scratch reproduces influxd's bytes`, () => {
        for (const [k, v] of contents[which].get(bucket)!) {
          const {source: _s, unknownKeys: _u, ...fresh} = decodeRecord(bucket, v, k)
          expect(encodeRecord(fresh as InfluxRecord).toString()).toBe(v.toString())
        }
      })
    }
  }

  it('decodes typed values', () => {
    const a = decodeAuthorization(value('2025', B.AUTHORIZATIONS, '08371db24dcc8000'))
    expect(a.kind).toBe('authorization')
    expect(a.status).toBe('active')
    expect(a.description).toBe("testuser's Token")
    expect(a.orgID).toBe('dd7cd2292f6e974a')
    expect(a.userID).toBe('08371db1dd8c8000')
    expect(a.token).toMatch(/^A9Ovdl8SmP-/)
    expect(a.hashedToken).toBeUndefined()
    expect(a.permissions).toHaveLength(44)
    expect(a.permissions![0]).toEqual({action: 'read', resource: {type: 'annotations'}})
    expect(decodeAuthorization(value('2021', B.AUTHORIZATIONS, '08371db24dcc8000')).permissions).toHaveLength(40)
    expect(a.createdAt).toBe('2021-09-28T08:55:25.75109-04:00')

    const u = decodeUser(value('2021', B.USERS, '08371db1dd8c8000'))
    expect(u).toMatchObject({kind: 'user', id: '08371db1dd8c8000', name: 'testuser', status: 'active'})
    expect(u.oauthID).toBeUndefined()

    const o = decodeOrganization(value('2021', B.ORGANIZATIONS, 'dd7cd2292f6e974a'))
    expect(o).toMatchObject({name: 'myorg', description: '', createdAt: '2021-09-28T12:55:25.442475Z'})

    const m = decodeUserResourceMapping(value('2021', B.URMS, 'dd7cd2292f6e974a08371db1dd8c8000'))
    expect(m).toMatchObject({userID: '08371db1dd8c8000', userType: 'owner', mappingType: 'user', resourceType: 'orgs', resourceID: 'dd7cd2292f6e974a'})

    const b = decodeBucket(value('2021', B.BUCKETS, 'a4400ee87566e12a'))
    expect(b).toMatchObject({name: '_tasks', type: 1, retentionPeriod: 259200000000000n, shardGroupDuration: 86400000000000n, orgID: 'dd7cd2292f6e974a'})
    expect(b.rp).toBeUndefined()

    const mig = decodeMigration(value('2025', B.MIGRATIONS, '0000000000000015'))
    expect(mig).toMatchObject({id: '0000000000000015', name: 'create authorizationhashedindexv1 bucket', started_at: '2025-02-05T21:01:39.331257096Z', finished_at: '2025-02-05T21:01:39.332505051Z'})
  })
})

describe('§8.2 golden: hashing record 08371deae98c8000', () => {
  it('removing token and setting hashedToken encodes to the golden JSON', () => {
    const a = decodeAuthorization(value('2025', B.AUTHORIZATIONS, '08371deae98c8000'), {key: '08371deae98c8000'})
    delete a.token
    a.hashedToken = '$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU='
    expect(isModified(a)).toBe(true)
    expect(encodeAuthorization(a).toString()).toBe(GOLDEN_82)
  })

  it('same from the 2021 file, and with token set to "" instead of deleted', () => {
    const a = decodeAuthorization(value('2021', B.AUTHORIZATIONS, '08371deae98c8000'))
    a.token = ''
    a.hashedToken = '$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU='
    expect(encodeAuthorization(a).toString()).toBe(GOLDEN_82)
    // and the golden record itself round-trips
    const g = decodeAuthorization(Buffer.from(GOLDEN_82))
    expect(g.token).toBeUndefined()
    expect(encodeAuthorization(g).toString()).toBe(GOLDEN_82)
  })
})

describe('encoding changes', () => {
  const base = (): Authorization => decodeAuthorization(value('2025', B.AUTHORIZATIONS, '08371deae98c8000'))

  it('keeps original bytes of unchanged fields, Go-encodes changed ones', () => {
    const a = base()
    a.description = '<new> & "quoted"'
    a.status = 'inactive'
    const out = encodeAuthorization(a).toString()
    expect(out).toContain('"status":"inactive","description":"\\u003cnew\\u003e \\u0026 \\"quoted\\""')
    expect(out).toContain('"createdAt":"2021-09-28T08:56:23.718372-04:00"')
    expect(out.startsWith('{"id":"08371deae98c8000","token":"4-pZ')).toBe(true)
  })

  it('re-encodes changed permissions in Go form (type, id, orgID; omitempty)', () => {
    const a = base()
    a.permissions = [
      {action: 'write', resource: {type: 'buckets', id: '7451AB8B9B7DF592', orgID: 'dd7cd2292f6e974a'}},
      {action: 'read', resource: {type: 'orgs', id: 'dd7cd2292f6e974a'}},
      {action: 'read', resource: {type: 'users'}},
    ]
    const out = encodeAuthorization(a).toString()
    expect(out).toContain(
      '"permissions":[{"action":"write","resource":{"type":"buckets","id":"7451ab8b9b7df592","orgID":"dd7cd2292f6e974a"}},{"action":"read","resource":{"type":"orgs","id":"dd7cd2292f6e974a"}},{"action":"read","resource":{"type":"users"}}],"createdAt"',
    )
    a.permissions = null
    expect(encodeAuthorization(a).toString()).toContain('"permissions":null,')
    a.permissions = []
    expect(encodeAuthorization(a).toString()).toContain('"permissions":[],')
    expect(encodePermission({action: 'read', resource: {type: 'buckets', orgID: 'dd7cd2292f6e974a'}})).toBe('{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}}')
  })

  it('permission arrays compare by value: an equal copy keeps the original bytes', () => {
    const a = base()
    a.permissions = a.permissions!.map((p) => ({action: p.action, resource: {...p.resource}}))
    expect(isModified(a)).toBe(false)
    expect(encodeAuthorization(a).equals(value('2025', B.AUTHORIZATIONS, '08371deae98c8000'))).toBe(true)
  })

  it('changed times are validated and written in canonical Go form', () => {
    const a = base()
    a.updatedAt = '2025-01-02T03:04:05.500000000Z'
    expect(encodeAuthorization(a).toString()).toContain('"updatedAt":"2025-01-02T03:04:05.5Z"}')
    a.updatedAt = 'yesterday'
    const err = errorOf(() => encodeAuthorization(a))
    expect(err.message).toMatch(/authorizationsv1.*updatedAt/)
  })

  it('status: "" is written as active, anything else but active/inactive is refused', () => {
    const a = base()
    ;(a as {status: string}).status = ''
    expect(encodeAuthorization(a).toString()).toContain('"status":"active"')
    ;(a as {status: string}).status = 'weird'
    expect(errorOf(() => encodeAuthorization(a)).message).toMatch(/encodeAuthorization: unknown authorization status/)
  })

  it('refuses to encode invalid IDs', () => {
    const a = base()
    a.orgID = '0000000000000000'
    expect(errorOf(() => encodeAuthorization(a)).message).toMatch(/orgID.*invalid ID/)
    const b = base()
    b.userID = undefined
    expect(encodeAuthorization(b).toString()).not.toContain('userID')
  })

  it('creates new records from scratch', () => {
    const a: Authorization = {
      kind: 'authorization',
      id: '0a1b2c3d4e5f6071',
      token: 'tok<en>',
      status: 'active',
      description: 'new',
      orgID: 'dd7cd2292f6e974a',
      userID: '08371db1dd8c8000',
      permissions: [{action: 'read', resource: {type: 'buckets', orgID: 'dd7cd2292f6e974a'}}],
      createdAt: '2025-01-01T10:00:00.123-05:00',
      updatedAt: '2025-01-01T10:00:00.123-05:00',
    }
    expect(encodeAuthorization(a).toString()).toBe(
      '{"id":"0a1b2c3d4e5f6071","token":"tok\\u003cen\\u003e","status":"active","description":"new","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2025-01-01T10:00:00.123-05:00","updatedAt":"2025-01-01T10:00:00.123-05:00"}',
    )
    const u: User = {kind: 'user', name: 'admin', status: ''}
    expect(encodeUser(u).toString()).toBe('{"name":"admin","status":""}')
    const m: Migration = {kind: 'migration', id: '0000000000000015', name: 'create authorizationhashedindexv1 bucket', started_at: null}
    expect(encodeMigration(m).toString()).toBe('{"id":"0000000000000015","name":"create authorizationhashedindexv1 bucket","started_at":null}')
    m.started_at = '2025-02-05T21:01:39.331257096Z'
    m.finished_at = '2025-02-05T21:01:39.332505051Z'
    expect(encodeMigration(m).toString()).toBe(value('2025', B.MIGRATIONS, '0000000000000015').toString())
    expect(
      encodeBucket({
        kind: 'bucket', id: '7451ab8b9b7df592', orgID: 'dd7cd2292f6e974a', type: 0, name: 'mybucket', description: '', rp: 'autogen',
        retentionPeriod: 0n, shardGroupDuration: 604800000000000n, createdAt: '2021-09-28T12:55:25.670578Z', updatedAt: '2021-09-28T12:55:25.670578Z',
      }).toString(),
    ).toBe('{"id":"7451ab8b9b7df592","orgID":"dd7cd2292f6e974a","type":0,"name":"mybucket","description":"","rp":"autogen","retentionPeriod":0,"shardGroupDuration":604800000000000,"createdAt":"2021-09-28T12:55:25.670578Z","updatedAt":"2021-09-28T12:55:25.670578Z"}')
    expect(encodeOrganization({kind: 'organization', name: 'o', description: 'd', createdAt: '0001-01-01T00:00:00Z', updatedAt: '0001-01-01T00:00:00Z'}).toString()).toBe(
      '{"name":"o","description":"d","createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}',
    )
    expect(encodeUserResourceMapping({kind: 'urm', userID: '08371db1dd8c8000', userType: 'member', mappingType: 'org', resourceType: 'buckets', resourceID: '7451ab8b9b7df592'}).toString()).toBe(
      '{"userID":"08371db1dd8c8000","userType":"member","mappingType":"org","resourceType":"buckets","resourceID":"7451ab8b9b7df592"}',
    )
  })
})

describe('Go decoding rules', () => {
  const key = '08371deae98c8000'

  it('2.7-era "token":"" keeps its presence when unchanged', () => {
    const text = '{"id":"08371deae98c8000","token":"","status":"active","description":"d","orgID":"dd7cd2292f6e974a","permissions":null,"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'
    const a = decodeAuthorization(Buffer.from(text))
    expect(a.token).toBe('')
    expect(a.userID).toBeUndefined()
    expect(a.permissions).toBeNull()
    expect(encodeAuthorization(a).toString()).toBe(text)
    a.hashedToken = '$influxdb2-sha256$x='
    expect(encodeAuthorization(a).toString()).toBe(text.replace('"token":""', '"token":"","hashedToken":"$influxdb2-sha256$x="'))
  })

  it('unknown keys are dropped and reported, nested ones as paths', () => {
    const text = '{"id":"08371deae98c8000","extra":1,"status":"active","description":"d","orgID":"dd7cd2292f6e974a","permissions":[{"action":"read","x":1,"resource":{"type":"buckets","y":2}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00","later":"z"}'
    const a = decodeAuthorization(Buffer.from(text))
    expect(a.unknownKeys).toEqual(['extra', 'later', 'permissions[0].x', 'permissions[0].resource.y'])
    expect(a.source.unknownKeys).toEqual(a.unknownKeys)
    const out = encodeAuthorization(a).toString()
    expect(out).not.toContain('extra')
    expect(out).not.toContain('later')
    a.permissions = [...a.permissions!, {action: 'write', resource: {type: 'buckets'}}]
    expect(encodeAuthorization(a).toString()).toContain('"permissions":[{"action":"read","resource":{"type":"buckets"}},{"action":"write","resource":{"type":"buckets"}}]')
  })

  it('keys match case-insensitively and are written back in Go form; the last duplicate wins', () => {
    const text = '{"ID":"08371deae98c8000","Status":"inactive","description":"first","Description":"second","ORGID":"DD7CD2292F6E974A","createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'
    const a = decodeAuthorization(Buffer.from(text), {key})
    expect(a).toMatchObject({id: key, status: 'inactive', description: 'second', orgID: 'dd7cd2292f6e974a'})
    expect(a.source.duplicateKeys).toEqual(['Description'])
    expect(a.source.warnings).toHaveLength(1)
    expect(encodeAuthorization(a).toString()).toBe(
      '{"id":"08371deae98c8000","status":"inactive","description":"second","orgID":"DD7CD2292F6E974A","permissions":null,"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}',
    )
  })

  it('status "" decodes as active (authorizations) and stays "" (users)', () => {
    const a = decodeAuthorization(Buffer.from('{"id":"08371deae98c8000","status":"","orgID":"dd7cd2292f6e974a"}'))
    expect(a.status).toBe('active')
    expect(a.createdAt).toBe('0001-01-01T00:00:00Z')
    expect(encodeAuthorization(a).toString()).toBe(
      '{"id":"08371deae98c8000","status":"","description":"","orgID":"dd7cd2292f6e974a","permissions":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}',
    )
    const u = decodeUser(Buffer.from('{"id":"08371db1dd8c8000","name":"x","status":""}'))
    expect(u.status).toBe('')
    u.status = 'active'
    expect(encodeUser(u).toString()).toBe('{"id":"08371db1dd8c8000","name":"x","status":"active"}')
  })

  it('whitespace in reused values is compacted', () => {
    const a = decodeAuthorization(Buffer.from('{ "id" : "08371deae98c8000" , "orgID":"dd7cd2292f6e974a", "permissions" : [ {"action" : "read", "resource":{"type":"orgs"}} ] }'))
    expect(encodeAuthorization(a).toString()).toBe(
      '{"id":"08371deae98c8000","status":"active","description":"","orgID":"dd7cd2292f6e974a","permissions":[{"action":"read","resource":{"type":"orgs"}}],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}',
    )
  })

  it('legacy v1 authorizations share the shape; the token is the v1 user name', () => {
    const text = '{"id":"08371deae98c9000","token":"v1user","status":"active","description":"v1","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","id":"7451ab8b9b7df592","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:23.718372-04:00"}'
    const a = decodeLegacyAuthorization(Buffer.from(text), {key: '08371deae98c9000'})
    expect(a.source.bucket).toBe(B.LEGACY_AUTHORIZATIONS)
    expect(a.token).toBe('v1user')
    expect(a.permissions![0]!.resource).toEqual({type: 'buckets', id: '7451ab8b9b7df592', orgID: 'dd7cd2292f6e974a'})
    expect(encodeLegacyAuthorization(a).toString()).toBe(text)
    expect(decodeRecord(B.LEGACY_AUTHORIZATIONS, Buffer.from(text)).kind).toBe('authorization')
  })

  it('authorizationProblems checks permission orgIDs', () => {
    const a = decodeAuthorization(value('2025', B.AUTHORIZATIONS, '08371deae98c8000'))
    expect(authorizationProblems(a)).toEqual([])
    a.orgID = '35227829a87926d7'
    expect(authorizationProblems(a)).toHaveLength(1)
  })
})

describe('decode errors are SchemaErrors naming bucket, key and field', () => {
  const good = value('2025', B.AUTHORIZATIONS, '08371deae98c8000').toString()
  const key = '08371deae98c8000'
  const decode = (text: string | Buffer): SchemaError => errorOf(() => decodeAuthorization(Buffer.from(text), {key}))

  it.each([
    ['invalid JSON', good.replace('"status":', '"status"'), /invalid JSON: invalid character/],
    ['truncated', good.slice(0, 100), /invalid JSON: unexpected end of JSON input/],
    ['empty', '', /empty value/],
    ['not an object', '["x"]', /not a JSON object/],
    ['bad id', good.replace('"id":"08371deae98c8000"', '"id":"08371deae98c800"'), /field "id": id must have a length of 16 bytes/],
    ['non-hex id', good.replace('"id":"08371deae98c8000"', '"id":"08371deae98c800z"'), /field "id": invalid ID/],
    ['missing id', good.replace('"id":"08371deae98c8000",', ''), /field "id": missing required ID/],
    ['null id', good.replace('"id":"08371deae98c8000"', '"id":null'), /field "id": invalid ID/],
    ['numeric id', good.replace('"id":"08371deae98c8000"', '"id":5'), /field "id": cannot unmarshal number/],
    ['status weird', good.replace('"status":"active"', '"status":"weird"'), /field "status": invalid status "weird"/],
    ['orgID zero', good.replace('"orgID":"dd7cd2292f6e974a"', '"orgID":"0000000000000000"'), /field "orgID": invalid ID/],
    ['missing orgID', good.replace('"orgID":"dd7cd2292f6e974a",', ''), /field "orgID": missing required ID/],
    ['userID zero', good.replace('"userID":"08371db1dd8c8000"', '"userID":"0000000000000000"'), /field "userID": invalid ID/],
    ['description number', good.replace('"description":"testuser\'s read buckets token"', '"description":7'), /field "description": cannot unmarshal number into Go value of type string/],
    ['permissions object', good.replace(/"permissions":\[.*\],"createdAt"/, '"permissions":{},"createdAt"'), /field "permissions": cannot unmarshal object/],
    ['permission orgID bad', good.replace('"type":"buckets","orgID":"dd7cd2292f6e974a"', '"type":"buckets","orgID":"nothex"'), /field "permissions\[0\].resource.orgID": id must have a length/],
    ['permission action number', good.replace('"action":"read"', '"action":1'), /field "permissions\[0\].action": cannot unmarshal number/],
    ['bad time', good.replace('"createdAt":"2021-09-28T08:56:23.718372-04:00"', '"createdAt":"2021-09-28 08:56:23"'), /field "createdAt": parsing time/],
    ['time number', good.replace('"createdAt":"2021-09-28T08:56:23.718372-04:00"', '"createdAt":0'), /field "createdAt": Time.UnmarshalJSON: input is not a JSON string/],
  ])('%s', (_name, text, pattern) => {
    const err = decode(text)
    expect(err.message).toMatch(pattern)
    expect(err.message).toMatch(/^bucket "authorizationsv1", key "08371deae98c8000"/)
    expect(err.bucket).toBe('authorizationsv1')
    expect(err.key).toBe(key)
  })

  it('other record types', () => {
    expect(errorOf(() => decodeUser(Buffer.from('{"id":"08371db1dd8c8000","name":"x","status":"gone"}'), {key: '08371db1dd8c8000'})).message).toBe(
      'bucket "usersv1", key "08371db1dd8c8000", field "status": invalid status "gone": must be active or inactive',
    )
    expect(errorOf(() => decodeUserResourceMapping(Buffer.from('{"userID":"08371db1dd8c8000","userType":"owner","mappingType":"team","resourceType":"orgs","resourceID":"dd7cd2292f6e974a"}'))).message).toMatch(
      /userresourcemappingsv1.*field "mappingType": unknown mapping type "team"/,
    )
    expect(errorOf(() => decodeBucket(Buffer.from('{"id":"7451ab8b9b7df592","retentionPeriod":1.5}'))).message).toMatch(/bucketsv1.*field "retentionPeriod"/)
    expect(errorOf(() => decodeBucket(Buffer.from('{"id":"7451ab8b9b7df592","retentionPeriod":"1"}'))).message).toMatch(/retentionPeriod.*cannot unmarshal string/)
    expect(errorOf(() => decodeMigration(Buffer.from('{"name":"x"}'))).message).toMatch(/migrationsv1.*field "id": missing required ID/)
    expect(errorOf(() => decodeMigration(Buffer.from('{"id":"0000000000000001","name":"x","started_at":"bad"}'))).message).toMatch(/started_at/)
    expect(errorOf(() => decodeOrganization(Buffer.from('{"id":"0000000000000000"}'))).message).toMatch(/organizationsv1.*field "id": invalid ID/)
    expect(errorOf(() => decodeRecord('idsv1', Buffer.from('{}'))).message).toMatch(/does not hold JSON records/)
  })

  it('garbage of every kind is a SchemaError, never a crash', () => {
    const samples = [good, '{"id":"08371deae98c8000","orgID":"dd7cd2292f6e974a","permissions":[null,{"resource":null}]}']
    let n = 0
    for (const s of samples) {
      const buf = Buffer.from(s)
      for (let cut = 0; cut <= buf.length; cut += 7) {
        for (const bytes of [buf.subarray(0, cut), Buffer.concat([buf.subarray(0, cut), Buffer.from([0xff, 0x00, 0x22]), buf.subarray(cut + 1)])]) {
          for (const bucket of RECORD_BUCKETS) {
            try {
              encodeRecord(decodeRecord(bucket, bytes, 'k'))
            } catch (err) {
              expect(err).toBeInstanceOf(SchemaError)
              n++
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(100)
  })

  it('null permission entries decode as Go zero values', () => {
    const a = decodeAuthorization(Buffer.from('{"id":"08371deae98c8000","orgID":"dd7cd2292f6e974a","permissions":[null,{"resource":null}]}'))
    expect(a.permissions).toEqual([{action: '', resource: {type: ''}}, {action: '', resource: {type: ''}}])
  })
})

describe('bucket names and keys', () => {
  it('names', () => {
    expect(B.KNOWN_BUCKETS).toHaveLength(18)
    expect(B.LEGACY_AUTHORIZATION_PASSWORDS).toBe('legacy/authorizationPasswordv1')
    expect(B.URMS_BY_USER_INDEX).toBe('userresourcemappingsbyuserindexv1')
  })

  it('URM keys and the by-user index', () => {
    const k = B.urmKey('dd7cd2292f6e974a', '08371db1dd8c8000')
    expect(k.toString()).toBe('dd7cd2292f6e974a08371db1dd8c8000')
    expect(B.parseUrmKey(k)).toEqual({resourceID: 'dd7cd2292f6e974a', userID: '08371db1dd8c8000'})
    const ik = B.urmByUserIndexKey('08371db1dd8c8000', k)
    expect(ik.toString()).toBe('08371db1dd8c8000/dd7cd2292f6e974a08371db1dd8c8000')
    expect(ik).toHaveLength(49)
    expect(B.parseUrmByUserIndexKey(ik)).toEqual({userID: '08371db1dd8c8000', urmKey: k})
    expect(() => B.urmByUserIndexKey('08371db1dd8c8000', Buffer.from('a/b'))).toThrow(SchemaError)
    expect(() => B.parseUrmKey(Buffer.from('short'))).toThrow(SchemaError)
  })

  it('bucket, org, user, migration keys', () => {
    expect(B.bucketIndexKey('dd7cd2292f6e974a', '_tasks').toString()).toBe('dd7cd2292f6e974a_tasks')
    expect(B.bucketIndexKey('dd7cd2292f6e974a', ' my bucket ').toString()).toBe('dd7cd2292f6e974a my bucket ')
    expect(B.orgIndexKey('  myorg\t\n').toString()).toBe('myorg')
    expect(B.orgIndexKey('\u00a0\u3000my org\u2029\u0085').toString()).toBe('my org')
    expect(B.orgIndexKey('\ufeffmyorg').toString()).toBe('\ufeffmyorg')
    expect(B.userIndexKey(' testuser ').toString()).toBe(' testuser ')
    expect(B.migrationKey(21).toString()).toBe('0000000000000015')
    expect(B.idKey('DD7CD2292F6E974A').toString()).toBe('dd7cd2292f6e974a')
  })

  it('the fixture indexes use these layouts', () => {
    const copy = path.join(tmp, '2025.bolt')
    const db = DB.open(copy, {readOnly: true})
    try {
      db.view((tx) => {
        const idx = tx.bucket(B.bucketName(B.BUCKET_INDEX))!
        for (const [k, v] of contents['2025'].get(B.BUCKETS)!) {
          const b = decodeBucket(v, {key: k})
          expect(idx.get(B.bucketIndexKey(b.orgID!, b.name))!.equals(k)).toBe(true)
        }
        const org = decodeOrganization(contents['2025'].get(B.ORGANIZATIONS)![0]![1])
        expect(tx.bucket(B.bucketName(B.ORGANIZATION_INDEX))!.get(B.orgIndexKey(org.name))!.toString()).toBe(org.id)
        const user = decodeUser(contents['2025'].get(B.USERS)![0]![1])
        expect(tx.bucket(B.bucketName(B.USER_INDEX))!.get(B.userIndexKey(user.name))!.toString()).toBe(user.id)
        const [uk, uv] = contents['2025'].get(B.URMS)![0]!
        const m = decodeUserResourceMapping(uv, {key: uk})
        expect(B.urmKey(m.resourceID, m.userID).equals(uk)).toBe(true)
        const byUser = tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX))!
        expect(byUser.get(B.urmByUserIndexKey(m.userID, uk))!.equals(uk)).toBe(true)
        for (const [k, v] of contents['2025'].get(B.AUTHORIZATIONS)!) {
          const a = decodeAuthorization(v, {key: k})
          expect(tx.bucket(B.bucketName(B.AUTHORIZATION_INDEX))!.get(B.tokenIndexKey(a.token!))!.equals(k)).toBe(true)
        }
      })
    } finally {
      db.close()
    }
  })
})
