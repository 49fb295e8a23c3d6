/**
 * Every command against a file held by a real bbolt writer: Go bbolt 1.3.6
 * (`oracle hold`) opens a copy of a real influxd.bolt read-write, which takes
 * flock(LOCK_EX) exactly as a running influxd does. Each command must give
 * up after --lock-timeout with exit 3 and one error line, and change nothing:
 * not the file, not its directory (no backup, no audit log, no lock
 * directory), not the inputs, no output file. `locate` only describes the
 * lock (exit 0, "locked: yes", the schema not read), as documented.
 *
 * The runs go on concurrently (a pool of 4) while the holder keeps the lock.
 */
import * as fs from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, inPool, makeTempDir, removeDir, runCli, runCliAsync, sha256, type CliResult} from '../helpers/cli.js'
import {fixture, holdWithBbolt, oracleCheck, ROOT, type BboltHolder} from '../helpers/oracle.js'

const FIXTURE = fixture('influxd-v2.8-v2.9.bolt')
const OPERATOR_ID = '08371db24dcc8000'
const READ_ID = '08371deae98c8000'
const NEW_TOKEN = 'lock-test-token-0123456789abcdefghijklmnopqrstuvwxyz'
const PASSWORD = 'lock-test-password-42'
const LOCKED_RE = /is in use \(locked by another process, most likely a running influxd\)/

let dir: string
let dbDir: string
let inDir: string
let outDir: string
let file: string
let holder: BboltHolder | undefined

interface Expect {
  status: number
  /** the error message (exit ≠ 0) */
  error?: RegExp
  /** extra checks on the result */
  also?: (r: CliResult) => void
  /** false: the command does not wait for the lock (it never takes it) */
  waits?: boolean
  /** the command reports what it could before its error (stdout is not empty) */
  keepsStdout?: boolean
}

interface Case {
  name: string
  /** the command id ("auth create-operator"); every command of src/commands must appear */
  command: string
  args: () => string[]
  input?: string
  timeout?: number
  /** false: the command has no --lock-timeout (it never waits for the lock) */
  lockFlag?: false
  expect?: Expect
}

const locked: Expect = {status: 3, error: LOCKED_RE}
const f = (): string => file
const bp = (): string[] => ['--bolt-path', file]

/** Every command with --lock-timeout 1 unless said otherwise (a few with 2, a few with 0); the file is the held one. */
const CASES: Case[] = [
  // bolt, FILE as argument (and once as --bolt-path)
  {name: 'bolt check', command: 'bolt check', args: () => ['bolt', 'check', f()]},
  {name: 'bolt check --json', command: 'bolt check', args: () => ['bolt', 'check', f(), '--json']},
  {name: 'bolt info --bolt-path', command: 'bolt info', args: () => ['bolt', 'info', ...bp()]},
  {name: 'bolt info --lock-timeout 2', command: 'bolt info', args: () => ['bolt', 'info', f()], timeout: 2},
  {name: 'bolt buckets --lock-timeout 0', command: 'bolt buckets', args: () => ['bolt', 'buckets', f()], timeout: 0},
  {name: 'bolt keys', command: 'bolt keys', args: () => ['bolt', 'keys', f(), '--bucket', 'authorizationsv1']},
  {name: 'bolt get', command: 'bolt get', args: () => ['bolt', 'get', f(), '--bucket', 'authorizationsv1', '--key', OPERATOR_ID]},
  {name: 'bolt dump', command: 'bolt dump', args: () => ['bolt', 'dump', f()]},
  {name: 'bolt apply --yes', command: 'bolt apply', args: () => ['bolt', 'apply', f(), '--ops', join(inDir, 'ops.jsonl'), '--yes']},
  {name: 'bolt apply --ops - --yes', command: 'bolt apply', args: () => ['bolt', 'apply', f(), '--ops', '-', '--yes'], input: '{"op":"put","path":["x"],"key":"k","value":"v"}\n'},
  {name: 'bolt apply --dry-run', command: 'bolt apply', args: () => ['bolt', 'apply', f(), '--ops', join(inDir, 'ops.jsonl'), '--dry-run']},
  {name: 'bolt apply (0 operations: read lock)', command: 'bolt apply', args: () => ['bolt', 'apply', f(), '--ops', join(inDir, 'empty.jsonl'), '--yes']},
  {name: 'bolt apply --lock-timeout 2', command: 'bolt apply', args: () => ['bolt', 'apply', f(), '--ops', join(inDir, 'ops.jsonl'), '--yes', '--no-backup'], timeout: 2},
  {name: 'bolt compact (held source)', command: 'bolt compact', args: () => ['bolt', 'compact', f(), '--out', join(outDir, 'compact.bolt')]},
  {
    // the target is never opened: it exists, so it is refused at once (exit 1), held or not
    name: 'bolt compact --out onto the held file',
    command: 'bolt compact',
    args: () => ['bolt', 'compact', join(inDir, 'other.bolt'), '--out', f()],
    expect: {status: 1, error: /refusing to overwrite .*: it already exists/, waits: false},
  },
  {
    // load never opens an existing bbolt file: its --from is a dump, its --out must not exist
    name: 'bolt load --out onto the held file',
    command: 'bolt load',
    args: () => ['bolt', 'load', '--from', join(inDir, 'dump.jsonl'), '--out', f()],
    lockFlag: false,
    expect: {status: 1, error: /refusing to overwrite .*: it already exists/, waits: false},
  },
  {
    name: 'locate --bolt-path',
    command: 'locate',
    args: () => ['locate', ...bp()],
    lockFlag: false,
    expect: {
      status: 0,
      waits: false,
      also: (r) => {
        expect(r.stdout).toContain(`influxd would use: ${file}`)
        expect(r.stdout).toMatch(/locked: yes \(in use\)/)
      },
    },
  },
  {
    name: 'locate --json',
    command: 'locate',
    args: () => ['locate', ...bp(), '--json'],
    lockFlag: false,
    expect: {
      status: 0,
      waits: false,
      also: (r) => {
        const doc = JSON.parse(r.stdout) as {used: {path: string; exists: boolean}; candidates: {path: string; locked: boolean; used: boolean; schema: string}[]}
        expect(doc.used).toMatchObject({path: file, exists: true})
        const c = doc.candidates.find((x) => x.path === file)
        expect(c).toMatchObject({locked: true, used: true})
        // a file in use is not read
        expect(c!.schema).toBe('not read (in use)')
      },
    },
  },
  {name: 'doctor', command: 'doctor', args: () => ['doctor', ...bp()]},
  {name: 'doctor --json', command: 'doctor', args: () => ['doctor', ...bp(), '--json']},
  // auth, reading
  {name: 'auth list', command: 'auth list', args: () => ['auth', 'list', ...bp()]},
  {name: 'auth list --redact --format influxd', command: 'auth list', args: () => ['auth', 'list', ...bp(), '--redact', '--format', 'influxd']},
  {name: 'auth list --json --lock-timeout 2', command: 'auth list', args: () => ['auth', 'list', ...bp(), '--json'], timeout: 2},
  {name: 'auth export --output FILE', command: 'auth export', args: () => ['auth', 'export', ...bp(), '--output', join(outDir, 'export.yaml')]},
  {name: 'auth export --output -', command: 'auth export', args: () => ['auth', 'export', ...bp(), '--output', '-', '--format', 'env']},
  {name: 'auth verify --token-stdin', command: 'auth verify', args: () => ['auth', 'verify', ...bp(), '--token-stdin'], input: `${NEW_TOKEN}\n`},
  {name: 'auth verify --token-file', command: 'auth verify', args: () => ['auth', 'verify', ...bp(), '--token-file', join(inDir, 'token.txt')]},
  {name: 'auth rescue --output FILE', command: 'auth rescue', args: () => ['auth', 'rescue', ...bp(), '--from', join(inDir, 'other.bolt'), '--output', join(outDir, 'rescued.json')]},
  // auth, writing
  {name: 'auth create-operator', command: 'auth create-operator', args: () => ['auth', 'create-operator', ...bp(), '--username', 'testuser', '--org', 'myorg']},
  {name: 'auth create-operator --token-stdin --json', command: 'auth create-operator', args: () => ['auth', 'create-operator', ...bp(), '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--json'], input: `${NEW_TOKEN}\n`},
  {name: 'auth create-operator (no user/org given)', command: 'auth create-operator', args: () => ['auth', 'create-operator', ...bp()]},
  {name: 'auth create-operator --dry-run --lock-timeout 2', command: 'auth create-operator', args: () => ['auth', 'create-operator', ...bp(), '--username', 'testuser', '--org', 'myorg', '--dry-run'], timeout: 2},
  {name: 'auth create --all-access', command: 'auth create', args: () => ['auth', 'create', ...bp(), '--org', 'myorg', '--user', 'testuser', '--all-access']},
  {name: 'auth create --read-buckets --token-file', command: 'auth create', args: () => ['auth', 'create', ...bp(), '--org', 'myorg', '--user', 'testuser', '--read-buckets', '--token-file', join(inDir, 'token.txt')]},
  {name: 'auth rotate', command: 'auth rotate', args: () => ['auth', 'rotate', ...bp(), '--id', READ_ID, '--yes']},
  {name: 'auth active (already active) --lock-timeout 0', command: 'auth active', args: () => ['auth', 'active', ...bp(), '--id', READ_ID], timeout: 0},
  {name: 'auth inactive', command: 'auth inactive', args: () => ['auth', 'inactive', ...bp(), '--id', READ_ID, '--yes']},
  {name: 'auth delete', command: 'auth delete', args: () => ['auth', 'delete', ...bp(), '--id', READ_ID, '--yes']},
  {name: 'auth hash-upgrade --export', command: 'auth hash-upgrade', args: () => ['auth', 'hash-upgrade', ...bp(), '--export', join(outDir, 'hash-upgrade-export.yaml'), '--yes']},
  {name: 'auth hash-upgrade --skip-export', command: 'auth hash-upgrade', args: () => ['auth', 'hash-upgrade', ...bp(), '--skip-export', '--yes']},
  {name: 'auth scrub', command: 'auth scrub', args: () => ['auth', 'scrub', ...bp()]},
  {name: 'auth scrub --backup', command: 'auth scrub', args: () => ['auth', 'scrub', ...bp(), '--backup']},
  {name: 'auth restore-plaintext', command: 'auth restore-plaintext', args: () => ['auth', 'restore-plaintext', ...bp(), '--from', join(inDir, 'export.yaml'), '--yes']},
  // users and orgs
  {name: 'user list --lock-timeout 0', command: 'user list', args: () => ['user', 'list', ...bp()], timeout: 0},
  {name: 'user create --password-stdin', command: 'user create', args: () => ['user', 'create', ...bp(), '--username', 'lockuser', '--password-stdin'], input: `${PASSWORD}\n`},
  {name: 'user create --password-file --owner-of', command: 'user create', args: () => ['user', 'create', ...bp(), '--username', 'lockuser', '--password-file', join(inDir, 'password.txt'), '--owner-of', 'myorg']},
  {name: 'user set-password --password-stdin', command: 'user set-password', args: () => ['user', 'set-password', ...bp(), '--username', 'testuser', '--password-stdin'], input: `${PASSWORD}\n`},
  {name: 'user set-password (no user given)', command: 'user set-password', args: () => ['user', 'set-password', ...bp(), '--password-stdin'], input: `${PASSWORD}\n`},
  {name: 'user update --id --password-file', command: 'user update', args: () => ['user', 'update', ...bp(), '--id', '08371db1dd8c8000', '--password-file', join(inDir, 'password.txt')]},
  {name: 'user rename', command: 'user rename', args: () => ['user', 'rename', ...bp(), '--username', 'testuser', '--name', 'renamed', '--yes']},
  {name: 'user active (already active)', command: 'user active', args: () => ['user', 'active', ...bp(), '--id', '08371db1dd8c8000']},
  {name: 'user inactive --force', command: 'user inactive', args: () => ['user', 'inactive', ...bp(), '--username', 'testuser', '--force', '--yes']},
  {name: 'user delete --force', command: 'user delete', args: () => ['user', 'delete', ...bp(), '--username', 'testuser', '--force', '--yes']},
  {name: 'user delete (no user given)', command: 'user delete', args: () => ['user', 'delete', ...bp(), '--yes']},
  {name: 'auth update', command: 'auth update', args: () => ['auth', 'update', ...bp(), '--id', READ_ID, '--read-bucket', '7451ab8b9b7df592', '--yes']},
  // v1 logins
  {name: 'v1 auth list', command: 'v1 auth list', args: () => ['v1', 'auth', 'list', ...bp()]},
  {name: 'v1 auth create --password-stdin', command: 'v1 auth create', args: () => ['v1', 'auth', 'create', ...bp(), '--username', 'lockv1', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-stdin'], input: `${PASSWORD}\n`},
  {name: 'v1 auth create --no-password --dry-run', command: 'v1 auth create', args: () => ['v1', 'auth', 'create', ...bp(), '--username', 'lockv1', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--no-password', '--dry-run']},
  {name: 'v1 auth set-password --password-file', command: 'v1 auth set-password', args: () => ['v1', 'auth', 'set-password', ...bp(), '--username', 'lockv1', '--password-file', join(inDir, 'password.txt')]},
  {name: 'v1 auth set-active', command: 'v1 auth set-active', args: () => ['v1', 'auth', 'set-active', ...bp(), '--username', 'lockv1']},
  {name: 'v1 auth set-inactive', command: 'v1 auth set-inactive', args: () => ['v1', 'auth', 'set-inactive', ...bp(), '--username', 'lockv1', '--yes']},
  {name: 'v1 auth delete', command: 'v1 auth delete', args: () => ['v1', 'auth', 'delete', ...bp(), '--id', '0000000000001000', '--yes']},
  {name: 'org list', command: 'org list', args: () => ['org', 'list', ...bp()]},
  {name: 'org list --json --lock-timeout 2', command: 'org list', args: () => ['org', 'list', ...bp(), '--json'], timeout: 2},
  // the guard: run waits its fixed 1 s and exits 0 with one line (influxd must start anyway); status shows the rest, then exit 3
  {
    name: 'guard run', command: 'guard run', args: () => ['guard', 'run', ...bp(), '--export-dir', join(outDir, 'exports'), '--plaintext-exports'], lockFlag: false,
    expect: {status: 0, also: (r) => {
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^influx-recover guard: .* is locked by another process \(a running influxd\?\) after waiting 1 s: nothing captured\n$/)
    }},
  },
  {name: 'guard status', command: 'guard status', args: () => ['guard', 'status', ...bp(), '--systemd-dir', join(outDir, 'systemd'), '--export-dir', join(outDir, 'exports')], expect: {...locked, keepsStdout: true, also: (r) => expect(r.stdout).toMatch(/^raw tokens: {2}unknown: /m)}},
  {name: 'guard install --dry-run', command: 'guard install', args: () => ['guard', 'install', ...bp(), '--systemd-dir', join(outDir, 'systemd'), '--export-dir', join(outDir, 'exports'), '--plaintext-exports', '--dry-run'], lockFlag: false, expect: {status: 0, waits: false}},
  {name: 'guard uninstall --dry-run', command: 'guard uninstall', args: () => ['guard', 'uninstall', '--systemd-dir', join(outDir, 'systemd'), '--dry-run'], lockFlag: false, expect: {status: 0, waits: false}},
  {name: 'org create', command: 'org create', args: () => ['org', 'create', ...bp(), '--name', 'lockorg', '--owner', 'testuser']},
  {name: 'org members list', command: 'org members list', args: () => ['org', 'members', 'list', ...bp(), '--org', 'myorg']},
  {name: 'org members add', command: 'org members add', args: () => ['org', 'members', 'add', ...bp(), '--org', 'myorg', '--user', 'testuser']},
  {name: 'org members remove --yes', command: 'org members remove', args: () => ['org', 'members', 'remove', ...bp(), '--org', 'myorg', '--user', 'testuser', '--yes', '--force']},
  {name: 'bucket list', command: 'bucket list', args: () => ['bucket', 'list', ...bp()]},
  {name: 'bucket repair-meta', command: 'bucket repair-meta', args: () => ['bucket', 'repair-meta', ...bp(), '--id', 'a4400ee87566e12a']},
]

/** Command ids of every file under src/commands ("auth create-operator", "doctor", …). */
function allCommands(): string[] {
  const base = join(ROOT, 'src/commands')
  const out: string[] = []
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(join(base, rel), {withFileTypes: true})) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(r)
      else if (e.name.endsWith('.ts')) out.push(r.slice(0, -3).split('/').join(' '))
    }
  }
  walk('')
  return out.sort()
}

/** Every entry below dir (relative path → sha256 of files, "dir" for directories), lock dirs included. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(join(d, rel), {withFileTypes: true})) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) {
        out[r] = 'dir'
        walk(r)
      } else out[r] = `${sha256(join(d, r))} ${(fs.lstatSync(join(d, r)).mode & 0o7777).toString(8)}`
    }
  }
  walk('')
  return out
}

interface TimedResult extends CliResult {
  /** ms from the first moment the child was seen holding the data file open until it exited (undefined: never seen) */
  lockPhaseMs?: number
}

const results = new Map<string, TimedResult>()

/**
 * runCliAsync, watching /proc/PID/fd every 10 ms for the data file: the time from when the
 * child opens it (right before its first flock attempt) to its exit is the time it waited for
 * the lock, whatever node's start-up cost on a loaded machine.
 */
async function runTimed(args: string[], input?: string): Promise<TimedResult> {
  let pid: number | undefined
  let openedAt: number | undefined
  const poll = setInterval(() => {
    if (pid === undefined || openedAt !== undefined) return
    const fdDir = `/proc/${pid}/fd`
    let fds: string[]
    try {
      fds = fs.readdirSync(fdDir)
    } catch {
      return
    }
    for (const fd of fds) {
      let target: string
      try {
        target = fs.readlinkSync(`${fdDir}/${fd}`)
      } catch {
        continue
      }
      if (target === file) {
        openedAt = performance.now()
        return
      }
    }
  }, 10)
  const start = performance.now()
  try {
    const r = await runCliAsync(args, {input, cwd: outDir, onSpawn: (p) => (pid = p)})
    const end = start + r.ms
    return {...r, lockPhaseMs: openedAt === undefined ? undefined : end - openedAt}
  } finally {
    clearInterval(poll)
  }
}
let before: {db: Record<string, string>; in: Record<string, string>; out: Record<string, string>}
let elapsedMs = 0

describe('every command against a file Go bbolt holds open read-write (a running influxd)', () => {
  beforeAll(async () => {
    dir = makeTempDir('ir-locks-')
    dbDir = join(dir, 'db')
    inDir = join(dir, 'in')
    outDir = join(dir, 'out')
    for (const d of [dbDir, inDir, outDir]) fs.mkdirSync(d)
    file = copyInto(FIXTURE, dbDir, 'influxd.bolt')

    // inputs, made from an unlocked copy
    const other = copyInto(FIXTURE, inDir, 'other.bolt')
    fs.writeFileSync(join(inDir, 'ops.jsonl'), '{"op":"create-bucket","path":["lock-test"]}\n{"op":"put","path":["lock-test"],"key":"k","value":"v"}\n')
    fs.writeFileSync(join(inDir, 'empty.jsonl'), '')
    fs.writeFileSync(join(inDir, 'token.txt'), `${NEW_TOKEN}\n`, {mode: 0o600})
    fs.writeFileSync(join(inDir, 'password.txt'), `${PASSWORD}\n`, {mode: 0o600})
    const dump = runCli(['bolt', 'dump', other])
    expect(dump.status).toBe(0)
    fs.writeFileSync(join(inDir, 'dump.jsonl'), dump.stdout)
    const exp = runCli(['auth', 'export', '--bolt-path', other, '--output', join(inDir, 'export.yaml')])
    expect(exp.status, exp.stderr).toBe(0)

    before = {db: snapshot(dbDir), in: snapshot(inDir), out: snapshot(outDir)}
    expect(Object.keys(before.db)).toEqual(['influxd.bolt'])
    expect(before.out).toEqual({})

    holder = await holdWithBbolt(file)
    expect(holder.banner).toBe(`holding ${file} (pid ${holder.pid}, txid 131)`)

    const start = performance.now()
    await inPool(4, CASES.map((c) => async () => {
      const args = [...c.args(), ...(c.lockFlag === false ? [] : ['--lock-timeout', String(c.timeout ?? 1)])]
      results.set(c.name, await runTimed(args, c.input))
    }))
    elapsedMs = performance.now() - start
  }, 300_000)

  afterAll(async () => {
    await holder?.release()
    if (dir) removeDir(dir)
  })

  it('covers every command of src/commands', () => {
    const covered = new Set(CASES.map((c) => c.command))
    expect(allCommands().filter((c) => !covered.has(c))).toEqual([])
    for (const c of CASES) expect(c.args().slice(0, c.command.split(' ').length).join(' ')).toBe(c.command)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = results.get(c.name)!
    const exp = c.expect ?? locked
    const timeout = c.timeout ?? 1
    const out = `exit ${r.status} after ${Math.round(r.ms)} ms\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr}`
    expect(r.status, out).toBe(exp.status)
    if (exp.waits !== false) {
      // waits the full timeout, then gives up within lock-timeout + 1 s of opening the file
      // (measured from the open, so that node's start-up on a loaded machine does not count)
      expect(r.ms, out).toBeGreaterThanOrEqual(timeout * 1000)
      // (with --lock-timeout 0 the file may be open too briefly to be seen)
      if (timeout > 0) expect(r.lockPhaseMs, out).toBeDefined()
      if (r.lockPhaseMs !== undefined) expect(r.lockPhaseMs, out).toBeLessThan((timeout + 1) * 1000)
    }
    // and no run hangs (node's start-up and bcrypt on a loaded machine included)
    expect(r.ms, out).toBeLessThan((timeout + 15) * 1000)
    if (exp.status !== 0) {
      const e = errorLines(r.stderr)
      expect(e.ok, out).toBe(true)
      expect(e.error, out).toMatch(exp.error!)
      if (exp.status === 3) expect(e.error).toContain(file)
      if (c.args().includes('--json')) {
        const doc = JSON.parse(r.stdout) as {error: {exitCode: number; message: string}}
        expect(doc.error.exitCode).toBe(exp.status)
        expect(doc.error.message).toMatch(exp.error!)
      } else if (!c.args().includes('locate') && !exp.keepsStdout) {
        expect(r.stdout, out).toBe('')
      }
    }
    exp.also?.(r)
  })

  it('changes nothing: the file, its directory, the inputs; no output, backup, audit log or lock directory', () => {
    expect(snapshot(dbDir)).toEqual(before.db)
    expect(snapshot(inDir)).toEqual(before.in)
    expect(snapshot(outDir)).toEqual({})
  })

  it('runs concurrently: all of them in well under the sum of their run times', () => {
    const sum = CASES.reduce((s, c) => s + results.get(c.name)!.ms, 0)
    console.log(CASES.map((c) => {
      const r = results.get(c.name)!
      return `${String(Math.round(r.ms)).padStart(6)} ms (${String(r.lockPhaseMs === undefined ? '-' : Math.round(r.lockPhaseMs)).padStart(5)} ms with the file open)  exit ${r.status}  ${c.name}`
    }).join('\n'))
    console.log(`locks: ${CASES.length} runs of ${new Set(CASES.map((c) => c.command)).size} commands in ${Math.round(elapsedMs)} ms (pool of 4; the runs took ${Math.round(sum)} ms in all)`)
    expect(elapsedMs).toBeLessThan(sum / 2)
  })

  it('the holder kept the lock throughout, closes the file cleanly, and Go finds it intact', async () => {
    expect(holder!.running()).toBe(true)
    // still held: a tool run with --lock-timeout 0 gives up at once
    const r = runCli(['bolt', 'info', file, '--lock-timeout', '0'])
    expect(r.status).toBe(3)
    expect(await holder!.release()).toBe(0)
    expect(sha256(file)).toBe(before.db['influxd.bolt']!.split(' ')[0])
    expect(oracleCheck(file)).toContain('bbolt tx.Check: OK (txid=131)')
    // and once influxd is gone, the same command reads it
    expect(runCli(['bolt', 'info', file, '--lock-timeout', '0']).status).toBe(0)
  })
})
