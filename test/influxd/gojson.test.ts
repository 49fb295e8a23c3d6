import * as fs from 'node:fs'
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'
import {SchemaError} from '../../src/influxd/errors.js'
import {
  compactJson,
  decodeBool,
  decodeInt64,
  decodeString,
  decodeValue,
  encodeGoObject,
  goFoldEqual,
  goQuote,
  goQuoteBytes,
  goUtf8ToString,
  isValidJson,
  JsonSyntaxError,
  lookupField,
  matchField,
  parseArrayRaw,
  parseObjectRaw,
  stringContentRaw,
} from '../../src/influxd/gojson.js'
import {
  civilFromDays,
  daysFromCivil,
  formatGoTime,
  GO_ZERO_TIME,
  goTimeNow,
  goTimeNowString,
  isGoTime,
  localOffsetMinutes,
  parseGoTime,
} from '../../src/influxd/gotime.js'
import {FIXTURES} from '../helpers/oracle.js'

function errorOf(f: () => unknown): Error {
  try {
    f()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

describe('goQuote (Go encodeState.string rules)', () => {
  // expected values checked against Go's json.Marshal
  it.each([
    ['', '""'],
    ['plain', '"plain"'],
    ['<a&b>', '"\\u003ca\\u0026b\\u003e"'],
    ['\u2028x\u2029', '"\\u2028x\\u2029"'],
    ['\x00\x01\b\f\n\r\t\x1f\x7f', '"\\u0000\\u0001\\u0008\\u000c\\n\\r\\t\\u001f\x7f"'],
    ['emoji 😀 é ñ \'q\'', '"emoji 😀 é ñ \'q\'"'],
    ['quote" back\\ slash/', '"quote\\" back\\\\ slash/"'],
    ['\ufffd', '"\ufffd"'],
    ['lone \ud83d high', '"lone \\ufffd high"'],
    ['lone \ude00 low', '"lone \\ufffd low"'],
    ['swapped \ude00\ud83d', '"swapped \\ufffd\\ufffd"'],
    ['end \ud83d', '"end \\ufffd"'],
    ["testuser's read buckets token", '"testuser\'s read buckets token"'],
  ])('%j', (input, expected) => {
    expect(goQuote(input)).toBe(expected)
  })

  it('differs from JSON.stringify exactly on <>& and U+2028/9 and \\b \\f', () => {
    for (const s of ['a', 'é😀', '"\\', '\n\r\t', '\x01']) expect(goQuote(s)).toBe(JSON.stringify(s))
    for (const s of ['<', '>', '&', '\u2028', '\b', '\f']) expect(goQuote(s)).not.toBe(JSON.stringify(s))
  })

  it('goQuoteBytes replaces each invalid UTF-8 byte with \\ufffd, like Go', () => {
    const b = Buffer.from([0xff, 0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80])
    expect(goQuoteBytes(b).toString()).toBe('"\\ufffda\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd"')
    expect(goQuoteBytes(Buffer.from('<é\u2029>')).toString()).toBe('"\\u003cé\\u2029\\u003e"')
    expect(goUtf8ToString(b)).toBe('\ufffda\ufffd\ufffdb\ufffd\ufffd\ufffd')
    expect(goUtf8ToString(Buffer.from('😀 ok'))).toBe('😀 ok')
  })

  it('round-trips through decodeString', () => {
    for (const s of ['<a&b>', '\u2028', '\x00\x1f', '😀 é', 'a"b\\c/d']) expect(decodeString(Buffer.from(goQuote(s)))).toBe(s)
  })
})

describe('decodeString (Go unquote)', () => {
  it.each([
    ['"\\ud83d\\ude00"', '😀'],
    ['"\\ud83d"', '\ufffd'],
    ['"\\ude00\\ud83d"', '\ufffd\ufffd'],
    ['"\\ud83dx"', '\ufffdx'],
    ['"\\ud83d\\u0041"', '\ufffdA'],
    ['"a\\u00e9\\/"', 'aé/'],
    ['"\\b\\f\\n\\r\\t\\"\\\\"', '\b\f\n\r\t"\\'],
    ['"\\u003c\\u0026"', '<&'],
  ])('%s', (raw, expected) => {
    expect(decodeString(Buffer.from(raw))).toBe(expected)
  })

  it('replaces invalid UTF-8 bytes one by one', () => {
    expect(decodeString(Buffer.from([0x22, 0xff, 0xe2, 0x82, 0x62, 0x22]))).toBe('\ufffd\ufffd\ufffdb')
  })

  it('refuses non-strings and broken strings', () => {
    expect(errorOf(() => decodeString(Buffer.from('5')))).toBeInstanceOf(SchemaError)
    expect(errorOf(() => decodeString(Buffer.from('"abc')))).toBeInstanceOf(JsonSyntaxError)
    expect(errorOf(() => decodeString(Buffer.from('"a\nb"'))).message).toBe("invalid character '\\n' in string literal")
    expect(errorOf(() => decodeString(Buffer.from('"\\x"'))).message).toBe("invalid character 'x' in string escape code")
    expect(errorOf(() => decodeString(Buffer.from('"\\u12g4"'))).message).toBe("invalid character 'g' in \\u hexadecimal character escape")
  })

  it('stringContentRaw returns the bytes between the quotes, not unescaped', () => {
    expect(stringContentRaw(Buffer.from('"2021\\u002d09"'))).toBe('2021\\u002d09')
  })
})

describe('parseObjectRaw', () => {
  it('splits members and keeps the exact value bytes and offsets', () => {
    const text = '{"id":"08371db24dcc8000", "n" : 12.5e3 ,"a":[1, {"x":null}],"o":{"k":"v"},"t":true,"f":false,"z":null,"k\\u0041":"\\u003c"}'
    const buf = Buffer.from(text)
    const entries = parseObjectRaw(buf)
    expect(entries.map((e) => e.key)).toEqual(['id', 'n', 'a', 'o', 't', 'f', 'z', 'kA'])
    expect(entries.map((e) => e.valueRaw.toString())).toEqual(['"08371db24dcc8000"', '12.5e3', '[1, {"x":null}]', '{"k":"v"}', 'true', 'false', 'null', '"\\u003c"'])
    expect(entries[7]!.keyRaw.toString()).toBe('"k\\u0041"')
    for (const e of entries) {
      expect(buf.subarray(e.start, e.end).toString().startsWith(e.keyRaw.toString())).toBe(true)
      expect(buf.subarray(e.valueStart, e.end).equals(e.valueRaw)).toBe(true)
    }
    expect(entries[1]!.start).toBe(text.indexOf('"n"'))
  })

  it('keeps duplicates in order and accepts whitespace and empty objects', () => {
    expect(parseObjectRaw(Buffer.from(' \t\r\n{ } \n'))).toEqual([])
    expect(parseObjectRaw(Buffer.from('{"a":1,"a":2}')).map((e) => e.valueRaw.toString())).toEqual(['1', '2'])
  })

  it.each([
    ['', 'unexpected end of JSON input'],
    ['{"id":"08371db2', 'unexpected end of JSON input'],
    ['{"id":"x",', 'unexpected end of JSON input'],
    ['{"id":"x"}x', "invalid character 'x' after top-level value"],
    ['{id:1}', "invalid character 'i' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ['{"a":[1 2]}', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":\'x\'}', "invalid character '\\'' looking for beginning of value"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
  ])('syntax error in %j', (text, message) => {
    const err = errorOf(() => parseObjectRaw(Buffer.from(text)))
    expect(err).toBeInstanceOf(JsonSyntaxError)
    expect(err.message).toBe(message)
  })

  it('refuses a valid value that is not an object', () => {
    const err = errorOf(() => parseObjectRaw(Buffer.from('[1]')))
    expect(err).toBeInstanceOf(SchemaError)
    expect(err.message).toMatch(/not a JSON object/)
  })

  it('survives deep nesting and enforces the depth limit', () => {
    const deep = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
    expect(parseObjectRaw(Buffer.from(deep))).toHaveLength(1)
    const tooDeep = '{"a":' + '['.repeat(10001) + ']'.repeat(10001) + '}'
    expect(errorOf(() => parseObjectRaw(Buffer.from(tooDeep))).message).toBe('exceeded max depth')
  })

  it('parseArrayRaw, compactJson, isValidJson', () => {
    expect(parseArrayRaw(Buffer.from('[ 1 , "a" ,{"b" : [ ]} ]')).map(String)).toEqual(['1', '"a"', '{"b" : [ ]}'])
    expect(compactJson(Buffer.from(' { "a b" : [ 1 , "x y" ] } ')).toString()).toBe('{"a b":[1,"x y"]}')
    expect(isValidJson(Buffer.from('{"a":1}'))).toBe(true)
    expect(isValidJson(Buffer.from('{"a":1'))).toBe(false)
  })
})

describe('decoding values', () => {
  it('decodeInt64 follows strconv.ParseInt', () => {
    expect(decodeInt64(Buffer.from('604800000000000'))).toBe(604800000000000n)
    expect(decodeInt64(Buffer.from('-9223372036854775808'))).toBe(-(1n << 63n))
    expect(decodeInt64(Buffer.from('9223372036854775807'))).toBe((1n << 63n) - 1n)
    for (const bad of ['9223372036854775808', '1.0', '1e3', '"1"', 'null']) {
      expect(errorOf(() => decodeInt64(Buffer.from(bad)))).toBeInstanceOf(SchemaError)
    }
  })

  it('decodeBool and decodeValue', () => {
    expect(decodeBool(Buffer.from('true'))).toBe(true)
    expect(decodeBool(Buffer.from('false'))).toBe(false)
    expect(errorOf(() => decodeBool(Buffer.from('1')))).toBeInstanceOf(SchemaError)
    expect(decodeValue(Buffer.from('{"a":[1,2.5,"x",null,true],"a":{"b":"\\u003c"}}'))).toEqual({a: {b: '<'}})
    expect(decodeValue(Buffer.from('[1,2.5,"x",null,false]'))).toEqual([1, 2.5, 'x', null, false])
  })
})

describe('Go field matching', () => {
  const entries = parseObjectRaw(Buffer.from('{"ID":"upper","id":"exact","Status":"x","status":"y","STATUS":"z","ſtatus":"long s","\u212Aind":"kelvin","other":1}'))
  it('exact keys win over folded ones, and the last matching key wins', () => {
    expect(matchField('ID', ['id', 'status'])).toBe('id')
    expect(matchField('id', ['id', 'ID'])).toBe('id')
    expect(matchField('ID', ['id', 'ID'])).toBe('ID')
    expect(matchField('other', ['id'])).toBeUndefined()
    expect(lookupField(entries, 'id')!.valueRaw.toString()).toBe('"exact"')
    expect(lookupField(entries, 'status')!.valueRaw.toString()).toBe('"long s"')
    expect(lookupField(entries, 'kind')!.valueRaw.toString()).toBe('"kelvin"')
    expect(lookupField(entries, 'missing')).toBeUndefined()
    // a struct that has both "id" and "ID": the key "ID" belongs to "ID" only
    expect(lookupField(entries, 'id', ['id', 'ID'])!.valueRaw.toString()).toBe('"exact"')
    expect(lookupField(entries, 'ID', ['id', 'ID'])!.valueRaw.toString()).toBe('"upper"')
    expect(goFoldEqual('OrgId', 'orgID')).toBe(true)
    expect(goFoldEqual('org_id', 'orgID')).toBe(false)
  })
})

describe('encodeGoObject', () => {
  it('writes compact JSON in the given order and omits undefined values', () => {
    expect(encodeGoObject([]).toString()).toBe('{}')
    expect(encodeGoObject([['a', '1'], ['b', undefined], ['c', Buffer.from('"x"')], ['<', 'null']]).toString()).toBe('{"a":1,"c":"x","\\u003c":null}')
    expect(encodeGoObject([['b', undefined]]).toString()).toBe('{}')
  })
})

// ---------------------------------------------------------------- Go time

function fixtureTimestamps(): string[] {
  const out = new Set<string>()
  for (const f of ['influxd-v2.1-v2.7.dump.txt', 'influxd-v2.8-v2.9.dump.txt']) {
    const text = fs.readFileSync(path.join(FIXTURES, f), 'utf8')
    for (const m of text.matchAll(/"(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))"/g)) out.add(m[1]!)
  }
  return [...out]
}

describe('gotime', () => {
  it.each([
    ['2021-09-28T08:55:25.75109-04:00', 1632833725751090000n, -240],
    ['2021-09-28T12:55:25.442475Z', 1632833725442475000n, 0],
    ['2025-02-05T21:01:39.331257096Z', 1738789299331257096n, 0],
    ['2021-09-28T12:55:25Z', 1632833725000000000n, 0],
    ['2021-09-28T18:25:25.1+05:30', 1632833725100000000n, 330],
    ['0001-01-01T00:00:00Z', -62135596800000000000n, 0],
    ['1969-12-31T23:59:59.999999999Z', -1n, 0],
    ['9999-12-31T23:59:59.999999999+23:59', 253402300800000000000n - 1n - (23n * 3600n + 59n * 60n) * 1_000_000_000n, 1439],
  ])('%s', (text, epochNs, offsetMinutes) => {
    expect(parseGoTime(text)).toEqual({epochNs, offsetMinutes})
    expect(formatGoTime(epochNs, offsetMinutes)).toBe(text)
  })

  it('trims the fraction and omits a zero one, writes Z for offset 0', () => {
    expect(formatGoTime(1632833725000000000n, 0)).toBe('2021-09-28T12:55:25Z')
    expect(formatGoTime(1632833725500000000n, 0)).toBe('2021-09-28T12:55:25.5Z')
    expect(formatGoTime(1632833725000000001n, -60)).toBe('2021-09-28T11:55:25.000000001-01:00')
    expect(formatGoTime(0n, 0)).toBe('1970-01-01T00:00:00Z')
    expect(formatGoTime(-62135596800000000000n, 0)).toBe(GO_ZERO_TIME)
  })

  it('accepts what Go accepts and normalizes like Go', () => {
    const norm = (s: string): string => {
      const t = parseGoTime(s)
      return formatGoTime(t.epochNs, t.offsetMinutes)
    }
    // values checked against Go's Time.UnmarshalJSON + MarshalJSON
    expect(norm('2021-09-28T12:55:25.000000000Z')).toBe('2021-09-28T12:55:25Z')
    expect(norm('2021-09-28T12:55:25.1234567891Z')).toBe('2021-09-28T12:55:25.123456789Z')
    expect(norm('2021-09-28T12:55:25-00:00')).toBe('2021-09-28T12:55:25Z')
    expect(norm('0000-01-01T00:00:00Z')).toBe('0000-01-01T00:00:00Z')
    expect(norm('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00Z')
  })

  it.each([
    '2020-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-09-28T24:00:00Z',
    '2021-09-28T12:60:00Z',
    '2021-09-28T12:00:60Z',
    '2021-09-28 12:00:00Z',
    '2021-09-28t12:00:00Z',
    '2021-09-28T12:00:00z',
    '2021-09-28T12:00:00',
    '2021-09-28T12:00:00.Z',
    '2021-09-28T12:00:00+24:00',
    '2021-09-28T12:00:00+05:60',
    '2021-09-28T12:00:00+0500',
    '2021-09-28T12:00Z',
    '21-09-28T12:00:00Z',
    '+2021-09-28T12:00:00Z',
    '',
  ])('refuses %j', (s) => {
    expect(errorOf(() => parseGoTime(s))).toBeInstanceOf(SchemaError)
    expect(isGoTime(s)).toBe(false)
  })

  it('refuses to format years outside 0..9999 and offsets ≥ 24h', () => {
    expect(errorOf(() => formatGoTime(253402300800000000000n, 0)).message).toMatch(/year outside of range/)
    expect(errorOf(() => formatGoTime(-62167219200000000001n, 0)).message).toMatch(/year outside of range/)
    expect(formatGoTime(-62167219200000000000n, 0)).toBe('0000-01-01T00:00:00Z')
    expect(errorOf(() => formatGoTime(0n, 24 * 60)).message).toMatch(/timezone hour/)
  })

  it('round-trips every timestamp of both fixtures', () => {
    const all = fixtureTimestamps()
    expect(all.length).toBeGreaterThan(40)
    expect(all).toContain('2021-09-28T08:55:25.75109-04:00')
    for (const s of all) {
      const t = parseGoTime(s)
      expect(formatGoTime(t.epochNs, t.offsetMinutes)).toBe(s)
    }
  })

  it('agrees with Date on the calendar', () => {
    for (let d = -800000; d <= 2932896; d += 997) {
      const {year, month, day} = civilFromDays(d)
      expect(daysFromCivil(year, month, day)).toBe(d)
      if (year >= 0) {
        const iso = new Date(d * 86400000).toISOString().slice(0, 10)
        expect(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`).toBe(iso)
      }
    }
  })

  it('local offset and now', () => {
    const jan = new Date('2024-01-15T12:00:00Z')
    expect(localOffsetMinutes(jan)).toBe(-jan.getTimezoneOffset() || 0)
    const utc = goTimeNow(true)
    expect(utc.offsetMinutes).toBe(0)
    expect(Number(utc.epochNs / 1_000_000n)).toBeGreaterThan(Date.now() - 5000)
    expect(goTimeNowString(true)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/)
    const local = goTimeNow(false)
    expect(local.offsetMinutes).toBe(localOffsetMinutes(new Date(Number(local.epochNs / 1_000_000n))))
    expect(isGoTime(goTimeNowString(false))).toBe(true)
  })
})
