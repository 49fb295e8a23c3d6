/**
 * Consistency of authorizationsv1 with its two token indexes, as v2.9.1
 * leaves them: a raw record has exactly `token -> id` in the raw index and
 * nothing in the hashed index; a hashed record has exactly `hashedToken -> id`
 * in the hashed index and nothing in the raw one. Every index entry must
 * point at a record whose token (or hash) is the entry's key.
 */
import {createHash} from 'node:crypto'
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX} from '../influxd/buckets.js'
import type {ReadModel} from './read-model.js'

export interface IndexReport {
  rawEntries: number
  hashedEntries: number
  /** one line per inconsistency */
  problems: string[]
}

function entries(tx: Tx, name: string): Map<string, string> | null {
  const b = tx.bucket(Buffer.from(name))
  if (b === undefined) return null
  const out = new Map<string, string>()
  b.forEach((k, v) => out.set(k.toString('utf8'), v === null ? '(nested bucket)' : v.toString('utf8')), {copy: false})
  return out
}

/** Index keys may be tokens: name them by a fingerprint, never by any part of their text. */
const short = (s: string): string => `sha256:${createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 12)}`

export function checkTokenIndexes(tx: Tx, model: ReadModel): IndexReport {
  const problems: string[] = []
  const raw = entries(tx, AUTHORIZATION_INDEX) ?? new Map<string, string>()
  const hashed = entries(tx, AUTHORIZATION_HASHED_INDEX)
  const byId = new Map<string, {token?: string; hashedToken?: string}>()
  const tokenOwners = new Map<string, string[]>()
  // influxd finds a record by its key: an index entry leads to the record stored under that id
  const undecodable = new Set(model.authorizations.filter((d) => d.record === undefined).map((d) => d.key.toLowerCase()))
  const gone = (id: string): string => undecodable.has(id.toLowerCase()) ? `authorization ${id}, whose record cannot be decoded` : `missing authorization ${id}`
  for (const {key, record: a} of model.authorizations) {
    if (a === undefined) continue
    if (a.id.toLowerCase() !== key.toLowerCase()) {
      problems.push(`authorization ${a.id} is stored under the key ${JSON.stringify(key)}: influxd finds it by neither`)
      continue
    }
    byId.set(a.id.toLowerCase(), a)
    if (a.token) tokenOwners.set(a.token, [...(tokenOwners.get(a.token) ?? []), a.id])
    const hasRaw = a.token !== undefined && a.token !== ''
    const hasHash = a.hashedToken !== undefined && a.hashedToken !== ''
    if (hasRaw && hasHash) problems.push(`authorization ${a.id} stores both a token and its hash: influxd 2.9 skips such records, so the plaintext stays on disk`)
    if (hasRaw && raw.get(a.token!) !== a.id) {
      problems.push(raw.has(a.token!) ? `authorization ${a.id}: its raw index entry points at ${raw.get(a.token!)}` : `authorization ${a.id}: raw token has no index entry (influxd cannot find it)`)
    }
    if (hasHash) {
      if (hashed === null) problems.push(`authorization ${a.id} is hashed but the ${AUTHORIZATION_HASHED_INDEX} bucket is missing (influxd < 2.8 cannot use it)`)
      else if (hashed.get(a.hashedToken!) !== a.id) {
        problems.push(hashed.has(a.hashedToken!) ? `authorization ${a.id}: its hashed index entry points at ${hashed.get(a.hashedToken!)}` : `authorization ${a.id}: hashed token has no index entry (influxd cannot find it)`)
      }
    }
    if (!hasRaw && !hasHash) problems.push(`authorization ${a.id} has neither a token nor a hash (unusable)`)
  }
  for (const [token, ids] of tokenOwners) {
    if (ids.length > 1) problems.push(`authorizations ${ids.join(', ')} share the same token ${short(token)}`)
  }
  for (const [key, id] of raw) {
    const a = byId.get(id.toLowerCase())
    if (a === undefined) problems.push(`raw index entry ${short(key)} points at ${gone(id)}`)
    else if (a.token !== key) problems.push(`raw index entry ${short(key)} for authorization ${id} does not match its token${a.hashedToken ? ' (the record is hashed: this stale entry still authenticates and holds the plaintext)' : ''}`)
  }
  for (const [key, id] of hashed ?? []) {
    const a = byId.get(id.toLowerCase())
    if (a === undefined) problems.push(`hashed index entry ${short(key)} points at ${gone(id)}`)
    else if (a.hashedToken !== key) problems.push(`hashed index entry ${short(key)} for authorization ${id} does not match its hash`)
  }
  return {rawEntries: raw.size, hashedEntries: hashed?.size ?? 0, problems}
}
