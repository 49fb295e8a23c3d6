// user rename / active / inactive / delete on copies of both real fixtures
// and on engine-built files: the records compared with hand-written bytes of
// what influxd's tenant store writes, exactly the entries influxd touches
// (and, for a forced delete, the user's tokens and v1 logins), the guards
// (last operator, tokens owned, last owner), the refusals with their exit
// codes, Go's check and Go writing the file after every write.
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {buildInfluxFile, operatorPerms, ORG, TOKENS, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {auditLines, contents, diff, get, goWritesAfter} from '../helpers/kv.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-user-admin-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_USER = '08371db1dd8c8000'
const FIX_OPERATOR = '08371db24dcc8000'
const FIX_CUSTOM = '08371deae98c8000'
const FIX_TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]
const MYBUCKET = '7451ab8b9b7df592'

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

const READER = '0b1c2d3e4f506172'
const OPS = '0c1d2e3f40516273'

function built(spec: Partial<InfluxFileSpec> = {}): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  const file = path.join(dir, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}, {id: READER, name: 'reader'}, {id: OPS, name: 'ops', status: ''}],
    orgs: [{id: ORG, name: 'acme'}],
    owners: [{userID: USER, orgID: ORG}],
    members: [{userID: READER, orgID: ORG}],
    tokens: [{id: '0c00000000001000', token: TOKENS.operator, description: "admin's Token", orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
    ...spec,
  })
  goAccepts(file)
  return file
}

function user(file: string, args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(['user', ...args, '--bolt-path', file], {env})
}

function refused(r: CliResult, exit: number, message: RegExp): void {
  expect(r.status, r.stderr).toBe(exit)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.error).toMatch(message)
  expect(r.stdout).toBe('')
}

const fingerprint = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex')

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`user administration on the ${label}`, () => {
    it('rename: the record with the new name, the old index key gone and the new one added, nothing else', () => {
      const file = copyOf(src)
      const before = contents(file)
      const r = user(file, ['rename', '--username', 'testuser', '--name', 'alice', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({operation: 'rename', changed: true, previousName: 'testuser', user: {id: FIX_USER, name: 'alice', status: 'active'}})
      goAccepts(file)
      const after = contents(file)
      expect(diff(before, after)).toEqual([`userindexv1 alice`, `userindexv1 testuser`, `usersv1 ${FIX_USER}`])
      expect(get(after, 'usersv1', FIX_USER)).toBe(`{"id":"${FIX_USER}","name":"alice","status":"active"}`)
      expect(get(after, 'userindexv1', 'alice')).toBe(FIX_USER)
      expect(get(after, 'userindexv1', 'testuser')).toBeUndefined()
      // the same name again: nothing written
      const sum = sha256(file)
      const same = user(file, ['rename', '--id', FIX_USER, '--name', 'alice', '--yes'])
      expect(same.status).toBe(0)
      expect(same.stdout).toMatch(/already named "alice": nothing was written/)
      expect(sha256(file)).toBe(sum)
      expect(auditLines(file)).toMatchObject([{command: 'user rename', outcome: 'ok', ids: [FIX_USER]}])
    })

    it('rename refusals: a taken name (1), names that cannot be written, a bad ID (2), an unknown user (5), no --yes (2)', () => {
      const file = copyOf(src)
      expect(runCli(['user', 'create', '--bolt-path', file, '--username', 'bob']).status).toBe(0)
      const sum = sha256(file)
      refused(user(file, ['rename', '--username', 'testuser', '--name', 'bob', '--yes']), 1, /user with name "bob" already exists/)
      refused(user(file, ['rename', '--username', 'testuser', '--name', ' bob2', '--yes']), 2, /the new user name " bob2" cannot be used: it starts or ends with white space/)
      refused(user(file, ['rename', '--username', 'testuser', '--name', 'bob\u001b[31m', '--yes']), 2, /"bob\\u001b\[31m" cannot be used: it contains the control or invisible formatting character U\+001B/)
      refused(user(file, ['rename', '--username', 'testuser', '--name', '', '--yes']), 2, /cannot be used: it is empty/)
      refused(user(file, ['rename', '--id', 'not-an-id', '--name', 'x', '--yes']), 2, /invalid user ID "not-an-id"/)
      refused(user(file, ['rename', '--username', 'nobody', '--name', 'x', '--yes']), 5, /user "nobody" does not exist; the users in the file: "testuser", "bob"|user "nobody" does not exist/)
      refused(user(file, ['rename', '--username', 'testuser', '--name', 'x']), 2, /refusing to rename user "testuser" to "x" without confirmation/)
      expect(sha256(file)).toBe(sum)
    }, 180_000)

    it('inactive: refused for the owner of the last operator token (1); --force writes the status, lists the tokens influxd now refuses; active restores the record byte for byte', () => {
      const file = copyOf(src)
      const before = contents(file)
      const original = get(before, 'usersv1', FIX_USER)!
      refused(user(file, ['inactive', '--username', 'testuser', '--yes']), 1, /refusing to deactivate user "testuser": it owns the last active operator token \(08371db24dcc8000\)/)
      let r = user(file, ['inactive', '--username', 'testuser', '--force', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      expect(JSON.parse(r.stdout).affectedTokens.map((t: {id: string}) => t.id)).toEqual([FIX_OPERATOR, FIX_CUSTOM])
      expect(r.stderr).toMatch(/no active operator token is usable now/)
      const after = contents(file)
      expect(diff(before, after)).toEqual([`usersv1 ${FIX_USER}`])
      expect(get(after, 'usersv1', FIX_USER)).toBe(`{"id":"${FIX_USER}","name":"testuser","status":"inactive"}`)
      // doctor sees what influxd will do with the tokens
      const owners = JSON.parse(runCli(['doctor', '--bolt-path', file, '--json']).stdout).checks.find((c: {name: string}) => c.name === 'owners')
      expect(owners.details).toContain(`token ${FIX_OPERATOR}: user testuser is inactive`)
      r = user(file, ['inactive', '--id', FIX_USER, '--yes'])
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/already inactive: nothing was written/)
      r = user(file, ['active', '--username', 'testuser'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      expect(get(contents(file), 'usersv1', FIX_USER)).toBe(original)
      expect(diff(before, contents(file))).toEqual([])
    })

    it('delete: refused while the user owns tokens or is the last owner (1); --force removes the user, its password, mapping, tokens and v1 logins', () => {
      const file = copyOf(src)
      const v1 = runCli(['v1', 'auth', 'create', '--bolt-path', file, '--username', 'grafana', '--org', 'myorg', '--read-bucket', MYBUCKET, '--password-stdin', '--json'], {input: 'Grafana-Pa55word!\n'})
      expect(v1.status, v1.stderr).toBe(0)
      const v1id: string = JSON.parse(v1.stdout).authorization.id
      const before = contents(file)
      const sum = sha256(file)
      refused(user(file, ['delete', '--username', 'testuser', '--yes']), 1,
        /refusing to delete user "testuser": it owns 3 token\(s\): token 08371db24dcc8000 \("testuser's Token"\), token 08371deae98c8000 \("testuser's read buckets token"\), v1 login [0-9a-f]{16} \("grafana"\), among them the last active operator token; it is the last owner of org "myorg"/)
      refused(user(file, ['delete', '--username', 'testuser', '--force']), 2, /without confirmation/)
      expect(sha256(file)).toBe(sum)

      const dry = user(file, ['delete', '--username', 'testuser', '--force', '--dry-run'])
      expect(dry.status, dry.stderr).toBe(0)
      expect(dry.stdout).toMatch(/would delete with the user:\n {2}token 08371db24dcc8000 \("testuser's Token"\)\n/)
      expect(dry.stdout).not.toContain(FIX_TOKENS[0])
      expect(sha256(file)).toBe(sum)

      const r = user(file, ['delete', '--username', 'testuser', '--force', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      goAccepts(file)
      const doc = JSON.parse(r.stdout)
      expect(doc.deletedTokens.map((t: {id: string; kind: string}) => `${t.kind} ${t.id}`)).toEqual([`v2 ${FIX_OPERATOR}`, `v2 ${FIX_CUSTOM}`, `v1 ${v1id}`])
      expect(doc.removedMappings).toEqual([`owner of orgs ${FIX_ORG}`])
      expect(r.stderr).toMatch(/the last active operator token was deleted with the user/)
      expect(r.stderr).toMatch(/org "myorg" has no owner now/)
      const after = contents(file)
      expect(diff(before, after)).toEqual([
        `authorizationindexv1 ${FIX_TOKENS[0]}`,
        `authorizationindexv1 ${FIX_TOKENS[1]}`,
        `authorizationsv1 ${FIX_OPERATOR}`,
        `authorizationsv1 ${FIX_CUSTOM}`,
        `legacy/authorizationPasswordv1 ${v1id}`,
        'legacy/authorizationindexv1 grafana',
        `legacy/authorizationsv1 ${v1id}`,
        'userindexv1 testuser',
        `userresourcemappingsbyuserindexv1 ${FIX_USER}/${FIX_ORG}${FIX_USER}`,
        `userresourcemappingsv1 ${FIX_ORG}${FIX_USER}`,
        `userspasswordv1 ${FIX_USER}`,
        `usersv1 ${FIX_USER}`,
      ].sort())
      // every removed entry is gone (none was merely changed)
      for (const entry of diff(before, after)) {
        const [bucket, ...key] = entry.split(' ')
        expect(get(after, bucket!, key.join(' '))).toBeUndefined()
      }
      const audit = auditLines(file).at(-1)!
      expect(audit).toMatchObject({command: 'user delete', outcome: 'ok'})
      expect(audit.ids).toEqual(expect.arrayContaining([FIX_USER, FIX_OPERATOR, FIX_CUSTOM, v1id]))
      expect(audit.tokenFingerprints).toEqual(FIX_TOKENS.map(fingerprint))
      const auditText = fs.readFileSync(path.join(path.dirname(file), 'influx-recover.audit.jsonl'), 'utf8')
      for (const t of FIX_TOKENS) expect(auditText + r.stdout + r.stderr).not.toContain(t)
    })
  })
}

describe('user administration on engine-built files', () => {
  it('delete of a member without tokens needs no --force: its mappings (also one the by-user index misses) go, the owner\'s stay', () => {
    const OTHER_ORG = '1f1e1d1c1b1a1918'
    const stray = `${OTHER_ORG}${READER}`
    const file = built({
      orgs: [{id: ORG, name: 'acme'}, {id: OTHER_ORG, name: 'other'}],
      extraIndex: [['userresourcemappingsv1', stray, `{"userID":"${READER}","userType":"member","mappingType":"user","resourceType":"orgs","resourceID":"${OTHER_ORG}"}`]],
    })
    const before = contents(file)
    const r = user(file, ['delete', '--username', 'reader', '--yes', '--json'])
    expect(r.status, r.stderr).toBe(0)
    goAccepts(file)
    expect(JSON.parse(r.stdout).removedMappings).toEqual([`member of orgs ${ORG}`, `member of orgs ${OTHER_ORG}`])
    expect(diff(before, contents(file))).toEqual([
      'userindexv1 reader',
      `userresourcemappingsbyuserindexv1 ${READER}/${ORG}${READER}`,
      `userresourcemappingsv1 ${ORG}${READER}`,
      `userresourcemappingsv1 ${stray}`,
      `usersv1 ${READER}`,
    ])
  })

  it('delete of the last owner of an org without tokens: refused (1) unless --force; refused for unknown users (5) and bad IDs (2)', () => {
    const file = built({tokens: []})
    const sum = sha256(file)
    refused(user(file, ['delete', '--username', 'admin', '--yes']), 1, /refusing to delete user "admin": it is the last owner of org "acme"/)
    refused(user(file, ['delete', '--username', 'nobody', '--yes']), 5, /user "nobody" does not exist/)
    refused(user(file, ['delete', '--id', '12345', '--yes']), 2, /invalid user ID "12345"/)
    expect(sha256(file)).toBe(sum)
    const r = user(file, ['delete', '--username', 'admin', '--force', '--yes'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/org "acme" has no owner now/)
    goAccepts(file)
  })

  it('deleting the last user and org is noted: influxd offers onboarding again', () => {
    const file = built({users: [{id: USER, name: 'admin'}], orgs: [], owners: [], members: [], tokens: []})
    const r = user(file, ['delete', '--username', 'admin', '--yes'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/no users and no orgs now: influxd offers its onboarding/)
    goAccepts(file)
  })

  it('a hostile name stored in the file never reaches the terminal raw: tables, messages and notes escape it', () => {
    const EVIL = 'r\u001b[2J\u001b[31mx'
    const file = built({
      users: [{id: USER, name: 'admin'}, {id: READER, name: EVIL}],
      legacy: [{id: '0d00000000001000', username: `v1\u001b[31m`, orgID: ORG, userID: READER, perms: `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`, description: 'd\u0007'}],
    })
    const runs = [
      user(file, ['delete', '--id', READER, '--yes']),
      user(file, ['delete', '--id', READER, '--force', '--dry-run']),
      user(file, ['inactive', '--id', READER, '--yes', '--dry-run']),
      runCli(['v1', 'auth', 'list', '--bolt-path', file]),
      user(file, ['rename', '--id', READER, '--name', 'clean', '--yes']),
    ]
    expect(runs.map((r) => r.status)).toEqual([1, 0, 0, 0, 0])
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/)
    }
    expect(runs[0]!.stderr).toContain('refusing to delete user "r\\u001b[2J\\u001b[31mx"')
    goAccepts(file)
  })

  it('active fixes the empty status "influxd recovery user create" leaves; inactive needs no --force when another user holds an operator token', () => {
    const file = built({tokens: [
      {id: '0c00000000001000', token: TOKENS.operator, description: 'admin op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      {id: '0c00000000002000', token: TOKENS.allAccess, description: 'ops op', orgID: ORG, userID: OPS, perms: operatorPerms('2.2+')},
    ]})
    // ops has status "": its operator token counts as usable (v2 reads "" as active)
    let r = user(file, ['inactive', '--username', 'admin', '--yes'])
    expect(r.status, r.stderr).toBe(0)
    const before = contents(file)
    r = user(file, ['active', '--username', 'ops'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/its status was empty/)
    goAccepts(file)
    const after = contents(file)
    expect(diff(before, after)).toEqual([`usersv1 ${OPS}`])
    expect(get(after, 'usersv1', OPS)).toBe(`{"id":"${OPS}","name":"ops","status":"active"}`)
    // now ops holds the only usable operator token: it cannot be deactivated without --force
    refused(user(file, ['inactive', '--username', 'ops', '--yes']), 1, /it owns the last active operator token \(0c00000000002000\)/)
  })
})
