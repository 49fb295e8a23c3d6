/**
 * Finding the user and the org a write is for, the way influxd does: a name
 * through its index (`userindexv1` by the exact name, `organizationindexv1`
 * by the trimmed name), an ID directly in the record bucket. A name the index
 * misses is also looked for among the records (a damaged index must not stop
 * a recovery). Unknown names and IDs are NotFoundErrors (exit 5) that list
 * what exists.
 */
import type {Tx} from '../bbolt/index.js'
import {ORGANIZATION_INDEX, ORGANIZATIONS, USER_INDEX, USERS, idKey, orgIndexKey, userIndexKey} from '../influxd/buckets.js'
import {formatID, parseID} from '../influxd/ids.js'
import {decodeOrganization, decodeUser, type DecodedRecord, type Organization, type User} from '../influxd/records.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'

/** A user or org named by name or by ID (exactly one of them). */
export interface TenantRef {
  name?: string
  id?: string
}

export interface FoundUser {
  id: string
  name: string
  record: DecodedRecord<User>
}

export interface FoundOrg {
  id: string
  name: string
  record: DecodedRecord<Organization>
}

interface Kind<R> {
  what: 'user' | 'org'
  bucket: string
  index: string
  indexKey: (name: string) => Buffer
  decode: (v: Uint8Array, o: {bucket: string; key: string}) => DecodedRecord<R>
  name: (r: R) => string
  idFlag: string
}

interface HasId {
  id?: string
}

const USER_KIND: Kind<User> = {what: 'user', bucket: USERS, index: USER_INDEX, indexKey: userIndexKey, decode: decodeUser, name: (u) => u.name, idFlag: '--user-id'}
const ORG_KIND: Kind<Organization> = {what: 'org', bucket: ORGANIZATIONS, index: ORGANIZATION_INDEX, indexKey: orgIndexKey, decode: decodeOrganization, name: (o) => o.name, idFlag: '--org-id'}

interface Entry<R> {
  /** the bolt key */
  id: string
  record?: DecodedRecord<R>
}

function entries<R>(tx: Tx, kind: Kind<R>): Entry<R>[] {
  const out: Entry<R>[] = []
  tx.bucket(Buffer.from(kind.bucket))?.forEach((k, v) => {
    if (v === null) return
    const key = k.toString('latin1')
    try {
      out.push({id: key, record: kind.decode(v, {bucket: kind.bucket, key})})
    } catch {
      out.push({id: key})
    }
  })
  return out
}

/** The names of every decodable record, in key order. */
function names<R>(tx: Tx, kind: Kind<R>): string[] {
  return entries(tx, kind).flatMap((e) => (e.record ? [kind.name(e.record)] : []))
}

export function userNames(tx: Tx): string[] {
  return names(tx, USER_KIND)
}

export function orgNames(tx: Tx): string[] {
  return names(tx, ORG_KIND)
}

/** `the users in the file: "a", "b"` (or that there are none), for not-found messages. */
export function existing(list: string[], what: string): string {
  if (list.length === 0) return `the file has no ${what}s`
  return `the ${what}s in the file: ${list.map((n) => JSON.stringify(n)).join(', ')}`
}

function byId<R>(tx: Tx, kind: Kind<R>, idText: string): {id: string; record: DecodedRecord<R>} | undefined {
  const bucket = tx.bucket(Buffer.from(kind.bucket))
  const value = bucket?.get(idKey(idText))
  if (value === undefined) return undefined
  return {id: idText, record: kind.decode(value, {bucket: kind.bucket, key: idText})}
}

function find<R extends HasId>(tx: Tx, kind: Kind<R>, ref: TenantRef): {id: string; name: string; record: DecodedRecord<R>} {
  if ((ref.name === undefined) === (ref.id === undefined)) throw new UsageError(`name the ${kind.what} either by name or by ID`)
  if (tx.bucket(Buffer.from(kind.bucket)) === undefined) {
    throw new RecoverError(`bucket "${kind.bucket}" is missing: not an influxd metadata file`, ExitCode.CORRUPT)
  }
  if (ref.id !== undefined) {
    let id: string
    try {
      id = formatID(parseID(ref.id))
    } catch (err) {
      throw new UsageError(`invalid ${kind.what} ID ${JSON.stringify(ref.id)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits')
    }
    const found = byId(tx, kind, id)
    if (found === undefined) throw new NotFoundError(`${kind.what} ID ${id} does not exist; ${existing(names(tx, kind), kind.what)}`, `"influx-recover ${kind.what} list" lists them with their IDs`)
    return {...found, name: kind.name(found.record)}
  }
  const name = ref.name!
  const indexed = tx.bucket(Buffer.from(kind.index))?.get(kind.indexKey(name))
  if (indexed !== undefined) {
    const text = indexed.toString('latin1')
    try {
      const found = byId(tx, kind, formatID(parseID(text)))
      if (found !== undefined) return {...found, name: kind.name(found.record)}
    } catch {
      // a broken index entry: look among the records below
    }
  }
  const matches = entries(tx, kind).filter((e) => e.record !== undefined && kind.name(e.record) === name)
  if (matches.length === 1) {
    const m = matches[0]!
    return {id: formatID(parseID(m.record!.id ?? m.id)), name, record: m.record!}
  }
  if (matches.length > 1) {
    throw new RecoverError(`${matches.length} ${kind.what}s are named ${JSON.stringify(name)} (${matches.map((m) => m.id).join(', ')})`, ExitCode.ERROR, `name the ${kind.what} by ID with ${kind.idFlag}`)
  }
  throw new NotFoundError(`${kind.what} ${JSON.stringify(name)} does not exist; ${existing(names(tx, kind), kind.what)}`, `"influx-recover ${kind.what} list" lists them with their IDs`)
}

export function findUser(tx: Tx, ref: TenantRef): FoundUser {
  return find(tx, USER_KIND, ref)
}

export function findOrg(tx: Tx, ref: TenantRef): FoundOrg {
  return find(tx, ORG_KIND, ref)
}
