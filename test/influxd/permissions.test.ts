// Permission sets, set comparison, token classification and influxd's text
// rendering, checked against the two real fixture files and the expected
// `influxd recovery auth list` output of upstream's tests.
import * as path from 'node:path'
import {describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import type {Permission} from '../../src/influxd/permission.js'
import {
  ALL_RESOURCE_TYPES,
  RESOURCE_TYPES,
  allAccessPermissions,
  classifyToken,
  countDuplicates,
  formatPermissionInfluxd,
  formatPermissionsInfluxd,
  formatResourceInfluxd,
  memberPermissions,
  mePermissions,
  operatorPermissions,
  ownerPermissions,
  permissionKey,
  samePermissionSet,
  tokenResourceTypes,
} from '../../src/influxd/permissions.js'
import {FIXTURES} from '../helpers/oracle.js'

const ORG = 'dd7cd2292f6e974a'
const USER = '08371db1dd8c8000'
const OPERATOR_ID = '08371db24dcc8000'
const CUSTOM_ID = '08371deae98c8000'

interface AuthRecord {
  id: string
  orgID: string
  userID?: string
  permissions: Permission[] | null
}

function readAuths(file: string): Map<string, AuthRecord> {
  const db = DB.open(path.join(FIXTURES, file), {readOnly: true})
  try {
    return db.view((tx) => {
      const out = new Map<string, AuthRecord>()
      tx.bucket(Buffer.from('authorizationsv1'))!.forEach((k, v) => {
        out.set(k.toString(), JSON.parse(v!.toString('utf8')) as AuthRecord)
      })
      return out
    })
  } finally {
    db.close()
  }
}

const auths2021 = readAuths('influxd-v2.1-v2.7.bolt')
const auths2025 = readAuths('influxd-v2.8-v2.9.bolt')

/** Deterministic Fisher–Yates shuffle. */
function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list]
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

// The Permissions column of upstream's expected `influxd recovery auth list`
// tables: cmd/influxd/recovery/auth/auth_test.go at v2.7.12 (testdata = the
// 2021 fixture) and at v2.9.1 (testdata = the 2025 fixture).
const UPSTREAM_OPERATOR_2021 =
  '[read:authorizations write:authorizations read:buckets write:buckets read:dashboards write:dashboards read:orgs write:orgs ' +
  'read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables ' +
  'read:scrapers write:scrapers read:secrets write:secrets read:labels write:labels read:views write:views read:documents write:documents ' +
  'read:notificationRules write:notificationRules read:notificationEndpoints write:notificationEndpoints read:checks write:checks ' +
  'read:dbrp write:dbrp read:notebooks write:notebooks read:annotations write:annotations]'
const UPSTREAM_OPERATOR_2025 =
  '[read:annotations write:annotations read:authorizations write:authorizations read:buckets write:buckets read:checks write:checks ' +
  'read:dashboards write:dashboards read:dbrp write:dbrp read:documents write:documents read:labels write:labels read:notebooks write:notebooks ' +
  'read:notificationEndpoints write:notificationEndpoints read:notificationRules write:notificationRules read:orgs write:orgs ' +
  'read:scrapers write:scrapers read:secrets write:secrets read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs ' +
  'read:users write:users read:variables write:variables read:views write:views read:remotes write:remotes read:replications write:replications]'
const UPSTREAM_CUSTOM = '[read:orgs/dd7cd2292f6e974a/buckets]'
// The regex upstream's v2.9.1 test applies to the new recovery token's row: OperPermissions() order.
const UPSTREAM_RECOVERY_OPERATOR =
  '[read:authorizations write:authorizations read:buckets write:buckets read:dashboards write:dashboards read:orgs write:orgs ' +
  'read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables ' +
  'read:scrapers write:scrapers read:secrets write:secrets read:labels write:labels read:views write:views read:documents write:documents ' +
  'read:notificationRules write:notificationRules read:notificationEndpoints write:notificationEndpoints read:checks write:checks ' +
  'read:dbrp write:dbrp read:notebooks write:notebooks read:annotations write:annotations read:remotes write:remotes read:replications write:replications]'

describe('resource types', () => {
  it('lists the 23 types in AllResourceTypes order with the release that added each', () => {
    expect(ALL_RESOURCE_TYPES).toEqual([
      'authorizations', 'buckets', 'dashboards', 'orgs', 'sources', 'tasks', 'telegrafs', 'users', 'variables',
      'scrapers', 'secrets', 'labels', 'views', 'documents', 'notificationRules', 'notificationEndpoints', 'checks',
      'dbrp', 'notebooks', 'annotations', 'remotes', 'replications', 'instance',
    ])
    const since = Object.fromEntries(RESOURCE_TYPES.map((r) => [r.type, r.since]))
    expect(RESOURCE_TYPES.slice(0, 18).every((r) => r.since === '2.0')).toBe(true)
    expect([since.notebooks, since.annotations, since.remotes, since.replications, since.instance]).toEqual(['2.1', '2.1', '2.2', '2.2', '2.4'])
    expect(RESOURCE_TYPES.map((r) => r.index)).toEqual(ALL_RESOURCE_TYPES.map((_, i) => i))
  })

  it('never puts instance in token type lists', () => {
    expect(tokenResourceTypes('2.0')).toHaveLength(18)
    expect(tokenResourceTypes('2.1')).toHaveLength(20)
    expect(tokenResourceTypes('2.2+')).toHaveLength(22)
    for (const level of ['2.0', '2.1', '2.2+'] as const) expect(tokenResourceTypes(level)).not.toContain('instance')
    expect(tokenResourceTypes('2.1').slice(-2)).toEqual(['notebooks', 'annotations'])
  })
})

describe('operator and other sets', () => {
  it('operator sets have 36 / 40 / 44 entries, read then write per type, resource {type} only', () => {
    expect(operatorPermissions('2.0')).toHaveLength(36)
    expect(operatorPermissions('2.1')).toHaveLength(40)
    expect(operatorPermissions('2.2+')).toHaveLength(44)
    expect(operatorPermissions()).toEqual(operatorPermissions('2.2+'))
    const ops = operatorPermissions('2.2+')
    expect(ops.slice(0, 4)).toEqual([
      {action: 'read', resource: {type: 'authorizations'}},
      {action: 'write', resource: {type: 'authorizations'}},
      {action: 'read', resource: {type: 'buckets'}},
      {action: 'write', resource: {type: 'buckets'}},
    ])
    expect(ops.every((p) => Object.keys(p.resource).join() === 'type')).toBe(true)
    // exactly influxd's OperPermissions() order, as upstream's create-operator test expects
    expect(formatPermissionsInfluxd(ops)).toBe(UPSTREAM_RECOVERY_OPERATOR)
  })

  it('all-access sets follow influx auth create --all-access', () => {
    const aa = allAccessPermissions(ORG, USER)
    expect(aa).toHaveLength(43)
    expect(allAccessPermissions(ORG, USER, '2.1')).toHaveLength(39)
    expect(allAccessPermissions(ORG, USER, '2.0')).toHaveLength(35)
    expect(aa.slice(0, 10)).toEqual([
      {action: 'read', resource: {type: 'authorizations', orgID: ORG}},
      {action: 'write', resource: {type: 'authorizations', orgID: ORG}},
      {action: 'read', resource: {type: 'buckets', orgID: ORG}},
      {action: 'write', resource: {type: 'buckets', orgID: ORG}},
      {action: 'read', resource: {type: 'dashboards', orgID: ORG}},
      {action: 'write', resource: {type: 'dashboards', orgID: ORG}},
      {action: 'read', resource: {type: 'orgs', id: ORG}},
      {action: 'read', resource: {type: 'sources', orgID: ORG}},
      {action: 'write', resource: {type: 'sources', orgID: ORG}},
      {action: 'read', resource: {type: 'tasks', orgID: ORG}},
    ])
    expect(aa.filter((p) => p.resource.type === 'users')).toEqual([
      {action: 'read', resource: {type: 'users', id: USER}},
      {action: 'write', resource: {type: 'users', id: USER}},
    ])
    expect(aa.some((p) => p.resource.type === 'instance')).toBe(false)
    expect(aa.slice(-4).map(formatPermissionInfluxd)).toEqual([
      `read:orgs/${ORG}/remotes`, `write:orgs/${ORG}/remotes`, `read:orgs/${ORG}/replications`, `write:orgs/${ORG}/replications`,
    ])
  })

  it('owner, member and me sets', () => {
    const owner = ownerPermissions(ORG)
    expect(owner).toHaveLength(44)
    expect(owner.filter((p) => p.resource.type === 'orgs')).toEqual([
      {action: 'read', resource: {type: 'orgs', id: ORG}},
      {action: 'write', resource: {type: 'orgs', id: ORG}},
    ])
    expect(owner[0]).toEqual({action: 'read', resource: {type: 'authorizations', orgID: ORG}})
    const member = memberPermissions(ORG)
    expect(member).toHaveLength(22)
    expect(member.every((p) => p.action === 'read')).toBe(true)
    expect(member[3]).toEqual({action: 'read', resource: {type: 'orgs', id: ORG}})
    expect(mePermissions(USER)).toEqual([
      {action: 'read', resource: {type: 'users', id: USER}},
      {action: 'write', resource: {type: 'users', id: USER}},
    ])
  })
})

describe('set comparison', () => {
  it('permissionKey distinguishes every field and ignores hex case', () => {
    const base: Permission = {action: 'read', resource: {type: 'buckets', orgID: ORG}}
    expect(permissionKey(base)).toBe(permissionKey({action: 'read', resource: {type: 'buckets', orgID: ORG.toUpperCase()}}))
    expect(permissionKey(base)).not.toBe(permissionKey({action: 'write', resource: {type: 'buckets', orgID: ORG}}))
    expect(permissionKey(base)).not.toBe(permissionKey({action: 'read', resource: {type: 'buckets', id: ORG}}))
    expect(permissionKey(base)).not.toBe(permissionKey({action: 'read', resource: {type: 'buckets'}}))
    expect(permissionKey({action: 'read', resource: {type: 'buckets'}})).not.toBe(permissionKey({action: 'read', resource: {type: 'buckets', id: ''}}))
    // JSON null is Go's nil pointer: the same as a missing key
    const withNull = JSON.parse('{"action":"read","resource":{"type":"buckets","id":null}}') as Permission
    expect(permissionKey(withNull)).toBe(permissionKey({action: 'read', resource: {type: 'buckets'}}))
  })

  it('compares as sets: order and duplicates do not matter, one extra or missing entry does', () => {
    const ops = operatorPermissions('2.2+')
    expect(samePermissionSet(ops, shuffled(ops, 7))).toBe(true)
    expect(samePermissionSet(ops, [...ops, ops[5]!])).toBe(true)
    expect(countDuplicates([...ops, ops[5]!, ops[5]!])).toBe(2)
    expect(samePermissionSet(ops, ops.slice(1))).toBe(false)
    expect(samePermissionSet(ops, [...ops, {action: 'read', resource: {type: 'instance'}}])).toBe(false)
    expect(samePermissionSet([], [])).toBe(true)
  })
})

describe('classifyToken', () => {
  it('classifies both fixture tokens in both files', () => {
    const op21 = auths2021.get(OPERATOR_ID)!
    const op25 = auths2025.get(OPERATOR_ID)!
    expect(op21.permissions).toHaveLength(40)
    expect(op25.permissions).toHaveLength(44)
    expect(classifyToken(op21.permissions, op21.orgID, op21.userID)).toEqual({kind: 'operator', level: '2.1', duplicates: 0, exact: true})
    expect(classifyToken(op25.permissions, op25.orgID, op25.userID)).toEqual({kind: 'operator', level: '2.2+', duplicates: 0, exact: true})
    // the same logical set, stored in different orders
    expect(op21.permissions).toEqual(operatorPermissions('2.1'))
    expect(op25.permissions).not.toEqual(operatorPermissions('2.2+'))
    expect(samePermissionSet(op25.permissions!, operatorPermissions('2.2+'))).toBe(true)
    for (const auths of [auths2021, auths2025]) {
      const c = auths.get(CUSTOM_ID)!
      expect(classifyToken(c.permissions, c.orgID, c.userID)).toEqual({kind: 'custom', level: null, duplicates: 0, exact: false})
    }
  })

  it('operator sets of every level, shuffled, with a duplicate', () => {
    for (const level of ['2.0', '2.1', '2.2+'] as const) {
      const ops = operatorPermissions(level)
      expect(classifyToken(shuffled(ops, 3), ORG, USER)).toMatchObject({kind: 'operator', level})
      expect(classifyToken([...ops, ops[0]!], ORG, USER)).toEqual({kind: 'operator', level, duplicates: 1, exact: false})
    }
  })

  it('one missing or extra entry makes an operator set custom', () => {
    const ops = operatorPermissions('2.2+')
    for (let i = 0; i < ops.length; i++) {
      expect(classifyToken(ops.filter((_, j) => j !== i), ORG, USER).kind).toBe('custom')
    }
    expect(classifyToken([...ops, {action: 'read', resource: {type: 'instance'}}], ORG, USER).kind).toBe('custom')
    expect(classifyToken([...ops, {action: 'read', resource: {type: 'buckets', orgID: ORG}}], ORG, USER).kind).toBe('custom')
    // a 2.1 set plus only one of the 2.2 types
    expect(classifyToken([...operatorPermissions('2.1'), {action: 'read', resource: {type: 'remotes'}}], ORG, USER).kind).toBe('custom')
    // one entry org-scoped instead of global
    const scoped = ops.map((p, i) => (i === 2 ? {action: p.action, resource: {type: p.resource.type, orgID: ORG}} : p))
    expect(classifyToken(scoped, ORG, USER).kind).toBe('custom')
    expect(classifyToken(null, ORG, USER).kind).toBe('custom')
    expect(classifyToken([], ORG, USER).kind).toBe('custom')
  })

  it('detects all-access sets of every level for the token own org and user only', () => {
    for (const level of ['2.0', '2.1', '2.2+'] as const) {
      const aa = allAccessPermissions(ORG, USER, level)
      expect(classifyToken(shuffled(aa, 11), ORG, USER)).toEqual({kind: 'all-access', level, duplicates: 0, exact: true})
      expect(classifyToken(aa, ORG.toUpperCase(), USER)).toMatchObject({kind: 'all-access', level})
      expect(classifyToken(aa, 'aaaaaaaaaaaaaaaa', USER).kind).toBe('custom')
      expect(classifyToken(aa, ORG, 'bbbbbbbbbbbbbbbb').kind).toBe('custom')
      expect(classifyToken(aa, ORG, undefined).kind).toBe('custom')
      expect(classifyToken(aa.slice(0, -1), ORG, USER).kind).toBe('custom')
      // write on the org makes it an owner-like custom set, not all-access
      expect(classifyToken([...aa, {action: 'write', resource: {type: 'orgs', id: ORG}}], ORG, USER).kind).toBe('custom')
    }
    // a 2.0 all-access token upgraded by migration 17 (sorted, then annotations + notebooks appended) is the 2.1 set
    const upgraded = [
      ...allAccessPermissions(ORG, USER, '2.0').sort((a, b) => formatPermissionInfluxd(a).localeCompare(formatPermissionInfluxd(b))),
      {action: 'read', resource: {type: 'annotations', orgID: ORG}},
      {action: 'write', resource: {type: 'annotations', orgID: ORG}},
      {action: 'read', resource: {type: 'notebooks', orgID: ORG}},
      {action: 'write', resource: {type: 'notebooks', orgID: ORG}},
    ]
    expect(classifyToken(upgraded, ORG, USER)).toMatchObject({kind: 'all-access', level: '2.1'})
  })
})

describe('influxd rendering', () => {
  it('renders resources as Resource.String() does', () => {
    expect(formatResourceInfluxd({type: 'buckets'})).toBe('buckets')
    expect(formatResourceInfluxd({type: 'buckets', id: '7451ab8b9b7df592'})).toBe('buckets/7451ab8b9b7df592')
    expect(formatResourceInfluxd({type: 'buckets', orgID: ORG})).toBe(`orgs/${ORG}/buckets`)
    expect(formatResourceInfluxd({type: 'buckets', orgID: ORG, id: '7451ab8b9b7df592'})).toBe(`orgs/${ORG}/buckets/7451ab8b9b7df592`)
    expect(formatResourceInfluxd({type: 'orgs', id: ORG})).toBe(`orgs/${ORG}`)
    // IDs print as influxd decodes them: lowercase
    expect(formatResourceInfluxd({type: 'users', id: '08371DB1DD8C8000'})).toBe('users/08371db1dd8c8000')
    // path.Join cleans: empty elements vanish, dot-dot is resolved
    expect(formatResourceInfluxd({type: '', orgID: ORG})).toBe(`orgs/${ORG}`)
    expect(formatResourceInfluxd({type: 'a/../b', id: '7451ab8b9b7df592'})).toBe('b/7451ab8b9b7df592')
    expect(formatResourceInfluxd({type: 'x//y/'})).toBe('x//y/') // no ID: the bare type, not cleaned
  })

  it('renders permissions and lists as %v does', () => {
    expect(formatPermissionInfluxd({action: 'read', resource: {type: 'buckets', orgID: ORG}})).toBe(`read:orgs/${ORG}/buckets`)
    expect(formatPermissionInfluxd({action: 'write', resource: {type: 'users', id: USER}})).toBe(`write:users/${USER}`)
    expect(formatPermissionsInfluxd([])).toBe('[]')
    expect(formatPermissionsInfluxd(null)).toBe('[]')
    expect(formatPermissionsInfluxd(mePermissions(USER))).toBe(`[read:users/${USER} write:users/${USER}]`)
  })

  it('reproduces the Permissions column of upstream auth list tests for both fixtures', () => {
    expect(formatPermissionsInfluxd(auths2021.get(OPERATOR_ID)!.permissions)).toBe(UPSTREAM_OPERATOR_2021)
    expect(formatPermissionsInfluxd(auths2021.get(CUSTOM_ID)!.permissions)).toBe(UPSTREAM_CUSTOM)
    expect(formatPermissionsInfluxd(auths2025.get(OPERATOR_ID)!.permissions)).toBe(UPSTREAM_OPERATOR_2025)
    expect(formatPermissionsInfluxd(auths2025.get(CUSTOM_ID)!.permissions)).toBe(UPSTREAM_CUSTOM)
    // and the 2025 order is migration 19's: the 2.1 set sorted by resource string then action, remotes + replications appended
    const sorted = [...operatorPermissions('2.1')].sort((a, b) => {
      const ra = formatResourceInfluxd(a.resource), rb = formatResourceInfluxd(b.resource)
      return ra < rb ? -1 : ra > rb ? 1 : a.action < b.action ? -1 : a.action > b.action ? 1 : 0
    })
    const migrated = [...sorted, ...operatorPermissions('2.2+').slice(40)]
    expect(formatPermissionsInfluxd(migrated)).toBe(UPSTREAM_OPERATOR_2025)
  })
})

describe('classifyToken agrees with the set comparison it stands for', () => {
  /** The definition: samePermissionSet against every reference set, newest level first. */
  function reference(perms: Permission[], orgID: string, userID: string | undefined): string {
    for (const level of ['2.2+', '2.1', '2.0'] as const) if (samePermissionSet(perms, operatorPermissions(level))) return `operator ${level}`
    if (userID) {
      for (const level of ['2.2+', '2.1', '2.0'] as const) if (samePermissionSet(perms, allAccessPermissions(orgID, userID, level))) return `all-access ${level}`
    }
    return 'custom'
  }

  it('on random perturbations of operator and all-access sets', () => {
    let seed = 12345
    const rnd = (n: number): number => { // mulberry32
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) % n
    }
    const ids = [ORG, ORG.toUpperCase(), USER, USER.toUpperCase(), '', 'not-an-id', '0000000000000001']
    const mutations: Array<(ps: Permission[]) => Permission[]> = [
      (ps) => ps,
      (ps) => shuffled(ps, rnd(1000)),
      (ps) => [...ps, ps[rnd(ps.length)]!],
      (ps) => ps.filter((_, i) => i !== rnd(ps.length)),
      (ps) => ps.map((p, i) => (i === rnd(ps.length) ? {action: p.action === 'read' ? 'write' : 'read', resource: p.resource} : p)),
      (ps) => ps.map((p, i) => (i === rnd(ps.length) ? {action: p.action, resource: {...p.resource, id: ids[rnd(ids.length)]}} : p)),
      (ps) => ps.map((p, i) => (i === rnd(ps.length) ? {action: p.action, resource: {...p.resource, orgID: ids[rnd(ids.length)]}} : p)),
      (ps) => ps.map((p, i) => (i === rnd(ps.length) ? {action: p.action, resource: {type: p.resource.type}} : p)),
      (ps) => [...ps, {action: 'read', resource: {type: 'instance'}}],
    ]
    const kinds = new Set<string>()
    for (let t = 0; t < 3000; t++) {
      const level = (['2.0', '2.1', '2.2+'] as const)[rnd(3)]
      const org = ids[rnd(2)]!
      const user = [USER, USER.toUpperCase(), undefined][rnd(3)]
      const pick = (usual: string): string => (rnd(4) === 0 ? ids[rnd(ids.length)]! : usual)
      const base = rnd(2) === 0 ? operatorPermissions(level) : allAccessPermissions(pick(org.toLowerCase()), pick((user ?? USER).toUpperCase()), level)
      let perms = base
      for (let m = rnd(3); m >= 0; m--) perms = mutations[rnd(mutations.length)]!(perms)
      const c = classifyToken(perms, org, user)
      const got = c.kind === 'custom' ? 'custom' : `${c.kind} ${c.level}`
      expect(got, JSON.stringify({perms, org, user})).toBe(reference(perms, org, user))
      expect(c.duplicates).toBe(countDuplicates(perms))
      kinds.add(got.split(' ')[0]!)
    }
    expect([...kinds].sort()).toEqual(['all-access', 'custom', 'operator'])
  })
})
