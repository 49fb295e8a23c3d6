// v1 auth list / create / set-password / set-active / set-inactive / delete
// on copies of both real fixtures and on engine-built files: every record
// compared with hand-written bytes of what influxd's v1 authorization
// service writes, Go's check and Go writing the file after every write, the
// refusals with their exit codes, the safe-write rules, the doctor's v1
// check, and the password never leaving the process.
import * as fs from 'node:fs'
import * as path from 'node:path'
import bcrypt from 'bcryptjs'
import {afterAll, describe, expect, it} from 'vitest'

import {buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {auditLines, contents, diff, get, goWritesAfter} from '../helpers/kv.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-v1-auth-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_USER = '08371db1dd8c8000'
const MYBUCKET = '7451ab8b9b7df592'
const MONITORING = '35227829a87926d7'
const BCRYPT_2A_10 = /^\$2a\$10\$[./A-Za-z0-9]{53}$/
// A zone with a half-hour offset and no daylight saving time: the timestamps must carry it.
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
const SECOND_USER = '0b1c2d3e4f506172'

/** A 2.8+ file: admin owns acme (one bucket); reader is a member; org "other" has its own bucket and two owners. */
function built(extra: Partial<InfluxFileSpec> = {}): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  const file = path.join(dir, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}, {id: SECOND_USER, name: 'reader'}],
    orgs: [{id: ORG, name: 'acme'}, {id: OTHER_ORG, name: 'other'}],
    owners: [{userID: USER, orgID: ORG}, {userID: USER, orgID: OTHER_ORG}, {userID: SECOND_USER, orgID: OTHER_ORG}],
    buckets: [{id: ACME_BUCKET, orgID: ORG, name: 'metrics'}, {id: OTHER_BUCKET, orgID: OTHER_ORG, name: 'theirs'}],
    tokens: [{id: '0c00000000001000', token: TOKENS.operator, description: "admin's Token", orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
    ...extra,
  })
  goAccepts(file)
  return file
}

function v1(file: string, args: string[], input = '', env: Record<string, string> = {}): CliResult {
  return runCli(['v1', 'auth', ...args, '--bolt-path', file], {input, env: {...TZ, ...env}})
}

/** The error contract: one Error line (and a hint), the exit code, nothing on stdout, no file changed. */
function refused(file: string, r: CliResult, exit: number, message: RegExp): void {
  expect(r.status, r.stderr).toBe(exit)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.error).toMatch(message)
  expect(r.stdout).toBe('')
  void file
}

/** Nothing anywhere says the secret: output, the audit log, file names. */
function expectNoLeak(file: string, secret: string, results: CliResult[]): void {
  for (const r of results) {
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(secret)
      expect(out).not.toMatch(/\$2[aby]\$/)
    }
  }
  const dir = path.dirname(file)
  for (const name of fs.readdirSync(dir)) expect(name).not.toContain(secret)
  const audit = path.join(dir, 'influx-recover.audit.jsonl')
  if (fs.existsSync(audit)) {
    const text = fs.readFileSync(audit, 'utf8')
    expect(text).not.toContain(secret)
    expect(text).not.toMatch(/\$2[aby]\$/)
  }
}

/** The one v1 record influxd writes for these inputs, by hand: only ID and times are left to fill in. */
function expectedRecord(id: string, time: string, o: {username: string; descriptionJson: string; orgID: string; userID: string; perms: string; status?: string; createdAt?: string}): string {
  return `{"id":"${id}","token":${JSON.stringify(o.username)},"status":"${o.status ?? 'active'}","description":${o.descriptionJson},"orgID":"${o.orgID}","userID":"${o.userID}","permissions":[${o.perms}],"createdAt":"${o.createdAt ?? time}","updatedAt":"${time}"}`
}

function backupsIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.influx-recover-\d{8}T\d{6}Z(?:-\d+)?\.bak$/.test(n)).sort()
}

const bucketPerm = (action: string, bucket: string, org: string): string => `{"action":"${action}","resource":{"type":"buckets","id":"${bucket}","orgID":"${org}"}}`

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`v1 auth on the ${label}`, () => {
    it('create: the record, index entry and password influxd writes; nothing else changes', () => {
      const file = copyOf(src)
      const before = contents(file)
      const secret = 'Grafana-Pa55word!'
      const start = Date.now()
      const r = v1(file, ['create', '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--write-bucket', MONITORING, '--description', '<Grafana & co>', '--password-stdin', '--json'], `${secret}\n`)
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      const doc = JSON.parse(r.stdout)
      const id: string = doc.authorization.id
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expect(BigInt(`0x${id}`)).toBeGreaterThanOrEqual(1000n)
      expect(doc).toMatchObject({dryRun: false, operation: 'create', password: 'set'})
      expect(doc.authorization).toMatchObject({username: 'grafana', status: 'active', userID: FIX_USER, userName: 'testuser', orgID: FIX_ORG, orgName: 'myorg', password: true})

      const after = contents(file)
      expect(diff(before, after)).toEqual([
        `legacy/authorizationPasswordv1 ${id}`,
        `legacy/authorizationindexv1 grafana`,
        `legacy/authorizationsv1 ${id}`,
      ])
      const record = get(after, 'legacy/authorizationsv1', id)!
      const time = /"createdAt":"([^"]+)"/.exec(record)![1]!
      expect(time).toMatch(LOCAL_TIME)
      expect(Date.parse(time)).toBeGreaterThanOrEqual(start - 1000)
      expect(Date.parse(time)).toBeLessThanOrEqual(Date.now() + 1000)
      // Go's encoding/json escapes <, > and &; the user defaults to the org's only owner
      expect(record).toBe(expectedRecord(id, time, {
        username: 'grafana', descriptionJson: '"\\u003cGrafana \\u0026 co\\u003e"', orgID: FIX_ORG, userID: FIX_USER,
        perms: `${bucketPerm('read', MYBUCKET, FIX_ORG)},${bucketPerm('write', MONITORING, FIX_ORG)}`,
      }))
      expect(get(after, 'legacy/authorizationindexv1', 'grafana')).toBe(id)
      const hash = get(after, 'legacy/authorizationPasswordv1', id)!
      expect(hash).toMatch(BCRYPT_2A_10)
      expect(bcrypt.compareSync(secret, hash)).toBe(true)
      expect(bcrypt.compareSync(`${secret}!`, hash)).toBe(false)

      // the audit line names the write, never the password
      const audit = auditLines(file)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({command: 'v1 auth create', outcome: 'ok'})
      expect(audit[0]!.ids).toContain(id)
      expect(backupsIn(path.dirname(file))).toHaveLength(1)
      expectNoLeak(file, secret, [r])

      // listed with the names, the permissions and "password set"; never the hash
      const list = v1(file, ['list', '--json'])
      expect(list.status, list.stderr).toBe(0)
      expect(JSON.parse(list.stdout)).toEqual([{
        id, username: 'grafana', description: '<Grafana & co>', status: 'active', userID: FIX_USER, userName: 'testuser', orgID: FIX_ORG, orgName: 'myorg',
        password: true, permissions: [{action: 'read', resource: {type: 'buckets', id: MYBUCKET, orgID: FIX_ORG}}, {action: 'write', resource: {type: 'buckets', id: MONITORING, orgID: FIX_ORG}}],
        createdAt: time, updatedAt: time,
      }])
      const table = v1(file, ['list'])
      expect(table.stdout).toMatch(/^ID +Username +Description +Status +User +Org +Password +Permissions$/m)
      expect(table.stdout).toContain(`read:orgs/${FIX_ORG}/buckets/${MYBUCKET} write:orgs/${FIX_ORG}/buckets/${MONITORING}`)
      expectNoLeak(file, secret, [list, table])
    })

    it('refusals: duplicate user name (1), missing bucket, org or user (5), a bucket name for an ID, bad user names, no permission (2); nothing written', () => {
      const file = copyOf(src)
      expect(v1(file, ['create', '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--no-password']).status).toBe(0)
      const sum = sha256(file)
      const pw = 'long-enough-password\n'
      refused(file, v1(file, ['create', '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin'], pw), 1, /authorization with username "grafana" already exists/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df593', '--password-stdin'], pw), 5, /bucket ID 7451ab8b9b7df593 does not exist; the buckets of org "myorg": .*mybucket \(7451ab8b9b7df592\)/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'nosuchorg', '--read-bucket', MYBUCKET, '--password-stdin'], pw), 5, /org "nosuchorg" does not exist; the orgs in the file: "myorg"/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--user', 'nobody', '--read-bucket', MYBUCKET, '--password-stdin'], pw), 5, /user "nobody" does not exist/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--read-bucket', 'mybucket', '--password-stdin'], pw), 2, /invalid bucket ID "mybucket"/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--password-stdin'], pw), 2, /authorization must include permissions/)
      refused(file, v1(file, ['create', '--username', 'g2 ', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin'], pw), 2, /v1 user name "g2 " cannot be used: it starts or ends with white space/)
      refused(file, v1(file, ['create', '--username', 'g\u202e2', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin'], pw), 2, /"g\\u202e2" cannot be used: it contains the control or invisible formatting character U\+202E/)
      expect(sha256(file)).toBe(sum)
    }, 180_000)

    it('refusals: passwords of the wrong length, none, no org, bad or unknown IDs and names, no confirmation (2, 5); nothing written', () => {
      const file = copyOf(src)
      expect(v1(file, ['create', '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--no-password']).status).toBe(0)
      const sum = sha256(file)
      const pw = 'long-enough-password\n'
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin'], 'seven77\n'), 2, /passwords must be between 8 and 72 characters long/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin'], `${'é'.repeat(37)}\n`), 2, /passwords must be between 8 and 72/)
      refused(file, v1(file, ['create', '--username', 'g2', '--org', 'myorg', '--read-bucket', MYBUCKET]), 2, /no password given \(not a terminal/)
      refused(file, v1(file, ['create', '--username', 'g2', '--read-bucket', MYBUCKET, '--no-password']), 2, /no org given/)
      refused(file, v1(file, ['set-password', '--id', 'xyz', '--password-stdin'], pw), 2, /invalid v1 authorization ID "xyz"/)
      refused(file, v1(file, ['set-password', '--id', '0000000000abcdef', '--password-stdin'], pw), 5, /v1 authorization 0000000000abcdef does not exist; the v1 user names in the file: "grafana"/)
      refused(file, v1(file, ['set-password', '--username', 'nobody', '--password-stdin'], pw), 5, /no v1 authorization has the user name "nobody"/)
      refused(file, v1(file, ['set-active']), 2, /id or username required/)
      refused(file, v1(file, ['delete', '--username', 'grafana']), 2, /refusing to delete the v1 login grafana .* without confirmation/)
      refused(file, v1(file, ['set-inactive', '--username', 'grafana']), 2, /without confirmation/)
      refused(file, v1(file, ['list', '--username', 'nobody']), 5, /no v1 authorization has the user name "nobody"/)
      refused(file, v1(file, ['list', '--org', 'nosuchorg']), 5, /org "nosuchorg" does not exist/)
      expect(sha256(file)).toBe(sum)
    }, 180_000)

    it('set-password changes only the password entry; set-inactive / set-active only status and updatedAt', () => {
      const file = copyOf(src)
      const created = JSON.parse(v1(file, ['create', '--username', 'telegraf', '--org', 'myorg', '--user', 'testuser', '--write-bucket', MYBUCKET, '--no-password', '--json']).stdout)
      const id: string = created.authorization.id
      let before = contents(file)
      expect(get(before, 'legacy/authorizationPasswordv1', id)).toBeUndefined()
      expect(created.password).toBe('none')

      const pwFile = path.join(path.dirname(file), 'telegraf.pass')
      fs.writeFileSync(pwFile, 'Telegraf-Secret-1\n', {mode: 0o600})
      let r = v1(file, ['set-password', '--username', 'telegraf', '--password-file', pwFile, '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({operation: 'set-password', password: 'set'})
      goAccepts(file)
      let after = contents(file)
      expect(diff(before, after)).toEqual([`legacy/authorizationPasswordv1 ${id}`])
      expect(bcrypt.compareSync('Telegraf-Secret-1', get(after, 'legacy/authorizationPasswordv1', id)!)).toBe(true)
      r = v1(file, ['set-password', '--id', id, '--password-stdin', '--json'], 'Telegraf-Secret-2\n')
      expect(JSON.parse(r.stdout).password).toBe('changed')
      expect(bcrypt.compareSync('Telegraf-Secret-2', get(contents(file), 'legacy/authorizationPasswordv1', id)!)).toBe(true)
      expectNoLeak(file, 'Telegraf-Secret-2', [r])

      before = contents(file)
      const record = get(before, 'legacy/authorizationsv1', id)!
      const start = Date.now()
      r = v1(file, ['set-inactive', '--id', id, '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      after = contents(file)
      expect(diff(before, after)).toEqual([`legacy/authorizationsv1 ${id}`])
      const inactive = get(after, 'legacy/authorizationsv1', id)!
      const updated = /"updatedAt":"([^"]+)"/.exec(inactive)![1]!
      expect(updated).toMatch(LOCAL_TIME)
      expect(Date.parse(updated)).toBeGreaterThanOrEqual(start - 1000)
      // every other byte as before: the status and updatedAt only
      expect(inactive).toBe(record.replace('"status":"active"', '"status":"inactive"').replace(/"updatedAt":"[^"]+"/, `"updatedAt":"${updated}"`))
      // already inactive: nothing written, exit 0
      const sum = sha256(file)
      r = v1(file, ['set-inactive', '--username', 'telegraf', '--yes'])
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/already inactive: nothing was written/)
      expect(sha256(file)).toBe(sum)
      r = v1(file, ['set-active', '--username', 'telegraf'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      const active = get(contents(file), 'legacy/authorizationsv1', id)!
      expect(active.replace(/"updatedAt":"[^"]+"/, '')).toBe(record.replace(/"updatedAt":"[^"]+"/, ''))
      expect(get(contents(file), 'legacy/authorizationindexv1', 'telegraf')).toBe(id)
    })

    it('delete removes the record, the index entry and the password (influxd would leave the password); dry run first', () => {
      const file = copyOf(src)
      const pristine = contents(file)
      const id: string = JSON.parse(v1(file, ['create', '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin', '--json'], 'Grafana-Pa55word!\n').stdout).authorization.id
      const sum = sha256(file)
      const backups = backupsIn(path.dirname(file)).length
      let r = v1(file, ['delete', '--username', 'grafana', '--dry-run'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain(`remove legacy/authorizationsv1[${id}]`)
      expect(r.stdout).toContain('remove legacy/authorizationindexv1[grafana]')
      expect(r.stdout).toContain(`remove legacy/authorizationPasswordv1[${id}] = (bcrypt hash, not shown)`)
      expect(sha256(file)).toBe(sum)
      expect(backupsIn(path.dirname(file))).toHaveLength(backups)
      r = v1(file, ['delete', '--id', id, '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({operation: 'delete', password: 'removed', authorization: {id, username: 'grafana'}})
      goAccepts(file)
      expect(diff(pristine, contents(file))).toEqual([])
      expect(auditLines(file).map((a) => a.command)).toEqual(['v1 auth create', 'v1 auth delete'])
    })
  })
}

describe('v1 auth on engine-built files', () => {
  it('the user defaults to the only owner; several owners or none: exit 2 asking for --user; another org\'s bucket: exit 5', () => {
    const file = built()
    const sum = sha256(file)
    refused(file, v1(file, ['create', '--username', 'g', '--org', 'other', '--read-bucket', OTHER_BUCKET, '--no-password']), 2, /org "other" has 2 owners \("admin", "reader"\)/)
    refused(file, v1(file, ['create', '--username', 'g', '--org', 'acme', '--read-bucket', OTHER_BUCKET, '--no-password']), 5, /bucket 2a2b2c2d2e2f3031 \("theirs"\) belongs to another org; the buckets of org "acme": metrics \(3a3b3c3d3e3f4041\)/)
    expect(sha256(file)).toBe(sum)
    const r = v1(file, ['create', '--username', 'g', '--org', 'other', '--user-id', SECOND_USER, '--read-bucket', OTHER_BUCKET, '--read-bucket', OTHER_BUCKET, '--no-password', '--json'])
    expect(r.status, r.stderr).toBe(0)
    // a repeated bucket grants nothing more: kept once
    expect(JSON.parse(r.stdout).authorization.permissions).toEqual([{action: 'read', resource: {type: 'buckets', id: OTHER_BUCKET, orgID: OTHER_ORG}}])
    expect(JSON.parse(r.stdout).authorization.userName).toBe('reader')
    goAccepts(file)

    const noOwner = built({owners: []})
    refused(noOwner, v1(noOwner, ['create', '--username', 'g', '--org', 'acme', '--read-bucket', ACME_BUCKET, '--no-password']), 2, /org "acme" has no owner/)
  })

  it('a user whose status is not exactly "active" gets a note: influxd refuses v1 logins of such users', () => {
    const file = built({users: [{id: USER, name: 'admin', status: ''}, {id: SECOND_USER, name: 'reader'}]})
    const r = v1(file, ['create', '--username', 'g', '--org', 'acme', '--read-bucket', ACME_BUCKET, '--no-password'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/note: user "admin" has status "": influxd refuses v1 logins .*user active --username "admin"/)
    goAccepts(file)
  })

  it('delete cleans up what influxd\'s own delete leaves: an orphaned password (by --id), a dangling index entry (by --username); doctor reports both', () => {
    const ORPHAN = '0d00000000002000'
    const DANGLING = '0d00000000003000'
    const file = built({
      legacy: [{id: '0d00000000001000', username: 'ok', orgID: ORG, userID: USER, perms: bucketPerm('read', ACME_BUCKET, ORG)}],
      legacyPasswords: [['0d00000000001000', '$2a$10$PgvhXFogiRsXVHQxcHKEMOBRqI7yhTfiDMIQIKx1FaLMdM6LN0ND6'], [ORPHAN, '$2a$10$PgvhXFogiRsXVHQxcHKEMOBRqI7yhTfiDMIQIKx1FaLMdM6LN0ND6']],
      extraIndex: [['legacy/authorizationindexv1', 'gone', DANGLING]],
    })
    let d = runCli(['doctor', '--bolt-path', file, '--json'])
    expect(d.status).toBe(1)
    let check = JSON.parse(d.stdout).checks.find((c: {name: string}) => c.name === 'v1auth')
    expect(check.verdict).toBe('FAIL')
    expect(check.message).toMatch(/^1 v1 login\(s\): 1 active, 1 with a password; 1 problem\(s\): index entry "gone" leads to 0d00000000003000, which does not exist/)
    expect(check.details).toContain(`password ${ORPHAN} belongs to no v1 login (influxd's delete leaves it behind)`)

    const before = contents(file)
    let r = v1(file, ['delete', '--username', 'gone', '--yes'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/removed what an earlier delete left behind \(its user name index entry\)/)
    r = v1(file, ['delete', '--id', ORPHAN, '--yes'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/\(its password\)/)
    goAccepts(file)
    expect(diff(before, contents(file))).toEqual([`legacy/authorizationPasswordv1 ${ORPHAN}`, 'legacy/authorizationindexv1 gone'])
    d = runCli(['doctor', '--bolt-path', file, '--json'])
    check = JSON.parse(d.stdout).checks.find((c: {name: string}) => c.name === 'v1auth')
    expect(check).toMatchObject({verdict: 'PASS', message: '1 v1 login(s): 1 active, 1 with a password; index and passwords consistent'})
    // nothing left of it: exit 5
    refused(file, v1(file, ['delete', '--id', ORPHAN, '--yes']), 5, /does not exist/)
  })

  it('an undecodable login can be deleted by ID (with every index entry leading to it); doctor fails on it first', () => {
    const BAD = '0d00000000004000'
    const file = built({extraIndex: [['legacy/authorizationsv1', BAD, '{"id":"0d00000000004000","token":'], ['legacy/authorizationindexv1', 'broken', BAD]]})
    const d = JSON.parse(runCli(['doctor', '--bolt-path', file, '--json']).stdout).checks.find((c: {name: string}) => c.name === 'v1auth')
    expect(d.verdict).toBe('FAIL')
    refused(file, v1(file, ['set-password', '--id', BAD, '--password-stdin'], 'long-enough-pw\n'), 4, /v1 authorization 0d00000000004000: its record cannot be decoded/)
    const list = JSON.parse(v1(file, ['list', '--json']).stdout)
    expect(list).toEqual([{id: BAD, error: expect.stringMatching(/legacy\/authorizationsv1/)}])
    const r = v1(file, ['delete', '--id', BAD, '--yes'])
    expect(r.status, r.stderr).toBe(0)
    goAccepts(file)
    expect(contents(file).get('legacy/authorizationsv1')!.size).toBe(0)
    expect(contents(file).get('legacy/authorizationindexv1')!.size).toBe(0)
  })

  it('token hashing never touches v1 logins: auth hash-upgrade leaves the three legacy buckets byte for byte', () => {
    const file = built()
    expect(v1(file, ['create', '--username', 'grafana', '--org', 'acme', '--read-bucket', ACME_BUCKET, '--password-stdin'], 'Grafana-Pa55word!\n').status).toBe(0)
    const before = contents(file)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup', '--json'])
    expect(r.status, r.stderr).toBe(0)
    goAccepts(file)
    const after = contents(file)
    for (const b of ['legacy/authorizationsv1', 'legacy/authorizationindexv1', 'legacy/authorizationPasswordv1']) expect(after.get(b)).toEqual(before.get(b))
    // and the v2 token was hashed (the command did run)
    expect([...after.get('authorizationhashedindexv1')!.keys()]).toEqual([hashOf(TOKENS.operator)])
  })

  it('exits 3 while influxd holds the file; a failed verification is undone (exit 6) and audited', async () => {
    const file = built()
    const sum = sha256(file)
    const holder = await holdFlock(file)
    try {
      const r = v1(file, ['create', '--username', 'g', '--org', 'acme', '--read-bucket', ACME_BUCKET, '--no-password', '--lock-timeout', '0'])
      expect(r.status).toBe(3)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(sum)
    const before = contents(file)
    const r = v1(file, ['create', '--username', 'g', '--org', 'acme', '--read-bucket', ACME_BUCKET, '--no-password'], '', {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'})
    expect(r.status).toBe(6)
    expect(r.stderr).toMatch(/the write was undone/)
    goAccepts(file)
    expect(diff(before, contents(file))).toEqual([])
    expect(auditLines(file).map((a) => a.outcome)).toEqual(['undone'])
  })

  it('list filters: by v2 user, org, ID and user name; an empty file says so', () => {
    const file = built({
      legacy: [
        {id: '0d00000000001000', username: 'a', orgID: ORG, userID: USER, perms: bucketPerm('read', ACME_BUCKET, ORG)},
        {id: '0d00000000002000', username: 'b', orgID: OTHER_ORG, userID: SECOND_USER, perms: bucketPerm('read', OTHER_BUCKET, OTHER_ORG), status: 'inactive'},
      ],
    })
    const ids = (args: string[]): string[] => JSON.parse(v1(file, ['list', ...args, '--json']).stdout).map((x: {id: string}) => x.id)
    expect(ids([])).toEqual(['0d00000000001000', '0d00000000002000'])
    expect(ids(['--user', 'reader'])).toEqual(['0d00000000002000'])
    expect(ids(['--org-id', ORG])).toEqual(['0d00000000001000'])
    expect(ids(['--username', 'b'])).toEqual(['0d00000000002000'])
    expect(ids(['--id', '0d00000000001000', '--org', 'other'])).toEqual([])
    const csv = v1(file, ['list', '--format', 'csv']).stdout.split('\n')
    expect(csv[0]).toBe('id,username,description,status,user,org,password,permissions,userID,orgID,createdAt,updatedAt,error')
    expect(csv[2]).toMatch(/^0d00000000002000,b,v1 user,inactive,reader,other,none,/)
    const empty = copyOf(V29)
    const r = v1(empty, ['list'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/no v1 authorizations/)
  })
})
