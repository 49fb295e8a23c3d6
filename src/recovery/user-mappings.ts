/**
 * User resource mappings (spec §4.7) read and removed by user: the owners of
 * an org, every mapping of one user, and their removal with the by-user
 * index entries, as influxd's tenant store does on DeleteUser
 * (tenant/storage_user.go → ListURMs by the by-user index, DeleteURM each).
 *
 * Reads go by key, never through the whole bucket of records: an org's
 * mappings are the keys starting with its ID (key = resourceID + userID), a
 * user's are the by-user index entries under `userID/`. One exception, kept
 * to keys: a mapping whose by-user index entry is missing is found by the
 * last 16 bytes of the mapping keys (influxd would leave it behind, pointing
 * at a user that no longer exists).
 */
import type {Tx} from '../bbolt/index.js'
import {URMS, URMS_BY_USER_INDEX, USERS, idKey, urmByUserIndexKey} from '../influxd/buckets.js'
import {ID_LENGTH} from '../influxd/ids.js'
import {decodeUserResourceMapping, type UserResourceMapping} from '../influxd/records.js'
import type {ChangeSet} from './change-set.js'
import {shownValue} from './name-rules.js'

export interface UserMapping {
  /** the mapping's key in userresourcemappingsv1 (resourceID + userID) */
  key: Buffer
  /** its by-user index key, when the index has it */
  indexKey?: Buffer
  /** the decoded mapping, when the record exists and decodes */
  record?: UserResourceMapping
  /** why the record could not be read */
  error?: string
}

function prefixEntries(tx: Tx, bucket: string, prefix: Buffer): Array<{key: Buffer; value: Buffer | null}> {
  const out: Array<{key: Buffer; value: Buffer | null}> = []
  const b = tx.bucket(Buffer.from(bucket, 'utf8'))
  if (b === undefined) return out
  const c = b.cursor({copy: false})
  for (let e = c.seek(prefix); e !== null && e.key.subarray(0, prefix.length).equals(prefix); e = c.next()) {
    out.push({key: Buffer.from(e.key), value: e.value === null ? null : Buffer.from(e.value)})
  }
  return out
}

function decodeMapping(key: Buffer, value: Buffer | null | undefined): Pick<UserMapping, 'record' | 'error'> {
  if (value === undefined) return {error: 'the mapping record is missing'}
  if (value === null) return {error: 'a nested bucket, not a mapping'}
  try {
    return {record: decodeUserResourceMapping(value, {bucket: URMS, key: key.toString('latin1')})}
  } catch (err) {
    return {error: (err as Error).message}
  }
}

/** The IDs of the existing users that own the org (owner mappings of type "orgs"), in key order. */
export function ownersOfOrg(tx: Tx, orgID: string): string[] {
  const users = tx.bucket(Buffer.from(USERS, 'utf8'))
  const out: string[] = []
  for (const {key, value} of prefixEntries(tx, URMS, idKey(orgID))) {
    if (key.length !== 2 * ID_LENGTH) continue
    const {record} = decodeMapping(key, value)
    if (record === undefined || record.userType !== 'owner' || record.resourceType !== 'orgs' || record.resourceID !== orgID) continue
    if (users?.get(idKey(record.userID)) === undefined) continue
    if (!out.includes(record.userID)) out.push(record.userID)
  }
  return out
}

/**
 * Every mapping of the user: those its by-user index entries lead to, then
 * any mapping key ending in its ID that the index misses.
 */
export function mappingsOfUser(tx: Tx, userID: string): UserMapping[] {
  const urms = tx.bucket(Buffer.from(URMS, 'utf8'))
  const found = new Map<string, UserMapping>()
  for (const {key: indexKey, value} of prefixEntries(tx, URMS_BY_USER_INDEX, Buffer.from(`${userID}/`, 'latin1'))) {
    const key = value === null ? indexKey.subarray(ID_LENGTH + 1) : value
    const m: UserMapping = {key: Buffer.from(key), indexKey, ...decodeMapping(key, urms?.get(key))}
    found.set(key.toString('hex'), m)
  }
  const suffix = idKey(userID)
  const c = urms?.cursor({copy: false})
  if (c !== undefined) {
    for (let e = c.first(); e !== null; e = c.next()) {
      if (e.key.length !== 2 * ID_LENGTH || !e.key.subarray(ID_LENGTH).equals(suffix)) continue
      const hex = e.key.toString('hex')
      if (found.has(hex)) continue
      const key = Buffer.from(e.key)
      found.set(hex, {key, ...decodeMapping(key, e.value === null ? null : Buffer.from(e.value))})
    }
  }
  return [...found.values()]
}

/** How a mapping is named in messages: `owner of orgs dd7cd2292f6e974a`. */
export function describeMapping(m: UserMapping): string {
  if (m.record === undefined) return `mapping ${shownValue(m.key)} (${m.error})`
  return `${m.record.userType} of ${m.record.resourceType} ${m.record.resourceID}`
}

/**
 * Removes every mapping of the user and its by-user index entry (also index
 * entries whose mapping is gone, and mappings the index misses). A mapping
 * the index points at that belongs to another user (a damaged index) is
 * left alone; only the stray index entry goes.
 */
export function removeUserMappings(changes: ChangeSet, tx: Tx, userID: string): UserMapping[] {
  const mine = idKey(userID)
  const removed: UserMapping[] = []
  for (const m of mappingsOfUser(tx, userID)) {
    const own = m.key.length === 2 * ID_LENGTH && m.key.subarray(ID_LENGTH).equals(mine)
    if (own) changes.remove(URMS, m.key)
    const indexKey = m.indexKey ?? (own ? urmByUserIndexKey(userID, m.key) : undefined)
    if (indexKey !== undefined) changes.remove(URMS_BY_USER_INDEX, indexKey)
    removed.push(m)
  }
  return removed
}
