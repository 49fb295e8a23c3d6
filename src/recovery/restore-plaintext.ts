/**
 * `auth restore-plaintext`: the downgrade helper. Tokens from an export (or a
 * rescue output) are stored raw again in the records whose hash they match,
 * in the form influxd ≤ 2.7 reads: `token` right after `id`, `hashedToken`
 * gone, every other byte of the record unchanged; the raw index entry back,
 * the hashed index entry removed. Entries whose token does not match their
 * record's hash are refused. The input is read by export-reader.ts.
 *
 * Completeness: every hashed record the input does not restore is listed in
 * the plan (`uncovered`); the command writes nothing unless there are none or
 * the operator allows a partial restore. Before a downgrade below 2.8 a
 * token left hashed is a token lost.
 */
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATIONS, AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, idKey, tokenIndexKey} from '../influxd/buckets.js'
import {allTokenHashes, parseTokenHash, verifyToken, type HashVariant} from '../influxd/hashing.js'
import {decodeAuthorization, encodeAuthorization, type Authorization} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {ExitCode, RecoverError} from '../errors.js'
import {checkTokenIndexes} from './indexes.js'
import type {TokenEntry} from './export-reader.js'
import {readModel} from './read-model.js'

export interface Restored {
  id: string
  description: string
  fingerprint: string
  /** the hash that was replaced */
  variant: HashVariant
  hashedToken: string
  where: string
}

export interface Refused {
  id?: string
  fingerprint: string
  where: string
  reason: string
}

/** A hashed record the input does not restore. */
export interface Uncovered {
  id: string
  description: string
  /** why: no entry names or matches it, or the entries that name it were refused */
  reason: string
}

export interface RestorePlan {
  restore: Array<Restored & {token: string}>
  alreadyRaw: Array<{id: string; where: string}>
  refused: Refused[]
  /** every record stored hashed (no raw token) that stays hashed after the plan, in key order */
  uncovered: Uncovered[]
}

/** Which entries can be restored, checked against the records (no write). */
export function planRestore(tx: Tx, entries: readonly TokenEntry[]): RestorePlan {
  const model = readModel(tx)
  const byId = new Map<string, Authorization>()
  const byHash = new Map<string, Authorization>()
  for (const {record: a} of model.authorizations) {
    if (!a) continue
    byId.set(a.id.toLowerCase(), a)
    if (a.hashedToken) byHash.set(a.hashedToken, a)
  }
  const plan: RestorePlan = {restore: [], alreadyRaw: [], refused: [], uncovered: []}
  const taken = new Set<string>()
  for (const e of entries) {
    const fingerprint = tokenFingerprint(e.token)
    const refuse = (reason: string): void => { plan.refused.push({...(e.id !== undefined ? {id: e.id} : {}), fingerprint, where: e.where, reason}) }
    let a: Authorization | undefined
    if (e.id !== undefined) {
      a = byId.get(e.id.toLowerCase())
      if (a === undefined) { refuse(`no authorization ${e.id} in the file`); continue }
    } else {
      for (const h of allTokenHashes(e.token)) {
        a = byHash.get(h)
        if (a) break
      }
      if (a === undefined) { refuse('its hash matches no hashed authorization'); continue }
    }
    if (a.token && !a.hashedToken) {
      if (a.token === e.token) plan.alreadyRaw.push({id: a.id, where: e.where})
      else refuse(`authorization ${a.id} is stored raw with a different token`)
      continue
    }
    if (!a.hashedToken) { refuse(`authorization ${a.id} has neither a token nor a hash`); continue }
    let matches = false
    try {
      matches = verifyToken(e.token, a.hashedToken)
    } catch (err) {
      refuse(`authorization ${a.id} has an undecodable hash (${(err as Error).message})`)
      continue
    }
    if (!matches) { refuse(`the token does not match the hash of authorization ${a.id}`); continue }
    if (taken.has(a.id)) continue
    taken.add(a.id)
    plan.restore.push({
      id: a.id, description: a.description, fingerprint, variant: parseTokenHash(a.hashedToken).variant,
      hashedToken: a.hashedToken, where: e.where, token: e.token,
    })
  }
  const refusedIds = new Set(plan.refused.flatMap((r) => (r.id !== undefined ? [r.id.toLowerCase()] : [])))
  for (const {record: a} of model.authorizations) {
    if (!a || a.token || !a.hashedToken || taken.has(a.id)) continue
    const reason = refusedIds.has(a.id.toLowerCase()) ? 'the input names it, but its entry was refused' : 'the input holds no token for it'
    plan.uncovered.push({id: a.id, description: a.description, reason})
  }
  return plan
}

export interface RestoreResult {
  restored: Restored[]
  /** index problems before the change (verify reports only new ones) */
  problemsBefore: string[]
  /** fingerprint per restored id, to verify the records */
  fingerprints: Map<string, string>
}

/** Applies a plan in tx: each record raw again, raw index entry put, hashed entry deleted. */
export function applyRestore(tx: Tx, plan: RestorePlan): RestoreResult {
  const problemsBefore = checkTokenIndexes(tx, readModel(tx)).problems
  const auths = tx.bucket(Buffer.from(AUTHORIZATIONS))
  if (auths === undefined) throw new RecoverError(`the ${AUTHORIZATIONS} bucket is missing`, ExitCode.CORRUPT)
  const rawIndex = tx.createBucketIfNotExists(Buffer.from(AUTHORIZATION_INDEX))
  const hashedIndex = tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))
  const restored: Restored[] = []
  const fingerprints = new Map<string, string>()
  for (const r of plan.restore) {
    const key = idKey(r.id)
    const value = auths.get(key)
    if (value === undefined) throw new RecoverError(`authorization ${r.id} disappeared`, ExitCode.ERROR)
    const a = decodeAuthorization(value, {key})
    if (a.hashedToken !== r.hashedToken) throw new RecoverError(`authorization ${r.id} changed since it was checked`, ExitCode.ERROR)
    const other = rawIndex.get(tokenIndexKey(r.token))
    if (other !== undefined && Buffer.from(other).toString('utf8').toLowerCase() !== r.id.toLowerCase()) {
      throw new RecoverError(`the raw index already maps the token of ${r.id} (fingerprint ${r.fingerprint.slice(0, 12)}) to authorization ${Buffer.from(other).toString('utf8')}`, ExitCode.ERROR)
    }
    a.token = r.token
    a.hashedToken = undefined
    auths.put(key, encodeAuthorization(a))
    rawIndex.put(tokenIndexKey(r.token), Buffer.from(a.id, 'utf8'))
    if (hashedIndex !== undefined) {
      const entry = hashedIndex.get(tokenIndexKey(r.hashedToken))
      if (entry !== undefined && Buffer.from(entry).toString('utf8').toLowerCase() === r.id.toLowerCase()) hashedIndex.delete(tokenIndexKey(r.hashedToken))
    }
    const {token: _secret, ...shown} = r
    restored.push(shown)
    fingerprints.set(a.id.toLowerCase(), r.fingerprint)
  }
  return {restored, problemsBefore, fingerprints}
}

/** Every restored record raw with its token, no hash, and no new index problem. */
export function verifyRestore(tx: Tx, result: RestoreResult): string[] {
  const model = readModel(tx)
  const out: string[] = []
  const byId = new Map<string, Authorization>()
  for (const {record: a} of model.authorizations) if (a) byId.set(a.id.toLowerCase(), a)
  for (const r of result.restored) {
    const a = byId.get(r.id.toLowerCase())
    if (a === undefined) { out.push(`authorization ${r.id} is missing after the change`); continue }
    if (!a.token || a.hashedToken) out.push(`authorization ${r.id} is not stored raw after the change`)
    else if (tokenFingerprint(a.token) !== result.fingerprints.get(r.id.toLowerCase())) out.push(`authorization ${r.id} holds a different token than intended`)
  }
  const before = new Set(result.problemsBefore)
  for (const p of checkTokenIndexes(tx, model).problems) if (!before.has(p)) out.push(p)
  return out
}
