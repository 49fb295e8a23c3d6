/**
 * A read-only view of the auth-related content of an influxd.bolt file:
 * every authorization, user and organization decoded once, with lookups by
 * id and name. Records that fail to decode are kept with their error so that
 * listings show them instead of dropping them.
 */
import type {Bucket, Tx} from '../bbolt/index.js'
import {
  AUTHORIZATIONS, LEGACY_AUTHORIZATIONS, ORGANIZATIONS, USER_PASSWORDS, USERS,
} from '../influxd/buckets.js'
import {SchemaError} from '../influxd/errors.js'
import {ExitCode, RecoverError} from '../errors.js'
import {
  decodeAuthorization, decodeLegacyAuthorization, decodeOrganization, decodeUser, readAuthorization,
  type Authorization, type DecodedRecord, type Organization, type User,
} from '../influxd/records.js'

export interface Decoded<T> {
  /** the bolt key as text */
  key: string
  /** with its `source` (re-encodable byte for byte) unless the model was read with `readOnly` */
  record?: T
  /** why the value could not be decoded */
  error?: string
}

export interface ReadModel {
  authorizations: Decoded<Authorization>[]
  legacyAuthorizations: Decoded<Authorization>[]
  users: Decoded<User>[]
  orgs: Decoded<Organization>[]
  userById: Map<string, DecodedRecord<User>>
  orgById: Map<string, DecodedRecord<Organization>>
  /** user ids that have a password hash */
  passwords: Set<string>
  /** top-level buckets that are missing */
  missingBuckets: string[]
}

function decodeAll<T>(bucket: Bucket | undefined, name: string, decode: (v: Uint8Array, opts: {bucket: string; key: string}) => T): Decoded<T>[] {
  const out: Decoded<T>[] = []
  if (bucket === undefined) return out
  const c = bucket.cursor({copy: false})
  for (let e = c.first(); e !== null; e = c.next()) {
    const key = e.key.toString('utf8')
    if (e.value === null) {
      out.push({key, error: `bucket ${JSON.stringify(name)}: ${JSON.stringify(key)} is a nested bucket, not a record`})
      continue
    }
    try {
      out.push({key, record: decode(e.value, {bucket: name, key})})
    } catch (err) {
      if (err instanceof SchemaError) out.push({key, error: err.message})
      else throw err
    }
  }
  return out
}

export interface ReadModelOptions {
  /**
   * The records will only be read, never re-encoded: authorizations are
   * decoded without their `source` (readAuthorization), which is several
   * times faster and keeps far less in memory.
   */
  readOnly?: boolean
  /** leave `authorizations` empty (the caller streams them with eachAuthorization) */
  withoutAuthorizations?: boolean
}

/** Users and orgs by id (lowercase), for resolving names. */
export interface Tenants {
  users: Decoded<User>[]
  orgs: Decoded<Organization>[]
  userById: Map<string, DecodedRecord<User>>
  orgById: Map<string, DecodedRecord<Organization>>
}

export function readTenants(tx: Tx): Tenants {
  const b = (name: string): Bucket | undefined => tx.bucket(Buffer.from(name))
  const users = decodeAll(b(USERS), USERS, decodeUser)
  const orgs = decodeAll(b(ORGANIZATIONS), ORGANIZATIONS, decodeOrganization)
  const userById = new Map<string, DecodedRecord<User>>()
  for (const u of users) if (u.record) userById.set((u.record.id ?? u.key).toLowerCase(), u.record)
  const orgById = new Map<string, DecodedRecord<Organization>>()
  for (const o of orgs) if (o.record) orgById.set((o.record.id ?? o.key).toLowerCase(), o.record)
  return {users, orgs, userById, orgById}
}

/**
 * Every authorization of the bucket, one at a time (nothing is kept): the
 * streaming form of ReadModel.authorizations, always read-only. `entries`:
 * the bucket's entries as a checked read hands them out (withDataFile's
 * ctx.streamed, the same snapshot as tx), instead of a cursor of tx.
 */
export function* eachAuthorization(tx: Tx, entries?: Iterable<{key: Buffer; value: Buffer | null}>): Generator<Decoded<Authorization>> {
  yield* decodeAuthorizations(authorizationEntries(tx, entries))
}

function* cursorEntries(tx: Tx): Generator<{key: Buffer; value: Buffer | null}> {
  const bucket = tx.bucket(Buffer.from(AUTHORIZATIONS))
  if (bucket === undefined) return
  const c = bucket.cursor({copy: false})
  for (let e = c.first(); e !== null; e = c.next()) yield e
}

function* decodeAuthorizations(entries: Iterable<{key: Buffer; value: Buffer | null}>): Generator<Decoded<Authorization>> {
  for (const e of entries) yield decodeAuthorizationEntry(e)
}

/** One entry of the token bucket, read-only: its record, or why it is not one. */
export function decodeAuthorizationEntry(e: {key: Buffer; value: Buffer | null}): Decoded<Authorization> {
  const key = e.key.toString('utf8')
  if (e.value === null) return {key, error: `bucket ${JSON.stringify(AUTHORIZATIONS)}: ${JSON.stringify(key)} is a nested bucket, not a record`}
  try {
    return {key, record: readAuthorization(e.value, {bucket: AUTHORIZATIONS, key})}
  } catch (err) {
    if (!(err instanceof SchemaError)) throw err
    return {key, error: err.message}
  }
}

/** The token bucket's entries, from a cursor of tx, or those given (a checked read's). */
export function authorizationEntries(tx: Tx, entries?: Iterable<{key: Buffer; value: Buffer | null}>): Iterable<{key: Buffer; value: Buffer | null}> {
  return entries ?? cursorEntries(tx)
}

export function readModel(tx: Tx, opts: ReadModelOptions = {}): ReadModel {
  const b = (name: string): Bucket | undefined => tx.bucket(Buffer.from(name))
  const missingBuckets = [AUTHORIZATIONS, USERS, ORGANIZATIONS].filter((n) => b(n) === undefined)
  const {users, orgs, userById, orgById} = readTenants(tx)
  const passwords = new Set<string>()
  b(USER_PASSWORDS)?.forEach((k, v) => { if (v !== null && v.length > 0) passwords.add(k.toString('utf8').toLowerCase()) }, {copy: false})
  return {
    authorizations: opts.withoutAuthorizations ? [] : opts.readOnly ? [...eachAuthorization(tx)] : decodeAll(b(AUTHORIZATIONS), AUTHORIZATIONS, decodeAuthorization),
    legacyAuthorizations: decodeAll(b(LEGACY_AUTHORIZATIONS), LEGACY_AUTHORIZATIONS, decodeLegacyAuthorization),
    users,
    orgs,
    userById,
    orgById,
    passwords,
    missingBuckets,
  }
}

/**
 * For the commands that read one kind of record: a file without its bucket
 * is not an influxd.bolt (or a damaged one), which an empty listing would
 * hide. Exit 4, as the writes say it.
 */
export function requireBuckets(tx: Tx, ...names: string[]): void {
  const missing = names.filter((n) => tx.bucket(Buffer.from(n)) === undefined)
  if (missing.length === 0) return
  throw new RecoverError(
    `bucket${missing.length > 1 ? 's' : ''} ${missing.map((n) => JSON.stringify(n)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: not an influxd metadata file, or a damaged one`,
    ExitCode.CORRUPT,
    'run "influx-recover doctor" for a report',
  )
}
