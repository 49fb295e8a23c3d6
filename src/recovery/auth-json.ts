/**
 * `auth list --json` and `--format yaml`: one document per token, and the
 * JSON text of it written directly for the streamed listing.
 */
import {jsonEscapeUnsafe} from '../platform/format.js'
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
const strOrNull = (s: string | undefined): string => (s === undefined ? 'null' : str(s))

/**
 * The text of authDocument(r) as an element of a JSON array indented by 2
 * (JSON.stringify(doc, null, 2) with every line after the first indented by
 * 2 more), written directly: `auth list --json` prints 100,000 of them, and
 * building the document, stringifying it and re-indenting it cost more than
 * the decoding. Undefined for a row of another shape (an error row, a
 * permission with other members than action and resource {type, id, orgID}):
 * the caller then stringifies authDocument(r). Tested against that.
 */
export function authJsonElement(r: AuthRow): string | undefined {
  if (r.error !== undefined || r.description === undefined || r.status === undefined || r.kind === undefined || r.tokenState === undefined || r.createdAt === undefined || r.updatedAt === undefined) return undefined
  let perms: string
  if (r.permissions === null || r.permissions === undefined) perms = 'null'
  else if (r.permissions.length === 0) perms = '[]'
  else {
    perms = '['
    for (let i = 0; i < r.permissions.length; i++) {
      const p = r.permissions[i]!
      const res = p.resource
      let n = 0
      for (const k in p) if (k === 'action' || k === 'resource') n++; else return undefined
      if (n !== 2 || typeof p.action !== 'string' || typeof res !== 'object' || res === null) return undefined
      // members in the object's own order, as JSON.stringify writes them
      let body = ''
      for (const k in res) {
        const v = (res as unknown as Record<string, unknown>)[k]
        if (v === undefined) continue
        if ((k !== 'type' && k !== 'id' && k !== 'orgID') || typeof v !== 'string') return undefined
        body += `${body === '' ? '' : ','}\n          "${k}": ${str(v)}`
      }
      const resource = body === '' ? '{}' : `{${body}\n        }`
      perms += `${i === 0 ? '' : ','}\n      {\n        "action": ${str(p.action)},\n        "resource": ${resource}\n      }`
    }
    perms += '\n    ]'
  }
  // as renderJSON: DEL, C1, separators and bidi controls (which JSON.stringify leaves raw) as \u escapes
  return jsonEscapeUnsafe(`{\n    "id": ${str(r.id)},\n    "description": ${str(r.description)},\n    "status": ${str(r.status)},\n    "kind": ${str(r.kind)},\n    "tokenState": ${str(r.tokenState)},${
    r.token !== undefined ? `\n    "token": ${str(r.token)},` : ''}${r.hashedToken !== undefined ? `\n    "hashedToken": ${str(r.hashedToken)},` : ''
  }\n    "userID": ${strOrNull(r.userID)},\n    "userName": ${strOrNull(r.userName)},\n    "orgID": ${strOrNull(r.orgID)},\n    "orgName": ${strOrNull(r.orgName)},\n    "permissions": ${perms},\n    "createdAt": ${str(r.createdAt)},\n    "updatedAt": ${str(r.updatedAt)}\n  }`)
}
