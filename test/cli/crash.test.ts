// Crash safety: a child process runs a large write (`bolt apply`, `auth
// create-operator`, `auth hash-upgrade`) and is killed with SIGKILL at a random
// moment. After every kill Go's check passes and the contents equal either the
// state before or the state after, never a mix.
// The default suite runs a seeded handful; `npm run test:crash` runs 200 of each.
import {spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {rng} from '../helpers/model.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'
import {ORG, USER, buildInfluxFile, operatorPerms} from '../helpers/influx-builder.js'
import {ROOT, oracleCheck, oracleDump} from '../helpers/oracle.js'

const TRIALS = Number(process.env.CRASH_TRIALS ?? 4)
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

/** The lines of `dump` that are not in `base` (a multiset difference, in order). */
function added(base: string[], dump: string[]): string[] {
  const left = new Map<string, number>()
  for (const l of base) left.set(l, (left.get(l) ?? 0) + 1)
  const out: string[] = []
  for (const l of dump) {
    const n = left.get(l) ?? 0
    if (n > 0) left.set(l, n - 1)
    else out.push(l)
  }
  return out
}

/** Bucket path of a dump line, as text: what a change touched. */
const where = (line: string): string => (JSON.parse(line) as {path: string[]}).path.map((p) => Buffer.from(p, 'base64').toString('latin1')).join('/')

/**
 * How a dump differs from `before`: removed lines exactly, added lines as counts per
 * bucket. Equal shapes mean "the same change", for commands whose new records carry
 * fresh IDs, tokens and timestamps (create-operator).
 */
function shape(before: string[], dump: string[]): string {
  const removed = added(dump, before)
  const perBucket = new Map<string, number>()
  for (const l of added(before, dump)) perBucket.set(where(l), (perBucket.get(where(l)) ?? 0) + 1)
  return JSON.stringify({removed, added: [...perBucket].sort()})
}

interface CrashCase {
  name: string
  /** writes the starting file */
  seed(file: string): void
  /** the command line for a run on `file`; `n` makes per-run paths (export files) unique */
  args(file: string, n: number): string[]
  /** true: every uninterrupted run gives identical contents; false: compare shapes */
  deterministic: boolean
}

const TOKEN_PERMS = operatorPerms('2.2+')
function influxFile(file: string, tokens: number): void {
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}],
    orgs: [{id: ORG, name: 'acme'}],
    owners: [{userID: USER, orgID: ORG}],
    tokens: Array.from({length: tokens}, (_, i) => ({
      id: (0x0c00000000001000n + BigInt(i)).toString(16).padStart(16, '0'),
      token: `${i.toString(36).padStart(6, '0')}${'k'.repeat(80)}==`,
      description: `token ${i}`,
      orgID: ORG,
      userID: USER,
      perms: TOKEN_PERMS,
    })),
  })
}

const CASES: CrashCase[] = [
  {
    name: 'bolt apply (puts, deletes, new nested bucket, deleted bucket)',
    seed: baseFile,
    args: (file) => ['bolt', 'apply', file, '--ops', path.join(tmp, 'ops.jsonl'), '--yes', '--no-backup'],
    deterministic: true,
  },
  {
    name: 'auth create-operator on a file with 1,000 tokens',
    seed: (file) => influxFile(file, 1000),
    args: (file) => ['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--no-backup', '--json'],
    deterministic: false,
  },
  {
    name: 'auth hash-upgrade of 1,500 raw tokens (export, one transaction, scrub)',
    seed: (file) => influxFile(file, 1500),
    args: (file, n) => ['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, `export-${n}.yaml`), '--yes', '--no-backup'],
    deterministic: true,
  },
]

describe('SIGKILL during a large write', () => {
  opsFile(path.join(tmp, 'ops.jsonl'))
  let runs = 0

  for (const [index, c] of CASES.entries()) {
    it(`${c.name}: ${TRIALS} seeded kills leave either the old or the new state, clean for Go`, async () => {
      const seedFile = path.join(tmp, `seed-${index}.bolt`)
      c.seed(seedFile)
      const before = oracleDump(seedFile)
      // the state after: one uninterrupted run
      const full = path.join(tmp, `full-${index}.bolt`)
      fs.copyFileSync(seedFile, full)
      const started = Date.now()
      const done = await runAndKill(c.args(full, runs++), 600_000)
      const runMs = Date.now() - started
      expect(done.code).toBe(0)
      const after = oracleDump(full)
      expect(after).not.toEqual(before)
      const afterShape = shape(before, after)
      const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((l, i) => l === b[i])

      const r = rng(Number(process.env.CRASH_SEED ?? 20261127) + index)
      const outcomes = {before: 0, after: 0}
      for (let t = 0; t < TRIALS; t++) {
        const file = path.join(tmp, `trial-${index}-${t}.bolt`)
        fs.copyFileSync(seedFile, file)
        // spread the kills over the whole run (start-up, checks, export, commit, verification, scrub)
        const at = 50 + Math.floor(r() * runMs)
        await runAndKill(c.args(file, runs++), at)
        try {
          oracleCheck(file)
        } catch (err) {
          throw new Error(`${c.name}, trial ${t} (kill after ${at} ms): ${(err as Error).message}`)
        }
        const dump = oracleDump(file)
        if (same(dump, before)) outcomes.before++
        else if (c.deterministic ? same(dump, after) : shape(before, dump) === afterShape) outcomes.after++
        else throw new Error(`${c.name}, trial ${t} (kill after ${at} ms): contents are neither the old nor the new state`)
        fs.rmSync(file)
        for (const n of fs.readdirSync(tmp)) if (n.startsWith(`trial-${index}-${t}.bolt.`)) fs.rmSync(path.join(tmp, n), {recursive: true, force: true})
      }
      expect(outcomes.before + outcomes.after).toBe(TRIALS)
      process.stderr.write(`crash test, ${c.name}: ${TRIALS} kills over a ${runMs} ms run: ${outcomes.before} left the old state, ${outcomes.after} the new one\n`)
    }, 1_200_000)
  }
})
