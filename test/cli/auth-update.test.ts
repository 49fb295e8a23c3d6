// auth update on copies of both real fixtures and on engine-built raw and
// hashed files: the record compared with hand-written bytes (only the
// description, the permissions and updatedAt change; the token or hash, its
// index entries, status, user, org and createdAt stay byte for byte), the
// same validation as auth create, the last-operator guard, no-ops, dry run,
// Go's check and Go writing the file after every write.
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {auditLines, contents, diff, get, goWritesAfter} from '../helpers/kv.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-auth-update-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_OPERATOR = '08371db24dcc8000'
const FIX_CUSTOM = '08371deae98c8000'
const FIX_CUSTOM_TOKEN = '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ=='
const MYBUCKET = '7451ab8b9b7df592'
const TZ = {TZ: 'Asia/Kolkata'}
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d*[1-9])?\+05:30$/

/** Go's check passes, and Go's bbolt can keep writing the file (a copy). */
function goAccepts(file: string): void {
  oracleCheck(file)
  goWritesAfter(file)
}

let seq = 0
function copyOf(src: string): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  return copyInto(src, dir, 'influxd.bolt')
}

const OTHER_ORG = '1f1e1d1c1b1a1918'
const OTHER_BUCKET = '2a2b2c2d2e2f3031'
const ACME_BUCKET = '3a3b3c3d3e3f4041'
const CUSTOM = `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`

function built(spec: Partial<InfluxFileSpec> = {}): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  const file = path.join(dir, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}],
    orgs: [{id: ORG, name: 'acme'}, {id: OTHER_ORG, name: 'other'}],
    owners: [{userID: USER, orgID: ORG}],
    buckets: [{id: ACME_BUCKET, orgID: ORG, name: 'metrics'}, {id: OTHER_BUCKET, orgID: OTHER_ORG, name: 'theirs'}],
    tokens: [
      {id: '0c00000000001000', token: TOKENS.operator, description: "admin's Token", orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      {id: '0c00000000003000', token: TOKENS.custom, hashed: 'sha256', description: 'custom', orgID: ORG, userID: USER, perms: CUSTOM},
    ],
    ...spec,
  })
  goAccepts(file)
  return file
}

function update(file: string, args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(['auth', 'update', '--bolt-path', file, ...args], {env: {...TZ, ...env}})
}

function refused(r: CliResult, exit: number, message: RegExp): void {
  expect(r.status, r.stderr).toBe(exit)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.error).toMatch(message)
  expect(r.stdout).toBe('')
}

const perm = (action: string, type: string, org: string, id?: string): string => `{"action":"${action}","resource":{"type":"${type}",${id ? `"id":"${id}",` : ''}"orgID":"${org}"}}`

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`auth update on the ${label}`, () => {
    it('a new permission set and description: only those and updatedAt change, every other byte and the index stay', () => {
      const file = copyOf(src)
      const before = contents(file)
      const old = get(before, 'authorizationsv1', FIX_CUSTOM)!
      const start = Date.now()
      const r = update(file, ['--id', FIX_CUSTOM, '--read-bucket', MYBUCKET, '--write-bucket', MYBUCKET, '--read-dashboards', '--description', 'grafana <ro> & more', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      const doc = JSON.parse(r.stdout)
      expect(doc).toMatchObject({changed: true, dryRun: false, kind: 'custom', kindBefore: 'custom', descriptionBefore: "testuser's read buckets token"})
      expect(doc.removed).toEqual([{action: 'read', resource: {type: 'buckets', orgID: FIX_ORG}}])
      expect(doc.added).toHaveLength(3)
      const after = contents(file)
      expect(diff(before, after)).toEqual([`authorizationsv1 ${FIX_CUSTOM}`])
      const rec = get(after, 'authorizationsv1', FIX_CUSTOM)!
      const updated = /"updatedAt":"([^"]+)"/.exec(rec)![1]!
      expect(updated).toMatch(LOCAL_TIME)
      expect(Date.parse(updated)).toBeGreaterThanOrEqual(start - 1000)
      expect(Date.parse(updated)).toBeLessThanOrEqual(Date.now() + 1000)
      expect(rec).toBe(`{"id":"${FIX_CUSTOM}","token":"${FIX_CUSTOM_TOKEN}","status":"active","description":"grafana \\u003cro\\u003e \\u0026 more","orgID":"${FIX_ORG}","userID":"08371db1dd8c8000","permissions":[${perm('read', 'buckets', FIX_ORG, MYBUCKET)},${perm('write', 'buckets', FIX_ORG, MYBUCKET)},${perm('read', 'dashboards', FIX_ORG)}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"${updated}"}`)
      // the same record as before but for those three fields
      const strip = (s: string): string => s.replace(/"description":"[^"]*",/, '').replace(/"permissions":\[.*\],"createdAt"/, '"createdAt"').replace(/"updatedAt":"[^"]+"/, '')
      expect(strip(rec)).toBe(strip(old))
      expect(get(after, 'authorizationindexv1', FIX_CUSTOM_TOKEN)).toBe(FIX_CUSTOM)
      expect(auditLines(file)).toMatchObject([{command: 'auth update', outcome: 'ok', ids: [FIX_CUSTOM]}])
      expect(fs.readFileSync(path.join(path.dirname(file), 'influx-recover.audit.jsonl'), 'utf8')).not.toContain(FIX_CUSTOM_TOKEN)
      expect(r.stdout + r.stderr).not.toContain(FIX_CUSTOM_TOKEN)
    })

    it('the same set again (any order) and the same description write nothing; a dry run shows the permission diff', () => {
      const file = copyOf(src)
      const sum = sha256(file)
      let r = update(file, ['--id', FIX_CUSTOM, '--read-buckets', '--description', "testuser's read buckets token"])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/already has this description and these permissions: nothing was written/)
      r = update(file, ['--id', FIX_CUSTOM, '--read-bucket', MYBUCKET, '--dry-run'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain(`  - read:orgs/${FIX_ORG}/buckets\n  + read:orgs/${FIX_ORG}/buckets/${MYBUCKET}\n`)
      expect(r.stdout).toMatch(/dry run: "auth update" would make these changes/)
      expect(r.stdout).toContain(`change authorizationsv1[${FIX_CUSTOM}] = {"id":"${FIX_CUSTOM}","token":"(token with sha256 fingerprint `)
      expect(r.stdout).not.toContain(FIX_CUSTOM_TOKEN)
      expect(sha256(file)).toBe(sum)
      expect(auditLines(file)).toEqual([])
    })

    it('the last active operator token is not narrowed without --force (1); --force does it, with a note', () => {
      const file = copyOf(src)
      const sum = sha256(file)
      refused(update(file, ['--id', FIX_OPERATOR, '--read-buckets', '--yes']), 1, /refusing to narrow 08371db24dcc8000: it is the last active operator token/)
      expect(sha256(file)).toBe(sum)
      // the operator set again, or a new description only, are no narrowing
      expect(update(file, ['--id', FIX_OPERATOR, '--operator', '--description', 'ops', '--yes']).status).toBe(0)
      const r = update(file, ['--id', FIX_OPERATOR, '--read-buckets', '--force', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({kind: 'custom', kindBefore: 'operator'})
      expect(r.stderr).toMatch(/was the last active operator token/)
      goAccepts(file)
    })
  })
}

describe('auth update: validation as auth create', () => {
  it('refusals: unknown type for the schema, unknown or foreign bucket, mixed --operator, nothing given, bad or unknown ID, no --yes', () => {
    const v27 = copyOf(V27)
    const sum27 = sha256(v27)
    refused(update(v27, ['--id', FIX_CUSTOM, '--read-remotes', '--yes']), 2, /resource type "remotes" does not exist in this file's schema/)
    expect(sha256(v27)).toBe(sum27)
    const file = built()
    const sum = sha256(file)
    refused(update(file, ['--id', '0c00000000003000', '--read-bucket', OTHER_BUCKET, '--yes']), 5, /bucket 2a2b2c2d2e2f3031 \("theirs"\) belongs to another org/)
    refused(update(file, ['--id', '0c00000000003000', '--read-bucket', '2a2b2c2d2e2f3032', '--yes']), 5, /bucket ID 2a2b2c2d2e2f3032 does not exist/)
    refused(update(file, ['--id', '0c00000000003000', '--operator', '--read-buckets', '--yes']), 2, /cannot compose other permissions with operator permissions/)
    refused(update(file, ['--id', '0c00000000003000', '--yes']), 2, /nothing to update/)
    refused(update(file, ['--id', '0c0000000000300', '--description', 'x', '--yes']), 2, /invalid authorization ID "0c0000000000300"/)
    refused(update(file, ['--id', '0c00000000009999', '--description', 'x', '--yes']), 5, /authorization 0c00000000009999 does not exist/)
    refused(update(file, ['--id', '0c00000000003000', '--description', 'x']), 2, /refusing to update authorization 0c00000000003000 .* without confirmation/)
    expect(sha256(file)).toBe(sum)
  }, 180_000)

  it('a hashed token keeps its hashedToken and hashed index entry; --all-access builds the set for its user and org', () => {
    const file = built()
    const before = contents(file)
    const old = get(before, 'authorizationsv1', '0c00000000003000')!
    const r = update(file, ['--id', '0c00000000003000', '--all-access', '--yes', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({kind: 'all-access', kindBefore: 'custom', tokenState: 'hashed'})
    goAccepts(file)
    const after = contents(file)
    expect(diff(before, after)).toEqual(['authorizationsv1 0c00000000003000'])
    const rec = get(after, 'authorizationsv1', '0c00000000003000')!
    expect(rec.startsWith(`{"id":"0c00000000003000","hashedToken":"${hashOf(TOKENS.custom)}","status":"active","description":"custom","orgID":"${ORG}","userID":"${USER}","permissions":[{"action":"read","resource":{"type":"authorizations","orgID":"${ORG}"}},`)).toBe(true)
    expect(rec).toContain(`{"action":"read","resource":{"type":"orgs","id":"${ORG}"}}`)
    expect(rec).toContain(`{"action":"write","resource":{"type":"users","id":"${USER}"}}`)
    expect(rec).toContain('"createdAt":"2024-01-02T03:04:05.25-05:00","updatedAt":"')
    expect(old).toContain('"createdAt":"2024-01-02T03:04:05.25-05:00"')
    expect(get(after, 'authorizationhashedindexv1', hashOf(TOKENS.custom))).toBe('0c00000000003000')
  })

  it('narrowing one of two operator tokens needs no --force', () => {
    const file = built({tokens: [
      {id: '0c00000000001000', token: TOKENS.operator, description: 'one', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      {id: '0c00000000002000', token: TOKENS.allAccess, description: 'two', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
    ]})
    const r = update(file, ['--id', '0c00000000001000', '--read-bucket', ACME_BUCKET, '--yes'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ID +Description +User +Org +Status +Kind$/m)
    expect(r.stdout).toMatch(/operator -> custom/)
    expect(r.stdout).toMatch(/permissions \(44 -> 1\):/)
    goAccepts(file)
  })
})
