/**
 * Deleting, renaming, activating and deactivating users offline, as
 * influxd's tenant store does (tenant/storage_user.go, v2.9.1):
 *
 *  - delete: usersv1[id], userindexv1[name], userspasswordv1[id], and every
 *    user resource mapping of the user with its by-user index entry
 *    (ListURMs by the by-user index, DeleteURM each). influxd keeps the
 *    user's tokens, which then answer 403 "User is inactive"; we refuse while
 *    the user owns tokens (v2 or v1 logins), or is the last owner of an org,
 *    unless forced; forced, the tokens go too (records, their raw or hashed
 *    index entries; a v1 login's user name entry and password).
 *  - rename: the record re-encoded with the new name; the old index key
 *    deleted and the new one put, in the same transaction. The new name must
 *    not be in the index ("user with name X already exists").
 *  - active / inactive: the record re-encoded with the status. influxd then
 *    refuses every token of an inactive user (v2: 403 "User is inactive";
 *    v1 logins need the status to be exactly "active"). Deactivating the
 *    owner of every active operator token is refused unless forced.
 *
 * Every other byte of a re-encoded record is kept (records.ts). Reads go by
 * key (the user through its index or ID, mappings by prefix); the tokens of
 * one user can only be found by a pass over the tokens (token-scan.ts).
 */
import type {Tx} from '../bbolt/index.js'
import {
  AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, AUTHORIZATIONS, LEGACY_AUTHORIZATION_INDEX, LEGACY_AUTHORIZATION_PASSWORDS,
  LEGACY_AUTHORIZATIONS, ORGANIZATIONS, USER_INDEX, USER_PASSWORDS, USERS, idKey, legacyAuthIndexKey, tokenIndexKey, userIndexKey,
} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {readAuthorization, encodeUser, type User, type UserStatus} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {ExitCode, RecoverError} from '../errors.js'
import {assertWritableSchema, tokenLabel} from './auth-write.js'
import {ChangeSet, requiredBucket} from './change-set.js'
import {checkNewName, quotedName, shownValue} from './name-rules.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'
import {scanTokens, type OwnedToken} from './token-scan.js'
import {describeMapping, mappingsOfUser, ownersOfOrg, removeUserMappings} from './user-mappings.js'
import {HIDDEN_HASH} from './user-write.js'

export type UserAdminOperation = 'delete' | 'rename' | 'activate' | 'deactivate'

export interface UserAdminResult {
  operation: UserAdminOperation
  /** the user after the change (as it was, for delete) */
  user: {id: string; name: string; status: UserStatus}
  /** rename: the name before */
  previousName?: string
  /** false: already as asked, nothing written */
  changed: boolean
  /** delete --force: the tokens and v1 logins deleted with the user */
  deletedTokens: OwnedToken[]
  /** delete: the mappings removed, described ("owner of orgs …") */
  removedMappings: string[]
  /** inactive: the tokens influxd now refuses */
  affectedTokens: OwnedToken[]
  changes: ChangeSet
  /** for the audit line */
  ids: string[]
  /** SHA-256 fingerprints of the raw tokens deleted, for the audit line */
  fingerprints: string[]
  notes: string[]
}

function base(operation: UserAdminOperation, user: {id: string; name: string; status: UserStatus}, tx: Tx): UserAdminResult {
  return {operation, user, changed: true, deletedTokens: [], removedMappings: [], affectedTokens: [], changes: new ChangeSet(tx), ids: [user.id], fingerprints: [], notes: []}
}

function tokenList(tokens: readonly OwnedToken[]): string {
  const shown = tokens.slice(0, 10).map((t) => (t.kind === 'v1' ? `v1 login ${t.id} (${quotedName(t.username ?? '')})` : `token ${t.id} (${quotedName(t.description)})`))
  return `${shown.join(', ')}${tokens.length > shown.length ? `, … (${tokens.length - shown.length} more)` : ''}`
}

function orgNameOf(tx: Tx, orgID: string): string {
  try {
    return quotedName(findOrg(tx, {id: orgID}).name)
  } catch {
    return orgID
  }
}

// ---------------------------------------------------------------- delete

export interface DeleteUserInput {
  user: TenantRef
  /** also delete the user's tokens, and delete the last owner of an org */
  force?: boolean
}

/** Removes one v2 token: its record and the index entries of its token and hash that lead to it. */
function removeToken(tx: Tx, changes: ChangeSet, id: string, fingerprints: string[]): void {
  const key = idKey(id)
  const value = tx.bucket(Buffer.from(AUTHORIZATIONS))?.get(key)
  if (value === undefined) return
  let a
  try {
    a = readAuthorization(value, {bucket: AUTHORIZATIONS, key: id})
  } catch (err) {
    if (!(err instanceof SchemaError)) throw err
  }
  changes.remove(AUTHORIZATIONS, key, {value: '(the token record)'})
  if (a?.token) {
    const k = tokenIndexKey(a.token)
    if (tx.bucket(Buffer.from(AUTHORIZATION_INDEX))?.get(k)?.toString('latin1') === id) changes.remove(AUTHORIZATION_INDEX, k, {key: tokenLabel(a.token)})
    fingerprints.push(tokenFingerprint(a.token))
  }
  if (a?.hashedToken) {
    const k = tokenIndexKey(a.hashedToken)
    if (tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))?.get(k)?.toString('latin1') === id) changes.remove(AUTHORIZATION_HASHED_INDEX, k)
  }
}

/** Removes one v1 login: record, user name index entry (when it leads to it), password. */
function removeLogin(tx: Tx, changes: ChangeSet, login: OwnedToken): void {
  const key = idKey(login.id)
  changes.remove(LEGACY_AUTHORIZATIONS, key)
  if (login.username) {
    const k = legacyAuthIndexKey(login.username)
    if (tx.bucket(Buffer.from(LEGACY_AUTHORIZATION_INDEX))?.get(k)?.toString('latin1') === login.id) changes.remove(LEGACY_AUTHORIZATION_INDEX, k)
  }
  changes.remove(LEGACY_AUTHORIZATION_PASSWORDS, key, {value: HIDDEN_HASH})
}

/** `user delete`: see the module comment. */
export function deleteUser(tx: Tx, input: DeleteUserInput): UserAdminResult {
  assertWritableSchema(tx)
  const u = findUser(tx, input.user)
  const result = base('delete', {id: u.id, name: u.name, status: u.record.status}, tx)
  const {changes, notes} = result
  const scan = scanTokens(tx, {userID: u.id})
  const mappings = mappingsOfUser(tx, u.id)
  const lastOwnerOf = mappings
    .filter((m) => m.record?.userType === 'owner' && m.record.resourceType === 'orgs')
    .map((m) => m.record!.resourceID)
    .filter((orgID) => ownersOfOrg(tx, orgID).every((owner) => owner === u.id))
  const operatorsLeft = scan.usableOperators.filter((o) => o.userID !== u.id).length
  const ownsLastOperator = operatorsLeft === 0 && scan.usableOperators.length > 0
  if (!input.force && (scan.owned.length > 0 || lastOwnerOf.length > 0)) {
    const reasons: string[] = []
    if (scan.owned.length > 0) reasons.push(`it owns ${scan.owned.length} token(s): ${tokenList(scan.owned)}${ownsLastOperator ? ', among them the last active operator token' : ''}`)
    if (lastOwnerOf.length > 0) reasons.push(`it is the last owner of org ${lastOwnerOf.map((o) => orgNameOf(tx, o)).join(', ')}`)
    throw new RecoverError(
      `refusing to delete user ${quotedName(u.name)}: ${reasons.join('; ')}`,
      ExitCode.ERROR,
      scan.owned.length > 0 ? 'pass --force to delete the user with these tokens (they stop working), or move the work to other tokens first' : 'give the org another owner first ("influx-recover org members add --owner"), or pass --force',
    )
  }
  if (scan.undecodable.length > 0) notes.push(`${scan.undecodable.length} token record(s) cannot be decoded, so whether they belong to this user is unknown: ${scan.undecodable.slice(0, 5).join(', ')}`)

  for (const t of scan.owned) {
    if (t.kind === 'v2') removeToken(tx, changes, t.id, result.fingerprints)
    else removeLogin(tx, changes, t)
  }
  result.deletedTokens = scan.owned
  result.ids.push(...scan.owned.map((t) => t.id))

  changes.remove(USERS, idKey(u.id), {value: '(the user record)'})
  const indexKey = userIndexKey(u.name)
  if (tx.bucket(Buffer.from(USER_INDEX))?.get(indexKey)?.toString('latin1') === u.id) changes.remove(USER_INDEX, indexKey)
  changes.remove(USER_PASSWORDS, idKey(u.id), {value: HIDDEN_HASH})
  result.removedMappings = removeUserMappings(changes, tx, u.id).map(describeMapping)

  if (ownsLastOperator && scan.owned.some((t) => t.operator)) notes.push('the last active operator token was deleted with the user: nobody can administer this InfluxDB until another one is created ("influx-recover auth create-operator")')
  for (const orgID of lastOwnerOf) notes.push(`org ${orgNameOf(tx, orgID)} has no owner now`)
  const noneLeft = (bucket: string): boolean => tx.bucket(Buffer.from(bucket))?.cursor().first() == null
  if (noneLeft(USERS) && noneLeft(ORGANIZATIONS)) notes.push('the file has no users and no orgs now: influxd offers its onboarding (initial setup) again to anyone who connects')
  return result
}

// ---------------------------------------------------------------- rename

/** The user a rename or status change is about, with the schema checked first (for the commands' no-op checks). */
export function peekUser(tx: Tx, ref: TenantRef): {id: string; name: string; status: UserStatus} {
  const u = findUser(tx, ref)
  return {id: u.id, name: u.name, status: u.record.status}
}

/** `user rename`: new name in the record and the index, old index key removed, one transaction. */
export function renameUser(tx: Tx, input: {user: TenantRef; name: string}): UserAdminResult {
  checkNewName(input.name, 'the new user name')
  assertWritableSchema(tx)
  const u = findUser(tx, input.user)
  const result = base('rename', {id: u.id, name: input.name, status: u.record.status}, tx)
  result.previousName = u.name
  if (u.name === input.name) {
    result.changed = false
    return result
  }
  const index = requiredBucket(tx, USER_INDEX)
  const taken = index.get(userIndexKey(input.name))
  if (taken !== undefined) throw new RecoverError(`user with name ${quotedName(input.name)} already exists (${shownValue(taken)})`, ExitCode.ERROR, 'choose another name, or rename or delete that user first')
  const rec: User = {...u.record, name: input.name}
  result.changes.put(USERS, idKey(u.id), encodeUser(rec))
  const oldKey = userIndexKey(u.name)
  const cur = index.get(oldKey)
  if (cur?.toString('latin1') === u.id) result.changes.remove(USER_INDEX, oldKey)
  else if (cur !== undefined) result.notes.push(`the old name's index entry leads to another user (${shownValue(cur)}); it stays`)
  result.changes.put(USER_INDEX, userIndexKey(input.name), Buffer.from(u.id, 'latin1'))
  result.notes.push(`the user logs in as ${quotedName(input.name)} now; token descriptions that name ${quotedName(u.name)} keep the old name`)
  return result
}

// ---------------------------------------------------------------- status

/** `user active` / `user inactive`: the status in the record; see the module comment for the guard. */
export function setUserStatus(tx: Tx, input: {user: TenantRef; status: 'active' | 'inactive'; force?: boolean}): UserAdminResult {
  assertWritableSchema(tx)
  const u = findUser(tx, input.user)
  const result = base(input.status === 'active' ? 'activate' : 'deactivate', {id: u.id, name: u.name, status: input.status}, tx)
  if (u.record.status === input.status) {
    result.changed = false
    return result
  }
  if (input.status === 'inactive') {
    const scan = scanTokens(tx, {userID: u.id})
    const mine = scan.usableOperators.filter((o) => o.userID === u.id)
    const others = scan.usableOperators.length - mine.length
    if (mine.length > 0 && others === 0) {
      if (!input.force) {
        throw new RecoverError(
          `refusing to deactivate user ${quotedName(u.name)}: it owns the last active operator token (${mine.map((o) => o.id).join(', ')}); influxd refuses the tokens of an inactive user, so nobody could administer this InfluxDB`,
          ExitCode.ERROR,
          'create an operator token for another user first ("influx-recover auth create-operator"), or pass --force',
        )
      }
      result.notes.push('no active operator token is usable now: nobody can administer this InfluxDB until the user is active again')
    }
    result.affectedTokens = scan.owned.filter((t) => t.status === 'active')
    if (result.affectedTokens.length > 0) result.notes.push(`influxd refuses the ${result.affectedTokens.length} active token(s) and v1 login(s) of this user while it is inactive: ${tokenList(result.affectedTokens)}`)
  }
  const rec: User = {...u.record, status: input.status}
  result.changes.put(USERS, idKey(u.id), encodeUser(rec))
  if (input.status === 'active' && u.record.status === '') result.notes.push('its status was empty (as "influxd recovery user create" leaves it); v1 logins of this user work now')
  return result
}

/** Re-reads what a user write did: every entry as written or removed, and the user as intended. */
export function verifyUserAdmin(tx: Tx, r: UserAdminResult): string[] {
  const problems = r.changes.verify(tx)
  if (r.operation === 'delete') {
    if (tx.bucket(Buffer.from(USERS))?.get(idKey(r.user.id)) !== undefined) problems.push(`user ${r.user.id} is still there`)
    return problems
  }
  try {
    const back = findUser(tx, {id: r.user.id})
    if (back.name !== r.user.name) problems.push(`user ${r.user.id} is named ${quotedName(back.name)}, expected ${quotedName(r.user.name)}`)
    if (back.record.status !== r.user.status) problems.push(`user ${r.user.id} has status ${JSON.stringify(back.record.status)}, expected ${JSON.stringify(r.user.status)}`)
    const byName = findUser(tx, {name: r.user.name})
    if (byName.id !== r.user.id) problems.push(`${USER_INDEX} maps ${quotedName(r.user.name)} to ${byName.id}, expected ${r.user.id}`)
  } catch (err) {
    problems.push(`cannot read user ${r.user.id} back: ${(err as Error).message}`)
  }
  return problems
}
