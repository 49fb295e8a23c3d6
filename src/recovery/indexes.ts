/**
 * Consistency of authorizationsv1 with its two token indexes, as v2.9.1
 * leaves them: a raw record has exactly `token -> id` in the raw index and
 * nothing in the hashed index; a hashed record has exactly `hashedToken -> id`
 * in the hashed index and nothing in the raw one. Every index entry must
 * point at a record whose token (or hash) is the entry's key.
 */
import {isUtf8} from 'node:buffer'
import {createHash} from 'node:crypto'
import type {Bucket, Tx} from '../bbolt/index.js'
import {AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX} from '../influxd/buckets.js'
import type {Authorization} from '../influxd/records.js'
import type {Decoded, ReadModel} from './read-model.js'

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

export function checkTokenIndexes(tx: Tx, model: Pick<ReadModel, 'authorizations'>): IndexReport {
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

const RAW = 1
const HASHED = 2

/**
 * checkTokenIndexes for authorizations met one at a time in key order (add,
 * then finish): the same report, for a fraction of the memory at 100k
 * tokens. It keeps each record's id, token and hash (not the records), and
 * reads both indexes in key order instead of into maps: an entry that leads
 * to the record whose token (hash) it is marks that record as indexed, and
 * only the records left unmarked are looked up again. Where that reading
 * could differ from the maps' (index keys out of order or not UTF-8, two ids
 * equal but for case) the maps are built after all.
 */
export class TokenIndexScan {
  private readonly ids: string[] = []
  private readonly tokens: Array<string | undefined> = []
  private readonly hashes: Array<string | undefined> = []
  /** lowercase id -> position in ids */
  private readonly byId = new Map<string, number>()
  /** records not kept above (undecodable, or stored under another key), with the number of kept records before each */
  private readonly others: Array<[number, Decoded<Authorization>]> = []
  private ambiguous = false
  /** whether finish fell back to the maps */
  usedMaps = false

  add(d: Decoded<Authorization>): void {
    const a = d.record
    if (a === undefined || a.id.toLowerCase() !== d.key.toLowerCase()) {
      this.others.push([this.ids.length, a === undefined ? d : {key: d.key, record: {id: a.id} as Authorization}])
      return
    }
    const lower = a.id.toLowerCase()
    if (this.byId.has(lower)) this.ambiguous = true
    this.byId.set(lower, this.ids.length)
    this.ids.push(a.id)
    this.tokens.push(a.token)
    this.hashes.push(a.hashedToken)
  }

  finish(tx: Tx): IndexReport {
    const report = this.ambiguous ? null : this.streamed(tx)
    if (report !== null) return report
    this.usedMaps = true
    return checkTokenIndexes(tx, {authorizations: this.records()})
  }

  /** What add was given, as far as checkTokenIndexes reads it (for the maps). */
  private records(): Decoded<Authorization>[] {
    const out: Decoded<Authorization>[] = []
    let o = 0
    for (let i = 0; i <= this.ids.length; i++) {
      while (o < this.others.length && this.others[o][0] === i) out.push(this.others[o++][1])
      if (i < this.ids.length) out.push({key: this.ids[i], record: {id: this.ids[i], token: this.tokens[i], hashedToken: this.hashes[i]} as Authorization})
    }
    return out
  }

  private streamed(tx: Tx): IndexReport | null {
    const raw = tx.bucket(Buffer.from(AUTHORIZATION_INDEX))
    const hashed = tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))
    const undecodable = new Set(this.others.filter(([, d]) => d.record === undefined).map(([, d]) => d.key.toLowerCase()))
    const gone = (id: string): string => undecodable.has(id.toLowerCase()) ? `authorization ${id}, whose record cannot be decoded` : `missing authorization ${id}`
    const indexed = new Uint8Array(this.ids.length)
    const rawProblems: string[] = []
    const rawEntries = raw === undefined ? 0 : this.scan(raw, RAW, indexed, rawProblems, gone)
    if (rawEntries === null) return null
    const hashedProblems: string[] = []
    const hashedEntries = hashed === undefined ? 0 : this.scan(hashed, HASHED, indexed, hashedProblems, gone)
    if (hashedEntries === null) return null

    const problems: string[] = []
    const rawAt = lookup(raw), hashedAt = lookup(hashed)
    let o = 0
    for (let i = 0; i <= this.ids.length; i++) {
      for (; o < this.others.length && this.others[o][0] === i; o++) {
        const {key, record: a} = this.others[o][1]
        if (a !== undefined) problems.push(`authorization ${a.id} is stored under the key ${JSON.stringify(key)}: influxd finds it by neither`)
      }
      if (i === this.ids.length) break
      const id = this.ids[i], token = this.tokens[i], hash = this.hashes[i]
      const hasRaw = token !== undefined && token !== ''
      const hasHash = hash !== undefined && hash !== ''
      if (hasRaw && hasHash) problems.push(`authorization ${id} stores both a token and its hash: influxd 2.9 skips such records, so the plaintext stays on disk`)
      if (hasRaw && (indexed[i] & RAW) === 0) {
        const to = rawAt(token)
        problems.push(to !== undefined ? `authorization ${id}: its raw index entry points at ${to}` : `authorization ${id}: raw token has no index entry (influxd cannot find it)`)
      }
      if (hasHash) {
        if (hashed === undefined) problems.push(`authorization ${id} is hashed but the ${AUTHORIZATION_HASHED_INDEX} bucket is missing (influxd < 2.8 cannot use it)`)
        else if ((indexed[i] & HASHED) === 0) {
          const to = hashedAt(hash)
          problems.push(to !== undefined ? `authorization ${id}: its hashed index entry points at ${to}` : `authorization ${id}: hashed token has no index entry (influxd cannot find it)`)
        }
      }
      if (!hasRaw && !hasHash) problems.push(`authorization ${id} has neither a token nor a hash (unusable)`)
    }
    problems.push(...this.sharedTokens(), ...rawProblems, ...hashedProblems)
    return {rawEntries, hashedEntries, problems}
  }

  /**
   * One index in key order: the problems of its entries (as checkTokenIndexes
   * words them), the records it indexes correctly marked with `bit`; the
   * number of entries, or null when its keys are not strictly ascending UTF-8
   * (a map of them could then differ from the stream).
   */
  private scan(bucket: Bucket, bit: number, indexed: Uint8Array, problems: string[], gone: (id: string) => string): number | null {
    const what = bit === RAW ? 'raw' : 'hashed'
    const stored = bit === RAW ? this.tokens : this.hashes
    let prev: Buffer | null = null
    let n = 0
    const c = bucket.cursor({copy: false})
    for (let e = c.first(); e !== null; e = c.next()) {
      if ((prev !== null && Buffer.compare(prev, e.key) >= 0) || !isUtf8(e.key)) return null
      prev = e.key
      n++
      const key = e.key.toString('utf8')
      const id = e.value === null ? '(nested bucket)' : e.value.toString('utf8')
      const i = this.byId.get(id.toLowerCase())
      if (i === undefined) problems.push(`${what} index entry ${short(key)} points at ${gone(id)}`)
      else if (stored[i] !== key) {
        problems.push(bit === RAW
          ? `raw index entry ${short(key)} for authorization ${id} does not match its token${this.hashes[i] ? ' (the record is hashed: this stale entry still authenticates and holds the plaintext)' : ''}`
          : `hashed index entry ${short(key)} for authorization ${id} does not match its hash`)
      } else if (id === this.ids[i]) {
        indexed[i] |= bit
      }
    }
    return n
  }

  /** Tokens held by more than one record, in the order checkTokenIndexes names them (by first holder). */
  private sharedTokens(): string[] {
    const tokens = this.tokens
    const holders: number[] = []
    for (let i = 0; i < tokens.length; i++) if (tokens[i]) holders.push(i)
    holders.sort((x, y) => (tokens[x]! < tokens[y]! ? -1 : tokens[x]! > tokens[y]! ? 1 : x - y))
    const groups: number[][] = []
    for (let s = 0; s < holders.length;) {
      let e = s + 1
      while (e < holders.length && tokens[holders[e]] === tokens[holders[s]]) e++
      if (e - s > 1) groups.push(holders.slice(s, e))
      s = e
    }
    groups.sort((x, y) => x[0] - y[0])
    return groups.map((g) => `authorizations ${g.map((i) => this.ids[i]).join(', ')} share the same token ${short(tokens[g[0]]!)}`)
  }
}

/**
 * The value an index (keys strictly ascending UTF-8) holds for a key given as
 * text, as the maps of checkTokenIndexes give it: undefined when none.
 */
function lookup(bucket: Bucket | undefined): (key: string) => string | undefined {
  if (bucket === undefined) return () => undefined
  const c = bucket.cursor({copy: false})
  return (key) => {
    const k = Buffer.from(key, 'utf8')
    // a string that is not well-formed UTF-16 is no decoded key
    if (k.toString('utf8') !== key) return undefined
    const e = c.seek(k)
    if (e === null || !e.key.equals(k)) return undefined
    return e.value === null ? '(nested bucket)' : e.value.toString('utf8')
  }
}
