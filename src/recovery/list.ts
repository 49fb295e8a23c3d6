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

