// auth rescue scales (issue 13, defect 6): linear in the size of --from and
// streaming, so a text of 60,000 token lines takes seconds of CPU (it took
// minutes: line numbers were recomputed from the start for every match) and
// a bolt file of any size is read in chunks with bounded memory (600 MB
// failed with "Cannot create a string longer than 0x1fffffe8 characters").
//
// Default suite: the chunk boundaries (every tiny chunk size gives the same
// candidates and line numbers as one piece), the 60,000-line text (CPU time
// from time(1), so a loaded machine does not matter), and peak RSS that does
// not grow with the bolt file (about 25 MB against 75 MB). RESCUE_FULL=1 (npm run
// test:rescue-scale): a 600 MB bolt file; the figures are printed and
// recorded in docs/output-and-input.md.
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collectCandidates, TextTokenScanner, tokensInText, type Candidate} from '../../src/recovery/rescue.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'
import {ORACLE_BIN, ROOT} from '../helpers/oracle.js'

const FULL = process.env.RESCUE_FULL === '1'

let tmp: string
beforeAll(() => { tmp = makeTempDir('ir-rescue-scale-') })
afterAll(() => removeDir(tmp))

/** Deterministic, distinct token-shaped strings. */
function shaped(i: number): string {
  return `${createHash('sha512').update(String(i)).digest('base64url')}==`
}

interface Timed {
  status: number
  stdout: string
  stderr: string
  cpuMs: number
  maxRssKb: number
  wallMs: number
}

/** Runs the CLI under time(1): CPU time and peak RSS of the child itself. */
function timed(args: string[]): Promise<Timed> {
  const timeFile = path.join(tmp, `time-${process.hrtime.bigint()}.txt`)
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'}
  delete env.NODE_ENV
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, path.join(ROOT, 'bin/run.js'), ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      const [user, sys, rss] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number)
      resolve({status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), cpuMs: (user! + sys!) * 1000, maxRssKb: rss!, wallMs: performance.now() - start})
    })
  })
}

function gen(name: string, ...args: string[]): string {
  const file = path.join(tmp, name)
  const r = spawnSync(ORACLE_BIN, ['gen-influx', file, ...args], {encoding: 'utf8'})
  expect(r.status, r.stderr).toBe(0)
  return file
}

const key = (c: Candidate): string => `${c.token}\u0000${c.where}`

describe('the text scanner: chunk boundaries change nothing', () => {
  const text = [
    'INFLUX_URL=http://localhost:8086',
    `INFLUX_TOKEN=${shaped(1)}`,
    'token = "my-short-token"   # a custom one',
    `  "token": "${shaped(2)}",\r`,
    `both ${shaped(3)} and ${shaped(4)} on one line; api_token: 'single-quoted-value'`,
    'token=$VARIABLE is a reference, not a token',
    'déjà vu: ünïcödé before a token ' + shaped(5),
    `no line end at the end ${shaped(6)}`,
  ].join('\n')

  it('finds what a single piece finds, with the same line numbers, for every chunk size', () => {
    const whole = tokensInText(text, 'f')
    expect(whole.map((c) => c.where)).toEqual([
      'f, INFLUX_TOKEN on line 2', 'f, token on line 3', 'f, token on line 4', 'f, api_token on line 5',
      'f, line 5', 'f, line 5', 'f, line 7', 'f, line 8',
    ])
    expect(whole.map((c) => c.token)).toContain('my-short-token')
    expect(whole.map((c) => c.token)).not.toContain('$VARIABLE')
    const bytes = Buffer.from(text, 'utf8')
    for (let size = 1; size <= 17; size++) {
      const got: Candidate[] = []
      const seen = new Set<string>()
      const scanner = new TextTokenScanner('f', (token, where) => {
        if (!seen.has(token)) got.push({token, where})
        seen.add(token)
      })
      // byte chunks: multi-byte characters are split too
      for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size))
      scanner.end()
      expect(got.map(key).sort(), `chunks of ${size} bytes`).toEqual(whole.map(key).sort())
    }
  })

  it('a line longer than a megabyte is scanned in overlapping pieces: nothing lost', () => {
    const long = `${'x'.repeat(1_500_000)} ${shaped(7)} ${'y'.repeat(1_048_570)} token="after-the-cut" ${shaped(8)}\nline two ${shaped(9)}\n`
    const found: Candidate[] = []
    const scanner = new TextTokenScanner('f', (token, where) => found.push({token, where}))
    for (let i = 0; i < long.length; i += 65_536) scanner.push(long.slice(i, i + 65_536))
    scanner.end()
    const first = new Map<string, string>()
    for (const c of found) if (!first.has(c.token)) first.set(c.token, c.where)
    expect(first.get(shaped(7))).toBe('f, line 1')
    expect(first.get(shaped(8))).toBe('f, line 1')
    expect(first.get('after-the-cut')).toBe('f, token on line 1')
    expect(first.get(shaped(9))).toBe('f, line 2')
  })
})

describe('bolt files: read in chunks', () => {
  it('every chunk size finds the same tokens, free pages included', () => {
    const file = gen('chunks.bolt', '300', '--hashed', '100')
    const whole = new Set(collectCandidates(file).candidates.map((c) => c.token))
    expect(whole.size).toBeGreaterThanOrEqual(200) // the raw ones; the plaintext of the hashed ones is not in a generated file
    for (const chunkBytes of [97, 4096, 65_537]) {
      expect(new Set(collectCandidates(file, {chunkBytes}).candidates.map((c) => c.token)), `chunks of ${chunkBytes}`).toEqual(whole)
    }
  })
})

describe('rescue: time linear in a text, memory flat in a bolt file', () => {
  it('60,000 token lines: seconds of CPU, the match on its line', async () => {
    const current = gen('current-60k.bolt', '50', '--hashed', '50')
    const from = gen('from-60k.bolt', '50')
    // one real token (of the 50, read from the unhashed twin) on the last line
    const real = collectCandidates(from).candidates.find((c) => c.where.startsWith('authorizationsv1 record'))!.token
    const lines = Array.from({length: 59_999}, (_, i) => shaped(100 + i))
    lines.push(`token = "${real}"`)
    const text = path.join(tmp, 'tokens.txt')
    fs.writeFileSync(text, `${lines.join('\n')}\n`)
    const r = await timed(['auth', 'rescue', '--bolt-path', current, '--from', text, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {candidates: number; found: Array<{where: string}>}
    expect(doc.candidates).toBeGreaterThanOrEqual(60_000) // a line may also read as key=value (a base64 run holding "token" before its "==")
    expect(doc.found.map((f) => f.where)).toEqual([`${text}, token on line 60000`])
    console.log(`rescue of 60,000 token lines: ${(r.cpuMs / 1000).toFixed(1)} s CPU, ${(r.wallMs / 1000).toFixed(1)} s wall, peak RSS ${Math.round(r.maxRssKb / 1024)} MB`)
    // linear: a few seconds; the quadratic reader took minutes of CPU
    expect(r.cpuMs).toBeLessThan(30_000)
  })

  it('peak RSS does not grow with the size of the bolt file (about 25 MB against 75 MB)', async () => {
    const current = gen('current-rss.bolt', '200', '--hashed', '200')
    const rss: number[] = []
    for (const big of ['12M', '48M']) {
      const from = gen(`from-${big}.bolt`, '200', '--big', big)
      const r = await timed(['auth', 'rescue', '--bolt-path', current, '--from', from, '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect((JSON.parse(r.stdout) as {found: unknown[]}).found).toHaveLength(200)
      rss.push(r.maxRssKb)
      console.log(`rescue from a ${Math.round(fs.statSync(from).size / 2 ** 20)} MB bolt file: ${(r.cpuMs / 1000).toFixed(1)} s CPU, peak RSS ${Math.round(r.maxRssKb / 1024)} MB`)
    }
    // reading the whole file (the old way) costs its size twice over: 96 MB more for the bigger one
    expect(rss[1]! - rss[0]!).toBeLessThan(32 * 1024)
  })

  // only with RESCUE_FULL=1 (npm run test:rescue-scale): a minute and 600 MB of disk
  if (FULL) it('a 600 MB bolt file: every token recovered, memory bounded', async () => {
    const current = gen('current-600.bolt', '1000', '--hashed', '1000')
    const from = gen('from-600.bolt', '1000', '--big', '390M')
    const size = fs.statSync(from).size
    expect(size).toBeGreaterThan(550 * 2 ** 20)
    const r = await timed(['auth', 'rescue', '--bolt-path', current, '--from', from, '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as {found: unknown[]}).found).toHaveLength(1000)
    console.log(`rescue from a ${Math.round(size / 2 ** 20)} MB bolt file: ${(r.cpuMs / 1000).toFixed(1)} s CPU, ${(r.wallMs / 1000).toFixed(1)} s wall, peak RSS ${Math.round(r.maxRssKb / 1024)} MB`)
    expect(r.maxRssKb).toBeLessThan(256 * 1024)
  }, 600_000)
})
