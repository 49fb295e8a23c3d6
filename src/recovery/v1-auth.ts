/**
 * v1 (legacy) authorizations: the user name + password logins of InfluxDB's
 * 1.x-compatible API (Grafana's InfluxQL data source, Telegraf's influxdb
 * output, `influx v1 shell`), read and written as influxd's v1 authorization
 * service does (v1/authorization/ in v2.9.1; spec §4.9, §13.2):
 *
 *  - legacy/authorizationsv1[id] = the influxdb.Authorization JSON of
 *    authorizationsv1, with `token` holding the v1 user name (never a
 *    hashedToken: token hashing leaves these buckets alone), status
 *    "active", createdAt = updatedAt = now in the writer's LOCAL zone, a
 *    snowflake ID ≥ 1000 unused in the bucket;
 *  - legacy/authorizationindexv1[user name] = id (user names are unique in
 *    this index; v2 tokens are not consulted);
 *  - legacy/authorizationPasswordv1[id] = bcrypt hash, cost 10, `$2a$`, of a
 *    password of 8–72 bytes.
 *
 * Status changes re-encode the record with updatedAt now (the index entry
 * stays). influxd's delete leaves the password entry behind; ours removes
 * it, and also cleans up what such deletes left: a password without its
 * authorization, an index entry leading nowhere.
 *
 * Permissions are what `influx v1 auth create` sends: reads then writes of
 * single buckets, `{"type":"buckets","id":B,"orgID":O}`; each bucket must
 * exist (influxd checks that) and belong to the org (influxd does not, but a
 * permission on another org's bucket is refused by Authorization.Valid).
 *
 * Reads go by key: a login by its ID or through the user name index, users
 * and orgs by their IDs. Listing and the doctor's check read the buckets.
 */
import type {Tx} from '../bbolt/index.js'
import {
  LEGACY_AUTHORIZATION_INDEX, LEGACY_AUTHORIZATION_PASSWORDS, LEGACY_AUTHORIZATIONS, ORGANIZATIONS, USERS,
  idKey, legacyAuthIndexKey,
} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {goTimeNowString} from '../influxd/gotime.js'
import {formatID, isValidID, parseID, SnowflakeGenerator} from '../influxd/ids.js'
import type {Permission} from '../influxd/permission.js'
import {
  authorizationProblems, decodeLegacyAuthorization, decodeOrganization, decodeUser, encodeLegacyAuthorization, readAuthorization,
  type Authorization, type AuthorizationStatus, type DecodedRecord,
} from '../influxd/records.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {assertWritableSchema, bucketPermission} from './auth-write.js'
import {ChangeSet, requiredBucket} from './change-set.js'
import {checkNewName, quotedName, shownValue} from './name-rules.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'
import {ownersOfOrg} from './user-mappings.js'
import {HIDDEN_HASH, INFLUXD_BCRYPT_RE, passwordMatches} from './user-write.js'

// ---------------------------------------------------------------- views

/** A v1 authorization as listed: no secret in it (the user name is not one; the password hash is never read out). */
export interface V1AuthView {
  id: string
  /** the v1 user name (the record's `token`) */
  username?: string
  description?: string
  status?: AuthorizationStatus
  userID?: string
  userName?: string
  orgID?: string
  orgName?: string
  permissions?: Permission[] | null
  /** whether legacy/authorizationPasswordv1 holds a password for it */
  password?: boolean
  createdAt?: string
  updatedAt?: string
  /** why the record cannot be decoded (the other fields are then absent) */
  error?: string
}

/** Names of users and orgs by ID, each read once. */
class Names {
  private readonly users = new Map<string, {name: string; status: string} | null>()
  private readonly orgs = new Map<string, string | null>()
  constructor(private readonly tx: Tx) {}

  user(id: string): {name: string; status: string} | null {
    let u = this.users.get(id)
    if (u === undefined) {
      u = null
      const v = this.tx.bucket(Buffer.from(USERS))?.get(idKey(id))
      if (v !== undefined) {
        try {
          const r = decodeUser(v, {bucket: USERS, key: id})
          u = {name: r.name, status: r.status}
        } catch {
          u = null
        }
      }
      this.users.set(id, u)
    }
    return u
  }

  org(id: string): string | null {
    let o = this.orgs.get(id)
    if (o === undefined) {
      o = null
      const v = this.tx.bucket(Buffer.from(ORGANIZATIONS))?.get(idKey(id))
      if (v !== undefined) {
        try {
          o = decodeOrganization(v, {bucket: ORGANIZATIONS, key: id}).name
        } catch {
          o = null
        }
      }
      this.orgs.set(id, o)
    }
    return o
  }
}

function hasPassword(tx: Tx, id: string): boolean {
  const v = tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_PASSWORDS))?.get(idKey(id))
  return v !== undefined && v.length > 0
}

function view(tx: Tx, a: Authorization, names: Names): V1AuthView {
  const user = a.userID ? names.user(a.userID) : null
  const org = names.org(a.orgID)
  return {
    id: a.id,
    username: a.token ?? '',
    description: a.description,
    status: a.status,
    ...(a.userID ? {userID: a.userID} : {}),
    ...(user !== null ? {userName: user.name} : {}),
    orgID: a.orgID,
    ...(org !== null ? {orgName: org} : {}),
    permissions: a.permissions,
    password: hasPassword(tx, a.id),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  }
}

// ---------------------------------------------------------------- finding one

/** A v1 authorization named by ID or by its user name (exactly one of them). */
export interface V1AuthRef {
  id?: string
  username?: string
}

interface FoundV1 {
  id: string
  /** the decoded record (with its source, for byte-exact re-encoding) */
  record?: DecodedRecord<Authorization>
  /** why the record cannot be decoded */
  error?: string
  /** the record does not exist, but a password (by ID) or an index entry (by name) of it is left over */
  leftover?: {password: boolean; indexKey?: Buffer}
}

function parseV1ID(text: string): string {
  try {
    return formatID(parseID(text))
  } catch (err) {
    throw new UsageError(`invalid v1 authorization ID ${JSON.stringify(text)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits, as "influx-recover v1 auth list" shows it')
  }
}

function existingUsernames(tx: Tx): string {
  const names: string[] = []
  let more = 0
  tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_INDEX))?.forEach((k) => {
    if (names.length < 20) names.push(quotedName(k.toString('utf8')))
    else more++
  })
  if (names.length === 0) return 'the file has no v1 authorizations'
  return `the v1 user names in the file: ${names.join(', ')}${more > 0 ? `, … (${more} more)` : ''}`
}

const LIST_HINT = '"influx-recover v1 auth list" lists them with their IDs'

function decodeAt(tx: Tx, id: string): Pick<FoundV1, 'record' | 'error'> | undefined {
  const v = tx.bucket(Buffer.from(LEGACY_AUTHORIZATIONS))?.get(idKey(id))
  if (v === undefined) return undefined
  if (v === null) return {error: 'a nested bucket, not a record'}
  try {
    return {record: decodeLegacyAuthorization(v, {bucket: LEGACY_AUTHORIZATIONS, key: id})}
  } catch (err) {
    if (err instanceof SchemaError) return {error: err.message}
    throw err
  }
}

/**
 * The v1 authorization `ref` names. `leftovers`: a missing record whose
 * password (by ID) or index entry (by name) is still there is returned as
 * such instead of being an error (for delete, which cleans them up).
 */
function findV1(tx: Tx, ref: V1AuthRef, leftovers = false): FoundV1 {
  if ((ref.id === undefined) === (ref.username === undefined)) throw new UsageError('name the v1 authorization either by --id or by --username')
  requiredBucket(tx, LEGACY_AUTHORIZATIONS)
  const index = requiredBucket(tx, LEGACY_AUTHORIZATION_INDEX)
  if (ref.id !== undefined) {
    const id = parseV1ID(ref.id)
    const found = decodeAt(tx, id)
    if (found !== undefined) return {id, ...found}
    if (leftovers && hasPasswordEntry(tx, id)) return {id, leftover: {password: true}}
    throw new NotFoundError(`v1 authorization ${id} does not exist; ${existingUsernames(tx)}`, LIST_HINT)
  }
  const username = ref.username!
  const key = legacyAuthIndexKey(username)
  const indexed = index.get(key)
  if (indexed === undefined) throw new NotFoundError(`no v1 authorization has the user name ${quotedName(username)}; ${existingUsernames(tx)}`, LIST_HINT)
  let id: string
  try {
    id = formatID(parseID(indexed))
  } catch {
    if (leftovers) return {id: indexed.toString('latin1'), leftover: {password: false, indexKey: key}}
    throw new RecoverError(`the v1 index maps ${quotedName(username)} to ${shownValue(indexed)}, which is not an ID`, ExitCode.CORRUPT, `"influx-recover v1 auth delete --username ${quotedName(username)}" removes the broken entry`)
  }
  const found = decodeAt(tx, id)
  if (found !== undefined) return {id, ...found}
  if (leftovers) return {id, leftover: {password: hasPasswordEntry(tx, id), indexKey: key}}
  throw new NotFoundError(`the v1 user name ${quotedName(username)} leads to authorization ${id}, which does not exist (a damaged index)`, `"influx-recover v1 auth delete --username ${username}" removes the stale entry`)
}

function hasPasswordEntry(tx: Tx, id: string): boolean {
  return tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_PASSWORDS))?.get(idKey(id)) !== undefined
}

function decodable(found: FoundV1, what: string): DecodedRecord<Authorization> {
  if (found.record === undefined) {
    throw new RecoverError(`cannot ${what} v1 authorization ${found.id}: its record cannot be decoded (${found.error})`, ExitCode.CORRUPT, `"influx-recover v1 auth delete --id ${found.id}" can remove it`)
  }
  return found.record
}

// ---------------------------------------------------------------- listing

export interface V1ListFilter {
  id?: string
  username?: string
  /** the v2 user the logins belong to */
  user?: TenantRef
  org?: TenantRef
}

/**
 * The v1 authorizations the filter selects, in key order. A filter naming
 * something that does not exist (ID, user name, user, org) is an error
 * (exit 5 or 2), not an empty list.
 */
export function listV1Authorizations(tx: Tx, filter: V1ListFilter = {}): V1AuthView[] {
  const names = new Names(tx)
  const userID = filter.user !== undefined ? findUser(tx, filter.user).id : undefined
  const orgID = filter.org !== undefined ? findOrg(tx, filter.org).id : undefined
  const keep = (v: V1AuthView): boolean => (userID === undefined || v.userID === userID) && (orgID === undefined || v.orgID === orgID)
  if (filter.id !== undefined || filter.username !== undefined) {
    let out: V1AuthView[] = []
    for (const ref of [filter.id !== undefined ? {id: filter.id} : undefined, filter.username !== undefined ? {username: filter.username} : undefined]) {
      if (ref === undefined) continue
      const found = findV1(tx, ref)
      const v = found.record !== undefined ? view(tx, found.record, names) : {id: found.id, error: found.error}
      out = out.length === 0 ? [v] : out.filter((o) => o.id === v.id)
    }
    return out.filter((v) => v.error !== undefined || keep(v))
  }
  const out: V1AuthView[] = []
  const b = tx.bucket(Buffer.from(LEGACY_AUTHORIZATIONS))
  const c = b?.cursor({copy: false})
  if (c === undefined) return out
  for (let e = c.first(); e !== null; e = c.next()) {
    const key = e.key.toString('utf8')
    if (e.value === null) {
      out.push({id: key, error: 'a nested bucket, not a record'})
      continue
    }
    try {
      const v = view(tx, readAuthorization(e.value, {bucket: LEGACY_AUTHORIZATIONS, key}), names)
      if (keep(v)) out.push(v)
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err
      out.push({id: key, error: err.message})
    }
  }
  return out
}

// ---------------------------------------------------------------- writes

export type V1Operation = 'create' | 'set-password' | 'activate' | 'deactivate' | 'delete'

export interface V1WriteResult {
  operation: V1Operation
  /** the authorization after the change (before it, for delete); only `id` when its record is gone or undecodable */
  auth: V1AuthView
  /** the password entry: added, replaced, removed, or untouched */
  password: 'set' | 'changed' | 'removed' | 'unchanged' | 'none'
  changes: ChangeSet
  /** for the audit line */
  ids: string[]
  notes: string[]
}

export interface CreateV1Input {
  /** the v1 user name (stored as the record's token) */
  username: string
  org: TenantRef
  /** default: the org's only owner */
  user?: TenantRef
  readBuckets: string[]
  writeBuckets: string[]
  /** default: empty, like influx v1 auth create */
  description?: string
  /** from hashPassword(); undefined: no password (--no-password) */
  passwordHash?: string
  /** the ID generator (tests) */
  ids?: SnowflakeGenerator
}

export interface V1CreatePlan {
  org: {id: string; name: string}
  user: {id: string; name: string; status: string}
  permissions: Permission[]
  notes: string[]
}

const ids = new SnowflakeGenerator()

function checkHash(hash: string): void {
  if (!INFLUXD_BCRYPT_RE.test(hash)) throw new RecoverError('internal error: the password hash is not a cost-10 $2a$ bcrypt hash', ExitCode.ERROR)
}

/**
 * The checks of createV1Authorization that need no write (also in a
 * read-only transaction, before asking for a password): the user name, the
 * schema, the org, the user (by default the org's only owner), the user name
 * unused, the buckets. Returns what the record will hold.
 */
export function precheckCreateV1(tx: Tx, input: Omit<CreateV1Input, 'passwordHash' | 'ids'>): V1CreatePlan {
  checkNewName(input.username, 'the v1 user name')
  assertWritableSchema(tx)
  requiredBucket(tx, LEGACY_AUTHORIZATIONS)
  const index = requiredBucket(tx, LEGACY_AUTHORIZATION_INDEX)
  const org = findOrg(tx, input.org)
  let user
  if (input.user !== undefined) user = findUser(tx, input.user)
  else {
    const owners = ownersOfOrg(tx, org.id)
    if (owners.length !== 1) {
      const names = owners.map((id) => {
        try {
          return quotedName(findUser(tx, {id}).name)
        } catch {
          return id
        }
      })
      throw new UsageError(
        owners.length === 0 ? `org ${quotedName(org.name)} has no owner to give the v1 authorization to` : `org ${quotedName(org.name)} has ${owners.length} owners (${names.join(', ')})`,
        'name the v2 user the login acts as with --user NAME or --user-id ID',
      )
    }
    user = findUser(tx, {id: owners[0]!})
  }
  const existing = index.get(legacyAuthIndexKey(input.username))
  if (existing !== undefined) {
    throw new RecoverError(`authorization with username ${quotedName(input.username)} already exists (${shownValue(existing)})`, ExitCode.ERROR, 'v1 user names are unique: choose another, or change that one ("v1 auth set-password", "v1 auth delete")')
  }
  const permissions: Permission[] = []
  const seen = new Set<string>()
  const add = (action: 'read' | 'write', bucketID: string): void => {
    const p = bucketPermission(tx, action, bucketID, org.id, org.name)
    const k = `${action} ${p.resource.id}`
    if (seen.has(k)) return
    seen.add(k)
    permissions.push(p)
  }
  for (const b of input.readBuckets) add('read', b)
  for (const b of input.writeBuckets) add('write', b)
  if (permissions.length === 0) {
    throw new UsageError('authorization must include permissions', 'pass --read-bucket ID and/or --write-bucket ID (repeatable); "influx-recover bucket list" or "bolt keys --bucket bucketsv1" shows the IDs')
  }
  const notes: string[] = []
  if (user.record.status !== 'active') {
    notes.push(`user ${quotedName(user.name)} has status ${JSON.stringify(user.record.status)}: influxd refuses v1 logins unless the user's status is exactly "active" ("influx-recover user active --username ${quotedName(user.name)}")`)
  }
  return {org: {id: org.id, name: org.name}, user: {id: user.id, name: user.name, status: user.record.status}, permissions, notes}
}

/** `v1 auth create`: the record, its user name index entry and (unless --no-password) its password. */
export function createV1Authorization(tx: Tx, input: CreateV1Input): V1WriteResult {
  if (input.passwordHash !== undefined) checkHash(input.passwordHash)
  const plan = precheckCreateV1(tx, input)
  const auths = requiredBucket(tx, LEGACY_AUTHORIZATIONS)
  if (input.passwordHash !== undefined) requiredBucket(tx, LEGACY_AUTHORIZATION_PASSWORDS)
  // unused as a record and as a (left-over) password entry: a new login must not inherit an old password
  const id = (input.ids ?? ids).next((c) => auths.get(idKey(c)) !== undefined || hasPasswordEntry(tx, c))
  const now = goTimeNowString(false)
  const rec: Authorization = {
    kind: 'authorization',
    id,
    token: input.username,
    status: 'active',
    description: input.description ?? '',
    orgID: plan.org.id,
    userID: plan.user.id,
    permissions: plan.permissions,
    createdAt: now,
    updatedAt: now,
  }
  const invalid = authorizationProblems(rec)
  if (invalid.length > 0) throw new RecoverError(`the new v1 authorization would be invalid: ${invalid[0]}`, ExitCode.ERROR)
  const changes = new ChangeSet(tx)
  changes.put(LEGACY_AUTHORIZATIONS, idKey(id), encodeLegacyAuthorization(rec))
  changes.put(LEGACY_AUTHORIZATION_INDEX, legacyAuthIndexKey(input.username), Buffer.from(id, 'latin1'))
  if (input.passwordHash !== undefined) changes.put(LEGACY_AUTHORIZATION_PASSWORDS, idKey(id), Buffer.from(input.passwordHash, 'latin1'), {value: HIDDEN_HASH})
  const notes = [...plan.notes]
  if (input.passwordHash === undefined) notes.push(`no password: the login cannot be used until one is set ("influx-recover v1 auth set-password --username ${input.username} --password-stdin")`)
  return {
    operation: 'create',
    auth: {...view(tx, rec, new Names(tx)), password: input.passwordHash !== undefined},
    password: input.passwordHash !== undefined ? 'set' : 'none',
    changes,
    ids: [id, plan.user.id, plan.org.id],
    notes,
  }
}

/** The checks of setV1Password that need no write: the schema and the authorization. */
export function precheckV1(tx: Tx, ref: V1AuthRef): {id: string; username: string} {
  assertWritableSchema(tx)
  const found = findV1(tx, ref)
  const rec = decodable(found, 'change')
  return {id: found.id, username: rec.token ?? ''}
}

/** `v1 auth set-password`: only the password entry changes (influxd's SetPassword). */
export function setV1Password(tx: Tx, input: {ref: V1AuthRef; passwordHash: string}): V1WriteResult {
  checkHash(input.passwordHash)
  assertWritableSchema(tx)
  const found = findV1(tx, input.ref)
  const rec = decodable(found, 'set the password of')
  requiredBucket(tx, LEGACY_AUTHORIZATION_PASSWORDS)
  const had = hasPasswordEntry(tx, found.id)
  const changes = new ChangeSet(tx)
  changes.put(LEGACY_AUTHORIZATION_PASSWORDS, idKey(found.id), Buffer.from(input.passwordHash, 'latin1'), {value: HIDDEN_HASH})
  const notes: string[] = []
  if (rec.status !== 'active') notes.push(`v1 authorization ${found.id} is inactive: "influx-recover v1 auth set-active --id ${found.id}" enables it`)
  return {operation: 'set-password', auth: {...view(tx, rec, new Names(tx)), password: true}, password: had ? 'changed' : 'set', changes, ids: [found.id], notes}
}

/** The current status of a v1 authorization (for the no-op check before a status change). */
export function peekV1(tx: Tx, ref: V1AuthRef): {id: string; username?: string; status?: AuthorizationStatus} {
  const found = findV1(tx, ref)
  return {id: found.id, username: found.record?.token, status: found.record?.status}
}

/** `v1 auth set-active` / `set-inactive`: status and updatedAt (now, local time) change; the index entry stays. */
export function setV1Status(tx: Tx, input: {ref: V1AuthRef; status: AuthorizationStatus}): V1WriteResult {
  assertWritableSchema(tx)
  const found = findV1(tx, input.ref)
  const before = decodable(found, input.status === 'active' ? 'activate' : 'deactivate')
  if (before.status === input.status) throw new RecoverError(`v1 authorization ${found.id} is already ${input.status}`, ExitCode.ERROR)
  const rec: Authorization = {...before, status: input.status, updatedAt: goTimeNowString(false)}
  const changes = new ChangeSet(tx)
  changes.put(LEGACY_AUTHORIZATIONS, idKey(found.id), encodeLegacyAuthorization(rec))
  const notes: string[] = []
  // influxd writes the index entry again on update: restore it when missing (never take it from another login)
  const index = requiredBucket(tx, LEGACY_AUTHORIZATION_INDEX)
  if (rec.token) {
    const key = legacyAuthIndexKey(rec.token)
    const cur = index.get(key)
    if (cur === undefined) changes.put(LEGACY_AUTHORIZATION_INDEX, key, Buffer.from(found.id, 'latin1'))
    else if (cur.toString('latin1') !== found.id) notes.push(`the user name ${quotedName(rec.token)} is indexed to another authorization (${shownValue(cur)}): influxd finds that one at login`)
  }
  const names = new Names(tx)
  const user = rec.userID ? names.user(rec.userID) : null
  if (input.status === 'active' && rec.userID && (user === null || user.status !== 'active')) {
    notes.push(user === null ? `its user ${rec.userID} does not exist: influxd still refuses the login` : `its user ${quotedName(user.name)} has status ${JSON.stringify(user.status)}: influxd still refuses the login until the user is active`)
  }
  if (input.status === 'active' && !hasPassword(tx, found.id)) notes.push(`it has no password: set one with "influx-recover v1 auth set-password --id ${found.id} --password-stdin"`)
  return {
    operation: input.status === 'active' ? 'activate' : 'deactivate',
    auth: view(tx, rec, names),
    password: 'unchanged',
    changes,
    ids: [found.id],
    notes,
  }
}

/**
 * `v1 auth delete`: the record, its user name index entry and its password
 * (influxd leaves the password behind). Also removes leftovers of earlier
 * deletes: a password whose record is gone (by --id), an index entry leading
 * to a missing record (by --username). An undecodable record can be deleted.
 */
export function deleteV1Authorization(tx: Tx, input: {ref: V1AuthRef}): V1WriteResult {
  assertWritableSchema(tx)
  const found = findV1(tx, input.ref, true)
  const changes = new ChangeSet(tx)
  const notes: string[] = []
  // a broken index entry may hold something that is not an ID: then only that entry goes
  const key = isValidID(found.id) ? idKey(found.id) : undefined
  let before: V1AuthView = {id: found.id}
  if (key !== undefined && (found.record !== undefined || found.error !== undefined)) {
    changes.remove(LEGACY_AUTHORIZATIONS, key)
    if (found.record !== undefined) before = view(tx, found.record, new Names(tx))
    else before.error = found.error
  }
  // the index entries that lead to this authorization: its user name's, and (for an undecodable record) any other
  const index = requiredBucket(tx, LEGACY_AUTHORIZATION_INDEX)
  const indexKeys: Buffer[] = []
  if (found.leftover?.indexKey !== undefined) indexKeys.push(found.leftover.indexKey)
  if (found.record?.token) {
    const k = legacyAuthIndexKey(found.record.token)
    const cur = index.get(k)
    if (cur?.toString('latin1') === found.id) indexKeys.push(k)
    else if (cur !== undefined) notes.push(`the user name ${quotedName(found.record.token)} is indexed to another authorization (${shownValue(cur)}); that entry stays`)
  } else if (found.record === undefined && found.leftover === undefined) {
    index.forEach((k, v) => {
      if (v !== null && v.toString('latin1') === found.id) indexKeys.push(Buffer.from(k))
    })
  }
  for (const k of indexKeys) changes.remove(LEGACY_AUTHORIZATION_INDEX, k)
  const hadPassword = key !== undefined && changes.remove(LEGACY_AUTHORIZATION_PASSWORDS, key, {value: HIDDEN_HASH})
  if (found.leftover !== undefined) {
    notes.push(`v1 authorization ${found.id} no longer exists; removed what an earlier delete left behind (${[found.leftover.indexKey ? 'its user name index entry' : '', hadPassword ? 'its password' : ''].filter((s) => s).join(' and ')})`)
  }
  if (changes.plan.length === 0) throw new NotFoundError(`v1 authorization ${found.id} does not exist`, LIST_HINT)
  return {operation: 'delete', auth: {...before, password: hadPassword}, password: hadPassword ? 'removed' : 'none', changes, ids: [found.id], notes}
}

/** Re-reads what a v1 write did; the mismatches (empty = as intended). */
export function verifyV1(tx: Tx, result: V1WriteResult, opts: {password?: string} = {}): string[] {
  const problems = result.changes.verify(tx)
  if (result.operation !== 'delete') {
    const v = tx.bucket(Buffer.from(LEGACY_AUTHORIZATIONS))?.get(idKey(result.auth.id))
    if (v === undefined) problems.push(`v1 authorization ${result.auth.id} is missing`)
    else {
      try {
        const back = decodeLegacyAuthorization(v, {bucket: LEGACY_AUTHORIZATIONS, key: result.auth.id})
        if (back.token !== result.auth.username) problems.push(`v1 authorization ${result.auth.id} reads back with another user name`)
        if (back.status !== result.auth.status) problems.push(`v1 authorization ${result.auth.id} reads back with status ${back.status}`)
        if (back.hashedToken) problems.push(`v1 authorization ${result.auth.id} has a hashedToken`)
      } catch (err) {
        problems.push(`v1 authorization ${result.auth.id} cannot be read back: ${(err as Error).message}`)
      }
    }
  }
  if (opts.password !== undefined && (result.password === 'set' || result.password === 'changed')) {
    const stored = tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_PASSWORDS))?.get(idKey(result.auth.id))
    if (stored === undefined) problems.push(`${LEGACY_AUTHORIZATION_PASSWORDS}: no password stored for ${result.auth.id}`)
    else if (!passwordMatches(opts.password, stored.toString('latin1'))) problems.push(`${LEGACY_AUTHORIZATION_PASSWORDS}: the stored hash does not accept the password`)
  }
  return problems
}

// ---------------------------------------------------------------- health (doctor)

export interface V1Health {
  count: number
  active: number
  withPassword: number
  undecodable: string[]
  /** logins influxd cannot find, or finds wrongly, through the user name index */
  indexProblems: string[]
  /** password entries whose authorization is gone (influxd's delete leaves them) */
  orphanPasswords: string[]
  /** logins whose user or org is missing, or whose user influxd refuses */
  ownerProblems: string[]
}

/** The state of the three legacy buckets, for doctor (reads them whole: that is the job). */
export function v1Health(tx: Tx): V1Health {
  const h: V1Health = {count: 0, active: 0, withPassword: 0, undecodable: [], indexProblems: [], orphanPasswords: [], ownerProblems: []}
  const records = tx.bucket(Buffer.from(LEGACY_AUTHORIZATIONS))
  if (records === undefined) return h
  const names = new Names(tx)
  const index = tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_INDEX))
  const passwords = tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_PASSWORDS))
  const tokenOf = new Map<string, string>()
  const broken = new Set<string>()
  const c = records.cursor({copy: false})
  for (let e = c.first(); e !== null; e = c.next()) {
    const key = e.key.toString('utf8')
    h.count++
    if (e.value === null) {
      h.undecodable.push(`v1 authorization ${key}: a nested bucket, not a record`)
      broken.add(key)
      continue
    }
    let a: Authorization
    try {
      a = readAuthorization(e.value, {bucket: LEGACY_AUTHORIZATIONS, key})
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err
      h.undecodable.push(err.message)
      broken.add(key)
      continue
    }
    tokenOf.set(key, a.token ?? '')
    if (a.status === 'active') h.active++
    const pw = passwords?.get(e.key)
    if (pw !== undefined && pw !== null && pw.length > 0) h.withPassword++
    const shown = `v1 authorization ${a.id} (${quotedName(a.token ?? '')})`
    if (!a.token) h.indexProblems.push(`${shown} has no user name: nobody can log in with it`)
    else {
      const to = index?.get(legacyAuthIndexKey(a.token))
      if (to === undefined) h.indexProblems.push(`${shown}: its user name has no index entry (influxd cannot find it at login)`)
      else if (to.toString('latin1') !== key) h.indexProblems.push(`${shown}: its user name is indexed to ${shownValue(to)}`)
    }
    const user = a.userID ? names.user(a.userID) : null
    if (!a.userID) h.ownerProblems.push(`${shown} has no user`)
    else if (user === null) h.ownerProblems.push(`${shown}: user ${a.userID} does not exist (influxd refuses the login)`)
    else if (user.status !== 'active') h.ownerProblems.push(`${shown}: user ${quotedName(user.name)} has status ${JSON.stringify(user.status)} (influxd refuses v1 logins unless it is "active")`)
    if (names.org(a.orgID) === null) h.ownerProblems.push(`${shown}: org ${a.orgID} does not exist`)
  }
  index?.forEach((k, v) => {
    const id = v === null ? '(nested bucket)' : v.toString('latin1')
    const token = tokenOf.get(id)
    if (broken.has(id)) return // reported as undecodable
    const name = k.toString('utf8')
    const to = v === null ? id : shownValue(v)
    if (token === undefined) h.indexProblems.push(`index entry ${quotedName(name)} leads to ${to}, which does not exist ("influx-recover v1 auth delete --username ${quotedName(name)}" removes it)`)
    else if (token !== name) h.indexProblems.push(`index entry ${quotedName(name)} leads to ${to}, whose user name is ${quotedName(token)}`)
  })
  passwords?.forEach((k) => {
    if (records.get(k) === undefined) h.orphanPasswords.push(shownValue(k))
  })
  return h
}
