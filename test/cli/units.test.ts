// Unit tests of the engine-level helpers behind the commands: encodings, dump
// lines, ops parsing, expected state, greedy bucket paths, error mapping.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {expectedState, parseOpLine, parseOps, type Op} from '../../src/bbolt/apply.js'
import {DB} from '../../src/bbolt/db.js'
import {formatRecord, parseDumpLine, topLevelNumbers} from '../../src/bbolt/dump.js'
import {BoltError} from '../../src/bbolt/errors.js'
import {decodeBytes, decodeString, displayBytes, encodeBytes, encodeBytesJson} from '../../src/bbolt/encoding.js'
import {describeError, oneLine, parseSeconds, stringifyJson} from '../../src/cli/base-command.js'
import {resolveBucketPath} from '../../src/cli/bucket-path.js'
import {LockedError, RecoverError} from '../../src/errors.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'

const b = (s: string): Buffer => Buffer.from(s)

describe('encoding', () => {
  it('utf8: text when valid UTF-8 (BOM kept), else {base64}', () => {
    expect(encodeBytes(b('héllo'), 'utf8')).toBe('héllo')
    expect(encodeBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), 'utf8')).toBe('\ufeffA')
    expect(encodeBytes(Buffer.from([0xff, 0x00]), 'utf8')).toEqual({base64: '/wA='})
    expect(encodeBytes(Buffer.from([0xed, 0xa0, 0x80]), 'utf8')).toEqual({base64: '7aCA'}) // encoded surrogate
    expect(encodeBytes(Buffer.alloc(0), 'utf8')).toBe('')
    expect(encodeBytesJson(b('a"\n'), 'utf8')).toBe('"a\\"\\n"')
    expect(encodeBytesJson(Buffer.from([0xff]), 'utf8')).toBe('{"base64":"/w=="}')
  })

  it('base64 and hex', () => {
    expect(encodeBytes(Buffer.from([0xff, 0x00, 0xfe]), 'base64')).toBe('/wD+')
    expect(encodeBytes(Buffer.from([0xab, 0x01]), 'hex')).toBe('ab01')
    expect(decodeString('AB01', 'hex')).toEqual(Buffer.from([0xab, 0x01]))
    expect(decodeString('YQ==', 'base64')).toEqual(b('a'))
  })

  it.each([
    ['YQ', 'base64'],
    ['YR==', 'base64'],
    ['Y===', 'base64'],
    ['YQ==YQ==', 'base64'],
    ['a-b_', 'base64'],
    ['abc', 'hex'],
    ['zz', 'hex'],
    [' ab', 'hex'],
  ] as const)('rejects malformed %s (%s)', (s, enc) => {
    expect(() => decodeString(s, enc)).toThrow(BoltError)
  })

  it('decodes JSON values strictly', () => {
    expect(decodeBytes('abc', 'utf8')).toEqual(b('abc'))
    expect(decodeBytes({base64: '/w=='}, 'utf8')).toEqual(Buffer.from([0xff]))
    expect(decodeBytes({hex: 'ff'}, 'base64')).toEqual(Buffer.from([0xff]))
    expect(() => decodeBytes({base64: '/w==', hex: 'ff'}, 'utf8')).toThrow(/exactly one field/)
    expect(() => decodeBytes({base64: 5}, 'utf8')).toThrow(/must be a string/)
    expect(() => decodeBytes(null, 'utf8')).toThrow(/got null/)
    expect(() => decodeBytes(['a'], 'utf8')).toThrow(/an array/)
    expect(() => decodeBytes('\ud800', 'utf8')).toThrow(/surrogate/)
  })

  it('displayBytes keeps one line', () => {
    expect(displayBytes(b('plain'), 'utf8')).toBe('plain')
    expect(displayBytes(b('two\nlines'), 'utf8')).toBe('"two\\nlines"')
    expect(displayBytes(Buffer.from([0xff]), 'utf8')).toBe('{"base64":"/w=="}')
    expect(displayBytes(Buffer.from([0xff]), 'hex')).toBe('ff')
  })
})

describe('dump lines', () => {
  it('formats exact sequences and Go field order', () => {
    expect(formatRecord({type: 'bucket', path: [b('empty')], sequence: 0n}, 'base64')).toBe('{"type":"bucket","path":["ZW1wdHk="],"sequence":0}')
    expect(formatRecord({type: 'bucket', path: [b('a'), b('b')], sequence: 18446744073709551615n}, 'utf8')).toBe('{"type":"bucket","path":["a","b"],"sequence":18446744073709551615}')
    expect(formatRecord({type: 'kv', path: [b('a')], key: b('k'), value: Buffer.alloc(0)}, 'hex')).toBe('{"type":"kv","path":["61"],"key":"6b","value":""}')
  })

  it('parses sequences exactly, as digits or strings', () => {
    const r = parseDumpLine('{"type":"bucket","path":["a"],"sequence":18446744073709551615}', 1, 'utf8')
    expect(r).toEqual({type: 'bucket', path: [b('a')], sequence: 18446744073709551615n})
    const s = parseDumpLine('{"sequence":"9007199254740993","path":["a"],"type":"bucket"}', 1, 'utf8')
    expect(s.type === 'bucket' && s.sequence).toBe(9007199254740993n)
    expect(() => parseDumpLine('{"type":"bucket","path":["a"],"sequence":1e3}', 7, 'utf8')).toThrow(/line 7/)
    expect(() => parseDumpLine('{"type":"bucket","path":["a"],"sequence":"01"}', 7, 'utf8')).toThrow(/unsigned decimal/)
  })

  it('topLevelNumbers ignores nested values and strings', () => {
    const text = '{"path":["\\"sequence\\":1","sequence"],"x":{"sequence":2},"sequence" : 18446744073709551615,"y":[3]}'
    JSON.parse(text)
    expect(topLevelNumbers(text)).toEqual(new Map([['sequence', '18446744073709551615']]))
  })
})

describe('ops', () => {
  it('parses every op and skips blank lines', () => {
    const ops = parseOps([
      '{"op":"put","path":["a"],"key":"k","value":"v"}',
      '',
      '   ',
      '{"op":"delete","path":["a"],"key":{"hex":"ff"}}\r',
      '{"op":"create-bucket","path":["a","b"]}',
      '{"op":"delete-bucket","path":["a","b"]}',
      '{"op":"set-sequence","path":["a"],"sequence":18446744073709551615}',
      '',
    ].join('\n'), 'utf8')
    expect(ops.map((o) => [o.op, o.line])).toEqual([['put', 1], ['delete', 4], ['create-bucket', 5], ['delete-bucket', 6], ['set-sequence', 7]])
    expect((ops[4] as Extract<Op, {op: 'set-sequence'}>).sequence).toBe(18446744073709551615n)
  })

  it('names the line of the first error', () => {
    expect(() => parseOps('{"op":"put","path":["a"],"key":"k","value":"v"}\n\n{"op":"drop"}\n', 'utf8')).toThrow(/^line 3: unknown op "drop"/)
    expect(() => parseOpLine('{"op":"create-bucket","path":[]}', 9, 'utf8')).toThrow(/line 9/)
    expect(() => parseOpLine('{"op":"create-bucket","path":[""]}', 9, 'utf8')).toThrow(/cannot be empty/)
  })

  it('expected state follows the batch op by op', () => {
    const ops = parseOps([
      '{"op":"put","path":["a"],"key":"k1","value":"1"}',
      '{"op":"put","path":["a"],"key":"k2","value":"2"}',
      '{"op":"delete","path":["a"],"key":"k2"}',
      '{"op":"create-bucket","path":["a","sub"]}',
      '{"op":"put","path":["a","sub"],"key":"x","value":"y"}',
      '{"op":"delete-bucket","path":["a","sub"]}',
      '{"op":"set-sequence","path":["a"],"sequence":5}',
    ].join('\n'), 'utf8')
    const e = expectedState(ops)
    expect(e.keys.map((k) => [k.key.toString(), k.value?.toString()])).toEqual([['k1', '1'], ['k2', undefined]])
    expect(e.buckets.map((x) => [x.path.map(String).join('/'), x.present, x.sequence])).toEqual([['a/sub', false, undefined], ['a', true, 5n]])
  })
})

describe('greedy bucket paths', () => {
  let dir: string
  let file: string
  beforeAll(() => {
    dir = makeTempDir()
    file = path.join(dir, 'paths.bolt')
    DB.build(file, (tx) => {
      tx.createBucket(b('templates/documents/content')).put(b('k'), b('long'))
      const t = tx.createBucket(b('templates'))
      t.createBucket(b('documents')).put(b('k'), b('nested'))
      t.createBucket(b('a/b')).createBucket(b('c'))
    }).close()
  })
  afterAll(() => removeDir(dir))

  it('takes the longest existing name at each level', () => {
    const db = DB.open(file, {readOnly: true})
    try {
      db.view((tx) => {
        const names = (spec: string, enc: 'utf8' | 'hex' = 'utf8'): string[] => resolveBucketPath(tx, spec, enc).path.map(String)
        expect(names('templates/documents/content')).toEqual(['templates/documents/content'])
        expect(names('templates/documents')).toEqual(['templates', 'documents'])
        expect(names('templates/a/b/c')).toEqual(['templates', 'a/b', 'c'])
        expect(names(`${Buffer.from('templates').toString('hex')}/${Buffer.from('a/b').toString('hex')}`, 'hex')).toEqual(['templates', 'a/b'])
        expect(() => names('templates/documents/nope')).toThrow(/not found/)
        expect(() => names('nope')).toThrow(/not found/)
        expect(() => names('')).toThrow(/cannot be empty/)
        expect(() => names('zz', 'hex')).toThrow(/invalid hex/)
      })
    } finally {
      db.close()
    }
    expect(fs.existsSync(file)).toBe(true)
  })
})

describe('errors and output helpers', () => {
  it('maps errors to exit codes', () => {
    expect(describeError(new BoltError('corrupt', 'x')).exitCode).toBe(4)
    expect(describeError(new BoltError('not-found', 'x')).exitCode).toBe(5)
    expect(describeError(new BoltError('invalid', 'x')).exitCode).toBe(2)
    for (const k of ['exists', 'incompatible', 'io', 'tx'] as const) expect(describeError(new BoltError(k, 'x')).exitCode).toBe(1)
    expect(describeError(new LockedError('busy', 'stop it'))).toEqual({exitCode: 3, message: 'busy', hint: 'stop it'})
    expect(describeError(new RecoverError('v', 6)).exitCode).toBe(6)
    expect(describeError(new TypeError('boom'))).toEqual({exitCode: 1, message: 'boom'})
    expect(oneLine('\u001b[2mdim\u001b[22m\nSee more help with --help')).toBe('dim')
  })

  it('prints bigints as exact JSON integers', () => {
    expect(stringifyJson({s: 18446744073709551615n, t: 'x'})).toBe('{"s":18446744073709551615,"t":"x"}')
  })

  it('parses lock timeouts', () => {
    expect(parseSeconds('0.3')).toBe(0.3)
    expect(parseSeconds('2')).toBe(2)
    expect(() => parseSeconds('-1')).toThrow()
    expect(() => parseSeconds('1s')).toThrow()
  })
})
