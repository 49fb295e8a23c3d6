/**
 * Reading token exports back: the one reader behind `auth export`'s
 * read-back check, `auth restore-plaintext --from` and whatever else takes an
 * export (an age-decrypted one included: it reads text or bytes, never a
 * path). It lives in recovery/ beside the writer (export.ts) because the
 * formats are this tool's own files, not influxd's.
 *
 *  - json: `auth export --format json` ({"variant", "exported": [...]}), the
 *    `auth rescue` output (an array of objects), or any array of objects with
 *    `token` (and `id`), bare or under "tokens", "authorizations" or
 *    "exported" (e.g. `influx auth list --json`).
 *  - yaml: the layout `auth export` writes (read line by line), else any YAML
 *    of the same shapes as json, read with the failsafe schema: every scalar
 *    is the string written (`0x1F` stays "0x1F", an ID of 16 digits is not
 *    turned into a number).
 *  - csv:  RFC 4180: quoted fields with `""`, commas and line breaks (CRLF or
 *    LF records); a header naming `token` (and `id`); rows whose
 *    `exportable` is false, or whose token is empty, hold no token.
 *  - env:  `INFLUX_TOKEN_<ID>=value` assignments as a POSIX shell reads them:
 *    'single quotes' keep every character (a line break included), "double
 *    quotes" take \\ escapes of $ ` " \ and a line break, an unquoted \ keeps
 *    the next character, adjacent parts are one word, `export` and comments
 *    are allowed. A value a shell would expand ($, `), and a CR outside
 *    quotes (a CRLF file: the shell keeps it in the value), are refused
 *    rather than read differently.
 *  - text: anything else: token-shaped strings and values of keys named like
 *    "token" (rescue's text scanner), matched by hash alone.
 *
 * Input that is not valid UTF-8, or that breaks its format's rules, is an
 * ExportReadError naming the line or entry, never a partial read.
 */
import {parse as parseYaml} from 'yaml'

import {ExitCode, RecoverError} from '../errors.js'
import {tokensInText} from './rescue.js'

/** The formats `auth export` writes. */
export const EXPORT_FORMATS = ['yaml', 'json', 'csv', 'env'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** The formats an input holding tokens is read as. */
export type TokenInputFormat = ExportFormat | 'text'

/** The header `auth export --format csv` writes. */
export const EXPORT_CSV_COLUMNS = ['id', 'exportable', 'description', 'userName', 'orgName', 'kind', 'status', 'token', 'fingerprint', 'hash', 'reason'] as const

/** The variable name of a token in the env format. */
export const ENV_TOKEN_NAME = /^INFLUX_TOKEN_([0-9A-Fa-f]{16})$/

/** The first line of `auth export --format env`. */
export const ENV_HEADER = '# influx-recover auth export:'

export interface TokenEntry {
  /** the authorization id the input names, when it names one (lowercase) */
  id?: string
  token: string
  /** the stored hash the input gives, when it gives one */
  hash?: string
  /** the input's SHA-256 fingerprint of the token, when it gives one */
  fingerprint?: string
  /** where in the input, for messages ("entry 2", "line 5") */
  where: string
}

/** The input cannot be read as the format it is in (exit 1). */
export class ExportReadError extends RecoverError {
  constructor(message: string) {
    super(message, ExitCode.ERROR)
    this.name = 'ExportReadError'
  }
}

// ---------------------------------------------------------------- text

const UTF8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: false})

/** The input as text: bytes must be valid UTF-8 (a leading BOM is dropped). */
export function inputText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input.startsWith('\ufeff') ? input.slice(1) : input
  try {
    return UTF8.decode(input)
  } catch {
    throw new ExportReadError('the input is not valid UTF-8 text (an export is UTF-8; was it truncated or re-encoded?)')
  }
}

// ---------------------------------------------------------------- csv

export interface CsvRecord {
  fields: string[]
  /** line the record starts on (1-based) */
  line: number
}

/**
 * RFC 4180 records: fields separated by commas, records by CRLF or LF (a
 * lone CR is data), quoted fields holding anything with `""` for a quote.
 * Lines that are empty are skipped; so are lines starting with `#` before the
 * first record (a comment above the header).
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  const n = text.length
  let i = 0
  let line = 1
  while (i < n) {
    // blank lines, and comments before the header
    if (text[i] === '\n') { i++; line++; continue }
    if (text[i] === '\r' && text[i + 1] === '\n') { i += 2; line++; continue }
    if (records.length === 0 && text[i] === '#') {
      const nl = text.indexOf('\n', i)
      i = nl === -1 ? n : nl + 1
      line++
      continue
    }
    const start = line
    const fields: string[] = []
    for (;;) {
      let field = ''
      if (text[i] === '"') {
        i++
        for (;;) {
          const q = text.indexOf('"', i)
          if (q === -1) throw new ExportReadError(`CSV line ${start}: a quoted field is never closed`)
          const part = text.slice(i, q)
          for (let k = part.indexOf('\n'); k !== -1; k = part.indexOf('\n', k + 1)) line++
          field += part
          if (text[q + 1] === '"') {
            field += '"'
            i = q + 2
            continue
          }
          i = q + 1
          break
        }
        const c = text[i]
        if (i < n && c !== ',' && c !== '\n' && !(c === '\r' && text[i + 1] === '\n') && !(c === '\r' && i + 1 === n)) {
          throw new ExportReadError(`CSV line ${line}: text after a closing quote`)
        }
      } else {
        let k = i
        while (k < n && text[k] !== ',' && text[k] !== '\n' && !(text[k] === '\r' && (text[k + 1] === '\n' || k + 1 === n))) {
          if (text[k] === '"') throw new ExportReadError(`CSV line ${line}: a quote inside an unquoted field`)
          k++
        }
        field = text.slice(i, k)
        i = k
      }
      fields.push(field)
      if (i < n && text[i] === ',') {
        i++
        continue
      }
      // end of the record
      if (text[i] === '\r') i++
      if (text[i] === '\n') {
        i++
        line++
      }
      break
    }
    records.push({fields, line: start})
  }
  return records
}

function fromCsv(text: string, strict: boolean): TokenEntry[] {
  const records = parseCsv(text)
  const header = records[0]
  if (header === undefined) throw new ExportReadError('the CSV holds no header')
  const cols = header.fields.map((c) => c.trim().toLowerCase())
  if (strict && header.fields.join(',') !== EXPORT_CSV_COLUMNS.join(',')) throw new ExportReadError(`CSV line ${header.line}: not the header "auth export" writes`)
  const ti = cols.indexOf('token')
  if (ti === -1) throw new ExportReadError(`CSV line ${header.line}: the header names no "token" column`)
  const ii = cols.indexOf('id')
  const ei = cols.indexOf('exportable')
  const hi = cols.indexOf('hash')
  const fi = cols.indexOf('fingerprint')
  const out: TokenEntry[] = []
  for (const r of records.slice(1)) {
    if (r.fields.length !== cols.length) throw new ExportReadError(`CSV line ${r.line}: ${r.fields.length} field(s), the header has ${cols.length}`)
    if (ei !== -1) {
      const e = r.fields[ei]!.trim().toLowerCase()
      if (e === 'false') continue
      if (e !== 'true') throw new ExportReadError(`CSV line ${r.line}: exportable is neither true nor false`)
    }
    const token = r.fields[ti]!
    if (token === '') {
      if (strict) throw new ExportReadError(`CSV line ${r.line}: an exportable row without a token`)
      continue
    }
    const id = ii !== -1 && r.fields[ii]!.trim() !== '' ? r.fields[ii]!.trim().toLowerCase() : undefined
    out.push({
      ...(id !== undefined ? {id} : {}), token,
      ...(hi !== -1 && r.fields[hi] !== '' ? {hash: r.fields[hi]} : {}),
      ...(fi !== -1 && r.fields[fi] !== '' ? {fingerprint: r.fields[fi]} : {}),
      where: `line ${r.line}`,
    })
  }
  return out
}

// ---------------------------------------------------------------- env

export interface EnvAssignment {
  name: string
  value: string
  /** line the assignment starts on */
  line: number
  exported: boolean
}

const NAME_START = /[A-Za-z_]/
const NAME_CHAR = /[A-Za-z0-9_]/

/**
 * Shell assignments `NAME=value`, one per line, as a POSIX shell reads them
 * (see the module comment); blank lines and `#` comments between them.
 * Anything else (a command, an expansion) is an ExportReadError.
 */
export function parseEnv(text: string): EnvAssignment[] {
  const out: EnvAssignment[] = []
  const n = text.length
  let i = 0
  let line = 1
  const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t'
  // a shell keeps a CR in the value (it is no separator): refused rather than read as part of a token
  const refuseCr = (k: number): void => {
    if (text[k] === '\r') throw new ExportReadError(`env line ${line}: a carriage return outside quotes (a shell would keep it in the value); convert the file to LF line ends`)
  }
  const skipComment = (): void => {
    const nl = text.indexOf('\n', i)
    i = nl === -1 ? n : nl
  }
  while (i < n) {
    const c = text[i]!
    refuseCr(i)
    if (isBlank(c)) { i++; continue }
    if (c === '\n') { i++; line++; continue }
    if (c === '#') { skipComment(); continue }
    const start = line
    let exported = false
    if (text.startsWith('export', i) && isBlank(text[i + 6])) {
      exported = true
      i += 6
      while (isBlank(text[i])) i++
    }
    let k = i
    if (!NAME_START.test(text[k] ?? '')) throw new ExportReadError(`env line ${start}: neither a comment nor NAME=value`)
    while (k < n && NAME_CHAR.test(text[k]!)) k++
    if (text[k] !== '=') throw new ExportReadError(`env line ${start}: neither a comment nor NAME=value`)
    const name = text.slice(i, k)
    i = k + 1
    // the value: one shell word
    let value = ''
    while (i < n) {
      const ch = text[i]!
      refuseCr(i)
      if (isBlank(ch) || ch === '\n') break
      if (ch === "'") {
        const q = text.indexOf("'", i + 1)
        if (q === -1) throw new ExportReadError(`env line ${start}: a single quote is never closed`)
        const part = text.slice(i + 1, q)
        for (let m = part.indexOf('\n'); m !== -1; m = part.indexOf('\n', m + 1)) line++
        value += part
        i = q + 1
      } else if (ch === '"') {
        i++
        for (;;) {
          if (i >= n) throw new ExportReadError(`env line ${start}: a double quote is never closed`)
          const d = text[i]!
          if (d === '"') { i++; break }
          if (d === '$' || d === '`') throw new ExportReadError(`env line ${line}: ${d} inside double quotes (a shell would expand it; write the value in single quotes)`)
          if (d === '\\' && i + 1 < n && '$`"\\\n'.includes(text[i + 1]!)) {
            if (text[i + 1] === '\n') line++
            else value += text[i + 1]
            i += 2
            continue
          }
          if (d === '\n') line++
          value += d
          i++
        }
      } else if (ch === '\\') {
        if (i + 1 >= n) throw new ExportReadError(`env line ${line}: a backslash at the end of the input`)
        if (text[i + 1] === '\n') line++
        else value += text[i + 1]
        i += 2
      } else if ('$`;&|<>()'.includes(ch)) {
        throw new ExportReadError(`env line ${line}: an unquoted ${ch} (a shell would not read it as part of the value; write the value in single quotes)`)
      } else {
        value += ch
        i++
      }
    }
    while (i < n && isBlank(text[i])) i++
    refuseCr(i)
    if (text[i] === '#') skipComment()
    if (i < n && text[i] !== '\n') throw new ExportReadError(`env line ${line}: text after the value`)
    out.push({name, value, line: start, exported})
  }
  return out
}

function fromEnv(text: string, strict: boolean): TokenEntry[] {
  const out: TokenEntry[] = []
  for (const a of parseEnv(text)) {
    const m = ENV_TOKEN_NAME.exec(a.name)
    if (m === null || (strict && a.exported)) {
      if (strict) throw new ExportReadError(`env line ${a.line}: not an INFLUX_TOKEN_<ID>=token line`)
      continue
    }
    if (a.value === '') {
      if (strict) throw new ExportReadError(`env line ${a.line}: an empty token`)
      continue
    }
    out.push({id: m[1]!.toLowerCase(), token: a.value, where: `line ${a.line}`})
  }
  return out
}

// ---------------------------------------------------------------- yaml

const PLAIN_CHARS = /^[A-Za-z0-9_$][A-Za-z0-9_$=/+.-]*$/
/** what YAML 1.1 or 1.2 could read as something other than a string */
const NOT_A_STRING = /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7]+|0b[01_]+|\.(?:inf|nan)|y|n|yes|no|on|off|true|false|null)$/i

/** A string YAML reads back as that same string without quotes: ids, tokens, hashes, fingerprints, names like "myorg". */
export function yamlPlainSafe(s: string): boolean {
  // PLAIN_CHARS by a loop (an export renders and reads ~900,000 values)
  const n = s.length
  if (n === 0) return false
  const c0 = s.charCodeAt(0)
  if (!(isAlnum(c0) || c0 === 0x5f || c0 === 0x24)) return false
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i)
    if (!(isAlnum(c) || c === 0x5f || c === 0x24 || c === 0x3d || c === 0x2f || c === 0x2b || c === 0x2e || c === 0x2d)) return false
  }
  // Past PLAIN_CHARS, NOT_A_STRING can only match a string that starts with
  // a digit (every number form) or is a word of at most 5 letters (y … false)
  return (c0 >= 0x30 && c0 <= 0x39) || n <= 5 ? !NOT_A_STRING.test(s) : true
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

/** yamlPlainSafe as the two expressions say it, for the tests that hold the loop to them. */
export function yamlPlainSafeByPattern(s: string): boolean {
  return PLAIN_CHARS.test(s) && !NOT_A_STRING.test(s)
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
 * Reads the layout `auth export --format yaml` writes (and only that), with
 * the failsafe schema's meaning (plain null/true/false are those strings);
 * undefined for any other text, which then goes to the YAML parser. A quoted
 * value is read with JSON.parse, which means the same as YAML wherever it
 * succeeds.
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
      const value = f.value
      if (value === 'null' || value === 'true' || value === 'false') v = value
      else if (value.startsWith('"')) {
        try {
          v = JSON.parse(value)
        } catch {
          return undefined
        }
      } else if (yamlPlainSafe(value)) v = value
      else return undefined
      if (f.key in item) return undefined
      item[f.key] = v
      continue
    }
    if (line.startsWith('variant: ')) {
      const value = line.slice(9)
      if (yamlPlainSafe(value)) doc.variant = value
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

function parseYamlText(text: string): unknown {
  const layout = parseExportYamlLayout(text)
  if (layout !== undefined) return layout
  try {
    return parseYaml(text, {schema: 'failsafe'})
  } catch (err) {
    throw new ExportReadError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
}

// ---------------------------------------------------------------- json / yaml documents

/** The list of objects in a parsed JSON/YAML document: the document itself, or its tokens/authorizations/exported list. */
function objectList(doc: unknown): unknown[] | undefined {
  if (Array.isArray(doc)) return doc
  if (doc !== null && typeof doc === 'object') {
    for (const key of ['exported', 'tokens', 'authorizations']) {
      const v = (doc as Record<string, unknown>)[key]
      if (Array.isArray(v)) return v
    }
  }
  return undefined
}

function fromObjects(list: unknown[], strict: boolean): TokenEntry[] {
  const out: TokenEntry[] = []
  list.forEach((item, i) => {
    const where = `entry ${i + 1}`
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ExportReadError(`${where}: not an object`)
    const o = item as Record<string, unknown>
    const token = o.token
    if (token === undefined || token === null || token === '') {
      if (strict) throw new ExportReadError(`${where}: no token`)
      return
    }
    if (typeof token !== 'string') throw new ExportReadError(`${where}: the token is not a string`)
    const id = o.id
    if (id !== undefined && id !== null && typeof id !== 'string') throw new ExportReadError(`${where}: the id is not a string`)
    if (strict && (typeof id !== 'string' || id === '')) throw new ExportReadError(`${where}: no id`)
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
    const hash = str(o.hash) ?? str(o.hashedToken)
    const fingerprint = str(o.fingerprint)
    // properties set one by one, not spread: this runs once per token
    const entry: TokenEntry = {token, where}
    if (typeof id === 'string' && id !== '') entry.id = id.toLowerCase()
    if (hash !== undefined) entry.hash = hash
    if (fingerprint !== undefined) entry.fingerprint = fingerprint
    out.push(entry)
  })
  return out
}

function fromDocument(doc: unknown, format: 'json' | 'yaml', strict: boolean): TokenEntry[] {
  if (strict) {
    const exported = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as {exported?: unknown}).exported : undefined
    if (!Array.isArray(exported)) throw new ExportReadError(`no "exported" list in the ${format.toUpperCase()}`)
    return fromObjects(exported, true)
  }
  const list = objectList(doc)
  if (list === undefined) throw new ExportReadError(`the ${format.toUpperCase()} is neither a list of tokens nor an object holding one ("exported", "tokens" or "authorizations")`)
  return fromObjects(list, false)
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ExportReadError(`not valid JSON: ${(err as Error).message}`)
  }
}

// ---------------------------------------------------------------- entry points

/**
 * The tokens of an export in the layout `auth export` wrote it in `format`,
 * read strictly: anything that layout does not hold is an ExportReadError.
 * Used to check an export before it is reported written.
 */
export function readExport(input: string | Uint8Array, format: ExportFormat): TokenEntry[] {
  const text = inputText(input)
  switch (format) {
    case 'json':
      return fromDocument(parseJsonText(text), 'json', true)
    case 'yaml':
      return fromDocument(parseYamlText(text), 'yaml', true)
    case 'csv':
      return fromCsv(text, true)
    case 'env':
      return fromEnv(text, true)
  }
}

const ENV_TOKEN_LINE = /^[ \t]*(?:export[ \t]+)?INFLUX_TOKEN_[0-9A-Fa-f]{16}=/m
const ENV_ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=/

/**
 * The tokens in any input `auth restore-plaintext` accepts (see the module
 * comment), with the format it was read as: JSON when it starts with `{` or
 * `[`; CSV when its first line (blank and # lines aside) is a header naming a
 * token column; env when it is the env export, or its first line is an
 * assignment and a line assigns INFLUX_TOKEN_<ID>; YAML when it is a list of
 * tokens or an object holding one; text otherwise.
 */
export function readTokenInput(input: string | Uint8Array): {format: TokenInputFormat; entries: TokenEntry[]} {
  const text = inputText(input)
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown
    let json = true
    try {
      doc = JSON.parse(text)
    } catch {
      json = false // a YAML flow collection, or text
    }
    if (json && objectList(doc) !== undefined) return {format: 'json', entries: fromDocument(doc, 'json', false)}
  }
  // by the first line that says something: a quoted CSV field or a YAML value may hold a line that looks like env
  const first = firstContentLine(text)
  if (CSV_TOKEN_HEADER.test(first)) return {format: 'csv', entries: fromCsv(text, false)}
  if (text.startsWith(ENV_HEADER) || (ENV_ASSIGNMENT.test(first) && ENV_TOKEN_LINE.test(text))) return {format: 'env', entries: fromEnv(text, false)}
  let doc: unknown
  try {
    doc = parseYamlText(text)
  } catch {
    doc = undefined
  }
  if (objectList(doc) !== undefined) return {format: 'yaml', entries: fromDocument(doc, 'yaml', false)}
  return {format: 'text', entries: tokensInText(text, 'text').map((c) => ({token: c.token, where: c.where}))}
}

/** A CSV header line naming a token column among others. */
const CSV_TOKEN_HEADER = /^(?=[^\n]*,)(?:[^\n]*,)?[ \t]*"?token"?[ \t]*(?:,|$)/i

/** The first line that is neither blank nor a # comment, without its line end. */
function firstContentLine(text: string): string {
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf('\n', start)
    const line = text.slice(start, nl === -1 ? text.length : nl).replace(/\r$/, '')
    if (line.trim() !== '' && !line.startsWith('#')) return line
    if (nl === -1) break
    start = nl + 1
  }
  return ''
}
