/**
 * Offline user writes: creating a user (optionally with a password and as
 * the owner of an organization) and setting a user's password, exactly as
 * influxd's tenant store writes them (spec §4.4, §4.5, §4.7):
 *
 *  - usersv1:      id → {"id":…,"name":…,"status":"active"} (Go field order;
 *                  status "active", not the "" that `influxd recovery user
 *                  create` leaves, which the v1 API refuses: spec §12 item 7)
 *  - userindexv1:  name bytes → id
 *  - userspasswordv1: id → bcrypt hash, cost 10, `$2a$` like Go's x/crypto
 *  - userresourcemappingsv1: orgID+userID → the owner mapping, plus its
 *    userresourcemappingsbyuserindexv1 entry `userID/` + key → key when that
 *    bucket exists (migration 2 creates it).
 *
 * The functions run inside a write transaction and return what they did;
 * verify() re-reads it. Password hashing happens before (hashPassword), so a
 * transaction never holds a plaintext password.
 */
import {randomBytes} from 'node:crypto'

import bcrypt from 'bcryptjs'

import type {Bucket, Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError, UsageError} from '../errors.js'
import * as B from '../influxd/buckets.js'
import {SnowflakeGenerator} from '../influxd/ids.js'
import {decodeUserResourceMapping, encodeUser, encodeUserResourceMapping, type User, type UserStatus} from '../influxd/records.js'
import {detectSchema} from '../influxd/schema.js'
import {checkNewName} from './input-rules.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'

// ---------------------------------------------------------------- passwords

export const PASSWORD_MIN_BYTES = 8
export const PASSWORD_MAX_BYTES = 72
/** influxd's EPasswordLength message (the limits are bytes, whatever it says). */
export const ERR_PASSWORD_LENGTH = 'passwords must be between 8 and 72 characters long'
/** Go's bcrypt.DefaultCost, which influxd uses. */
export const BCRYPT_COST = 10
/** What Go's x/crypto/bcrypt writes: `$2a$`, two-digit cost, 22 salt + 31 hash characters. */
export const INFLUXD_BCRYPT_RE = /^\$2a\$10\$[./A-Za-z0-9]{53}$/

const BCRYPT_SALT_BYTES = 16

/** Why influxd would refuse the password (its length in UTF-8 bytes must be 8–72), or undefined when it is fine. */
export function passwordProblem(password: string): string | undefined {
  const n = Buffer.byteLength(password, 'utf8')
  if (n < PASSWORD_MIN_BYTES || n > PASSWORD_MAX_BYTES) return ERR_PASSWORD_LENGTH
  return undefined
}

/** Refuses (exit 2) a password influxd would refuse. */
export function checkPassword(password: string): void {
  const problem = passwordProblem(password)
  if (problem !== undefined) {
    const n = Buffer.byteLength(password, 'utf8')
    throw new UsageError(problem, `the password is ${n} byte${n === 1 ? '' : 's'} long in UTF-8; use ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes`)
  }
}

export interface HashOptions {
  /** 16 salt bytes (tests); default from the crypto RNG */
  salt?: Uint8Array
}

/**
 * The bcrypt hash influxd would store: cost 10 with the `$2a$` prefix Go's
 * x/crypto/bcrypt writes. `$2a$` and `$2b$` are the same computation for
 * passwords of at most 72 bytes (the key is the password bytes plus a NUL,
 * both versions); bcryptjs only labels its own salts `$2b$`, so the salt is
 * made here and labelled `$2a$`. The result is checked against the password
 * before it is returned.
 */
export function hashPassword(password: string, opts: HashOptions = {}): string {
  checkPassword(password)
  const saltBytes = opts.salt ?? randomBytes(BCRYPT_SALT_BYTES)
  if (saltBytes.length !== BCRYPT_SALT_BYTES) throw new RangeError(`a bcrypt salt is ${BCRYPT_SALT_BYTES} bytes, got ${saltBytes.length}`)
  const salt = `$2a$${BCRYPT_COST}$${bcrypt.encodeBase64(Array.from(saltBytes), BCRYPT_SALT_BYTES)}`
  const hash = bcrypt.hashSync(password, salt)
  if (!INFLUXD_BCRYPT_RE.test(hash)) throw new RecoverError(`internal error: the bcrypt hash does not have influxd's $2a$${BCRYPT_COST}$ form`, ExitCode.ERROR)
  if (!passwordMatches(password, hash)) throw new RecoverError('internal error: the new bcrypt hash does not match the password', ExitCode.ERROR)
  return hash
}

/**
 * The last pair bcrypt accepted in this process. A write checks its new hash
 * against the password when it makes it, then again in its trial and after
 * its commit (each time on the hash read back from the file): bcrypt costs
 * ~80 ms a time, on purpose, and the answer for the same two strings does not
 * change.
 */
let lastAccepted: {password: string; hash: string} | undefined
let bcryptCompares = 0

/** How many bcrypt comparisons this process has run (for tests). */
export function bcryptCompareCount(): number {
  return bcryptCompares
}

/** Whether `hash` is a bcrypt hash of `password` (any $2a$/$2b$/$2y$ cost). */
export function passwordMatches(password: string, hash: string): boolean {
  if (lastAccepted !== undefined && lastAccepted.password === password && lastAccepted.hash === hash) return true
  let ok: boolean
  bcryptCompares++
  try {
    ok = bcrypt.compareSync(password, hash)
  } catch {
    return false
  }
  if (ok) lastAccepted = {password, hash}
  return ok
}

// ---------------------------------------------------------------- plan / result

export type ChangeAction = 'add' | 'change' | 'remove'

/** One record or index entry the write adds or changes (secrets are never shown). */
export interface PlannedChange {
  action: ChangeAction
  bucket: string
  key: string
  /** the value written, as text; a password hash shows as "(bcrypt hash, not shown)" */
  value: string
}

export const HIDDEN_HASH = '(bcrypt hash, not shown)'

interface Written {
  bucket: string
  key: Buffer
  value: Buffer
}

export interface UserSummary {
  id: string
  name: string
  status: UserStatus
}

export interface OrgRef {
  id: string
  name: string
}

export interface UserWriteResult {
  operation: 'create' | 'set-password'
  user: UserSummary
  /** the org the new user owns (--owner-of) */
  ownerOf?: OrgRef
  /** none: created without a password; set: first password; changed: replaced one */
  password: 'none' | 'set' | 'changed'
  changes: PlannedChange[]
  /** IDs of the records created or changed (for the audit log) */
  ids: string[]
  /** what verify() re-reads; holds the hash, so never print it */
  readonly written: readonly Written[]
}

// ---------------------------------------------------------------- helpers

function requireWritable(tx: Tx): void {
  const schema = detectSchema(tx)
  if (!schema.writable) {
    const first = schema.problems[0] ?? `unknown schema (${schema.influxdRange})`
    throw new RecoverError(
      `refusing to write: the influxd schema of this file is not one this tool can write safely: ${first}`,
      ExitCode.CORRUPT,
      'run "influx-recover doctor" for details',
    )
  }
}

function requireBucket(tx: Tx, name: string): Bucket {
  const b = tx.bucket(B.bucketName(name))
  if (b === undefined) {
    throw new RecoverError(`bucket "${name}" is missing: this is not a complete influxd.bolt`, ExitCode.CORRUPT, 'run "influx-recover doctor" for details')
  }
  return b
}

function text(b: Buffer): string {
  return b.toString('utf8')
}

// ---------------------------------------------------------------- create

export interface CreateUserInput {
  name: string
  /** from hashPassword(); absent: the user gets no password */
  passwordHash?: string
  /** the name of an organization the user becomes owner of */
  ownerOf?: string
  /** the ID generator (tests); default a snowflake generator with a random machine ID */
  ids?: SnowflakeGenerator
}

/**
 * The checks of createUser that need no write (also usable in a read-only
 * transaction, e.g. before asking for a password): a name the input rules
 * accept (input-rules.ts) not yet taken, a schema this tool can write, and the --owner-of organization. Returns that organization.
 */
export function precheckCreateUser(tx: Tx, input: {name: string; ownerOf?: string}): OrgRef | undefined {
  const {name} = input
  checkNewName(name, 'user')
  requireWritable(tx)
  requireBucket(tx, B.USERS)
  const index = requireBucket(tx, B.USER_INDEX)
  // influxd's uniqueUserName: the index decides (one lookup; a record the index misses is doctor's to report)
  if (index.get(B.userIndexKey(name)) !== undefined) {
    throw new RecoverError(`user with name ${name} already exists`, ExitCode.ERROR)
  }
  if (input.ownerOf === undefined) return undefined
  const org = findOrg(tx, {name: input.ownerOf})
  return {id: org.id, name: org.name}
}

/** One line per planned change, for dry runs and notes: `add usersv1 <key> = <value>`. */
export function describeChanges(changes: readonly PlannedChange[]): string[] {
  return changes.map((c) => `${c.action} ${c.bucket} ${JSON.stringify(c.key)} = ${c.value}`)
}

/** Creates a user; see the module comment for what is written. */
export function createUser(tx: Tx, input: CreateUserInput): UserWriteResult {
  const {name} = input
  if (input.passwordHash !== undefined && !INFLUXD_BCRYPT_RE.test(input.passwordHash)) {
    throw new RecoverError('internal error: the password hash is not a cost-10 $2a$ bcrypt hash', ExitCode.ERROR)
  }
  const org = precheckCreateUser(tx, input)
  const users = requireBucket(tx, B.USERS)
  const index = requireBucket(tx, B.USER_INDEX)
  const passwords = input.passwordHash !== undefined ? requireBucket(tx, B.USER_PASSWORDS) : undefined
  const urms = org !== undefined ? requireBucket(tx, B.URMS) : undefined
  const byUser = org !== undefined ? tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX)) : undefined

  // A snowflake ID unused as a user, as a password entry and as a by-user index prefix.
  const passwordBucket = tx.bucket(B.bucketName(B.USER_PASSWORDS))
  const prefixUsed = (id: string): boolean => {
    if (byUser === undefined) return false
    const prefix = Buffer.from(`${id}/`, 'latin1')
    const e = byUser.cursor().seek(prefix)
    return e !== null && e.key.subarray(0, prefix.length).equals(prefix)
  }
  const gen = input.ids ?? new SnowflakeGenerator()
  const id = gen.next((candidate) => users.get(B.idKey(candidate)) !== undefined || passwordBucket?.get(B.idKey(candidate)) !== undefined || prefixUsed(candidate))

  const written: Written[] = []
  const changes: PlannedChange[] = []
  const put = (bucket: Bucket, bucketName: string, key: Buffer, value: Buffer, shown?: string): void => {
    const before = bucket.get(key)
    bucket.put(key, value)
    written.push({bucket: bucketName, key, value})
    changes.push({action: before === undefined ? 'add' : 'change', bucket: bucketName, key: text(key), value: shown ?? text(value)})
  }

  const record: User = {kind: 'user', id, name, status: 'active'}
  put(users, B.USERS, B.idKey(id), encodeUser(record))
  put(index, B.USER_INDEX, B.userIndexKey(name), B.idKey(id))
  if (passwords !== undefined && input.passwordHash !== undefined) {
    put(passwords, B.USER_PASSWORDS, B.idKey(id), Buffer.from(input.passwordHash, 'latin1'), HIDDEN_HASH)
  }
  if (org !== undefined && urms !== undefined) {
    const key = B.urmKey(org.id, id)
    if (urms.get(key) !== undefined) {
      throw new RecoverError(`Unexpected error when assigning user to a resource: mapping for user ${id} already exists`, ExitCode.ERROR)
    }
    const urm = encodeUserResourceMapping({kind: 'urm', userID: id, userType: 'owner', mappingType: 'user', resourceType: 'orgs', resourceID: org.id})
    put(urms, B.URMS, key, urm)
    if (byUser !== undefined) put(byUser, B.URMS_BY_USER_INDEX, B.urmByUserIndexKey(id, key), key)
  }
  return {
    operation: 'create',
    user: {id, name, status: 'active'},
    ...(org !== undefined ? {ownerOf: org} : {}),
    password: input.passwordHash !== undefined ? 'set' : 'none',
    changes,
    ids: org !== undefined ? [id, org.id] : [id],
    written,
  }
}

// ---------------------------------------------------------------- set password

export interface SetPasswordInput {
  /** by name (through userindexv1) or by ID */
  user: TenantRef
  /** from hashPassword() */
  passwordHash: string
}

/** The checks of setPassword that need no write: a schema this tool can write, and the user. */
export function precheckSetPassword(tx: Tx, user: TenantRef): {id: string; name: string} {
  requireWritable(tx)
  const u = findUser(tx, user)
  return {id: u.id, name: u.name}
}

/** Sets (or replaces) a user's password hash in userspasswordv1; nothing else changes. */
export function setPassword(tx: Tx, input: SetPasswordInput): UserWriteResult {
  if (!INFLUXD_BCRYPT_RE.test(input.passwordHash)) throw new RecoverError('internal error: the password hash is not a cost-10 $2a$ bcrypt hash', ExitCode.ERROR)
  requireWritable(tx)
  const user = findUser(tx, input.user)
  const passwords = requireBucket(tx, B.USER_PASSWORDS)
  const key = B.idKey(user.id)
  const had = passwords.get(key) !== undefined
  const value = Buffer.from(input.passwordHash, 'latin1')
  passwords.put(key, value)
  return {
    operation: 'set-password',
    user: {id: user.id, name: user.name, status: user.record.status},
    password: had ? 'changed' : 'set',
    changes: [{action: had ? 'change' : 'add', bucket: B.USER_PASSWORDS, key: text(key), value: HIDDEN_HASH}],
    ids: [user.id],
    written: [{bucket: B.USER_PASSWORDS, key, value}],
  }
}

// ---------------------------------------------------------------- verify

export interface VerifyOptions {
  /** also check that the stored hash accepts this password */
  password?: string
}

/** Re-reads what createUser/setPassword wrote; returns the mismatches (empty = as intended). */
export function verify(tx: Tx, result: UserWriteResult, opts: VerifyOptions = {}): string[] {
  const problems: string[] = []
  for (const w of result.written) {
    const b = tx.bucket(B.bucketName(w.bucket))
    const got = b?.get(w.key)
    if (got === undefined) problems.push(`${w.bucket}: ${JSON.stringify(text(w.key))} is missing`)
    else if (!got.equals(w.value)) problems.push(`${w.bucket}: ${JSON.stringify(text(w.key))} does not hold the value written`)
  }
  try {
    const u = findUser(tx, {id: result.user.id})
    if (u.name !== result.user.name) problems.push(`user ${result.user.id} is named ${JSON.stringify(u.name)}, expected ${JSON.stringify(result.user.name)}`)
    const byName = findUser(tx, {name: result.user.name})
    if (byName.id !== result.user.id) problems.push(`${B.USER_INDEX} maps ${JSON.stringify(result.user.name)} to ${byName.id}, expected ${result.user.id}`)
    if (result.operation === 'create' && u.record.status !== 'active') problems.push(`user ${result.user.id} has status ${JSON.stringify(u.record.status)}, expected "active"`)
  } catch (err) {
    problems.push(`cannot read user ${result.user.id} back: ${(err as Error).message}`)
  }
  if (result.ownerOf !== undefined) {
    const key = B.urmKey(result.ownerOf.id, result.user.id)
    const v = tx.bucket(B.bucketName(B.URMS))?.get(key)
    if (v === undefined) problems.push(`${B.URMS}: the owner mapping ${text(key)} is missing`)
    else {
      try {
        const m = decodeUserResourceMapping(v, {bucket: B.URMS, key: text(key)})
        if (m.userID !== result.user.id || m.resourceID !== result.ownerOf.id || m.userType !== 'owner' || m.resourceType !== 'orgs' || m.mappingType !== 'user') {
          problems.push(`${B.URMS}: the mapping ${text(key)} is not the owner mapping intended`)
        }
      } catch (err) {
        problems.push(`${B.URMS}: ${(err as Error).message}`)
      }
    }
  }
  if (opts.password !== undefined && result.password !== 'none') {
    const stored = tx.bucket(B.bucketName(B.USER_PASSWORDS))?.get(B.idKey(result.user.id))
    if (stored === undefined) problems.push(`${B.USER_PASSWORDS}: no password stored for ${result.user.id}`)
    else if (!passwordMatches(opts.password, stored.toString('latin1'))) problems.push(`${B.USER_PASSWORDS}: the stored hash does not accept the password`)
  }
  return problems
}
