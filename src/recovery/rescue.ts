/**
 * `auth rescue`: plaintext tokens recovered after the fact from another file
 * (an older bolt file such as a *.pre-v2.9.x-upgrade.backup, or a text file
 * such as influx CLI configs, a .env or a Telegraf config), matched to the
 * records of the current database by hash (both variants) or, for records
 * still raw, by equality. Candidates never leave memory except through the
 * output file the operator names.
 */
import * as fs from 'node:fs'

import {DB} from '../bbolt/index.js'
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATIONS, AUTHORIZATION_INDEX} from '../influxd/buckets.js'
import {allTokenHashes} from '../influxd/hashing.js'
import {decodeAuthorization, type Authorization} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {ExitCode, NotFoundError, RecoverError} from '../errors.js'
import {readModel} from './read-model.js'
import {describeMatch, type TokenMatch} from './verify.js'

/** 88 base64url characters ending in "==": the shape influxd generates. */
const TOKEN_RE = /[A-Za-z0-9_-]{86}==/g
/** `token = "…"`, `token: '…'`, `INFLUX_TOKEN=…`, `"token": "…"` (any key ending in token). */
const KEYED_RE = /(?:^|[\s{,;])["']?([A-Za-z0-9_.-]*token[A-Za-z0-9_]*)["']?\s*[:=]\s*(?:"([^"\r\n]+)"|'([^'\r\n]+)'|([^\s"',;#]+))/gim
const BOLT_MAGIC = 0xed0cdaed

export interface Candidate {
  token: string
  /** where it was seen, e.g. "authorizationsv1 record 08371deae98c8000", "free space", "line 3" */
  where: string
}

export interface CandidateSet {
  kind: 'bolt' | 'text'
  candidates: Candidate[]
  notes: string[]
}

function addCandidate(out: Map<string, Candidate>, token: string, where: string): void {
  if (token.length === 0 || out.has(token)) return
  out.set(token, {token, where})
}

/** Candidate tokens in text: token-shaped strings and values of keys named like "token". */
export function tokensInText(text: string, where = 'text'): Candidate[] {
  const out = new Map<string, Candidate>()
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length
  for (const m of text.matchAll(KEYED_RE)) {
    const value = m[2] ?? m[3] ?? m[4] ?? ''
    if (value.startsWith('$') || value.startsWith('${')) continue // a variable reference or a hash
    addCandidate(out, value, `${where}, ${m[1]} on line ${lineOf(m.index ?? 0)}`)
  }
  for (const m of text.matchAll(TOKEN_RE)) addCandidate(out, m[0], `${where}, line ${lineOf(m.index ?? 0)}`)
  return [...out.values()]
}

function isBoltFile(path: string): boolean {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  try {
    const head = Buffer.alloc(20)
    const n = fs.readSync(fd, head, 0, 20, 0)
    return n === 20 && head.readUInt32LE(16) === BOLT_MAGIC
  } finally {
    fs.closeSync(fd)
  }
}

function fromBolt(path: string, out: Map<string, Candidate>, notes: string[]): void {
  let db: DB | undefined
  try {
    db = DB.open(path, {readOnly: true})
    db.view((tx) => {
      tx.bucket(Buffer.from(AUTHORIZATIONS))?.forEach((k, v) => {
        if (v === null) return
        try {
          const a = decodeAuthorization(v, {key: k})
          if (a.token) addCandidate(out, a.token, `${AUTHORIZATIONS} record ${a.id}`)
        } catch (err) {
          notes.push(`${AUTHORIZATIONS} ${JSON.stringify(k.toString('utf8'))}: ${(err as Error).message}`)
        }
      })
      tx.bucket(Buffer.from(AUTHORIZATION_INDEX))?.forEach((k) => addCandidate(out, k.toString('utf8'), `${AUTHORIZATION_INDEX} key`))
    })
  } catch (err) {
    notes.push(`could not read ${path} as a bbolt file (${(err as Error).message}); scanned its bytes only`)
  } finally {
    db?.close()
  }
}

/** Every candidate token in another file (bolt or text); the file is only read. */
export function collectCandidates(path: string): CandidateSet {
  let st: fs.Stats
  try {
    st = fs.statSync(path)
  } catch {
    throw new NotFoundError(`file not found: ${path}`)
  }
  if (!st.isFile()) throw new RecoverError(`${path} is not a regular file`, ExitCode.USAGE)
  const out = new Map<string, Candidate>()
  const notes: string[] = []
  if (isBoltFile(path)) {
    fromBolt(path, out, notes)
    // token-shaped strings anywhere in the file: free pages, the old meta's tree, the tail
    const bytes = fs.readFileSync(path).toString('latin1')
    for (const m of bytes.matchAll(TOKEN_RE)) addCandidate(out, m[0], `bytes at offset ${m.index ?? 0}`)
    return {kind: 'bolt', candidates: [...out.values()], notes}
  }
  return {kind: 'text', candidates: tokensInText(fs.readFileSync(path).toString('utf8'), path), notes}
}

export interface RescuedToken extends TokenMatch {
  /** the plaintext; only ever written to the output the operator names */
  token: string
  fingerprint: string
  /** the stored hash it matched (hashed records) */
  hashedToken?: string
  where: string
}

export interface MissingRecord {
  id: string
  description: string
  status: string
  userName?: string
  orgName?: string
}

export interface RescueReport {
  candidates: number
  found: RescuedToken[]
  /** hashed records no candidate matched */
  missing: MissingRecord[]
  /** raw records (their plaintext is in the database anyway) */
  rawRecords: number
  hashedRecords: number
}

/** Matches candidates to the current database's authorizations (read-only). */
export function matchCandidates(tx: Tx, candidates: readonly Candidate[]): RescueReport {
  const model = readModel(tx)
  const byHash = new Map<string, Authorization>()
  const byToken = new Map<string, Authorization>()
  let hashedRecords = 0
  let rawRecords = 0
  for (const {record: a} of model.authorizations) {
    if (!a) continue
    if (a.hashedToken) {
      byHash.set(a.hashedToken, a)
      hashedRecords++
    } else if (a.token) {
      byToken.set(a.token, a)
      rawRecords++
    }
  }
  const found = new Map<string, RescuedToken>()
  for (const c of candidates) {
    let a = byToken.get(c.token)
    let state: 'raw' | 'hashed' = 'raw'
    if (a === undefined) {
      for (const h of allTokenHashes(c.token)) {
        a = byHash.get(h)
        if (a !== undefined) break
      }
      state = 'hashed'
    }
    if (a === undefined || found.has(a.id)) continue
    found.set(a.id, {
      ...describeMatch(model, a, state, ['record-scan']),
      token: c.token,
      fingerprint: tokenFingerprint(c.token),
      ...(state === 'hashed' ? {hashedToken: a.hashedToken} : {}),
      where: c.where,
    })
  }
  const missing: MissingRecord[] = []
  for (const a of byHash.values()) {
    if (found.has(a.id)) continue
    missing.push({
      id: a.id, description: a.description, status: a.status,
      userName: a.userID ? model.userById.get(a.userID.toLowerCase())?.name : undefined,
      orgName: model.orgById.get(a.orgID.toLowerCase())?.name,
    })
  }
  return {candidates: candidates.length, found: [...found.values()], missing, rawRecords, hashedRecords}
}

/** The output document: one object per recovered token (restore-plaintext reads it back). */
export function rescueDocument(found: readonly RescuedToken[]): Array<Record<string, unknown>> {
  return found.map((f) => ({
    id: f.id,
    description: f.description,
    status: f.status,
    user: f.userName ?? f.userID,
    org: f.orgName ?? f.orgID,
    kind: f.kind,
    token: f.token,
    fingerprint: f.fingerprint,
    ...(f.hashedToken !== undefined ? {hashedToken: f.hashedToken} : {}),
  }))
}
