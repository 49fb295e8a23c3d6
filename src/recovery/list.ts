/**
 * Listing tokens, users and organizations: plain rows for every output
 * format, plus the exact tables `influxd recovery ... list` prints.
 */
import type {Tx} from '../bbolt/index.js'
import {NotFoundError, UsageError} from '../errors.js'
import {AUTHORIZATIONS, idKey} from '../influxd/buckets.js'
import {formatID, parseID} from '../influxd/ids.js'
import {parseTokenHash} from '../influxd/hashing.js'
import type {Permission} from '../influxd/permission.js'
import {formatPermissionsInfluxd, tokenKind, type TokenKind} from '../influxd/permissions.js'
import {escapeControls} from '../platform/format.js'
import {influxCliTable} from '../platform/tabwriter.js'
import type {Authorization} from '../influxd/records.js'
import {eachAuthorization, readTenants, type Decoded, type ReadModel, type Tenants} from './read-model.js'
import {existing, orgNames, userNames} from './tenants.js'

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
  // members assigned in this order (no spreads: a row is made 100,000 times by auth list)
  const row: AuthRow = {id: a.id, description: a.description, status: a.status, kind: tokenKind(a.permissions, a.orgID, a.userID), tokenState: state}
  if (state === 'raw' && !opts.redact) row.token = a.token
  if (a.hashedToken) {
    row.hashedToken = a.hashedToken
    row.hashVariant = hashVariant
  }
  row.userID = a.userID
  row.userName = user?.name
  row.orgID = a.orgID
  row.orgName = org?.name
  row.permissions = a.permissions
  row.createdAt = a.createdAt
  row.updatedAt = a.updatedAt
  return row
}

export function authRows(model: ReadModel, opts: {redact?: boolean} = {}): AuthRow[] {
  return model.authorizations.map((d) => authRow(d, model, opts))
}

/**
 * Checks a filter against the file the way the write commands check their
 * flags: an --id that is not an ID is a usage error (exit 2); an ID, user or
 * org that does not exist is a NotFoundError (exit 5) naming what does. A
 * filter that names existing things but matches no token is not an error.
 * Returns the filter with the ID in its canonical form.
 */
export function checkAuthFilter(tx: Tx, f: AuthFilter): AuthFilter {
  const out = {...f}
  if (f.id !== undefined) {
    try {
      out.id = formatID(parseID(f.id))
    } catch (err) {
      throw new UsageError(`invalid --id ${JSON.stringify(f.id)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits, as "auth list" shows them')
    }
    if (tx.bucket(Buffer.from(AUTHORIZATIONS))?.get(idKey(out.id)) === undefined) {
      throw new NotFoundError(`authorization ${out.id} does not exist`, '"influx-recover auth list" lists the tokens with their IDs')
    }
  }
  if (f.user !== undefined) {
    const names = userNames(tx)
    if (!names.includes(f.user)) throw new NotFoundError(`user ${JSON.stringify(f.user)} does not exist; ${existing(names, 'user')}`, '"influx-recover user list" lists them with their IDs')
  }
  if (f.org !== undefined) {
    const names = orgNames(tx)
    if (!names.includes(f.org)) throw new NotFoundError(`org ${JSON.stringify(f.org)} does not exist; ${existing(names, 'org')}`, '"influx-recover org list" lists them with their IDs')
  }
  return out
}

export function filterAuthRows(rows: AuthRow[], f: AuthFilter): AuthRow[] {
  return rows.filter((r) => matchesAuthFilter(r, f))
}

export function matchesAuthFilter(r: Pick<AuthRow, 'id' | 'userName' | 'orgName' | 'kind'>, f: AuthFilter): boolean {
  if (f.id !== undefined && r.id.toLowerCase() !== f.id.toLowerCase()) return false
  if (f.user !== undefined && r.userName !== f.user) return false
  if (f.org !== undefined && r.orgName !== f.org) return false
  if (f.operator && r.kind !== 'operator') return false
  return true
}

export function listAuthorizations(tx: Tx, filter: AuthFilter = {}, opts: {redact?: boolean; entries?: Iterable<{key: Buffer; value: Buffer | null}>} = {}): AuthRow[] {
  return [...eachAuthRow(tx, filter, opts)]
}

/**
 * The rows of listAuthorizations one at a time, in key order: each record is
 * decoded (read-only), turned into its row and dropped, so memory does not
 * grow with the number of tokens.
 */
export function* eachAuthRow(tx: Tx, filter: AuthFilter = {}, opts: {redact?: boolean; entries?: Iterable<{key: Buffer; value: Buffer | null}>} = {}): Generator<AuthRow> {
  const tenants = readTenants(tx)
  for (const d of eachAuthorization(tx, opts.entries)) {
    const row = authRow(d, tenants, opts)
    if (matchesAuthFilter(row, filter)) yield row
  }
}

/**
 * The table `influxd recovery auth list` (v2.9.1) prints: ID, User Name,
 * User ID, Description, Token (raw token, REDACTED when only a hash is
 * stored, N/A when neither), Permissions as Go's %v of the slice. Control
 * and bidi characters are shown escaped (escapeControls), so the equality
 * holds for printable data.
 */
export function influxdAuthTable(rows: AuthRow[]): string {
  return influxCliTable(
    ['ID', 'User Name', 'User ID', 'Description', 'Token', 'Permissions'],
    rows.map((r) => {
      const token = r.tokenState === 'raw' ? (r.token ?? 'REDACTED') : r.tokenState === 'hashed' ? 'REDACTED' : 'N/A'
      return [r.id, r.userName ?? '', r.userID ?? '', r.description ?? (r.error ? `(undecodable: ${r.error})` : ''), token, formatPermissionsInfluxd(r.permissions ?? null)].map(escapeControls)
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

/** `influxd recovery user list` / `org list`: columns ID and Name (escaped as in influxdAuthTable). */
export function influxdIdNameTable(rows: Array<{id: string; name?: string}>): string {
  return influxCliTable(['ID', 'Name'], rows.map((r) => [escapeControls(r.id), escapeControls(r.name ?? '')]))
}

