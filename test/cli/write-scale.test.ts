// Writes cost what they change: a single-record write on a file of 10,000
// tokens decodes a bounded number of authorization records (counted by the
// decoder, reported by the test hook count-decodes), whatever the number of
// tokens, and the file still passes Go's check. The last-operator guard
// reads the tokens only until it meets another operator.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeTempDir, removeDir, runCli, type CliResult} from '../helpers/cli.js'
import {ORACLE_BIN, oracleCheck} from '../helpers/oracle.js'

const N = 10_000
let tmp: string
let base: string
let rows: Array<{id: string; kind: string; status: string; tokenState: string; userName: string | null}>

beforeAll(() => {
  tmp = makeTempDir('ir-write-scale-')
  base = path.join(tmp, 'base.bolt')
  // an influxd 2.8/2.9 file: admin in myorg, 1 in 100 tokens operator, 1 in 10 all-access
  const gen = spawnSync(ORACLE_BIN, ['gen-influx', base, String(N)], {encoding: 'utf8'})
  expect(gen.status, gen.stderr).toBe(0)
  const list = runCli(['auth', 'list', '--json', '--bolt-path', base])
  expect(list.status, list.stderr).toBe(0)
  rows = JSON.parse(list.stdout)
  expect(rows).toHaveLength(N)
}, 120_000)
afterAll(() => removeDir(tmp))

let copies = 0
const copy = (): string => {
  const f = path.join(tmp, `w${copies++}.bolt`)
  fs.copyFileSync(base, f)
  return f
}

/** Runs the CLI with the decode counter on; returns the result and the count. */
function counted(args: string[], input?: string): {r: CliResult; decoded: number} {
  const r = runCli(args, {env: {INFLUX_RECOVER_TEST_HOOKS: 'count-decodes'}, ...(input !== undefined ? {input} : {})})
  const m = /test hook: authorization records decoded: (\d+)/.exec(r.stderr)
  expect(m, r.stderr).not.toBeNull()
  return {r, decoded: Number(m![1])}
}

describe(`single-record writes on a file of ${N} tokens`, () => {
  it('create-operator decodes at most 2 authorization records (its own, read back in the trial and after the commit)', () => {
    const file = copy()
    const {r, decoded} = counted(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'myorg', '--no-backup', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(decoded).toBeLessThanOrEqual(2)
    const created = JSON.parse(r.stdout) as {id: string}
    const after = JSON.parse(runCli(['auth', 'list', '--json', '--bolt-path', file, '--id', created.id]).stdout) as Array<{kind: string; tokenState: string}>
    expect(after).toMatchObject([{kind: 'operator', tokenState: 'raw'}])
    oracleCheck(file)
  })

  it('create, rotate, active, inactive and delete of a custom token decode a handful of records, not the file', () => {
    const custom = rows.find((x) => x.kind === 'custom' && x.status === 'active')!
    const file = copy()
    const steps: Array<[string[], number]> = [
      [['auth', 'create', '--bolt-path', file, '--username', 'admin', '--org', 'myorg', '--read-buckets', '--no-backup'], 2],
      [['auth', 'rotate', '--bolt-path', file, '--id', custom.id, '--yes', '--no-backup'], 4],
      [['auth', 'inactive', '--bolt-path', file, '--id', custom.id, '--yes', '--no-backup'], 5],
      [['auth', 'active', '--bolt-path', file, '--id', custom.id, '--no-backup'], 5],
      [['auth', 'delete', '--bolt-path', file, '--id', custom.id, '--yes', '--no-backup'], 2],
    ]
    for (const [args, most] of steps) {
      const {r, decoded} = counted(args)
      expect(r.status, `${args[1]}: ${r.stderr}`).toBe(0)
      expect(decoded, args[1]).toBeLessThanOrEqual(most)
    }
    oracleCheck(file)
  })

  it('the last-operator guard of inactive reads the tokens only up to another operator', () => {
    const operators = rows.filter((x) => x.kind === 'operator' && x.status === 'active' && x.tokenState !== 'none')
    expect(operators.length).toBeGreaterThan(2)
    const file = copy()
    // the guard walks in key order from the first token: the second operator stops it
    const target = operators[operators.length - 1]!
    const stop = rows.findIndex((x) => x.id === operators[0]!.id)
    const {r, decoded} = counted(['auth', 'inactive', '--bolt-path', file, '--id', target.id, '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    // records with "authorizations" in them up to the first operator (trial and real run), plus the target's own reads
    expect(decoded).toBeLessThan(2 * (stop + 1) + 6)
    expect(decoded).toBeLessThan(N / 10)
    oracleCheck(file)
  })

  it('user create and set-password decode no authorization', () => {
    const file = copy()
    const c = counted(['user', 'create', '--bolt-path', file, '--username', 'scale-user', '--password-stdin', '--no-backup'], 'a-long-password\n')
    expect(c.r.status, c.r.stderr).toBe(0)
    expect(c.decoded).toBe(0)
    const s = counted(['user', 'set-password', '--bolt-path', file, '--username', 'scale-user', '--password-stdin', '--no-backup'], 'another-password\n')
    expect(s.r.status, s.r.stderr).toBe(0)
    expect(s.decoded).toBe(0)
    oracleCheck(file)
  })
})
