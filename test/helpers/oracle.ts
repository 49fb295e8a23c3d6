/**
 * The Go oracle (test/oracle, built against Debian's bbolt 1.3.6). Every file
 * our writer produces in tests must pass its check; its dump is the reference.
 */
import {spawnSync} from 'node:child_process'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const ORACLE_DIR = path.join(ROOT, 'test/oracle')
export const ORACLE_BIN = path.join(ORACLE_DIR, 'bin/oracle')
export const SHARED = path.resolve(ROOT, '../shared')
export const FIXTURES = path.join(SHARED, 'fixtures/influxd')

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
