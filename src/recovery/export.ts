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
import {dirname} from 'node:path'
import {parse as parseYaml} from 'yaml'

import type {Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError} from '../errors.js'
import {DEFAULT_HASH_VARIANT, hashWithFingerprint, type HashVariant} from '../influxd/hashing.js'
import {csvField, renderJSON} from '../platform/format.js'
import {diskFull, openSideFile, syncDir, writeNewSideFile} from '../platform/side-file.js'
import {eachAuthRow, type AuthRow} from './list.js'

export const EXPORT_FORMATS = ['yaml', 'json', 'csv', 'env'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

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

const CSV_COLUMNS = ['id', 'exportable', 'description', 'userName', 'orgName', 'kind', 'status', 'token', 'fingerprint', 'hash', 'reason'] as const

const ENV_SAFE = /^[A-Za-z0-9_\-=.+/:@%,]+$/

function envValue(token: string): string {
  return ENV_SAFE.test(token) ? token : `'${token.replace(/'/g, `'\\''`)}'`
}

/** A comment line: no line break can end it early. */
function comment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, ' ')}`
}

/**
 * A YAML 1.2 double-quoted scalar: JSON's escaping (every JSON string is a
 * valid double-quoted YAML scalar with the same value), plus \u escapes for
 * the characters YAML does not allow raw (DEL, C1 controls, U+2028/U+2029,
 * BOM, U+FFFE/U+FFFF).
 */
function yamlQuoted(s: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

const PLAIN_CHARS = /^[A-Za-z0-9_$][A-Za-z0-9_$=/+.-]*$/
/** what YAML 1.1 or 1.2 could read as something other than a string */
const NOT_A_STRING = /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7]+|0b[01_]+|\.(?:inf|nan)|y|n|yes|no|on|off|true|false|null)$/i

/** A string YAML reads back as that same string without quotes: ids, tokens, hashes, fingerprints, names like "myorg". */
function plainSafe(s: string): boolean {
  return PLAIN_CHARS.test(s) && !NOT_A_STRING.test(s)
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return String(v)
  const s = String(v)
  return plainSafe(s) ? s : yamlQuoted(s)
}

function yamlList(name: string, items: readonly object[]): string {
  if (items.length === 0) return `${name}: []\n`
  // one string per item: far fewer pieces to join than one per line
  const out = [`${name}:\n`]
  for (const item of items) {
    let text = ''
    let first = true
    for (const k in item) {
      text += `${first ? '  - ' : '    '}${k}: ${yamlScalar((item as Record<string, unknown>)[k])}\n`
      first = false
    }
    out.push(text)
  }
  return out.join('')
}

/**
 * The export as YAML, one `key: value` line per field, strings plain when
 * nothing can misread them (ids, tokens, hashes) and double-quoted otherwise:
 * linear in the number of tokens, unlike a general YAML emitter.
 */
function renderExportYaml(doc: ExportDocument): string {
  return `variant: ${yamlScalar(doc.variant)}\n${yamlList('exported', doc.exported)}${yamlList('notExportable', doc.notExportable)}`
}

const isLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

/**
 * One `  - key: value` or `    key: value` line, as the regular expression
 * /^( {2}- | {4})([A-Za-z]+): (null|true|false|".*"|[^"].*)$/ reads it
 * (`.` matches no \r, U+2028 or U+2029), without running one per line.
 */
function yamlField(line: string): {first: boolean; key: string; value: string} | undefined {
  const first = line.startsWith('  - ')
  if (!first && !line.startsWith('    ')) return undefined
  let i = 4
  while (i < line.length && isLetter(line.charCodeAt(i))) i++
  if (i === 4 || line.charCodeAt(i) !== 0x3a || line.charCodeAt(i + 1) !== 0x20) return undefined
  const value = line.slice(i + 2)
  if (value === '' || value.includes('\r') || value.includes('\u2028') || value.includes('\u2029')) return undefined
  if (value.startsWith('"') && (value.length < 2 || !value.endsWith('"'))) return undefined
  return {first, key: line.slice(4, i), value}
}

const YAML_LIST = /^([A-Za-z]+):( \[\])?$/

/**
 * Reads the layout renderExportYaml writes (and only that); undefined for
 * any other text, which then goes to the general YAML parser. A quoted value
 * is read with JSON.parse, which means the same as YAML wherever it succeeds.
 */
function parseExportYamlLayout(text: string): Record<string, unknown> | undefined {
  const doc: Record<string, unknown> = {}
  let list: Array<Record<string, unknown>> | null = null
  let item: Record<string, unknown> | null = null
  if (!text.endsWith('\n')) return undefined
  // line by line without an array of every line: each dies young
  for (let start = 0, end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
    const line = text.slice(start, end)
    const f = yamlField(line)
    if (f !== undefined) {
      if (list === null) return undefined
      if (f.first) list.push((item = {}))
      else if (item === null) return undefined
      let v: unknown
      try {
        const text = f.value
        if (text === 'null') v = null
        else if (text === 'true') v = true
        else if (text === 'false') v = false
        else if (text.startsWith('"')) v = JSON.parse(text)
        else if (plainSafe(text)) v = text
        else return undefined
      } catch {
        return undefined
      }
      if (f.key in item) return undefined
      item[f.key] = v
      continue
    }
    if (line.startsWith('variant: ')) {
      const text = line.slice(9)
      if (plainSafe(text)) doc.variant = text
      else return undefined
      list = null
      continue
    }
    const l = YAML_LIST.exec(line)
    if (l === null || l[1]! in doc) return undefined
    list = []
    item = null
    doc[l[1]!] = list
    if (l[2] !== undefined) list = null
  }
  return doc
}

export function renderExport(doc: ExportDocument, format: ExportFormat): string {
  switch (format) {
    case 'json':
      return renderJSON(doc)
    case 'yaml':
      return renderExportYaml(doc)
    case 'csv': {
      const rows: string[][] = [[...CSV_COLUMNS]]
      for (const e of doc.exported) rows.push([e.id, 'true', e.description, e.userName ?? '', e.orgName ?? '', e.kind, e.status, e.token, e.fingerprint, e.hash, ''])
      for (const n of doc.notExportable) rows.push([n.id, 'false', n.description ?? '', n.userName ?? '', n.orgName ?? '', n.kind ?? '', n.status ?? '', '', '', '', n.reason])
      return rows.map((r) => `${r.map(csvField).join(',')}\n`).join('')
    }
    case 'env': {
      const out: string[] = [comment(`influx-recover auth export: ${doc.exported.length} token(s); hashes use influxdb2-${doc.variant}`)]
      for (const e of doc.exported) {
        out.push(comment(`${e.id} "${e.description}" user=${e.userName ?? '?'} org=${e.orgName ?? '?'} kind=${e.kind} status=${e.status} sha256=${e.fingerprint} hash=${e.hash}`))
        out.push(`INFLUX_TOKEN_${e.id.toUpperCase()}=${envValue(e.token)}`)
      }
      for (const n of doc.notExportable) out.push(comment(`not exportable: ${n.id} "${n.description ?? ''}": ${n.reason}`))
      return `${out.join('\n')}\n`
    }
  }
}

// ---------------------------------------------------------------- reading an export back

/** id → token as read back from an export text. */
export interface ParsedExport {
  tokens: Map<string, {token: string; hash?: string; fingerprint?: string}>
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  while (i < text.length) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else field += ch
      i++
      continue
    }
    if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else if (ch !== '\r') field += ch
    i++
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

function parseEnvValue(v: string): string {
  if (!v.startsWith("'")) return v
  let out = ''
  let i = 1
  while (i < v.length) {
    const end = v.indexOf("'", i)
    if (end < 0) throw new Error('unterminated quote')
    out += v.slice(i, end)
    i = end + 1
    if (v.startsWith("\\''", i)) {
      out += "'"
      i += 3
    } else if (i < v.length) throw new Error('unexpected text after a quote')
  }
  return out
}

/** Parses an export text; throws with the reason when it is not one. */
export function parseExport(text: string, format: ExportFormat): ParsedExport {
  const tokens = new Map<string, {token: string; hash?: string; fingerprint?: string}>()
  const add = (id: string, e: {token: string; hash?: string; fingerprint?: string}): void => {
    if (tokens.has(id)) throw new Error(`token ${id} appears twice`)
    tokens.set(id, e)
  }
  if (format === 'json' || format === 'yaml') {
    const doc = (format === 'json' ? JSON.parse(text) : (parseExportYamlLayout(text) ?? parseYaml(text))) as {exported?: unknown}
    if (!Array.isArray(doc?.exported)) throw new Error('no "exported" list')
    for (const e of doc.exported as Array<Record<string, unknown>>) {
      if (typeof e.id !== 'string' || typeof e.token !== 'string') throw new Error('an entry without id or token')
      add(e.id, {token: e.token, hash: String(e.hash), fingerprint: String(e.fingerprint)})
    }
  } else if (format === 'csv') {
    const [header, ...rows] = parseCsv(text)
    if (header === undefined || header.join(',') !== CSV_COLUMNS.join(',')) throw new Error('unexpected CSV header')
    for (const r of rows) {
      if (r.length !== CSV_COLUMNS.length) throw new Error(`a CSV row with ${r.length} fields`)
      if (r[1] === 'true') add(r[0]!, {token: r[7]!, fingerprint: r[8], hash: r[9]})
    }
  } else {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue
      const m = /^INFLUX_TOKEN_([0-9A-F]{16})=(.*)$/.exec(line)
      if (m === null) throw new Error('a line that is neither a comment nor INFLUX_TOKEN_<ID>=…')
      add(m[1]!.toLowerCase(), {token: parseEnvValue(m[2]!)})
    }
  }
  return {tokens}
}

/**
 * Mismatches between an export read back and the database now: every raw
 * token of the file must be there under its id, with the right hash and
 * fingerprint (where the format carries them).
 */
export function compareExport(parsed: ParsedExport, expected: ExportDocument): string[] {
  const problems: string[] = []
  for (const e of expected.exported) {
    const got = parsed.tokens.get(e.id) ?? parsed.tokens.get(e.id.toLowerCase())
    if (got === undefined) problems.push(`token ${e.id} is missing from the export`)
    else if (got.token !== e.token) problems.push(`token ${e.id}: the exported value differs from the database`)
    else if (got.hash !== undefined && got.hash !== e.hash) problems.push(`token ${e.id}: the exported hash differs from ${expected.variant} of the token`)
    else if (got.fingerprint !== undefined && got.fingerprint !== e.fingerprint) problems.push(`token ${e.id}: the exported fingerprint is wrong`)
  }
  if (parsed.tokens.size !== expected.exported.length) problems.push(`the export holds ${parsed.tokens.size} token(s), the database ${expected.exported.length}`)
  return problems
}

// ---------------------------------------------------------------- the file

/**
 * Creates `path` exclusively with mode 0600 and the text, fsynced with its
 * directory; never overwrites (exit 1), never follows a link, never blocks
 * (platform/side-file.ts). For the rescue output and other secret files.
 */
export function writeSecretFile(path: string, text: string, what = 'output file'): void {
  writeNewSideFile(path, text, what)
}

export interface ExportResult {
  doc: ExportDocument
  /** the file written, or null for stdout */
  path: string | null
  /** the text (for stdout) */
  text: string
}

/**
 * Exports to a new file and proves it: read back through the descriptor it
 * was written with, parsed, compared with what `current()` reads from the
 * database now. On any mismatch the file is truncated through that
 * descriptor and removed, and the error exits 6.
 */
export function exportToFile(path: string, format: ExportFormat, doc: ExportDocument, current: () => ExportDocument): ExportResult {
  const text = renderExport(doc, format)
  const file = openSideFile(path, {what: 'export', how: 'exclusive', readBack: true})
  try {
    file.write(text, 0)
    file.sync()
  } catch (err) {
    file.discard()
    const code = (err as {code?: string}).code
    if (code === 'ENOSPC' || code === 'EDQUOT') throw diskFull(`writing the export ${path}`, err)
    throw new RecoverError(`cannot write ${path}: ${(err as Error).message}`)
  }
  syncDir(dirname(path))
  let problems: string[]
  try {
    // the database now, then the file as written: both through descriptors, whatever its name names by then
    const expected = current()
    const mode = file.stat().mode & 0o777
    problems = mode === 0o600 ? [] : [`${path} has mode ${mode.toString(8)}, not 600`]
    problems.push(...compareExport(parseExport(file.readAll().toString('utf8'), format), expected))
    if (testHook('fail-export-verify')) problems.push('forced failure (test hook)')
  } catch (err) {
    problems = [`the export cannot be read back: ${(err as Error).message}`]
  }
  if (problems.length > 0) {
    file.discard()
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : ''
    throw new RecoverError(`the export does not match the database: ${problems[0]}${more}; ${path} was deleted`, ExitCode.VERIFY_FAILED)
  }
  file.close()
  return {doc, path, text}
}

/** The export text for stdout, checked (parsed back and compared) before it is printed. */
export function exportToText(format: ExportFormat, doc: ExportDocument, current: () => ExportDocument): ExportResult {
  const text = renderExport(doc, format)
  const problems = compareExport(parseExport(text, format), current())
  if (problems.length > 0) throw new RecoverError(`the export does not match the database: ${problems[0]}`, ExitCode.VERIFY_FAILED)
  return {doc, path: null, text}
}

function testHook(name: string): boolean {
  return (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(name)
}
