// readAuthorization (the fast, read-only decoder used by listings and checks)
// must give exactly the values decodeAuthorization gives, and the same error
// when there is one, whatever the bytes.
import {describe, expect, it} from 'vitest'
import {decodeAuthorization, encodeAuthorization, hashedRecordBytes, readAuthorization, type Authorization} from '../../src/influxd/records.js'

function full(v: Buffer): unknown {
  try {
    const r: Record<string, unknown> = {...decodeAuthorization(v, {key: 'k'})}
    delete r.source
    return r
  } catch (err) {
    return {error: (err as Error).message}
  }
}

function fast(v: Buffer): unknown {
  try {
    return {...readAuthorization(v, {key: 'k'})}
  } catch (err) {
    return {error: (err as Error).message}
  }
}

const BASE = '{"id":"08371deae98c8000","token":"4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==","status":"active","description":"testuser\'s read buckets token","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}},{"action":"write","resource":{"type":"buckets","id":"7451ab8b9b7df592","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'

/** Textual edits of the base record: each one a case the fast path must either get right or hand over. */
const EDITS: Array<[RegExp | string, string]> = [
  ['"id":"08371deae98c8000"', '"id":"08371DEAE98C8000"'],
  ['"id":"08371deae98c8000"', '"ID":"08371deae98c8000"'],
  ['"id":"08371deae98c8000"', '"id":"0000000000000000"'],
  ['"id":"08371deae98c8000"', '"id":"08371deae98c800"'],
  ['"id":"08371deae98c8000",', ''],
  ['"status":"active"', '"status":""'],
  ['"status":"active"', '"status":"inactive"'],
  ['"status":"active"', '"status":"bogus"'],
  ['"status":"active",', ''],
  ['"status":"active"', '"status":null'],
  ['"token":"4-pZ', '"token":"\\u003c&\\u0026\\u2028\\n\\"4-pZ'],
  ['"token":"4-pZ', '"token":"\\u0034-pZ'],
  ['"token":"4-pZ', '"token":"\\ud83d\\ude00'],
  ['"token":"4-pZ', '"token":"\\ud83d'],
  ['"token":"4-pZ', '"token":"é日本'],
  [/"token":"[^"]*",/, '"token":"",'],
  [/"token":"[^"]*",/, '"token":null,'],
  [/"token":"[^"]*",/, ''],
  [/"token":"[^"]*",/, '"hashedToken":"$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU=",'],
  ['"description":"', '"description":"\\u0001\\t'],
  ['"description":"', '"Description":"x","description":"'],
  ['"description":"', '"description":"a","description":"'],
  ['"description":"', '"extra":{"a":[1,2]},"description":"'],
  ['"description":"', '"__proto__":1,"description":"'],
  ['"userID":"08371db1dd8c8000",', ''],
  ['"userID":"08371db1dd8c8000"', '"userID":null'],
  ['"userID":"08371db1dd8c8000"', '"userID":"08371DB1DD8C8000"'],
  ['"userID":"08371db1dd8c8000"', '"userID":1'],
  ['"orgID":"dd7cd2292f6e974a",', ''],
  ['"permissions":[', '"permissions":[null,'],
  ['"permissions":[', '"permissions":[{},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"orgs","id":null}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"orgs","ID":"dd7cd2292f6e974a"}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"orgs","id":"DD7CD2292F6E974A","x":1}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"orgs","id":"bad"}},'],
  // members in other orders, upper-case IDs: the fast path copies into the decoder's shape (member order is asserted)
  ['"permissions":[', '"permissions":[{"resource":{"type":"orgs","id":"dd7cd2292f6e974a"},"action":"read"},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"id":"dd7cd2292f6e974a","type":"orgs"}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"orgID":"dd7cd2292f6e974a","id":"7451ab8b9b7df592","type":"buckets"}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a","id":"7451ab8b9b7df592"}},'],
  ['"permissions":[', '"permissions":[{"action":"read","resource":{"type":"buckets","id":"7451AB8B9B7DF592","orgID":"dd7cd2292f6e974a"}},'],
  ['"permissions":[', '"permissions":[{"action":"read","action":"write","resource":{"type":"orgs"}},'],
  [/"permissions":\[.*\],"createdAt"/, '"permissions":null,"createdAt"'],
  [/"permissions":\[.*\],"createdAt"/, '"permissions":[],"createdAt"'],
  [/"permissions":\[.*\],"createdAt"/, '"permissions":{},"createdAt"'],
  ['08:56:23.718372-04:00', '08:56:23.718372000-04:00'],
  ['08:56:23.718372-04:00', '08:56:23.7183729999-04:00'],
  ['08:56:23.718372-04:00', '08:56:23+00:00'],
  ['08:56:23.718372-04:00', '08:56:23-00:00'],
  ['08:56:23.718372-04:00', '08:56:23.718372-24:00'],
  ['2021-09-28T08:56:23', '2021-02-30T08:56:23'],
  ['2021-09-28T08:56:23', '\\u0032021-09-28T08:56:23'],
  ['2021-09-28T08:56:23', '2021-09-28T08:56:23\\n'],
  ['"createdAt":"2021-09-28T08:56:23.718372-04:00"', '"createdAt":null'],
  ['"createdAt":"2021-09-28T08:56:23.718372-04:00",', ''],
  ['{', ' { '],
  ['}', '} x'],
  [/,$/, ''],
  ['"orgID":"dd7cd2292f6e974a","userID"', '"orgID":"dd7cd2292f6e974a" , "userID"'],
]

describe('readAuthorization = decodeAuthorization without source', () => {
  it('on the base record and every edit of it, alone and in pairs', () => {
    const cases: string[] = [BASE]
    for (const [a, b] of EDITS) cases.push(BASE.replace(a, b))
    for (let i = 0; i < EDITS.length; i++) for (let j = i + 1; j < EDITS.length; j += 3) cases.push(BASE.replace(EDITS[i]![0], EDITS[i]![1]).replace(EDITS[j]![0], EDITS[j]![1]))
    let errors = 0
    for (const text of cases) {
      const v = Buffer.from(text, 'utf8')
      const want = full(v)
      if ((want as {error?: string}).error) errors++
      const got = fast(v)
      expect(got, text).toEqual(want)
      // the same member order too (YAML and the generic JSON print objects in their own order)
      expect(JSON.stringify(got), text).toBe(JSON.stringify(want))
    }
    expect(errors).toBeGreaterThan(10)
  })

  it('on invalid UTF-8 and other bytes', () => {
    for (const bytes of [
      Buffer.concat([Buffer.from(BASE.slice(0, 150)), Buffer.from([0xff, 0xc3]), Buffer.from(BASE.slice(150))]),
      Buffer.from(BASE.replace('testuser', 'test\u00e9user'), 'latin1'),
      Buffer.from(''),
      Buffer.from('null'),
      Buffer.from('[]'),
      Buffer.from('{"id":"08371deae98c8000"'),
    ]) {
      expect(fast(bytes)).toEqual(full(bytes))
    }
  })
})

describe('hashedRecordBytes = decode, drop token, set hashedToken, encodeAuthorization', () => {
  const HASH = '$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU='
  const viaCodec = (v: Buffer): Buffer | string => {
    try {
      const rec: Authorization = {...decodeAuthorization(v)}
      if (!rec.token || rec.hashedToken) return 'not hashable'
      delete rec.token
      rec.hashedToken = HASH
      return encodeAuthorization(rec)
    } catch (err) {
      return `error: ${(err as Error).message}`
    }
  }
  it('gives the same bytes whenever it gives any, and takes the fast path for Go-written records', () => {
    const cases: string[] = [BASE]
    for (const [a, b] of EDITS) cases.push(BASE.replace(a, b))
    for (let i = 0; i < EDITS.length; i++) for (let j = i + 1; j < EDITS.length; j += 3) cases.push(BASE.replace(EDITS[i]![0], EDITS[i]![1]).replace(EDITS[j]![0], EDITS[j]![1]))
    cases.push(BASE.replace('"id":"08371deae98c8000",', '').replace('{', '{"id":"08371deae98c8000",'))
    cases.push(BASE.replace(/("status":"active",)(.*)("createdAt")/, '$2$1$3'))
    cases.push(BASE.replace('"status":"active",', '"status":"active","status":"active",'))
    cases.push(BASE.replace('[{"action"', '[ {"action"'))
    cases.push(BASE.replace('"description":"', '"description":"a, \\"b\\": {c} [d] \\\\'))
    // a string ending in an escaped backslash: the quote after it closes the string
    cases.push(BASE.replace(/"description":"[^"]*"/, '"description":"ends \\\\\\\\"'))
    cases.push(BASE.replace(/"description":"[^"]*"/, '"description":"\\\\\\"q\\\\"'))
    let fast = 0
    for (const text of cases) {
      const v = Buffer.from(text, 'utf8')
      const got = hashedRecordBytes(v, HASH)
      if (got === undefined) continue
      fast++
      expect(got.toString('utf8'), text).toBe((viaCodec(v) as Buffer).toString('utf8'))
    }
    expect(hashedRecordBytes(Buffer.from(BASE), HASH)).toBeDefined()
    expect(fast).toBeGreaterThan(20)
  })
})
