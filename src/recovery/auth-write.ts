/**
 * Writing API tokens (authorizationsv1 and its two token indexes) exactly as
 * influxd does: plain functions over a write transaction that make the change
 * and return what they did (the plan), so a dry run is the same call in a
 * transaction that is rolled back.
 *
 * What influxd writes (spec §4.1–4.3, §6, §8.2):
 *  - the record is `influxdb.Authorization` as json.Marshal writes it (Go
 *    field order, omitempty `token` / `hashedToken`), status "active", a
 *    snowflake ID ≥ 1000 unused in authorizationsv1, createdAt = updatedAt =
 *    now in the LOCAL zone of the writing process;
 *  - a raw token has `token` and the raw index entry `token → id`; a hashed
 *    one has only `hashedToken` (right after `id`) and the hashed index entry
 *    `hash → id`, never a raw entry;
 *  - a token is unique across the raw index and the hashed index under every
 *    variant (spec §12.20).
 * Updates (rotate, status) change only the fields concerned and keep every
 * other field's original bytes; influxd itself never rotates a token, so the
 * old index keys are removed here (spec §4.2).
 */
import type {Bucket, Tx} from '../bbolt/index.js'
import {
  AUTHORIZATION_HASHED_INDEX, AUTHORIZATION_INDEX, AUTHORIZATIONS, BUCKETS, idKey, tokenIndexKey,
} from '../influxd/buckets.js'
import {goTimeNowString} from '../influxd/gotime.js'
import {allTokenHashes, DEFAULT_HASH_VARIANT, hashToken, HASH_VARIANTS, parseTokenHash, type HashVariant} from '../influxd/hashing.js'
import {formatID, parseID, SnowflakeGenerator} from '../influxd/ids.js'
import type {Permission} from '../influxd/permission.js'
import {allAccessPermissions, operatorPermissions, tokenResourceTypes} from '../influxd/permissions.js'
import {
  authorizationProblems, decodeAuthorization, decodeBucket, encodeAuthorization, type Authorization, type AuthorizationStatus,
} from '../influxd/records.js'
import {detectSchema, type SchemaInfo} from '../influxd/schema.js'
import {generateToken, tokenFingerprint} from '../influxd/token.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {tokenState, type TokenState} from './list.js'
import {
  authorizationById, holdsHashedTokens, indexEntriesOf, isUsableOperator, orgById, otherUsableOperator, recordIndexProblems,
  someAuthorizations, tokenConflict, userById,
} from './lookups.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'

export {tokenConflict} from './lookups.js'

// ---------------------------------------------------------------- inputs

export type TokenStorage = 'raw' | 'hashed'

export interface TokenChoice {
  /** a chosen token value (from stdin or a file); a new random one when undefined */
  token?: string
  /** store only the hash (true), the plaintext (false), or like the file's other tokens (undefined) */
  hashed?: boolean
  /** the hash variant when stored hashed (default sha256, influxd's only choice for new hashes) */
  variant?: HashVariant
}

export interface CreateOperatorInput extends TokenChoice {
  user: TenantRef
  org: TenantRef
  /** default: "<user name>'s Recovery Token", as `influxd recovery auth create-operator` */
  description?: string
}

/** The permissions of `auth create`, as the flags of `influx auth create` give them. */
export type PermissionRequest =
  | {kind: 'operator'}
  | {kind: 'all-access'}
  | {kind: 'custom'; readBuckets: string[]; writeBuckets: string[]; read: string[]; write: string[]}

export interface CreateAuthorizationInput extends TokenChoice {
  user: TenantRef
  org: TenantRef
  permissions: PermissionRequest
  /** default: empty, like influx auth create without --description */
  description?: string
}

export interface RotateInput {
  id: string
  /** a chosen new value; a new random one when undefined */
  token?: string
  /** another hash variant for a hashed token (default: the one it has) */
  variant?: HashVariant
}

export interface SetStatusInput {
  id: string
  status: AuthorizationStatus
  /** also deactivate the last usable operator token */
  force?: boolean
}

export interface DeleteInput {
  id: string
  /** also delete the last usable operator token */
  force?: boolean
}

// ---------------------------------------------------------------- results

export type AuthOperation = 'create' | 'rotate' | 'activate' | 'deactivate' | 'delete'

/** One change, as shown to people: token keys as fingerprints, records without their secret. */
export interface PlanStep {
  action: 'add' | 'change' | 'remove'
  bucket: string
  key: string
  value?: string
}

interface ExpectedPut {
  bucket: string
  key: Buffer
  value: Buffer
  /** the key as shown in messages */
  shown: string
}

interface ExpectedAbsent {
  bucket: string
  key: Buffer
  shown: string
}

export interface AuthWriteResult {
  operation: AuthOperation
  id: string
  /** the record as written; null when deleted */
  record: Authorization | null
  /** the record before the change (null when created, or when an undecodable one was deleted) */
  before: Authorization | null
  userName?: string
  orgName?: string
  /**
   * the new token (create, rotate): the command prints it once; it is never
   * logged, audited or shown in a plan
   */
  token?: string
  /** true when the token is a new random one (not chosen) */
  tokenGenerated: boolean
  /** how the token is stored after the change */
  tokenState: TokenState
  variant?: HashVariant
  /** what changes, for --dry-run */
  plan: PlanStep[]
  /** SHA-256 fingerprints of the tokens involved (new and replaced plaintexts), for the audit */
  fingerprints: string[]
  /** remarks for the user (stderr) */
  notes: string[]
  /** for verify: the exact entries that must be there, and the ones that must not */
  expectPresent: ExpectedPut[]
  expectAbsent: ExpectedAbsent[]
  /** the changed record's own index problems before the write (verify reports only new ones) */
  indexProblemsBefore: string[]
}

// ---------------------------------------------------------------- shared helpers

/** The order `influx auth create` adds --read-X/--write-X permissions (influx-cli BuildResourcePermissions, OSS). */
export const INFLUX_CLI_TYPE_ORDER: readonly string[] = Object.freeze([
  'authorizations', 'buckets', 'dashboards', 'orgs', 'tasks', 'telegrafs', 'users', 'variables', 'secrets', 'labels',
  'views', 'documents', 'notificationRules', 'notificationEndpoints', 'checks', 'dbrp', 'annotations',
  'sources', 'scrapers', 'notebooks', 'remotes', 'replications',
])

/** Every type a --read-X/--write-X flag exists for (the 22 token types of 2.2+). */
export const PERMISSION_FLAG_TYPES: readonly string[] = Object.freeze(tokenResourceTypes('2.2+'))

const ids = new SnowflakeGenerator()

/** How a token is named where it must not appear: the start of its SHA-256 fingerprint. */
export function tokenLabel(token: string): string {
  return `(token with sha256 fingerprint ${tokenFingerprint(token).slice(0, 16)}…)`
}

function bucket(tx: Tx, name: string): Bucket {
  const b = tx.bucket(Buffer.from(name))
  if (b === undefined) throw new RecoverError(`bucket "${name}" is missing: not an influxd metadata file, or a damaged one`, ExitCode.CORRUPT, 'run "influx-recover doctor" for a report')
  return b
}

/**
 * The schema report of a file this tool may write; otherwise exit 4 with the
 * reason (a level it does not know, migrations above 21, an unfinished
 * migration, missing token buckets).
 */
export function assertWritableSchema(tx: Tx): SchemaInfo {
  const schema = detectSchema(tx)
  if (!schema.writable) {
    const reason = schema.problems[0] ?? `its schema level is unknown (highest finished migration ${schema.highestFinished})`
    throw new RecoverError(`refusing to write: ${reason}`, ExitCode.CORRUPT, 'this tool writes only files of InfluxDB 2.0 – 2.9 whose migrations are complete; "influx-recover doctor" shows the schema report')
  }
  bucket(tx, AUTHORIZATIONS)
  bucket(tx, AUTHORIZATION_INDEX)
  return schema
}

function parseAuthID(id: string): string {
  try {
    return formatID(parseID(id))
  } catch (err) {
    throw new UsageError(`invalid authorization ID ${JSON.stringify(id)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits, as "auth list" shows it')
  }
}

/** The first tokens of the file, for a "does not exist" message (the first 20: no pass over every token). */
function listIds(tx: Tx): string {
  const {shown, more} = someAuthorizations(tx, 20)
  if (shown.length === 0) return 'the file has no tokens'
  return `the tokens in the file: ${shown.join(', ')}${more ? ', … (more)' : ''}`
}

interface Existing {
  id: string
  /** undefined when the stored value cannot be decoded */
  record?: Authorization
  error?: string
}

/** The record by its id (one lookup, one decode); exit 5 when there is none. */
function existingAuthorization(tx: Tx, idText: string): Existing {
  const id = parseAuthID(idText)
  bucket(tx, AUTHORIZATIONS)
  const found = authorizationById(tx, id)
  if (found === undefined) throw new NotFoundError(`authorization ${id} does not exist; ${listIds(tx)}`, '"influx-recover auth list" lists every token with its ID')
  return found
}

function undecodable(e: Existing, what: string): RecoverError {
  return new RecoverError(`cannot ${what} authorization ${e.id}: its record cannot be decoded (${e.error})`, ExitCode.CORRUPT, 'inspect it with "influx-recover bolt get --bucket authorizationsv1 --key ID"; "auth delete" can remove it')
}

function checkChosenToken(token: string): void {
  if (token.length === 0) throw new UsageError('the chosen token is empty', 'influxd needs a non-empty token')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(token)) throw new UsageError('the chosen token contains a control character (a line break?)', 'a token travels in an HTTP header: use printable characters only')
}

/** The token to store: the chosen one (refused when taken) or a new random one that is free. */
function pickToken(tx: Tx, chosen: string | undefined): {token: string; generated: boolean} {
  if (chosen !== undefined) {
    checkChosenToken(chosen)
    const conflict = tokenConflict(tx, chosen)
    if (conflict !== undefined) {
      throw new RecoverError(`the chosen token is already in use: ${conflict}`, ExitCode.ERROR, 'tokens must be unique in the whole file: choose another value, or leave out --token-stdin/--token-file for a new random token')
    }
    return {token: chosen, generated: false}
  }
  for (let i = 0; i < 10; i++) {
    const token = generateToken()
    if (tokenConflict(tx, token) === undefined) return {token, generated: true}
  }
  throw new RecoverError('could not generate a token that is not already in use', ExitCode.ERROR)
}

/**
 * How a new token is stored: as asked, else hashed when the file already
 * holds hashed tokens (its hashed index has an entry), raw otherwise.
 */
export function chooseStorage(schema: SchemaInfo, tx: Tx, choice: TokenChoice): {storage: TokenStorage; variant?: HashVariant; notes: string[]} {
  if (choice.variant !== undefined && !HASH_VARIANTS.includes(choice.variant)) throw new UsageError(`unknown hash variant ${JSON.stringify(choice.variant)}`, 'use sha256 or sha512')
  if (choice.hashed === false && choice.variant !== undefined) throw new UsageError('--variant applies to tokens stored hashed; it cannot be combined with --no-hashed')
  const fileHashed = holdsHashedTokens(tx)
  const hashed = choice.hashed ?? (choice.variant !== undefined ? true : fileHashed && schema.hasHashedIndex)
  const notes: string[] = []
  if (!hashed) {
    if (schema.level === '2.8+') notes.push('the token is stored raw, like the other tokens of this file; influxd 2.9 (hashing by default) stores only its hash at its next start, so keep the token now')
    return {storage: 'raw', notes}
  }
  if (!schema.hasHashedIndex) {
    throw new RecoverError(
      `cannot store the token hashed: the file has no "${AUTHORIZATION_HASHED_INDEX}" bucket (its schema is ${schema.influxdRange}; only InfluxDB 2.8 and later can use hashed tokens)`,
      ExitCode.ERROR,
      'leave out --hashed and --variant: the token is then stored raw, the way this InfluxDB stores tokens',
    )
  }
  if (schema.level !== '2.8+') notes.push(`the file's schema is ${schema.influxdRange}: releases before 2.8 cannot use hashed tokens, only 2.8 and later can`)
  return {storage: 'hashed', variant: choice.variant ?? DEFAULT_HASH_VARIANT, notes}
}

/**
 * Refuses to take away the last usable operator token (active, an existing
 * active user). Costs nothing with --force or when `a` is not one (its own
 * record and its user by id); otherwise the tokens are read only until
 * another usable operator turns up (otherUsableOperator).
 */
function guardLastOperator(tx: Tx, a: Authorization, verb: string, force: boolean | undefined): void {
  if (force || !isUsableOperator(tx, a) || otherUsableOperator(tx, a.id) !== undefined) return
  const id = a.id
  throw new RecoverError(
    `refusing to ${verb} ${id}: it is the last active operator token of an existing, active user; without it nobody can administer this InfluxDB`,
    ExitCode.ERROR,
    'create another one first ("influx-recover auth create-operator"), or pass --force to do it anyway',
  )
}

/** The record as shown in a plan: the secret replaced by a description of it. */
function shownRecord(a: Authorization, secret: {token?: string; generated: boolean}): string {
  const copy: Authorization = {...a}
  const isNew = secret.token !== undefined && copy.token === secret.token
  if (copy.token) copy.token = isNew ? (secret.generated ? '(a new random token)' : `(the chosen token, sha256 fingerprint ${tokenFingerprint(copy.token).slice(0, 16)}…)`) : tokenLabel(copy.token)
  // the hash of a chosen token is shown (it is what will be stored); a random one's would be another
  if (copy.hashedToken && secret.generated && secret.token !== undefined && allTokenHashes(secret.token).includes(copy.hashedToken)) {
    copy.hashedToken = `(${parseTokenHash(copy.hashedToken).variant} hash of the new random token)`
  }
  return encodeAuthorization(copy).toString('utf8')
}

function newTokenKeyShown(token: string, generated: boolean): string {
  return generated ? '(a new random token)' : tokenLabel(token)
}

function hashKeyShown(hash: string, token: string | undefined, generated: boolean): string {
  if (generated && token !== undefined) return `(${parseTokenHash(hash).variant} hash of the new random token)`
  return hash
}

function baseResult(operation: AuthOperation, id: string, tx: Tx, before?: Authorization): AuthWriteResult {
  return {
    operation, id, record: null, before: null, tokenGenerated: false, tokenState: 'none', plan: [], fingerprints: [], notes: [],
    expectPresent: [], expectAbsent: [], indexProblemsBefore: before === undefined ? [] : recordIndexProblems(tx, before),
  }
}

/** Removes the raw and hashed index entries of `id` (indexEntriesOf: the record's own keys, leftovers beside a hashed record) and records it in the result. */
function removeIndexEntries(tx: Tx, id: string, record: Authorization | undefined, result: AuthWriteResult): void {
  const entries = indexEntriesOf(tx, id, record)
  const raw = tx.bucket(Buffer.from(AUTHORIZATION_INDEX))
  for (const key of entries.raw) {
    raw!.delete(key)
    const token = key.toString('utf8')
    const fp = tokenFingerprint(token)
    if (!result.fingerprints.includes(fp)) result.fingerprints.push(fp)
    const shown = tokenLabel(token)
    result.plan.push({action: 'remove', bucket: AUTHORIZATION_INDEX, key: shown})
    result.expectAbsent.push({bucket: AUTHORIZATION_INDEX, key, shown})
  }
  const hashed = tx.bucket(Buffer.from(AUTHORIZATION_HASHED_INDEX))
  for (const key of entries.hashed) {
    hashed!.delete(key)
    const shown = key.toString('utf8')
    result.plan.push({action: 'remove', bucket: AUTHORIZATION_HASHED_INDEX, key: shown})
    result.expectAbsent.push({bucket: AUTHORIZATION_HASHED_INDEX, key, shown})
  }
}

/** Puts the record and the index entry of its token; records both in the result. */
function putWithIndex(tx: Tx, rec: Authorization, secret: {token: string; generated: boolean}, action: 'add' | 'change', result: AuthWriteResult): void {
  const value = encodeAuthorization(rec)
  const key = idKey(rec.id)
  bucket(tx, AUTHORIZATIONS).put(key, value)
  result.plan.push({action, bucket: AUTHORIZATIONS, key: rec.id, value: shownRecord(rec, secret)})
  result.expectPresent.push({bucket: AUTHORIZATIONS, key, value, shown: rec.id})
  const idValue = Buffer.from(rec.id, 'latin1')
  if (rec.hashedToken) {
    const hkey = tokenIndexKey(rec.hashedToken)
    bucket(tx, AUTHORIZATION_HASHED_INDEX).put(hkey, idValue)
    const shown = hashKeyShown(rec.hashedToken, secret.token, secret.generated)
    result.plan.push({action: 'add', bucket: AUTHORIZATION_HASHED_INDEX, key: shown, value: rec.id})
    result.expectPresent.push({bucket: AUTHORIZATION_HASHED_INDEX, key: hkey, value: idValue, shown})
    // a hashed token never has a raw entry
    result.expectAbsent.push({bucket: AUTHORIZATION_INDEX, key: tokenIndexKey(secret.token), shown: newTokenKeyShown(secret.token, secret.generated)})
  } else {
    const rkey = tokenIndexKey(secret.token)
    bucket(tx, AUTHORIZATION_INDEX).put(rkey, idValue)
    const shown = newTokenKeyShown(secret.token, secret.generated)
    result.plan.push({action: 'add', bucket: AUTHORIZATION_INDEX, key: shown, value: rec.id})
    result.expectPresent.push({bucket: AUTHORIZATION_INDEX, key: rkey, value: idValue, shown})
  }
}

function setToken(rec: Authorization, token: string, storage: TokenStorage, variant: HashVariant | undefined): void {
  if (storage === 'raw') {
    rec.token = token
    rec.hashedToken = undefined
  } else {
    rec.hashedToken = hashToken(token, variant ?? DEFAULT_HASH_VARIANT)
    rec.token = undefined
  }
}

// ---------------------------------------------------------------- create

interface NewRecordInput extends TokenChoice {
  user: TenantRef
  org: TenantRef
  description?: string
  permissions: (ctx: {orgID: string; userID: string; schema: SchemaInfo}) => Permission[]
  defaultDescription: (userName: string) => string
}

function createRecord(tx: Tx, input: NewRecordInput): AuthWriteResult {
  const schema = assertWritableSchema(tx)
  const user = findUser(tx, input.user)
  const org = findOrg(tx, input.org)
  const {storage, variant, notes} = chooseStorage(schema, tx, input)
  const secret = pickToken(tx, input.token)
  const auths = bucket(tx, AUTHORIZATIONS)
  const id = ids.next((candidate) => auths.get(idKey(candidate)) !== undefined)
  const now = goTimeNowString(false)
  const rec: Authorization = {
    kind: 'authorization',
    id,
    status: 'active',
    description: input.description ?? input.defaultDescription(user.name),
    orgID: org.id,
    userID: user.id,
    permissions: input.permissions({orgID: org.id, userID: user.id, schema}),
    createdAt: now,
    updatedAt: now,
  }
  setToken(rec, secret.token, storage, variant)
  const invalid = authorizationProblems(rec)
  if (invalid.length > 0) throw new RecoverError(`the new token would be invalid: ${invalid[0]}`, ExitCode.ERROR)
  const result = baseResult('create', id, tx)
  if (user.record.status === 'inactive') notes.push(`user ${JSON.stringify(user.name)} is inactive: influxd refuses its tokens ("User is inactive") until the user is active again`)
  putWithIndex(tx, rec, secret, 'add', result)
  return {
    ...result,
    record: rec,
    userName: user.name,
    orgName: org.name,
    token: secret.token,
    tokenGenerated: secret.generated,
    tokenState: storage,
    ...(variant !== undefined ? {variant} : {}),
    fingerprints: [tokenFingerprint(secret.token)],
    notes,
  }
}

/** `auth create-operator`: the operator token `influxd recovery auth create-operator` makes, with the file's permission set. */
export function createOperator(tx: Tx, input: CreateOperatorInput): AuthWriteResult {
  return createRecord(tx, {
    ...input,
    permissions: ({schema}) => operatorPermissions(schema.permissionLevel),
    defaultDescription: (name) => `${name}'s Recovery Token`,
  })
}

export function bucketPermission(tx: Tx, action: 'read' | 'write', idText: string, orgID: string, orgName: string): Permission {
  let id: string
  try {
    id = formatID(parseID(idText))
  } catch (err) {
    throw new UsageError(`invalid bucket ID ${JSON.stringify(idText)}: ${(err as Error).message}`, 'did you pass a bucket name instead of an ID? "influx-recover bolt keys --bucket bucketsv1" lists them')
  }
  const b = tx.bucket(Buffer.from(BUCKETS))
  const value = b?.get(idKey(id))
  const orgBuckets = (): string => {
    const names: string[] = []
    b?.forEach((k, v) => {
      if (v === null) return
      try {
        const rec = decodeBucket(v, {bucket: BUCKETS, key: k.toString('latin1')})
        if (rec.orgID === orgID) names.push(`${rec.name} (${rec.id ?? k.toString('latin1')})`)
      } catch {
        // undecodable buckets are not offered
      }
    })
    return names.length === 0 ? `org ${JSON.stringify(orgName)} has no buckets` : `the buckets of org ${JSON.stringify(orgName)}: ${names.join(', ')}`
  }
  if (value === undefined) throw new NotFoundError(`bucket ID ${id} does not exist; ${orgBuckets()}`)
  const rec = decodeBucket(value, {bucket: BUCKETS, key: id})
  if (rec.orgID !== undefined && rec.orgID !== orgID) throw new NotFoundError(`bucket ${id} (${JSON.stringify(rec.name)}) belongs to another org; ${orgBuckets()}`)
  return {action, resource: {type: 'buckets', id, orgID}}
}

/** The permission list `influx auth create` sends for these flags (checked against the file's schema level). */
export function requestedPermissions(tx: Tx, req: PermissionRequest, ctx: {orgID: string; userID: string; orgName: string; schema: SchemaInfo}): Permission[] {
  const level = ctx.schema.permissionLevel
  if (req.kind === 'operator') return operatorPermissions(level)
  if (req.kind === 'all-access') return allAccessPermissions(ctx.orgID, ctx.userID, level)
  const known = new Set(tokenResourceTypes(level))
  for (const t of [...req.read, ...req.write]) {
    if (!PERMISSION_FLAG_TYPES.includes(t)) throw new UsageError(`unknown resource type ${JSON.stringify(t)}`, `known: ${PERMISSION_FLAG_TYPES.join(', ')}`)
    if (!known.has(t)) throw new UsageError(`resource type ${JSON.stringify(t)} does not exist in this file's schema (${ctx.schema.influxdRange})`, `it knows: ${[...known].join(', ')}`)
  }
  const out: Permission[] = []
  // a repeated flag value (the same bucket twice) grants nothing more: kept once
  const seen = new Set<string>()
  const add = (p: Permission): void => {
    const key = JSON.stringify([p.action, p.resource.type, p.resource.id ?? null, p.resource.orgID ?? null])
    if (seen.has(key)) return
    seen.add(key)
    out.push(p)
  }
  for (const id of req.readBuckets) add(bucketPermission(tx, 'read', id, ctx.orgID, ctx.orgName))
  for (const id of req.writeBuckets) add(bucketPermission(tx, 'write', id, ctx.orgID, ctx.orgName))
  const read = new Set(req.read)
  const write = new Set(req.write)
  for (const type of INFLUX_CLI_TYPE_ORDER) {
    // influx auth create leaves the org out of orgs and users permissions
    const resource = type === 'orgs' || type === 'users' ? {type} : {type, orgID: ctx.orgID}
    if (read.has(type)) add({action: 'read', resource: {...resource}})
    if (write.has(type)) add({action: 'write', resource: {...resource}})
  }
  if (out.length === 0) {
    throw new UsageError('no permissions given: a token must grant something', 'pass --all-access, --operator, --read-bucket ID, --write-bucket ID, or --read-TYPE/--write-TYPE flags (see --help)')
  }
  return out
}

/** `auth create`: a token with the permissions of `influx auth create`'s flags. */
export function createAuthorization(tx: Tx, input: CreateAuthorizationInput): AuthWriteResult {
  const orgName = (): string => findOrg(tx, input.org).name
  return createRecord(tx, {
    ...input,
    permissions: ({orgID, userID, schema}) => requestedPermissions(tx, input.permissions, {orgID, userID, orgName: orgName(), schema}),
    defaultDescription: () => '',
  })
}

// ---------------------------------------------------------------- rotate

/** `auth rotate`: a new token value; ID, permissions, description, user, org and status unchanged, updatedAt now. */
export function rotate(tx: Tx, input: RotateInput): AuthWriteResult {
  const schema = assertWritableSchema(tx)
  const existing = existingAuthorization(tx, input.id)
  if (existing.record === undefined) throw undecodable(existing, 'rotate')
  const before = existing.record
  const state = tokenState(before)
  let storage: TokenStorage
  let variant: HashVariant | undefined
  const notes: string[] = []
  if (before.hashedToken) {
    storage = 'hashed'
    let old: HashVariant = DEFAULT_HASH_VARIANT
    try {
      old = parseTokenHash(before.hashedToken).variant
    } catch {
      notes.push(`the old hash could not be read; the new one uses ${DEFAULT_HASH_VARIANT}`)
    }
    variant = input.variant ?? old
    if (!schema.hasHashedIndex) {
      throw new RecoverError(`authorization ${before.id} is stored hashed but the file has no "${AUTHORIZATION_HASHED_INDEX}" bucket`, ExitCode.ERROR, 'this InfluxDB cannot use hashed tokens: delete it and create a new one')
    }
  } else if (state === 'raw') {
    if (input.variant !== undefined) throw new UsageError(`--variant applies to tokens stored hashed; authorization ${before.id} is stored raw`)
    storage = 'raw'
  } else {
    const chosen = chooseStorage(schema, tx, {variant: input.variant})
    storage = chosen.storage
    variant = chosen.variant
    notes.push(...chosen.notes)
  }
  if (storage === 'raw' && schema.level === '2.8+') notes.push('the token is stored raw; influxd 2.9 (hashing by default) stores only its hash at its next start, so keep the token now')
  if (before.status === 'inactive') notes.push(`authorization ${before.id} stays inactive: "auth active --id ${before.id}" enables it`)
  const secret = pickToken(tx, input.token)
  const result = baseResult('rotate', before.id, tx, before)
  const rec: Authorization = {...before}
  setToken(rec, secret.token, storage, variant)
  rec.updatedAt = goTimeNowString(false)
  if (before.token) result.fingerprints.push(tokenFingerprint(before.token))
  // The old keys go (influxd has no rotation: its update would leave them behind), stale ones too.
  removeIndexEntries(tx, before.id, before, result)
  putWithIndex(tx, rec, secret, 'change', result)
  result.fingerprints.push(tokenFingerprint(secret.token))
  return {
    ...result,
    record: rec,
    before,
    userName: before.userID ? userById(tx, before.userID)?.name : undefined,
    orgName: orgById(tx, before.orgID)?.name,
    token: secret.token,
    tokenGenerated: secret.generated,
    tokenState: storage,
    ...(variant !== undefined ? {variant} : {}),
    notes,
  }
}

// ---------------------------------------------------------------- status, delete

/** The current state of one token (for the commands' checks before a write). */
export function peekAuthorization(tx: Tx, idText: string): {id: string; record?: Authorization; error?: string} {
  return existingAuthorization(tx, idText)
}

/** `auth active` / `auth inactive`: the status changes, updatedAt is now; the indexes stay as they are. */
export function setStatus(tx: Tx, input: SetStatusInput): AuthWriteResult {
  assertWritableSchema(tx)
  const existing = existingAuthorization(tx, input.id)
  if (existing.record === undefined) throw undecodable(existing, input.status === 'active' ? 'activate' : 'deactivate')
  const before = existing.record
  if (before.status === input.status) throw new RecoverError(`authorization ${before.id} is already ${input.status}`, ExitCode.ERROR)
  if (input.status === 'inactive') guardLastOperator(tx, before, 'deactivate', input.force)
  const result = baseResult(input.status === 'active' ? 'activate' : 'deactivate', before.id, tx, before)
  const rec: Authorization = {...before, status: input.status, updatedAt: goTimeNowString(false)}
  const value = encodeAuthorization(rec)
  const key = idKey(rec.id)
  bucket(tx, AUTHORIZATIONS).put(key, value)
  result.plan.push({action: 'change', bucket: AUTHORIZATIONS, key: rec.id, value: shownRecord(rec, {generated: false})})
  result.expectPresent.push({bucket: AUTHORIZATIONS, key, value, shown: rec.id})
  const user = before.userID ? userById(tx, before.userID) : undefined
  if (input.status === 'active' && before.userID && (user === undefined || user.status === 'inactive')) {
    result.notes.push(user === undefined ? `its user ${before.userID} does not exist: influxd still refuses the token` : `its user ${JSON.stringify(user.name)} is inactive: influxd still refuses the token`)
  }
  return {...result, record: rec, before, userName: user?.name, orgName: orgById(tx, before.orgID)?.name, tokenState: tokenState(rec)}
}

/** `auth delete`: the record and every index entry pointing at it are removed. */
export function deleteAuthorization(tx: Tx, input: DeleteInput): AuthWriteResult {
  assertWritableSchema(tx)
  const existing = existingAuthorization(tx, input.id)
  const before = existing.record ?? null
  if (before !== null) guardLastOperator(tx, before, 'delete', input.force)
  const result = baseResult('delete', existing.id, tx)
  const key = idKey(existing.id)
  bucket(tx, AUTHORIZATIONS).delete(key)
  result.plan.push({action: 'remove', bucket: AUTHORIZATIONS, key: existing.id, value: before ? shownRecord(before, {generated: false}) : `(undecodable: ${existing.error})`})
  result.expectAbsent.push({bucket: AUTHORIZATIONS, key, shown: existing.id})
  removeIndexEntries(tx, existing.id, existing.record, result)
  if (before?.token) {
    const fp = tokenFingerprint(before.token)
    if (!result.fingerprints.includes(fp)) result.fingerprints.push(fp)
  }
  const user = before?.userID ? userById(tx, before.userID) : undefined
  return {
    ...result,
    before,
    userName: user?.name,
    orgName: before ? orgById(tx, before.orgID)?.name : undefined,
    tokenState: before ? tokenState(before) : 'none',
  }
}

// ---------------------------------------------------------------- verify

/**
 * What differs between the file (as `tx` sees it) and what the write meant to
 * do: every intended entry byte for byte, every removed entry gone, the
 * record decodable with the intended status and token, and no index problem
 * of that record that it did not have before (recordIndexProblems). It reads
 * only the keys the write touched and the record's own index entries: the
 * rest of the file is the consistency check's, which runs after every write.
 */
export function verify(tx: Tx, result: AuthWriteResult): string[] {
  const problems: string[] = []
  for (const e of result.expectPresent) {
    const v = tx.bucket(Buffer.from(e.bucket))?.get(e.key)
    if (v === undefined) problems.push(`${e.bucket}: ${e.shown} is missing`)
    else if (!v.equals(e.value)) problems.push(`${e.bucket}: ${e.shown} does not hold what was written`)
  }
  for (const e of result.expectAbsent) {
    if (tx.bucket(Buffer.from(e.bucket))?.get(e.key) !== undefined) problems.push(`${e.bucket}: ${e.shown} is still there`)
  }
  if (result.record !== null) {
    const v = tx.bucket(Buffer.from(AUTHORIZATIONS))?.get(idKey(result.record.id))
    if (v !== undefined) {
      try {
        const back = decodeAuthorization(v, {bucket: AUTHORIZATIONS, key: result.record.id})
        if (back.status !== result.record.status) problems.push(`authorization ${result.id} reads back with status ${back.status}`)
        if ((back.token ?? '') !== (result.record.token ?? '') || (back.hashedToken ?? '') !== (result.record.hashedToken ?? '')) problems.push(`authorization ${result.id} reads back with another token`)
        if (result.token !== undefined && back.hashedToken && !allTokenHashes(result.token).includes(back.hashedToken)) problems.push(`authorization ${result.id}: the stored hash is not the new token's`)
        const before = new Set(result.indexProblemsBefore)
        for (const p of recordIndexProblems(tx, back, result.token)) if (!before.has(p)) problems.push(`token index: ${p}`)
      } catch (err) {
        problems.push(`authorization ${result.id} cannot be read back: ${(err as Error).message}`)
      }
    }
  }
  return problems
}

// ---------------------------------------------------------------- output

/** The one JSON object printed for a new or rotated token (the only place its value appears). */
export function tokenDocument(r: AuthWriteResult): Record<string, unknown> {
  const a = r.record!
  return {
    id: a.id,
    token: r.token,
    tokenState: r.tokenState,
    description: a.description,
    userID: a.userID ?? null,
    orgID: a.orgID,
    status: a.status,
    permissions: a.permissions,
  }
}

/** The record after a status change or before a delete, without any token. */
export function recordDocument(r: AuthWriteResult): Record<string, unknown> {
  const a = r.record ?? r.before
  if (a === null) return {id: r.id, ...(r.operation === 'delete' ? {deleted: true} : {})}
  return {
    id: a.id,
    tokenState: r.tokenState,
    description: a.description,
    userID: a.userID ?? null,
    orgID: a.orgID,
    status: a.status,
    permissions: a.permissions,
    ...(r.operation === 'delete' ? {deleted: true} : {}),
  }
}

/** The plan as lines: `add    authorizationsv1[KEY] = VALUE`. */
export function planLines(r: AuthWriteResult): string[] {
  return r.plan.map((s) => `${s.action.padEnd(6)} ${s.bucket}[${s.key}]${s.value !== undefined ? ` = ${s.value}` : ''}`)
}

/** The plan for --dry-run --json. */
export function planDocument(r: AuthWriteResult): Record<string, unknown> {
  const a = r.record ?? r.before
  return {
    dryRun: true,
    operation: r.operation,
    id: r.id,
    tokenState: r.tokenState,
    ...(r.variant !== undefined ? {variant: r.variant} : {}),
    ...(r.operation === 'create' || r.operation === 'rotate' ? {token: r.tokenGenerated ? '(a new random token)' : '(the chosen token)'} : {}),
    description: a?.description ?? null,
    userID: a?.userID ?? null,
    orgID: a?.orgID ?? null,
    status: a?.status ?? null,
    permissions: a?.permissions ?? null,
    plan: r.plan,
  }
}
