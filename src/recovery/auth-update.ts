/**
 * `auth update`: a new description and/or a whole new permission set for an
 * existing API token, which influxd's API cannot do (its UpdateAuthorization
 * changes only status and description).
 *
 * What is written is what influxd's store writes on an update
 * (authorization/service.go UpdateAuthorization → store.UpdateAuthorization):
 * the record re-encoded with updatedAt = now in the writer's local zone.
 * Everything else stays byte for byte: ID, token or hashedToken, status,
 * user, org, createdAt. The index entries are not touched: the token does
 * not change, so influxd's re-put of them would write the same bytes.
 *
 * The permissions come from the flags of `auth create` with the same rules
 * (requestedPermissions). A token that influxd accepts as an operator's and
 * would no longer be one is refused when no other such token exists, unless
 * forced.
 *
 * Reads go by ID: the record, its user and org. Only that guard needs a pass
 * over the tokens (token-scan.ts), and only when the token is an operator's.
 */
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, AUTHORIZATIONS, ORGANIZATIONS, USERS, idKey, tokenIndexKey} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {goTimeNowString} from '../influxd/gotime.js'
import {formatID, parseID} from '../influxd/ids.js'
import type {Permission} from '../influxd/permission.js'
import {classifyToken, formatPermissionInfluxd, permissionKey, type TokenKind} from '../influxd/permissions.js'
import {authorizationProblems, decodeAuthorization, decodeOrganization, decodeUser, encodeAuthorization, type Authorization, type DecodedRecord} from '../influxd/records.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {assertWritableSchema, requestedPermissions, tokenLabel, type PermissionRequest} from './auth-write.js'
import {ChangeSet, requiredBucket} from './change-set.js'
import {tokenState, type TokenState} from './list.js'
import {isUsableOperator, scanTokens, UserStatusCache} from './token-scan.js'

export interface UpdateAuthorizationInput {
  id: string
  /** the new description (unchanged when undefined) */
  description?: string
  /** the new permission set, replacing the whole list (unchanged when undefined) */
  permissions?: PermissionRequest
  /** also narrow the last active operator token */
  force?: boolean
}

export interface UpdateAuthorizationResult {
  id: string
  before: Authorization
  record: Authorization
  userName?: string
  orgName?: string
  kindBefore: TokenKind
  kindAfter: TokenKind
  /** permissions granted now that were not before (by value, in the new list's order) */
  added: Permission[]
  /** permissions no longer granted (in the old list's order) */
  removed: Permission[]
  descriptionChanged: boolean
  /** false: the description and the permission set are already as asked (nothing is written) */
  changed: boolean
  tokenState: TokenState
  changes: ChangeSet
  notes: string[]
  /** the token index entries that pointed at the record before (verify checks they still do) */
  indexedBefore: Array<{bucket: string; key: Buffer}>
}

function parseAuthID(text: string): string {
  try {
    return formatID(parseID(text))
  } catch (err) {
    throw new UsageError(`invalid authorization ID ${JSON.stringify(text)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits, as "auth list" shows it')
  }
}

function readRecord(tx: Tx, id: string): DecodedRecord<Authorization> {
  const value = requiredBucket(tx, AUTHORIZATIONS).get(idKey(id))
  if (value === undefined) throw new NotFoundError(`authorization ${id} does not exist`, '"influx-recover auth list" lists every token with its ID')
  try {
    return decodeAuthorization(value, {bucket: AUTHORIZATIONS, key: id})
  } catch (err) {
    if (err instanceof SchemaError) throw new RecoverError(`cannot update authorization ${id}: its record cannot be decoded (${err.message})`, ExitCode.CORRUPT, '"influx-recover auth delete" can remove it')
    throw err
  }
}

function orgName(tx: Tx, orgID: string): string | undefined {
  const v = tx.bucket(Buffer.from(ORGANIZATIONS))?.get(idKey(orgID))
  if (v === undefined) return undefined
  try {
    return decodeOrganization(v, {bucket: ORGANIZATIONS, key: orgID}).name
  } catch {
    return undefined
  }
}

/** The index entries that lead to this record by its token or hash. */
function indexEntriesOf(tx: Tx, a: Authorization): Array<{bucket: string; key: Buffer}> {
  const out: Array<{bucket: string; key: Buffer}> = []
  const check = (bucket: string, text: string | undefined): void => {
    if (!text) return
    const key = tokenIndexKey(text)
    if (tx.bucket(Buffer.from(bucket))?.get(key)?.toString('latin1') === a.id) out.push({bucket, key})
  }
  check(AUTHORIZATION_INDEX, a.token)
  check(AUTHORIZATION_HASHED_INDEX, a.hashedToken)
  return out
}

/** Set difference by influxd's notion of equal permissions, keeping the order of `from`. */
function minus(from: readonly Permission[], other: readonly Permission[]): Permission[] {
  const keys = new Set(other.map(permissionKey))
  const seen = new Set<string>()
  return from.filter((p) => {
    const k = permissionKey(p)
    if (keys.has(k) || seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** The record as shown in a plan: a raw token replaced by its fingerprint. */
function shown(a: Authorization): string {
  const copy: Authorization = {...a}
  if (copy.token) copy.token = tokenLabel(copy.token)
  return encodeAuthorization(copy).toString('utf8')
}

/** `auth update`: see the module comment. */
export function updateAuthorization(tx: Tx, input: UpdateAuthorizationInput): UpdateAuthorizationResult {
  if (input.description === undefined && input.permissions === undefined) {
    throw new UsageError('nothing to update', 'pass --description TEXT and/or the permission flags of "auth create" (--all-access, --operator, --read-bucket ID, --read-TYPE, …)')
  }
  const schema = assertWritableSchema(tx)
  const id = parseAuthID(input.id)
  const before = readRecord(tx, id)
  const org = orgName(tx, before.orgID)
  let permissions = before.permissions
  if (input.permissions !== undefined) {
    if (input.permissions.kind === 'all-access' && !before.userID) {
      throw new UsageError(`authorization ${id} has no user, and an all-access set grants read and write on its user`, 'give the permissions one by one instead')
    }
    permissions = requestedPermissions(tx, input.permissions, {orgID: before.orgID, userID: before.userID ?? '', orgName: org ?? before.orgID, schema})
  }
  const description = input.description ?? before.description
  const oldList = before.permissions ?? []
  const newList = permissions ?? []
  const added = minus(newList, oldList)
  const removed = minus(oldList, newList)
  const descriptionChanged = description !== before.description
  const changed = descriptionChanged || added.length > 0 || removed.length > 0
  const kindBefore = classifyToken(oldList, before.orgID, before.userID).kind
  const kindAfter = classifyToken(newList, before.orgID, before.userID).kind
  const users = new UserStatusCache(tx)
  const userName = before.userID ? findUserName(tx, before.userID) : undefined
  const changes = new ChangeSet(tx)
  const notes: string[] = []
  const record: Authorization = {...before, description, permissions, updatedAt: changed ? goTimeNowString(false) : before.updatedAt}
  const result: UpdateAuthorizationResult = {
    id, before, record, userName, orgName: org, kindBefore, kindAfter, added, removed, descriptionChanged, changed,
    tokenState: tokenState(before), changes, notes, indexedBefore: indexEntriesOf(tx, before),
  }
  if (!changed) return result

  const invalid = authorizationProblems(record)
  if (invalid.length > 0) throw new RecoverError(`the updated token would be invalid: ${invalid[0]}`, ExitCode.ERROR)
  if (kindBefore === 'operator' && kindAfter !== 'operator' && isUsableOperator(before, users)) {
    const others = scanTokens(tx, {users}).usableOperators.filter((o) => o.id !== id)
    if (others.length === 0 && !input.force) {
      throw new RecoverError(
        `refusing to narrow ${id}: it is the last active operator token of an existing, active user; without it nobody can administer this InfluxDB`,
        ExitCode.ERROR,
        'create another one first ("influx-recover auth create-operator"), or pass --force to do it anyway',
      )
    }
    if (others.length === 0) notes.push(`${id} was the last active operator token: no token can administer this InfluxDB any more`)
  }
  if (before.status !== 'active') notes.push(`authorization ${id} is inactive: "auth active --id ${id}" enables it`)
  changes.put(AUTHORIZATIONS, idKey(id), encodeAuthorization(record), {value: shown(record)})
  return result
}

function findUserName(tx: Tx, userID: string): string | undefined {
  const v = tx.bucket(Buffer.from(USERS))?.get(idKey(userID))
  if (v === undefined) return undefined
  try {
    return decodeUser(v, {bucket: USERS, key: userID}).name
  } catch {
    return undefined
  }
}

/** Re-reads the updated record: the bytes written, the token and status unchanged, the index entries still leading to it. */
export function verifyUpdate(tx: Tx, r: UpdateAuthorizationResult): string[] {
  const problems = r.changes.verify(tx)
  const v = tx.bucket(Buffer.from(AUTHORIZATIONS))?.get(idKey(r.id))
  if (v === undefined) return [...problems, `authorization ${r.id} is missing`]
  try {
    const back = decodeAuthorization(v, {bucket: AUTHORIZATIONS, key: r.id})
    if ((back.token ?? '') !== (r.before.token ?? '') || (back.hashedToken ?? '') !== (r.before.hashedToken ?? '')) problems.push(`authorization ${r.id} reads back with another token`)
    if (back.status !== r.before.status || back.userID !== r.before.userID || back.orgID !== r.before.orgID || back.createdAt !== r.before.createdAt) problems.push(`authorization ${r.id} reads back with another status, user, org or createdAt`)
  } catch (err) {
    problems.push(`authorization ${r.id} cannot be read back: ${(err as Error).message}`)
  }
  for (const e of r.indexedBefore) {
    if (tx.bucket(Buffer.from(e.bucket))?.get(e.key)?.toString('latin1') !== r.id) problems.push(`${e.bucket}: the entry of authorization ${r.id} no longer leads to it`)
  }
  return problems
}

/** The permission change as lines for people: `- read:orgs/…/buckets`, `+ write:…`. */
export function permissionDiffLines(r: UpdateAuthorizationResult): string[] {
  return [...r.removed.map((p) => `- ${formatPermissionInfluxd(p)}`), ...r.added.map((p) => `+ ${formatPermissionInfluxd(p)}`)]
}
