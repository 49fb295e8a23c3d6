/**
 * API tokens as influxd generates them (spec §5): 64 random bytes from the
 * OS CSPRNG, encoded as padded base64url (Go's base64.URLEncoding), so always
 * 88 characters ending in `==`. influxd accepts any non-empty string as a
 * token when a caller supplies one, so `looksLikeInfluxToken` only tells
 * whether a string has the generated shape.
 */
import * as crypto from 'node:crypto'

/** Random bytes in a generated token. */
export const TOKEN_BYTES = 64

/** Characters in a generated token. */
export const TOKEN_LENGTH = 88

/** Padded base64url (Go's base64.URLEncoding). */
function base64UrlPadded(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

/** A new token exactly as influxd makes one: 64 bytes from crypto.randomBytes, padded base64url. */
export function generateToken(): string {
  return base64UrlPadded(crypto.randomBytes(TOKEN_BYTES))
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{86}==$/

/**
 * True when `s` has the shape of a token influxd generated: 88 characters of
 * the base64url alphabet ending `==` that decode to exactly 64 bytes and
 * re-encode to the same text (no stray trailing bits).
 */
export function looksLikeInfluxToken(s: string): boolean {
  if (typeof s !== 'string' || !TOKEN_SHAPE.test(s)) return false
  const bytes = Buffer.from(s, 'base64url')
  return bytes.length === TOKEN_BYTES && base64UrlPadded(bytes) === s
}

/**
 * SHA-256 of the token's UTF-8 bytes as 64 lowercase hex digits: a stable name
 * for a token in listings and logs that does not reveal it. (Not influxd's
 * stored hash format; see hashing.ts for that.)
 */
export function tokenFingerprint(token: string): string {
  return crypto.createHash('sha256').update(Buffer.from(token, 'utf8')).digest('hex')
}
