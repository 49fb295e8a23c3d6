/**
 * `auth list --json` and `--format yaml`: one document per token, and the
 * JSON text of it written directly for the streamed listing.
 */
import {jsonEscapeUnsafe} from '../platform/format.js'
import type {Permission} from '../influxd/permission.js'
import {ByteWriter} from '../platform/byte-writer.js'
import type {AuthRow} from './list.js'

/** One JSON/YAML object per token, in a stable key order (what `auth list --json` prints for each). */
export function authDocument(r: AuthRow): Record<string, unknown> {
  if (r.error) return {id: r.id, error: r.error}
  return {
    id: r.id, description: r.description, status: r.status, kind: r.kind, tokenState: r.tokenState,
    ...(r.token !== undefined ? {token: r.token} : {}),
    ...(r.hashedToken !== undefined ? {hashedToken: r.hashedToken} : {}),
    userID: r.userID ?? null, userName: r.userName ?? null, orgID: r.orgID ?? null, orgName: r.orgName ?? null,
    permissions: r.permissions ?? null, createdAt: r.createdAt, updatedAt: r.updatedAt,
  }
}

const str = JSON.stringify as (s: string) => string

/**
 * A JSON string as renderJSON writes it: JSON.stringify's quoting, then DEL,
 * C1, separators and bidi controls (which it leaves raw) as \u escapes.
 * Escaping each string is escaping the whole text: outside strings the text
 * holds none of them.
 */
const q = (s: string): string => (hasUnsafe(s) ? jsonEscapeUnsafe(str(s)) : str(s))

/** Whether s holds a character jsonEscapeUnsafe escapes (a loop: the regex costs more on short strings). */
function hasUnsafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x7f) continue
    if (c <= 0x9f || c === 0x61c || c === 0x200e || c === 0x200f || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true
  }
  return false
}

/**
 * Memo of the quoted bytes of the few values that repeat on every row
 * (status, kind, token state, user and org IDs and names, permission
 * actions and types), bounded so a file of unusual values cannot grow it.
 */
const MEMO_LIMIT = 4096
const quoted = new Map<string, Buffer>()
function qMemo(s: string): Buffer {
  let t = quoted.get(s)
  if (t === undefined) {
    t = Buffer.from(q(s), 'utf8')
    if (quoted.size >= MEMO_LIMIT) quoted.clear()
    quoted.set(s, t)
  }
  return t
}

/**
 * The bytes of one permission element, by action, type, id and orgID (undefined
 * when absent), for permissions whose resource members come in the usual order
 * (type, id, orgID): an operator or all-access token repeats the same 40-odd
 * permissions on each record, a bucket's read and write tokens theirs.
 */
type PermissionMemo = Map<string, Map<string | undefined, Map<string | undefined, Map<string | undefined, Buffer>>>>
let permissionMemo: PermissionMemo = new Map()
let permissionMemoSize = 0

/** One permission's element bytes (indented as in the array), or undefined for a permission of another shape. */
function permissionBytes(p: Permission): Buffer | undefined {
  const res = p.resource
  let n = 0
  for (const k in p) if (k === 'action' || k === 'resource') n++; else return undefined
  if (n !== 2 || typeof p.action !== 'string' || typeof res !== 'object' || res === null) return undefined
  let type: string | undefined
  let id: string | undefined
  let orgID: string | undefined
  let rank = 0
  let usual = true
  for (const k in res) {
    const v = (res as unknown as Record<string, unknown>)[k]
    if (v === undefined) continue
    if (typeof v !== 'string') return undefined
    let r: number
    if (k === 'type') {
      type = v
      r = 1
    } else if (k === 'id') {
      id = v
      r = 2
    } else if (k === 'orgID') {
      orgID = v
      r = 3
    } else return undefined
    if (r <= rank) usual = false
    rank = r
  }
  if (!usual) return Buffer.from(permissionText(p.action, res as unknown as Record<string, string | undefined>), 'utf8')
  let byType = permissionMemo.get(p.action)
  if (byType === undefined) permissionMemo.set(p.action, (byType = new Map()))
  let byID = byType.get(type)
  if (byID === undefined) byType.set(type, (byID = new Map()))
  let byOrg = byID.get(id)
  if (byOrg === undefined) byID.set(id, (byOrg = new Map()))
  let bytes = byOrg.get(orgID)
  if (bytes === undefined) {
    bytes = Buffer.from(permissionText(p.action, {type, id, orgID}), 'utf8')
    if (permissionMemoSize >= MEMO_LIMIT) {
      permissionMemo = new Map()
      permissionMemoSize = 0
    }
    // set on the (possibly dropped) maps: this row still gets its bytes
    byOrg.set(orgID, bytes)
    permissionMemoSize++
  }
  return bytes
}

/** A permission's text, the resource's members in their own order (as JSON.stringify writes them). */
function permissionText(action: string, res: Record<string, string | undefined>): string {
  let body = ''
  for (const k in res) {
    const v = res[k]
    if (v === undefined) continue
    body += `${body === '' ? '' : ','}\n          "${k}": ${q(v)}`
  }
  const resource = body === '' ? '{}' : `{${body}\n        }`
  return `\n      {\n        "action": ${q(action)},\n        "resource": ${resource}\n      }`
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8')
const ID = b('{\n    "id": ')
const DESCRIPTION = b(',\n    "description": ')
const STATUS = b(',\n    "status": ')
const KIND = b(',\n    "kind": ')
const TOKEN_STATE = b(',\n    "tokenState": ')
const TOKEN = b(',\n    "token": ')
const HASHED_TOKEN = b(',\n    "hashedToken": ')
const USER_ID = b(',\n    "userID": ')
const USER_NAME = b(',\n    "userName": ')
const ORG_ID = b(',\n    "orgID": ')
const ORG_NAME = b(',\n    "orgName": ')
const PERMISSIONS = b(',\n    "permissions": ')
const CREATED_AT = b(',\n    "createdAt": ')
const UPDATED_AT = b(',\n    "updatedAt": ')
const END = b('\n  }')
// the commonest values, without a lookup
const Q_ACTIVE = b('"active"')
const Q_INACTIVE = b('"inactive"')
const Q_CUSTOM = b('"custom"')
const Q_RAW = b('"raw"')
const NULL = b('null')
const NO_PERMISSIONS = b('[]')
const OPEN = b('[')
const COMMA = b(',')
const CLOSE = b('\n    ]')

/**
 * Writes the text of authDocument(r) as an element of a JSON array indented
 * by 2 (JSON.stringify(doc, null, 2) with every line after the first
 * indented by 2 more, unsafe characters escaped as renderJSON escapes them)
 * into w, as bytes: `auth list --json` prints 100,000 of them, and building
 * the document, stringifying it, re-indenting and encoding it cost more than
 * the decoding. False (nothing written) for a row of another shape (an error
 * row, a permission with other members than action and resource {type, id,
 * orgID}): the caller then stringifies authDocument(r). Tested against that.
 */
export function writeAuthJsonElement(r: AuthRow, w: ByteWriter): boolean {
  if (r.error !== undefined || r.description === undefined || r.status === undefined || r.kind === undefined || r.tokenState === undefined || r.createdAt === undefined || r.updatedAt === undefined) return false
  const start = w.off
  w.bytes(ID)
  w.text(q(r.id))
  w.bytes(DESCRIPTION)
  w.text(q(r.description))
  w.bytes(STATUS)
  w.bytes(r.status === 'active' ? Q_ACTIVE : r.status === 'inactive' ? Q_INACTIVE : qMemo(r.status))
  w.bytes(KIND)
  w.bytes(r.kind === 'custom' ? Q_CUSTOM : qMemo(r.kind))
  w.bytes(TOKEN_STATE)
  w.bytes(r.tokenState === 'raw' ? Q_RAW : qMemo(r.tokenState))
  if (r.token !== undefined) {
    w.bytes(TOKEN)
    w.text(q(r.token))
  }
  if (r.hashedToken !== undefined) {
    w.bytes(HASHED_TOKEN)
    w.text(q(r.hashedToken))
  }
  w.bytes(USER_ID)
  w.bytes(r.userID === undefined ? NULL : qMemo(r.userID))
  w.bytes(USER_NAME)
  w.bytes(r.userName === undefined ? NULL : qMemo(r.userName))
  w.bytes(ORG_ID)
  w.bytes(r.orgID === undefined ? NULL : qMemo(r.orgID))
  w.bytes(ORG_NAME)
  w.bytes(r.orgName === undefined ? NULL : qMemo(r.orgName))
  w.bytes(PERMISSIONS)
  const perms = r.permissions
  if (perms === null || perms === undefined) w.bytes(NULL)
  else if (perms.length === 0) w.bytes(NO_PERMISSIONS)
  else {
    w.bytes(OPEN)
    for (let i = 0; i < perms.length; i++) {
      const p = permissionBytes(perms[i]!)
      if (p === undefined) {
        w.off = start
        return false
      }
      if (i > 0) w.bytes(COMMA)
      w.bytes(p)
    }
    w.bytes(CLOSE)
  }
  w.bytes(CREATED_AT)
  w.text(q(r.createdAt))
  w.bytes(UPDATED_AT)
  w.text(q(r.updatedAt))
  w.bytes(END)
  return true
}

/** writeAuthJsonElement's text as a string (undefined for a row of another shape). */
export function authJsonElement(r: AuthRow): string | undefined {
  const w = new ByteWriter(4096)
  return writeAuthJsonElement(r, w) ? w.written().toString('utf8') : undefined
}
