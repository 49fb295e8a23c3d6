// bolt apply: one transaction, validated up front, backup first, verified after,
// undone on a failed verification; Go must accept the result.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {copyInto, errorLines, holdFlock, lines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {fixture, oracleCheck, oracleDump} from '../helpers/oracle.js'

const NEW = fixture('influxd-v2.8-v2.9.bolt')
const OLD = fixture('influxd-v2.1-v2.7.bolt')

let tmp: string
let file: string
beforeEach(() => {
  tmp = makeTempDir()
  file = copyInto(NEW, tmp, 'influxd.bolt')
})
afterEach(() => removeDir(tmp))

// ---- a model of a dump, to compute what the oracle must print after a batch ----

interface MBucket {
  seq: bigint
  entries: Map<string, {value: Buffer} | {bucket: MBucket}>
}

const newBucket = (): MBucket => ({seq: 0n, entries: new Map()})

/** Parses oracle dump lines (base64) into a tree; sequences read exactly. */
function model(dump: string[]): MBucket {
  const root = newBucket()
  const at = (p: string[]): MBucket => p.reduce((b, n) => (b.entries.get(Buffer.from(n, 'base64').toString('hex')) as {bucket: MBucket}).bucket, root)
  for (const l of dump) {
    const r = JSON.parse(l)
    if (r.type === 'bucket') {
      const b = newBucket()
      b.seq = BigInt(/"sequence":(\d+)/.exec(l)![1])
      at(r.path.slice(0, -1)).entries.set(Buffer.from(r.path.at(-1), 'base64').toString('hex'), {bucket: b})
    } else {
      at(r.path).entries.set(Buffer.from(r.key, 'base64').toString('hex'), {value: Buffer.from(r.value, 'base64')})
    }
  }
  return root
}

/** Prints a tree the way `oracle dump` does. */
function render(b: MBucket, p: string[] = [], out: string[] = []): string[] {
  const names = [...b.entries.keys()].sort((x, y) => Buffer.compare(Buffer.from(x, 'hex'), Buffer.from(y, 'hex')))
  const pj = (q: string[]): string => `[${q.map((n) => `"${Buffer.from(n, 'hex').toString('base64')}"`).join(',')}]`
  for (const n of names) {
    const e = b.entries.get(n)!
    if ('bucket' in e) {
      out.push(`{"type":"bucket","path":${pj([...p, n])},"sequence":${e.bucket.seq}}`)
      render(e.bucket, [...p, n], out)
    } else {
      out.push(`{"type":"kv","path":${pj(p)},"key":"${Buffer.from(n, 'hex').toString('base64')}","value":"${e.value.toString('base64')}"}`)
    }
  }
  return out
}

const hx = (s: string): string => Buffer.from(s).toString('hex')
function bucketAt(root: MBucket, names: string[]): MBucket {
  return names.reduce((b, n) => (b.entries.get(hx(n)) as {bucket: MBucket}).bucket, root)
}

const big = (n: number, seed: string): string => seed.repeat(Math.ceil(n / seed.length)).slice(0, n)

const BATCH = [
  {op: 'put', path: ['authorizationsv1'], key: 'zz-new', value: 'hello'},
  {op: 'create-bucket', path: ['newtop']},
  {op: 'create-bucket', path: ['newtop', 'child']},
  {op: 'put', path: ['newtop', 'child'], key: 'big', value: big(10_000, 'abcdefghij')},
  {op: 'put', path: ['newtop'], key: 'k1', value: 'v1'},
  {op: 'delete', path: ['authorizationsv1'], key: '08371deae98c8000'},
  {op: 'delete', path: ['authorizationsv1'], key: 'not-there'},
  {op: 'delete-bucket', path: ['templates/documents/content']},
  {op: 'create-bucket', path: ['newtop', 'gone']},
  {op: 'put', path: ['newtop', 'gone'], key: 'x', value: 'y'},
  {op: 'delete-bucket', path: ['newtop', 'gone']},
  {op: 'put', path: ['migrationsv1'], key: 'zz-large', value: big(5000, 'migration-')},
  {op: 'put', path: ['newtop'], key: {base64: '/wD+AQ=='}, value: {hex: '00ff'}},
]
const SEQ_LINE = '{"op":"set-sequence","path":["newtop","child"],"sequence":18446744073709551615}'

function batchText(): string {
  return `${BATCH.map((o) => JSON.stringify(o)).join('\n')}\n${SEQ_LINE}\n`
}

function expectedAfterBatch(original: string[]): string[] {
  const m = model(original)
  const auth = bucketAt(m, ['authorizationsv1'])
  auth.entries.set(hx('zz-new'), {value: Buffer.from('hello')})
  auth.entries.delete(hx('08371deae98c8000'))
  const newtop = newBucket()
  const child = newBucket()
  child.seq = 18446744073709551615n
  child.entries.set(hx('big'), {value: Buffer.from(big(10_000, 'abcdefghij'))})
  newtop.entries.set(hx('child'), {bucket: child})
  newtop.entries.set(hx('k1'), {value: Buffer.from('v1')})
  newtop.entries.set('ff00fe01', {value: Buffer.from([0x00, 0xff])})
  m.entries.set(hx('newtop'), {bucket: newtop})
  m.entries.delete(hx('templates/documents/content'))
  bucketAt(m, ['migrationsv1']).entries.set(hx('zz-large'), {value: Buffer.from(big(5000, 'migration-'))})
  return render(m)
}

function backups(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.bak'))
}

describe('bolt apply', () => {
  it('applies a batch in one transaction; Go checks it and dumps exactly the batch', () => {
    const original = oracleDump(file)
    // the model reproduces the original before any change
    expect(render(model(original))).toEqual(original)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, batchText())
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^applied 14 operations \(put 6, delete 2, create-bucket 3, delete-bucket 2, set-sequence 1\) to .*txid 131 -> 132, check ok; 1 deleted key\(s\) did not exist/)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(expectedAfterBatch(original))
    // and our own view agrees
    const c = runCli(['bolt', 'check', file])
    expect(c.status, c.stdout).toBe(0)
    const s = runCli(['bolt', 'buckets', file, '--bucket', 'newtop', '--json'])
    expect(s.stdout).toMatch(/"sequence": 18446744073709551615/)
  })

  it('reads ops from stdin and reports JSON with the backup path', () => {
    const r = runCli(['bolt', 'apply', '--bolt-path', file, '--ops', '-', '--yes', '--json'], {input: batchText()})
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({dryRun: false, operations: 14, txidBefore: 131, txidAfter: 132, absentDeletes: 1})
    expect(doc.counts).toEqual({put: 6, delete: 2, 'create-bucket': 3, 'delete-bucket': 2, 'set-sequence': 1})
    expect(typeof doc.backup).toBe('string')
    expect(r.stderr).toBe(`backup: ${doc.backup}\n`)
    oracleCheck(file)
  })

  it('makes a verified 0600 backup with the original bytes; --no-backup makes none; --backup-dir is honoured', () => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, '{"op":"put","path":["authorizationsv1"],"key":"a","value":"b"}\n')
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'])
    expect(r.status, r.stderr).toBe(0)
    const made = backups(tmp)
    expect(made.length).toBe(1)
    expect(made[0]).toMatch(/^influxd\.bolt\.influx-recover-\d{8}T\d{6}Z\.bak$/)
    const bpath = path.join(tmp, made[0])
    expect(r.stderr).toBe(`backup: ${bpath}\n`)
    expect(fs.statSync(bpath).mode & 0o777).toBe(0o600)
    expect(sha256(bpath)).toBe(before)
    expect(sha256(file)).not.toBe(before)

    const r2 = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--no-backup'])
    expect(r2.status, r2.stderr).toBe(0)
    expect(r2.stderr).toBe('')
    expect(backups(tmp).length).toBe(1)

    const bdir = path.join(tmp, 'bk')
    fs.mkdirSync(bdir)
    const mid = sha256(file)
    const r3 = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--backup-dir', bdir])
    expect(r3.status, r3.stderr).toBe(0)
    const inDir = backups(bdir)
    expect(inDir.length).toBe(1)
    expect(sha256(path.join(bdir, inDir[0]))).toBe(mid)
    oracleCheck(file)
  })

  it('one bad op (delete-bucket of a missing bucket, last) exits 5 and leaves the file byte-identical', () => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, `${batchText()}{"op":"delete-bucket","path":["newtop","no-such-bucket"]}\n`)
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'])
    expect(r.status).toBe(5)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/line 15 .*no-such-bucket/)
    expect(sha256(file)).toBe(before)
    expect(backups(tmp)).toEqual([])
  })

  it.each([
    ['create an existing bucket', '{"op":"create-bucket","path":["authorizationsv1"]}', 1],
    ['put onto a bucket name', '{"op":"put","path":["newtop"],"key":"child","value":"x"}', 1],
    ['put into a missing bucket', '{"op":"put","path":["nope"],"key":"k","value":"v"}', 5],
    ['set-sequence of a missing bucket', '{"op":"set-sequence","path":["nope"],"sequence":1}', 5],
  ])('a failing op (%s: %s) exits %i and changes nothing', (_name, bad, code) => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, `${batchText()}${bad}\n`)
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'])
    expect(r.status, r.stderr).toBe(code)
    expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
    expect(sha256(file)).toBe(before)
  })

  it.each([
    ['unknown op', '{"op":"upsert","path":["a"],"key":"k","value":"v"}', /line 2: unknown op "upsert"/],
    ['missing field', '{"op":"put","path":["a"],"key":"k"}', /line 2: .*missing field "value"/],
    ['unknown field', '{"op":"delete","path":["a"],"key":"k","value":"v"}', /line 2: .*unknown field "value"/],
    ['empty key', '{"op":"put","path":["a"],"key":"","value":"v"}', /line 2: .*"key" cannot be empty/],
    ['path not an array', '{"op":"put","path":"a","key":"k","value":"v"}', /line 2: "path" must be an array/],
    ['empty path', '{"op":"put","path":[],"key":"k","value":"v"}', /line 2: .*root bucket/],
    ['bad hex', '{"op":"put","path":["a"],"key":{"hex":"abc"},"value":"v"}', /line 2: key: invalid hex/],
    ['bad base64 object', '{"op":"put","path":["a"],"key":{"base64":"@@@@"},"value":"v"}', /line 2: key: invalid base64/],
    ['number as value', '{"op":"put","path":["a"],"key":"k","value":5}', /line 2: value: expected a string/],
    ['fractional sequence', '{"op":"set-sequence","path":["a"],"sequence":1.5}', /line 2: .*unsigned decimal integer/],
    ['sequence above 2^64-1', '{"op":"set-sequence","path":["a"],"sequence":18446744073709551616}', /line 2: .*larger than 2\^64-1/],
    ['not JSON', '{"op":', /line 2: not valid JSON/],
    ['not an object', '[1,2]', /line 2: expected a JSON object/],
  ])('malformed ops (%s) exit 2 naming the line; file byte-identical', (_name, bad, msg) => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, `{"op":"put","path":["authorizationsv1"],"key":"k","value":"v"}\n${bad}\n`)
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'])
    expect(r.status, r.stderr).toBe(2)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(msg)
    expect(sha256(file)).toBe(before)
    expect(backups(tmp)).toEqual([])
  })

  it('base64 encoding validates strictly', () => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, '{"op":"put","path":["YXV0aG9yaXphdGlvbnN2MQ=="],"key":"YQ","value":""}\n')
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--encoding', 'base64'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr).error).toMatch(/line 1: key: invalid base64/)
    expect(sha256(file)).toBe(before)
    fs.writeFileSync(ops, '{"op":"put","path":["YXV0aG9yaXphdGlvbnN2MQ=="],"key":"YQ==","value":"Yg=="}\n')
    const ok = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--encoding', 'base64', '--no-backup'])
    expect(ok.status, ok.stderr).toBe(0)
    expect(runCli(['bolt', 'get', file, '--bucket', 'authorizationsv1', '--key', 'a']).stdout).toBe('b\n')
  })

  it('--dry-run changes nothing (and still reports failing ops)', () => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, batchText())
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--dry-run'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^dry run: 14 operations .* would apply cleanly .*nothing was written/)
    expect(sha256(file)).toBe(before)
    expect(fs.readdirSync(tmp).sort()).toEqual(['influxd.bolt', 'ops.jsonl'])
    fs.appendFileSync(ops, '{"op":"delete-bucket","path":["nope"]}\n')
    const bad = runCli(['bolt', 'apply', file, '--ops', ops, '--dry-run'])
    expect(bad.status).toBe(5)
    expect(sha256(file)).toBe(before)
  })

  it('refuses to write without --yes when there is no terminal (exit 2)', () => {
    const before = sha256(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, batchText())
    const r = runCli(['bolt', 'apply', file, '--ops', ops])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr).hint).toMatch(/--yes/)
    expect(sha256(file)).toBe(before)
  })

  it('refuses to write to a file that does not check clean (exit 4)', () => {
    const bad = path.join(tmp, 'bad.bolt')
    const buf = fs.readFileSync(OLD)
    buf.writeUInt16LE(0x12, 6 * 4096 + 8) // a leaf with an extra flag bit: Go 1.3.6 misses it, we don't
    fs.writeFileSync(bad, buf)
    const before = sha256(bad)
    const r = runCli(['bolt', 'apply', bad, '--ops', '-', '--yes'], {input: '{"op":"create-bucket","path":["x"]}\n'})
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).error).toMatch(/refusing to write/)
    expect(sha256(bad)).toBe(before)
  })

  it('a failed verification after the write undoes it (exit 6)', () => {
    const original = oracleDump(file)
    const ops = path.join(tmp, 'ops.jsonl')
    fs.writeFileSync(ops, batchText())
    const r = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'}})
    expect(r.status).toBe(6)
    const e = errorLines(r.stderr.split('\n').filter((l) => !l.startsWith('backup: ')).join('\n'))
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/verification after the write failed.*undone \(txid 131/)
    expect(e.hint).toMatch(/backup/)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(original)
    // and the file can still be written normally afterwards
    const again = runCli(['bolt', 'apply', file, '--ops', ops, '--yes', '--no-backup'])
    expect(again.status, again.stderr).toBe(0)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(expectedAfterBatch(original))
  })

  it('exits 3 while another process holds the lock, file untouched', async () => {
    const before = sha256(file)
    const holder = await holdFlock(file)
    try {
      const r = runCli(['bolt', 'apply', file, '--ops', '-', '--yes', '--lock-timeout', '0.2'], {input: batchText()})
      expect(r.status).toBe(3)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(before)
  })

  it('an empty batch writes nothing', () => {
    const before = sha256(file)
    const r = runCli(['bolt', 'apply', file, '--ops', '-', '--yes'], {input: '\n\n'})
    expect(r.status, r.stderr).toBe(0)
    expect(lines(r.stdout)[0]).toMatch(/0 operations/)
    expect(sha256(file)).toBe(before)
  })
})
