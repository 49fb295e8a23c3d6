/**
 * InfluxDB 2.8+/2.9 token hashes (spec §8.1): `$influxdb2-sha256$` followed by
 * the padded base64url of SHA-256 over the token's UTF-8 bytes (or the SHA-512
 * variant). No salt, no parameters: the hash is also the key of the
 * `authorizationhashedindexv1` index, so it must be deterministic and exact.
 *
 * Parsing follows influxd's decoder (go-crypt with influxdb's influxdb2
 * algorithm): the string starts with `$`, is split into at most 3 parts on
 * `$`, part 1 names the variant and part 2 is decoded as padded base64url
 * (Go's base64.URLEncoding: padding required, CR/LF skipped, trailing bits not
 * checked); an empty digest is refused, the digest length is not checked.
 * One deliberate difference: go-crypt also strips an LDAP `{CRYPT}` or
 * `{ARGON2}` prefix first; this parser refuses such strings, since influxd
 * itself never writes them.
 */
import * as crypto from 'node:crypto'
import {ExitCode, RecoverError} from '../errors.js'

export type HashVariant = 'sha256' | 'sha512'

export const HASH_VARIANTS: readonly HashVariant[] = ['sha256', 'sha512']

/** The variant influxd uses for every new hash (not configurable in 2.8/2.9). */
export const DEFAULT_HASH_VARIANT: HashVariant = 'sha256'

/** The PHC identifier of each variant. */
export const HASH_IDENTIFIERS: Readonly<Record<HashVariant, string>> = Object.freeze({
  sha256: 'influxdb2-sha256',
  sha512: 'influxdb2-sha512',
})

/** Digest bytes of each variant. */
export const DIGEST_LENGTHS: Readonly<Record<HashVariant, number>> = Object.freeze({sha256: 32, sha512: 64})

export class TokenHashError extends RecoverError {
  constructor(message: string) {
    super(message, ExitCode.ERROR)
    this.name = 'TokenHashError'
  }
}

export interface ParsedTokenHash {
  variant: HashVariant
  /** the decoded digest bytes (never empty) */
  digest: Buffer
  /**
   * true when the string is exactly what hashToken produces for some token:
   * the variant's digest length, no CR/LF, zero trailing bits. Only canonical
   * hashes can match a hashed-index key that influxd computes.
   */
  canonical: boolean
}

function variantOf(identifier: string): HashVariant | undefined {
  for (const v of HASH_VARIANTS) if (HASH_IDENTIFIERS[v] === identifier) return v
  return undefined
}

function checkVariant(variant: HashVariant): void {
  if (!HASH_VARIANTS.includes(variant)) throw new TokenHashError(`unknown token hash variant ${JSON.stringify(variant)} (known: sha256, sha512)`)
}

function digestOf(token: string | Uint8Array, variant: HashVariant): Buffer {
  // one-shot: no Hash object per token (strings are hashed as UTF-8)
  return crypto.hash(variant, token, 'buffer') as unknown as Buffer
}

/** Padded base64url (Go's base64.URLEncoding). */
function base64UrlPadded(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

/**
 * The hash influxd stores in `hashedToken` and uses as the hashed-index key:
 * `$influxdb2-sha256$` + padded base64url(SHA-256(UTF-8 token)), or the SHA-512
 * variant.
 */
export function hashToken(token: string, variant: HashVariant = DEFAULT_HASH_VARIANT): string {
  checkVariant(variant)
  return `$${HASH_IDENTIFIERS[variant]}$${base64UrlPadded(digestOf(token, variant))}`
}

/**
 * hashToken and the token's SHA-256 fingerprint (hex, as tokenFingerprint)
 * together: one digest when the variant is sha256.
 */
export function hashWithFingerprint(token: string, variant: HashVariant = DEFAULT_HASH_VARIANT): {hash: string; fingerprint: string} {
  checkVariant(variant)
  const sha256 = digestOf(token, 'sha256')
  const digest = variant === 'sha256' ? sha256 : digestOf(token, variant)
  return {hash: `$${HASH_IDENTIFIERS[variant]}$${base64UrlPadded(digest)}`, fingerprint: sha256.toString('hex')}
}

/**
 * Every hash influxd may look a token up under, default variant first (it
 * tries each variant it knows). Check them all before inserting a token: token
 * uniqueness is global (spec §12 item 20).
 */
export function allTokenHashes(token: string): string[] {
  return [DEFAULT_HASH_VARIANT, ...HASH_VARIANTS.filter((v) => v !== DEFAULT_HASH_VARIANT)].map((v) => hashToken(token, v))
}

const PADDED_BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/

/** Go's base64.URLEncoding.DecodeString; throws on what Go refuses. */
function decodeGoBase64Url(src: string): Buffer {
  const s = src.replace(/[\r\n]/g, '')
  if (!PADDED_BASE64URL.test(s)) {
    const bad = /[^A-Za-z0-9_=-]/.exec(s)
    if (bad) throw new TokenHashError(`the digest is not base64url: unexpected character ${JSON.stringify(bad[0])}`)
    throw new TokenHashError('the digest is not padded base64url (wrong length or padding)')
  }
  return Buffer.from(s, 'base64url')
}

/**
 * Parses a stored token hash as influxd's decoder does (see the module
 * comment). Throws TokenHashError naming the first rule broken.
 */
export function parseTokenHash(s: string): ParsedTokenHash {
  if (typeof s !== 'string') throw new TokenHashError('a token hash must be a string')
  if (!s.startsWith('$')) {
    throw new TokenHashError(`not a token hash: it must start with "$" (like "$influxdb2-sha256$…")`)
  }
  const first = s.indexOf('$', 1)
  if (first < 0) throw new TokenHashError('not a token hash: it must have the form "$<variant>$<digest>"')
  const identifier = s.slice(1, first)
  const encoded = s.slice(first + 1) // split into at most 3 parts: any further "$" belongs to the digest
  const variant = variantOf(identifier)
  if (variant === undefined) {
    throw new TokenHashError(`unknown token hash variant ${JSON.stringify(identifier)} (known: ${HASH_VARIANTS.map((v) => HASH_IDENTIFIERS[v]).join(', ')})`)
  }
  let digest: Buffer
  try {
    digest = decodeGoBase64Url(encoded)
  } catch (err) {
    throw new TokenHashError(`invalid ${identifier} hash: ${(err as Error).message}`)
  }
  if (digest.length === 0) throw new TokenHashError(`invalid ${identifier} hash: the digest is empty`)
  const canonical = digest.length === DIGEST_LENGTHS[variant] && base64UrlPadded(digest) === encoded
  return {variant, digest, canonical}
}

/** True when influxd's decoder accepts the string as a token hash (it need not be canonical). */
export function isHashString(s: string): boolean {
  try {
    parseTokenHash(s)
    return true
  } catch {
    return false
  }
}

/**
 * True when `token` hashes to `hash` (compared in constant time, as influxd
 * does). Throws TokenHashError when `hash` is not a decodable token hash.
 */
export function verifyToken(token: string, hash: string): boolean {
  const {variant, digest} = parseTokenHash(hash)
  const candidate = digestOf(token, variant)
  // The stored digest length is public (it is in the file); only equal lengths can match.
  if (candidate.length !== digest.length) return false
  return crypto.timingSafeEqual(candidate, digest)
}
