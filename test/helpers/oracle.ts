/**
 * The Go oracle (test/oracle, built against Debian's bbolt 1.3.6). Every file
 * our writer produces in tests must pass its check; its dump is the reference.
 */
import {spawn, spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const ORACLE_DIR = path.join(ROOT, 'test/oracle')
export const ORACLE_BIN = path.join(ORACLE_DIR, 'bin/oracle')
export const SHARED = path.resolve(ROOT, '../shared')
/**
 * The real influxd.bolt files (InfluxDB's own test data, never committed
 * here): ../shared/fixtures/influxd, or the directory INFLUX_RECOVER_FIXTURES names.
 */
export const FIXTURES = process.env.INFLUX_RECOVER_FIXTURES ? path.resolve(process.env.INFLUX_RECOVER_FIXTURES) : path.join(SHARED, 'fixtures/influxd')

/** The files the tests read from FIXTURES, and where upstream keeps each (CONTRIBUTING.md). */
export const FIXTURE_SOURCES: ReadonlyArray<[file: string, upstream: string]> = [
  ['influxd-v2.8-v2.9.bolt', 'influxdata/influxdb v2.9.1 cmd/influxd/recovery/testhelper/influxd.bolt.testdata'],
  ['influxd-v2.1-v2.7.bolt', 'influxdata/influxdb v2.7.12 cmd/influxd/recovery/testhelper/influxd.bolt.testdata'],
]

/** Why the fixtures cannot be used, or undefined: names each missing file and where it comes from. */
export function missingFixtures(dir = FIXTURES): string | undefined {
  const missing = FIXTURE_SOURCES.filter(([f]) => !fs.existsSync(path.join(dir, f)))
  if (missing.length === 0) return undefined
  return `the real fixtures are missing in ${dir}: ${missing.map(([f, up]) => `${f} (${up})`).join(', ')}; place them there or name their directory with INFLUX_RECOVER_FIXTURES (see CONTRIBUTING.md)`
}

/** Builds the oracle (GOPATH mode against Debian's packages). Throws when Go or bbolt is missing. */
export function buildOracle(): void {
  const r = spawnSync('go', ['build', '-o', ORACLE_BIN, '.'], {
    cwd: ORACLE_DIR,
    env: {...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? path.join(ROOT, '.tmp/gocache')},
    encoding: 'utf8',
  })
  if (r.error || r.status !== 0) {
    throw new Error(`cannot build the Go oracle (need golang-go, golang-github-coreos-bbolt-dev, golang-golang-x-sys-dev): ${r.error?.message ?? r.stderr}`)
  }
}

export interface OracleResult {
  status: number
  stdout: string
  stderr: string
}

export function oracle(...args: string[]): OracleResult {
  const r = spawnSync(ORACLE_BIN, args, {encoding: 'utf8', maxBuffer: 1 << 30})
  if (r.error) throw r.error
  return {status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

/** Runs the oracle's check; returns its output when clean, throws with the findings otherwise. */
export function oracleCheck(file: string): string {
  const r = oracle('check', file)
  if (r.status !== 0) throw new Error(`oracle check failed (exit ${r.status}) for ${file}:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

export function oracleDump(file: string): string[] {
  const r = oracle('dump', file)
  if (r.status !== 0) throw new Error(`oracle dump failed for ${file}: ${r.stderr}`)
  return r.stdout.split('\n').filter((l) => l.length > 0)
}

/** Fails (never skips) when ../shared is missing: the real fixtures are required. */
export function fixture(name: string): string {
  return path.join(FIXTURES, name)
}

export interface BboltHolder {
  pid: number
  /** the first line the holder printed ("holding FILE (pid P, txid N)") */
  banner: string
  /** whether it is still running */
  running(): boolean
  /** SIGTERM, then waits for it; resolves with its exit code (0 = it closed the file cleanly) */
  release(): Promise<number | null>
}

/**
 * Starts `oracle hold FILE`: Go bbolt opens FILE read-write, i.e. holds
 * flock(LOCK_EX) on it exactly as a running influxd does. Resolves once the
 * lock is held.
 */
export async function holdWithBbolt(file: string, seconds?: number): Promise<BboltHolder> {
  const child = spawn(ORACLE_BIN, ['hold', file, ...(seconds === undefined ? [] : [String(seconds)])], {stdio: ['ignore', 'pipe', 'pipe']})
  let exitCode: number | null | undefined
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exitCode = code
    resolve(code)
  }))
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const banner = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`oracle hold did not hold ${file} within 10 s: ${stderr}`))
    }, 10_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl !== -1 && out.startsWith('holding ')) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`oracle hold exited (${code}) before holding ${file}: ${stderr}`))
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  return {
    pid: child.pid!,
    banner,
    running: () => exitCode === undefined,
    release: async () => {
      if (exitCode !== undefined) return exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
