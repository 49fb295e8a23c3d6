/**
 * Text encodings for names, keys and values in dumps, ops files and on the
 * command line. Engine-level: knows nothing of InfluxDB.
 *
 *  utf8   — output: the text itself when the bytes are valid UTF-8, otherwise
 *           {"base64": "..."}; input: a string (taken as UTF-8) or
 *           {"base64": "..."} or {"hex": "..."}.
 *  base64 — standard alphabet, padded (what Go's encoding/json does for []byte).
 *  hex    — lowercase on output; either case accepted on input.
 *
 * Input is validated strictly: anything that is not canonical base64 or an
 * even run of hex digits is rejected, never silently truncated.
 */
import {BoltError} from './errors.js'

export const ENCODINGS = ['utf8', 'base64', 'hex'] as const
export type Encoding = (typeof ENCODINGS)[number]

/** What an encoded byte string looks like inside JSON. */
export type EncodedBytes = string | {base64: string}

// ignoreBOM: keep a leading U+FEFF in the text, otherwise it would be dropped
// and the text would no longer round-trip to the same bytes.
const strictUtf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/

export function isEncoding(s: string): s is Encoding {
  return (ENCODINGS as readonly string[]).includes(s)
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

/** The bytes as text when they are valid UTF-8 (and round-trip exactly), else undefined. */
export function utf8Text(b: Uint8Array): string | undefined {
  let text: string
  try {
    text = strictUtf8.decode(b)
  } catch {
    return undefined
  }
  // Belt and braces: the text must encode back to exactly these bytes.
  return Buffer.from(text, 'utf8').equals(asBuffer(b)) ? text : undefined
}

/** Encodes bytes for JSON output. */
export function encodeBytes(b: Uint8Array, enc: Encoding): EncodedBytes {
  const buf = asBuffer(b)
  switch (enc) {
    case 'base64':
      return buf.toString('base64')
    case 'hex':
      return buf.toString('hex')
    case 'utf8': {
      const text = utf8Text(buf)
      return text !== undefined ? text : {base64: buf.toString('base64')}
    }
  }
}

/** The JSON text of encodeBytes (no spaces), for building output lines by hand. */
export function encodeBytesJson(b: Uint8Array, enc: Encoding): string {
  const v = encodeBytes(b, enc)
  return typeof v === 'string' ? JSON.stringify(v) : `{"base64":${JSON.stringify(v.base64)}}`
}

/** Thrown for malformed encoded input; callers add the location (line, flag). */
export class EncodingError extends BoltError {
  constructor(message: string) {
    super('invalid', message)
    this.name = 'EncodingError'
  }
}

export function decodeBase64Strict(s: string): Buffer {
  if (!BASE64_RE.test(s)) throw new EncodingError(`invalid base64 ${preview(s)} (standard alphabet, padded)`)
  const buf = Buffer.from(s, 'base64')
  // Non-zero bits in the last character's unused part: not canonical, reject.
  if (buf.toString('base64') !== s) throw new EncodingError(`invalid base64 ${preview(s)} (non-canonical padding bits)`)
  return buf
}

export function decodeHexStrict(s: string): Buffer {
  if (!HEX_RE.test(s)) throw new EncodingError(`invalid hex ${preview(s)} (need an even number of hex digits)`)
  return Buffer.from(s, 'hex')
}

/** Decodes a string in the given encoding (a command-line value). */
export function decodeString(s: string, enc: Encoding): Buffer {
  switch (enc) {
    case 'base64':
      return decodeBase64Strict(s)
    case 'hex':
      return decodeHexStrict(s)
    case 'utf8':
      return Buffer.from(s, 'utf8')
  }
}

/**
 * Decodes a JSON value: a string in the given encoding, or (in any encoding)
 * an object {"base64": "..."} or {"hex": "..."} with exactly that one field.
 */
export function decodeBytes(v: unknown, enc: Encoding): Buffer {
  if (typeof v === 'string') {
    if (enc === 'utf8' && hasLoneSurrogate(v)) throw new EncodingError(`string ${preview(v)} is not valid Unicode (lone surrogate)`)
    return decodeString(v, enc)
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v)
    if (keys.length === 1 && (keys[0] === 'base64' || keys[0] === 'hex')) {
      const inner = (v as Record<string, unknown>)[keys[0]]
      if (typeof inner !== 'string') throw new EncodingError(`"${keys[0]}" must be a string`)
      return keys[0] === 'base64' ? decodeBase64Strict(inner) : decodeHexStrict(inner)
    }
    throw new EncodingError('a byte-string object must have exactly one field, "base64" or "hex"')
  }
  throw new EncodingError(`expected a string or {"base64": ...}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`)
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
      return true
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true
  }
  return false
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s)
}

/**
 * A one-line human rendering: text as is when it is printable UTF-8,
 * otherwise the JSON form (a quoted string with escapes, or {"base64": ...}).
 * With base64 or hex the encoded string itself.
 */
export function displayBytes(b: Uint8Array, enc: Encoding): string {
  if (enc !== 'utf8') return encodeBytes(b, enc) as string
  const text = utf8Text(b)
  if (text === undefined) return encodeBytesJson(b, enc)
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text
}
