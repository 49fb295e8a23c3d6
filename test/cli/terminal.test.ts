// Human output on a terminal: tables and doctor fitted to 80 columns (a real
// pseudo-terminal through script(1), or COLUMNS), colours only on a terminal
// and never with NO_COLOR, whole values in pipes.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {colorEnabled, outputWidth, painter, wrap} from '../../src/cli/terminal.js'
import {displayWidth, fitTable, type Column} from '../../src/platform/format.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

const ANSI = /\x1b\[[0-9;]*m/g // eslint-disable-line no-control-regex
const plain = (s: string): string => s.replace(ANSI, '')

let tmp: string
let file: string

beforeAll(() => {
  tmp = makeTempDir('ir-term-')
  file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), tmp, 'influxd.bolt')
})

afterAll(() => removeDir(tmp))

/** Runs the CLI under a pseudo-terminal of `cols` columns; stdout and stderr both go to it. */
function inTerminal(args: string[], env: Record<string, string | undefined> = {}, cols = 80): string {
  expect(fs.existsSync('/usr/bin/script')).toBe(true)
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const childEnv: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', TERM: 'xterm'}
  delete childEnv.NODE_ENV
  delete childEnv.COLUMNS
  delete childEnv.NO_COLOR
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k]
    else childEnv[k] = v
  }
  const cmd = `stty cols ${cols} rows 50; exec '${process.execPath}' '${path.join(ROOT, 'bin/run.js')}' ${quoted}`
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], {cwd: ROOT, env: childEnv, encoding: 'utf8', timeout: 60_000})
  if (r.error) throw r.error
  return r.stdout.replace(/\r\n/g, '\n')
}

function widest(text: string): number {
  return Math.max(0, ...plain(text).split('\n').map(displayWidth))
}

describe('terminal settings', () => {
  it('outputWidth: COLUMNS first, then the terminal, no limit in pipes', () => {
    expect(outputWidth({isTTY: true, columns: 120}, {})).toBe(120)
    expect(outputWidth({isTTY: true, columns: 120}, {COLUMNS: '80'})).toBe(80)
    expect(outputWidth({isTTY: false, columns: 0}, {COLUMNS: '100'})).toBe(100)
    expect(outputWidth({isTTY: false, columns: 0}, {})).toBeUndefined()
    expect(outputWidth({isTTY: false, columns: 0}, {COLUMNS: 'wide'})).toBeUndefined()
    expect(outputWidth({isTTY: true, columns: 0}, {})).toBe(80)
    expect(outputWidth({isTTY: true, columns: 10}, {})).toBe(40)
  })

  it('colorEnabled: a terminal without NO_COLOR (any value, even empty) and not TERM=dumb', () => {
    expect(colorEnabled({isTTY: true, columns: 80}, {})).toBe(true)
    expect(colorEnabled({isTTY: false, columns: 80}, {})).toBe(false)
    expect(colorEnabled({isTTY: true, columns: 80}, {NO_COLOR: '1'})).toBe(false)
    expect(colorEnabled({isTTY: true, columns: 80}, {NO_COLOR: ''})).toBe(false)
    expect(colorEnabled({isTTY: true, columns: 80}, {TERM: 'dumb'})).toBe(false)
    expect(painter(false)('red', 'FAIL')).toBe('FAIL')
    expect(painter(true)('red', 'FAIL')).toBe('\x1b[31mFAIL\x1b[39m')
  })

  it('wrap breaks at spaces only, with hanging indents', () => {
    expect(wrap('aaa bbb ccc', 10, '> ', '  ')).toEqual(['> aaa bbb', '  ccc'])
    expect(wrap('a /a/very/long/path/that/does/not/fit b', 12, '- ', '  ')).toEqual(['- a', '  /a/very/long/path/that/does/not/fit', '  b'])
    expect(wrap('aaa bbb ccc', undefined, '> ', '  ')).toEqual(['> aaa bbb ccc'])
  })

  it('fitTable: optional columns go first, minWidth is kept, decoration does not move columns', () => {
    const cols: Column[] = [
      {key: 'id', header: 'ID', minWidth: 16}, {key: 'text', header: 'Text'}, {key: 'extra', header: 'Extra', optional: true}, {key: 'status', header: 'Status'},
    ]
    const rows = [{id: '08371db24dcc8000', text: 'x'.repeat(50), extra: 'y'.repeat(10), status: 'active'}]
    const wide = fitTable(cols, rows)
    expect(wide).toMatchObject({shortened: false, dropped: []})
    expect(wide.text.split('\n')[1]).toBe(`08371db24dcc8000  ${'x'.repeat(50)}  ${'y'.repeat(10)}  active`)
    const fitted = fitTable(cols, rows, {maxWidth: 40, decorate: (k, t) => (k === 'status' ? `<${t}>` : t)})
    expect(fitted).toMatchObject({shortened: true, dropped: ['extra']})
    const [head, body] = fitted.text.split('\n')
    expect(head).toBe('ID                Text            Status')
    expect(body).toBe(`08371db24dcc8000  ${'x'.repeat(13)}…  <active>`)
    // a shrinkFirst column gives up its room before the others
    const first = fitTable([{key: 'a'}, {key: 'b', minWidth: 6, shrinkFirst: true}], [{a: 'a'.repeat(20), b: 'b'.repeat(20)}], {maxWidth: 28})
    expect(first.text.split('\n')[1]).toBe(`${'a'.repeat(20)}  bbbbb…`)
  })
})

describe('80-column tables', () => {
  it('auth list fits COLUMNS=80 with whole IDs, says how to see everything; piped output keeps every value', () => {
    const full = runCli(['auth', 'list', '--bolt-path', file])
    expect(full.status).toBe(0)
    expect(full.stdout.split('\n')[0]).toBe('ID                Description                    User      Org    Kind      Status  Token state  Token')
    expect(full.stdout).toContain('A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==')
    expect(full.stderr).toBe('')

    const r = runCli(['auth', 'list', '--bolt-path', file], {env: {COLUMNS: '80'}})
    expect(r.status).toBe(0)
    expect(widest(r.stdout)).toBeLessThanOrEqual(80)
    expect(r.stdout).toMatch(/^ID {16}Description +User +Org +Kind +Status +Token$/m)
    expect(r.stdout).toMatch(/^08371db24dcc8000 {2}testuser's .*… {2}testuser {2}myorg {2}operator {2}active {2}A9Ovdl8S\S*…$/m)
    expect(r.stderr).toBe('(shortened to fit 80 columns; --format yaml or --json shows everything)\n')
  })

  it('the other formats ignore the width', () => {
    for (const format of ['influxd', 'csv', 'yaml', 'json']) {
      const a = runCli(['auth', 'list', '--bolt-path', file, '--format', format])
      const b = runCli(['auth', 'list', '--bolt-path', file, '--format', format], {env: {COLUMNS: '80'}})
      expect(b.stdout).toBe(a.stdout)
      expect(b.stderr).toBe('')
    }
  })

  it('user list, org list and doctor fit 80 columns; doctor wraps instead of cutting', () => {
    for (const args of [['user', 'list'], ['org', 'list'], ['doctor']]) {
      const r = runCli([...args, '--bolt-path', file], {env: {COLUMNS: '80'}})
      expect(r.status).toBe(0)
      expect(widest(r.stdout)).toBeLessThanOrEqual(80)
    }
    const doctor = runCli(['doctor', '--bolt-path', file], {env: {COLUMNS: '80'}}).stdout
    const piped = runCli(['doctor', '--bolt-path', file]).stdout
    expect(widest(piped)).toBeGreaterThan(80)
    // the same words, only the line breaks differ
    expect(doctor.replace(/\s+/g, ' ')).toBe(piped.replace(/\s+/g, ' '))
  })

  it('a new token is never shortened: one "Header: value" line each when the table does not fit', () => {
    const copy = copyInto(file, tmp, 'create.bolt')
    const r = runCli(['auth', 'create-operator', '--bolt-path', copy, '--username', 'testuser', '--org', 'myorg', '--yes', '--no-backup'], {env: {COLUMNS: '80'}})
    expect(r.status).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines.map((l) => l.split(':')[0])).toEqual(['ID', 'Description', 'User', 'Org', 'Token'])
    expect(lines[4]).toMatch(/^Token: {8}[A-Za-z0-9_-]{86}==$/)
  })
})

describe('under a pseudo-terminal', () => {
  it('auth list: 80 columns, status coloured; NO_COLOR (even empty) turns colours off', () => {
    const out = inTerminal(['auth', 'list', '--bolt-path', file])
    expect(out).toContain('\x1b[32mactive\x1b[39m')
    expect(widest(out)).toBeLessThanOrEqual(80)
    expect(plain(out)).toContain('(shortened to fit 80 columns')
    for (const value of ['1', '']) {
      const bw = inTerminal(['auth', 'list', '--bolt-path', file], {NO_COLOR: value})
      expect(bw).not.toMatch(ANSI)
      expect(bw).toBe(plain(out))
    }
  })

  it('a wider terminal shows more', () => {
    const out = plain(inTerminal(['auth', 'list', '--bolt-path', file], {}, 200))
    expect(out).toContain('A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==')
    expect(out).not.toContain('shortened')
  })

  it('doctor: PASS green, WARN yellow, wrapped to the terminal', () => {
    const out = inTerminal(['doctor', '--bolt-path', file])
    expect(out).toContain('\x1b[32mPASS\x1b[39m  file')
    expect(out).toContain('\x1b[33mWARN\x1b[39m  hashing')
    expect(widest(out)).toBeLessThanOrEqual(80)
  })

  it('errors: "Error:" and "Hint:" coloured on a terminal, plain in pipes', () => {
    const out = inTerminal(['auth', 'list', '--bolt-path', path.join(tmp, 'missing.bolt')])
    expect(out).toContain('\x1b[31mError:\x1b[39m no such file')
    expect(out).toContain('\x1b[36mHint:\x1b[39m ')
    const piped = runCli(['auth', 'list', '--bolt-path', path.join(tmp, 'missing.bolt')], {env: {NO_COLOR: ''}})
    expect(piped.status).toBe(5)
    expect(piped.stderr).not.toMatch(ANSI)
    expect(errorLines(piped.stderr).ok).toBe(true)
  })

  it('piped output has no colours even without NO_COLOR', () => {
    const env = {...process.env}
    delete env.NO_COLOR
    delete env.NODE_ENV
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), 'doctor', '--bolt-path', file], {env, encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stdout).not.toMatch(ANSI)
    expect(r.stdout).toContain('PASS  file')
  })
})
