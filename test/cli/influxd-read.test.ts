// The read-only InfluxDB commands on the real files and on files built with
// our engine: auth list, user list, org list (every format) and doctor.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {allAccessPerms, buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {ORACLE_BIN, fixture, oracleCheck} from '../helpers/oracle.js'
import {DB} from '../../src/bbolt/index.js'

const tmp = makeTempDir('ir-influxd-read-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')

// Upstream's expected `influxd recovery auth list` output (cmd/influxd/recovery/auth/auth_test.go, v2.9.1 and v2.7.12)
const HEADER = 'ID\t\t\tUser Name\tUser ID\t\t\tDescription\t\t\tToken\t\t\t\t\t\t\t\t\t\t\t\tPermissions\n'
const CUSTOM_ROW = "08371deae98c8000\ttestuser\t08371db1dd8c8000\ttestuser's read buckets token\t4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==\t[read:orgs/dd7cd2292f6e974a/buckets]\n"
const OPERATOR_29 = "08371db24dcc8000\ttestuser\t08371db1dd8c8000\ttestuser's Token\t\tA9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==\t[read:annotations write:annotations read:authorizations write:authorizations read:buckets write:buckets read:checks write:checks read:dashboards write:dashboards read:dbrp write:dbrp read:documents write:documents read:labels write:labels read:notebooks write:notebooks read:notificationEndpoints write:notificationEndpoints read:notificationRules write:notificationRules read:orgs write:orgs read:scrapers write:scrapers read:secrets write:secrets read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables read:views write:views read:remotes write:remotes read:replications write:replications]\n"
const OPERATOR_27 = "08371db24dcc8000\ttestuser\t08371db1dd8c8000\ttestuser's Token\t\tA9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==\t[read:authorizations write:authorizations read:buckets write:buckets read:dashboards write:dashboards read:orgs write:orgs read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables read:scrapers write:scrapers read:secrets write:secrets read:labels write:labels read:views write:views read:documents write:documents read:notificationRules write:notificationRules read:notificationEndpoints write:notificationEndpoints read:checks write:checks read:dbrp write:dbrp read:notebooks write:notebooks read:annotations write:annotations]\n"

function build(name: string, spec: InfluxFileSpec): string {
  const file = path.join(tmp, name)
  buildInfluxFile(file, spec)
  oracleCheck(file)
  return file
}

const base: InfluxFileSpec = {
  migrations: 21,
  users: [{id: USER, name: 'admin'}],
  orgs: [{id: ORG, name: 'acme'}],
  owners: [{userID: USER, orgID: ORG}],
}

describe('auth list on the real files', () => {
  it('--format influxd equals upstream\'s expected table byte for byte (2.8–2.9 file)', () => {
    const r = runCli(['auth', 'list', '--bolt-path', V29, '--format', 'influxd'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(HEADER + OPERATOR_29 + CUSTOM_ROW)
  })

  it('also reads the 2.1–2.7 file (influxd 2.9 cannot), with 2.7\'s expected table', () => {
    const r = runCli(['auth', 'list', '--bolt-path', V27, '--format', 'influxd'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(HEADER + OPERATOR_27 + CUSTOM_ROW)
  })

  it('json: every field, kinds by permission set, names resolved', () => {
    for (const file of [V29, V27]) {
      const r = runCli(['auth', 'list', '--bolt-path', file, '--json'])
      expect(r.status).toBe(0)
      const rows = JSON.parse(r.stdout)
      expect(rows.map((x: {id: string; kind: string; tokenState: string; userName: string; orgName: string}) => [x.id, x.kind, x.tokenState, x.userName, x.orgName])).toEqual([
        ['08371db24dcc8000', 'operator', 'raw', 'testuser', 'myorg'],
        ['08371deae98c8000', 'custom', 'raw', 'testuser', 'myorg'],
      ])
      expect(rows[0].token).toMatch(/^A9Ovdl8SmP-.*==$/)
      expect(rows[1].permissions).toEqual([{action: 'read', resource: {type: 'buckets', orgID: 'dd7cd2292f6e974a'}}])
      expect(rows[1].createdAt).toBe('2021-09-28T08:56:23.718372-04:00')
      expect(Object.keys(rows[0])).toEqual(['id', 'description', 'status', 'kind', 'tokenState', 'token', 'userID', 'userName', 'orgID', 'orgName', 'permissions', 'createdAt', 'updatedAt'])
    }
  })

  it('filters and --redact; table, yaml and csv formats', () => {
    const op = JSON.parse(runCli(['auth', 'list', '--bolt-path', V29, '--operator', '--json', '--redact']).stdout)
    expect(op).toHaveLength(1)
    expect(op[0].token).toBeUndefined()
    expect(JSON.parse(runCli(['auth', 'list', '--bolt-path', V29, '--id', '08371DEAE98C8000', '--json']).stdout)).toHaveLength(1)
    // a user that does not exist is an error naming the users, as in the write commands (not an empty list)
    const nobody = runCli(['auth', 'list', '--bolt-path', V29, '--user', 'nobody', '--json'])
    expect(nobody.status).toBe(5)
    expect(JSON.parse(nobody.stdout)).toMatchObject({error: {exitCode: 5, message: 'user "nobody" does not exist; the users in the file: "testuser"'}})
    expect(JSON.parse(runCli(['auth', 'list', '--bolt-path', V29, '--org', 'myorg', '--json']).stdout)).toHaveLength(2)

    const table = runCli(['auth', 'list', '--bolt-path', V29]).stdout.split('\n')
    expect(table[0]).toMatch(/^ID\s+Description\s+User\s+Org\s+Kind\s+Status\s+Token state\s+Token$/)
    expect(table[1]).toContain('operator')
    const redacted = runCli(['auth', 'list', '--bolt-path', V29, '--redact']).stdout
    expect(redacted).not.toContain('A9Ovdl8SmP')
    expect(runCli(['auth', 'list', '--bolt-path', V29, '--redact', '--format', 'influxd']).stdout).not.toContain('A9Ovdl8SmP')

    const yaml = runCli(['auth', 'list', '--bolt-path', V29, '--format', 'yaml']).stdout
    expect(yaml).toMatch(/^- id: 08371db24dcc8000$/m)
    const csv = runCli(['auth', 'list', '--bolt-path', V29, '--format', 'csv']).stdout.trim().split('\n')
    expect(csv[0].split(',').slice(0, 8)).toEqual(['id', 'description', 'user', 'org', 'kind', 'status', 'tokenState', 'token'])
    expect(csv).toHaveLength(3)
    expect(runCli(['auth', 'list', '--bolt-path', V29, '--format', 'xml']).status).toBe(2)
  })

  it('user list and org list match influxd recovery\'s tables', () => {
    expect(runCli(['user', 'list', '--bolt-path', V29, '--format', 'influxd']).stdout).toBe('ID\t\t\tName\n08371db1dd8c8000\ttestuser\n')
    expect(runCli(['org', 'list', '--bolt-path', V27, '--format', 'influxd']).stdout).toBe('ID\t\t\tName\ndd7cd2292f6e974a\tmyorg\n')
    expect(JSON.parse(runCli(['user', 'list', '--bolt-path', V27, '--json']).stdout)).toEqual([{id: '08371db1dd8c8000', name: 'testuser', status: 'active', hasPassword: true}])
    expect(JSON.parse(runCli(['org', 'list', '--bolt-path', V29, '--json']).stdout)[0]).toMatchObject({id: 'dd7cd2292f6e974a', name: 'myorg'})
  })

  it('never changes the file, never creates a missing one, and exits 3 while influxd holds it', async () => {
    const copy = copyInto(V29, tmp, 'ro.bolt')
    const before = sha256(copy)
    for (const args of [['auth', 'list'], ['user', 'list'], ['org', 'list'], ['doctor']]) {
      expect(runCli([...args, '--bolt-path', copy]).status).toBe(0)
    }
    expect(sha256(copy)).toBe(before)
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('ro.bolt'))).toEqual(['ro.bolt'])

    const missing = path.join(tmp, 'nope', 'influxd.bolt')
    const r = runCli(['auth', 'list', '--bolt-path', missing])
    expect(r.status).toBe(5)
    expect(fs.existsSync(missing)).toBe(false)
    expect(fs.existsSync(path.dirname(missing))).toBe(false)

    const holder = await holdFlock(copy)
    try {
      for (const args of [['auth', 'list'], ['doctor'], ['user', 'list']]) {
        const locked = runCli([...args, '--bolt-path', copy, '--lock-timeout', '0.3'])
        expect(locked.status).toBe(3)
        expect(locked.stderr).toMatch(/^Error: .*in use.*influxd/m)
        expect(locked.stderr).not.toMatch(/\n\s+at /)
      }
    } finally {
      await holder.release()
    }
  })
})

describe('auth list checks the token bucket as it reads it', () => {
  // 1,500 tokens: the JSON listing is several 64 KB chunks, so damage at the
  // end of the bucket is met after output went out
  const big = path.join(tmp, 'tokens-1500.bolt')
  let lastLeaf = 0
  let firstLeaf = 0
  let usersRoot = 0
  const pageSize = 4096
  it('setup: a Go-made file of 1,500 tokens', () => {
    expect(spawnSync(ORACLE_BIN, ['gen-influx', big, '1500']).status).toBe(0)
    const db = DB.open(big, {readOnly: true})
    try {
      db.view((tx) => {
        const leafAt = (end: 'first' | 'last'): number => {
          let p = tx.page(tx.bucket(Buffer.from('authorizationsv1'))!.rootPgid())
          while (p.isBranch) p = tx.page(p.branchPgid(end === 'first' ? 0 : p.count - 1))
          return p.id
        }
        firstLeaf = leafAt('first')
        lastLeaf = leafAt('last')
        usersRoot = tx.bucket(Buffer.from('usersv1'))!.rootPgid()
      })
    } finally {
      db.close()
    }
    expect(db.pageSize).toBe(pageSize)
    expect(lastLeaf).not.toBe(firstLeaf)
    expect(usersRoot).toBeGreaterThan(1)
  })

  /** A copy of the file with one page's flags set to an invalid type. */
  function damaged(name: string, page: number): string {
    const file = path.join(tmp, name)
    const bytes = fs.readFileSync(big)
    bytes.writeUInt16LE(0x40, page * pageSize + 8)
    fs.writeFileSync(file, bytes)
    return file
  }

  it('a damaged last leaf: --json stops there with exit 4 and one error line, its array left unclosed (never a whole answer)', () => {
    const file = damaged('last-leaf.bolt', lastLeaf)
    const r = runCli(['auth', 'list', '--json', '--bolt-path', file])
    expect(r.status).toBe(4)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(new RegExp(`does not pass the consistency check \\(first problem: page ${lastLeaf} .*invalid type`))
    expect(r.stdout.startsWith('[\n  {')).toBe(true)
    expect(() => JSON.parse(r.stdout)).toThrow()
    // every other format collects the rows first: nothing printed
    for (const format of ['table', 'yaml', 'csv', 'influxd']) {
      const t = runCli(['auth', 'list', '--format', format, '--bolt-path', file])
      expect([t.status, t.stdout, errorLines(t.stderr).ok]).toEqual([4, '', true])
    }
  })

  it('with --id the token bucket is checked before the ID is looked up in it: exit 4, never "does not exist"', () => {
    const file = damaged('last-leaf-id.bolt', lastLeaf)
    for (const id of ['0000000000000001', 'ffffffffffffff00']) {
      const r = runCli(['auth', 'list', '--json', '--id', id, '--bolt-path', file])
      expect(r.status).toBe(4)
      expect(errorLines(r.stderr).error).toMatch(/refusing to read: .* does not pass the consistency check/)
    }
  })

  it('a damaged first leaf: --json refuses before any token, with its JSON error document', () => {
    const r = runCli(['auth', 'list', '--json', '--bolt-path', damaged('first-leaf.bolt', firstLeaf)])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).ok).toBe(true)
    expect(JSON.parse(r.stdout).error.exitCode).toBe(4)
  })

  it('a damaged users page is found before the listing starts (the names it prints come from there)', () => {
    const r = runCli(['auth', 'list', '--json', '--bolt-path', damaged('users.bolt', usersRoot)])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).error).toMatch(/refusing to read: .* does not pass the consistency check/)
    expect(JSON.parse(r.stdout).error.exitCode).toBe(4)
  })

  it('the undamaged file: all 1,500 tokens, in key order', () => {
    const r = runCli(['auth', 'list', '--json', '--bolt-path', big])
    expect(r.status).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{id: string}>
    expect(rows.length).toBe(1500)
    const ids = rows.map((x) => x.id)
    expect([...ids].sort()).toEqual(ids)
  })
})

describe('files built with our engine', () => {
  it('hashed, mixed, sha512 and raw tokens: states, kinds and influxd\'s REDACTED', () => {
    const file = build('mixed.bolt', {
      ...base,
      tokens: [
        {id: '0000000000001001', token: TOKENS.operator, orgID: ORG, userID: USER, perms: operatorPerms('2.2+'), description: 'op'},
        {id: '0000000000001002', token: TOKENS.allAccess, hashed: 'sha256', orgID: ORG, userID: USER, perms: allAccessPerms('2.2+', ORG, USER), description: 'all'},
        {id: '0000000000001003', token: TOKENS.custom, hashed: 'sha512', orgID: ORG, userID: USER, perms: '{"action":"read","resource":{"type":"buckets","orgID":"' + ORG + '"}}', description: 'custom', status: 'inactive'},
      ],
    })
    const rows = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout)
    expect(rows.map((r: Record<string, string>) => [r.kind, r.tokenState, r.status])).toEqual([['operator', 'raw', 'active'], ['all-access', 'hashed', 'active'], ['custom', 'hashed', 'inactive']])
    expect(rows[1].token).toBeUndefined()
    expect(rows[1].hashedToken).toBe(hashOf(TOKENS.allAccess))
    expect(rows[2].hashedToken).toBe(hashOf(TOKENS.custom, 'sha512'))
    const table = runCli(['auth', 'list', '--bolt-path', file, '--format', 'influxd']).stdout
    expect(table.match(/REDACTED/g)).toHaveLength(2)
    expect(table).toContain(TOKENS.operator)

    const doc = runCli(['doctor', '--bolt-path', file, '--json'])
    expect(doc.status).toBe(0)
    const checks = Object.fromEntries(JSON.parse(doc.stdout).checks.map((c: {name: string; verdict: string; message: string}) => [c.name, c]))
    expect(checks.hashing.message).toMatch(/1 raw, 2 hashed \(1 sha256, 1 sha512\)/)
    expect(checks.indexes.verdict).toBe('PASS')
    expect(checks.operator.verdict).toBe('PASS')
  })

  it('permission sets of 2.0, 2.1 and 2.2+ are all recognized as operator and all-access', () => {
    const tokens = (['2.0', '2.1', '2.2+'] as const).flatMap((lvl, i) => [
      {id: `000000000000200${i}`, token: `op-${i}`.padEnd(86, 'x') + '==', orgID: ORG, userID: USER, perms: operatorPerms(lvl)},
      {id: `000000000000300${i}`, token: `aa-${i}`.padEnd(86, 'y') + '==', orgID: ORG, userID: USER, perms: allAccessPerms(lvl, ORG, USER)},
    ])
    const file = build('levels.bolt', {...base, migrations: 17, tokens})
    const rows = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout)
    expect(rows.map((r: {kind: string}) => r.kind)).toEqual(['operator', 'operator', 'operator', 'all-access', 'all-access', 'all-access'])
    expect(runCli(['auth', 'list', '--bolt-path', file, '--operator', '--json']).stdout).not.toContain('aa-')
  })

  it('doctor finds broken indexes, dangling users, undecodable records and a missing operator', () => {
    const file = build('broken.bolt', {
      ...base,
      users: [{id: USER, name: 'admin'}, {id: '0a1b2c3d4e5f6072', name: 'gone', status: 'inactive'}],
      tokens: [
        {id: '0000000000001001', token: TOKENS.custom, orgID: ORG, userID: USER, perms: '{"action":"read","resource":{"type":"buckets"}}', noIndex: true},
        {id: '0000000000001002', token: TOKENS.allAccess, orgID: ORG, userID: '0a1b2c3d4e5f6073', perms: '{"action":"read","resource":{"type":"orgs"}}'},
        {id: '0000000000001003', token: TOKENS.operator, orgID: ORG, userID: '0a1b2c3d4e5f6072', perms: operatorPerms('2.2+')},
        {id: '0000000000001004', orgID: ORG, perms: '', rawValue: '{"id":"0000000000001004","token":"x",'},
      ],
      extraIndex: [['authorizationindexv1', 'stale-token', '0000000000009999'], ['authorizationhashedindexv1', hashOf('other'), '0000000000001002']],
    })
    const r = runCli(['doctor', '--bolt-path', file])
    expect(r.status).toBe(1)
    const out = r.stdout
    expect(out).toMatch(/^FAIL\s+records\s+1 record\(s\) cannot be decoded/m)
    expect(out).toMatch(/^FAIL\s+indexes\s+/m)
    expect(out).toContain('authorization 0000000000001001: raw token has no index entry')
    expect(out).toContain('points at missing authorization 0000000000009999')
    expect(out).toMatch(/hashed index entry .* for authorization 0000000000001002 does not match its hash/)
    expect(out).toMatch(/^WARN\s+owners\s+/m)
    expect(out).toContain('user 0a1b2c3d4e5f6073 does not exist')
    expect(out).toContain('user gone is inactive')
    // its only operator token belongs to an inactive user: nobody can administer the instance
    expect(out).toMatch(/^FAIL\s+operator\s+no usable operator token \(1 operator token\(s\) that cannot be used\)/m)
    expect(out).toContain('operator token 0000000000001003 its user gone is inactive')
    expect(out).toContain('auth create-operator --bolt-path')
    expect(out).toContain('--username "admin" --org "acme"')
    // the undecodable record is listed, not dropped
    const rows = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout)
    expect(rows.find((x: {id: string}) => x.id === '0000000000001004').error).toMatch(/authorizationsv1/)
  })

  it('doctor: hashed tokens on a file without the hashed index, legacy v1 tokens, copies beside the file', () => {
    const dir = makeTempDir('ir-doctor-')
    try {
      const file = path.join(dir, 'influxd.bolt')
      buildInfluxFile(file, {
        ...base,
        migrations: 20,
        tokens: [{id: '0000000000001001', token: TOKENS.operator, hashed: 'sha256', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
        legacy: [{id: '0000000000001010', username: 'telegraf', orgID: ORG, userID: USER, perms: '{"action":"write","resource":{"type":"buckets","orgID":"' + ORG + '"}}'}],
      })
      fs.writeFileSync(path.join(dir, 'influxd.bolt.pre-2.9.1-upgrade.backup'), 'x')
      const r = runCli(['doctor', '--bolt-path', file, '--json'])
      expect(r.status).toBe(1)
      const checks = Object.fromEntries(JSON.parse(r.stdout).checks.map((c: {name: string}) => [c.name, c]))
      expect(checks.schema.message).toMatch(/2\.3/)
      expect(checks.hashing.verdict).toBe('FAIL')
      expect(checks.records.message).toMatch(/1 legacy v1/)
      expect(checks.copies.verdict).toBe('WARN')
      expect(checks.copies.details[0]).toMatch(/pre-2\.9\.1-upgrade\.backup$/)
    } finally {
      removeDir(dir)
    }
  })

  it('doctor finds the plaintext of a hashed token left in unused pages', () => {
    const file = build('remnant.bolt', {
      ...base,
      tokens: [{id: '0000000000001001', token: TOKENS.operator, orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
    })
    // hash it the way a naive rewrite would: the old pages keep the plaintext
    const before = runCli(['doctor', '--bolt-path', file, '--json'])
    expect(JSON.parse(before.stdout).checks.find((c: {name: string}) => c.name === 'remnants').verdict).toBe('PASS')
    const hashed = `{"id":"0000000000001001","hashedToken":"${hashOf(TOKENS.operator)}","status":"active","description":"","orgID":"${ORG}","userID":"${USER}","permissions":[${operatorPerms('2.2+')}],"createdAt":"2024-01-02T03:04:05.25-05:00","updatedAt":"2024-01-02T03:04:05.25-05:00"}`
    const ops = [
      {op: 'put', path: ['authorizationsv1'], key: '0000000000001001', value: hashed},
      {op: 'delete', path: ['authorizationindexv1'], key: TOKENS.operator},
      {op: 'put', path: ['authorizationhashedindexv1'], key: hashOf(TOKENS.operator), value: '0000000000001001'},
    ].map((o) => JSON.stringify(o)).join('\n')
    expect(runCli(['bolt', 'apply', file, '--ops', '-', '--yes', '--no-backup'], {input: ops}).status).toBe(0)
    const after = runCli(['doctor', '--bolt-path', file, '--json'])
    const remnants = JSON.parse(after.stdout).checks.find((c: {name: string}) => c.name === 'remnants')
    expect(remnants.verdict).toBe('FAIL')
    expect(remnants.details).toEqual(['token 0000000000001001'])
    expect(after.stdout).not.toContain(TOKENS.operator)
  })
})

describe('doctor: what the walkthrough found', () => {
  const checksOf = (file: string): Record<string, {verdict: string; message: string; hint?: string; details?: string[]}> =>
    Object.fromEntries(JSON.parse(runCli(['doctor', '--bolt-path', file, '--json']).stdout).checks.map((c: {name: string}) => [c.name, c]))

  it('--bolt-path DIR says the path is a directory: no search list, no advice to pass --bolt-path', () => {
    const dir = makeTempDir('ir-doctor-dir-')
    try {
      for (const args of [['doctor'], ['auth', 'list']]) {
        const r = runCli([...args, '--bolt-path', dir])
        const text = r.stdout + r.stderr
        expect(text).toContain(`${dir} (--bolt-path) is a directory, not a bbolt file`)
        expect(text).not.toMatch(/looked at|INFLUXD_BOLT_PATH|--bolt-path FILE|cannot be opened/)
        expect(text).toContain('influx-recover locate')
      }
      // a directory holding the file: the file is named
      copyInto(V29, dir, 'influxd.bolt')
      const r = runCli(['doctor', '--bolt-path', dir])
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+file\\s+${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(--bolt-path\\) is a directory, not a bbolt file\n\\s+next: it holds ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/influxd\\.bolt\n$`))
    } finally {
      removeDir(dir)
    }
  })

  it('indexes FAIL: its message does not repeat the first problem; next is a command', () => {
    const file = build('stale-index.bolt', {
      ...base,
      tokens: [
        {id: '0000000000001001', token: TOKENS.operator, orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0000000000001002', token: TOKENS.custom, orgID: ORG, userID: USER, perms: '{"action":"read","resource":{"type":"buckets"}}', noIndex: true},
      ],
    })
    const c = checksOf(file).indexes!
    expect(c.verdict).toBe('FAIL')
    expect(c.details![0]).toBe('authorization 0000000000001002: raw token has no index entry (influxd cannot find it)')
    expect(c.message).not.toContain(c.details![0]!)
    expect(c.hint).toMatch(new RegExp(`^influx-recover auth rotate --bolt-path "${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" --id 0000000000001002 `))
    const text = runCli(['doctor', '--bolt-path', file]).stdout
    expect(text.split(c.details![0]!).length - 1).toBe(1)
  })

  it('operator does not PASS when the only operator token cannot be used; WARN when another one can', () => {
    const op = (over: Partial<{status: string; userID: string; orgID: string}> = {}) =>
      ({id: '0000000000001001', token: TOKENS.operator, orgID: ORG, userID: USER, perms: operatorPerms('2.2+'), description: 'op', ...over})
    const cases: Array<[string, InfluxFileSpec, RegExp]> = [
      ['inactive-token', {...base, tokens: [op({status: 'inactive'})]}, /operator token 0000000000001001 \("op"\) is inactive/],
      ['user-inactive', {...base, users: [{id: USER, name: 'admin', status: 'inactive'}, {id: '0a1b2c3d4e5f6072', name: 'other'}], tokens: [op()]}, /its user admin is inactive/],
      ['user-missing', {...base, tokens: [op({userID: '0a1b2c3d4e5f6079'})]}, /its user 0a1b2c3d4e5f6079 does not exist/],
      ['org-missing', {...base, tokens: [op({orgID: '0a1b2c3d4e5f6099'})]}, /its org 0a1b2c3d4e5f6099 does not exist/],
    ]
    for (const [name, spec, why] of cases) {
      const file = build(`${name}.bolt`, spec)
      const c = checksOf(file).operator!
      expect(c.verdict, name).toBe('FAIL')
      expect(c.details, name).toEqual([expect.stringMatching(why)])
      expect(c.hint, name).toMatch(/^influx-recover auth create-operator --bolt-path ".*" --username "(admin|other)" --org "acme"$/)
      expect(runCli(['doctor', '--bolt-path', file]).status, name).toBe(1)
    }
    const file = build('one-of-two.bolt', {...base, tokens: [op({status: 'inactive'}), {...op(), id: '0000000000001002', token: TOKENS.allAccess, description: 'op2'}]})
    const c = checksOf(file).operator!
    expect(c.verdict).toBe('WARN')
    expect(c.message).toMatch(/^operator token 0000000000001002 \("op2"\) of user admin is usable; 1 operator token\(s\) that cannot be used$/)
    expect(c.details).toEqual(['operator token 0000000000001001 ("op") is inactive'])
  })
})
