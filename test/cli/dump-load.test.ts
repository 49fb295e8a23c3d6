// bolt dump (byte-identical to the Go oracle in base64), bolt load (dump -> new
// file that Go accepts and dumps identically) and bolt compact.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {errorLines, lines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {fixture, oracle, oracleCheck, oracleDump, ROOT} from '../helpers/oracle.js'

const OLD = fixture('influxd-v2.1-v2.7.bolt')
const NEW = fixture('influxd-v2.8-v2.9.bolt')
const DEMO = path.join(ROOT, 'fixtures/engine-demo.bolt')
const REAL = [OLD, NEW]

let tmp: string
beforeAll(() => {
  tmp = makeTempDir()
})
afterAll(() => removeDir(tmp))

/** Free page count from `oracle info` ("free ids: N [...]"). */
function oracleFreePages(file: string): number {
  const r = oracle('info', file)
  expect(r.status, r.stderr).toBe(0)
  const m = /free ids: (\d+)/.exec(r.stdout)
  expect(m, r.stdout).not.toBeNull()
  return Number(m![1])
}

/** Names in the temp dir other than the expected ones (e.g. leftover temporary files). */
function strayFiles(dir: string, expected: string[]): string[] {
  return fs.readdirSync(dir).filter((n) => !expected.includes(n))
}

describe('bolt dump', () => {
  it.each(REAL)('--encoding base64 equals `oracle dump` byte for byte (%s)', (file) => {
    const r = runCli(['bolt', 'dump', file, '--encoding', 'base64'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const o = oracle('dump', file)
    expect(o.status).toBe(0)
    expect(r.stdoutBytes.equals(Buffer.from(o.stdout, 'utf8'))).toBe(true)
  })

  it('the demo file too (binary key, nested buckets, sequence, overflow value)', () => {
    const r = runCli(['bolt', 'dump', DEMO, '--encoding', 'base64'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(oracle('dump', DEMO).stdout)
  })

  it.each(REAL)('utf8 dump has the expected shape (%s)', (file) => {
    const r = runCli(['bolt', 'dump', file])
    expect(r.status, r.stderr).toBe(0)
    const recs = lines(r.stdout).map((l) => JSON.parse(l))
    const go = oracleDump(file).map((l) => JSON.parse(l))
    expect(recs.length).toBe(go.length)
    const buckets = recs.filter((x) => x.type === 'bucket')
    expect(buckets.length).toBe(file === OLD ? 51 : 54)
    for (const b of buckets) {
      expect(Object.keys(b)).toEqual(['type', 'path', 'sequence'])
      expect(b.path.length).toBe(1)
      expect(typeof b.path[0]).toBe('string')
      expect(b.sequence).toBe(0)
    }
    expect(buckets.map((b) => b.path[0])).toContain('templates/documents/content')
    const kvs = recs.filter((x) => x.type === 'kv')
    for (const kv of kvs) expect(Object.keys(kv)).toEqual(['type', 'path', 'key', 'value'])
    // the utf8 form decodes back to exactly the oracle's bytes
    const toBytes = (v: string | {base64: string}): string => (typeof v === 'string' ? Buffer.from(v).toString('base64') : v.base64)
    recs.forEach((rec, i) => {
      expect(rec.path.map(toBytes)).toEqual(go[i].path)
      if (rec.type === 'kv') {
        expect(toBytes(rec.key)).toBe(go[i].key)
        expect(toBytes(rec.value)).toBe(go[i].value)
      }
    })
    const auth = kvs.find((x) => x.path[0] === 'authorizationsv1')
    expect(JSON.parse(auth.value)).toHaveProperty('token')
  })

  it('hex encoding and a starting bucket', () => {
    const r = runCli(['bolt', 'dump', DEMO, '--encoding', 'hex', '--bucket', `${Buffer.from('nested').toString('hex')}/${Buffer.from('level1').toString('hex')}`])
    expect(r.status, r.stderr).toBe(0)
    const hex = (s: string): string => Buffer.from(s).toString('hex')
    expect(lines(r.stdout)).toEqual([
      `{"type":"bucket","path":["${hex('nested')}","${hex('level1')}"],"sequence":0}`,
      `{"type":"bucket","path":["${hex('nested')}","${hex('level1')}","${hex('level2')}"],"sequence":0}`,
      `{"type":"kv","path":["${hex('nested')}","${hex('level1')}","${hex('level2')}"],"key":"${hex('deep-key')}","value":"${hex('deep value')}"}`,
      `{"type":"kv","path":["${hex('nested')}","${hex('level1')}","${hex('level2')}"],"key":"${hex('empty-value')}","value":""}`,
      `{"type":"kv","path":["${hex('nested')}","${hex('level1')}"],"key":"${hex('middle-key')}","value":"${hex('middle value')}"}`,
    ])
  })

  it('utf8 dump of the demo file shows binary data as {"base64": ...}', () => {
    const r = runCli(['bolt', 'dump', DEMO, '--bucket', 'binary'])
    expect(lines(r.stdout)).toEqual([
      '{"type":"bucket","path":["binary"],"sequence":0}',
      '{"type":"kv","path":["binary"],"key":"text-key","value":{"base64":"AAECwyg="}}',
      '{"type":"kv","path":["binary"],"key":{"base64":"/wD+AQ=="},"value":"value under a binary key"}',
    ])
  })
})

describe('bolt load', () => {
  it.each([
    [OLD, 'utf8'],
    [NEW, 'utf8'],
    [OLD, 'base64'],
    [NEW, 'hex'],
    [DEMO, 'utf8'],
    [DEMO, 'base64'],
  ])('dump -> load -> Go checks it and dumps it identically (%s, %s)', (file, enc) => {
    const dir = makeTempDir()
    try {
      const dump = path.join(dir, 'dump.jsonl')
      const out = path.join(dir, 'loaded.bolt')
      const d = runCli(['bolt', 'dump', file, '--encoding', enc])
      expect(d.status, d.stderr).toBe(0)
      fs.writeFileSync(dump, d.stdout)
      const l = runCli(['bolt', 'load', '--from', dump, '--out', out, '--encoding', enc])
      expect(l.status, l.stderr).toBe(0)
      expect(l.stdout).toMatch(/^loaded \d+ buckets and \d+ keys into /)
      oracleCheck(out)
      expect(oracleDump(out)).toEqual(oracleDump(file))
      expect(oracleFreePages(out)).toBe(0)
      expect((fs.statSync(out).mode & 0o777).toString(8)).toBe('600')
      expect(strayFiles(dir, ['dump.jsonl', 'loaded.bolt'])).toEqual([])
    } finally {
      removeDir(dir)
    }
  })

  it('from stdin, with another page size, as JSON', () => {
    const out = path.join(tmp, 'stdin-8k.bolt')
    const d = runCli(['bolt', 'dump', NEW])
    const l = runCli(['bolt', 'load', '--from', '-', '--out', out, '--page-size', '8192', '--json'], {input: d.stdout})
    expect(l.status, l.stderr).toBe(0)
    expect(JSON.parse(l.stdout)).toMatchObject({buckets: 54, pageSize: 8192, freePages: 0})
    oracleCheck(out)
    expect(oracleDump(out)).toEqual(oracleDump(NEW))
  })

  it('loads the dump of one nested bucket, creating its ancestors', () => {
    const d = runCli(['bolt', 'dump', DEMO, '--bucket', 'bmVzdGVk/bGV2ZWwx', '--encoding', 'base64'])
    expect(d.status, d.stderr).toBe(0)
    const out = path.join(tmp, 'partial.bolt')
    const l = runCli(['bolt', 'load', '--from', '-', '--out', out, '--encoding', 'base64'], {input: d.stdout})
    expect(l.status, l.stderr).toBe(0)
    oracleCheck(out)
    expect(oracleDump(out)).toEqual(['{"type":"bucket","path":["bmVzdGVk"],"sequence":0}', ...lines(d.stdout)])
  })

  it('refuses to overwrite (exit 1, nothing touched)', () => {
    const dump = path.join(tmp, 'small.jsonl')
    fs.writeFileSync(dump, '{"type":"bucket","path":["a"],"sequence":0}\n')
    const existing = path.join(tmp, 'existing.bolt')
    fs.writeFileSync(existing, 'precious')
    const r = runCli(['bolt', 'load', '--from', dump, '--out', existing])
    expect(r.status).toBe(1)
    expect(errorLines(r.stderr).error).toMatch(/refusing to overwrite/)
    expect(fs.readFileSync(existing, 'utf8')).toBe('precious')
  })

  it('keeps sequences up to 2^64-1 exactly', () => {
    const dump = path.join(tmp, 'seq.jsonl')
    fs.writeFileSync(dump, [
      '{"type":"bucket","path":["a"],"sequence":18446744073709551615}',
      '{"type":"bucket","path":["a","b"],"sequence":"9007199254740993"}',
      '{"type":"kv","path":["a","b"],"key":"k","value":{"hex":"00ff"}}',
      '',
    ].join('\n'))
    const out = path.join(tmp, 'seq.bolt')
    const r = runCli(['bolt', 'load', '--from', dump, '--out', out])
    expect(r.status, r.stderr).toBe(0)
    oracleCheck(out)
    expect(oracleDump(out)).toEqual([
      '{"type":"bucket","path":["YQ=="],"sequence":18446744073709551615}',
      '{"type":"bucket","path":["YQ==","Yg=="],"sequence":9007199254740993}',
      '{"type":"kv","path":["YQ==","Yg=="],"key":"aw==","value":"AP8="}',
    ])
  })

  it.each([
    ['not JSON', '{"type":"bucket","path":["a"],"sequence":0}\n{nope\n', /line 2/],
    ['unknown type', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"kvv","path":["a"],"key":"k","value":"v"}\n', /line 2: unknown record type/],
    ['bad base64', '{"type":"bucket","path":["YQ=="],"sequence":0}\n{"type":"kv","path":["YQ=="],"key":"a$$","value":""}\n', /line 2: key: invalid base64/],
    ['missing field', '{"type":"bucket","path":["a"]}\n', /line 1: .*missing field "sequence"/],
    ['extra field', '{"type":"bucket","path":["a"],"sequence":0,"x":1}\n', /line 1: .*unknown field "x"/],
    ['undeclared bucket', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"kv","path":["b"],"key":"k","value":"v"}\n', /line 2: .*not declared/],
    ['bucket declared twice', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"bucket","path":["a"],"sequence":1}\n', /line 2: .*declared twice/],
    ['bucket named like a key', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"kv","path":["a"],"key":"k","value":"v"}\n{"type":"bucket","path":["a","k"],"sequence":0}\n', /line 3: .*already used by a key/],
    ['kv at the root', '{"type":"kv","path":[],"key":"k","value":"v"}\n', /line 1: .*root bucket/],
    ['duplicate key', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"kv","path":["a"],"key":"k","value":"v"}\n{"type":"kv","path":["a"],"key":"k","value":"w"}\n', /line 3: .*twice/],
    ['empty key', '{"type":"bucket","path":["a"],"sequence":0}\n{"type":"kv","path":["a"],"key":"","value":"v"}\n', /line 2: .*empty/],
    ['sequence too big', '{"type":"bucket","path":["a"],"sequence":18446744073709551616}\n', /line 1: .*2\^64-1/],
    ['negative sequence', '{"type":"bucket","path":["a"],"sequence":-1}\n', /line 1: .*unsigned/],
  ])('malformed input (%s) exits 2 naming the line, and leaves no file', (name, text, msg) => {
    const enc = name === 'bad base64' ? 'base64' : 'utf8'
    const dir = makeTempDir()
    try {
      const dump = path.join(dir, 'bad.jsonl')
      fs.writeFileSync(dump, text)
      const out = path.join(dir, 'out.bolt')
      const r = runCli(['bolt', 'load', '--from', dump, '--out', out, '--encoding', enc])
      expect(r.status, r.stderr).toBe(2)
      const e = errorLines(r.stderr)
      expect(e.ok, r.stderr).toBe(true)
      expect(e.error).toMatch(msg)
      expect(fs.readdirSync(dir)).toEqual(['bad.jsonl'])
    } finally {
      removeDir(dir)
    }
  })

  it('a missing input exits 5, a missing output directory exits 5', () => {
    const r = runCli(['bolt', 'load', '--from', path.join(tmp, 'nope.jsonl'), '--out', path.join(tmp, 'x.bolt')])
    expect(r.status).toBe(5)
    expect(fs.existsSync(path.join(tmp, 'x.bolt'))).toBe(false)
    const d = path.join(tmp, 'small2.jsonl')
    fs.writeFileSync(d, '')
    const r2 = runCli(['bolt', 'load', '--from', d, '--out', path.join(tmp, 'no-dir', 'x.bolt')])
    expect(r2.status).toBe(5)
  })
})

describe('bolt compact', () => {
  it.each([OLD, NEW, DEMO])('produces a file Go accepts, with the same content and 0 free pages (%s)', (file) => {
    const before = sha256(file)
    const out = path.join(tmp, `compact-${path.basename(file)}`)
    const r = runCli(['bolt', 'compact', file, '--out', out])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^compacted /)
    oracleCheck(out)
    expect(oracleDump(out)).toEqual(oracleDump(file))
    expect(oracleFreePages(out)).toBe(0)
    const c = runCli(['bolt', 'check', out, '--json'])
    expect(JSON.parse(c.stdout).stats.freePages).toBe(0)
    expect(sha256(file)).toBe(before)
  })

  it('reports JSON and refuses to overwrite', () => {
    const out = path.join(tmp, 'compact-json.bolt')
    const r = runCli(['bolt', 'compact', '--bolt-path', OLD, '--out', out, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({buckets: 51, keys: 37, before: {freePages: 4}, after: {freePages: 0}})
    const digest = sha256(out)
    const again = runCli(['bolt', 'compact', OLD, '--out', out])
    expect(again.status).toBe(1)
    expect(errorLines(again.stderr).error).toMatch(/refusing to overwrite/)
    expect(sha256(out)).toBe(digest)
  })

  it('refuses a damaged source (exit 4) and writes nothing', () => {
    const dir = makeTempDir()
    try {
      const src = path.join(dir, 'bad.bolt')
      const buf = fs.readFileSync(OLD)
      buf.writeUInt16LE(0x12, 6 * 4096 + 8) // leaf 6: flags with an extra bit
      fs.writeFileSync(src, buf)
      const r = runCli(['bolt', 'compact', src, '--out', path.join(dir, 'out.bolt')])
      expect(r.status).toBe(4)
      expect(errorLines(r.stderr).ok).toBe(true)
      expect(fs.readdirSync(dir)).toEqual(['bad.bolt'])
    } finally {
      removeDir(dir)
    }
  })
})
