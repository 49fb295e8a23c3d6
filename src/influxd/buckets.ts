/**
 * Names of the influxd.bolt top-level buckets this tool knows, and the key
 * layouts of their indexes (spec §4). Keys are raw bytes; IDs inside keys are
 * the 16-character hex form.
 */
import {ExitCode} from '../errors.js'
import {SchemaError} from './errors.js'
import {formatID, ID_LENGTH, parseID} from './ids.js'

export const AUTHORIZATIONS = 'authorizationsv1'
export const AUTHORIZATION_INDEX = 'authorizationindexv1'
export const AUTHORIZATION_HASHED_INDEX = 'authorizationhashedindexv1'
export const USERS = 'usersv1'
export const USER_INDEX = 'userindexv1'
export const USER_PASSWORDS = 'userspasswordv1'
export const ORGANIZATIONS = 'organizationsv1'
export const ORGANIZATION_INDEX = 'organizationindexv1'
export const URMS = 'userresourcemappingsv1'
export const URMS_BY_USER_INDEX = 'userresourcemappingsbyuserindexv1'
export const BUCKETS = 'bucketsv1'
export const BUCKET_INDEX = 'bucketindexv1'
export const LEGACY_AUTHORIZATIONS = 'legacy/authorizationsv1'
export const LEGACY_AUTHORIZATION_INDEX = 'legacy/authorizationindexv1'
export const LEGACY_AUTHORIZATION_PASSWORDS = 'legacy/authorizationPasswordv1'
export const MIGRATIONS = 'migrationsv1'
export const IDS = 'idsv1'
export const ONBOARDING = 'onboardingv1'

/** Every bucket name above. */
/** Every top-level bucket the token, user and org commands read: the scope of their consistency check. */
export const AUTH_TENANT_BUCKETS: readonly string[] = [
  AUTHORIZATIONS, AUTHORIZATION_INDEX, AUTHORIZATION_HASHED_INDEX, USERS, USER_INDEX, USER_PASSWORDS,
  ORGANIZATIONS, ORGANIZATION_INDEX, URMS, URMS_BY_USER_INDEX, BUCKETS, BUCKET_INDEX,
  LEGACY_AUTHORIZATIONS, LEGACY_AUTHORIZATION_INDEX, LEGACY_AUTHORIZATION_PASSWORDS, MIGRATIONS, IDS, ONBOARDING,
]

export const KNOWN_BUCKETS = [
  AUTHORIZATIONS,
  AUTHORIZATION_INDEX,
  AUTHORIZATION_HASHED_INDEX,
  USERS,
  USER_INDEX,
  USER_PASSWORDS,
  ORGANIZATIONS,
  ORGANIZATION_INDEX,
  URMS,
  URMS_BY_USER_INDEX,
  BUCKETS,
  BUCKET_INDEX,
  LEGACY_AUTHORIZATIONS,
  LEGACY_AUTHORIZATION_INDEX,
  LEGACY_AUTHORIZATION_PASSWORDS,
  MIGRATIONS,
  IDS,
  ONBOARDING,
] as const
export type KnownBucket = (typeof KNOWN_BUCKETS)[number]

/** The key of the single entry of `idsv1` (the instance ID). */
export const INSTANCE_ID_KEY = 'id'

/** A bucket name as the bytes bbolt's Tx.bucket() takes. */
export function bucketName(name: string): Buffer {
  return Buffer.from(name, 'utf8')
}

/** An ID (canonical hex string or value) as a 16-byte key. */
export function idKey(id: string | bigint): Buffer {
  return Buffer.from(typeof id === 'bigint' ? formatID(id) : formatID(parseID(id)), 'latin1')
}

/** `resourceID + userID` (32 bytes, no separator): the key of a user resource mapping. */
export function urmKey(resourceID: string | bigint, userID: string | bigint): Buffer {
  return Buffer.concat([idKey(resourceID), idKey(userID)])
}

/** Splits a 32-byte URM key into its resource and user IDs. */
export function parseUrmKey(key: Uint8Array): {resourceID: string; userID: string} {
  if (key.length !== 2 * ID_LENGTH) throw new SchemaError(`user resource mapping key must be ${2 * ID_LENGTH} bytes, got ${key.length}`, {bucket: URMS})
  const text = Buffer.from(key).toString('latin1')
  return {resourceID: formatID(parseID(text.slice(0, ID_LENGTH))), userID: formatID(parseID(text.slice(ID_LENGTH)))}
}

/**
 * `userID + "/" + urmKey` (49 bytes): the key of the by-user URM index.
 * Like influxd's IndexKey, neither part may contain `/`.
 */
export function urmByUserIndexKey(userID: string | bigint, key: Uint8Array): Buffer {
  const fk = idKey(userID)
  if (Buffer.from(key).includes(0x2f)) throw new SchemaError('index key contains invalid characters', {bucket: URMS_BY_USER_INDEX}, ExitCode.ERROR)
  return Buffer.concat([fk, Buffer.from('/', 'latin1'), Buffer.from(key)])
}

/** Splits a by-user index key into the user ID and the URM key. */
export function parseUrmByUserIndexKey(key: Uint8Array): {userID: string; urmKey: Buffer} {
  const b = Buffer.from(key)
  const slash = b.indexOf(0x2f)
  if (slash < 0) throw new SchemaError('malformed index key', {bucket: URMS_BY_USER_INDEX})
  return {userID: formatID(parseID(b.subarray(0, slash))), urmKey: Buffer.from(b.subarray(slash + 1))}
}

/** `orgID + name` (no separator, name not trimmed): the key of `bucketindexv1`. */
export function bucketIndexKey(orgID: string | bigint, name: string): Buffer {
  return Buffer.concat([idKey(orgID), Buffer.from(name, 'utf8')])
}

/** The key of `userindexv1`: the user name bytes exactly. */
export function userIndexKey(name: string): Buffer {
  return Buffer.from(name, 'utf8')
}

/** The key of `organizationindexv1`: Go's strings.TrimSpace(name). */
export function orgIndexKey(name: string): Buffer {
  return Buffer.from(goTrimSpace(name), 'utf8')
}

/** Unicode White_Space as Go's unicode.IsSpace sees it. */
function isGoSpace(cp: number): boolean {
  switch (cp) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true
    default:
      return cp >= 0x2000 && cp <= 0x200a
  }
}

/** Go's strings.TrimSpace: leading and trailing Unicode white space removed (U+FEFF is not space in Go). */
export function goTrimSpace(s: string): string {
  const cps = Array.from(s)
  let a = 0
  let b = cps.length
  while (a < b && isGoSpace(cps[a]!.codePointAt(0)!)) a++
  while (b > a && isGoSpace(cps[b - 1]!.codePointAt(0)!)) b--
  return cps.slice(a, b).join('')
}

/** The key of `legacy/authorizationindexv1`: the token (v1 user name) bytes. */
export function legacyAuthIndexKey(token: string): Buffer {
  return Buffer.from(token, 'utf8')
}

/** The key of `authorizationindexv1` (the raw token) or `authorizationhashedindexv1` (the hash string). */
export function tokenIndexKey(token: string): Buffer {
  return Buffer.from(token, 'utf8')
}

/** The `migrationsv1` key of migration number n (1-based): its ID as 16 hex. */
export function migrationKey(n: number | bigint): Buffer {
  return idKey(BigInt(n))
}
