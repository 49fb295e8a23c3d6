/**
 * `auth restore-plaintext`: the downgrade helper. Tokens from an export (or a
 * rescue output) are stored raw again in the records whose hash they match,
 * in the form influxd ≤ 2.7 reads: `token` right after `id`, `hashedToken`
 * gone, every other byte of the record unchanged; the raw index entry back,
 * the hashed index entry removed. Entries whose token does not match their
 * record's hash are refused.
 */
import {parse as parseYaml} from 'yaml'

import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATIONS, AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, idKey, tokenIndexKey} from '../influxd/buckets.js'
import {allTokenHashes, parseTokenHash, verifyToken, type HashVariant} from '../influxd/hashing.js'
import {decodeAuthorization, encodeAuthorization, type Authorization} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {ExitCode, RecoverError} from '../errors.js'
import {checkTokenIndexes} from './indexes.js'
import {readModel} from './read-model.js'
import {tokensInText} from './rescue.js'

export interface ExportEntry {
  /** the authorization id the export names, when it names one */
  id?: string
  token: string
  /** where in the file, for messages ("entry 2", "line 5") */
  where: string
}

const ENV_RE = /^\s*(?:export\s+)?INFLUX_TOKEN_([0-9A-Fa-f]{16})\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S*))\s*$/

function fromObjects(list: unknown[], label: string): ExportEntry[] {
  const out: ExportEntry[] = []
  list.forEach((item, i) => {
    if (item === null || typeof item !== 'object') return
    const o = item as Record<string, unknown>
    const token = o.token
    if (typeof token !== 'string' || token === '') return
    const id = typeof o.id === 'string' && o.id !== '' ? o.id : undefined
    out.push({...(id !== undefined ? {id} : {}), token, where: `${label} ${i + 1}`})
  })
  return out
}

/** The list of objects in a parsed JSON/YAML document: the document itself, or its tokens/authorizations array. */
function objectList(doc: unknown): unknown[] | undefined {
  if (Array.isArray(doc)) return doc
  if (doc !== null && typeof doc === 'object') {
    for (const key of ['tokens', 'authorizations', 'exported']) {
      const v = (doc as Record<string, unknown>)[key]
      if (Array.isArray(v)) return v
    }
  }
  return undefined
}

/** One CSV line split into fields (RFC 4180 quoting). */
function csvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++ } else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') { out.push(cur); cur = '' } else cur += ch
  }
  out.push(cur)
  return out
}

/**
 * The entries of an export file: a JSON or YAML list of objects with `id` and
 * `token` (or an object holding such a list), CSV with a header naming `id`
 * and `token`, env lines `INFLUX_TOKEN_<ID>=token`; failing all of these, any
 * token-shaped strings in the text (matched by hash alone).
 */
export function parseExport(text: string): {format: string; entries: ExportEntry[]} {
  const trimmed = text.trim()
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const list = objectList(JSON.parse(trimmed))
      if (list) return {format: 'json', entries: fromObjects(list, 'entry')}
    } catch {
      // not JSON after all: try the other forms
    }
  }
  const lines = text.split(/\r?\n/)
  const envEntries: ExportEntry[] = []
  lines.forEach((l, i) => {
    const m = ENV_RE.exec(l)
    if (m) {
      const token = m[2] ?? m[3] ?? m[4] ?? ''
      if (token !== '') envEntries.push({id: m[1]!.toLowerCase(), token, where: `line ${i + 1}`})
    }
  })
  if (envEntries.length > 0) return {format: 'env', entries: envEntries}
  const header = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'))
  if (header >= 0) {
    const cols = csvLine(lines[header]!).map((c) => c.trim().toLowerCase())
    const ti = cols.indexOf('token')
    if (cols.length > 1 && ti >= 0) {
      const ii = cols.indexOf('id')
      const entries: ExportEntry[] = []
      for (let i = header + 1; i < lines.length; i++) {
        if (lines[i]!.trim() === '') continue
        const f = csvLine(lines[i]!)
        const token = f[ti] ?? ''
        if (token === '') continue
        const id = ii >= 0 ? f[ii]?.trim() : undefined
        entries.push({...(id ? {id} : {}), token, where: `line ${i + 1}`})
      }
      return {format: 'csv', entries}
    }
  }
  try {
    const list = objectList(parseYaml(text))
    if (list) return {format: 'yaml', entries: fromObjects(list, 'entry')}
  } catch {
    // not YAML either
  }
  return {format: 'text', entries: tokensInText(text, 'text').map((c) => ({token: c.token, where: c.where}))}
}

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

export interface RestorePlan {
  restore: Array<Restored & {token: string}>
  alreadyRaw: Array<{id: string; where: string}>
  refused: Refused[]
}

/** Which entries can be restored, checked against the records (no write). */
export function planRestore(tx: Tx, entries: readonly ExportEntry[]): RestorePlan {
  const model = readModel(tx)
  const byId = new Map<string, Authorization>()
  const byHash = new Map<string, Authorization>()
  for (const {record: a} of model.authorizations) {
    if (!a) continue
    byId.set(a.id.toLowerCase(), a)
    if (a.hashedToken) byHash.set(a.hashedToken, a)
  }
  const plan: RestorePlan = {restore: [], alreadyRaw: [], refused: []}
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
