// Progress bars: drawn on stderr when it is a terminal, never otherwise and
// never with --json. The terminal is a real pseudo-terminal from util-linux
// `script`, which copies everything the command writes to it to its stdout.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {ORACLE_BIN, ROOT} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'progress-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))
const RUN = path.join(ROOT, 'bin/run.js')
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
// as runCli: NODE_ENV=test (set by vitest) would make oclif look for TypeScript sources
const ENV: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', TERM: 'xterm'}
delete ENV.NODE_ENV

function underTerminal(args: string[]): {status: number | null; out: string} {
  const cmd = [process.execPath, RUN, ...args].map(quote).join(' ')
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], {encoding: 'utf8', env: ENV})
  if (r.error) throw r.error
  return {status: r.status, out: r.stdout}
}

function piped(args: string[]): {status: number | null; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [RUN, ...args], {encoding: 'utf8', env: ENV})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

const BAR = /\[[#.]{30}\] \d+%/

describe('progress bars', () => {
  it('script(1) is available', () => {
    expect(spawnSync('script', ['-qfec', 'true', '/dev/null']).status).toBe(0)
  })

  it('doctor draws one on a terminal, not when stderr is a pipe, not with --json', () => {
    const file = path.join(tmp, 'hashed.bolt')
    expect(spawnSync(ORACLE_BIN, ['gen-influx', file, '2000', '--hashed', '20']).status).toBe(0)
    const tty = underTerminal(['doctor', '--bolt-path', file])
    expect(tty.status).toBe(0)
    expect(tty.out).toMatch(BAR)
    expect(tty.out).toContain('doctor: searching the whole file for plaintext')
    expect(tty.out).toContain('\r\x1b[K') // erased before the report
    // eslint-disable-next-line no-control-regex
    expect(tty.out.replace(/\x1b\[\d+m/g, '')).toMatch(/PASS {2}remnants/) // verdicts are coloured on a terminal

    const pipe = piped(['doctor', '--bolt-path', file])
    expect(pipe.status).toBe(0)
    expect(pipe.stderr + pipe.stdout).not.toMatch(BAR)

    const json = underTerminal(['doctor', '--json', '--bolt-path', file])
    expect(json.status).toBe(0)
    expect(json.out).not.toMatch(BAR)
    expect(JSON.parse(json.out.replace(/\r\n/g, '\n')).ok).toBe(true)
  })

  it('auth hash-upgrade of more than 1,000 tokens draws them on a terminal, never with --json', () => {
    const file = path.join(tmp, 'raw.bolt')
    expect(spawnSync(ORACLE_BIN, ['gen-influx', file, '1500']).status).toBe(0)
    const copy = path.join(tmp, 'raw-json.bolt')
    fs.copyFileSync(file, copy)
    const tty = underTerminal(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup'])
    expect(tty.status).toBe(0)
    expect(tty.out).toContain('hashing tokens [')
    expect(tty.out).toContain('searching the whole file for plaintext [')
    const json = underTerminal(['auth', 'hash-upgrade', '--bolt-path', copy, '--skip-export', '--yes', '--no-backup', '--json'])
    expect(json.status).toBe(0)
    expect(json.out).not.toMatch(BAR)
    expect(JSON.parse(json.out.replace(/\r\n/g, '\n')).hashed).toBe(1500)
  })
})
