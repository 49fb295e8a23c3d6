/**
 * InfluxDB 2.x permission sets: the resource types and the release that
 * introduced each, the sets influxd and the influx CLI build (operator,
 * all-access, org owner, org member), set comparison, token classification,
 * and influxd's own text rendering of a permission list (what
 * `influxd recovery auth list` prints in its Permissions column).
 *
 * Facts (spec §6, and influxdb v2.9.1 authz.go / kv migrations 16, 17, 19;
 * influx-cli clients/auth/auth.go for --all-access):
 *  - Operator token: for every type except `instance`, in AllResourceTypes
 *    order, `read` then `write`, resource `{type}` only.
 *  - All-access token (built by the CLI from the server's resource list):
 *    `orgs` read only with `id: org`; `users` read+write with `id: user`;
 *    `instance` skipped; every other type read+write with `orgID: org`.
 *  - `instance` never appears in token permission lists.
 */
import type {Permission} from './permission.js'

/** A release that introduced resource types. */
export type ResourceTypeSince = '2.0' | '2.1' | '2.2' | '2.4'

/** The resource-type generations a token's permission list can be built from. */
export type PermissionLevel = '2.0' | '2.1' | '2.2+'

export const PERMISSION_LEVELS: readonly PermissionLevel[] = ['2.0', '2.1', '2.2+']

export interface ResourceTypeInfo {
  /** the JSON `resource.type` string */
  readonly type: string
  /** position in influxd's AllResourceTypes */
  readonly index: number
  /** the release that added it */
  readonly since: ResourceTypeSince
}

const TYPE_TABLE: ReadonlyArray<readonly [string, ResourceTypeSince]> = [
  ['authorizations', '2.0'],
  ['buckets', '2.0'],
  ['dashboards', '2.0'],
  ['orgs', '2.0'],
  ['sources', '2.0'],
  ['tasks', '2.0'],
  ['telegrafs', '2.0'],
  ['users', '2.0'],
  ['variables', '2.0'],
  ['scrapers', '2.0'],
  ['secrets', '2.0'],
  ['labels', '2.0'],
  ['views', '2.0'],
  ['documents', '2.0'],
  ['notificationRules', '2.0'],
  ['notificationEndpoints', '2.0'],
  ['checks', '2.0'],
  ['dbrp', '2.0'],
  ['notebooks', '2.1'],
  ['annotations', '2.1'],
  ['remotes', '2.2'],
  ['replications', '2.2'],
  ['instance', '2.4'],
]

/** Every resource type, in influxd's AllResourceTypes order (23 in 2.4+). */
export const RESOURCE_TYPES: readonly ResourceTypeInfo[] = Object.freeze(
  TYPE_TABLE.map(([type, since], index) => Object.freeze({type, index, since})),
)

/** The names alone, in AllResourceTypes order (what GET /api/v2/resources returns in 2.4+). */
export const ALL_RESOURCE_TYPES: readonly string[] = Object.freeze(RESOURCE_TYPES.map((r) => r.type))

/** The session-only type that never appears in token permission lists. */
export const INSTANCE_RESOURCE_TYPE = 'instance'

const LEVEL_RELEASES: Record<PermissionLevel, readonly ResourceTypeSince[]> = {
  '2.0': ['2.0'],
  '2.1': ['2.0', '2.1'],
  '2.2+': ['2.0', '2.1', '2.2', '2.4'],
}

/**
 * The resource types a token can name at a level, in AllResourceTypes order,
 * without `instance`: 18 at 2.0, 20 at 2.1, 22 at 2.2+.
 */
export function tokenResourceTypes(level: PermissionLevel = '2.2+'): string[] {
  const releases = LEVEL_RELEASES[level]
  if (releases === undefined) throw new RangeError(`unknown permission level ${JSON.stringify(level)}`)
  return RESOURCE_TYPES
    .filter((r) => r.type !== INSTANCE_RESOURCE_TYPE && releases.includes(r.since))
    .map((r) => r.type)
}

const ACTIONS = ['read', 'write'] as const

/**
 * The operator set influxd builds (OperPermissions at that release): for each
 * type, read then write, resource `{type}` only. 36 / 40 / 44 entries.
 */
export function operatorPermissions(level: PermissionLevel = '2.2+'): Permission[] {
  const out: Permission[] = []
  for (const type of tokenResourceTypes(level)) {
    for (const action of ACTIONS) out.push({action, resource: {type}})
  }
  return out
}

/**
 * The set `influx auth create --all-access` builds for (org, user), in the
 * order it builds it (the server's resource list order): 35 / 39 / 43 entries.
 * 2.0 had no --all-access flag in its CLI; the 2.0 variant is the set
 * migration 17 recognises as a 2.0.x all-access token, which has the same shape.
 */
export function allAccessPermissions(orgID: string, userID: string, level: PermissionLevel = '2.2+'): Permission[] {
  const out: Permission[] = []
  for (const type of tokenResourceTypes(level)) {
    if (type === 'orgs') {
      out.push({action: 'read', resource: {type, id: orgID}})
    } else if (type === 'users') {
      for (const action of ACTIONS) out.push({action, resource: {type, id: userID}})
    } else {
      for (const action of ACTIONS) out.push({action, resource: {type, orgID}})
    }
  }
  return out
}

/**
 * influxd's OwnerPermissions(org): read+write on every token type; `orgs`
 * names the org by `id`, the others by `orgID`. 44 entries at 2.2+.
 * Given to org-owner URMs (sessions), not stored in tokens by influxd.
 */
export function ownerPermissions(orgID: string, level: PermissionLevel = '2.2+'): Permission[] {
  const out: Permission[] = []
  for (const type of tokenResourceTypes(level)) {
    for (const action of ACTIONS) {
      out.push(type === 'orgs' ? {action, resource: {type, id: orgID}} : {action, resource: {type, orgID}})
    }
  }
  return out
}

/** influxd's MemberPermissions(org): like ownerPermissions, read only. 22 entries at 2.2+. */
export function memberPermissions(orgID: string, level: PermissionLevel = '2.2+'): Permission[] {
  return tokenResourceTypes(level).map((type): Permission =>
    type === 'orgs' ? {action: 'read', resource: {type, id: orgID}} : {action: 'read', resource: {type, orgID}})
}

/** influxd's MePermissions(user): read+write on `{users, id: user}`. */
export function mePermissions(userID: string): Permission[] {
  return ACTIONS.map((action): Permission => ({action, resource: {type: 'users', id: userID}}))
}

const HEX_ID = /^[0-9a-fA-F]{16}$/

/**
 * An ID as influxd sees it after decoding: influxd parses 16 hex digits in
 * either case and prints them lowercase. Anything else is kept verbatim (influxd
 * could not decode a record holding it at all).
 */
function normalizeId(id: string): string {
  return id.length === 16 && HEX_ID.test(id) ? id.toLowerCase() : id
}

/** A field present in the resource: JSON null and a missing key both mean absent (Go: nil pointer). */
function present(v: string | undefined | null): v is string {
  return v !== undefined && v !== null
}

/**
 * A canonical string for one permission: equal keys mean influxd treats the
 * permissions as identical. IDs are compared after influxd's decoding (case of
 * hex digits is irrelevant); an absent field differs from any present one,
 * including the empty string. Unknown extra resource keys are ignored (influxd
 * drops them).
 */
export function permissionKey(p: Permission): string {
  const r = p.resource
  // length-prefixed fields: unambiguous whatever the strings hold, and far
  // cheaper than JSON.stringify of an array (this runs once per permission of
  // every token listed)
  const field = (s: string | null): string => (s === null ? '-' : `${s.length}:${s}`)
  return field(p.action) + field(r.type) + field(present(r.id) ? normalizeId(r.id) : null) + field(present(r.orgID) ? normalizeId(r.orgID) : null)
}

function keySet(list: readonly Permission[]): Set<string> {
  return new Set(list.map(permissionKey))
}

/**
 * True when both lists grant exactly the same permissions: compared as sets,
 * so order does not matter (influxd's migrations re-sort lists in place) and
 * duplicate entries are ignored (a repeated permission grants nothing more).
 * One extra or one missing distinct entry makes the sets differ.
 * Use `countDuplicates` when the exact length matters: influxd's own
 * migrations 16/17/19 also compare lengths, so they would not upgrade a list
 * holding duplicates.
 */
export function samePermissionSet(a: readonly Permission[], b: readonly Permission[]): boolean {
  const sa = keySet(a)
  const sb = keySet(b)
  if (sa.size !== sb.size) return false
  for (const k of sa) if (!sb.has(k)) return false
  return true
}

/** How many entries of the list repeat an earlier one. */
export function countDuplicates(list: readonly Permission[]): number {
  return list.length - keySet(list).size
}

export type TokenKind = 'operator' | 'all-access' | 'custom'

export interface TokenClass {
  kind: TokenKind
  /** which generation's set matched; null for custom tokens */
  level: PermissionLevel | null
  /** entries repeating an earlier one (ignored for the match) */
  duplicates: number
  /**
   * true when the list has no duplicates, so influxd's migrations would also
   * recognise it (they compare lengths); always false for custom tokens
   */
  exact: boolean
}

/** Newest first: the sets of different levels have different sizes, so at most one can match. */
const LEVELS_NEWEST_FIRST: readonly PermissionLevel[] = ['2.2+', '2.1', '2.0']

/** The token resource types of each level, as sets (built once). */
const TYPES_OF_LEVEL: ReadonlyMap<PermissionLevel, ReadonlySet<string>> = new Map(
  PERMISSION_LEVELS.map((level) => [level, new Set(tokenResourceTypes(level))]),
)

const isAction = (a: string): boolean => a === 'read' || a === 'write'

/** Whether p is a member of operatorPermissions(level), as permissionKey compares. */
function inOperatorSet(p: Permission, types: ReadonlySet<string>): boolean {
  const r = p.resource
  return isAction(p.action) && types.has(r.type) && !present(r.id) && !present(r.orgID)
}

/** Whether p is a member of allAccessPermissions(org, user, level); org and user already normalised. */
function inAllAccessSet(p: Permission, types: ReadonlySet<string>, org: string, user: string): boolean {
  const r = p.resource
  if (!isAction(p.action) || !types.has(r.type)) return false
  if (r.type === 'orgs') return p.action === 'read' && present(r.id) && normalizeId(r.id) === org && !present(r.orgID)
  if (r.type === 'users') return present(r.id) && normalizeId(r.id) === user && !present(r.orgID)
  return !present(r.id) && present(r.orgID) && normalizeId(r.orgID) === org
}

/**
 * Classifies a token's permission list: 'operator' when it is the operator set
 * of some level, 'all-access' when it is the all-access set of some level for
 * this token's org and user, else 'custom'. Comparison is by set, exactly as
 * samePermissionSet with operatorPermissions / allAccessPermissions would
 * compare; the reference sets are not built: the list's distinct entries must
 * be as many as the set has and each a member of it.
 * A token without a userID cannot be all-access.
 */
export function classifyToken(perms: readonly Permission[] | null | undefined, orgID: string, userID?: string | null): TokenClass {
  const list = perms ?? []
  const distinct = new Map<string, Permission>()
  for (const p of list) {
    const k = permissionKey(p)
    if (!distinct.has(k)) distinct.set(k, p)
  }
  const duplicates = list.length - distinct.size
  const n = distinct.size
  for (const level of LEVELS_NEWEST_FIRST) {
    const types = TYPES_OF_LEVEL.get(level)!
    if (n !== 2 * types.size) continue
    let all = true
    for (const p of distinct.values()) if (!inOperatorSet(p, types)) { all = false; break }
    if (all) return {kind: 'operator', level, duplicates, exact: duplicates === 0}
  }
  if (present(userID) && userID !== '' && orgID !== '') {
    const org = normalizeId(orgID)
    const user = normalizeId(userID)
    for (const level of LEVELS_NEWEST_FIRST) {
      const types = TYPES_OF_LEVEL.get(level)!
      if (n !== 2 * types.size - 1) continue
      let all = true
      for (const p of distinct.values()) if (!inAllAccessSet(p, types, org, user)) { all = false; break }
      if (all) return {kind: 'all-access', level, duplicates, exact: duplicates === 0}
    }
  }
  return {kind: 'custom', level: null, duplicates, exact: false}
}

/** Every token type of any level (membership per level is decided after). */
const ALL_TOKEN_TYPES: ReadonlySet<string> = new Set(PERMISSION_LEVELS.flatMap((l) => [...TYPES_OF_LEVEL.get(l)!]))

/** The fewest distinct permissions a non-custom set has (the all-access set of 2.0). */
const SMALLEST_SET = Math.min(...[...TYPES_OF_LEVEL.values()].map((t) => 2 * t.size - 1))

/** Whether tokenKind looks at a list of n permissions: a shorter one is custom whatever it holds. */
export function mayBeOperatorOrAllAccess(n: number): boolean {
  return n >= SMALLEST_SET
}

/**
 * classifyToken(...).kind, without the work for the lists that are too short
 * to be any reference set (most custom tokens): what a listing of every
 * token needs.
 */
export function tokenKind(perms: readonly Permission[] | null | undefined, orgID: string, userID?: string | null): TokenKind {
  if (perms === null || perms === undefined || perms.length < SMALLEST_SET) return 'custom'
  // A list all of whose entries are members of an operator (all-access) set
  // has as many distinct entries as distinct (action, type) pairs: the rest of
  // an entry is fixed by the set. So one pass decides membership in both
  // kinds of set and collects the pairs; the levels then compare counts.
  const withTenants = present(userID) && userID !== '' && orgID !== ''
  const org = withTenants ? normalizeId(orgID) : ''
  const user = withTenants ? normalizeId(userID) : ''
  let op = true
  let aa = withTenants
  const pairs = new Set<string>()
  for (const p of perms) {
    const r = p.resource
    if (!isAction(p.action)) return 'custom'
    if (op && (present(r.id) || present(r.orgID))) op = false
    if (aa && !inAllAccessSet(p, ALL_TOKEN_TYPES, org, user)) aa = false
    if (!op && !aa) return 'custom'
    pairs.add(p.action === 'read' ? `r${r.type}` : `w${r.type}`)
  }
  for (const level of LEVELS_NEWEST_FIRST) {
    const types = TYPES_OF_LEVEL.get(level)!
    if (pairs.size !== 2 * types.size - (op ? 0 : 1)) continue
    let all = true
    for (const k of pairs) if (!types.has(k.slice(1))) { all = false; break }
    if (all) return op ? 'operator' : 'all-access'
  }
  return 'custom'
}

/** Go's path.Clean for slash-separated paths. */
function goPathClean(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(seg)
  }
  const joined = out.join('/')
  if (rooted) return '/' + joined
  return joined === '' ? '.' : joined
}

/** Go's path.Join: empty elements are skipped, the result is cleaned, all-empty gives "". */
function goPathJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '')
  return parts.length === 0 ? '' : goPathClean(parts.join('/'))
}

/** Go's platform.ID.String() after decoding: lowercase hex, "" for the zero (invalid) ID. */
function goIdString(id: string): string {
  if (!HEX_ID.test(id)) return id
  return /^0{16}$/.test(id) ? '' : id.toLowerCase()
}

/**
 * influxd's Resource.String(): `orgs/<org>/<type>/<id>` with both IDs,
 * `orgs/<org>/<type>` with only orgID, `<type>/<id>` with only id, else
 * `<type>` (path-joined and cleaned, as Go does).
 */
export function formatResourceInfluxd(resource: Permission['resource']): string {
  const {type} = resource
  const id = present(resource.id) ? goIdString(resource.id) : null
  const org = present(resource.orgID) ? goIdString(resource.orgID) : null
  if (org !== null && id !== null) return goPathJoin('orgs', org, type, id)
  if (org !== null) return goPathJoin('orgs', org, type)
  if (id !== null) return goPathJoin(type, id)
  return type
}

/** influxd's Permission.String(): `action:resource`, e.g. `read:orgs/dd7cd2292f6e974a/buckets`. */
export function formatPermissionInfluxd(p: Permission): string {
  return `${p.action}:${formatResourceInfluxd(p.resource)}`
}

/** Go's `%v` of a []Permission: `[a b c]`; a missing (null) list prints `[]`. */
export function formatPermissionsInfluxd(perms: readonly Permission[] | null | undefined): string {
  return `[${(perms ?? []).map(formatPermissionInfluxd).join(' ')}]`
}
