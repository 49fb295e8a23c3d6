/**
 * What the user commands need to know about tokens: which tokens (v2 and v1)
 * a user owns, and which active operator tokens influxd would still accept.
 *
 * influxd keeps no index of tokens by user, so both questions need a pass
 * over authorizationsv1 (and legacy/authorizationsv1 for v1 logins). The pass
 * is light: values are read with readAuthorization (no re-encodable source
 * kept, JSON.parse fast path), one at a time, and users are looked up by ID
 * only for the few operator tokens.
 */
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATIONS, LEGACY_AUTHORIZATIONS, USERS, idKey} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {classifyToken} from '../influxd/permissions.js'
import {decodeUser, readAuthorization, type Authorization, type UserStatus} from '../influxd/records.js'

export interface OwnedToken {
  /** "v2": an API token (authorizationsv1); "v1": a v1 login (legacy/authorizationsv1) */
  kind: 'v2' | 'v1'
  id: string
  description: string
  status: string
  /** the v1 user name (v1 logins only; not a secret) */
  username?: string
  /** whether it is an operator token (v2 only) */
  operator: boolean
}

export interface UsableOperator {
  id: string
  userID: string
}

export interface TokenScan {
  /** the tokens of the user asked about, in key order (v2 first) */
  owned: OwnedToken[]
  /** every active operator token influxd would accept: a token, an existing user that is not inactive */
  usableOperators: UsableOperator[]
  /** keys of records that cannot be decoded (their owner is unknown) */
  undecodable: string[]
}

/** A user's status by ID, read once per user (null: no such user or an undecodable one). */
export class UserStatusCache {
  private readonly cache = new Map<string, UserStatus | null>()
  constructor(private readonly tx: Tx) {}

  get(userID: string): UserStatus | null {
    const id = userID.toLowerCase()
    let s = this.cache.get(id)
    if (s === undefined) {
      s = null
      const v = this.tx.bucket(Buffer.from(USERS, 'utf8'))?.get(idKey(id))
      if (v !== undefined) {
        try {
          s = decodeUser(v, {bucket: USERS, key: id}).status
        } catch {
          s = null
        }
      }
      this.cache.set(id, s)
    }
    return s
  }
}

function hasToken(a: Authorization): boolean {
  return (a.token !== undefined && a.token !== '') || (a.hashedToken !== undefined && a.hashedToken !== '')
}

function* records(tx: Tx, bucket: string, undecodable: string[]): Generator<Authorization> {
  const b = tx.bucket(Buffer.from(bucket, 'utf8'))
  if (b === undefined) return
  const c = b.cursor({copy: false})
  for (let e = c.first(); e !== null; e = c.next()) {
    const key = e.key.toString('utf8')
    if (e.value === null) {
      undecodable.push(`${bucket}[${key}]`)
      continue
    }
    try {
      yield readAuthorization(e.value, {bucket, key})
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err
      undecodable.push(`${bucket}[${key}]`)
    }
  }
}

/** Whether influxd accepts this token as an operator's: active, with a token, operator permissions, its user existing and not inactive. */
export function isUsableOperator(a: Authorization, users: UserStatusCache): boolean {
  return classifyToken(a.permissions, a.orgID, a.userID).kind === 'operator' && usable(a, users)
}

/** Active, with a token, and a user that exists and is not inactive (influxd's checks before permissions). */
function usable(a: Authorization, users: UserStatusCache): boolean {
  if (a.status !== 'active' || !hasToken(a) || !a.userID) return false
  const s = users.get(a.userID)
  return s !== null && s !== 'inactive'
}

/** One pass over the tokens (and, with `userID`, the v1 logins): see TokenScan. */
export function scanTokens(tx: Tx, opts: {userID?: string; users?: UserStatusCache} = {}): TokenScan {
  const users = opts.users ?? new UserStatusCache(tx)
  const undecodable: string[] = []
  const owned: OwnedToken[] = []
  const usableOperators: UsableOperator[] = []
  const mine = opts.userID?.toLowerCase()
  for (const a of records(tx, AUTHORIZATIONS, undecodable)) {
    const operator = classifyToken(a.permissions, a.orgID, a.userID).kind === 'operator'
    if (operator && usable(a, users)) usableOperators.push({id: a.id, userID: a.userID!.toLowerCase()})
    if (mine !== undefined && a.userID?.toLowerCase() === mine) owned.push({kind: 'v2', id: a.id, description: a.description, status: a.status, operator})
  }
  if (mine !== undefined) {
    for (const a of records(tx, LEGACY_AUTHORIZATIONS, undecodable)) {
      if (a.userID?.toLowerCase() === mine) owned.push({kind: 'v1', id: a.id, description: a.description, status: a.status, username: a.token ?? '', operator: false})
    }
  }
  return {owned, usableOperators, undecodable}
}
