/**
 * Listing tokens, users and organizations: plain rows for every output
 * format, plus the exact tables `influxd recovery ... list` prints.
 */
import type {Tx} from '../bbolt/index.js'
import {parseTokenHash} from '../influxd/hashing.js'
import type {Permission} from '../influxd/permission.js'
import {formatPermissionsInfluxd, tokenKind, type TokenKind} from '../influxd/permissions.js'
import {influxCliTable} from '../platform/tabwriter.js'
import type {Authorization} from '../influxd/records.js'
import {eachAuthorization, readTenants, type Decoded, type ReadModel, type Tenants} from './read-model.js'

export type TokenState = 'raw' | 'hashed' | 'none'

export interface AuthRow {
  id: string
  description?: string
  status?: string
  kind?: TokenKind
  tokenState?: TokenState
  /** the plaintext token (raw records only; absent when redacted) */
  token?: string
  hashedToken?: string
  /** sha256 or sha512 for hashed records */
  hashVariant?: string
  userID?: string
  userName?: string
  orgID?: string
  orgName?: string
  permissions?: Permission[] | null
  createdAt?: string
  updatedAt?: string
  /** why the record could not be decoded (the other fields are then absent) */
  error?: string
}

export interface AuthFilter {
  id?: string
  /** user name */
  user?: string
  /** org name */
  org?: string
  operator?: boolean
}

export function tokenState(a: {token?: string; hashedToken?: string}): TokenState {
  if (a.token !== undefined && a.token !== '') return 'raw'
  if (a.hashedToken !== undefined && a.hashedToken !== '') return 'hashed'
  return 'none'
}

/** One token's row: its record (or decoding error) with the names of its user and org. */
export function authRow(d: Decoded<Authorization>, tenants: Pick<Tenants, 'userById' | 'orgById'>, opts: {redact?: boolean} = {}): AuthRow {
  const {key, record: a, error} = d
  if (a === undefined) return {id: key, error}
  const user = a.userID ? tenants.userById.get(a.userID.toLowerCase()) : undefined
  const org = tenants.orgById.get(a.orgID.toLowerCase())
  const state = tokenState(a)
  let hashVariant: string | undefined
  if (a.hashedToken) {
    try {
      hashVariant = parseTokenHash(a.hashedToken).variant
    } catch {
      hashVariant = 'invalid'
    }
  }
  return {
    id: a.id,
    description: a.description,
    status: a.status,
    kind: tokenKind(a.permissions, a.orgID, a.userID),
    tokenState: state,
    ...(state === 'raw' && !opts.redact ? {token: a.token} : {}),
    ...(a.hashedToken ? {hashedToken: a.hashedToken, hashVariant} : {}),
    userID: a.userID,
    userName: user?.name,
    orgID: a.orgID,
    orgName: org?.name,
    permissions: a.permissions,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  }
}

export function authRows(model: ReadModel, opts: {redact?: boolean} = {}): AuthRow[] {
  return model.authorizations.map((d) => authRow(d, model, opts))
}

export function filterAuthRows(rows: AuthRow[], f: AuthFilter): AuthRow[] {
  return rows.filter((r) => {
    if (f.id !== undefined && r.id.toLowerCase() !== f.id.toLowerCase()) return false
    if (f.user !== undefined && r.userName !== f.user) return false
    if (f.org !== undefined && r.orgName !== f.org) return false
    if (f.operator && r.kind !== 'operator') return false
    return true
  })
}

export function listAuthorizations(tx: Tx, filter: AuthFilter = {}, opts: {redact?: boolean} = {}): AuthRow[] {
  return [...eachAuthRow(tx, filter, opts)]
}

/**
 * The rows of listAuthorizations one at a time, in key order: each record is
 * decoded (read-only), turned into its row and dropped, so memory does not
 * grow with the number of tokens.
 */
export function* eachAuthRow(tx: Tx, filter: AuthFilter = {}, opts: {redact?: boolean} = {}): Generator<AuthRow> {
  const tenants = readTenants(tx)
  for (const d of eachAuthorization(tx)) {
    const row = authRow(d, tenants, opts)
    if (filterAuthRows([row], filter).length === 1) yield row
  }
}

/**
 * The table `influxd recovery auth list` (v2.9.1) prints: ID, User Name,
 * User ID, Description, Token (raw token, REDACTED when only a hash is
 * stored, N/A when neither), Permissions as Go's %v of the slice.
 */
export function influxdAuthTable(rows: AuthRow[]): string {
  return influxCliTable(
    ['ID', 'User Name', 'User ID', 'Description', 'Token', 'Permissions'],
    rows.map((r) => {
      const token = r.tokenState === 'raw' ? (r.token ?? 'REDACTED') : r.tokenState === 'hashed' ? 'REDACTED' : 'N/A'
      return [r.id, r.userName ?? '', r.userID ?? '', r.description ?? (r.error ? `(undecodable: ${r.error})` : ''), token, formatPermissionsInfluxd(r.permissions ?? null)]
    }),
  )
}

export interface UserRow {
  id: string
  name?: string
  status?: string
  oauthID?: string
  hasPassword?: boolean
  error?: string
}

export function userRows(model: ReadModel): UserRow[] {
  return model.users.map(({key, record: u, error}) => {
    if (u === undefined) return {id: key, error}
    const id = u.id ?? key
    return {id, name: u.name, status: u.status === '' ? '' : u.status, ...(u.oauthID ? {oauthID: u.oauthID} : {}), hasPassword: model.passwords.has(id.toLowerCase())}
  })
}

export interface OrgRow {
  id: string
  name?: string
  description?: string
  createdAt?: string
  updatedAt?: string
  error?: string
}

export function orgRows(model: ReadModel): OrgRow[] {
  return model.orgs.map(({key, record: o, error}) => {
    if (o === undefined) return {id: key, error}
    return {id: o.id ?? key, name: o.name, description: o.description, createdAt: o.createdAt, updatedAt: o.updatedAt}
  })
}

/** `influxd recovery user list` / `org list`: columns ID and Name. */
export function influxdIdNameTable(rows: Array<{id: string; name?: string}>): string {
  return influxCliTable(['ID', 'Name'], rows.map((r) => [r.id, r.name ?? '']))
}

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
  return `{\n    "id": ${str(r.id)},\n    "description": ${str(r.description)},\n    "status": ${str(r.status)},\n    "kind": ${str(r.kind)},\n    "tokenState": ${str(r.tokenState)},${
    r.token !== undefined ? `\n    "token": ${str(r.token)},` : ''}${r.hashedToken !== undefined ? `\n    "hashedToken": ${str(r.hashedToken)},` : ''
  }\n    "userID": ${strOrNull(r.userID)},\n    "userName": ${strOrNull(r.userName)},\n    "orgID": ${strOrNull(r.orgID)},\n    "orgName": ${strOrNull(r.orgName)},\n    "permissions": ${perms},\n    "createdAt": ${str(r.createdAt)},\n    "updatedAt": ${str(r.updatedAt)}\n  }`
}
