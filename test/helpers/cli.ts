/**
 * Runs the compiled CLI (node bin/run.js, i.e. dist/) the way a user would,
 * plus small helpers for the CLI tests: temp dirs, file digests, and an
 * external flock(1) holder playing the part of a running influxd.
 */
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {ROOT} from './oracle.js'

export interface CliResult {
  status: number
  stdout: string
  stderr: string
  /** stdout as bytes (for --raw) */
  stdoutBytes: Buffer
  /** wall-clock milliseconds */
  ms: number
}

export interface CliOptions {
  /** written to the CLI's stdin (stdin is empty otherwise) */
  input?: string | Buffer
  env?: Record<string, string>
  cwd?: string
  /** runCliAsync only: called with the child's pid once it is spawned */
  onSpawn?: (pid: number) => void
}

/**
 * runCli with stdout and stderr written to one file, in the order the CLI
 * wrote them (Node writes both synchronously to files), as a terminal shows
 * them: `stdout` holds both, `stderr` is empty.
 */
export function runCliMerged(args: string[], opts: CliOptions = {}): CliResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-merged-'))
  const out = path.join(dir, 'out')
  const fd = fs.openSync(out, 'w')
  try {
    const start = performance.now()
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
      cwd: opts.cwd ?? ROOT, input: opts.input ?? '', env: cliEnv(opts), stdio: ['pipe', fd, fd], timeout: 60_000,
    })
    const ms = performance.now() - start
    if (r.error) throw r.error
    const bytes = fs.readFileSync(out)
    return {status: r.status ?? -1, stdout: bytes.toString('utf8'), stderr: '', stdoutBytes: bytes, ms}
  } finally {
    fs.closeSync(fd)
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

export function runCli(args: string[], opts: CliOptions = {}): CliResult {
  const env = cliEnv(opts)
  const start = performance.now()
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? '',
    env,
    maxBuffer: 1 << 30,
    timeout: 60_000,
  })
  const ms = performance.now() - start
  if (r.error) throw r.error
  const stdoutBytes = r.stdout as Buffer
  return {status: r.status ?? -1, stdout: stdoutBytes.toString('utf8'), stderr: (r.stderr as Buffer).toString('utf8'), stdoutBytes, ms}
}

function cliEnv(opts: CliOptions): NodeJS.ProcessEnv {
  // NODE_ENV=test (set by vitest) would make oclif look for TypeScript sources; users run dist/.
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'}
  // an exported COLUMNS would fit the tables to it (see src/cli/terminal.ts): tests set it explicitly
  delete env.COLUMNS
  Object.assign(env, opts.env)
  delete env.NODE_ENV
  return env
}

/**
 * runCli without blocking the test process, so several runs (or a run and a
 * lock holder) go on at once. Killed after 60 s like runCli.
 */
export function runCliAsync(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {cwd: opts.cwd ?? ROOT, env: cliEnv(opts), stdio: ['pipe', 'pipe', 'pipe']})
    if (child.pid !== undefined) opts.onSpawn?.(child.pid)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(out)
      resolve({
        status: code ?? -1,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        ms: performance.now() - start,
      })
    })
    // EPIPE when the child exits before reading its stdin is not an error of the run.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** Runs jobs at most `limit` at a time; results in the order of `jobs`. */
export async function inPool<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++
      results[i] = await jobs[i]!()
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, jobs.length)}, worker))
  return results
}

/** Non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0)
}

/** Asserts the error output contract: only `Error:`/`Hint:` lines, exactly one `Error:`, no stack trace. */
export function errorLines(stderr: string): {error: string; hint?: string; ok: boolean} {
  const ls = lines(stderr)
  const errs = ls.filter((l) => l.startsWith('Error: '))
  const hints = ls.filter((l) => l.startsWith('Hint: '))
  const ok = errs.length === 1 && hints.length <= 1 && ls.length === errs.length + hints.length && !stderr.includes('    at ')
  return {error: errs[0] ?? '', hint: hints[0], ok}
}

export function makeTempDir(prefix = 'ir-cli-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, {recursive: true, force: true})
}

/** Copies a file into dir (mode 0600 so the copy is writable even when the source is read-only). */
export function copyInto(src: string, dir: string, name = path.basename(src)): string {
  const dst = path.join(dir, name)
  fs.copyFileSync(src, dst)
  fs.chmodSync(dst, 0o600)
  return dst
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

export interface FlockHolder {
  release(): Promise<void>
}

/** Holds `flock -x FILE` in a child until released; resolves once the lock is really held. */
export async function holdFlock(file: string): Promise<FlockHolder> {
  const child = spawn('/usr/bin/flock', ['-x', file, '-c', 'echo locked; exec cat'], {stdio: ['pipe', 'pipe', 'inherit']})
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('flock(1) did not take the lock within 5 s')), 5000)
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('locked')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  return {
    release: async () => {
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}
