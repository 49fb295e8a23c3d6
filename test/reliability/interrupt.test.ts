/**
 * Backups are whole or absent (issue 13, defect 3): SIGINT, SIGTERM and
 * SIGKILL at random moments of the backup of a 300 MB file.
 *
 *  - SIGINT/SIGTERM: exit 130/143 with one line; the unfinished copy is
 *    removed; the database is unchanged; the lock directory is gone.
 *  - SIGKILL: only a hidden temporary file is left, never a file named like a
 *    backup; doctor reports it as partial; the next write removes it.
 *  - every file named like a backup passes the oracle's check.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {makeTempDir, removeDir, runCli, runCliAsync, sha256, type CliResult} from '../helpers/cli.js'
import {oracle, oracleCheck} from '../helpers/oracle.js'

const MB = 300
const TEMP_RE = /^\.big\.bolt\.influx-recover-\d{8}T\d{6}Z\.[0-9a-f]{8}\.tmp$/
const BACKUP_RE = /^big\.bolt\.influx-recover-\d{8}T\d{6}Z(?:-\d+)?\.bak$/

let dir: string
let file: string
let ops: string
/** how long a backup of the file takes here, measured once (ms) */
let copyMs = 0

beforeAll(async () => {
  dir = makeTempDir('ir-interrupt-')
  file = path.join(dir, 'big.bolt')
  const g = oracle('bench-bigfile', file, String(MB))
  if (g.status !== 0) throw new Error(`oracle bench-bigfile failed: ${g.stderr}`)
  ops = path.join(dir, '..', `${path.basename(dir)}-ops.jsonl`)
  fs.writeFileSync(ops, '{"op":"put","path":["small"],"key":"interrupted","value":"v"}\n')
  // one whole run, watching the temporary file come and go
  const seen = await run(null, 0)
  expect(seen.result.status, seen.result.stderr).toBe(0)
  copyMs = seen.tempLifeMs
  expect(copyMs).toBeGreaterThan(0)
  for (const n of fs.readdirSync(dir).filter((x) => BACKUP_RE.test(x))) fs.rmSync(path.join(dir, n))
}, 600_000)
afterAll(() => {
  removeDir(dir)
  fs.rmSync(ops, {force: true})
})

const temps = (): string[] => fs.readdirSync(dir).filter((n) => TEMP_RE.test(n))
const txidOf = (): number => {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.meta().txid
  } finally {
    db.close()
  }
}

/**
 * Runs a write (bolt apply with its backup); once the backup's temporary file
 * appears, waits `delayMs` and sends `signal` (null: none). Returns the result
 * and how long the temporary file lived (when no signal is sent).
 */
async function run(signal: NodeJS.Signals | null, delayMs: number): Promise<{result: CliResult; sent: boolean; tempLifeMs: number}> {
  let pid = 0
  const done = runCliAsync(['bolt', 'apply', file, '--ops', ops, '--yes'], {onSpawn: (p) => (pid = p)})
  let finished = false
  void done.then(() => (finished = true))
  let appeared = 0
  let gone = 0
  let sent = false
  while (!finished) {
    const t = temps()
    if (appeared === 0 && t.length > 0) {
      appeared = performance.now()
      if (signal !== null) {
        await new Promise((r) => setTimeout(r, delayMs))
        if (!finished) {
          process.kill(pid, signal)
          sent = true
        }
        break
      }
    }
    if (appeared !== 0 && gone === 0 && t.length === 0) gone = performance.now()
    await new Promise((r) => setTimeout(r, 2))
  }
  const result = await done
  return {result, sent, tempLifeMs: gone === 0 ? 0 : gone - appeared}
}

function everyBackupIsWhole(): number {
  const names = fs.readdirSync(dir).filter((n) => BACKUP_RE.test(n))
  for (const n of names) oracleCheck(path.join(dir, n))
  return names.length
}

describe(`signals during the backup of a ${MB} MB file`, () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} at random moments: exit ${code}, one line, the unfinished copy removed, the file unchanged`, async () => {
      const sum = sha256(file)
      let interrupted = 0
      for (let trial = 0; trial < 4; trial++) {
        const txid = txidOf()
        const {result: r, sent} = await run(signal, Math.random() * copyMs * 0.9)
        if (!sent || r.status === 0) {
          // the backup was over before the signal: a whole run
          expect(r.status, r.stderr).toBe(0)
          expect(txidOf()).toBe(txid + 1)
          continue
        }
        interrupted++
        expect(r.status, r.stderr).toBe(code)
        const lines = r.stderr.split('\n').filter((l) => l.length > 0)
        expect(lines, r.stderr).toHaveLength(1)
        expect(lines[0]).toMatch(new RegExp(`^Error: interrupted by ${signal}; the unfinished backup ${dir}/\\.big\\.bolt\\.influx-recover-\\d{8}T\\d{6}Z\\.[0-9a-f]{8}\\.tmp was removed; nothing was written to ${file}$`))
        expect(temps()).toEqual([])
        expect(fs.existsSync(`${file}.influx-recover.lock`)).toBe(false)
        expect(txidOf()).toBe(txid)
        if (trial === 0) expect(sha256(file)).toBe(sum)
      }
      expect(interrupted).toBeGreaterThan(0)
      everyBackupIsWhole()
      oracleCheck(file)
    }, 600_000)
  }

  it('SIGKILL at random moments: only a hidden temporary file is left; doctor says partial; the next write removes it', async () => {
    let killed = 0
    for (let trial = 0; trial < 3; trial++) {
      const txid = txidOf()
      const {result: r, sent} = await run('SIGKILL', Math.random() * copyMs * 0.9)
      if (!sent || r.status === 0) continue
      killed++
      expect(r.status).toBe(-1) // killed by the signal
      const left = temps()
      expect(left).toHaveLength(1)
      expect(txidOf()).toBe(txid)
      const backupsBefore = everyBackupIsWhole()

      const d = runCli(['bolt', 'check', file])
      expect(d.status, d.stderr).toBe(0)
      const doc = JSON.parse(runCli(['doctor', '--bolt-path', file, '--json']).stdout) as {checks: Array<{name: string; message: string; details?: string[]}>}
      const copies = doc.checks.find((c) => c.name === 'copies')!
      expect(copies.message).toMatch(/1 of them partial/)
      expect(copies.details).toContain(`PARTIAL, the unfinished backup of an interrupted run (the next write removes it): ${path.join(dir, left[0]!)}`)

      const next = runCli(['bolt', 'apply', file, '--ops', ops, '--yes'])
      expect(next.status, next.stderr).toBe(0)
      expect(next.stderr).toContain(`removed ${path.join(dir, left[0]!)}: the unfinished backup of an interrupted run`)
      expect(temps()).toEqual([])
      expect(txidOf()).toBe(txid + 1)
      expect(everyBackupIsWhole()).toBe(backupsBefore + 1)
      // keep the directory small: the backups are checked, then dropped
      for (const n of fs.readdirSync(dir).filter((x) => BACKUP_RE.test(x))) fs.rmSync(path.join(dir, n))
    }
    expect(killed).toBeGreaterThan(0)
    oracleCheck(file)
  }, 600_000)
})
