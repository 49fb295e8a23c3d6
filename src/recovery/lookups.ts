/**
 * The reads a single-record write needs, each by key or index lookup (a few
 * B+tree descents), never a pass over every token: the cost of creating,
 * rotating, enabling or deleting one token must not grow with the number of
 * tokens in the file. Whole-store reads stay with the commands whose job is
 * the whole store (doctor, hash-upgrade, export, restore-plaintext, lists).
 *
 * These are influxd's own lookups (authorization/storage_authorization.go):
 * a token is unique when neither the raw index nor the hashed index under
 * any variant holds it (uniqueAuthToken), a record is found by its id, a
 * token's index entries are the keys of its own token and hash
 * (deleteIndices).
 */
import type {Bucket, Tx} from '../bbolt/index.js'
import {
  AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, AUTHORIZATIONS, ORGANIZATIONS, USERS, idKey, tokenIndexKey,
} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {allTokenHashes, parseTokenHash} from '../influxd/hashing.js'
import {formatID, parseID} from '../influxd/ids.js'
import {classifyToken} from '../influxd/permissions.js'
import {
  decodeAuthorization, decodeOrganization, decodeUser, readAuthorization,
  type Authorization, type DecodedRecord, type Organization, type User,
} from '../influxd/records.js'

const bucketOf = (tx: Tx, name: string): Bucket | undefined => tx.bucket(Buffer.from(name))

// ---------------------------------------------------------------- records by id

/** An authorization found by its id: the decoded record, or why it cannot be decoded. */
export interface StoredAuthorization {
  /** canonical id (16 lowercase hex digits) */
  id: string
  /** with its `source`, so an update keeps every other field's bytes */
  record?: DecodedRecord<Authorization>
  error?: string
}

/** The authorization stored under `id` (canonical), undefined when there is none. One lookup, one decode. */
export function authorizationById(tx: Tx, id: string): StoredAuthorization | undefined {
  const value = bucketOf(tx, AUTHORIZATIONS)?.get(idKey(id))
  if (value === undefined) return undefined
  try {
    return {id, record: decodeAuthorization(value, {bucket: AUTHORIZATIONS, key: id})}
  } catch (err) {
    if (err instanceof SchemaError) return {id, error: err.message}
    throw err
  }
}

function tenantById<R>(tx: Tx, bucket: string, id: string, decode: (v: Uint8Array, o: {bucket: string; key: string}) => DecodedRecord<R>): DecodedRecord<R> | undefined {
  let key: Buffer
  try {
    key = idKey(id)
  } catch {
    return undefined
  }
  const value = bucketOf(tx, bucket)?.get(key)
  if (value === undefined) return undefined
  try {
    return decode(value, {bucket, key: formatID(parseID(id))})
  } catch (err) {
    if (err instanceof SchemaError) return undefined
    throw err
  }
}

/** The user with this id, undefined when there is none or its record cannot be decoded. */
export function userById(tx: Tx, id: string): DecodedRecord<User> | undefined {
  return tenantById(tx, USERS, id, decodeUser)
}

/** The org with this id, undefined when there is none or its record cannot be decoded. */
export function orgById(tx: Tx, id: string): DecodedRecord<Organization> | undefined {
  return tenantById(tx, ORGANIZATIONS, id, decodeOrganization)
}

/**
 * The first `limit` authorization ids in key order (with their descriptions
 * where they decode) and whether there are more: what a "does not exist"
 * message shows, without reading every token.
 */
export function someAuthorizations(tx: Tx, limit: number): {shown: string[]; more: boolean} {
  const shown: string[] = []
  const c = bucketOf(tx, AUTHORIZATIONS)?.cursor({copy: false})
  if (c === undefined) return {shown, more: false}
  for (let e = c.first(); e !== null; e = c.next()) {
    if (shown.length === limit) return {shown, more: true}
    const key = e.key.toString('utf8')
    if (e.value === null) {
      shown.push(key)
      continue
    }
    try {
      const a = readAuthorization(e.value, {bucket: AUTHORIZATIONS, key})
      shown.push(`${a.id} (${JSON.stringify(a.description)})`)
    } catch {
      shown.push(key)
    }
  }
  return {shown, more: false}
}

// ---------------------------------------------------------------- token indexes

/**
 * Why a token cannot be used (it is already someone's), or undefined when it
 * is free: the raw index, then the hashed index under every variant, as
 * influxd's uniqueAuthToken decides. A record whose token has no index entry
 * is an index problem (doctor reports it), not a holder influxd would find.
 */
export function tokenConflict(tx: Tx, token: string): string | undefined {
  const raw = bucketOf(tx, AUTHORIZATION_INDEX)?.get(tokenIndexKey(token))
  if (raw !== undefined) return `the raw token index already holds it (for authorization ${raw.toString('latin1')})`
  const hashed = bucketOf(tx, AUTHORIZATION_HASHED_INDEX)
  if (hashed === undefined) return undefined
  for (const h of allTokenHashes(token)) {
    const owner = hashed.get(tokenIndexKey(h))
    if (owner !== undefined) return `the hashed token index already holds its ${parseTokenHash(h).variant} hash (for authorization ${owner.toString('latin1')})`
  }
  return undefined
}

/** Whether the file stores tokens hashed: its hashed index has an entry (one cursor step). */
export function holdsHashedTokens(tx: Tx): boolean {
  const b = bucketOf(tx, AUTHORIZATION_HASHED_INDEX)
  return b !== undefined && b.cursor({copy: false}).first() !== null
}

/** Keys of one index bucket whose value is `id` (any case), found by walking it: for the rare cases below. */
function sweep(b: Bucket | undefined, id: string): Buffer[] {
  const out: Buffer[] = []
  if (b === undefined) return out
  const want = Buffer.from(id.toLowerCase(), 'latin1')
  const c = b.cursor({scan: true})
  for (let e = c.firstView(); e !== null; e = c.nextView()) {
    const v = e.valueBuf
    if (v === null || e.valueEnd - e.valueStart !== want.length) continue
    const value = v.subarray(e.valueStart, e.valueEnd)
    if (value.equals(want) || value.toString('latin1').toLowerCase() === id.toLowerCase()) {
      out.push(Buffer.from(e.keyBuf.subarray(e.keyStart, e.keyEnd)))
    }
  }
  return out
}

/** The index entries that lead to one authorization. */
export interface IndexEntries {
  raw: Buffer[]
  hashed: Buffer[]
}

/**
 * The raw and hashed index entries pointing at authorization `id`, as the
 * record's own keys give them (influxd's deleteIndices): its token in the raw
 * index and its hash in the hashed index, each one lookup. Two cases add a
 * walk of one index, because only a walk can find the entries:
 *  - a hashed record: a raw entry left beside it (an interrupted or foreign
 *    migration) is keyed by the plaintext, which the hash cannot give back.
 *    The walk reads only the raw index, which in a hashed file holds just
 *    such leftovers and tokens not yet hashed (an empty bucket after 2.9's
 *    migration);
 *  - an undecodable record: both indexes are walked.
 * Entries of a raw record under other keys (a damaged index) are doctor's to
 * report; they are not looked for here.
 */
export function indexEntriesOf(tx: Tx, id: string, record: Authorization | undefined): IndexEntries {
  const rawIdx = bucketOf(tx, AUTHORIZATION_INDEX)
  const hashedIdx = bucketOf(tx, AUTHORIZATION_HASHED_INDEX)
  if (record === undefined) return {raw: sweep(rawIdx, id), hashed: sweep(hashedIdx, id)}
  const pointsHere = (b: Bucket | undefined, key: string | undefined): Buffer[] => {
    if (b === undefined || key === undefined || key === '') return []
    const k = tokenIndexKey(key)
    const v = b.get(k)
    return v !== undefined && v.toString('latin1').toLowerCase() === id.toLowerCase() ? [k] : []
  }
  const hashed = pointsHere(hashedIdx, record.hashedToken)
  const own = pointsHere(rawIdx, record.token)
  if (!record.hashedToken) return {raw: own, hashed}
  const raw = sweep(rawIdx, id)
  for (const k of own) if (!raw.some((r) => r.equals(k))) raw.push(k)
  return {raw, hashed}
}

/**
 * Index problems of one authorization, as checkTokenIndexes words them for
 * that record: what a write must not leave behind for the record it wrote.
 * `token` is the plaintext when the caller knows it (a new or rotated token):
 * a hashed record must then have no raw entry of it.
 */
export function recordIndexProblems(tx: Tx, a: Authorization, token?: string): string[] {
  const problems: string[] = []
  const rawIdx = bucketOf(tx, AUTHORIZATION_INDEX)
  const hashedIdx = bucketOf(tx, AUTHORIZATION_HASHED_INDEX)
  const hasRaw = a.token !== undefined && a.token !== ''
  const hasHash = a.hashedToken !== undefined && a.hashedToken !== ''
  if (hasRaw && hasHash) problems.push(`authorization ${a.id} stores both a token and its hash: influxd 2.9 skips such records, so the plaintext stays on disk`)
  if (hasRaw) {
    const to = rawIdx?.get(tokenIndexKey(a.token!))?.toString('utf8')
    if (to !== a.id) problems.push(to !== undefined ? `authorization ${a.id}: its raw index entry points at ${to}` : `authorization ${a.id}: raw token has no index entry (influxd cannot find it)`)
  }
  if (hasHash) {
    if (hashedIdx === undefined) problems.push(`authorization ${a.id} is hashed but the ${AUTHORIZATION_HASHED_INDEX} bucket is missing (influxd < 2.8 cannot use it)`)
    else {
      const to = hashedIdx.get(tokenIndexKey(a.hashedToken!))?.toString('utf8')
      if (to !== a.id) problems.push(to !== undefined ? `authorization ${a.id}: its hashed index entry points at ${to}` : `authorization ${a.id}: hashed token has no index entry (influxd cannot find it)`)
    }
    if (token !== undefined && rawIdx?.get(tokenIndexKey(token)) !== undefined) problems.push(`authorization ${a.id} is hashed but the raw index still holds its token`)
  }
  if (!hasRaw && !hasHash) problems.push(`authorization ${a.id} has neither a token nor a hash (unusable)`)
  return problems
}

// ---------------------------------------------------------------- operator tokens

/**
 * Whether influxd would accept `a` as an operator token: active, with a
 * token, an operator permission set, an existing, active user and an
 * existing org (looked up by id; doctor's `operator` check asks the same).
 * `users` caches the lookups of one pass (keys "user ID" and "org ID").
 */
export function isUsableOperator(tx: Tx, a: Authorization, users: Map<string, boolean> = new Map()): boolean {
  if (a.status !== 'active' || (!a.token && !a.hashedToken) || !a.userID) return false
  if (classifyToken(a.permissions, a.orgID, a.userID).kind !== 'operator') return false
  const uid = `user ${a.userID.toLowerCase()}`
  let ok = users.get(uid)
  if (ok === undefined) {
    const user = userById(tx, a.userID.toLowerCase())
    ok = user !== undefined && user.status !== 'inactive'
    users.set(uid, ok)
  }
  if (!ok || !a.orgID) return ok
  const oid = `org ${a.orgID.toLowerCase()}`
  let org = users.get(oid)
  if (org === undefined) {
    org = orgById(tx, a.orgID.toLowerCase()) !== undefined
    users.set(oid, org)
  }
  return org
}

const AUTHORIZATIONS_TYPE = Buffer.from('"authorizations"')
const BACKSLASH = 0x5c

/**
 * Another usable operator token than `id`, or undefined when there is none:
 * the last-operator guard of deactivate and delete. It walks the tokens in
 * key order and stops at the first one found. A value that neither holds the
 * string "authorizations" nor any escape cannot grant the operator set
 * (every level's set has that type), so it is skipped without decoding; the
 * others are read with the fast decoder. Its cost is that of reading the
 * tokens up to the first other operator: with operators 1 in k tokens, about
 * k records; a walk of every token only when no other operator exists (and
 * then the write is refused) or with --force not at all (the caller skips it).
 */
export function otherUsableOperator(tx: Tx, id: string): string | undefined {
  const c = bucketOf(tx, AUTHORIZATIONS)?.cursor({scan: true})
  if (c === undefined) return undefined
  const users = new Map<string, boolean>()
  const self = id.toLowerCase()
  for (let e = c.firstView(); e !== null; e = c.nextView()) {
    const v = e.valueBuf
    if (v === null) continue
    const value = v.subarray(e.valueStart, e.valueEnd)
    if (value.indexOf(AUTHORIZATIONS_TYPE) === -1 && value.indexOf(BACKSLASH) === -1) continue
    const key = e.keyBuf.toString('latin1', e.keyStart, e.keyEnd)
    if (key.toLowerCase() === self) continue
    let a: Authorization
    try {
      a = readAuthorization(value, {bucket: AUTHORIZATIONS, key})
    } catch {
      continue
    }
    if (a.id.toLowerCase() === self) continue
    if (isUsableOperator(tx, a, users)) return a.id
  }
  return undefined
}
