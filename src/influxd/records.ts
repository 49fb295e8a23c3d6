/**
 * Typed records of the influxd.bolt JSON buckets (spec §4), decoded and
 * encoded the way influxd's Go structs are, with byte-exactness as the rule:
 *
 * - Properties are named like the Go JSON keys (`orgID`, `started_at`).
 * - A decoded record carries `source`: its original bytes, the raw bytes of
 *   the member Go used for each field, and the values as decoded.
 * - Encoding writes the known fields in Go struct order. A field whose value
 *   is unchanged since decoding is written with its ORIGINAL bytes (so
 *   timestamps, ID case and permission arrays stay exactly as they were); only
 *   changed or new fields are Go-encoded. An unchanged record therefore comes
 *   out byte-identical (for any record influxd wrote).
 * - Unknown keys are dropped, as Go does when it re-encodes, and reported
 *   in `unknownKeys`.
 * - Anything undecodable is a SchemaError naming the bucket, key and field.
 *
 * Omitempty string fields (`token`, `hashedToken`, `oauthID`, `rp`) and
 * omitempty IDs are optional properties; `undefined` and `''` both mean
 * "empty" and are omitted when encoded, except that an unchanged field keeps
 * its original presence (2.7 records carry `"token":""`).
 */
import {isUtf8} from 'node:buffer'

import {AuthorizationSpans, authorizationFromSpans, scanAuthorization, spliceHashAt} from './authorization-spans.js'
import {SchemaError} from './errors.js'
import {
  compactJson,
  decodeInt64,
  decodeString,
  encodeGoObject,
  encodeInt,
  goQuote,
  isNullRaw,
  jsonKind,
  matchField,
  parseArrayRaw,
  parseObjectRaw,
  stringContentRaw,
  type RawEntry,
} from './gojson.js'
import {canonicalGoTime, formatGoTime, GO_ZERO_TIME, parseGoTime} from './gotime.js'
import {formatID, parseID} from './ids.js'
import type {Permission} from './permission.js'
import * as B from './buckets.js'

// ---------------------------------------------------------------- record types

export type AuthorizationStatus = 'active' | 'inactive'
/** Users may carry `""` (written by `influxd recovery user create`). */
export type UserStatus = 'active' | 'inactive' | ''

export interface RecordSource {
  /** the bucket the record was read from */
  readonly bucket: string
  /** the record's bolt key, as text (latin1 for non-UTF-8 bytes) */
  readonly key?: string
  /** a copy of the original value bytes */
  readonly raw: Buffer
  /** every member of the original object, in order (views into `raw`) */
  readonly entries: readonly RawEntry[]
  /** Go JSON name → raw bytes of the member Go's decoder used (the last matching one) */
  readonly fields: ReadonlyMap<string, Buffer>
  /** the decoded value of each field at decode time, by property name */
  readonly original: Readonly<Record<string, unknown>>
  /** keys Go ignores (dropped on re-encode); nested ones as paths like permissions[0].resource.foo */
  readonly unknownKeys: readonly string[]
  /** keys that set a field a second time (Go keeps the last) */
  readonly duplicateKeys: readonly string[]
  /** consistency notes that are not errors, e.g. an id that differs from the key */
  readonly warnings: readonly string[]
}

interface Decoded {
  /** present on decoded records only */
  source?: RecordSource
  /** present on decoded records only: same as source.unknownKeys */
  unknownKeys?: string[]
}

/** `influxdb.Authorization` (authorizationsv1 and legacy/authorizationsv1). */
export interface Authorization extends Decoded {
  kind: 'authorization'
  id: string
  /** the plaintext token (v2), or the v1 user name (legacy) */
  token?: string
  /** `$influxdb2-sha256$…` (2.8+) */
  hashedToken?: string
  status: AuthorizationStatus
  description: string
  orgID: string
  userID?: string
  /** null when Go's slice is nil */
  permissions: Permission[] | null
  createdAt: string
  updatedAt: string
}

/** `influxdb.User` (usersv1). */
export interface User extends Decoded {
  kind: 'user'
  id?: string
  name: string
  oauthID?: string
  status: UserStatus
}

/** `influxdb.Organization` (organizationsv1). */
export interface Organization extends Decoded {
  kind: 'organization'
  id?: string
  name: string
  description: string
  createdAt: string
  updatedAt: string
}

/** `influxdb.UserResourceMapping` (userresourcemappingsv1). */
export interface UserResourceMapping extends Decoded {
  kind: 'urm'
  userID: string
  /** "owner" or "member" */
  userType: string
  mappingType: 'user' | 'org'
  resourceType: string
  resourceID: string
}

/** `influxdb.Bucket` (bucketsv1). */
export interface Bucket extends Decoded {
  kind: 'bucket'
  id?: string
  orgID?: string
  /** 0 user, 1 system */
  type: number
  name: string
  description: string
  rp?: string
  /** nanoseconds (0 = infinite) */
  retentionPeriod: bigint
  /** nanoseconds */
  shardGroupDuration: bigint
  createdAt: string
  updatedAt: string
}

/** `migration.Migration` (migrationsv1). */
export interface Migration extends Decoded {
  kind: 'migration'
  id: string
  name: string
  /** null when Go's pointer is nil (written as `null`) */
  started_at: string | null
  /** absent until the migration finished (omitempty) */
  finished_at?: string
}

export type InfluxRecord = Authorization | User | Organization | UserResourceMapping | Bucket | Migration

export const BUCKET_TYPE_USER = 0
export const BUCKET_TYPE_SYSTEM = 1

// ---------------------------------------------------------------- field codecs

interface DecodeCtx {
  /** where nested unknown keys are reported */
  unknown: string[]
  path: string
}

interface FieldCodec<T> {
  /** the value of a present member */
  decode(raw: Buffer, ctx: DecodeCtx): T
  /** the value when the member is absent (Go's zero value), or an error reason when the field is required */
  absent(): T | {missing: string}
  /** JSON text, or undefined to omit */
  encode(v: T): string | undefined
  equal(a: T, b: T): boolean
  clone?(v: T): T
}

function kindOf(raw: Buffer): string {
  return jsonKind(raw)
}

function typeError(raw: Buffer, goType: string): SchemaError {
  return new SchemaError(`cannot unmarshal ${kindOf(raw)} into Go value of type ${goType}`)
}

function reason(err: unknown): string {
  if (err instanceof SchemaError) return err.reason
  return err instanceof Error ? err.message : String(err)
}

function decodeIDText(raw: Buffer): string {
  const s = decodeString(raw)
  try {
    return formatID(parseID(s))
  } catch (err) {
    throw new SchemaError(`${reason(err)} (got ${JSON.stringify(s)})`)
  }
}

function encodeIDText(v: string): string {
  try {
    return goQuote(formatID(parseID(v)))
  } catch (err) {
    throw new SchemaError(`${reason(err)} (got ${JSON.stringify(v)})`)
  }
}

const sameOptString = (a: string | undefined, b: string | undefined): boolean => (a ?? '') === (b ?? '')

/** platform.ID: required (no omitempty; zero cannot be marshalled) or omitempty. */
function idCodec(required: boolean): FieldCodec<string | undefined> {
  return {
    decode(raw) {
      if (isNullRaw(raw)) {
        if (required) throw new SchemaError('invalid ID (got null)')
        return undefined
      }
      if (kindOf(raw) !== 'string') throw typeError(raw, 'platform.ID')
      return decodeIDText(raw)
    },
    absent: () => (required ? {missing: 'missing required ID'} : undefined),
    encode(v) {
      if (v === undefined || v === '') {
        if (required) throw new SchemaError('invalid ID (no value)')
        return undefined
      }
      return encodeIDText(v)
    },
    equal: sameOptString,
  }
}

function decodeGoString(raw: Buffer, goType = 'string'): string {
  if (isNullRaw(raw)) return ''
  if (kindOf(raw) !== 'string') throw typeError(raw, goType)
  return decodeString(raw)
}

const stringCodec: FieldCodec<string> = {
  decode: (raw) => decodeGoString(raw),
  absent: () => '',
  encode: (v) => goQuote(v ?? ''),
  equal: (a, b) => (a ?? '') === (b ?? ''),
}

const omitemptyStringCodec: FieldCodec<string | undefined> = {
  decode: (raw) => (isNullRaw(raw) ? undefined : decodeGoString(raw)),
  absent: () => undefined,
  encode: (v) => (v === undefined || v === '' ? undefined : goQuote(v)),
  equal: sameOptString,
}

function checkStatus(s: string): void {
  if (s !== '' && s !== 'active' && s !== 'inactive') {
    throw new SchemaError(`invalid status ${JSON.stringify(s)}: must be active or inactive`)
  }
}

/** Authorization status: `""` reads as active (decodeAuthorization) and writes as active (encodeAuthorization). */
const authStatusCodec: FieldCodec<AuthorizationStatus> = {
  decode(raw) {
    const s = decodeGoString(raw, 'influxdb.Status')
    checkStatus(s)
    return s === '' ? 'active' : (s as AuthorizationStatus)
  },
  absent: () => 'active',
  encode(v) {
    const s = (v as string | undefined) ?? ''
    if (s === '') return goQuote('active')
    if (s !== 'active' && s !== 'inactive') throw new SchemaError('encodeAuthorization: unknown authorization status')
    return goQuote(s)
  },
  equal: (a, b) => a === b,
}

/** User status: kept as stored (`""` stays `""`). */
const userStatusCodec: FieldCodec<UserStatus> = {
  decode(raw) {
    const s = decodeGoString(raw, 'influxdb.Status')
    checkStatus(s)
    return s as UserStatus
  },
  absent: () => '',
  encode(v) {
    const s = (v as string | undefined) ?? ''
    checkStatus(s)
    return goQuote(s)
  },
  equal: (a, b) => (a ?? '') === (b ?? ''),
}

/** A time.Time read like Time.UnmarshalJSON: the decoded value is the canonical Go form. */
function decodeTimeText(raw: Buffer): string {
  if (kindOf(raw) !== 'string') throw new SchemaError('Time.UnmarshalJSON: input is not a JSON string')
  const t = parseGoTime(stringContentRaw(raw))
  return formatGoTime(t.epochNs, t.offsetMinutes)
}

function encodeTimeText(v: string): string {
  const t = parseGoTime(v)
  return goQuote(formatGoTime(t.epochNs, t.offsetMinutes))
}

const timeCodec: FieldCodec<string> = {
  decode: (raw) => (isNullRaw(raw) ? GO_ZERO_TIME : decodeTimeText(raw)),
  absent: () => GO_ZERO_TIME,
  encode: (v) => encodeTimeText(v ?? GO_ZERO_TIME),
  equal: (a, b) => a === b,
}

/** *time.Time without omitempty: nil is written as null. */
const nullableTimeCodec: FieldCodec<string | null> = {
  decode: (raw) => (isNullRaw(raw) ? null : decodeTimeText(raw)),
  absent: () => null,
  encode: (v) => (v === null || v === undefined ? 'null' : encodeTimeText(v)),
  equal: (a, b) => (a ?? null) === (b ?? null),
}

/** *time.Time with omitempty: nil is omitted. */
const optionalTimeCodec: FieldCodec<string | undefined> = {
  decode: (raw) => (isNullRaw(raw) ? undefined : decodeTimeText(raw)),
  absent: () => undefined,
  encode: (v) => (v === undefined || v === null ? undefined : encodeTimeText(v)),
  equal: (a, b) => (a ?? undefined) === (b ?? undefined),
}

function decodeGoInt(raw: Buffer, goType: string): bigint {
  if (isNullRaw(raw)) return 0n
  if (kindOf(raw) !== 'number') throw typeError(raw, goType)
  return decodeInt64(raw)
}

/** time.Duration (int64 nanoseconds). */
const int64Codec: FieldCodec<bigint> = {
  decode: (raw) => decodeGoInt(raw, 'time.Duration'),
  absent: () => 0n,
  encode(v) {
    if (typeof v !== 'bigint') throw new SchemaError(`expected a bigint, got ${typeof v}`)
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new SchemaError(`integer out of int64 range: ${v}`)
    return encodeInt(v)
  },
  equal: (a, b) => a === b,
}

/** A Go int that fits a JS number (BucketType). */
const intCodec: FieldCodec<number> = {
  decode(raw) {
    const v = decodeGoInt(raw, 'influxdb.BucketType')
    if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SchemaError(`integer out of range: ${v}`)
    return Number(v)
  },
  absent: () => 0,
  encode: (v) => encodeInt(v),
  equal: (a, b) => a === b,
}

/** influxdb.MappingType: the strings "user" / "org" (anything else fails, like its UnmarshalJSON). */
const mappingTypeCodec: FieldCodec<'user' | 'org'> = {
  decode(raw) {
    const s = decodeGoString(raw, 'influxdb.MappingType')
    if (s !== 'user' && s !== 'org') throw new SchemaError(`unknown mapping type ${JSON.stringify(s)}`)
    return s
  },
  absent: () => 'user',
  encode(v) {
    if (v !== 'user' && v !== 'org') throw new SchemaError(`unknown mapping type ${JSON.stringify(v)}`)
    return goQuote(v)
  },
  equal: (a, b) => a === b,
}

// ---- permissions

const PERMISSION_FIELDS = ['action', 'resource'] as const
const RESOURCE_FIELDS = ['type', 'id', 'orgID'] as const

/** Go's assignment of object members to struct fields: last matching member per field; the rest reported. */
function assignMembers(raw: Buffer, names: readonly string[], ctx: DecodeCtx, goType: string): Map<string, Buffer> {
  if (kindOf(raw) !== 'object') throw typeError(raw, goType)
  const out = new Map<string, Buffer>()
  for (const e of parseObjectRaw(raw)) {
    const f = matchField(e.key, names)
    if (f === undefined) ctx.unknown.push(`${ctx.path}.${e.key}`)
    else out.set(f, e.valueRaw)
  }
  return out
}

function decodeOptionalIDPtr(raw: Buffer | undefined, path: string): string | undefined {
  if (raw === undefined || isNullRaw(raw)) return undefined
  try {
    if (kindOf(raw) !== 'string') throw typeError(raw, 'platform.ID')
    return decodeIDText(raw)
  } catch (err) {
    throw new SchemaError(reason(err), {field: path})
  }
}

function decodePermission(raw: Buffer, ctx: DecodeCtx): Permission {
  if (isNullRaw(raw)) return {action: '', resource: {type: ''}}
  const m = assignMembers(raw, PERMISSION_FIELDS, ctx, 'influxdb.Permission')
  const wrap = <T>(field: string, f: () => T): T => {
    try {
      return f()
    } catch (err) {
      if (err instanceof SchemaError && err.field !== undefined) throw err
      throw new SchemaError(reason(err), {field: `${ctx.path}.${field}`})
    }
  }
  const actionRaw = m.get('action')
  const action = actionRaw === undefined ? '' : wrap('action', () => decodeGoString(actionRaw, 'influxdb.Action'))
  const resourceRaw = m.get('resource')
  const resource: Permission['resource'] = {type: ''}
  if (resourceRaw !== undefined && !isNullRaw(resourceRaw)) {
    const rctx = {unknown: ctx.unknown, path: `${ctx.path}.resource`}
    const r = wrap('resource', () => assignMembers(resourceRaw, RESOURCE_FIELDS, rctx, 'influxdb.Resource'))
    const typeRaw = r.get('type')
    if (typeRaw !== undefined) resource.type = wrap('resource.type', () => decodeGoString(typeRaw, 'influxdb.ResourceType'))
    const id = decodeOptionalIDPtr(r.get('id'), `${ctx.path}.resource.id`)
    if (id !== undefined) resource.id = id
    const orgID = decodeOptionalIDPtr(r.get('orgID'), `${ctx.path}.resource.orgID`)
    if (orgID !== undefined) resource.orgID = orgID
  }
  return {action, resource}
}

/** One permission as json.Marshal writes influxdb.Permission. */
export function encodePermission(p: Permission): string {
  const r = p.resource ?? {type: ''}
  const res = encodeGoObject([
    ['type', goQuote(r.type ?? '')],
    ['id', r.id === undefined || r.id === null ? undefined : encodeIDText(r.id)],
    ['orgID', r.orgID === undefined || r.orgID === null ? undefined : encodeIDText(r.orgID)],
  ])
  return encodeGoObject([
    ['action', goQuote(p.action ?? '')],
    ['resource', res],
  ]).toString('utf8')
}

export function permissionsEqual(a: readonly Permission[] | null | undefined, b: readonly Permission[] | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.action !== y.action) return false
    if ((x.resource?.type ?? '') !== (y.resource?.type ?? '')) return false
    if ((x.resource?.id ?? undefined) !== (y.resource?.id ?? undefined)) return false
    if ((x.resource?.orgID ?? undefined) !== (y.resource?.orgID ?? undefined)) return false
  }
  return true
}

function clonePermissions(p: Permission[] | null): Permission[] | null {
  if (p === null || p === undefined) return null
  return p.map((x) => {
    const resource: Permission['resource'] = {type: x.resource?.type}
    if (x.resource?.id !== undefined) resource.id = x.resource.id
    if (x.resource?.orgID !== undefined) resource.orgID = x.resource.orgID
    return {action: x.action, resource}
  })
}

const permissionsCodec: FieldCodec<Permission[] | null> = {
  decode(raw, ctx) {
    if (isNullRaw(raw)) return null
    if (kindOf(raw) !== 'array') throw typeError(raw, '[]influxdb.Permission')
    return parseArrayRaw(raw).map((el, i) => decodePermission(el, {unknown: ctx.unknown, path: `${ctx.path}[${i}]`}))
  },
  absent: () => null,
  encode(v) {
    if (v === null || v === undefined) return 'null'
    return '[' + v.map(encodePermission).join(',') + ']'
  },
  equal: permissionsEqual,
  clone: clonePermissions,
}

// ---------------------------------------------------------------- record specs

interface FieldSpec {
  /** the Go JSON name, which is also the property name */
  json: string
  codec: FieldCodec<any>
}

interface RecordSpec<R extends InfluxRecord> {
  kind: R['kind']
  goType: string
  defaultBucket: string
  fields: FieldSpec[]
  /** the key this record should be stored under, when derivable */
  expectedKey?(r: R): string | undefined
}

const AUTHORIZATION_FIELDS: FieldSpec[] = [
  {json: 'id', codec: idCodec(true)},
  {json: 'token', codec: omitemptyStringCodec},
  {json: 'hashedToken', codec: omitemptyStringCodec},
  {json: 'status', codec: authStatusCodec},
  {json: 'description', codec: stringCodec},
  {json: 'orgID', codec: idCodec(true)},
  {json: 'userID', codec: idCodec(false)},
  {json: 'permissions', codec: permissionsCodec},
  {json: 'createdAt', codec: timeCodec},
  {json: 'updatedAt', codec: timeCodec},
]

const authorizationSpec: RecordSpec<Authorization> = {
  kind: 'authorization',
  goType: 'influxdb.Authorization',
  defaultBucket: B.AUTHORIZATIONS,
  fields: AUTHORIZATION_FIELDS,
  expectedKey: (r) => r.id,
}

const legacyAuthorizationSpec: RecordSpec<Authorization> = {...authorizationSpec, defaultBucket: B.LEGACY_AUTHORIZATIONS}

const userSpec: RecordSpec<User> = {
  kind: 'user',
  goType: 'influxdb.User',
  defaultBucket: B.USERS,
  fields: [
    {json: 'id', codec: idCodec(false)},
    {json: 'name', codec: stringCodec},
    {json: 'oauthID', codec: omitemptyStringCodec},
    {json: 'status', codec: userStatusCodec},
  ],
  expectedKey: (r) => r.id,
}

const organizationSpec: RecordSpec<Organization> = {
  kind: 'organization',
  goType: 'influxdb.Organization',
  defaultBucket: B.ORGANIZATIONS,
  fields: [
    {json: 'id', codec: idCodec(false)},
    {json: 'name', codec: stringCodec},
    {json: 'description', codec: stringCodec},
    {json: 'createdAt', codec: timeCodec},
    {json: 'updatedAt', codec: timeCodec},
  ],
  expectedKey: (r) => r.id,
}

const urmSpec: RecordSpec<UserResourceMapping> = {
  kind: 'urm',
  goType: 'influxdb.UserResourceMapping',
  defaultBucket: B.URMS,
  fields: [
    {json: 'userID', codec: idCodec(true)},
    {json: 'userType', codec: stringCodec},
    {json: 'mappingType', codec: mappingTypeCodec},
    {json: 'resourceType', codec: stringCodec},
    {json: 'resourceID', codec: idCodec(true)},
  ],
  expectedKey: (r) => r.resourceID + r.userID,
}

const bucketSpec: RecordSpec<Bucket> = {
  kind: 'bucket',
  goType: 'influxdb.Bucket',
  defaultBucket: B.BUCKETS,
  fields: [
    {json: 'id', codec: idCodec(false)},
    {json: 'orgID', codec: idCodec(false)},
    {json: 'type', codec: intCodec},
    {json: 'name', codec: stringCodec},
    {json: 'description', codec: stringCodec},
    {json: 'rp', codec: omitemptyStringCodec},
    {json: 'retentionPeriod', codec: int64Codec},
    {json: 'shardGroupDuration', codec: int64Codec},
    {json: 'createdAt', codec: timeCodec},
    {json: 'updatedAt', codec: timeCodec},
  ],
  expectedKey: (r) => r.id,
}

const migrationSpec: RecordSpec<Migration> = {
  kind: 'migration',
  goType: 'migration.Migration',
  defaultBucket: B.MIGRATIONS,
  fields: [
    {json: 'id', codec: idCodec(true)},
    {json: 'name', codec: stringCodec},
    {json: 'started_at', codec: nullableTimeCodec},
    {json: 'finished_at', codec: optionalTimeCodec},
  ],
  expectedKey: (r) => r.id,
}

const SPECS: Record<InfluxRecord['kind'], RecordSpec<any>> = {
  authorization: authorizationSpec,
  user: userSpec,
  organization: organizationSpec,
  urm: urmSpec,
  bucket: bucketSpec,
  migration: migrationSpec,
}

// ---------------------------------------------------------------- generic decode / encode

export interface DecodeOptions {
  /** the bucket the value came from (for messages; defaults to the record's usual bucket) */
  bucket?: string
  /** the record's bolt key (for messages and the id/key consistency warning) */
  key?: string | Uint8Array
}

export type DecodedRecord<R> = R & {source: RecordSource; unknownKeys: string[]}

function keyText(key: string | Uint8Array | undefined): string | undefined {
  if (key === undefined) return undefined
  return typeof key === 'string' ? key : Buffer.from(key).toString('latin1')
}

/** see authorizationDecodeCount */
let authorizationDecodes = 0

function decodeWith<R extends InfluxRecord>(spec: RecordSpec<R>, value: Uint8Array, options: DecodeOptions = {}): DecodedRecord<R> {
  if (spec === (authorizationSpec as unknown)) authorizationDecodes++
  const bucket = options.bucket ?? spec.defaultBucket
  const key = keyText(options.key)
  const where = {bucket, key}
  try {
    const raw = Buffer.from(value) // a copy: never alias the bolt page
    if (raw.length === 0) throw new SchemaError(`empty value is not a JSON object (${spec.goType})`)
    let entries: RawEntry[]
    try {
      entries = parseObjectRaw(raw)
    } catch (err) {
      throw new SchemaError(`invalid JSON: ${reason(err)}`)
    }
    const names = spec.fields.map((f) => f.json)
    const fields = new Map<string, Buffer>()
    const unknownKeys: string[] = []
    const duplicateKeys: string[] = []
    for (const e of entries) {
      const f = matchField(e.key, names)
      if (f === undefined) {
        unknownKeys.push(e.key)
        continue
      }
      if (fields.has(f)) duplicateKeys.push(e.key)
      fields.set(f, e.valueRaw)
    }
    const rec: Record<string, unknown> = {kind: spec.kind}
    const original: Record<string, unknown> = {}
    for (const f of spec.fields) {
      const fraw = fields.get(f.json)
      let v: unknown
      try {
        if (fraw === undefined) {
          const a = f.codec.absent()
          if (a !== null && typeof a === 'object' && 'missing' in a) throw new SchemaError((a as {missing: string}).missing)
          v = a
        } else {
          v = f.codec.decode(fraw, {unknown: unknownKeys, path: f.json})
        }
      } catch (err) {
        if (err instanceof SchemaError && err.field !== undefined) throw err
        throw new SchemaError(reason(err), {field: f.json})
      }
      if (v !== undefined) rec[f.json] = v
      original[f.json] = f.codec.clone ? f.codec.clone(v) : v
    }
    const warnings: string[] = []
    if (duplicateKeys.length > 0) warnings.push(`duplicate keys (the last one counts): ${duplicateKeys.join(', ')}`)
    const expected = spec.expectedKey?.(rec as unknown as R)
    if (key !== undefined && expected !== undefined && expected !== key) {
      warnings.push(`the record says ${JSON.stringify(expected)} but is stored under key ${JSON.stringify(key)}`)
    }
    const source: RecordSource = {bucket, key, raw, entries, fields, original, unknownKeys, duplicateKeys, warnings}
    rec.source = source
    rec.unknownKeys = [...unknownKeys]
    return rec as unknown as DecodedRecord<R>
  } catch (err) {
    if (err instanceof SchemaError) throw err.withContext(where)
    throw new SchemaError(`cannot decode ${spec.goType}: ${reason(err)}`, where)
  }
}

function encodeWith<R extends InfluxRecord>(spec: RecordSpec<R>, rec: R): Buffer {
  const src = rec.source
  const usable = src !== undefined && src.original !== undefined
  const pairs: Array<[string, Uint8Array | string | undefined]> = []
  const r = rec as unknown as Record<string, unknown>
  for (const f of spec.fields) {
    const v = r[f.json]
    const orig = usable ? src.fields.get(f.json) : undefined
    try {
      if (orig !== undefined && f.codec.equal(v, src!.original[f.json])) {
        pairs.push([f.json, compactJson(orig)])
      } else {
        pairs.push([f.json, f.codec.encode(v)])
      }
    } catch (err) {
      throw new SchemaError(`cannot encode ${spec.goType}: ${reason(err)}`, {
        bucket: src?.bucket ?? spec.defaultBucket,
        key: src?.key,
        field: err instanceof SchemaError && err.field !== undefined ? err.field : f.json,
      })
    }
  }
  return encodeGoObject(pairs)
}

// ---------------------------------------------------------------- public API

/**
 * How many times this process has decoded an authorization record, by the
 * full decoder or the fast path of readAuthorization (a value the fast path
 * hands on to the full decoder counts once). Tests read it
 * to prove that a single-record write decodes a bounded number of records,
 * whatever the number of tokens in the file.
 */
export function authorizationDecodeCount(): number {
  return authorizationDecodes
}

export function decodeAuthorization(value: Uint8Array, options?: DecodeOptions): DecodedRecord<Authorization> {
  return decodeWith(authorizationSpec, value, options)
}

export function encodeAuthorization(a: Authorization): Buffer {
  return encodeWith(authorizationSpec, a)
}

/** A legacy v1 authorization (legacy/authorizationsv1): the same JSON, `token` is the v1 user name. */
export function decodeLegacyAuthorization(value: Uint8Array, options?: DecodeOptions): DecodedRecord<Authorization> {
  return decodeWith(legacyAuthorizationSpec, value, options)
}

export function encodeLegacyAuthorization(a: Authorization): Buffer {
  return encodeWith(legacyAuthorizationSpec, a)
}

export function decodeUser(value: Uint8Array, options?: DecodeOptions): DecodedRecord<User> {
  return decodeWith(userSpec, value, options)
}

export function encodeUser(u: User): Buffer {
  return encodeWith(userSpec, u)
}

export function decodeOrganization(value: Uint8Array, options?: DecodeOptions): DecodedRecord<Organization> {
  return decodeWith(organizationSpec, value, options)
}

export function encodeOrganization(o: Organization): Buffer {
  return encodeWith(organizationSpec, o)
}

export function decodeUserResourceMapping(value: Uint8Array, options?: DecodeOptions): DecodedRecord<UserResourceMapping> {
  return decodeWith(urmSpec, value, options)
}

export function encodeUserResourceMapping(m: UserResourceMapping): Buffer {
  return encodeWith(urmSpec, m)
}

export function decodeBucket(value: Uint8Array, options?: DecodeOptions): DecodedRecord<Bucket> {
  return decodeWith(bucketSpec, value, options)
}

export function encodeBucket(b: Bucket): Buffer {
  return encodeWith(bucketSpec, b)
}

export function decodeMigration(value: Uint8Array, options?: DecodeOptions): DecodedRecord<Migration> {
  return decodeWith(migrationSpec, value, options)
}

export function encodeMigration(m: Migration): Buffer {
  return encodeWith(migrationSpec, m)
}

/** The record kind stored in a bucket, or undefined for buckets that hold no JSON records. */
export function recordKindOfBucket(bucket: string): InfluxRecord['kind'] | undefined {
  switch (bucket) {
    case B.AUTHORIZATIONS:
    case B.LEGACY_AUTHORIZATIONS:
      return 'authorization'
    case B.USERS: return 'user'
    case B.ORGANIZATIONS: return 'organization'
    case B.URMS: return 'urm'
    case B.BUCKETS: return 'bucket'
    case B.MIGRATIONS: return 'migration'
    default: return undefined
  }
}

/** Decodes a value of any record bucket (authorizationsv1, legacy/authorizationsv1, usersv1, organizationsv1, userresourcemappingsv1, bucketsv1, migrationsv1). */
export function decodeRecord(bucket: string, value: Uint8Array, key?: string | Uint8Array): DecodedRecord<InfluxRecord> {
  const kind = recordKindOfBucket(bucket)
  if (kind === undefined) throw new SchemaError('bucket does not hold JSON records', {bucket})
  return decodeWith(SPECS[kind], value, {bucket, key}) as DecodedRecord<InfluxRecord>
}

/** Encodes any record (see the module comment for the byte-exactness rule). */
export function encodeRecord(r: InfluxRecord): Buffer {
  const spec = SPECS[r.kind]
  if (spec === undefined) throw new SchemaError(`unknown record kind ${JSON.stringify((r as {kind: unknown}).kind)}`)
  return encodeWith(spec, r)
}

/** True when any known field differs from what was decoded (or the record was never decoded). */
export function isModified(r: InfluxRecord): boolean {
  const src = r.source
  if (src === undefined) return true
  const spec = SPECS[r.kind]
  const v = r as unknown as Record<string, unknown>
  return spec.fields.some((f) => !f.codec.equal(v[f.json], src.original[f.json]))
}

/** The bolt key a record belongs under (IDs as 16 hex, URMs as resourceID+userID), when it has one. */
export function recordKey(r: InfluxRecord): Buffer | undefined {
  switch (r.kind) {
    case 'urm': return B.urmKey(r.resourceID, r.userID)
    case 'authorization':
    case 'migration':
      return B.idKey(r.id)
    default:
      return r.id === undefined ? undefined : B.idKey(r.id)
  }
}

/**
 * The invariant influxd checks before writing an authorization
 * (Authorization.Valid): every permission that names an orgID names the
 * authorization's own orgID. Returns the problems found (empty when valid).
 */
export function authorizationProblems(a: Authorization): string[] {
  const problems: string[] = []
  for (const [i, p] of (a.permissions ?? []).entries()) {
    if (p.resource?.orgID !== undefined && p.resource.orgID !== a.orgID) {
      problems.push(`permission ${i} (${p.action} ${p.resource.type}) is not for org id ${a.orgID}`)
    }
  }
  return problems
}

// ---------------------------------------------------------------- fast read-only decoding

const AUTH_KEYS: ReadonlySet<string> = new Set(AUTHORIZATION_FIELDS.map((f) => f.json))
const AUTH_REQUIRED = ['id', 'status', 'description', 'orgID', 'permissions', 'createdAt', 'updatedAt'] as const
const CANONICAL_ID = /^[0-9a-f]{16}$/
const ZERO_ID = '0000000000000000'
const BACKSLASH = 0x5c

/**
 * Whether JSON.parse reads `value` exactly as the Go-style decoder does: valid
 * UTF-8 (no replacement characters to disagree about), and every escape one
 * that cannot change what a field means: the one-letter escapes and `\u`
 * escapes of control characters, `<`, `>`, `&`, U+2028 and U+2029 (what Go's
 * encoder writes). Surrogate escapes (Go and JS differ) and escapes of
 * ordinary characters (Go reads times without unescaping) are left to the
 * full decoder.
 */
function plainJson(value: Buffer): boolean {
  if (!isUtf8(value)) return false
  for (let i = value.indexOf(BACKSLASH); i !== -1; i = value.indexOf(BACKSLASH, i + 2)) {
    if (value[i + 1] !== 0x75) continue // \" \\ \/ \b \f \n \r \t (anything else is a syntax error for both)
    const code = Number.parseInt(value.toString('latin1', i + 2, i + 6), 16)
    if (!(code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029)) return false
    i += 4
  }
  return true
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function fastID(s: unknown): string {
  if (typeof s !== 'string') throw new Error('not a string')
  return CANONICAL_ID.test(s) && s !== ZERO_ID ? s : formatID(parseID(s))
}

function fastTime(s: unknown): string {
  if (typeof s !== 'string') throw new Error('not a string')
  return canonicalGoTime(s)
}

/** One scan's spans, reused record after record (nothing keeps them past the call that filled them). */
const SPANS = new AuthorizationSpans()

/**
 * The fastest path of readAuthorization: a record exactly as influxd writes
 * it (scanAuthorization) read from where its values are, without parsing
 * it; undefined for any other.
 */
function spannedAuthorization(value: Buffer): Authorization | undefined {
  if (!scanAuthorization(value, SPANS)) return undefined
  authorizationDecodes++
  return authorizationFromSpans(value, SPANS)
}

/** The fast path of readAuthorization; undefined when the value needs the full decoder. */
function fastAuthorization(value: Buffer): Authorization | undefined {
  if (!plainJson(value)) return undefined
  let o: unknown
  try {
    o = JSON.parse(value.toString('utf8'))
  } catch {
    return undefined
  }
  if (!isPlainObject(o)) return undefined
  for (const k of Object.keys(o)) if (!AUTH_KEYS.has(k)) return undefined
  for (const k of AUTH_REQUIRED) if (o[k] === undefined) return undefined
  try {
    const perms = o.permissions
    if (!Array.isArray(perms)) return undefined
    for (let i = 0; i < perms.length; i++) {
      const p: unknown = perms[i]
      if (!isPlainObject(p) || typeof p.action !== 'string' || !isPlainObject(p.resource)) return undefined
      const r = p.resource
      // the parsed objects are kept when they already are what the decoder
      // makes (members action, resource; type, id, orgID in that order; IDs
      // canonical): 600,000 permissions of 100,000 tokens are not copied
      let rankP = 0
      for (const k in p) {
        if (k === 'action' && rankP === 0) rankP = 1
        else if (k === 'resource' && rankP === 1) rankP = 2
        else if (k === 'action' || k === 'resource') rankP = 3
        else return undefined
      }
      let rankR = 0
      let usual = true
      for (const k in r) {
        const rank = k === 'type' ? 1 : k === 'id' ? 2 : k === 'orgID' ? 3 : 0
        if (rank === 0) return undefined
        if (rank <= rankR) usual = false
        rankR = rank
      }
      if (typeof r.type !== 'string') return undefined
      const id = r.id === undefined ? undefined : fastID(r.id)
      const orgID = r.orgID === undefined ? undefined : fastID(r.orgID)
      if (usual && rankP === 2 && id === r.id && orgID === r.orgID) continue
      const resource: Permission['resource'] = {type: r.type}
      if (id !== undefined) resource.id = id
      if (orgID !== undefined) resource.orgID = orgID
      perms[i] = {action: p.action, resource}
    }
    const permissions = perms as Permission[]
    const {status, description} = o
    if (typeof status !== 'string' || typeof description !== 'string') return undefined
    if (status !== '' && status !== 'active' && status !== 'inactive') return undefined
    const a: Authorization = {kind: 'authorization', id: fastID(o.id)} as Authorization
    if (o.token !== undefined) {
      if (typeof o.token !== 'string') return undefined
      a.token = o.token
    }
    if (o.hashedToken !== undefined) {
      if (typeof o.hashedToken !== 'string') return undefined
      a.hashedToken = o.hashedToken
    }
    a.status = status === '' ? 'active' : status
    a.description = description
    a.orgID = fastID(o.orgID)
    if (o.userID !== undefined) a.userID = fastID(o.userID)
    a.permissions = permissions
    a.createdAt = fastTime(o.createdAt)
    a.updatedAt = fastTime(o.updatedAt)
    a.unknownKeys = []
    authorizationDecodes++
    return a
  } catch {
    return undefined // the full decoder says what is wrong
  }
}

/**
 * An authorization's decoded values only, for reading (listing, checks):
 * exactly what decodeAuthorization gives, without `source`, so it cannot be
 * re-encoded byte for byte. Values that JSON.parse reads exactly like Go's
 * decoder (plain, well-formed, only known keys) take a fast path; everything
 * else goes through decodeAuthorization (same values, same errors).
 */
export function readAuthorization(value: Uint8Array, options?: DecodeOptions): Authorization {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  const fast = spannedAuthorization(buf) ?? fastAuthorization(buf)
  if (fast !== undefined) return fast
  const full: Authorization = decodeWith(authorizationSpec, value, options)
  delete full.source
  return full
}

/** Go struct order of the authorization fields, by JSON name. */
const AUTH_ORDER: ReadonlyMap<string, number> = new Map(AUTHORIZATION_FIELDS.map((f, i) => [f.json, i]))

/**
 * The top-level members of a JSON object that is compact (no whitespace
 * outside strings, anywhere), as [name, start, end) spans of the member
 * (`"name":value`); undefined when the bytes are not such an object or a key
 * holds an escape. The value must already be known to be valid JSON.
 */
function compactMembers(b: Buffer): Array<[string, number, number]> | undefined {
  if (b[0] !== 0x7b || b[b.length - 1] !== 0x7d) return undefined
  const out: Array<[string, number, number]> = []
  let i = 1
  if (b[i] === 0x7d) return i === b.length - 1 ? out : undefined
  for (;;) {
    const start = i
    if (b[i] !== 0x22) return undefined
    const keyEnd = b.indexOf(0x22, i + 1)
    if (keyEnd < 0) return undefined
    const name = b.toString('latin1', i + 1, keyEnd)
    if (name.includes('\\') || b[keyEnd + 1] !== 0x3a) return undefined
    i = keyEnd + 2
    // skip the value: strings, nesting; no whitespace allowed outside strings
    let depth = 0
    for (;;) {
      const c = b[i]
      if (c === undefined) return undefined
      if (c === 0x22) {
        // to the closing quote: the next quote not escaped (an odd run of backslashes before it escapes it)
        let q = b.indexOf(0x22, i + 1)
        for (;;) {
          if (q < 0) return undefined
          let k = q - 1
          while (b[k] === BACKSLASH) k--
          if ((q - 1 - k) % 2 === 0) break
          q = b.indexOf(0x22, q + 1)
        }
        i = q + 1
      } else if (c === 0x7b || c === 0x5b) {
        depth++
        i++
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break
        depth--
        i++
      } else if (c === 0x2c) {
        if (depth === 0) break
        i++
      } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        return undefined
      } else {
        i++
      }
    }
    out.push([name, start, i])
    if (b[i] === 0x7d) return i === b.length - 1 ? out : undefined
    i++ // the ','
  }
}

/**
 * The record influxd 2.9 writes when it hashes this raw token record:
 * `token` removed, `hashedToken` (= `hash`) inserted after `id`, every other
 * byte unchanged. Computed on the bytes when the record is exactly as Go
 * writes one (compact, known keys once each in struct order, a token and no
 * hashedToken, decodable); undefined otherwise, and the caller decodes and
 * re-encodes (encodeAuthorization gives the same bytes for such records).
 */
export function hashedRecordBytes(value: Uint8Array, hash: string): Buffer | undefined {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (scanAuthorization(buf, SPANS)) return spliceHashAt(buf, SPANS, goQuote(hash))
  const a = fastAuthorization(buf)
  return a === undefined ? undefined : spliceHash(buf, a, hash)
}

function spliceHash(buf: Buffer, a: Authorization, hash: string): Buffer | undefined {
  if (a.token === undefined || a.token === '' || a.hashedToken !== undefined) return undefined
  const members = compactMembers(buf)
  if (members === undefined || members[0]?.[0] !== 'id') return undefined
  let last = -1
  let token: [string, number, number] | undefined
  for (const m of members) {
    const pos = AUTH_ORDER.get(m[0])
    if (pos === undefined || pos <= last) return undefined
    last = pos
    if (m[0] === 'token') token = m
  }
  if (token === undefined) return undefined
  // members[0] is id; the bytes are {id,"hashedToken":…,<every member but
  // token>}: members are joined by single commas (compact), so that is three
  // runs of the stored bytes around the inserted member, the token member
  // and the comma before it left out
  const inserted = `,"hashedToken":${goQuote(hash)}`
  const idEnd = members[0]![2]
  const out = Buffer.allocUnsafe(buf.length + Buffer.byteLength(inserted) - (token[2] - token[1] + 1))
  let at = buf.copy(out, 0, 0, idEnd)
  at += out.write(inserted, at, 'utf8')
  at += buf.copy(out, at, idEnd, token[1] - 1)
  at += buf.copy(out, at, token[2])
  if (at !== out.length) throw new Error(`spliceHash: ${at} bytes written, ${out.length} expected`)
  return out
}

/**
 * readAuthorization, plus what hashing the record would write: `hashed(hash)`
 * gives the same bytes as decodeAuthorization + dropping `token` + setting
 * `hashedToken` + encodeAuthorization, from one decoding of the value where
 * it can (hashedRecordBytes), else through the full decoder.
 */
export function readAuthorizationForHashing(value: Uint8Array, options?: DecodeOptions): {record: Authorization; hashed: (hash: string) => Buffer} {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  const spanned = spannedAuthorization(buf)
  if (spanned !== undefined) {
    const record = spanned
    // what the splice needs, kept past the next scan into SPANS
    const spans = {id: SPANS.id, token: SPANS.token, tokenEnd: SPANS.tokenEnd, hashedToken: SPANS.hashedToken}
    return {
      record,
      hashed: (hash) => spliceHashAt(buf, spans, goQuote(hash)) ?? encodeHashed(buf, hash, options),
    }
  }
  const fast = fastAuthorization(buf)
  const record = fast ?? readAuthorization(buf, options)
  const hashed = (hash: string): Buffer => {
    const spliced = fast === undefined ? undefined : spliceHash(buf, fast, hash)
    return spliced ?? encodeHashed(buf, hash, options)
  }
  return {record, hashed}
}

/** The record decoded, its token dropped and hashedToken set, encoded as Go does. */
function encodeHashed(buf: Buffer, hash: string, options?: DecodeOptions): Buffer {
  const rec: Authorization = {...decodeWith(authorizationSpec, buf, options)}
  delete rec.token
  rec.hashedToken = hash
  return encodeAuthorization(rec)
}
