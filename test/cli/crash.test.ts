// Crash safety: a child process runs a large `bolt apply` and is killed with
// SIGKILL at a random moment. After every kill Go's check passes and the
// contents equal either the state before or the state after, never a mix.
// The default suite runs a seeded handful; `npm run test:crash` runs 200.
import {spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {rng} from '../helpers/model.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'
import {ROOT, oracleCheck, oracleDump} from '../helpers/oracle.js'

const TRIALS = Number(process.env.CRASH_TRIALS ?? 8)
const tmp = makeTempDir('ir-crash-')
afterAll(() => removeDir(tmp))

function baseFile(file: string): void {
  const db = DB.create(file)
  db.update((tx) => {
    const b = tx.createBucket(Buffer.from('data'))
    for (let i = 0; i < 3000; i++) b.put(Buffer.from(`key${String(i).padStart(6, '0')}`), Buffer.alloc(300, i & 255))
    tx.createBucket(Buffer.from('other')).put(Buffer.from('k'), Buffer.from('v'))
  })
  db.close()
}

/** A batch that rewrites most of the file: puts, deletes, a new nested bucket, a deleted bucket. */
function opsFile(file: string): void {
  const lines: string[] = []
  for (let i = 0; i < 3000; i += 2) lines.push(JSON.stringify({op: 'put', path: ['data'], key: `key${String(i).padStart(6, '0')}`, value: 'x'.repeat(500)}))
  for (let i = 1; i < 3000; i += 4) lines.push(JSON.stringify({op: 'delete', path: ['data'], key: `key${String(i).padStart(6, '0')}`}))
  lines.push(JSON.stringify({op: 'create-bucket', path: ['fresh']}), JSON.stringify({op: 'create-bucket', path: ['fresh', 'nested']}))
  for (let i = 0; i < 2000; i++) lines.push(JSON.stringify({op: 'put', path: ['fresh', 'nested'], key: `n${i}`, value: 'y'.repeat(400)}))
  lines.push(JSON.stringify({op: 'delete-bucket', path: ['other']}))
  fs.writeFileSync(file, lines.join('\n') + '\n')
}

function runAndKill(args: string[], afterMs: number): Promise<{killed: boolean; code: number | null}> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}
    delete env.NODE_ENV
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {stdio: 'ignore', env})
    let killed = false
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL')
    }, afterMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({killed: killed && code === null, code})
    })
  })
}

describe('SIGKILL during a large write', () => {
  it(`${TRIALS} seeded kills leave either the old or the new state, clean for Go`, async () => {
    const seedFile = path.join(tmp, 'seed.bolt')
    baseFile(seedFile)
    const ops = path.join(tmp, 'ops.jsonl')
    opsFile(ops)
    const before = oracleDump(seedFile)
    // the state after: one uninterrupted run
    const full = path.join(tmp, 'full.bolt')
    fs.copyFileSync(seedFile, full)
    const started = Date.now()
    const done = await runAndKill(['bolt', 'apply', full, '--ops', ops, '--yes', '--no-backup'], 600_000)
    const runMs = Date.now() - started
    expect(done.code).toBe(0)
    const after = oracleDump(full)
    expect(after).not.toEqual(before)

    const r = rng(Number(process.env.CRASH_SEED ?? 20261127))
    const outcomes = {before: 0, after: 0}
    for (let t = 0; t < TRIALS; t++) {
      const file = path.join(tmp, `trial-${t}.bolt`)
      fs.copyFileSync(seedFile, file)
      // spread the kills over the whole run (start-up, trial run, backup-less commit, verification)
      const at = 50 + Math.floor(r() * runMs)
      await runAndKill(['bolt', 'apply', file, '--ops', ops, '--yes', '--no-backup'], at)
      try {
        oracleCheck(file)
      } catch (err) {
        throw new Error(`trial ${t} (kill after ${at} ms): ${(err as Error).message}`)
      }
      const dump = oracleDump(file)
      if (dump.length === before.length && dump.every((l, i) => l === before[i])) outcomes.before++
      else if (dump.length === after.length && dump.every((l, i) => l === after[i])) outcomes.after++
      else throw new Error(`trial ${t} (kill after ${at} ms): contents are neither the old nor the new state`)
      fs.rmSync(file)
      for (const n of fs.readdirSync(tmp)) if (n.startsWith(`trial-${t}.bolt.`)) fs.rmSync(path.join(tmp, n), {recursive: true, force: true})
    }
    expect(outcomes.before + outcomes.after).toBe(TRIALS)
    process.stderr.write(`crash test: ${TRIALS} kills over a ${runMs} ms run: ${outcomes.before} left the old state, ${outcomes.after} the new one\n`)
  }, 600_000)
})
