// Every command against the malformed-file corpus (test/reliability/corpus.ts),
// spawned as a user runs it (node bin/run.js on dist/).
//
// For each run: the exit code is a documented one (0-6), and the one the kind
// of damage calls for; a failing run prints one "Error:" line (optional
// "Hint:") and never a stack trace; the child finishes within 5 s (its own
// wall time, measured from spawn to exit; the bound grows with the load
// average when the machine is oversubscribed, and the child's CPU time is
// held to 5 s whatever the load); the file's bytes are unchanged and nothing appears beside it
// unless a write really succeeded; a refused write leaves the backup
// directory and its output files uncreated; a missing path is never created.
//
// Default suite: every case through a representative set of commands, and
// every command through a representative subset of cases. CORPUS_FULL=1
// (npm run test:corpus): the whole cross product.
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DB, check} from '../../src/bbolt/index.js'
import {AUTH_TENANT_BUCKETS, BUCKET_INDEX, BUCKETS, ORGANIZATION_INDEX, ORGANIZATIONS, URMS, USER_INDEX, USERS} from '../../src/influxd/buckets.js'
import {METADATA_BUCKET} from '../../src/influxd/metadata.js'
import {errorLines, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {ROOT} from '../helpers/oracle.js'
import {corpusCases, SOURCES, type CorpusCase} from './corpus.js'

const FULL = process.env.CORPUS_FULL === '1'
const JOBS = Number(process.env.CORPUS_JOBS ?? 3)
/** a child's own wall time, spawn to exit */
const CHILD_LIMIT_MS = 5000
/** a child still running after this is killed and reported as a hang */
const KILL_AFTER_MS = 30_000
const IS_ROOT = process.getuid?.() === 0
/** the uid that reads the "unreadable" case when the tests run as root (root reads any file) */
const OTHER_UID = 65534

const OP_TOKEN_ID = '08371db24dcc8000'
const RO_TOKEN_ID = '08371deae98c8000'
const USER_ID = '08371db1dd8c8000'

// ---------------------------------------------------------------- the commands

type CmdKind = 'read' | 'write' | 'doctor' | 'locate' | 'new-from' | 'new-out' | 'source' | 'guard' | 'config'

interface Ctx {
  /** the case's path */
  file: string
  /** the directory holding it (compared before and after) */
  dir: string
  /** per-run directory for backups and new files */
  aux: string
  backupDir: string
  /** files prepared once for every run */
  shared: Shared
}

interface Shared {
  dir: string
  /** a copy of the 2.8 fixture (rescue's current database / source) */
  pristine: string
  /** a valid dump (bolt load --from) */
  dump: string
  /** a valid op (bolt apply --ops) */
  ops: string
  /** tokens exported from the 2.8 fixture (restore-plaintext --from) */
  exported: string
  /** the operator token of the 2.8 fixture */
  token: string
}

interface Command {
  id: string
  kind: CmdKind
  args(c: Ctx): string[]
  input?: (c: Ctx) => string
  env?: (c: Ctx) => Record<string, string>
  /** exit codes of a read on influxd-level damage, when not [0, 4] */
  influxdReadCodes?: number[]
  /** exit codes of a write on influxd-level damage, when not [0, 1, 4, 5] */
  influxdWriteCodes?: number[]
  /** top-level buckets the command neither reads nor checks (a narrow consistency check) */
  notReading?: string[]
  /** the only top-level buckets the command reads and checks (its check's scope): it does not see damage elsewhere */
  reads?: readonly string[]
  /** new files the command may create (must not exist after a failure) */
  outputs?: (c: Ctx) => string[]
  /** exit 1 is a report's verdict (no "Error:" line) when stdout matches */
  verdict?: RegExp
}

const bp = (c: Ctx): string[] => ['--bolt-path', c.file]
const backup = (c: Ctx): string[] => ['--yes', '--backup-dir', c.backupDir]

export const COMMANDS: Command[] = [
  {id: 'bolt check', kind: 'read', args: (c) => ['bolt', 'check', c.file], influxdReadCodes: [0]},
  {id: 'bolt info', kind: 'read', args: (c) => ['bolt', 'info', c.file], influxdReadCodes: [0]},
  {id: 'bolt buckets', kind: 'read', args: (c) => ['bolt', 'buckets', c.file], influxdReadCodes: [0]},
  {id: 'bolt keys', kind: 'read', args: (c) => ['bolt', 'keys', c.file, '--bucket', 'authorizationsv1'], influxdReadCodes: [0, 5]},
  {id: 'bolt get', kind: 'read', args: (c) => ['bolt', 'get', c.file, '--bucket', 'usersv1', '--key', USER_ID], influxdReadCodes: [0, 5]},
  {id: 'bolt dump', kind: 'read', args: (c) => ['bolt', 'dump', c.file], influxdReadCodes: [0]},
  {id: 'bolt load (corpus as the dump)', kind: 'new-from', args: (c) => ['bolt', 'load', '--from', c.file, '--out', path.join(c.aux, 'loaded.bolt')], outputs: (c) => [path.join(c.aux, 'loaded.bolt')]},
  {id: 'bolt load (corpus as the target)', kind: 'new-out', args: (c) => ['bolt', 'load', '--from', c.shared.dump, '--out', c.file]},
  {id: 'bolt apply', kind: 'write', args: (c) => ['bolt', 'apply', c.file, '--ops', c.shared.ops, ...backup(c)]},
  {id: 'bolt compact', kind: 'read', args: (c) => ['bolt', 'compact', c.file, '--out', path.join(c.aux, 'compact.bolt')], outputs: (c) => [path.join(c.aux, 'compact.bolt')], influxdReadCodes: [0]},
  {id: 'locate', kind: 'locate', args: (c) => ['locate', ...bp(c)]},
  {id: 'locate (INFLUXD_BOLT_PATH)', kind: 'locate', args: () => ['locate'], env: (c) => ({INFLUXD_BOLT_PATH: c.file})},
  {id: 'doctor', kind: 'doctor', args: (c) => ['doctor', ...bp(c)]},
  // auth list reads (and checks) the tokens, users and orgs only
  {id: 'auth list', kind: 'read', args: (c) => ['auth', 'list', ...bp(c)], notReading: ['migrationsv1', 'authorizationindexv1', 'userindexv1']},
  {id: 'auth list (INFLUXD_BOLT_PATH)', kind: 'read', args: () => ['auth', 'list', '--json'], env: (c) => ({INFLUXD_BOLT_PATH: c.file}), notReading: ['migrationsv1', 'authorizationindexv1', 'userindexv1']},
  {id: 'auth create-operator', kind: 'write', args: (c) => ['auth', 'create-operator', ...bp(c), '--username', 'testuser', '--org', 'myorg', ...backup(c)]},
  {id: 'auth create', kind: 'write', args: (c) => ['auth', 'create', ...bp(c), '--org', 'myorg', '--user', 'testuser', '--all-access', ...backup(c)]},
  {id: 'auth rotate', kind: 'write', args: (c) => ['auth', 'rotate', ...bp(c), '--id', RO_TOKEN_ID, ...backup(c)]},
  {id: 'auth active', kind: 'write', args: (c) => ['auth', 'active', ...bp(c), '--id', RO_TOKEN_ID, ...backup(c)]},
  {id: 'auth inactive', kind: 'write', args: (c) => ['auth', 'inactive', ...bp(c), '--id', RO_TOKEN_ID, ...backup(c)]},
  {id: 'auth delete', kind: 'write', args: (c) => ['auth', 'delete', ...bp(c), '--id', RO_TOKEN_ID, ...backup(c)]},
  {id: 'auth export', kind: 'read', args: (c) => ['auth', 'export', ...bp(c), '--output', path.join(c.aux, 'tokens.yaml')], outputs: (c) => [path.join(c.aux, 'tokens.yaml')]},
  {id: 'auth hash-upgrade', kind: 'write', args: (c) => ['auth', 'hash-upgrade', ...bp(c), '--export', path.join(c.aux, 'hu.yaml'), ...backup(c)], outputs: (c) => [path.join(c.aux, 'hu.yaml')]},
  {id: 'auth scrub', kind: 'write', args: (c) => ['auth', 'scrub', ...bp(c)]},
  {id: 'auth verify', kind: 'read', args: (c) => ['auth', 'verify', ...bp(c), '--token-stdin'], input: (c) => `${c.shared.token}\n`, influxdReadCodes: [0, 4, 5]},
  {id: 'auth rescue', kind: 'read', args: (c) => ['auth', 'rescue', ...bp(c), '--from', c.shared.pristine, '--output', path.join(c.aux, 'rescued.json')], outputs: (c) => [path.join(c.aux, 'rescued.json')], influxdReadCodes: [0, 4, 5]},
  {id: 'auth rescue (corpus as the source)', kind: 'source', args: (c) => ['auth', 'rescue', '--bolt-path', c.shared.pristine, '--from', c.file, '--output', path.join(c.aux, 'rescued.json')], outputs: (c) => [path.join(c.aux, 'rescued.json')]},
  {id: 'auth restore-plaintext', kind: 'write', args: (c) => ['auth', 'restore-plaintext', ...bp(c), '--from', c.shared.exported, ...backup(c)]},
  {id: 'user list', kind: 'read', args: (c) => ['user', 'list', ...bp(c)]},
  {id: 'user create', kind: 'write', args: (c) => ['user', 'create', ...bp(c), '--username', 'corpus-user', '--password-stdin', ...backup(c)], input: () => 'corpus-password-1\n'},
  {id: 'user set-password', kind: 'write', args: (c) => ['user', 'set-password', ...bp(c), '--username', 'testuser', '--password-stdin', ...backup(c)], input: () => 'corpus-password-2\n'},
  {id: 'user update', kind: 'write', args: (c) => ['user', 'update', ...bp(c), '--username', 'testuser', '--password-stdin', ...backup(c)], input: () => 'corpus-password-3\n'},
  {id: 'user rename', kind: 'write', args: (c) => ['user', 'rename', ...bp(c), '--username', 'testuser', '--name', 'corpus-renamed', ...backup(c)]},
  {id: 'user active', kind: 'write', args: (c) => ['user', 'active', ...bp(c), '--username', 'testuser', ...backup(c)]},
  {id: 'user inactive', kind: 'write', args: (c) => ['user', 'inactive', ...bp(c), '--username', 'testuser', '--force', ...backup(c)]},
  {id: 'user delete', kind: 'write', args: (c) => ['user', 'delete', ...bp(c), '--username', 'testuser', '--force', ...backup(c)]},
  {id: 'auth update', kind: 'write', args: (c) => ['auth', 'update', ...bp(c), '--id', RO_TOKEN_ID, '--read-bucket', '7451ab8b9b7df592', ...backup(c)]},
  {id: 'v1 auth list', kind: 'read', args: (c) => ['v1', 'auth', 'list', ...bp(c)]},
  {id: 'v1 auth create', kind: 'write', args: (c) => ['v1', 'auth', 'create', ...bp(c), '--username', 'corpus-v1', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-stdin', ...backup(c)], input: () => 'corpus-password-4\n',
    // an org left without an owner (its user gone) has no one to default the owner to: --user is asked for (2)
    influxdWriteCodes: [0, 1, 2, 4, 5]},
  {id: 'v1 auth set-password', kind: 'write', args: (c) => ['v1', 'auth', 'set-password', ...bp(c), '--username', 'corpus-v1', '--password-stdin', ...backup(c)], input: () => 'corpus-password-5\n'},
  {id: 'v1 auth set-active', kind: 'write', args: (c) => ['v1', 'auth', 'set-active', ...bp(c), '--username', 'corpus-v1', ...backup(c)]},
  {id: 'v1 auth set-inactive', kind: 'write', args: (c) => ['v1', 'auth', 'set-inactive', ...bp(c), '--username', 'corpus-v1', ...backup(c)]},
  {id: 'v1 auth delete', kind: 'write', args: (c) => ['v1', 'auth', 'delete', ...bp(c), '--username', 'corpus-v1', ...backup(c)]},
  {id: 'org list', kind: 'read', args: (c) => ['org', 'list', ...bp(c)]},
  // the guard: run always exits 0 (one stderr line for a problem); install/uninstall never read the file's contents
  {id: 'guard run', kind: 'guard', args: (c) => ['guard', 'run', ...bp(c), '--export-dir', path.join(c.aux, 'exports'), '--plaintext-exports'], outputs: (c) => [path.join(c.aux, 'exports')]},
  {id: 'guard status', kind: 'read', args: (c) => ['guard', 'status', ...bp(c), '--systemd-dir', path.join(c.aux, 'systemd'), '--export-dir', path.join(c.aux, 'exports')], influxdReadCodes: [0, 1, 4], verdict: /NOT captured/, reads: AUTH_TENANT_BUCKETS},
  {id: 'guard install', kind: 'config', args: (c) => ['guard', 'install', ...bp(c), '--systemd-dir', path.join(c.aux, 'systemd'), '--export-dir', path.join(c.aux, 'exports'), '--plaintext-exports', '--dry-run']},
  {id: 'guard uninstall', kind: 'config', args: (c) => ['guard', 'uninstall', '--systemd-dir', path.join(c.aux, 'systemd'), '--dry-run']},
  {id: 'org create', kind: 'write', args: (c) => ['org', 'create', ...bp(c), '--name', 'corpus-org', '--owner', 'testuser', ...backup(c)]},
  {id: 'org members list', kind: 'read', args: (c) => ['org', 'members', 'list', ...bp(c), '--org', 'myorg'], influxdReadCodes: [0, 4, 5], reads: [ORGANIZATIONS, ORGANIZATION_INDEX, USERS, USER_INDEX, URMS]},
  {id: 'org members add', kind: 'write', args: (c) => ['org', 'members', 'add', ...bp(c), '--org', 'myorg', '--user', 'testuser', '--owner', ...backup(c)]},
  {id: 'org members remove', kind: 'write', args: (c) => ['org', 'members', 'remove', ...bp(c), '--org', 'myorg', '--user', 'testuser', '--force', ...backup(c)]},
  {id: 'bucket list', kind: 'read', args: (c) => ['bucket', 'list', ...bp(c)], reads: [BUCKETS, BUCKET_INDEX, ORGANIZATIONS, ORGANIZATION_INDEX, METADATA_BUCKET]},
  {id: 'bucket repair-meta', kind: 'write', args: (c) => ['bucket', 'repair-meta', ...bp(c), '--id', 'a4400ee87566e12a', ...backup(c)]},
]

/** Command ids as oclif knows them: every command in src/commands must be in the table. */
function commandIdsInSource(): string[] {
  const base = path.join(ROOT, 'src/commands')
  const out: string[] = []
  const walk = (dir: string, prefix: string[]): void => {
    for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
      if (e.isDirectory()) walk(path.join(dir, e.name), [...prefix, e.name])
      else if (e.name.endsWith('.ts')) out.push([...prefix, e.name.replace(/\.ts$/, '')].join(' '))
    }
  }
  walk(base, [])
  return out.sort()
}

// ---------------------------------------------------------------- what each run must do

/** The exit codes a command may end with on a case, by kind of damage. */
function expectedCodes(cmd: Command, c: CorpusCase): number[] {
  const missing = c.name === 'missing' || c.name === 'dangling-symlink' || c.name === 'symlink-loop'
  if (cmd.kind === 'new-out') return c.name === 'missing' ? [0] : [1] // load creates a new file, never over anything that exists
  if (cmd.kind === 'guard') return [0] // before every influxd start: never anything else
  // install names the file (it may not exist yet) but refuses a directory or FIFO there like every command
  if (cmd.kind === 'config') return cmd.id === 'guard install' && c.kind === 'fs' && !missing && c.name !== 'unreadable' ? [4] : [0]
  if (cmd.kind === 'doctor') {
    if (missing) return [5] // nothing to diagnose: "not found" as for every command
    if (c.kind === 'recoverable') return [0, 1]
    if (c.doctorWarns) return c.operatorLost ? [1] : [0] // with a WARN line (checked below)
    return [1] // a FAIL line, also for a file that cannot be opened
  }
  if (c.kind === 'fs') {
    if (missing) return [5]
    if (c.name === 'unreadable') return cmd.kind === 'locate' ? [0] : [1]
    if (cmd.kind === 'new-from' || cmd.kind === 'source') return [1, 2, 4] // not readable as a dump / a token source
    if (cmd.kind === 'locate') return [0, 4]
    return [4] // a directory or FIFO is refused like a corrupt file
  }
  // a bolt file (damaged or not) is not a dump; an empty file is the dump of an empty database (bolt dump prints nothing for one)
  if (cmd.kind === 'new-from') return c.name === 'zero-length' ? [0, 2] : [2]
  if (cmd.kind === 'source') return [0, 5] // rescue scans any file for tokens: found some, or none
  if (cmd.kind === 'locate') return [0] // locate reports where the file is, not what is in it
  // A reader checks the buckets it reads (with the metas and the freelist):
  // damage only inside a tree it never reads leaves its answer right.
  if (c.kind === 'bolt') {
    // a lost page: bolt check (the whole file) must say so; a reader checking only what it reads cannot see it
    if (c.lostPageOnly) return cmd.id === 'bolt check' ? [4] : [...new Set([0, 4, ...(cmd.influxdReadCodes ?? [])])]
    const unread = c.damagedTree !== undefined && (cmd.notReading?.includes(c.damagedTree) || (cmd.reads !== undefined && !cmd.reads.includes(c.damagedTree)))
    return unread ? [0, 4] : [4]
  }
  if (c.kind === 'recoverable') return [0, 1, 5]
  // influxd-level damage in a valid bbolt file: the file opens. Reads list
  // (an undecodable record as an error entry) or refuse with 4; writes refuse
  // (1, 4, 5: a missing user, org or token) or carry on where the damage is
  // not in their way.
  if (cmd.kind === 'read') return cmd.influxdReadCodes ?? [0, 4]
  return cmd.influxdWriteCodes ?? [0, 1, 4, 5]
}

interface RunResult {
  code: number
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** the child's wall time, spawn to exit */
  ms: number
  /** the child's CPU time (user + system), from time(1) */
  cpuMs: number
}

let timeSeq = 0

function runChild(args: string[], opts: {input?: string; env?: Record<string, string>; cwd: string; uid?: number}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', ...opts.env}
  delete env.NODE_ENV
  const timeFile = path.join(scratch, `time-${timeSeq++}.txt`)
  fs.writeFileSync(timeFile, '')
  fs.chmodSync(timeFile, 0o666)
  return new Promise((resolve, reject) => {
    const start = performance.now()
    // time(1) execs node directly: its own start-up is a few milliseconds of the wall time
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, path.join(ROOT, 'bin/run.js'), ...args], {
      cwd: opts.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? {uid: opts.uid, gid: opts.uid} : {}),
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.stdin.on('error', () => {}) // a command that exits before reading stdin
    child.stdin.end(opts.input ?? '')
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const ms = performance.now() - start
      let user = Number.NaN
      let sys = Number.NaN
      try {
        ;[user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number)
        fs.rmSync(timeFile)
      } catch {
        // reported below as an unknown CPU time
      }
      const cpuMs = Number.isFinite(user) && Number.isFinite(sys) ? (user + sys) * 1000 : Number.NaN
      resolve({code: code ?? -1, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, cpuMs})
    })
  })
}

/**
 * The wall-time bound of one child: 5 s on a machine with a core free for it;
 * when the machine is oversubscribed (load average above the number of cores,
 * e.g. other test suites running) the bound grows by that factor. The CPU-time
 * bound is 5 s whatever the load.
 */
function wallLimitMs(): number {
  const factor = Math.max(1, os.loadavg()[0] / os.cpus().length)
  return CHILD_LIMIT_MS * factor
}

async function pool<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]
      await fn(item)
    }
  }
  await Promise.all(Array.from({length: Math.min(jobs, items.length)}, () => worker()))
}

/** Whether anything (a dangling symlink too) is at the path. */
function lexists(p: string): boolean {
  try {
    fs.lstatSync(p)
    return true
  } catch {
    return false
  }
}

/** Whether the path leads to a regular file (false for a dangling or looping symlink). */
function isRegularFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

function digest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** Names and kinds (and content digests of regular files) of a directory's entries. */
function listing(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).map((e) => {
    const p = path.join(dir, e.name)
    if (e.isSymbolicLink()) return `${e.name} -> ${fs.readlinkSync(p)}`
    if (e.isFile()) {
      try {
        return `${e.name} ${digest(p)}`
      } catch {
        return `${e.name} (unreadable)`
      }
    }
    return `${e.name} ${e.isDirectory() ? 'dir' : e.isFIFO() ? 'fifo' : 'other'}`
  }).sort()
}

// ---------------------------------------------------------------- the suite

let scratch: string
let shared: Shared
let cases: CorpusCase[]
const timings: number[] = []
const cpuTimings: number[] = []

beforeAll(() => {
  scratch = makeTempDir('ir-corpus-')
  fs.chmodSync(scratch, 0o755)
  cases = corpusCases(path.join(scratch, 'go'))
  fs.mkdirSync(path.join(scratch, 'go'))
  const dir = path.join(scratch, 'shared')
  fs.mkdirSync(dir)
  const pristineDir = path.join(dir, 'pristine')
  fs.mkdirSync(pristineDir)
  const pristine = path.join(pristineDir, 'influxd.bolt')
  fs.copyFileSync(SOURCES.v28, pristine)
  fs.chmodSync(pristine, 0o644)
  const dump = path.join(dir, 'dump.jsonl')
  fs.writeFileSync(dump, '{"type":"bucket","path":["corpus"],"sequence":0}\n{"type":"kv","path":["corpus"],"key":"k","value":"v"}\n')
  const ops = path.join(dir, 'ops.jsonl')
  fs.writeFileSync(ops, '{"op":"put","path":["usersv1"],"key":"corpus-key","value":"corpus-value"}\n')
  const exported = path.join(dir, 'exported.yaml')
  const ex = runCli(['auth', 'export', '--bolt-path', pristine, '--output', exported])
  expect(ex.status, ex.stderr).toBe(0)
  fs.chmodSync(exported, 0o644)
  const list = runCli(['auth', 'list', '--bolt-path', pristine, '--json'])
  const token = (JSON.parse(list.stdout) as Array<{id: string; token: string}>).find((r) => r.id === OP_TOKEN_ID)!.token
  expect(token).toMatch(/^[A-Za-z0-9_=-]{88}$/)
  shared = {dir, pristine, dump, ops, exported, token}
}, 120_000)

afterAll(() => {
  if (scratch) removeDir(scratch)
})

let runSeq = 0

/** Runs one command on one case in fresh directories; returns every broken rule (empty = fine). */
async function runCase(cmd: Command, c: CorpusCase): Promise<string[]> {
  const where = `${cmd.id} on ${c.name}`
  const base = path.join(scratch, `run-${runSeq++}`)
  const dir = path.join(base, 'data')
  const aux = path.join(base, 'aux')
  const backupDir = path.join(aux, 'backups')
  const home = path.join(aux, 'home')
  // writable by the other uid of the "unreadable" case; sticky like /tmp, so that
  // the tool's warning about a directory anyone can replace files in stays quiet
  for (const d of [base, dir, aux, backupDir, home]) {
    fs.mkdirSync(d)
    fs.chmodSync(d, 0o1777)
  }
  const file = path.join(dir, 'influxd.bolt')
  c.make(file, dir)
  const ctx: Ctx = {file, dir, aux, backupDir, shared}
  const before = listing(dir)
  const exists = lexists(file)
  const sha = isRegularFile(file) ? digest(file) : undefined
  const uid = c.needsOtherUid && IS_ROOT ? OTHER_UID : undefined
  const r = await runChild(cmd.args(ctx), {
    input: cmd.input?.(ctx),
    cwd: aux,
    uid,
    env: {HOME: home, INFLUXD_BOLT_PATH: '', INFLUXD_CONFIG_PATH: '', ...cmd.env?.(ctx)},
  })
  timings.push(r.ms)
  cpuTimings.push(r.cpuMs)
  const bad: string[] = []
  const say = (m: string): void => {
    bad.push(`${where}: ${m} [exit ${r.code}; stderr: ${r.stderr.trim().slice(0, 300)}]`)
  }
  if (r.signal !== null) say(`killed by ${r.signal} (hang?)`)
  if (!(r.cpuMs < CHILD_LIMIT_MS)) say(`used ${Math.round(r.cpuMs)} ms of CPU`)
  const wallLimit = wallLimitMs()
  if (r.ms > wallLimit) say(`took ${Math.round(r.ms)} ms (bound ${Math.round(wallLimit)} ms at load ${os.loadavg()[0].toFixed(1)})`)
  if (!(r.code >= 0 && r.code <= 6)) say('undocumented exit code')
  const allowed = expectedCodes(cmd, c)
  if (!allowed.includes(r.code)) say(`exit ${r.code}, expected one of ${allowed.join(', ')}`)
  if (/\n\s+at /.test(r.stderr) || /\n\s+at /.test(r.stdout)) say('stack trace')
  if (cmd.kind === 'doctor') {
    if (r.code === 1 && !/^FAIL\b/m.test(r.stdout)) say('doctor exits 1 without a FAIL line')
    if (c.doctorWarns && !/^WARN\b/m.test(r.stdout)) say('doctor has no WARN line')
    if (c.operatorLost && !/^FAIL +operator\b/m.test(r.stdout)) say('doctor has no FAIL operator line')
  } else if (cmd.kind === 'guard') {
    if (r.stderr !== '' && !/^influx-recover guard: [^\n]*\n$/.test(r.stderr)) say('guard run: stderr is not one "influx-recover guard:" line')
  } else if (r.code === 1 && cmd.verdict !== undefined && cmd.verdict.test(r.stdout) && r.stderr === '') {
    // a report's verdict, like doctor's
  } else if (r.code !== 0 && !errorLines(r.stderr).ok) {
    say('stderr is not one "Error:" line (plus an optional "Hint:")')
  }

  const creates = cmd.kind === 'new-out' && r.code === 0 // bolt load made the new file it was asked for
  const wrote = (cmd.kind === 'write' || creates) && r.code === 0
  // the file and its directory
  if (sha !== undefined && !wrote && digest(file) !== sha) say('the file was modified')
  if (!exists && !creates && lexists(file)) say('a missing file was created')
  if (c.name === 'dangling-symlink' && fs.existsSync(path.join(dir, 'gone.bolt'))) say('the target of a dangling symlink was created')
  const after = listing(dir)
  if (!wrote) {
    if (JSON.stringify(after) !== JSON.stringify(before)) say(`the directory changed: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`)
  } else {
    // a successful write: only the file itself and the audit log may change, and the file must still be sound
    const names = (l: string[]): string[] => l.map((e) => e.split(' ')[0])
    const added = names(after).filter((n) => !names(before).includes(n) && n !== 'influx-recover.audit.jsonl' && !(creates && n === 'influxd.bolt'))
    if (added.length > 0) say(`a write left new files beside the data file: ${added.join(', ')}`)
    const db = DB.open(file, {readOnly: true})
    try {
      const rep = check(db)
      if (!rep.ok) say(`a successful write left a file that fails the check: ${rep.problems[0]}`)
    } finally {
      db.close()
    }
  }
  if (r.code !== 0) {
    if (fs.readdirSync(backupDir).length > 0) say(`a failed run left a backup: ${fs.readdirSync(backupDir).join(', ')}`)
    for (const o of cmd.outputs?.(ctx) ?? []) if (fs.existsSync(o)) say(`a failed run left its output ${path.basename(o)}`)
  }
  const strays = fs.readdirSync(aux).filter((n) => !['backups', 'home'].includes(n) && !(r.code === 0 && (cmd.outputs?.(ctx) ?? []).map((o) => path.basename(o)).includes(n)))
  if (strays.length > 0) say(`stray files in the working directory: ${strays.join(', ')}`)

  removeDir(base)
  return bad
}

async function runPlan(plan: Array<[Command, CorpusCase]>): Promise<string[]> {
  const problems: string[] = []
  await pool(plan, JOBS, async ([cmd, c]) => {
    try {
      problems.push(...(await runCase(cmd, c)))
    } catch (err) {
      // a failure of the harness itself is a finding too, and must not stop the other runs
      problems.push(`${cmd.id} on ${c.name}: the run itself failed: ${(err as Error).stack}`)
    }
  })
  return problems
}

function summary(label: string, runs: number, started: number): void {
  const sorted = [...timings].sort((a, b) => a - b)
  const cpu = [...cpuTimings].sort((a, b) => a - b)
  const q = (xs: number[], f: number): number => Math.round(xs[Math.min(xs.length - 1, Math.floor(f * xs.length))] ?? 0)
  console.log(`corpus ${label}: ${runs} runs in ${((performance.now() - started) / 1000).toFixed(1)} s, ${JOBS} at a time, load ${os.loadavg()[0].toFixed(1)}; child wall time median ${q(sorted, 0.5)} ms, p99 ${q(sorted, 0.99)} ms, max ${q(sorted, 1)} ms; CPU median ${q(cpu, 0.5)} ms, max ${q(cpu, 1)} ms`)
}

/** Cases every command runs on in the default suite: one of each kind of trouble. */
const SUBSET = ['trunc-30000', 'freelist-lists-live', 'auth-invalid-json', 'fifo', 'missing']
/** Commands every case runs through in the default suite: the engine's reader, and an influxd write (locate, file checks, lock, consistency check, records). */
const REPRESENTATIVE = ['bolt check', 'auth rotate']

describe('the malformed-file corpus', () => {
  it('is big enough and covers every command', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60)
    const kinds = new Set(cases.map((c) => c.kind))
    expect([...kinds].sort()).toEqual(['bolt', 'fs', 'influxd', 'recoverable'])
    const covered = new Set(COMMANDS.map((c) => c.id.replace(/ \(.*\)$/, '')))
    expect(commandIdsInSource().filter((id) => !covered.has(id))).toEqual([])
    for (const name of [...SUBSET]) expect(cases.map((c) => c.name)).toContain(name)
    for (const id of REPRESENTATIVE) expect(COMMANDS.map((c) => c.id)).toContain(id)
  })

  it('an unreadable file is really unreadable to the uid that runs the command', () => {
    // As root, mode 000 does not stop reads: the "unreadable" case then runs under uid 65534.
    const dir = makeTempDir('ir-unreadable-')
    try {
      fs.chmodSync(dir, 0o755)
      const f = path.join(dir, 'x.bolt')
      cases.find((c) => c.name === 'unreadable')!.make(f, dir)
      const r = runCli(['bolt', 'check', f])
      if (IS_ROOT) {
        // root is not denied: the case is meaningful only under another uid, which the runs use
        expect(r.status).toBe(0)
        expect(cases.find((c) => c.name === 'unreadable')!.needsOtherUid).toBe(true)
      } else {
        expect(r.status).toBe(1)
        expect(errorLines(r.stderr).error).toMatch(/permission denied/)
      }
    } finally {
      removeDir(dir)
    }
  })

  if (FULL) {
    it('every command on every case (CORPUS_FULL)', async () => {
      const plan: Array<[Command, CorpusCase]> = []
      // CORPUS_KINDS=influxd,fs narrows the run to some kinds of damage (for investigating)
      const kinds = process.env.CORPUS_KINDS?.split(',')
      // CORPUS_COMMANDS='auth list,bolt check' narrows it to some commands (their ids)
      const ids = process.env.CORPUS_COMMANDS?.split(',')
      for (const c of cases) for (const cmd of COMMANDS) if ((kinds === undefined || kinds.includes(c.kind)) && (ids === undefined || ids.includes(cmd.id))) plan.push([cmd, c])
      const started = performance.now()
      timings.length = 0
      cpuTimings.length = 0
      const problems = await runPlan(plan)
      summary(`full: ${plan.length / COMMANDS.length} cases x ${COMMANDS.length} commands`, plan.length, started)
      expect(problems).toEqual([])
    }, 3_600_000)
  } else {
    it(`every case through ${REPRESENTATIVE.join(', ')}; every command through ${SUBSET.length} cases`, async () => {
      const plan: Array<[Command, CorpusCase]> = []
      for (const c of cases) for (const id of REPRESENTATIVE) plan.push([COMMANDS.find((x) => x.id === id)!, c])
      for (const cmd of COMMANDS) {
        if (REPRESENTATIVE.includes(cmd.id)) continue
        for (const name of SUBSET) plan.push([cmd, cases.find((c) => c.name === name)!])
      }
      const started = performance.now()
      timings.length = 0
      cpuTimings.length = 0
      const problems = await runPlan(plan)
      summary(`default: ${cases.length} cases, ${COMMANDS.length} commands`, plan.length, started)
      expect(problems).toEqual([])
    }, 600_000)
  }
})
