/**
 * `auth list --json` and `--format yaml`: one document per token, and the
 * JSON text of it written directly for the streamed listing.
 */
import type {Tx} from '../bbolt/index.js'
import {AuthorizationSpans, permissionAt, PERMISSION_INTS, P_ACTION, P_ACTION_END, P_END, P_ID, P_ORG_ID, P_START, P_TYPE, P_TYPE_END, QUOTED_ID_BYTES, scanAuthorization} from '../influxd/authorization-spans.js'
import {jsonEscapeUnsafe} from '../platform/format.js'
import type {Permission} from '../influxd/permission.js'
import {mayBeOperatorOrAllAccess, tokenKind, type TokenKind} from '../influxd/permissions.js'
import {ByteWriter} from '../platform/byte-writer.js'
import {authRow, matchesAuthFilter, type AuthFilter, type AuthRow} from './list.js'
import {BytesMemo} from './bytes-memo.js'
import {authorizationEntries, decodeAuthorizationEntry, readTenants, type Tenants} from './read-model.js'

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

/**
 * `auth list --json` from the records' own bytes. A record exactly as
 * influxd writes it (scanAuthorization: compact, struct order, canonical
 * IDs and times) holds its values as they are printed, quotes included: its
 * element is copied from those bytes, without decoding the record into
 * objects (100,000 of them were most of the listing's time); only a string
 * with escapes or non-ASCII characters is decoded, alone. Any other record
 * is decoded and written as before. Tested against that path on every
 * record it takes.
 */
export class AuthRecordJson {
  private readonly spans = new AuthorizationSpans()
  private value: Buffer = Buffer.alloc(0)
  /** the record's kind once computed, and the elements of its permission list when that is long (kind()) */
  private recordKind: TokenKind | undefined
  private longList: readonly PermissionElement[] = []
  /** quoted name bytes (NULL: no such record) by the quoted user or org ID's bytes */
  private readonly userNames = new BytesMemo<Buffer>()
  private readonly orgNames = new BytesMemo<Buffer>()

  constructor(private readonly tenants: Pick<Tenants, 'userById' | 'orgById'>, private readonly opts: {redact?: boolean} = {}) {}

  /** Takes value as the record to write: true when it is one this path writes (valid until the next read). */
  read(value: Buffer): boolean {
    if (!scanAuthorization(value, this.spans)) return false
    this.value = value
    this.recordKind = undefined
    return true
  }

  /** Whether the record read passes the listing's filter (what matchesAuthFilter says of its row). */
  matches(f: AuthFilter): boolean {
    if (f.id === undefined && f.user === undefined && f.org === undefined && !f.operator) return true
    const s = this.spans
    const user = s.userID < 0 ? undefined : this.tenants.userById.get(this.idAt(s.userID))
    return matchesAuthFilter({id: this.idAt(s.id), userName: user?.name, orgName: this.tenants.orgById.get(this.idAt(s.orgID))?.name, kind: this.kind()}, f)
  }

  /** Writes the record read as writeAuthJsonElement writes its row. */
  write(w: ByteWriter): boolean {
    const s = this.spans
    const v = this.value
    w.bytes(ID)
    w.range(v, s.id, s.id + QUOTED_ID_BYTES)
    w.bytes(DESCRIPTION)
    this.string(w, s.description, s.descriptionEnd, s.descriptionEscaped)
    w.bytes(STATUS)
    w.bytes(s.status === 'active' ? Q_ACTIVE : Q_INACTIVE)
    w.bytes(KIND)
    const kind = this.kind()
    w.bytes(kind === 'custom' ? Q_CUSTOM : qMemo(kind))
    w.bytes(TOKEN_STATE)
    const raw = s.token >= 0 && s.tokenEnd - s.token > 2
    const hashed = s.hashedToken >= 0 && s.hashedTokenEnd - s.hashedToken > 2
    w.bytes(raw ? Q_RAW : hashed ? Q_HASHED : Q_NONE)
    if (raw && !this.opts.redact) {
      w.bytes(TOKEN)
      this.string(w, s.token, s.tokenEnd, s.tokenEscaped)
    }
    if (hashed) {
      w.bytes(HASHED_TOKEN)
      this.string(w, s.hashedToken, s.hashedTokenEnd, s.hashedTokenEscaped)
    }
    w.bytes(USER_ID)
    if (s.userID < 0) {
      w.bytes(NULL)
      w.bytes(USER_NAME)
      w.bytes(NULL)
    } else {
      w.range(v, s.userID, s.userID + QUOTED_ID_BYTES)
      w.bytes(USER_NAME)
      w.bytes(this.name(this.userNames, this.tenants.userById, s.userID))
    }
    w.bytes(ORG_ID)
    w.range(v, s.orgID, s.orgID + QUOTED_ID_BYTES)
    w.bytes(ORG_NAME)
    w.bytes(this.name(this.orgNames, this.tenants.orgById, s.orgID))
    w.bytes(PERMISSIONS)
    this.writePermissions(w)
    w.bytes(CREATED_AT)
    w.range(v, s.createdAt, s.createdAtEnd)
    w.bytes(UPDATED_AT)
    w.range(v, s.updatedAt, s.updatedAtEnd)
    w.bytes(END)
    return true
  }

  /** The string stored at [start, end) as printed: its bytes, or when escaped its decoded value quoted again. */
  private string(w: ByteWriter, start: number, end: number, escaped: boolean): void {
    if (!escaped) w.range(this.value, start, end)
    else w.text(q(JSON.parse(this.value.toString('utf8', start, end)) as string))
  }

  /** The ID quoted at offset i, without its quotes. */
  private idAt(i: number): string {
    return this.value.toString('latin1', i + 1, i + QUOTED_ID_BYTES - 1)
  }

  /** The quoted name of the user or org whose quoted ID is at offset i, or null. */
  private name(memo: BytesMemo<Buffer>, byId: ReadonlyMap<string, {name?: string}>, i: number): Buffer {
    let bytes = memo.get(this.value, i, i + QUOTED_ID_BYTES)
    if (bytes === undefined) {
      const name = byId.get(this.idAt(i))?.name
      bytes = name === undefined ? NULL : Buffer.from(q(name), 'utf8')
      memo.set(this.value, i, i + QUOTED_ID_BYTES, bytes)
    }
    return bytes
  }

  /**
   * tokenKind of the record read (once a record). A list long enough to be
   * a set is looked up by its bytes together with the org and user IDs
   * before it (the kind depends on nothing else): an org's all-access tokens
   * of one user, and every operator token, repeat the same list.
   */
  private kind(): TokenKind {
    if (this.recordKind !== undefined) return this.recordKind
    const s = this.spans
    const n = s.permissionCount
    if (!mayBeOperatorOrAllAccess(n)) return (this.recordKind = 'custom')
    // orgID, userID and the permissions are adjacent in the record
    const keyEnd = s.permissions[(n - 1) * PERMISSION_INTS + P_END]!
    let list = lists.get(this.value, s.orgID, keyEnd)
    if (list === undefined) {
      const elementsOfList: PermissionElement[] = []
      const perms: Permission[] = []
      for (let k = 0; k < n; k++) {
        const e = this.element(k)
        elementsOfList.push(e)
        perms.push(e.permission)
      }
      list = {elements: elementsOfList, kind: tokenKind(perms, this.idAt(s.orgID), s.userID < 0 ? undefined : this.idAt(s.userID))}
      lists.set(this.value, s.orgID, keyEnd, list)
    }
    this.longList = list.elements
    return (this.recordKind = list.kind)
  }

  private writePermissions(w: ByteWriter): void {
    const s = this.spans
    const n = s.permissionCount
    if (n === 0) {
      w.bytes(NO_PERMISSIONS)
      return
    }
    w.bytes(OPEN)
    if (mayBeOperatorOrAllAccess(n)) {
      // a long list's elements were looked up for its kind, with their bytes
      this.kind()
      const list = this.longList
      for (let k = 0; k < n; k++) {
        if (k > 0) w.bytes(COMMA)
        w.bytes(list[k]!.bytes)
      }
      w.bytes(CLOSE)
      return
    }
    const p = s.permissions
    const v = this.value
    for (let k = 0; k < n; k++) {
      if (k > 0) w.bytes(COMMA)
      const o = k * PERMISSION_INTS
      w.bytes(P_OPEN)
      w.range(v, p[o + P_ACTION]!, p[o + P_ACTION_END]!)
      w.bytes(P_TYPE_TEXT)
      w.range(v, p[o + P_TYPE]!, p[o + P_TYPE_END]!)
      const id = p[o + P_ID]!
      if (id >= 0) {
        w.bytes(P_ID_TEXT)
        w.range(v, id, id + QUOTED_ID_BYTES)
      }
      const orgID = p[o + P_ORG_ID]!
      if (orgID >= 0) {
        w.bytes(P_ORG_ID_TEXT)
        w.range(v, orgID, orgID + QUOTED_ID_BYTES)
      }
      w.bytes(P_CLOSE)
    }
    w.bytes(CLOSE)
  }

  /**
   * Permission k of the record read, as an object and as its element's
   * bytes, from a memo by the element's stored bytes: an operator token
   * repeats the same 40-odd elements, an org's all-access tokens theirs.
   */
  private element(k: number): PermissionElement {
    const p = this.spans.permissions
    const o = k * PERMISSION_INTS
    return elements.get(this.value, p[o + P_START]!, p[o + P_END]!) ?? newElement(this.value, p, o)
  }
}

/** The memo entry of the permission at o in p (AuthorizationSpans.permissions) of v, made and stored. */
function newElement(v: Buffer, p: Int32Array, o: number): PermissionElement {
  const permission = permissionAt(v, p, o)
  const e = {permission, bytes: Buffer.from(permissionText(permission.action, permission.resource as unknown as Record<string, string | undefined>), 'utf8')}
  elements.set(v, p[o + P_START]!, p[o + P_END]!, e)
  return e
}

interface PermissionElement {
  permission: Permission
  bytes: Buffer
}

interface LongList {
  elements: readonly PermissionElement[]
  kind: TokenKind
}

/**
 * AuthRecordJson's memo of long permission lists with their org and user:
 * a key of ~3 KB (an all-access list), keys up to 12 MB in all; a value is
 * an array of references to elements.
 */
const lists = new BytesMemo<LongList>(4096, 12 << 20)

/**
 * AuthRecordJson's memo of permission elements, by their stored bytes:
 * entries well above an org's all-access set (~45 elements) plus two for
 * each user it names; keys (~80 bytes each) up to 4 MB, values (the
 * element as an object and as text) about three times that.
 */
const ELEMENT_MEMO_LIMIT = 16_384
const elements = new BytesMemo<PermissionElement>(ELEMENT_MEMO_LIMIT, 4 << 20)

const Q_HASHED = b('"hashed"')
const Q_NONE = b('"none"')
// a permission element's text around its values (permissionText's)
const P_OPEN = b('\n      {\n        "action": ')
const P_TYPE_TEXT = b(',\n        "resource": {\n          "type": ')
const P_ID_TEXT = b(',\n          "id": ')
const P_ORG_ID_TEXT = b(',\n          "orgID": ')
const P_CLOSE = b('\n        }\n      }')

/**
 * The elements of `auth list --json`, in key order: a record influxd wrote
 * as AuthRecordJson (the same object each time, holding the record until
 * the next one is read), any other one as its row. Only those passing the
 * filter.
 */
export function* eachAuthJsonItem(tx: Tx, filter: AuthFilter = {}, opts: {redact?: boolean; entries?: Iterable<{key: Buffer; value: Buffer | null}>} = {}): Generator<AuthRecordJson | AuthRow> {
  const tenants = readTenants(tx)
  const fast = new AuthRecordJson(tenants, opts)
  for (const e of authorizationEntries(tx, opts.entries)) {
    if (e.value !== null && fast.read(e.value)) {
      if (fast.matches(filter)) yield fast
      continue
    }
    const row = authRow(decodeAuthorizationEntry(e), tenants, opts)
    if (matchesAuthFilter(row, filter)) yield row
  }
}

/** printJsonArrayBytes's writer for eachAuthJsonItem's elements. */
export function writeAuthJsonItem(item: AuthRecordJson | AuthRow, w: ByteWriter): boolean {
  return item instanceof AuthRecordJson ? item.write(w) : writeAuthJsonElement(item, w)
}
