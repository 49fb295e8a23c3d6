/**
 * `auth rescue`: plaintext tokens recovered after the fact from another file
 * (an older bolt file such as a *.pre-v2.9.x-upgrade.backup, or a text file
 * such as influx CLI configs, a .env or a Telegraf config), matched to the
 * records of the current database by hash (both variants) or, for records
 * still raw, by equality. Candidates never leave memory except through the
 * output file the operator names.
 */
import * as fs from 'node:fs'
import {StringDecoder} from 'node:string_decoder'

import {DB} from '../bbolt/index.js'
import type {Tx} from '../bbolt/index.js'
import {AUTHORIZATIONS, AUTHORIZATION_INDEX} from '../influxd/buckets.js'
import {allTokenHashes, DEFAULT_HASH_VARIANT, hashWithFingerprint, type HashVariant} from '../influxd/hashing.js'
import {classifyToken} from '../influxd/permissions.js'
import {decodeAuthorization, type Authorization} from '../influxd/records.js'
import {tokenFingerprint} from '../influxd/token.js'
import {ExitCode, NotFoundError, RecoverError} from '../errors.js'
import type {ExportDocument} from './export.js'
import {readModel} from './read-model.js'
import {describeMatch, type TokenMatch} from './verify.js'

/** 88 base64url characters ending in "==": the shape influxd generates. */
const TOKEN_RE = /[A-Za-z0-9_-]{86}==/g
/**
 * `token = "…"`, `token: '…'`, `INFLUX_TOKEN=…`, `"token": "…"` (any key
 * ending in token), on one line: the key starts the line or follows
 * whitespace, `{`, `,` or `;`.
 */
const KEYED_RE = /(?<=^|[\s{,;])["']?([A-Za-z0-9_.-]*token[A-Za-z0-9_]*)["']?[ \t]*[:=][ \t]*(?:"([^"\r\n]+)"|'([^'\r\n]+)'|([^\s"',;#]+))/gim
const BOLT_MAGIC = 0xed0cdaed

/** Bytes read at a time from a --from file. */
export const DEFAULT_SCAN_CHUNK = 4 << 20
/**
 * A text line longer than this is scanned in pieces overlapping by
 * LINE_OVERLAP characters (a keyed value longer than that may be cut), so a
 * file without line breaks is still read with bounded memory.
 */
const MAX_LINE = 1 << 20
const LINE_OVERLAP = 4096
/** Overlap of the byte chunks of a bolt file: longer than any string the scan looks for. */
const BYTES_OVERLAP = 8192

export interface Candidate {
  token: string
  /** where it was seen, e.g. "authorizationsv1 record 08371deae98c8000", "bytes at offset 123", "line 3" */
  where: string
}

export interface CandidateSet {
  kind: 'bolt' | 'text'
  candidates: Candidate[]
  notes: string[]
}

export interface ScanOptions {
  /** bytes read at a time (tests make it tiny to exercise the chunk boundaries) */
  chunkBytes?: number
}

/** Distinct candidates in the order first seen. */
class Candidates {
  readonly byToken = new Map<string, Candidate>()

  add(token: string, where: string): void {
    if (token.length === 0 || this.byToken.has(token)) return
    this.byToken.set(token, {token, where})
  }

  list(): Candidate[] {
    return [...this.byToken.values()]
  }
}

/**
 * Finds candidate tokens in text fed in pieces of any size (a file read in
 * chunks, a decrypted buffer): token-shaped strings and the values of keys
 * named like "token". Linear in the input: line numbers are counted as the
 * text goes by, each piece is scanned once (pieces of lines longer than
 * MAX_LINE overlap by LINE_OVERLAP characters), and no more than a line (at
 * most MAX_LINE) is held at a time.
 */
export class TextTokenScanner {
  private pending = ''
  /** line number of pending's first character */
  private line = 1
  private readonly decoder = new StringDecoder('utf8')

  constructor(private readonly where: string, private readonly add: (token: string, where: string) => void) {}

  /** Adds bytes (UTF-8; invalid sequences become U+FFFD) or text. */
  push(chunk: Uint8Array | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    const lastNl = this.pending.lastIndexOf('\n')
    if (lastNl !== -1) {
      this.scan(this.pending.slice(0, lastNl + 1))
      this.pending = this.pending.slice(lastNl + 1)
    }
    if (this.pending.length > MAX_LINE) {
      // one very long line: scan what there is, keep an overlap (no line break in it, so no line is counted twice)
      this.scan(this.pending)
      this.pending = this.pending.slice(-LINE_OVERLAP)
    }
  }

  /** The end of the input. */
  end(): void {
    this.pending += this.decoder.end()
    if (this.pending.length > 0) this.scan(this.pending)
    this.pending = ''
  }

  /** Scans text that starts at this.line (at a line start, or inside a long line) and moves this.line past it. */
  private scan(text: string): void {
    const first = this.line
    // each pass walks its matches in order and counts the line breaks up to each: linear
    const lineAt = (): ((index: number) => number) => {
      let line = first
      let next = text.indexOf('\n')
      return (index) => {
        while (next !== -1 && next < index) {
          line++
          next = text.indexOf('\n', next + 1)
        }
        return line
      }
    }
    const keyedLine = lineAt()
    for (const m of text.matchAll(KEYED_RE)) {
      const value = m[2] ?? m[3] ?? m[4] ?? ''
      if (value.startsWith('$')) continue // a variable reference or a hash
      this.add(value, `${this.where}, ${m[1]} on line ${keyedLine(m.index)}`)
    }
    const shapedLine = lineAt()
    for (const m of text.matchAll(TOKEN_RE)) this.add(m[0], `${this.where}, line ${shapedLine(m.index)}`)
    this.line = lineAt()(text.length)
  }
}

/** Candidate tokens in a text already in memory (see TextTokenScanner). */
export function tokensInText(text: string, where = 'text'): Candidate[] {
  const out = new Candidates()
  const scanner = new TextTokenScanner(where, (t, w) => out.add(t, w))
  scanner.push(text)
  scanner.end()
  return out.list()
}

/** Reads an open file in chunks of `chunkBytes`, each handed to fn with its offset; the buffer is reused. */
function eachChunk(fd: number, chunkBytes: number, overlap: number, fn: (view: Buffer, offset: number) => void): void {
  const buf = Buffer.allocUnsafe(chunkBytes + overlap)
  let kept = 0 // bytes of the previous chunk kept at the start of buf
  let offset = 0 // file offset of buf[0]
  for (;;) {
    const n = fs.readSync(fd, buf, kept, chunkBytes, offset + kept)
    if (n === 0) break // the kept bytes were scanned with the chunk before
    const len = kept + n
    fn(buf.subarray(0, len), offset)
    const keep = Math.min(overlap, len)
    buf.copy(buf, 0, len - keep, len)
    offset += len - keep
    kept = keep
  }
}

function isBoltFile(fd: number): boolean {
  const head = Buffer.alloc(20)
  const n = fs.readSync(fd, head, 0, 20, 0)
  return n === 20 && head.readUInt32LE(16) === BOLT_MAGIC
}

/** The records and the raw index of a bolt file, read through the engine (pages on demand, bounded cache). */
function fromBoltTree(path: string, out: Candidates, notes: string[]): void {
  let db: DB | undefined
  try {
    db = DB.open(path, {readOnly: true})
    db.view((tx) => {
      tx.bucket(Buffer.from(AUTHORIZATIONS))?.forEach((k, v) => {
        if (v === null) return
        try {
          const a = decodeAuthorization(v, {key: k})
          if (a.token) out.add(a.token, `${AUTHORIZATIONS} record ${a.id}`)
        } catch (err) {
          notes.push(`${AUTHORIZATIONS} ${JSON.stringify(k.toString('utf8'))}: ${(err as Error).message}`)
        }
      })
      tx.bucket(Buffer.from(AUTHORIZATION_INDEX))?.forEach((k) => out.add(k.toString('utf8'), `${AUTHORIZATION_INDEX} key`))
    })
  } catch (err) {
    notes.push(`could not read ${path} as a bbolt file (${(err as Error).message}); scanned its bytes only`)
  } finally {
    db?.close()
  }
}

/** bytes of the base64url alphabet */
const URL_ALPHABET = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') URL_ALPHABET[c.charCodeAt(0)] = 1
const PADDING = Buffer.from('==')
const TOKEN_MEMBER = Buffer.from('"token":"')
/** the longest JSON string value taken from a "token" member (bytes) */
const MAX_MEMBER = 4000

/**
 * Every byte of a bolt file (free pages, the older meta's tree, the tail
 * alike), in chunks: token-shaped strings (found from each "==" backwards:
 * the matches of /[A-Za-z0-9_-]{86}==/ without a regular expression walking
 * every byte) and JSON "token" members (records of tokens of any shape, also
 * in freed pages).
 */
function fromBoltBytes(fd: number, out: Candidates, chunkBytes: number): void {
  eachChunk(fd, chunkBytes, BYTES_OVERLAP, (view, offset) => {
    for (let p = view.indexOf(PADDING, 86); p !== -1; p = view.indexOf(PADDING, p + 1)) {
      let k = p - 1
      while (k >= p - 86 && URL_ALPHABET[view[k]!] === 1) k--
      if (k < p - 86) out.add(view.toString('latin1', p - 86, p + 2), `bytes at offset ${offset + p - 86}`)
    }
    for (let m = view.indexOf(TOKEN_MEMBER); m !== -1; m = view.indexOf(TOKEN_MEMBER, m + 1)) {
      const start = m + TOKEN_MEMBER.length
      // the closing quote: the first one not escaped by a backslash
      let end = start
      const limit = Math.min(view.length, start + MAX_MEMBER + 1)
      while (end < limit && view[end] !== 0x22) end += view[end] === 0x5c ? 2 : 1
      if (end >= limit || end === start) continue
      let token: unknown
      try {
        token = JSON.parse(view.toString('utf8', start - 1, end + 1))
      } catch {
        continue
      }
      if (typeof token === 'string') out.add(token, `bytes at offset ${offset + m}`)
    }
  })
}

/** Candidate tokens in text given as chunks (bytes or strings), e.g. a decrypted export. */
export function textCandidates(chunks: Iterable<Uint8Array | string>, where: string): Candidate[] {
  const out = new Candidates()
  const scanner = new TextTokenScanner(where, (t, w) => out.add(t, w))
  for (const c of chunks) scanner.push(c)
  scanner.end()
  return out.list()
}

/**
 * Every candidate token in another file (bolt or text); the file is only
 * read, in chunks: time is linear in its size, memory bounded by the chunk
 * size plus the distinct candidates found.
 */
export function collectCandidates(path: string, opts: ScanOptions = {}): CandidateSet {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_SCAN_CHUNK
  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw new NotFoundError(`file not found: ${path}`)
    throw new RecoverError(`cannot open ${path}: ${(err as Error).message}`)
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new RecoverError(`${path} is not a regular file`, ExitCode.USAGE)
    const out = new Candidates()
    const notes: string[] = []
    if (isBoltFile(fd)) {
      fromBoltTree(path, out, notes)
      fromBoltBytes(fd, out, chunkBytes)
      return {kind: 'bolt', candidates: out.list(), notes}
    }
    const scanner = new TextTokenScanner(path, (t, w) => out.add(t, w))
    eachChunk(fd, chunkBytes, 0, (view) => scanner.push(view))
    scanner.end()
    return {kind: 'text', candidates: out.list(), notes}
  } finally {
    fs.closeSync(fd)
  }
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
  kind: string
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
      id: a.id, description: a.description, status: a.status, kind: classifyToken(a.permissions, a.orgID, a.userID).kind,
      userName: a.userID ? model.userById.get(a.userID.toLowerCase())?.name : undefined,
      orgName: model.orgById.get(a.orgID.toLowerCase())?.name,
    })
  }
  return {candidates: candidates.length, found: [...found.values()], missing, rawRecords, hashedRecords}
}

/**
 * The output document, in the shape of `auth export`'s (same formats, same
 * field names, so the two files read alike and restore-plaintext reads both):
 * every recovered token under `exported` with its fingerprint and the hash
 * influxd 2.9 stores for it in `variant`; the hashed records still missing
 * under `notExportable`, with the reason.
 */
export function rescueDocument(report: Pick<RescueReport, 'found' | 'missing'>, variant: HashVariant = DEFAULT_HASH_VARIANT): ExportDocument {
  const doc: ExportDocument = {variant, exported: [], notExportable: []}
  for (const f of report.found) {
    const {hash} = hashWithFingerprint(f.token, variant)
    doc.exported.push({
      id: f.id, description: f.description, userName: f.userName ?? null, orgName: f.orgName ?? null,
      kind: f.kind, status: f.status, token: f.token, fingerprint: f.fingerprint, hash,
    })
  }
  for (const m of report.missing) {
    doc.notExportable.push({
      id: m.id, description: m.description, userName: m.userName ?? null, orgName: m.orgName ?? null,
      kind: m.kind, status: m.status, reason: 'stored hashed: no plaintext of it was found',
    })
  }
  return doc
}
