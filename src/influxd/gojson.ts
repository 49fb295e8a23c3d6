/**
 * The parts of Go's encoding/json that influxd.bolt records depend on:
 *
 * - string escaping exactly as `json.Marshal` writes it (goQuote);
 * - a validating raw tokenizer that splits a JSON object into its members
 *   while keeping the exact original bytes of every value, so a record can be
 *   re-encoded byte for byte (parseObjectRaw);
 * - Go's decoding rules: string unquoting with U+FFFD replacement, integers,
 *   case-insensitive key matching with the last duplicate winning (lookupField);
 * - a compact object encoder (encodeGoObject).
 *
 * Syntax errors carry Go's wording ("invalid character 'x' looking for
 * beginning of value", "unexpected end of JSON input").
 */
import {SchemaError, type SchemaErrorContext} from './errors.js'

// ---------------------------------------------------------------- errors

export class JsonSyntaxError extends SchemaError {
  /** byte offset of the offending character (the input length for a truncated input) */
  readonly offset: number

  constructor(reason: string, offset: number, context: SchemaErrorContext = {}) {
    super(reason, context)
    this.name = 'JsonSyntaxError'
    this.offset = offset
  }

  override withContext(context: SchemaErrorContext): SchemaError {
    return new JsonSyntaxError(this.reason, this.offset, {
      bucket: this.bucket ?? context.bucket,
      key: this.key ?? context.key,
      field: this.field ?? context.field,
    })
  }
}

/** Go's quoteChar: how a byte is shown in a syntax error. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`
  if (c === 0x22) return `'"'`
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`
  const esc: Record<number, string> = {0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v'}
  if (esc[c] !== undefined) return `'${esc[c]}'`
  if (c < 0x80) return `'\\x${c.toString(16).padStart(2, '0')}'`
  // Go quotes the byte as the rune of the same value; Latin-1 controls, NBSP and SHY are not printable
  if (c <= 0xa0 || c === 0xad) return `'\\u00${c.toString(16)}'`
  return `'${String.fromCharCode(c)}'`
}

function syntax(b: Uint8Array, i: number, context: string): JsonSyntaxError {
  if (i >= b.length) return new JsonSyntaxError('unexpected end of JSON input', b.length)
  return new JsonSyntaxError(`invalid character ${quoteChar(b[i]!)} ${context}`, i)
}

// ---------------------------------------------------------------- UTF-8 (Go's rules)

/**
 * Decodes one rune like Go's utf8.DecodeRune: returns [codePoint, size], or
 * [-1, 1] for an invalid or truncated sequence (Go's RuneError of width 1).
 */
export function goDecodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i]!
  if (c0 < 0x80) return [c0, 1]
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const c = b[i + k]
    return c !== undefined && c >= lo && c <= hi ? c & 0x3f : -1
  }
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1)
    return c1 < 0 ? [-1, 1] : [((c0 & 0x1f) << 6) | c1, 2]
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const lo = c0 === 0xe0 ? 0xa0 : 0x80
    const hi = c0 === 0xed ? 0x9f : 0xbf
    const c1 = cont(1, lo, hi)
    if (c1 < 0) return [-1, 1]
    const c2 = cont(2)
    if (c2 < 0) return [-1, 1]
    return [((c0 & 0x0f) << 12) | (c1 << 6) | c2, 3]
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80
    const hi = c0 === 0xf4 ? 0x8f : 0xbf
    const c1 = cont(1, lo, hi)
    if (c1 < 0) return [-1, 1]
    const c2 = cont(2)
    if (c2 < 0) return [-1, 1]
    const c3 = cont(3)
    if (c3 < 0) return [-1, 1]
    return [((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4]
  }
  return [-1, 1]
}

/** Bytes to a JS string the way Go converts them to runes: each invalid byte becomes one U+FFFD. */
export function goUtf8ToString(b: Uint8Array): string {
  let out = ''
  let i = 0
  while (i < b.length) {
    let j = i
    while (j < b.length && b[j]! < 0x80) j++
    if (j > i) out += Buffer.from(b.buffer, b.byteOffset + i, j - i).toString('latin1')
    i = j
    if (i >= b.length) break
    const [cp, size] = goDecodeRune(b, i)
    out += cp < 0 ? '\ufffd' : String.fromCodePoint(cp)
    i += size
  }
  return out
}

// ---------------------------------------------------------------- quoting (encode)

const HEX = '0123456789abcdef'

/** ASCII bytes json.Marshal writes as is (its htmlSafeSet: everything ≥ 0x20 but `"` `\` `<` `>` `&`). */
function asciiSafe(c: number): boolean {
  return c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26
}

function escapeAscii(c: number): string {
  switch (c) {
    case 0x22: return '\\"'
    case 0x5c: return '\\\\'
    case 0x0a: return '\\n'
    case 0x0d: return '\\r'
    case 0x09: return '\\t'
    default: return '\\u00' + HEX[c >> 4]! + HEX[c & 0xf]!
  }
}

/**
 * A JS string as `json.Marshal` writes a Go string (with the quotes):
 * `"` and `\` escaped, control characters as `\n` `\r` `\t` or `\u00XX`
 * (including \b and \f), `<` `>` `&` as `\u003c` `\u003e` `\u0026`,
 * U+2028/U+2029 as `\u2028`/`\u2029`, everything else raw. A lone UTF-16
 * surrogate (which has no UTF-8 form) becomes `\ufffd`, as Go writes
 * invalid UTF-8.
 */
export function goQuote(s: string): string {
  let out = '"'
  let start = 0
  const n = s.length
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i)
    if (c < 0x80) {
      if (asciiSafe(c)) {
        i++
        continue
      }
      out += s.slice(start, i) + escapeAscii(c)
      start = ++i
      continue
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        i += 2
        continue
      }
      out += s.slice(start, i) + '\\ufffd'
      start = ++i
      continue
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += s.slice(start, i) + '\\ufffd'
      start = ++i
      continue
    }
    if (c === 0x2028 || c === 0x2029) {
      out += s.slice(start, i) + (c === 0x2028 ? '\\u2028' : '\\u2029')
      start = ++i
      continue
    }
    i++
  }
  return out + s.slice(start) + '"'
}

/** Bytes as json.Marshal writes them as a Go string (invalid UTF-8: one `\ufffd` per bad byte). */
export function goQuoteBytes(b: Uint8Array): Buffer {
  const parts: Buffer[] = [Buffer.from('"')]
  let start = 0
  const flush = (end: number): void => {
    if (end > start) parts.push(Buffer.from(b.subarray(start, end)))
  }
  for (let i = 0; i < b.length; ) {
    const c = b[i]!
    if (c < 0x80) {
      if (asciiSafe(c)) {
        i++
        continue
      }
      flush(i)
      parts.push(Buffer.from(escapeAscii(c)))
      start = ++i
      continue
    }
    const [cp, size] = goDecodeRune(b, i)
    if (cp < 0) {
      flush(i)
      parts.push(Buffer.from('\\ufffd'))
      start = i += 1
      continue
    }
    if (cp === 0x2028 || cp === 0x2029) {
      flush(i)
      parts.push(Buffer.from(cp === 0x2028 ? '\\u2028' : '\\u2029'))
      start = i += size
      continue
    }
    i += size
  }
  flush(b.length)
  parts.push(Buffer.from('"'))
  return Buffer.concat(parts)
}

/** goQuote as UTF-8 bytes. */
export function goQuoteToBuffer(s: string): Buffer {
  return Buffer.from(goQuote(s), 'utf8')
}

// ---------------------------------------------------------------- scanning (validation)

/** Go's maximum nesting depth. */
export const MAX_JSON_DEPTH = 10000

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length && isWs(b[i])) i++
  return i
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39
}

/** Validates a string starting at the quote at `i`; returns the index after the closing quote. */
function scanString(b: Uint8Array, i: number): number {
  i++
  for (;;) {
    if (i >= b.length) throw syntax(b, i, '')
    const c = b[i]!
    if (c === 0x22) return i + 1
    if (c === 0x5c) {
      i++
      const e = b[i]
      if (e === undefined) throw syntax(b, i, '')
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i++
      } else if (e === 0x75) {
        for (let k = 1; k <= 4; k++) {
          if (i + k >= b.length) throw syntax(b, b.length, '')
          if (!isHex(b[i + k])) throw syntax(b, i + k, 'in \\u hexadecimal character escape')
        }
        i += 5
      } else {
        throw syntax(b, i, 'in string escape code')
      }
    } else if (c < 0x20) {
      throw syntax(b, i, 'in string literal')
    } else {
      i++
    }
  }
}

function scanNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) {
    i++
    if (!isDigit(b[i])) throw syntax(b, i, 'in numeric literal')
  }
  if (b[i] === 0x30) {
    i++
  } else {
    while (isDigit(b[i])) i++
  }
  if (b[i] === 0x2e) {
    i++
    if (!isDigit(b[i])) throw syntax(b, i, 'after decimal point in numeric literal')
    while (isDigit(b[i])) i++
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++
    if (b[i] === 0x2b || b[i] === 0x2d) i++
    if (!isDigit(b[i])) throw syntax(b, i, 'in exponent of numeric literal')
    while (isDigit(b[i])) i++
  }
  return i
}

function scanLiteral(b: Uint8Array, i: number, word: string): number {
  for (let k = 1; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) throw syntax(b, i + k, `in literal ${word} (expecting '${word[k]}')`)
  }
  return i + word.length
}

/**
 * Validates one JSON value starting exactly at `i` (no leading whitespace)
 * and returns the index just after it. Iterative, with Go's depth limit.
 */
export function scanValue(b: Uint8Array, i: number): number {
  const stack: number[] = []
  for (;;) {
    // a value starts at i
    const c = b[i]
    if (c === 0x7b || c === 0x5b) {
      if (stack.length >= MAX_JSON_DEPTH) throw new JsonSyntaxError('exceeded max depth', i)
      i = skipWs(b, i + 1)
      if (c === 0x7b) {
        if (b[i] === 0x7d) {
          i++
        } else {
          if (b[i] !== 0x22) throw syntax(b, i, 'looking for beginning of object key string')
          i = skipWs(b, scanString(b, i))
          if (b[i] !== 0x3a) throw syntax(b, i, 'after object key')
          i = skipWs(b, i + 1)
          stack.push(0x7b)
          continue
        }
      } else if (b[i] === 0x5d) {
        i++
      } else {
        stack.push(0x5b)
        continue
      }
    } else if (c === 0x22) {
      i = scanString(b, i)
    } else if (c === 0x2d || isDigit(c)) {
      i = scanNumber(b, i)
    } else if (c === 0x74) {
      i = scanLiteral(b, i, 'true')
    } else if (c === 0x66) {
      i = scanLiteral(b, i, 'false')
    } else if (c === 0x6e) {
      i = scanLiteral(b, i, 'null')
    } else {
      throw syntax(b, i, 'looking for beginning of value')
    }
    // after a value: close containers or move to the next element
    let next = false
    while (stack.length > 0 && !next) {
      i = skipWs(b, i)
      const top = stack[stack.length - 1]!
      const d = b[i]
      if (d === 0x2c) {
        i = skipWs(b, i + 1)
        if (top === 0x7b) {
          if (b[i] !== 0x22) throw syntax(b, i, 'looking for beginning of object key string')
          i = skipWs(b, scanString(b, i))
          if (b[i] !== 0x3a) throw syntax(b, i, 'after object key')
          i = skipWs(b, i + 1)
        }
        next = true
      } else if ((top === 0x7b && d === 0x7d) || (top === 0x5b && d === 0x5d)) {
        stack.pop()
        i++
      } else {
        throw syntax(b, i, top === 0x7b ? 'after object key:value pair' : 'after array element')
      }
    }
    if (!next) return i
  }
}

/** Validates that `b` is exactly one JSON value (surrounding whitespace allowed), like json.Valid. */
export function validateJson(b: Uint8Array): void {
  const start = skipWs(b, 0)
  const end = skipWs(b, scanValue(b, start))
  if (end !== b.length) throw syntax(b, end, 'after top-level value')
}

export function isValidJson(b: Uint8Array): boolean {
  try {
    validateJson(b)
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------- raw object/array splitting

export interface RawEntry {
  /** the decoded key */
  key: string
  /** the key's exact bytes, quotes included */
  keyRaw: Buffer
  /** the value's exact bytes */
  valueRaw: Buffer
  /** offset of the key's opening quote */
  start: number
  /** offset of the value's first byte */
  valueStart: number
  /** offset just after the value */
  end: number
}

function view(b: Uint8Array, from: number, to: number): Buffer {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from)
}

/** The JSON type of a (valid) raw value, from its first byte. */
export function jsonKind(raw: Uint8Array): 'object' | 'array' | 'string' | 'number' | 'true' | 'false' | 'null' {
  const c = raw[skipWs(raw, 0)]
  switch (c) {
    case 0x7b: return 'object'
    case 0x5b: return 'array'
    case 0x22: return 'string'
    case 0x74: return 'true'
    case 0x66: return 'false'
    case 0x6e: return 'null'
    default: return 'number'
  }
}

/**
 * Splits a JSON object into its members, in document order, duplicates
 * included, without losing bytes: `valueRaw` is a view of the input. The
 * whole input is validated first (as json.Unmarshal does): a syntax error
 * is a JsonSyntaxError, a valid value that is not an object a SchemaError.
 */
export function parseObjectRaw(bytes: Uint8Array): RawEntry[] {
  validateJson(bytes)
  let i = skipWs(bytes, 0)
  if (bytes[i] !== 0x7b) throw new SchemaError(`not a JSON object (found ${jsonKind(bytes)})`)
  const entries: RawEntry[] = []
  i = skipWs(bytes, i + 1)
  if (bytes[i] === 0x7d) return entries
  for (;;) {
    const start = i
    const keyEnd = scanString(bytes, i)
    const keyRaw = view(bytes, start, keyEnd)
    i = skipWs(bytes, keyEnd) + 1 // the ':'
    const valueStart = skipWs(bytes, i)
    const end = scanValue(bytes, valueStart)
    entries.push({key: decodeString(keyRaw), keyRaw, valueRaw: view(bytes, valueStart, end), start, valueStart, end})
    i = skipWs(bytes, end)
    if (bytes[i] === 0x7d) return entries
    i = skipWs(bytes, i + 1) // the ','
  }
}

/** Splits a JSON array into the raw bytes of its elements (validated first). */
export function parseArrayRaw(bytes: Uint8Array): Buffer[] {
  validateJson(bytes)
  let i = skipWs(bytes, 0)
  if (bytes[i] !== 0x5b) throw new SchemaError(`not a JSON array (found ${jsonKind(bytes)})`)
  const out: Buffer[] = []
  i = skipWs(bytes, i + 1)
  if (bytes[i] === 0x5d) return out
  for (;;) {
    const end = scanValue(bytes, i)
    out.push(view(bytes, i, end))
    i = skipWs(bytes, end)
    if (bytes[i] === 0x5d) return out
    i = skipWs(bytes, i + 1)
  }
}

/** The raw value with all insignificant whitespace removed (a copy; Go-written JSON is already compact). */
export function compactJson(raw: Uint8Array): Buffer {
  validateJson(raw)
  const out = Buffer.alloc(raw.length)
  let n = 0
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!
    if (isWs(c)) {
      i++
      continue
    }
    if (c === 0x22) {
      const end = scanString(raw, i)
      out.set(raw.subarray(i, end), n)
      n += end - i
      i = end
      continue
    }
    out[n++] = c
    i++
  }
  return out.subarray(0, n)
}

// ---------------------------------------------------------------- decoding values

function hex4(b: Uint8Array, i: number): number {
  if (i + 4 > b.length) return -1
  let v = 0
  for (let k = 0; k < 4; k++) {
    const c = b[i + k]!
    if (!isHex(c)) return -1
    v = v * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)
  }
  return v
}

/**
 * A raw JSON string (quotes included) decoded like Go's unquote: escapes
 * resolved, a valid `\uD8xx\uDCxx` pair combined, any other surrogate escape
 * and every invalid UTF-8 byte replaced by U+FFFD.
 */
export function decodeString(raw: Uint8Array): string {
  const s = skipWs(raw, 0)
  if (raw[s] !== 0x22) throw new SchemaError(`expected a JSON string, found ${raw.length === 0 ? 'nothing' : jsonKind(raw)}`)
  const end = scanString(raw, s)
  if (skipWs(raw, end) !== raw.length) throw syntax(raw, skipWs(raw, end), 'after top-level value')
  const last = end - 1
  let out = ''
  let i = s + 1
  while (i < last) {
    // fast run of plain ASCII
    let j = i
    while (j < last && raw[j]! < 0x80 && raw[j] !== 0x5c) j++
    if (j > i) out += view(raw, i, j).toString('latin1')
    i = j
    if (i >= last) break
    const c = raw[i]!
    if (c === 0x5c) {
      const e = raw[i + 1]!
      i += 2
      switch (e) {
        case 0x62: out += '\b'; break
        case 0x66: out += '\f'; break
        case 0x6e: out += '\n'; break
        case 0x72: out += '\r'; break
        case 0x74: out += '\t'; break
        case 0x75: {
          let r = hex4(raw, i)
          i += 4
          if (r >= 0xd800 && r < 0xe000) {
            const r2 = raw[i] === 0x5c && raw[i + 1] === 0x75 ? hex4(raw, i + 2) : -1
            if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000) {
              out += String.fromCharCode(r, r2)
              i += 6
              break
            }
            r = 0xfffd
          }
          out += String.fromCharCode(r)
          break
        }
        default: out += String.fromCharCode(e) // " \ /
      }
      continue
    }
    const [cp, size] = goDecodeRune(raw, i)
    out += cp < 0 ? '\ufffd' : String.fromCodePoint(cp)
    i += size
  }
  return out
}

/** The bytes between the quotes of a raw JSON string, not unescaped (what Go's Time.UnmarshalJSON looks at). */
export function stringContentRaw(raw: Uint8Array): string {
  const s = skipWs(raw, 0)
  if (raw[s] !== 0x22) throw new SchemaError(`expected a JSON string, found ${raw.length === 0 ? 'nothing' : jsonKind(raw)}`)
  const end = scanString(raw, s)
  return view(raw, s + 1, end - 1).toString('latin1')
}

export function isNullRaw(raw: Uint8Array): boolean {
  const s = skipWs(raw, 0)
  return raw[s] === 0x6e && raw[s + 1] === 0x75 && raw[s + 2] === 0x6c && raw[s + 3] === 0x6c && skipWs(raw, s + 4) === raw.length
}

const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

/**
 * A raw JSON number decoded into a Go int64 (strconv.ParseInt(literal, 10, 64)):
 * no fraction, no exponent, within range.
 */
export function decodeInt64(raw: Uint8Array): bigint {
  validateJson(raw)
  const text = view(raw, 0, raw.length).toString('latin1').trim()
  if (jsonKind(raw) !== 'number') throw new SchemaError(`cannot unmarshal ${jsonKind(raw)} into an integer`)
  if (!/^-?\d+$/.test(text)) throw new SchemaError(`cannot unmarshal number ${text} into an integer`)
  const v = BigInt(text)
  if (v < INT64_MIN || v > INT64_MAX) throw new SchemaError(`cannot unmarshal number ${text} into an int64 (out of range)`)
  return v
}

export function decodeBool(raw: Uint8Array): boolean {
  const k = jsonKind(raw)
  validateJson(raw)
  if (k === 'true') return true
  if (k === 'false') return false
  throw new SchemaError(`cannot unmarshal ${k} into a bool`)
}

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue}

/**
 * A raw JSON value decoded into plain JS like Go's json.Unmarshal into
 * interface{}: numbers as float64, objects with the last duplicate key
 * winning (own-property-safe: the object has a null prototype).
 */
export function decodeValue(raw: Uint8Array): JsonValue {
  validateJson(raw)
  return decodeValidated(raw)
}

function decodeValidated(raw: Uint8Array): JsonValue {
  switch (jsonKind(raw)) {
    case 'null': return null
    case 'true': return true
    case 'false': return false
    case 'string': return decodeString(raw)
    case 'number': return Number(view(raw, 0, raw.length).toString('latin1').trim())
    case 'array': return parseArrayRaw(raw).map(decodeValidated)
    case 'object': {
      const obj: {[key: string]: JsonValue} = Object.create(null) as {[key: string]: JsonValue}
      for (const e of parseObjectRaw(raw)) obj[e.key] = decodeValidated(e.valueRaw)
      return obj
    }
  }
}

// ---------------------------------------------------------------- Go field matching

/** Folds a key for Go's case-insensitive match (ASCII case, plus ſ→s and K (Kelvin)→k as Unicode simple folding does). */
export function goFoldKey(s: string): string {
  let out = ''
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (cp >= 0x41 && cp <= 0x5a) out += String.fromCharCode(cp + 32)
    else if (cp === 0x17f) out += 's'
    else if (cp === 0x212a) out += 'k'
    else if (cp < 0x80) out += ch
    else out += ch.toLowerCase()
  }
  return out
}

/** True when Go's decoder would consider `key` a match for field name `name` (exact or case-insensitive). */
export function goFoldEqual(key: string, name: string): boolean {
  return key === name || goFoldKey(key) === goFoldKey(name)
}

/**
 * Which of `fieldNames` (in struct order) Go's decoder stores the value of
 * object key `key` into: the exact name if there is one, otherwise the first
 * case-insensitive match, otherwise none (the key is ignored).
 */
export function matchField(key: string, fieldNames: readonly string[]): string | undefined {
  if (fieldNames.includes(key)) return key
  const folded = goFoldKey(key)
  return fieldNames.find((n) => goFoldKey(n) === folded)
}

/**
 * The member Go's decoder would use for struct field `goName`: the last
 * member whose key matches it (exactly, or case-insensitively when no other
 * field of the struct matches the key exactly). `fieldNames` lists all the
 * struct's JSON names; it defaults to just `goName`.
 */
export function lookupField(entries: readonly RawEntry[], goName: string, fieldNames: readonly string[] = [goName]): RawEntry | undefined {
  const names = fieldNames.includes(goName) ? fieldNames : [...fieldNames, goName]
  for (let k = entries.length - 1; k >= 0; k--) {
    if (matchField(entries[k]!.key, names) === goName) return entries[k]
  }
  return undefined
}

// ---------------------------------------------------------------- encoding

/**
 * A compact JSON object from `[name, raw JSON value]` pairs in order;
 * pairs whose value is undefined are omitted (Go's omitempty). Names are
 * quoted with goQuote; values are written exactly as given.
 */
export function encodeGoObject(fields: ReadonlyArray<readonly [string, Uint8Array | string | undefined]>): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of fields) {
    if (value === undefined) continue
    parts.push(Buffer.from(parts.length === 0 ? '{' : ',', 'latin1'))
    parts.push(goQuoteToBuffer(name))
    parts.push(Buffer.from(':', 'latin1'))
    parts.push(typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value))
  }
  if (parts.length === 0) return Buffer.from('{}', 'latin1')
  parts.push(Buffer.from('}', 'latin1'))
  return Buffer.concat(parts)
}

/** A Go int (any width) as JSON. */
export function encodeInt(v: bigint | number): string {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`not an integer: ${v}`)
  return typeof v === 'bigint' ? v.toString(10) : String(v)
}
