/**
 * `org members list|add|remove`: the user resource mappings of an org, as
 * influxd's URM service reads and writes them (spec §4.7; v2.9.1
 * tenant/storage_urm.go, tenant/service_urm.go, tenant/http_handler_urm.go):
 *
 *  - userresourcemappingsv1[orgID + userID] =
 *    {"userID","userType","mappingType":"user","resourceType":"orgs","resourceID"}
 *    with userType "owner" or "member" (what POST /orgs/{id}/owners|members writes);
 *  - userresourcemappingsbyuserindexv1[userID + "/" + key] = key, written and
 *    deleted with it (when the file has that index, migration 2).
 *
 * Everything is read by key: the org's mappings are the keys that start
 * with its ID, users are read by ID. Changing a member into an owner (or
 * back) rewrites the mapping: the bytes influxd writes for a remove and an
 * add. Removing or demoting the org's last owner is refused unless forced.
 */
import type {Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError} from '../errors.js'
import * as B from '../influxd/buckets.js'
import {decodeUser, decodeUserResourceMapping, encodeUserResourceMapping, type UserResourceMapping} from '../influxd/records.js'
import {requireBucket, requireWritableSchema, verifyWritten, type Written} from './org-write.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'
import type {PlannedChange} from './user-write.js'

export type MemberRole = 'owner' | 'member'

export interface MemberRow {
  /** the user ID */
  id: string
  name?: string
  /** "owner" or "member" as stored (another stored value is shown as it is) */
  role: string
  status?: string
  /** why the user cannot be shown (missing, undecodable) */
  error?: string
}

interface OrgMapping {
  key: Buffer
  userID: string
  mapping?: UserResourceMapping
  error?: string
}

/** Every mapping whose key starts with the org's ID (the org's and nothing else), in key order. */
function orgMappings(tx: Tx, orgID: string): OrgMapping[] {
  const urms = tx.bucket(B.bucketName(B.URMS))
  if (urms === undefined) return []
  const prefix = B.idKey(orgID)
  const out: OrgMapping[] = []
  const c = urms.cursor()
  for (let e = c.seek(prefix); e !== null && e.key.subarray(0, prefix.length).equals(prefix); e = c.next()) {
    if (e.value === null) continue
    const key = Buffer.from(e.key)
    const userText = key.subarray(prefix.length).toString('latin1')
    try {
      const mapping = decodeUserResourceMapping(e.value, {bucket: B.URMS, key: key.toString('latin1')})
      if (mapping.resourceType !== 'orgs') continue
      out.push({key, userID: mapping.userID, mapping})
    } catch (err) {
      out.push({key, userID: userText, error: (err as Error).message})
    }
  }
  return out
}

function userRecord(tx: Tx, id: string): {name: string; status: string} | {error: string} {
  let key: Buffer
  try {
    key = B.idKey(id)
  } catch {
    return {error: `invalid user ID ${JSON.stringify(id)}`}
  }
  const v = tx.bucket(B.bucketName(B.USERS))?.get(key)
  if (v === undefined) return {error: 'user does not exist'}
  try {
    const u = decodeUser(v, {bucket: B.USERS, key: id})
    return {name: u.name, status: u.status}
  } catch (err) {
    return {error: (err as Error).message}
  }
}

/** The org's owners then members (the order of `influx org members list`), each in key order. */
export function listMembers(tx: Tx, org: TenantRef): {org: {id: string; name: string}; members: MemberRow[]} {
  const o = findOrg(tx, org)
  const rows = orgMappings(tx, o.id).map((m): MemberRow => {
    if (m.mapping === undefined) return {id: m.userID, role: '', error: m.error}
    const u = userRecord(tx, m.userID)
    return 'error' in u ? {id: m.userID, role: m.mapping.userType, error: u.error} : {id: m.userID, name: u.name, role: m.mapping.userType, status: u.status}
  })
  const rank = (r: MemberRow): number => (r.role === 'owner' ? 0 : 1)
  return {org: {id: o.id, name: o.name}, members: rows.map((r, i) => [r, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([r]) => r)}
}

export interface MembershipState {
  org: {id: string; name: string}
  user: {id: string; name: string}
  /** the user's current role in the org (undefined: none) */
  role?: string
}

/** Where the user stands in the org, without writing. */
export function membership(tx: Tx, org: TenantRef, user: TenantRef): MembershipState {
  const o = findOrg(tx, org)
  const u = findUser(tx, user)
  const v = tx.bucket(B.bucketName(B.URMS))?.get(B.urmKey(o.id, u.id))
  let role: string | undefined
  if (v !== undefined) {
    try {
      role = decodeUserResourceMapping(v, {bucket: B.URMS}).userType
    } catch {
      role = '(undecodable)'
    }
  }
  return {org: {id: o.id, name: o.name}, user: {id: u.id, name: u.name}, ...(role !== undefined ? {role} : {})}
}

export interface MemberWriteResult {
  operation: 'add' | 'remove'
  org: {id: string; name: string}
  user: {id: string; name: string}
  /** the role before (undefined: none) and after (undefined: removed) */
  roleBefore?: string
  roleAfter?: MemberRole
  /** owners of the org left afterwards whose user exists */
  ownersAfter: number
  changes: PlannedChange[]
  notes: string[]
  ids: string[]
  readonly written: readonly Written[]
}

export interface AddMemberInput {
  org: TenantRef
  user: TenantRef
  owner: boolean
  /** allow demoting the last owner to member */
  force?: boolean
}

export interface RemoveMemberInput {
  org: TenantRef
  user: TenantRef
  force?: boolean
}

/** Owners of the org other than `userID` whose user record exists. */
function otherOwners(tx: Tx, orgID: string, userID: string): number {
  return orgMappings(tx, orgID).filter((m) => m.mapping?.userType === 'owner' && m.userID !== userID && !('error' in userRecord(tx, m.userID))).length
}

function lastOwnerGuard(tx: Tx, org: {id: string; name: string}, user: {id: string; name: string}, doing: string, force: boolean | undefined, notes: string[]): number {
  const others = otherOwners(tx, org.id, user.id)
  if (others > 0) return others
  if (!force) {
    throw new RecoverError(
      `refusing to ${doing}: ${user.name} is the last owner of org ${org.name}`,
      ExitCode.ERROR,
      'make another user an owner first ("org members add --owner"), or pass --force to leave the org without an owner',
    )
  }
  notes.push(`org ${org.name} has no owner any more (forced)`)
  return 0
}

interface Mutation {
  written: Written[]
  changes: PlannedChange[]
}

function putMapping(tx: Tx, out: Mutation, orgID: string, userID: string, role: MemberRole): void {
  const urms = requireBucket(tx, B.URMS)
  const key = B.urmKey(orgID, userID)
  const existed = urms.get(key) !== undefined
  const value = encodeUserResourceMapping({kind: 'urm', userID, userType: role, mappingType: 'user', resourceType: 'orgs', resourceID: orgID})
  urms.put(key, value)
  out.written.push({bucket: B.URMS, key, value})
  out.changes.push({action: existed ? 'change' : 'add', bucket: B.URMS, key: key.toString('latin1'), value: value.toString('utf8')})
  const byUser = tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX))
  if (byUser !== undefined) {
    const ik = B.urmByUserIndexKey(userID, key)
    const had = byUser.get(ik)
    if (had === undefined || !Buffer.from(had).equals(key)) {
      byUser.put(ik, key)
      out.written.push({bucket: B.URMS_BY_USER_INDEX, key: ik, value: key})
      out.changes.push({action: had === undefined ? 'add' : 'change', bucket: B.URMS_BY_USER_INDEX, key: ik.toString('latin1'), value: key.toString('latin1')})
    }
  }
}

function deleteMapping(tx: Tx, out: Mutation, orgID: string, userID: string): void {
  const urms = requireBucket(tx, B.URMS)
  const key = B.urmKey(orgID, userID)
  urms.delete(key)
  out.written.push({bucket: B.URMS, key, value: null})
  out.changes.push({action: 'remove', bucket: B.URMS, key: key.toString('latin1'), value: ''})
  const byUser = tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX))
  const ik = B.urmByUserIndexKey(userID, key)
  if (byUser?.get(ik) !== undefined) {
    byUser.delete(ik)
    out.written.push({bucket: B.URMS_BY_USER_INDEX, key: ik, value: null})
    out.changes.push({action: 'remove', bucket: B.URMS_BY_USER_INDEX, key: ik.toString('latin1'), value: ''})
  }
}

/** Checks shared by add and remove: schema, the buckets, the org and the user. */
function prepare(tx: Tx, org: TenantRef, user: TenantRef): MembershipState {
  requireWritableSchema(tx)
  requireBucket(tx, B.URMS)
  return membership(tx, org, user)
}

function roleText(role: string): string {
  return role === 'owner' ? 'an owner' : role === 'member' ? 'a member' : `mapped as ${JSON.stringify(role)}`
}

/** Makes the user a member (or, with `owner`, an owner) of the org. A user who already has that role: nothing changes. */
export function addMember(tx: Tx, input: AddMemberInput): MemberWriteResult {
  const st = prepare(tx, input.org, input.user)
  const role: MemberRole = input.owner ? 'owner' : 'member'
  const out: Mutation = {written: [], changes: []}
  const notes: string[] = []
  if (st.role === 'owner' && role === 'member') lastOwnerGuard(tx, st.org, st.user, `make ${st.user.name} a member instead of an owner`, input.force, notes)
  if (st.role !== role) putMapping(tx, out, st.org.id, st.user.id, role)
  if (st.role !== undefined && st.role !== role) notes.push(`${st.user.name} was ${roleText(st.role)} of org ${st.org.name} and is now ${roleText(role)}`)
  return {
    operation: 'add', org: st.org, user: st.user, ...(st.role !== undefined ? {roleBefore: st.role} : {}), roleAfter: role,
    ownersAfter: otherOwners(tx, st.org.id, st.user.id) + (role === 'owner' ? 1 : 0),
    changes: out.changes, notes, ids: [st.org.id, st.user.id], written: out.written,
  }
}

/** Removes the user's mapping to the org (member or owner) with its index entry. */
export function removeMember(tx: Tx, input: RemoveMemberInput): MemberWriteResult {
  const st = prepare(tx, input.org, input.user)
  if (st.role === undefined) {
    throw new RecoverError(`user ${st.user.name} is not a member or owner of org ${st.org.name}`, ExitCode.NOT_FOUND, `"influx-recover org members list --org-id ${st.org.id}" lists them`)
  }
  const notes: string[] = []
  if (st.role === 'owner') lastOwnerGuard(tx, st.org, st.user, `remove ${st.user.name} from org ${st.org.name}`, input.force, notes)
  const out: Mutation = {written: [], changes: []}
  deleteMapping(tx, out, st.org.id, st.user.id)
  return {
    operation: 'remove', org: st.org, user: st.user, roleBefore: st.role,
    ownersAfter: otherOwners(tx, st.org.id, st.user.id),
    changes: out.changes, notes, ids: [st.org.id, st.user.id], written: out.written,
  }
}

/** Re-reads the mapping and its index entry; the mismatches. */
export function verifyMember(tx: Tx, r: MemberWriteResult): string[] {
  const problems = verifyWritten(tx, r.written)
  const key = B.urmKey(r.org.id, r.user.id)
  const v = tx.bucket(B.bucketName(B.URMS))?.get(key)
  if (r.roleAfter === undefined) {
    if (v !== undefined) problems.push(`the mapping ${key.toString('latin1')} is still there`)
  } else if (v === undefined) {
    problems.push(`the mapping ${key.toString('latin1')} is missing`)
  } else {
    try {
      const m = decodeUserResourceMapping(v)
      if (m.userType !== r.roleAfter || m.userID !== r.user.id || m.resourceID !== r.org.id || m.resourceType !== 'orgs' || m.mappingType !== 'user') problems.push(`the mapping ${key.toString('latin1')} is not the one intended`)
    } catch (err) {
      problems.push(`the mapping cannot be read back: ${(err as Error).message}`)
    }
  }
  const byUser = tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX))
  if (byUser !== undefined) {
    const got = byUser.get(B.urmByUserIndexKey(r.user.id, key))
    if ((r.roleAfter === undefined) !== (got === undefined)) problems.push(`${B.URMS_BY_USER_INDEX} ${r.roleAfter === undefined ? 'still has' : 'lacks'} the entry of ${key.toString('latin1')}`)
  }
  return problems
}
