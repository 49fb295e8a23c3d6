/**
 * `auth list --json` and `--format yaml`: one document per token, and the
 * JSON text of it written directly for the streamed listing.
 */
import {jsonEscapeUnsafe} from '../platform/format.js'
import type {Permission} from '../influxd/permission.js'
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
const q = (s: string): string => jsonEscapeUnsafe(str(s))
const qOrNull = (s: string | undefined): string => (s === undefined ? 'null' : q(s))

/**
 * Memo of the quoted text of the few values that repeat on every row
 * (status, kind, token state, user and org IDs and names, permission
 * actions and types), bounded so a file of unusual values cannot grow it.
 */
const MEMO_LIMIT = 4096
const quoted = new Map<string, string>()
function qMemo(s: string): string {
  let t = quoted.get(s)
  if (t === undefined) {
    t = q(s)
    if (quoted.size >= MEMO_LIMIT) quoted.clear()
    quoted.set(s, t)
  }
  return t
}
const qMemoOrNull = (s: string | undefined): string => (s === undefined ? 'null' : qMemo(s))

/**
 * The text of one permission element, by action, type, id and orgID (undefined
 * when absent), for permissions whose resource members come in the usual order
 * (type, id, orgID): an operator or all-access token repeats the same 40-odd
 * permissions on each record, a bucket's read and write tokens theirs.
 */
type PermissionMemo = Map<string, Map<string | undefined, Map<string | undefined, Map<string | undefined, string>>>>
let permissionMemo: PermissionMemo = new Map()
let permissionMemoSize = 0

/** One permission's element text (indented as in the array), or undefined for a permission of another shape. */
function permissionText(p: Permission): string | undefined {
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
  if (!usual) return buildPermission(p.action, res as unknown as Record<string, string | undefined>)
  let byType = permissionMemo.get(p.action)
  if (byType === undefined) permissionMemo.set(p.action, (byType = new Map()))
  let byID = byType.get(type)
  if (byID === undefined) byType.set(type, (byID = new Map()))
  let byOrg = byID.get(id)
  if (byOrg === undefined) byID.set(id, (byOrg = new Map()))
  let text = byOrg.get(orgID)
  if (text === undefined) {
    text = buildPermission(p.action, {type, id, orgID})
    if (permissionMemoSize >= MEMO_LIMIT) {
      permissionMemo = new Map()
      permissionMemoSize = 0
    }
    // set on the (possibly dropped) maps: this row still gets its text
    byOrg.set(orgID, text)
    permissionMemoSize++
  }
  return text
}

/** A permission's text, the resource's members in their own order (as JSON.stringify writes them). */
function buildPermission(action: string, res: Record<string, string | undefined>): string {
  let body = ''
  for (const k in res) {
    const v = res[k]
    if (v === undefined) continue
    body += `${body === '' ? '' : ','}\n          "${k}": ${k === 'type' ? qMemo(v) : q(v)}`
  }
  const resource = body === '' ? '{}' : `{${body}\n        }`
  return `\n      {\n        "action": ${qMemo(action)},\n        "resource": ${resource}\n      }`
}

/**
 * The text of authDocument(r) as an element of a JSON array indented by 2
 * (JSON.stringify(doc, null, 2) with every line after the first indented by
 * 2 more, unsafe characters escaped as renderJSON escapes them), written
 * directly: `auth list --json` prints 100,000 of them, and building the
 * document, stringifying it and re-indenting it cost more than the decoding.
 * Undefined for a row of another shape (an error row, a permission with
 * other members than action and resource {type, id, orgID}): the caller then
 * stringifies authDocument(r). Tested against that.
 */
export function authJsonElement(r: AuthRow): string | undefined {
  if (r.error !== undefined || r.description === undefined || r.status === undefined || r.kind === undefined || r.tokenState === undefined || r.createdAt === undefined || r.updatedAt === undefined) return undefined
  let perms: string
  if (r.permissions === null || r.permissions === undefined) perms = 'null'
  else if (r.permissions.length === 0) perms = '[]'
  else {
    perms = '['
    for (let i = 0; i < r.permissions.length; i++) {
      const text = permissionText(r.permissions[i]!)
      if (text === undefined) return undefined
      perms += i === 0 ? text : `,${text}`
    }
    perms += '\n    ]'
  }
  return `{\n    "id": ${q(r.id)},\n    "description": ${q(r.description)},\n    "status": ${qMemo(r.status)},\n    "kind": ${qMemo(r.kind)},\n    "tokenState": ${qMemo(r.tokenState)},${
    r.token !== undefined ? `\n    "token": ${q(r.token)},` : ''}${r.hashedToken !== undefined ? `\n    "hashedToken": ${q(r.hashedToken)},` : ''
  }\n    "userID": ${qMemoOrNull(r.userID)},\n    "userName": ${qMemoOrNull(r.userName)},\n    "orgID": ${qMemoOrNull(r.orgID)},\n    "orgName": ${qMemoOrNull(r.orgName)},\n    "permissions": ${perms},\n    "createdAt": ${q(r.createdAt)},\n    "updatedAt": ${q(r.updatedAt)}\n  }`
}
