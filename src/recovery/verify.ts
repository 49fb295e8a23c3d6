/**
 * `auth verify`: which authorization a plaintext token belongs to. The token
 * is looked up the way influxd does (raw index, then the hashed index under
 * every variant) and, independently, by scanning every record, so that an
 * index that disagrees with the records is reported instead of trusted.
 * Nothing here returns or prints the token: only its fingerprint.
 */
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, tokenIndexKey} from '../influxd/buckets.js'
import {HASH_VARIANTS, hashToken, parseTokenHash, verifyToken, type HashVariant} from '../influxd/hashing.js'
import {classifyToken} from '../influxd/permissions.js'
import type {Authorization} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {readModel, type ReadModel} from './read-model.js'

/** How a match was found. */
export type MatchSource = 'raw-index' | 'hashed-index' | 'record-scan'

export interface TokenMatch {
  id: string
  description: string
  status: string
  userID?: string
  userName?: string
  orgID: string
  orgName?: string
  kind: string
  tokenState: 'raw' | 'hashed'
  /** the hash variant of a hashed record */
  variant?: HashVariant
  foundBy: MatchSource[]
}

export interface VerifyReport {
  /** SHA-256 of the token, hex (never the token) */
  fingerprint: string
  matches: TokenMatch[]
  /** where the indexes disagree with the records */
  problems: string[]
}

/** True when the record stores this token, raw or hashed (a malformed hash never matches). */
export function recordHoldsToken(a: Authorization, token: string): 'raw' | 'hashed' | undefined {
  if (a.token !== undefined && a.token !== '' && a.token === token) return 'raw'
  if (a.hashedToken !== undefined && a.hashedToken !== '') {
    try {
      if (verifyToken(token, a.hashedToken)) return 'hashed'
    } catch {
      return undefined
    }
  }
  return undefined
}

export function describeMatch(model: ReadModel, a: Authorization, state: 'raw' | 'hashed', foundBy: MatchSource[]): TokenMatch {
  let variant: HashVariant | undefined
  if (state === 'hashed') {
    try {
      variant = parseTokenHash(a.hashedToken!).variant
    } catch {
      variant = undefined
    }
  }
  return {
    id: a.id,
    description: a.description,
    status: a.status,
    userID: a.userID,
    userName: a.userID ? model.userById.get(a.userID.toLowerCase())?.name : undefined,
    orgID: a.orgID,
    orgName: model.orgById.get(a.orgID.toLowerCase())?.name,
    kind: classifyToken(a.permissions, a.orgID, a.userID).kind,
    tokenState: state,
    ...(variant !== undefined ? {variant} : {}),
    foundBy,
  }
}

export function findToken(tx: Tx, token: string): VerifyReport {
  const model = readModel(tx)
  const byId = new Map<string, Authorization>()
  for (const {record} of model.authorizations) if (record) byId.set(record.id.toLowerCase(), record)
  const found = new Map<string, {a: Authorization; state: 'raw' | 'hashed'; via: Set<MatchSource>}>()
  const problems: string[] = []
  const add = (a: Authorization, state: 'raw' | 'hashed', via: MatchSource): void => {
    const key = a.id.toLowerCase()
    const cur = found.get(key) ?? {a, state, via: new Set<MatchSource>()}
    cur.via.add(via)
    found.set(key, cur)
  }

  const indexed = (bucket: string, key: string, what: string, via: MatchSource): void => {
    const v = tx.bucket(Buffer.from(bucket))?.get(tokenIndexKey(key))
    if (v === undefined || v === null) return
    const id = Buffer.from(v).toString('utf8')
    const a = byId.get(id.toLowerCase())
    if (a === undefined) {
      const undecodable = model.authorizations.some((d) => d.record === undefined && d.key.toLowerCase() === id.toLowerCase())
      problems.push(`the ${what} entry for this token points at authorization ${id}, ${undecodable ? 'whose record cannot be decoded' : 'which does not exist'}`)
      return
    }
    const state = recordHoldsToken(a, token)
    if (state === undefined) {
      problems.push(`the ${what} entry for this token points at authorization ${id}, whose record does not hold this token (a stale entry)`)
      return
    }
    add(a, state, via)
  }
  indexed(AUTHORIZATION_INDEX, token, `raw index (${AUTHORIZATION_INDEX})`, 'raw-index')
  for (const v of HASH_VARIANTS) indexed(AUTHORIZATION_HASHED_INDEX, hashToken(token, v), `hashed index (${AUTHORIZATION_HASHED_INDEX}, ${v})`, 'hashed-index')

  for (const a of byId.values()) {
    const state = recordHoldsToken(a, token)
    if (state === undefined) continue
    const before = found.get(a.id.toLowerCase())
    add(a, state, 'record-scan')
    if (before === undefined) {
      problems.push(`authorization ${a.id} holds this token (${state}) but the ${state === 'raw' ? 'raw' : 'hashed'} index has no entry for it: influxd cannot find it`)
    }
  }

  const matches = [...found.values()].map(({a, state, via}) => describeMatch(model, a, state, [...via]))
  if (matches.length > 1) problems.push(`${matches.length} authorizations hold this token (${matches.map((m) => m.id).join(', ')}): influxd finds only one of them`)
  return {fingerprint: tokenFingerprint(token), matches, problems}
}
