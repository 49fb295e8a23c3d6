// hash-upgrade's export on a second thread (src/cli/export-thread.ts): the
// same export and the same file as an export made on the command's own
// thread; every failure of the thread, of its check or of its tokens writes
// nothing (no export, no backup, no change); a signal while the thread
// writes the export removes it.
import * as fs from 'node:fs'
import * as path from 'node:path'
import {Worker} from 'node:worker_threads'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {errorLines, makeTempDir, removeDir, runCli, runCliAsync, sha256, type CliResult} from '../helpers/cli.js'
import {buildInfluxFile, ORG, USER} from '../helpers/influx-builder.js'
import {oracleCheck, ROOT} from '../helpers/oracle.js'

const PERM = `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`
const COUNT = 1500

let tmp: string
beforeEach(() => {
  tmp = makeTempDir('ir-hash-thread-')
})
afterEach(() => removeDir(tmp))

/** A 2.9 file with COUNT raw tokens (descriptions with escapes and non-ASCII, as the export must carry them). */
function tokenFile(name: string): string {
  const file = path.join(tmp, name)
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}],
    orgs: [{id: ORG, name: 'acme'}],
    tokens: Array.from({length: COUNT}, (_, i) => ({
      id: (0x0c00000000001000n + BigInt(i)).toString(16).padStart(16, '0'),
      token: `${i.toString(36).padStart(6, '0')}${'y'.repeat(80)}==`,
      description: i % 3 === 0 ? `t${i} "quoted" <b> ü\n` : `t${i}`,
      orgID: ORG,
      userID: USER,
      perms: PERM,
    })),
  })
  return file
}

const files = (): string[] => fs.readdirSync(tmp).sort()

/**
 * Runs hash-upgrade with a test hook on a new token file and checks that it
 * wrote nothing: no file appeared or went beside it, the file is unchanged.
 */
function writesNothing(name: string, hooks: string, extra: string[], out = path.join(tmp, 't.yaml')): CliResult {
  const file = tokenFile(name)
  const before = sha256(file)
  const listed = files()
  const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', ...extra], {env: {INFLUX_RECOVER_TEST_HOOKS: hooks}})
  expect(files()).toEqual(listed)
  expect(sha256(file)).toBe(before)
  return r
}

describe('auth hash-upgrade: the export on a second thread', () => {
  it('writes the same export and leaves the same file as the export made on the command\'s thread (every format)', () => {
    for (const format of ['yaml', 'json', 'csv', 'env']) {
      const threaded = tokenFile(`a-${format}.bolt`)
      const here = tokenFile(`b-${format}.bolt`)
      const args = (file: string, out: string): string[] => ['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--export-format', format, '--yes', '--no-backup']
      const a = runCli(args(threaded, path.join(tmp, `a.${format}`)))
      expect(a.status, a.stderr).toBe(0)
      const b = runCli(args(here, path.join(tmp, `b.${format}`)), {env: {INFLUX_RECOVER_TEST_HOOKS: 'export-thread-off'}})
      expect(b.status, b.stderr).toBe(0)
      expect(a.stderr).toContain(`exported ${COUNT} token(s) to ${path.join(tmp, `a.${format}`)} (mode 0600, checked against the database)`)
      expect(fs.readFileSync(path.join(tmp, `a.${format}`)).equals(fs.readFileSync(path.join(tmp, `b.${format}`)))).toBe(true)
      expect(fs.statSync(path.join(tmp, `a.${format}`)).mode & 0o777).toBe(0o600)
      expect(sha256(threaded)).toBe(sha256(here))
      oracleCheck(threaded)
    }
  })

  it('a thread that dies: exit 1, one line; no export, no backup, no audit line, the file unchanged', () => {
    const r = writesNothing('influxd.bolt', 'export-thread-fails', [])
    expect(r.status).toBe(1)
    expect(errorLines(r.stderr).error).toMatch(/^Error: the export thread stopped: export thread failure \(test hook\); nothing was written to the data file$/)
  })

  it('a thread that fails halfway through writing the export: the partial export is removed, exit 1, nothing else changes', () => {
    for (const backup of ['--backup', '--no-backup']) {
      const r = writesNothing(`influxd${backup}.bolt`, 'export-thread-dies-writing', [backup])
      expect(r.status).toBe(1)
      expect(errorLines(r.stderr).error).toBe('Error: export thread died writing (test hook)')
    }
  })

  it('a thread whose tokens are not the plan\'s: exit 6; no export, no backup, the file unchanged', () => {
    const r = writesNothing('influxd.bolt', 'export-thread-drop-token', [])
    expect(r.status).toBe(6)
    expect(errorLines(r.stderr).error).toContain(`the export thread read ${COUNT - 1} token(s) that are not the ${COUNT} of the plan; nothing was written`)
  })

  it('an export that fails its check on the thread is deleted (exit 6) before any backup or change', () => {
    for (const backup of ['--backup', '--no-backup']) {
      const out = path.join(tmp, 't.yaml')
      const r = writesNothing(`influxd${backup}.bolt`, 'fail-export-verify', [backup], out)
      expect(r.status).toBe(6)
      expect(errorLines(r.stderr).error).toBe(`Error: the export does not match the database: forced failure (test hook); ${out} was deleted`)
    }
  })

  it('nothing to hash: the thread writes no export', () => {
    const file = tokenFile('influxd.bolt')
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    const listed = files()
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 't.yaml'), '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^nothing to do/)
    expect(files()).toEqual(listed)
  })

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} while the thread holds the export written but not yet checked: exit ${code}, the export removed, the file unchanged`, async () => {
      const file = tokenFile('influxd.bolt')
      const before = sha256(file)
      const out = path.join(tmp, 't.yaml')
      let pid = 0
      const done = runCliAsync(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'export-thread-slow'}, onSpawn: (p) => (pid = p)})
      // the thread waits 3 s between its fsync and its check
      for (let i = 0; i < 500 && !(fs.existsSync(out) && fs.statSync(out).size > 0); i++) await new Promise((r) => setTimeout(r, 10))
      expect(fs.statSync(out).size).toBeGreaterThan(0)
      process.kill(pid, signal)
      const r = await done
      expect(r.status, r.stderr).toBe(code)
      const lines = r.stderr.split('\n').filter((l) => l.length > 0)
      expect(lines).toEqual([`Error: interrupted by ${signal}; nothing was written to ${file}; the unfinished export ${out} was removed`])
      expect(fs.existsSync(out)).toBe(false)
      expect(fs.existsSync(`${file}.influx-recover.lock`)).toBe(false)
      expect(sha256(file)).toBe(before)
    }, 60_000)
  }

  it('an export changed on disk after the thread wrote it fails its check (exit 6): deleted, the file unchanged', async () => {
    const file = tokenFile('influxd.bolt')
    const before = sha256(file)
    const out = path.join(tmp, 't.yaml')
    const done = runCliAsync(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'export-thread-slow'}})
    for (let i = 0; i < 500 && !(fs.existsSync(out) && fs.statSync(out).size > 0); i++) await new Promise((r) => setTimeout(r, 10))
    // someone else changes one byte of it while the thread waits before its check
    const fd = fs.openSync(out, 'r+')
    fs.writeSync(fd, Buffer.from('#'), 0, 1, 0)
    fs.closeSync(fd)
    const r = await done
    expect(r.status, r.stderr).toBe(6)
    expect(errorLines(r.stderr).error).toBe(`Error: the export does not match the database: the file read back differs from what was written; ${out} was deleted`)
    expect(fs.existsSync(out)).toBe(false)
    expect(sha256(file)).toBe(before)
  }, 60_000)

  it('the thread\'s program refuses a file at another transaction than the plan\'s, and waits to be stopped', async () => {
    const file = tokenFile('influxd.bolt')
    const fd = fs.openSync(file, 'r')
    try {
      const worker = new Worker(path.join(ROOT, 'dist', 'export-worker.cjs'), {workerData: {dataFd: fd, dataPath: file, txid: 12345, format: 'yaml', variant: 'sha256'}})
      let exited = false
      worker.once('exit', () => (exited = true))
      const m = await new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      // after its last answer it waits to be stopped (an end of its own could overtake the answer)
      await new Promise((r) => setTimeout(r, 200))
      expect(exited).toBe(false)
      await worker.terminate()
      expect(exited).toBe(true)
      expect(m).toMatchObject({kind: 'error', message: expect.stringMatching(/^the file is at txid \d+, the plan read txid 12345$/) as unknown})
    } finally {
      fs.closeSync(fd)
    }
  })
})
