// Read-only commands (check, info, buckets, keys, get) and the error contract:
// one `Error:` line, the right exit code, never a stack trace, never a created file.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, holdFlock, lines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {fixture, oracle, ROOT} from '../helpers/oracle.js'

const OLD = fixture('influxd-v2.1-v2.7.bolt')
const NEW = fixture('influxd-v2.8-v2.9.bolt')
const DEMO = path.join(ROOT, 'fixtures/engine-demo.bolt')

let tmp: string
beforeAll(() => {
  tmp = makeTempDir()
})
afterAll(() => removeDir(tmp))

/** Reads a leaf element's key offset: page p, element i. */
function leafKeyOffset(buf: Buffer, pageSize: number, page: number, i: number): number {
  const elem = page * pageSize + 16 + 16 * i
  return elem + buf.readUInt32LE(elem + 4)
}

describe('bolt check', () => {
  it.each([OLD, NEW])('exits 0 on the real file %s', (file) => {
    const before = sha256(file)
    const r = runCli(['bolt', 'check', file])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ok: 12 pages \(8 reachable, 4 free\), 5[14] buckets \(\d+ inline\), \d+ keys, txid 1[13][14]/)
    expect(r.stderr).toBe('')
    expect(sha256(file)).toBe(before)
  })

  it('reports the stats as JSON', () => {
    const r = runCli(['bolt', 'check', '--bolt-path', OLD, '--json'])
    expect(r.status).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.ok).toBe(true)
    expect(doc.problems).toEqual([])
    expect(doc.stats).toMatchObject({pageSize: 4096, fileSize: 65536, txid: 114, activeMeta: 0, highWaterMark: 12, freePages: 4, buckets: 51, inlineBuckets: 49, keys: 37})
  })

  it('exits 4 and lists the problems of a copy with a damaged leaf key', () => {
    const file = copyInto(OLD, tmp, 'bad-key.bolt')
    const buf = fs.readFileSync(file)
    // leaf 4 holds migrationsv1's keys; make its first key sort after the second
    buf[leafKeyOffset(buf, 4096, 4, 0)] = 0xff
    fs.writeFileSync(file, buf)
    expect(oracle('check', file).status).not.toBe(0)
    const r = runCli(['bolt', 'check', file])
    expect(r.status).toBe(4)
    const problems = lines(r.stdout).filter((l) => l.startsWith('problem: '))
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.join('\n')).toMatch(/page 4/)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/problems? found/)

    const j = runCli(['bolt', 'check', file, '--json'])
    expect(j.status).toBe(4)
    const doc = JSON.parse(j.stdout)
    expect(doc.ok).toBe(false)
    expect(doc.problems.length).toBe(problems.length)
  })

  it('exits 4 with one line when both meta pages are broken', () => {
    const file = copyInto(OLD, tmp, 'bad-metas.bolt')
    const buf = fs.readFileSync(file)
    buf[16] ^= 0xff // magic of meta 0
    buf[4096 + 16] ^= 0xff // magic of meta 1
    fs.writeFileSync(file, buf)
    const r = runCli(['bolt', 'check', file])
    expect(r.status).toBe(4)
    expect(r.stdout).toBe('')
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/meta/)
    const j = runCli(['bolt', 'check', file, '--json'])
    expect(j.status).toBe(4)
    expect(JSON.parse(j.stdout)).toMatchObject({ok: false})
  })

  it('passes with a warning when only one meta page is broken', () => {
    const file = copyInto(OLD, tmp, 'one-meta.bolt')
    const buf = fs.readFileSync(file)
    buf[16 + 56] ^= 0xff // checksum of meta 0
    fs.writeFileSync(file, buf)
    const r = runCli(['bolt', 'check', file])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ok: .*txid 113/)
    expect(r.stdout).toMatch(/warning: meta 0/)
  })

  it('exits 3 within ~1.5 s when another process holds the lock', async () => {
    const file = copyInto(OLD, tmp, 'locked.bolt')
    const holder = await holdFlock(file)
    try {
      const r = runCli(['bolt', 'check', file, '--lock-timeout', '0.3'])
      expect(r.status).toBe(3)
      expect(r.ms).toBeLessThan(1500)
      expect(r.stdout).toBe('')
      const e = errorLines(r.stderr)
      expect(e.ok, r.stderr).toBe(true)
      expect(e.error).toMatch(/in use|locked/)
    } finally {
      await holder.release()
    }
    expect(runCli(['bolt', 'check', file]).status).toBe(0)
  })
})

describe('paths and usage errors', () => {
  it('a missing path exits 5 and is never created', () => {
    const missing = path.join(tmp, 'missing.bolt')
    for (const cmd of [['bolt', 'check', missing], ['bolt', 'info', missing], ['bolt', 'dump', missing], ['bolt', 'apply', missing, '--ops', '-', '--yes']]) {
      const r = runCli(cmd, {input: '{"op":"create-bucket","path":["x"]}\n'})
      expect(r.status, cmd.join(' ')).toBe(5)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
      expect(fs.existsSync(missing)).toBe(false)
    }
  })

  it('a directory exits 4', () => {
    const r = runCli(['bolt', 'check', tmp])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).error).toMatch(/directory/)
  })

  it('a FIFO exits 4 without hanging', () => {
    const fifo = path.join(tmp, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const r = runCli(['bolt', 'check', fifo])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
  })

  it('no file at all exits 2 with a message', () => {
    const r = runCli(['bolt', 'check'])
    expect(r.status).toBe(2)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/no bbolt file/)
  })

  it('both FILE and --bolt-path exits 2', () => {
    const r = runCli(['bolt', 'info', OLD, '--bolt-path', OLD])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr).ok).toBe(true)
  })

  it('parse errors exit 2 with one line', () => {
    for (const args of [['bolt', 'check', OLD, '--nope'], ['bolt', 'check', OLD, 'extra'], ['bolt', 'dump', OLD, '--encoding', 'rot13'], ['bolt', 'check', OLD, '--lock-timeout', 'soon'], ['bolt', 'keys', OLD]]) {
      const r = runCli(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
      expect(r.stdout).toBe('')
    }
  })

  it('--json errors print one JSON document on stdout', () => {
    const r = runCli(['bolt', 'info', path.join(tmp, 'nope.bolt'), '--json'])
    expect(r.status).toBe(5)
    expect(JSON.parse(r.stdout)).toMatchObject({error: {exitCode: 5}})
  })

  it('every command has a description and examples in --help', () => {
    for (const cmd of ['check', 'info', 'buckets', 'keys', 'get', 'dump', 'load', 'apply', 'compact']) {
      const r = runCli(['bolt', cmd, '--help'])
      expect(r.status, cmd).toBe(0)
      expect(r.stdout).toMatch(/EXAMPLES/)
      expect(r.stdout).toMatch(/DESCRIPTION/)
    }
  })
})

describe('bolt info', () => {
  it('shows both metas and counts', () => {
    const r = runCli(['bolt', 'info', OLD])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/size: 65536 bytes, page size 4096/)
    expect(r.stdout).toMatch(/meta 0: txid 114, root 9, freelist 7, high-water mark 12, checksum ok {2}\[active\]/)
    expect(r.stdout).toMatch(/meta 1: txid 113, root 9, freelist 2, high-water mark 12, checksum ok/)
    expect(r.stdout).toMatch(/4 free/)
    expect(r.stdout).toMatch(/buckets: 51 \(49 inline\), keys 37, max depth 2/)
  })

  it('as JSON', () => {
    const r = runCli(['bolt', 'info', NEW, '--json'])
    expect(r.status).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({fileSize: 65536, pageSize: 4096, activeMeta: 1, txid: 131, freePages: 4, buckets: 54, problems: 0})
    expect(doc.metas[1]).toMatchObject({slot: 1, active: true, txid: 131, root: 8, freelist: 4, highWaterMark: 12, checksumOk: true})
  })
})

describe('bolt buckets / keys / get', () => {
  it('lists templates/documents/content at the top level and its keys', () => {
    const r = runCli(['bolt', 'buckets', NEW])
    expect(r.status, r.stderr).toBe(0)
    const names = lines(r.stdout).slice(1).map((l) => l.split(/\s+/)[0])
    expect(names).toContain('templates/documents/content')
    expect(names).toContain('authorizationsv1')
    expect(names.length).toBe(54)
    expect(r.stdout).toMatch(/authorizationsv1\s+2\s+0\s+0\s+no/)

    const k = runCli(['bolt', 'keys', NEW, '--bucket', 'templates/documents/content'])
    expect(k.status, k.stderr).toBe(0)
    expect(k.stdout).toBe('')
    const kj = runCli(['bolt', 'keys', NEW, '--bucket', 'templates/documents/content', '--json'])
    expect(JSON.parse(kj.stdout)).toEqual({bucket: ['templates/documents/content'], count: 0, keys: []})

    const j = runCli(['bolt', 'buckets', NEW, '--json'])
    const doc = JSON.parse(j.stdout)
    expect(doc.buckets.find((b: {name: string}) => b.name === 'templates/documents/content')).toEqual({name: 'templates/documents/content', keys: 0, buckets: 0, sequence: 0, inline: true})
  })

  it('keys and get on a real bucket', () => {
    const k = runCli(['bolt', 'keys', OLD, '--bucket', 'authorizationsv1'])
    expect(k.status).toBe(0)
    expect(lines(k.stdout)).toEqual(['08371db24dcc8000', '08371deae98c8000'])
    const g = runCli(['bolt', 'get', OLD, '--bucket', 'authorizationsv1', '--key', '08371db24dcc8000'])
    expect(g.status).toBe(0)
    expect(JSON.parse(g.stdout)).toMatchObject({id: '08371db24dcc8000', description: "testuser's Token"})
    const raw = runCli(['bolt', 'get', OLD, '--bucket', 'authorizationsv1', '--key', '08371db24dcc8000', '--raw'])
    expect(raw.stdoutBytes.toString()).toBe(g.stdout.replace(/\n$/, ''))
  })

  it('missing bucket or key exits 5', () => {
    for (const args of [
      ['bolt', 'keys', OLD, '--bucket', 'nope'],
      ['bolt', 'get', OLD, '--bucket', 'nope', '--key', 'x'],
      ['bolt', 'get', OLD, '--bucket', 'authorizationsv1', '--key', 'nope'],
      ['bolt', 'buckets', OLD, '--bucket', 'templates/documents/nope'],
      ['bolt', 'dump', OLD, '--bucket', 'nope'],
    ]) {
      const r = runCli(args)
      expect(r.status, args.join(' ')).toBe(5)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
      expect(r.stdout).toBe('')
    }
  })

  it('nested paths, binary keys and encodings on the demo file', () => {
    const hex = (t: string): string => Buffer.from(t).toString('hex')
    const b = runCli(['bolt', 'buckets', DEMO, '--bucket', 'nested/level1'])
    expect(b.status, b.stderr).toBe(0)
    expect(b.stdout).toMatch(/level2\s+2\s+0\s+0\s+yes/)
    const k = runCli(['bolt', 'keys', DEMO, '--bucket', 'nested/level1/level2'])
    expect(lines(k.stdout)).toEqual(['deep-key', 'empty-value'])
    const bin = runCli(['bolt', 'keys', DEMO, '--bucket', hex('binary'), '--encoding', 'hex'])
    expect(lines(bin.stdout)).toEqual(['746578742d6b6579', 'ff00fe01'])
    const bin8 = runCli(['bolt', 'keys', DEMO, '--bucket', 'binary'])
    expect(lines(bin8.stdout)).toEqual(['text-key', '{"base64":"/wD+AQ=="}'])
    const g = runCli(['bolt', 'get', DEMO, '--encoding', 'hex', '--bucket', '62696e617279', '--key', 'ff00fe01'])
    expect(g.status, g.stderr).toBe(0)
    expect(g.stdout).toBe(`${Buffer.from('value under a binary key').toString('hex')}\n`)
    const g64 = runCli(['bolt', 'get', DEMO, '--encoding', 'base64', '--bucket', 'YmluYXJ5', '--key', '/wD+AQ=='])
    expect(g64.stdout).toBe(`${Buffer.from('value under a binary key').toString('base64')}\n`)
    const nonText = runCli(['bolt', 'get', DEMO, '--bucket', 'binary', '--key', 'text-key'])
    expect(nonText.stdout).toBe('{"base64":"AAECwyg="}\n')
    const large = runCli(['bolt', 'get', DEMO, '--bucket', 'blobs', '--key', 'large', '--raw'])
    expect(large.stdoutBytes.length).toBe(6000)
    const seq = runCli(['bolt', 'buckets', DEMO, '--json'])
    expect(JSON.parse(seq.stdout).buckets.find((x: {name: string}) => x.name === 'counters')).toMatchObject({sequence: 43})
    const badHex = runCli(['bolt', 'get', DEMO, '--encoding', 'hex', '--bucket', '62696e617279', '--key', 'xyz'])
    expect(badHex.status).toBe(2)
  })
})
