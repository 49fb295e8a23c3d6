/**
 * Where the values of an authorization record are, found on its bytes
 * without decoding it, for records exactly as influxd writes them: what
 * `auth list --json` copies through to its output for 100,000 tokens.
 *
 * Accepted (anything else is left to the decoder, which gives the same
 * values and says what is wrong):
 *  - Go's encoding/json layout of influxdb.Authorization: compact, the
 *    members in struct order (id, token?, hashedToken?, status,
 *    description, orgID, userID?, permissions, createdAt, updatedAt), each
 *    once; a permission is {"action","resource":{"type","id"?,"orgID"?}}.
 *  - strings printable ASCII without a backslash (0x20–0x7e, no `\`): their
 *    bytes are then their value, and JSON.stringify writes them as they
 *    are stored, quotes included. The token, hashed token and description
 *    may also hold Go's escapes (it writes <, >, & and controls as \u
 *    escapes) or other UTF-8: they are flagged, to be decoded one by one;
 *  - IDs as influxd writes them (16 lowercase hex digits, not zero), times
 *    canonical (what canonicalGoTime gives back unchanged), status active,
 *    inactive or "" (read as active, as the decoder does).
 */
import {isUtf8} from 'node:buffer'

import {canonicalGoTime} from './gotime.js'
import type {Permission} from './permission.js'
import type {Authorization} from './records.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The spans of one record, [start, end) byte offsets of each value with its
 * quotes. One object is reused record after record: valid until the next
 * scan into it.
 */
export class AuthorizationSpans {
  id = 0
  /** -1: absent */
  token = -1
  tokenEnd = -1
  /** -1: absent */
  hashedToken = -1
  hashedTokenEnd = -1
  /**
   * Whether the token, hashed token or description holds an escape or a
   * character outside printable ASCII: its bytes are then not its printed
   * text, and it is decoded (JSON.parse of its span) to be printed.
   */
  tokenEscaped = false
  hashedTokenEscaped = false
  descriptionEscaped = false
  /** 'active' for a stored "" */
  status: 'active' | 'inactive' = 'active'
  description = 0
  descriptionEnd = 0
  orgID = 0
  /** -1: absent */
  userID = -1
  createdAt = 0
  createdAtEnd = 0
  updatedAt = 0
  updatedAtEnd = 0
  /** the number of permissions */
  permissionCount = 0
  /**
   * PERMISSION_INTS per permission: the element's [start, end), the action's
   * and the type's [start, end) (quotes included), the id's and the orgID's
   * start (-1: absent; an ID is 18 bytes with its quotes).
   */
  permissions = new Int32Array(64 * PERMISSION_INTS)
}

export const PERMISSION_INTS = 8
export const P_START = 0
export const P_END = 1
export const P_ACTION = 2
export const P_ACTION_END = 3
export const P_TYPE = 4
export const P_TYPE_END = 5
export const P_ID = 6
export const P_ORG_ID = 7

/** An ID with its quotes is this long. */
export const QUOTED_ID_BYTES = 18

const b = (s: string): Buffer => Buffer.from(s, 'latin1')
const ID = b('{"id":')
const TOKEN = b(',"token":')
const HASHED_TOKEN = b(',"hashedToken":')
const STATUS = b(',"status":')
const DESCRIPTION = b(',"description":')
const ORG_ID = b(',"orgID":')
const USER_ID = b(',"userID":')
const PERMISSIONS = b(',"permissions":[')
const CREATED_AT = b(',"createdAt":')
const UPDATED_AT = b(',"updatedAt":')
const ACTION = b('{"action":')
const RESOURCE_TYPE = b(',"resource":{"type":')
const RES_ID = b(',"id":')
const RES_ORG_ID = b(',"orgID":')
const ACTIVE = b('"active"')
const INACTIVE = b('"inactive"')
const EMPTY = b('""')

/** Whether v holds the bytes of m at i. */
function at(v: Buffer, i: number, m: Buffer): boolean {
  const n = m.length
  if (i + n > v.length) return false
  for (let k = 0; k < n; k++) if (v[i + k] !== m[k]) return false
  return true
}

/** The end (after the closing quote) of a printable-ASCII string without escapes starting at i, or -1. */
function plainString(v: Buffer, i: number): number {
  if (v[i] !== QUOTE) return -1
  const n = v.length
  for (let j = i + 1; j < n; j++) {
    const c = v[j]!
    if (c === QUOTE) return j + 1
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1
  }
  return -1
}

/**
 * The end of a string starting at i that is plain (plainString) or, setting
 * `escaped`, one JSON.parse reads as Go's decoder does: valid UTF-8, only the
 * escapes Go writes (\" \\ \/ \b \f \n \r \t, and \u for controls, <, >, &,
 * U+2028 and U+2029; others, such as surrogates, Go reads otherwise). -1 for
 * any other.
 */
function jsonString(v: Buffer, i: number): number {
  escaped = false
  if (v[i] !== QUOTE) return -1
  const n = v.length
  let high = false
  for (let j = i + 1; j < n; j++) {
    const c = v[j]!
    if (c === QUOTE) {
      if (high && !isUtf8(v.subarray(i, j + 1))) return -1
      return j + 1
    }
    if (c < 0x20) return -1
    if (c >= 0x7f) {
      // DEL is printed escaped, other bytes are UTF-8 to check
      escaped = true
      high ||= c > 0x7f
    } else if (c === BACKSLASH) {
      escaped = true
      const e = v[++j]
      if (e === 0x75) {
        if (j + 4 >= n) return -1
        let code = 0
        for (let k = j + 1; k <= j + 4; k++) {
          const h = v[k]!
          const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : h >= 0x41 && h <= 0x46 ? h - 0x37 : -1
          if (d < 0) return -1
          code = code * 16 + d
        }
        if (!(code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029)) return -1
        j += 4
      } else if (!(e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) return -1
    }
  }
  return -1
}

/** Set by jsonString: whether the string it ended must be decoded (JSON.parse) to be printed. */
let escaped = false

/** The end of an ID as influxd writes it (quoted, 16 lowercase hex digits, not zero) starting at i, or -1. */
function canonicalID(v: Buffer, i: number): number {
  if (i + QUOTED_ID_BYTES > v.length || v[i] !== QUOTE || v[i + 17] !== QUOTE) return -1
  let zero = true
  for (let k = i + 1; k < i + 17; k++) {
    const c = v[k]!
    if (c === 0x30) continue
    zero = false
    if (!((c > 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1
  }
  return zero ? -1 : i + QUOTED_ID_BYTES
}

/** The end of a canonical time string starting at i, or -1. */
function canonicalTime(v: Buffer, i: number): number {
  const end = plainString(v, i)
  if (end < 0) return -1
  const s = v.toString('latin1', i + 1, end - 1)
  try {
    return canonicalGoTime(s) === s ? end : -1
  } catch {
    return -1
  }
}

/** Whether v[a, aEnd) and v[b2, b2 + (aEnd - a)) hold the same bytes. */
function sameBytes(v: Buffer, a: number, aEnd: number, b2: number): boolean {
  for (let k = 0; k < aEnd - a; k++) if (v[a + k] !== v[b2 + k]) return false
  return true
}

/**
 * Fills s with the spans of the record v and returns true, when v is an
 * authorization exactly as influxd writes one (above); false otherwise (s
 * then holds nothing usable).
 */
export function scanAuthorization(v: Buffer, s: AuthorizationSpans): boolean {
  let i = ID.length
  if (!at(v, 0, ID)) return false
  s.id = i
  if ((i = canonicalID(v, i)) < 0) return false
  s.token = -1
  if (at(v, i, TOKEN)) {
    s.token = i + TOKEN.length
    if ((i = s.tokenEnd = jsonString(v, s.token)) < 0) return false
    s.tokenEscaped = escaped
  }
  s.hashedToken = -1
  if (at(v, i, HASHED_TOKEN)) {
    s.hashedToken = i + HASHED_TOKEN.length
    if ((i = s.hashedTokenEnd = jsonString(v, s.hashedToken)) < 0) return false
    s.hashedTokenEscaped = escaped
  }
  if (!at(v, i, STATUS)) return false
  i += STATUS.length
  if (at(v, i, ACTIVE)) {
    s.status = 'active'
    i += ACTIVE.length
  } else if (at(v, i, INACTIVE)) {
    s.status = 'inactive'
    i += INACTIVE.length
  } else if (at(v, i, EMPTY)) {
    s.status = 'active'
    i += EMPTY.length
  } else return false
  if (!at(v, i, DESCRIPTION)) return false
  s.description = i + DESCRIPTION.length
  if ((i = s.descriptionEnd = jsonString(v, s.description)) < 0) return false
  s.descriptionEscaped = escaped
  if (!at(v, i, ORG_ID)) return false
  s.orgID = i + ORG_ID.length
  if ((i = canonicalID(v, s.orgID)) < 0) return false
  s.userID = -1
  if (at(v, i, USER_ID)) {
    s.userID = i + USER_ID.length
    if ((i = canonicalID(v, s.userID)) < 0) return false
  }
  if (!at(v, i, PERMISSIONS)) return false
  if ((i = scanPermissions(v, i + PERMISSIONS.length, s)) < 0) return false
  if (!at(v, i, CREATED_AT)) return false
  s.createdAt = i + CREATED_AT.length
  if ((i = s.createdAtEnd = canonicalTime(v, s.createdAt)) < 0) return false
  if (!at(v, i, UPDATED_AT)) return false
  s.updatedAt = i + UPDATED_AT.length
  // a record's two times are often the same: the check is then done (the
  // bytes equal to a valid string with its quotes are that string)
  if (sameBytes(v, s.createdAt, s.createdAtEnd, s.updatedAt)) i = s.updatedAt + (s.createdAtEnd - s.createdAt)
  else if ((i = canonicalTime(v, s.updatedAt)) < 0) return false
  s.updatedAtEnd = i
  return v[i] === 0x7d && i === v.length - 1
}

/** Scans the permission elements from i (after the `[`) to after the `]`; the end, or -1. */
function scanPermissions(v: Buffer, i: number, s: AuthorizationSpans): number {
  let count = 0
  if (v[i] === 0x5d) {
    s.permissionCount = 0
    return i + 1
  }
  for (;;) {
    if (s.permissions.length < (count + 1) * PERMISSION_INTS) {
      const more = new Int32Array(2 * s.permissions.length)
      more.set(s.permissions)
      s.permissions = more
    }
    const p = s.permissions
    const o = count * PERMISSION_INTS
    p[o + P_START] = i
    if (!at(v, i, ACTION)) return -1
    i += ACTION.length
    p[o + P_ACTION] = i
    if ((i = p[o + P_ACTION_END] = plainString(v, i)) < 0) return -1
    if (!at(v, i, RESOURCE_TYPE)) return -1
    i += RESOURCE_TYPE.length
    p[o + P_TYPE] = i
    if ((i = p[o + P_TYPE_END] = plainString(v, i)) < 0) return -1
    p[o + P_ID] = -1
    if (at(v, i, RES_ID)) {
      p[o + P_ID] = i + RES_ID.length
      if ((i = canonicalID(v, i + RES_ID.length)) < 0) return -1
    }
    p[o + P_ORG_ID] = -1
    if (at(v, i, RES_ORG_ID)) {
      p[o + P_ORG_ID] = i + RES_ORG_ID.length
      if ((i = canonicalID(v, i + RES_ORG_ID.length)) < 0) return -1
    }
    if (v[i] !== 0x7d || v[i + 1] !== 0x7d) return -1
    i += 2
    p[o + P_END] = i
    count++
    if (v[i] === 0x2c) {
      i++
      continue
    }
    if (v[i] !== 0x5d) return -1
    s.permissionCount = count
    return i + 1
  }
}

/** The value of the string at [start, end) (quotes included): its bytes, or decoded when it holds escapes or other UTF-8. */
function stringAt(v: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(v.toString('utf8', start, end)) as string) : v.toString('latin1', start + 1, end - 1)
}

/**
 * The record scanned into s, as decodeAuthorization decodes it (without
 * `source`): fresh objects, members in the decoder's order.
 */
export function authorizationFromSpans(v: Buffer, s: AuthorizationSpans): Authorization {
  const id = (at: number): string => v.toString('latin1', at + 1, at + QUOTED_ID_BYTES - 1)
  const a = {kind: 'authorization', id: id(s.id)} as Authorization
  if (s.token >= 0) a.token = stringAt(v, s.token, s.tokenEnd, s.tokenEscaped)
  if (s.hashedToken >= 0) a.hashedToken = stringAt(v, s.hashedToken, s.hashedTokenEnd, s.hashedTokenEscaped)
  a.status = s.status
  a.description = stringAt(v, s.description, s.descriptionEnd, s.descriptionEscaped)
  a.orgID = id(s.orgID)
  if (s.userID >= 0) a.userID = id(s.userID)
  const permissions: Permission[] = []
  for (let k = 0; k < s.permissionCount; k++) permissions.push(permissionAt(v, s.permissions, k * PERMISSION_INTS))
  a.permissions = permissions
  a.createdAt = v.toString('latin1', s.createdAt + 1, s.createdAtEnd - 1)
  a.updatedAt = v.toString('latin1', s.updatedAt + 1, s.updatedAtEnd - 1)
  a.unknownKeys = []
  return a
}

/** The permission whose spans are at o in p (AuthorizationSpans.permissions) of v, as a fresh object. */
export function permissionAt(v: Buffer, p: Int32Array, o: number): Permission {
  const text = (start: number, end: number): string => v.toString('latin1', start + 1, end - 1)
  const resource: Permission['resource'] = {type: text(p[o + P_TYPE]!, p[o + P_TYPE_END]!)}
  const id = p[o + P_ID]!
  if (id >= 0) resource.id = text(id, id + QUOTED_ID_BYTES)
  const orgID = p[o + P_ORG_ID]!
  if (orgID >= 0) resource.orgID = text(orgID, orgID + QUOTED_ID_BYTES)
  return {action: text(p[o + P_ACTION]!, p[o + P_ACTION_END]!) as Permission['action'], resource}
}

/**
 * The record influxd 2.9 writes when it hashes the raw token record
 * scanned into s: its bytes with the token member replaced by
 * `"hashedToken":<hash>` (the token follows the id in Go's order); undefined
 * when the record has no token or already a hashedToken member.
 */
export function spliceHashAt(v: Buffer, s: Pick<AuthorizationSpans, 'id' | 'token' | 'tokenEnd' | 'hashedToken'>, quotedHash: string): Buffer | undefined {
  if (s.token < 0 || s.tokenEnd - s.token <= 2 || s.hashedToken >= 0) return undefined
  const idEnd = s.id + QUOTED_ID_BYTES
  const n = quotedHash.length
  // a hash is ASCII (an identifier and base64): its characters are its bytes
  let ascii = true
  for (let i = 0; i < n; i++) if (quotedHash.charCodeAt(i) > 0x7f) ascii = false
  const hashBytes = ascii ? n : Buffer.byteLength(quotedHash)
  const out = Buffer.allocUnsafe(idEnd + HASHED_TOKEN.length + hashBytes + v.length - s.tokenEnd)
  let at = v.copy(out, 0, 0, idEnd)
  for (let i = 0; i < HASHED_TOKEN.length; i++) out[at++] = HASHED_TOKEN[i]!
  if (ascii) for (let i = 0; i < n; i++) out[at++] = quotedHash.charCodeAt(i)
  else at += out.write(quotedHash, at, 'utf8')
  at += v.copy(out, at, s.tokenEnd)
  if (at !== out.length) throw new Error(`spliceHashAt: ${at} bytes written, ${out.length} expected`)
  return out
}
