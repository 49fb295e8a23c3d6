/**
 * `auth export`: the plaintext of every v2 token stored raw, with what an
 * operator needs to recognise it (id, description, user, org, kind, status),
 * its SHA-256 fingerprint and the exact hash string influxd 2.9 would store.
 *
 * The export file is created exclusively (O_CREAT|O_EXCL, never through a
 * link, mode 0600 set explicitly with fchmod), fsynced with its directory,
 * then read back through the same descriptor, parsed and checked record by
 * record against the database. A file that fails the check is truncated and
 * deleted. Tokens stored only hashed cannot be exported: they are
 * listed under `notExportable` (yaml/json), as rows with `exportable` false
 * and no token (csv), or as comments (env).
 */
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import {dirname} from 'node:path'

import type {Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError} from '../errors.js'
import {DEFAULT_HASH_VARIANT, hashWithFingerprint, type HashVariant} from '../influxd/hashing.js'
import {csvField, escapeControls, jsonEscapeUnsafe, renderJSON} from '../platform/format.js'
import {modeProblem} from '../platform/posix.js'
import {diskFull, openSideFile, syncDir, writeNewSideFile, type SideFile} from '../platform/side-file.js'
import {ENV_HEADER, EXPORT_CSV_COLUMNS, readExport, yamlPlainSafe, type ExportFormat, type TokenEntry} from './export-reader.js'
import {eachAuthRow, type AuthRow} from './list.js'

export {EXPORT_FORMATS, type ExportFormat} from './export-reader.js'

export interface ExportedToken {
  id: string
  description: string
  userName: string | null
  orgName: string | null
  kind: string
  status: string
  token: string
  /** SHA-256 of the token, hex */
  fingerprint: string
  /** what influxd stores in hashedToken and the hashed index */
  hash: string
}

export interface NotExportable {
  id: string
  description: string | null
  userName: string | null
  orgName: string | null
  kind: string | null
  status: string | null
  reason: string
}

export interface ExportDocument {
  variant: HashVariant
  exported: ExportedToken[]
  notExportable: NotExportable[]
}

/** Every raw v2 token of the file (legacy v1 authorizations are not API tokens and are left out). */
export function collectExport(tx: Tx, variant: HashVariant = DEFAULT_HASH_VARIANT): ExportDocument {
  const doc: ExportDocument = {variant, exported: [], notExportable: []}
  for (const r of eachAuthRow(tx)) addToExport(doc, r)
  return doc
}

/**
 * Adds one token's row to an export; `hashed` is its hash in the document's
 * variant and fingerprint when the caller already has them.
 */
export function addToExport(doc: ExportDocument, r: AuthRow, hashed?: {hash: string; fingerprint: string}): void {
  if (r.error !== undefined) {
    doc.notExportable.push({id: r.id, description: null, userName: null, orgName: null, kind: null, status: null, reason: `the record cannot be decoded: ${r.error}`})
    return
  }
  // object literals of one shape each (no spreads): this runs once per token
  const description = r.description ?? '', userName = r.userName ?? null, orgName = r.orgName ?? null, kind = r.kind ?? 'custom', status = r.status ?? 'active'
  if (r.tokenState === 'raw' && r.token !== undefined) {
    const {hash, fingerprint} = hashed ?? hashWithFingerprint(r.token, doc.variant)
    doc.exported.push({id: r.id, description, userName, orgName, kind, status, token: r.token, fingerprint, hash})
  } else {
    doc.notExportable.push({id: r.id, description, userName, orgName, kind, status, reason: r.tokenState === 'hashed' ? 'stored hashed: its plaintext is not in the file' : 'the record has neither a token nor a hash'})
  }
}

const ENV_SAFE = /^[A-Za-z0-9_\-=.+/:@%,]+$/

function envValue(token: string): string {
  return ENV_SAFE.test(token) ? token : `'${token.replace(/'/g, `'\\''`)}'`
}

/** A comment line, for people: control and bidi characters escaped, so no line break can end it early and `cat` shows it harmlessly. */
function comment(text: string): string {
  return `# ${escapeControls(text)}`
}

/**
 * A YAML 1.2 double-quoted scalar: JSON's escaping (every JSON string is a
 * valid double-quoted YAML scalar with the same value), plus \u escapes for
 * the characters YAML does not allow raw (DEL, C1 controls, U+2028/U+2029,
 * BOM, U+FFFE/U+FFFF) and for the bidi controls (harmless when the file is
 * shown in a terminal).
 */
function yamlQuoted(s: string): string {
  return jsonEscapeUnsafe(JSON.stringify(s)).replace(/[\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return String(v)
  const s = String(v)
  return yamlPlainSafe(s) ? s : yamlQuoted(s)
}

/**
 * Text collected in pieces and turned into UTF-8 a piece of ~1 MiB at a time:
 * no string of the whole document is ever made, and every piece dies young
 * (a list of 100,000 item strings kept to the end costs the collector more
 * than writing them).
 */
class TextSink {
  private parts: string[] = []
  private pending = 0
  private readonly chunks: Buffer[] = []

  add(text: string): void {
    this.parts.push(text)
    this.pending += text.length
    if (this.pending >= 1 << 20) this.flush()
  }

  /** The UTF-8 bytes in pieces of about 1 MiB, in order (not joined: a large export would be copied once more). */
  pieces(): Buffer[] {
    this.flush()
    return this.chunks
  }

  private flush(): void {
    if (this.parts.length === 0) return
    this.chunks.push(Buffer.from(this.parts.join(''), 'utf8'))
    this.parts = []
    this.pending = 0
  }
}

function yamlList(sink: TextSink, name: string, items: readonly object[]): void {
  if (items.length === 0) {
    sink.add(`${name}: []\n`)
    return
  }
  // one string per item: far fewer pieces to join than one per line
  sink.add(`${name}:\n`)
  for (const item of items) {
    let text = ''
    let first = true
    for (const k in item) {
      text += `${first ? '  - ' : '    '}${k}: ${yamlScalar((item as Record<string, unknown>)[k])}\n`
      first = false
    }
    sink.add(text)
  }
}

/**
 * The export as YAML, one `key: value` line per field, strings plain when
 * nothing can misread them (ids, tokens, hashes) and double-quoted otherwise:
 * linear in the number of tokens, unlike a general YAML emitter. As UTF-8
 * bytes, ready to be written.
 */
function renderExportYamlPieces(doc: ExportDocument): Buffer[] {
  const sink = new TextSink()
  sink.add(`variant: ${yamlScalar(doc.variant)}\n`)
  yamlList(sink, 'exported', doc.exported)
  yamlList(sink, 'notExportable', doc.notExportable)
  return sink.pieces()
}

export function renderExport(doc: ExportDocument, format: ExportFormat): string {
  switch (format) {
    case 'json':
      return renderJSON(doc)
    case 'yaml':
      return Buffer.concat(renderExportYamlPieces(doc)).toString('utf8')
    case 'csv': {
      const rows: string[][] = [[...EXPORT_CSV_COLUMNS]]
      for (const e of doc.exported) rows.push([e.id, 'true', e.description, e.userName ?? '', e.orgName ?? '', e.kind, e.status, e.token, e.fingerprint, e.hash, ''])
      for (const n of doc.notExportable) rows.push([n.id, 'false', n.description ?? '', n.userName ?? '', n.orgName ?? '', n.kind ?? '', n.status ?? '', '', '', '', n.reason])
      return rows.map((r) => `${r.map(csvField).join(',')}\n`).join('')
    }
    case 'env': {
      const out: string[] = [`${ENV_HEADER} ${doc.exported.length} token(s); hashes use influxdb2-${doc.variant}`]
      for (const e of doc.exported) {
        out.push(comment(`${e.id} "${e.description}" user=${e.userName ?? '?'} org=${e.orgName ?? '?'} kind=${e.kind} status=${e.status} sha256=${e.fingerprint} hash=${e.hash}`))
        out.push(`INFLUX_TOKEN_${e.id.toUpperCase()}=${envValue(e.token)}`)
      }
      for (const n of doc.notExportable) out.push(comment(`not exportable: ${n.id} "${n.description ?? ''}": ${n.reason}`))
      return `${out.join('\n')}\n`
    }
  }
}

// ---------------------------------------------------------------- checking an export read back

/**
 * Mismatches between an export read back (export-reader.ts) and the database
 * now: every raw token of the file must be there under its id, once, with the
 * right hash and fingerprint (where the format carries them), and nothing
 * else.
 */
export function compareExport(entries: readonly TokenEntry[], expected: ExportDocument): string[] {
  const problems: string[] = []
  const byId = new Map<string, TokenEntry>()
  for (const e of entries) {
    const id = e.id ?? ''
    if (byId.has(id)) problems.push(`token ${id} appears twice in the export`)
    byId.set(id, e)
  }
  for (const e of expected.exported) {
    const got = byId.get(e.id.toLowerCase())
    if (got === undefined) problems.push(`token ${e.id} is missing from the export`)
    else if (got.token !== e.token) problems.push(`token ${e.id}: the exported value differs from the database`)
    else if (got.hash !== undefined && got.hash !== e.hash) problems.push(`token ${e.id}: the exported hash differs from ${expected.variant} of the token`)
    else if (got.fingerprint !== undefined && got.fingerprint !== e.fingerprint) problems.push(`token ${e.id}: the exported fingerprint is wrong`)
  }
  if (entries.length !== expected.exported.length) problems.push(`the export holds ${entries.length} token(s), the database ${expected.exported.length}`)
  return problems
}

// ---------------------------------------------------------------- the file

/**
 * Creates `path` exclusively with mode 0600 and the text, fsynced with its
 * directory; never overwrites (exit 1), never follows a link, never blocks
 * (platform/side-file.ts). For the rescue output and other secret files.
 */
export function writeSecretFile(path: string, text: string | Buffer, what = 'output file'): void {
  writeNewSideFile(path, text, what)
}

export interface ExportResult {
  doc: ExportDocument
  /** the file written, or null for stdout */
  path: string | null
  /** the text (for stdout) */
  text: string
}

/** What an export file's writer hands over: YAML as pieces of UTF-8, any other format as text. */
export type ExportBytes = string | Buffer | readonly Buffer[]

/**
 * The second of writeProven's steps, through a new file already open (the
 * caller opened it exclusively and keeps it): writes `bytes` from offset 0,
 * fsyncs the file and its directory, then runs `check` on the file as
 * written, read back through the same descriptor. Returns the check's
 * problems (one when it cannot read back); a failed write throws, as a
 * RecoverError (a full disk is exit 7). Discarding the file is the caller's.
 * Needs nothing but the descriptor and the path: the hash-upgrade export's
 * thread runs it (cli/export-thread.ts).
 */
export function writeAndCheck(file: SideFile, bytes: ExportBytes, check: (file: SideFile) => string[]): string[] {
  try {
    if (typeof bytes === 'string' || Buffer.isBuffer(bytes)) file.write(bytes, 0)
    else {
      let at = 0
      for (const piece of bytes) {
        file.write(piece, at)
        at += piece.length
      }
    }
    file.sync()
  } catch (err) {
    const code = (err as {code?: string}).code
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(`writing the export ${file.path}`, err)
    throw new RecoverError(`cannot write ${file.path}: ${(err as Error).message}`)
  }
  syncDir(dirname(file.path))
  try {
    return check(file)
  } catch (err) {
    return [`the export cannot be read back: ${(err as Error).message}`]
  }
}

/** Opens the new file of writeProven: exclusively, 0600, readable through its descriptor (the read-back), no link followed. */
export function openExportFile(path: string, what = 'export'): SideFile {
  return openSideFile(path, {what, how: 'exclusive', readBack: true})
}

/**
 * Writes `bytes` to the new file `path` (0600, never overwriting, no link
 * followed), fsyncs it and its directory, then runs `check` on the file as
 * written, read back through the descriptor it was written with. Problems
 * from the check (or from reading back) remove the file and exit 6 with
 * `failure(first problem, count)`.
 */
function writeProven(path: string, bytes: ExportBytes, what: string, check: (file: SideFile) => string[], failure: (first: string, count: number) => string): void {
  const file = openExportFile(path, what)
  let problems: string[]
  try {
    problems = writeAndCheck(file, bytes, check)
  } catch (err) {
    file.discard()
    throw err
  }
  settleProven(file, problems, failure)
}

/** The last of writeProven's steps: a file with problems is discarded (exit 6), one without is closed. */
export function settleProven(file: SideFile, problems: readonly string[], failure: (first: string, count: number) => string = exportMismatch): void {
  if (problems.length > 0) {
    file.discard()
    throw new RecoverError(`${failure(problems[0]!, problems.length)}; ${file.path} was deleted`, ExitCode.VERIFY_FAILED)
  }
  file.close()
}

/** The message of an export that does not match the database. */
export function exportMismatch(first: string, n: number): string {
  return `the export does not match the database: ${first}${n > 1 ? ` (+${n - 1} more)` : ''}`
}

/** The bytes an export file gets: YAML (hash-upgrade's and export's default) rendered in pieces, written one after another. */
export function renderExportBytes(doc: ExportDocument, format: ExportFormat): ExportBytes {
  return format === 'yaml' ? renderExportYamlPieces(doc) : renderExport(doc, format)
}

/**
 * The check of an export file as written: its mode, then the file parsed
 * and compared with what `current()` reads from the database (both through
 * descriptors, whatever the file's name names by then).
 */
export function exportFileCheck(format: ExportFormat, current: () => ExportDocument): (file: SideFile) => string[] {
  return (file) => {
    const expected = current()
    const modeIssue = modeProblem(file.stat(), 0o600, file.path)
    return (modeIssue === undefined ? [] : [modeIssue]).concat(mismatches(file.readAll(), format, expected))
  }
}

/** An export's text (or bytes) parsed and compared with the database's document: the proof every export gets. */
function mismatches(input: string | Uint8Array, format: ExportFormat, expected: ExportDocument): string[] {
  const problems = compareExport(readExport(input, format), expected)
  if (testHook('fail-export-verify')) problems.push('forced failure (test hook)')
  return problems
}

/** The check of a file that must hold exactly `bytes` (already proven): its mode, then every byte, read back through its descriptor. */
function holdsProven(file: SideFile, bytes: Buffer): string[] {
  const problems: string[] = []
  const modeIssue = modeProblem(file.stat(), 0o600, file.path)
  if (modeIssue !== undefined) problems.push(modeIssue)
  if (!holdsExactly(file, bytes)) problems.push('the file read back differs from what was written')
  return problems
}

/**
 * The check of an export proven before it is written: `bytes` are parsed and
 * compared with `doc` now (the same comparison as exportFileCheck's), and the
 * file then passes when it has mode 0600 and holds exactly those bytes, read
 * back through its descriptor: what exportSealed does for the sealed bytes.
 * For hash-upgrade's export thread, which parses while the command plans and
 * only reads back and compares once the file is written.
 */
export function provenBytesCheck(bytes: ExportBytes, format: ExportFormat, doc: ExportDocument): (file: SideFile) => string[] {
  const rendered = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.isBuffer(bytes) ? bytes : Buffer.concat(bytes)
  let parsed: string[]
  try {
    parsed = mismatches(rendered, format, doc)
  } catch (err) {
    parsed = [`the export cannot be read back: ${(err as Error).message}`]
  }
  return (file) => holdsProven(file, rendered).concat(parsed)
}

/** Whether the file holds exactly `bytes`: read back through its descriptor a piece at a time. */
function holdsExactly(file: SideFile, bytes: Buffer): boolean {
  if (file.stat().size !== bytes.length) return false
  const piece = Buffer.allocUnsafe(Math.min(bytes.length, 1 << 20))
  for (let at = 0; at < bytes.length; ) {
    const n = fs.readSync(file.fd, piece, 0, Math.min(piece.length, bytes.length - at), at)
    if (n === 0 || !piece.subarray(0, n).equals(bytes.subarray(at, at + n))) return false
    at += n
  }
  return true
}

/**
 * Exports to a new file and proves it: read back through the descriptor it
 * was written with, parsed, compared with what `current()` reads from the
 * database now. On any mismatch the file is truncated through that
 * descriptor and removed, and the error exits 6.
 */
export function exportToFile(path: string, format: ExportFormat, doc: ExportDocument, current: () => ExportDocument, what = 'export'): ExportResult {
  const bytes = renderExportBytes(doc, format)
  writeProven(path, bytes, what, exportFileCheck(format, current), exportMismatch)
  // the text only if a caller asks for it (a file's callers do not)
  return {doc, path, get text() { return typeof bytes === 'string' ? bytes : Buffer.isBuffer(bytes) ? bytes.toString('utf8') : Buffer.concat(bytes).toString('utf8') }}
}

/**
 * The tokens of an export, as a SHA-256 (hex) of each one's id and token in
 * order, each string preceded by its length: equal for two lists of the same
 * tokens under the same ids in the same order, whoever read them.
 */
export function exportedTokensDigest(entries: Iterable<{id: string; token: string}>): string {
  const h = createHash('sha256')
  let text = ''
  for (const {id, token} of entries) {
    text += `${id.length}:${id}${token.length}:${token}`
    if (text.length >= 1 << 16) {
      h.update(text, 'utf8')
      text = ''
    }
  }
  return h.update(text, 'utf8').digest('hex')
}

/**
 * An encrypted export: the plaintext is rendered and checked against the
 * database (parsed back, compared with `current()`) BEFORE it is encrypted,
 * so that what is sealed is proven; then the sealed bytes are written to a
 * new file (0600, never overwriting), read back and compared byte for byte.
 * Any mismatch deletes the file (exit 6). `path` null: the sealed bytes are
 * returned for stdout. `what` names the file in messages ("rescue output").
 */
export async function exportSealed(
  path: string | null, format: ExportFormat, doc: ExportDocument, current: () => ExportDocument, seal: (plaintext: string) => Promise<Buffer>, what = 'export',
): Promise<ExportResult & {sealed: Buffer}> {
  const text = renderExport(doc, format)
  const checked = mismatches(text, format, current())
  if (checked.length > 0) throw new RecoverError(`the export does not match the database: ${checked[0]}; nothing was written`, ExitCode.VERIFY_FAILED)
  const sealed = await seal(text)
  if (path === null) return {doc, path: null, text, sealed}
  writeProven(path, sealed, what, (file) => holdsProven(file, sealed), (first) => first)
  return {doc, path, text, sealed}
}

/** The export text for stdout, checked (parsed back and compared) before it is printed. */
export function exportToText(format: ExportFormat, doc: ExportDocument, current: () => ExportDocument): ExportResult {
  const text = renderExport(doc, format)
  const problems = compareExport(readExport(text, format), current())
  if (problems.length > 0) throw new RecoverError(`the export does not match the database: ${problems[0]}`, ExitCode.VERIFY_FAILED)
  return {doc, path: null, text}
}

function testHook(name: string): boolean {
  return (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(name)
}
