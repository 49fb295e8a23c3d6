/**
 * `auth hash-upgrade` and `auth scrub`: convert every raw v2 token to exactly
 * what InfluxDB 2.9 writes at its first start (spec §8.2–8.3), in one
 * transaction, and then make sure no plaintext is left anywhere in the file.
 *
 * Per record: `token` removed, `hashedToken` inserted after `id`, every other
 * byte unchanged (decode/encode keeps the original bytes of unchanged
 * fields); the raw index entry deleted and the hashed index entry added.
 * Unlike influxd, a record holding both fields also loses its plaintext
 * (spec §12 item 3). Legacy v1 authorizations are not touched.
 */
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'

import type {Bucket, DB, Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError} from '../errors.js'
import {AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, AUTHORIZATIONS, tokenIndexKey} from '../influxd/buckets.js'
import {allTokenHashes, hashWithFingerprint, parseTokenHash, verifyToken, HASH_VARIANTS, type HashVariant} from '../influxd/hashing.js'
import {SchemaError} from '../influxd/errors.js'
import {goQuote} from '../influxd/gojson.js'
import {readAuthorizationForHashing, type Authorization} from '../influxd/records.js'
import {detectSchema} from '../influxd/schema.js'
import {assertWritableSchema} from './auth-write.js'
import {eachAuthorization, type Decoded} from './read-model.js'

export interface HashedEntry {
  id: string
  /** the key it is stored under (its id as influxd writes keys) */
  key: Buffer
  /** SHA-256 fingerprint of the plaintext (for the audit) */
  fingerprint: string
  hash: string
  /** the exact record bytes written */
  value: Buffer
  /** true when the record held both fields */
  hadBoth: boolean
}

export interface HashUpgradeResult {
  variant: HashVariant
  hashed: HashedEntry[]
  /** stale raw index entries (pointing at hashed records) removed as well */
  staleRawEntries: number
  createdHashedIndex: boolean
  /** every plaintext removed (record values and raw index keys): kept in memory only, for the scan */
  secrets: string[]
}

export interface HashUpgradeOptions {
  variant: HashVariant
  createHashedIndex: boolean
}

/** One record to rewrite, with everything the write needs already computed. */
export interface PlannedRecord extends HashedEntry {
  /** the plaintext it held (for the scan afterwards) */
  token: string
}

/**
 * Everything hashing will change, computed by reading only: every refusal
 * (undecodable or misplaced records, a token already indexed for another
 * record) happens here, before anything is written, and the write
 * transaction then only puts and deletes. Valid for the state it was read
 * from (`txid`) only.
 */
export interface HashUpgradePlan {
  txid: number
  variant: HashVariant
  createHashedIndex: boolean
  /** in key order */
  records: PlannedRecord[]
  /** raw index keys to delete, in key order: each record's own entry and stale ones */
  rawDeletes: Buffer[]
  /** stale raw index entries: pointing at a hashed record under another token (their keys are plaintext too) */
  staleRawKeys: string[]
  /** hashed index entries of replaced hashes */
  hashedDeletes: Buffer[]
  /** new hashed index entries, in key order */
  hashedPuts: Array<[Buffer, Buffer]>
}

/**
 * The schema gate: the file must have the hashed index (2.8+), unless the
 * caller may create the bucket. Exit 4 with the explanation otherwise.
 */
export function assertHashableSchema(tx: Tx, createHashedIndex: boolean): void {
  assertWritableSchema(tx)
  const schema = detectSchema(tx)
  if (schema.hasHashedIndex || createHashedIndex) return
  throw new RecoverError(
    `refusing to hash: the file has no "${AUTHORIZATION_HASHED_INDEX}" bucket (schema ${schema.influxdRange}); InfluxDB 2.7 and older cannot use hashed tokens, and a hashed token in this file would lock its clients out`,
    ExitCode.CORRUPT,
    'start InfluxDB 2.9 once with --use-hashed-tokens=false so that it migrates the schema (or upgrade and let 2.9 hash them itself after an "auth export"), or pass --create-hashed-index to create only the bucket (no migration record is written)',
  )
}

function bucketOf(tx: Tx, name: string): Bucket {
  const b = tx.bucket(Buffer.from(name))
  if (b === undefined) throw new RecoverError(`bucket "${name}" is missing`, ExitCode.CORRUPT)
  return b
}

/**
 * Called for every record of the token bucket during planning, decoded once:
 * `hashed` is the token's hash in the chosen variant and its fingerprint
 * (raw records only), so an export made in the same pass needs no second
 * decoding or hashing.
 */
export type PlanRecordHook = (d: Decoded<Authorization>, hashed: {hash: string; fingerprint: string} | undefined) => void

const EMPTY = Buffer.alloc(0)

const ASCII = /^[\x00-\x7f]*$/

/** tokenIndexKey(s) read as latin1 (one char per byte): s itself when it is ASCII, as tokens are. */
function latin1Key(s: string): string {
  return ASCII.test(s) ? s : tokenIndexKey(s).toString('latin1')
}

/** Reads the token buckets and computes every change (see HashUpgradePlan); writes nothing. */
export function planHashUpgrade(tx: Tx, opts: HashUpgradeOptions & {onRecord?: PlanRecordHook}): HashUpgradePlan {
  assertHashableSchema(tx, opts.createHashedIndex)
  const hashedIdx = tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))
  const auths = bucketOf(tx, AUTHORIZATIONS)
  const rawIdx = bucketOf(tx, AUTHORIZATION_INDEX)
  const hashedIndexWasEmpty = hashedIdx === undefined || hashedIdx.cursor({copy: false}).first() === null
  const records: PlannedRecord[] = []
  /** the hashedToken of records holding both fields */
  const storedHashes = new Map<PlannedRecord, string>()
  const undecodable: string[] = []
  // records stored under another key than their id: influxd finds them by neither, and hashing would write them where they are not
  const misplaced: Array<{id: string; key: string}> = []
  // a scan cursor: leaves read in runs into one reused buffer; nothing below
  // keeps a view of an entry past its turn (values are decoded or copied)
  const c = auths.cursor({scan: true})
  for (let v = c.firstView(); v !== null; v = c.nextView()) {
    const key = v.keyBuf.toString('utf8', v.keyStart, v.keyEnd)
    if (v.valueBuf === null) {
      const error = `bucket ${JSON.stringify(AUTHORIZATIONS)}: ${JSON.stringify(key)} is a nested bucket, not a record`
      undecodable.push(error)
      opts.onRecord?.({key, error}, undefined)
      continue
    }
    const value = v.valueBuf.subarray(v.valueStart, v.valueEnd)
    let read: ReturnType<typeof readAuthorizationForHashing>
    try {
      read = readAuthorizationForHashing(value, {bucket: AUTHORIZATIONS, key})
    } catch (err) {
      if (!(err instanceof SchemaError)) throw err
      undecodable.push(err.message)
      opts.onRecord?.({key, error: err.message}, undefined)
      continue
    }
    const {record} = read
    // influxd looks a record up under its id as 16 lowercase hex digits, exactly
    if (record.id !== key) misplaced.push({id: record.id, key})
    if (record.token === undefined || record.token === '') {
      opts.onRecord?.({key, record}, undefined)
      continue
    }
    const {hash, fingerprint} = hashWithFingerprint(record.token, opts.variant)
    opts.onRecord?.({key, record}, {hash, fingerprint})
    const hadBoth = record.hashedToken !== undefined && record.hashedToken !== ''
    const keyBytes = Buffer.allocUnsafe(v.keyEnd - v.keyStart)
    v.keyBuf.copy(keyBytes, 0, v.keyStart, v.keyEnd)
    const entry: PlannedRecord = {id: record.id, key: keyBytes, token: record.token, fingerprint, hash, hadBoth, value: EMPTY}
    if (hadBoth) {
      // which hash it keeps is decided below, once the index is known: the old bytes are kept until then
      entry.value = Buffer.from(value)
      storedHashes.set(entry, record.hashedToken!)
    } else {
      entry.value = read.hashed(hash)
    }
    records.push(entry)
  }
  if (undecodable.length > 0) {
    throw new RecoverError(`refusing to hash: ${undecodable.length} token record(s) cannot be decoded (first: ${undecodable[0]})`, ExitCode.CORRUPT, 'inspect them with "influx-recover doctor"; "auth delete" can remove them')
  }
  if (misplaced.length > 0) {
    throw new RecoverError(`refusing to hash: authorization ${misplaced[0]!.id} is stored under the key ${JSON.stringify(misplaced[0]!.key)}${misplaced.length > 1 ? ` (and ${misplaced.length - 1} more)` : ''}`, ExitCode.CORRUPT, 'inspect it with "influx-recover doctor"')
  }
  const hashedIds = new Set<string>()
  const hashedDeletes: Buffer[] = []
  /** hashed index keys (latin1) this plan removes: they no longer hold a token */
  const removedHashes = new Set<string>()
  // hash -> owner of every entry the plan adds
  const pending = new Map<string, string>()
  for (const r of records) {
    if (r.hadBoth) {
      const stored = storedHashes.get(r)!
      let matches = false
      try {
        matches = verifyToken(r.token, stored)
      } catch {
        matches = false
      }
      // a hash that already matches the token is kept as it is (its variant too)
      if (matches) r.hash = stored
      else if (hashedIdx?.get(tokenIndexKey(stored))?.toString('latin1') === r.id) {
        hashedDeletes.push(tokenIndexKey(stored))
        removedHashes.add(tokenIndexKey(stored).toString('latin1'))
      }
      r.value = readAuthorizationForHashing(r.value, {bucket: AUTHORIZATIONS, key: r.key.toString('utf8')}).hashed(r.hash)
    }
    // tokens are unique: none of its hashes may be in the index for another
    // record (an index that was empty can only hold what this plan adds)
    for (const h of hashedIndexWasEmpty ? [r.hash] : allTokenHashes(r.token)) {
      let owner = pending.get(h)
      if (owner === undefined && !hashedIndexWasEmpty) {
        const indexKey = tokenIndexKey(h)
        owner = removedHashes.has(indexKey.toString('latin1')) ? undefined : hashedIdx!.get(indexKey)?.toString('latin1')
      }
      if (owner !== undefined && owner !== r.id) {
        throw new RecoverError(`cannot hash authorization ${r.id}: the hashed index already holds its token for authorization ${owner}`, ExitCode.ERROR, 'tokens must be unique; "influx-recover doctor" lists the index problems')
      }
    }
    pending.set(r.hash, r.id)
    hashedIds.add(r.id)
  }
  // The raw index in one pass, in key order: each record's own entry goes,
  // and so does any other entry still pointing at a hashed record (it
  // authenticates and holds a plaintext).
  const ownKey = new Map<string, string>()
  for (const r of records) ownKey.set(r.id, latin1Key(r.token))
  const rawDeletes: Buffer[] = []
  const staleRawKeys: string[] = []
  const rc = rawIdx.cursor({scan: true})
  for (let e = rc.firstView(); e !== null; e = rc.nextView()) {
    if (e.valueBuf === null) continue
    const owner = e.valueBuf.toString('latin1', e.valueStart, e.valueEnd)
    if (!hashedIds.has(owner)) continue
    const keyBytes = Buffer.allocUnsafe(e.keyEnd - e.keyStart)
    e.keyBuf.copy(keyBytes, 0, e.keyStart, e.keyEnd)
    rawDeletes.push(keyBytes)
    const key = keyBytes.toString('latin1')
    if (ownKey.get(owner) !== key) staleRawKeys.push(key)
  }
  // hashed index entries are put in key order: a bucket that grows by many
  // random keys in one transaction costs far more to insert into
  // sorted by each key's bytes read as latin1 (one char per byte: string
  // order is then byte order), ~10x cheaper than Buffer.compare per pair
  const sortable = [...pending].map(([h, id]) => {
    const order = latin1Key(h)
    const key = Buffer.allocUnsafe(order.length)
    key.write(order, 0, 'latin1')
    const value = Buffer.allocUnsafe(id.length)
    value.write(id, 0, 'latin1')
    return {order, put: [key, value] as [Buffer, Buffer]}
  })
  sortable.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
  const hashedPuts = sortable.map((s) => s.put)
  return {txid: tx.id, variant: opts.variant, createHashedIndex: hashedIdx === undefined, records, rawDeletes, staleRawKeys, hashedDeletes, hashedPuts}
}

/**
 * Writes a plan in a write transaction begun on the state the plan was read
 * from (refused otherwise: a plan of another state could undo a change).
 */
export function applyHashUpgrade(tx: Tx, plan: HashUpgradePlan, progress?: (done: number, total: number) => void): HashUpgradeResult {
  if (!tx.writable || tx.id !== plan.txid + 1) throw new Error(`hash-upgrade plan of txid ${plan.txid} applied to transaction ${tx.id}`)
  const hashedIdx = plan.createHashedIndex ? tx.createBucket(Buffer.from(AUTHORIZATION_HASHED_INDEX)) : bucketOf(tx, AUTHORIZATION_HASHED_INDEX)
  const auths = bucketOf(tx, AUTHORIZATIONS)
  const rawIdx = bucketOf(tx, AUTHORIZATION_INDEX)
  const total = plan.records.length
  let done = 0
  // the plan's buffers are never changed after planning: stored as they are, not copied
  for (const r of plan.records) {
    auths.put(r.key, r.value, {copy: false})
    done++
    if (progress !== undefined && (done % 100 === 0 || done === total)) progress(done, total)
  }
  for (const k of plan.rawDeletes) rawIdx.delete(k)
  for (const k of plan.hashedDeletes) hashedIdx.delete(k)
  for (const [k, v] of plan.hashedPuts) hashedIdx.put(k, v, {copy: false})
  return {
    variant: plan.variant,
    hashed: plan.records.map(({id, key, fingerprint, hash, value, hadBoth}) => ({id, key, fingerprint, hash, value, hadBoth})),
    staleRawEntries: plan.staleRawKeys.length,
    createdHashedIndex: plan.createHashedIndex,
    secrets: [...plan.records.map((r) => r.token), ...plan.staleRawKeys],
  }
}

const TOKEN_KEY = Buffer.from('"token":')

/** What the transaction must show after applyHashUpgrade (empty = ok). */
export function verifyHashUpgrade(tx: Tx, r: HashUpgradeResult): string[] {
  const problems: string[] = []
  const auths = tx.bucket(Buffer.from(AUTHORIZATIONS))
  const rawIdx = tx.bucket(Buffer.from(AUTHORIZATION_INDEX))
  const hashedIdx = tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))
  if (auths === undefined || rawIdx === undefined || hashedIdx === undefined) return ['a token bucket is missing after the write']
  // Every check is a pass over a bucket in key order (a lookup per token costs
  // a root-to-leaf search each): records by key (r.hashed is in key order),
  // index entries by key.
  const c = auths.cursor({scan: true})
  let e = c.firstView()
  for (const h of r.hashed) {
    // compared in place: h.key against the entry's key bytes (> 0 while the cursor is behind)
    while (e !== null && h.key.compare(e.keyBuf, e.keyStart, e.keyEnd) > 0) e = c.nextView()
    if (e === null || h.key.compare(e.keyBuf, e.keyStart, e.keyEnd) !== 0 || e.valueBuf === null || h.value.compare(e.valueBuf, e.valueStart, e.valueEnd) !== 0) {
      problems.push(`authorization ${h.id}: the stored record is not the one written`)
      continue
    }
    // equal to the planned bytes: read those (the view is valid only until the cursor moves)
    const value = h.value
    // the bytes are the planned ones, which were decoded when planned: only
    // the two fields this write is about are read back. In valid JSON
    // `"token":` can only be a key, so a record without it and starting with
    // id then the expected hash (Go's field order) is what was meant; any
    // other is parsed.
    if (value.indexOf(TOKEN_KEY) >= 0 || !value.subarray(0, 256).toString('latin1').startsWith(`{"id":${goQuote(h.id)},"hashedToken":${goQuote(h.hash)},`)) {
      let a: {token?: unknown; hashedToken?: unknown}
      try {
        a = JSON.parse(value.toString('utf8')) as typeof a
      } catch {
        problems.push(`authorization ${h.id}: the stored record is not valid JSON`)
        continue
      }
      if (a.token !== undefined && a.token !== '') problems.push(`authorization ${h.id} still holds its token`)
      if (a.hashedToken !== h.hash) problems.push(`authorization ${h.id}: hashedToken is not the expected hash`)
    }
  }
  // the hashed index likewise: the expected entries sorted by key (latin1:
  // string order is byte order), then one pass of the index beside them
  const expected = r.hashed.map((h) => {
    const key = tokenIndexKey(h.hash)
    return {order: key.toString('latin1'), key, id: h.id}
  })
  expected.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
  const hc = hashedIdx.cursor({scan: true})
  let he = hc.firstView()
  for (const {key, id} of expected) {
    while (he !== null && key.compare(he.keyBuf, he.keyStart, he.keyEnd) > 0) he = hc.nextView()
    if (he === null || key.compare(he.keyBuf, he.keyStart, he.keyEnd) !== 0 || he.valueBuf === null || he.valueBuf.toString('latin1', he.valueStart, he.valueEnd) !== id) {
      problems.push(`authorization ${id}: the hashed index entry is missing`)
    }
  }
  const ids = new Set(r.hashed.map((h) => h.id))
  let removed: Set<string> | undefined // built only when the raw index still holds anything
  rawIdx.forEach((k, v) => {
    if (v !== null && ids.has(v.toString('latin1'))) problems.push(`a raw index entry still points at authorization ${v.toString('latin1')}`)
    removed ??= new Set(r.secrets.map((s) => tokenIndexKey(s).toString('latin1')))
    if (removed.has(k.toString('latin1'))) problems.push('a removed token is still a key of the raw index')
  }, {copy: false})
  return problems
}

// ---------------------------------------------------------------- finding plaintext in the file

const SCAN_CHUNK = 4 << 20
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{86}==$/
const TOKEN_BODY = 86
/** bytes of the base64url alphabet */
const URL_ALPHABET = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') URL_ALPHABET[c.charCodeAt(0)] = 1
const PADDING = Buffer.from('==')

/**
 * Calls fn for every generated-shape token in `view` (86 base64url bytes
 * followed by "=="): every "==" is found with the native search and the 86
 * bytes before it are checked, which reports every match of
 * /[A-Za-z0-9_-]{86}==/ (and any overlapping ones too) without turning the
 * bytes into a string.
 */
function forEachTokenShaped(view: Buffer, fn: (token: string, at: number) => void): void {
  forEachTokenShapedAt(view, (at) => fn(view.toString('latin1', at, at + TOKEN_BODY + 2), at))
}

/** forEachTokenShaped giving only where each one starts (its bytes are view[at, at + 88)). */
function forEachTokenShapedAt(view: Buffer, fn: (at: number) => void): void {
  for (let p = view.indexOf(PADDING, TOKEN_BODY); p !== -1; p = view.indexOf(PADDING, p + 1)) {
    let k = p - 1
    while (k >= p - TOKEN_BODY && URL_ALPHABET[view[k]!] === 1) k--
    if (k < p - TOKEN_BODY) fn(p - TOKEN_BODY)
  }
}

/** A token as it may appear in the file: as is (index keys) and JSON-escaped the ways JS and Go write it (record values). */
function storedForms(s: string): string[] {
  const json = JSON.stringify(s).slice(1, -1)
  const goJson = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
  return [...new Set([s, json, goJson])]
}

/**
 * The file to scan: a path, or better the descriptor the command locked (the
 * file scanned is then the file written, whatever the path names now).
 */
export type ScanSource = string | number

/**
 * Calls fn for every chunk of the file, each overlapping the next by
 * `overlap` bytes so a string of up to that length is never cut in two.
 */
function forEachChunk(source: ScanSource, overlap: number, fn: (view: Buffer, pos: number) => void, progress?: (done: number, total: number) => void): void {
  const fd = typeof source === 'number' ? source : fs.openSync(source, 'r')
  try {
    const size = fs.fstatSync(fd).size
    const buf = Buffer.alloc(SCAN_CHUNK + overlap)
    for (let pos = 0; pos < size; pos += SCAN_CHUNK) {
      progress?.(pos, size)
      const want = Math.min(buf.length, size - pos)
      let got = 0
      while (got < want) {
        const n = fs.readSync(fd, buf, got, want - got, pos + got)
        if (n === 0) break
        got += n
      }
      fn(buf.subarray(0, got), pos)
    }
    progress?.(size, size)
  } finally {
    if (typeof source !== 'number') fs.closeSync(fd)
  }
}

export interface PlaintextHit {
  /** which of the given secrets (index into the list) */
  index: number
  /** byte offset of the first occurrence */
  offset: number
}

/**
 * Scans every byte of the file for the given secrets (the bolt pages, both
 * metas, free pages and the tail alike). Generated-shape tokens are found with
 * one pass; any other token is searched for byte by byte.
 */
export function findPlaintext(source: ScanSource, secrets: readonly string[], progress?: (done: number, total: number) => void): PlaintextHit[] {
  const shaped = new Map<string, number>()
  const other: Array<{index: number; bytes: Buffer}> = []
  secrets.forEach((s, i) => {
    if (s === '') return
    if (TOKEN_SHAPE.test(s)) shaped.set(s, i)
    else for (const form of storedForms(s)) other.push({index: i, bytes: Buffer.from(form, 'utf8')})
  })
  const longest = Math.max(88, ...other.map((o) => o.bytes.length))
  const hits = new Map<number, number>()
  forEachChunk(source, longest, (view, pos) => {
    if (shaped.size > 0) {
      forEachTokenShaped(view, (token, at) => {
        const i = shaped.get(token)
        if (i !== undefined && !hits.has(i)) hits.set(i, pos + at)
      })
    }
    for (const o of other) {
      if (hits.has(o.index)) continue
      const at = view.indexOf(o.bytes)
      if (at >= 0) hits.set(o.index, pos + at)
    }
  }, progress)
  return [...hits].map(([index, offset]) => ({index, offset})).sort((a, b) => a.offset - b.offset)
}

export interface ScrubReport {
  pagesZeroed: number
  tailBytesZeroed: number
}

/** Zeroes what the newest state does not use (both metas first made to point at it). */
export function scrub(db: DB, onStep?: (step: 'metas-aligned' | 'pages-zeroed') => void): ScrubReport {
  return db.scrubUnused(onStep)
}

/**
 * Plaintext of hashed tokens anywhere in the file, for `auth scrub` (which
 * does not know the tokens): every token-shaped string whose hash (either
 * variant) is the hashedToken of a record. Returns the record ids.
 */
export function hashedTokenRemnants(db: DB): string[] {
  const byHash = new Map<string, string>()
  db.view((tx) => {
    for (const {record} of eachAuthorization(tx)) if (record?.hashedToken) byHash.set(record.hashedToken, record.id)
  })
  // the engine's own descriptor: the file scanned is the file open
  return tokensMatchingHashes(db.file.fd, byHash)
}

/**
 * Ids of the records whose hash (either variant) matches a token-shaped
 * string found anywhere in the file; `byHash` maps hashedToken -> record id.
 */
export function tokensMatchingHashes(source: ScanSource, byHash: ReadonlyMap<string, string>, progress?: (done: number, total: number) => void): string[] {
  if (byHash.size === 0) return []
  // Each hash as the digest it is of (only a canonical one can be a token's):
  // every token-shaped string is hashed straight from the file's bytes, once
  // per variant in use, with no set of those already tried (~15 MB at 100k).
  const wanted: Array<[HashVariant, Map<string, string>]> = HASH_VARIANTS.map((v) => [v, new Map()])
  for (const [h, id] of byHash) {
    let parsed
    try {
      parsed = parseTokenHash(h)
    } catch {
      continue
    }
    if (parsed.canonical) wanted.find(([v]) => v === parsed.variant)![1].set(parsed.digest.toString('base64'), id)
  }
  const inUse = wanted.filter(([, m]) => m.size > 0)
  const found = new Set<string>()
  forEachChunk(source, 88, (view) => {
    forEachTokenShapedAt(view, (at) => {
      const token = view.subarray(at, at + TOKEN_BODY + 2)
      for (const [variant, byDigest] of inUse) {
        const id = byDigest.get(createHash(variant).update(token).digest('base64'))
        if (id !== undefined) found.add(id)
      }
    })
  }, progress)
  return [...found].sort()
}
