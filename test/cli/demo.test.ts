// fixtures/demo.bolt is an influxd.bolt as InfluxDB 2.8/2.9 leaves it, made
// by fixtures/make-demo.ts with the tests' influxd builder: the README's first
// command (doctor, then auth list) runs on it without a FAIL.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DEMO_TOKENS, makeEngineDemo, makeInfluxdDemo} from '../../fixtures/make-demo.js'
import {makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {oracleCheck, oracleDump, ROOT} from '../helpers/oracle.js'

const DEMO = path.join(ROOT, 'fixtures/demo.bolt')
let tmp: string

beforeAll(() => {
  tmp = makeTempDir('ir-demo-')
})

afterAll(() => removeDir(tmp))

describe('fixtures/demo.bolt', () => {
  it('is what fixtures/make-demo.ts makes (both demo files, byte for byte)', () => {
    makeInfluxdDemo(path.join(tmp, 'demo.bolt'))
    makeEngineDemo(path.join(tmp, 'engine-demo.bolt'))
    expect(sha256(path.join(tmp, 'demo.bolt'))).toBe(sha256(DEMO))
    expect(sha256(path.join(tmp, 'engine-demo.bolt'))).toBe(sha256(path.join(ROOT, 'fixtures/engine-demo.bolt')))
  })

  it('passes the Go check and holds an influxd 2.8/2.9 schema', () => {
    oracleCheck(DEMO)
    const buckets = oracleDump(DEMO)
      .map((l) => JSON.parse(l) as {type: string; path: string[]})
      .filter((e) => e.type === 'bucket')
      .map((e) => e.path.map((p) => Buffer.from(p, 'base64').toString('utf8')).join('/'))
    expect(buckets).toEqual(expect.arrayContaining(['authorizationsv1', 'authorizationindexv1', 'authorizationhashedindexv1', 'legacy/authorizationsv1', 'migrationsv1', 'usersv1', 'organizationsv1']))
  })

  it('doctor: no FAIL, exit 0', () => {
    const before = sha256(DEMO)
    const r = runCli(['doctor', '--bolt-path', DEMO])
    expect(r.status).toBe(0)
    expect(r.stdout).not.toMatch(/^FAIL/m)
    expect(r.stdout).toMatch(/^PASS +schema +InfluxDB 2\.8 or later/m)
    expect(r.stdout).toMatch(/^PASS +records +12 token\(s\), 1 legacy v1 authorization\(s\), 3 user\(s\), 2 org\(s\)/m)
    expect(r.stdout).toMatch(/^PASS +operator /m)
    expect(sha256(DEMO)).toBe(before)
  })

  it('auth list: a dozen tokens of two orgs and three users, operator, all-access and custom, raw and hashed', () => {
    const r = runCli(['auth', 'list', '--bolt-path', DEMO, '--json'])
    expect(r.status).toBe(0)
    const rows = JSON.parse(r.stdout) as {id: string; kind: string; status: string; tokenState: string; userName: string; orgName: string}[]
    expect(rows.map((t) => [t.id, t.kind])).toEqual(DEMO_TOKENS.map((t) => [t.id, t.kind]))
    expect(new Set(rows.map((t) => t.orgName))).toEqual(new Set(['acme', 'lab']))
    expect(new Set(rows.map((t) => t.userName))).toEqual(new Set(['admin', 'alice', 'bob']))
    expect(rows.filter((t) => t.tokenState === 'hashed').map((t) => t.id)).toEqual(DEMO_TOKENS.filter((t) => t.hashed).map((t) => t.id))
    expect(rows.filter((t) => t.status === 'inactive')).toHaveLength(1)
    expect(fs.statSync(DEMO).size).toBe(65536)
  })
})
