/**
 * `org create`: an organization written the way influxd's org service
 * writes one through the storage layer of a running server (spec §13.1,
 * checked against v2.9.1 tenant/service_org.go, tenant/storage_org.go,
 * tenant/storage_bucket.go, storage/bucket_service.go, storage/engine.go,
 * v1/services/meta/client.go and data.go), in one transaction:
 *
 *  - organizationsv1[id] = {"id","name","description","createdAt","updatedAt"},
 *    times UTC, the name as given; organizationindexv1[TrimSpace(name)] = id;
 *  - the system buckets `_tasks` (3 d, "System bucket for task logs") and
 *    `_monitoring` (7 d, "System bucket for monitoring logs"): type 1, the
 *    shard-group duration normalised (1 d for both), bucketsv1 +
 *    bucketindexv1[orgID + name];
 *  - a database per bucket in v1_tsm1_metadata/meta.db (Index + 1 per
 *    database, autogen policy), every other byte of meta.db kept;
 *  - with an owner: the owner mapping and its by-user index entry.
 *
 * Org and bucket IDs are drawn as influxd draws them: random 64 bits with
 * the bytes 0x5C, 0x2C and 0x20 raised by one, retried until unused.
 * `influxd recovery org create` instead leaves both buckets without a
 * database (unwritable) and with a shard-group duration of 0.
 */
import {randomBytes} from 'node:crypto'

import type {Bucket, Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError, UsageError} from '../errors.js'
import * as B from '../influxd/buckets.js'
import {goTimeNowString} from '../influxd/gotime.js'
import {OrgBucketIDGenerator} from '../influxd/ids.js'
import {
  databaseForBucket, DAY_NS, DEFAULT_RETENTION_POLICY, goDurationString, METADATA_BUCKET, METADATA_KEY,
  type MetaCodec, type MetaReader, type MetaSummary, type NewDatabase,
} from '../influxd/metadata.js'
import {
  BUCKET_TYPE_SYSTEM, decodeBucket, decodeOrganization, decodeUserResourceMapping, encodeBucket, encodeOrganization, encodeUserResourceMapping,
} from '../influxd/records.js'
import {detectSchema} from '../influxd/schema.js'
import {findOrg, findUser, type TenantRef} from './tenants.js'
import type {PlannedChange} from './user-write.js'

// ---------------------------------------------------------------- shared by the org and bucket writes

/** One key the write put (or deleted: value null), for verification. */
export interface Written {
  bucket: string
  key: Buffer
  /** null: the key was deleted */
  value: Buffer | null
}

/** Refuses files whose schema this tool does not write (exit 4). */
export function requireWritableSchema(tx: Tx): void {
  const schema = detectSchema(tx)
  if (!schema.writable) {
    const first = schema.problems[0] ?? `unknown schema (${schema.influxdRange})`
    throw new RecoverError(`refusing to write: the influxd schema of this file is not one this tool can write safely: ${first}`, ExitCode.CORRUPT, 'run "influx-recover doctor" for details')
  }
}

/** A top-level bucket the write needs; exit 4 when the file has none. */
export function requireBucket(tx: Tx, name: string): Bucket {
  const b = tx.bucket(B.bucketName(name))
  if (b === undefined) throw new RecoverError(`bucket "${name}" is missing: this is not a complete influxd.bolt`, ExitCode.CORRUPT, 'run "influx-recover doctor" for details')
  return b
}

/** C0 and C1 controls, DEL, and the bidi formatting characters (they reorder what a terminal shows). */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u // eslint-disable-line no-control-regex
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Refuses (exit 2) a name or description influxd would store but no one
 * could later read safely: control or bidi characters, invalid UTF-16 (Go
 * would store U+FFFD), and for names leading or trailing white space
 * (influxd indexes org names trimmed) or nothing left after trimming.
 */
export function checkText(what: string, text: string, opts: {name: boolean}): void {
  const trimmed = B.goTrimSpace(text)
  if (opts.name && trimmed.length === 0) throw new UsageError(`the ${what} is empty`, `influxd refuses names that are empty after trimming white space ("org name is empty")`)
  const m = UNSAFE_CHARS.exec(text)
  if (m !== null) {
    const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    throw new UsageError(`the ${what} contains the control or bidi character U+${cp}`, `use printable characters only in the ${what}`)
  }
  if (LONE_SURROGATE.test(text)) throw new UsageError(`the ${what} is not valid Unicode`)
  if (opts.name && trimmed !== text) throw new UsageError(`the ${what} ${JSON.stringify(text)} has leading or trailing white space`, `use ${JSON.stringify(trimmed)}`)
}

/** The meta.db as stored, decoded; null when the key is absent (influxd writes a fresh one at its next start). */
export function readMetaDb(tx: Tx, codec: MetaReader): {bytes: Buffer; summary: MetaSummary} | null {
  const bucket = tx.bucket(B.bucketName(METADATA_BUCKET))
  if (bucket === undefined) {
    throw new RecoverError(`bucket "${METADATA_BUCKET}" is missing: influxd keeps its databases there (migration 7 creates it); this is not a complete influxd.bolt`, ExitCode.CORRUPT, 'run "influx-recover doctor" for details')
  }
  const v = bucket.get(Buffer.from(METADATA_KEY, 'latin1'))
  if (v === undefined) return null
  const bytes = Buffer.from(v)
  return {bytes, summary: codec.decode(bytes)}
}

/** A positive random int63, like Go's rand.Int63() for a new meta.db's ClusterID. */
export function randomClusterID(): bigint {
  return randomBytes(8).readBigUInt64BE(0) >> 1n
}

/**
 * meta.db with these databases added (see MetaCodec.withDatabases); when
 * the key is absent, first the meta.db influxd writes at start (Index 1).
 */
export function metaWithDatabases(tx: Tx, codec: MetaCodec, dbs: readonly NewDatabase[], clusterID: () => bigint = randomClusterID): {bytes: Buffer; indexBefore: bigint | null; indexAfter: bigint} {
  const current = readMetaDb(tx, codec)
  const base = current?.bytes ?? codec.fresh(clusterID())
  const indexBefore = current === null ? null : current.summary.index
  const bytes = codec.withDatabases(base, dbs)
  return {bytes, indexBefore, indexAfter: (indexBefore ?? 1n) + BigInt(dbs.length)}
}

/** How meta.db changes, in words (the bytes are binary). */
export function describeMetaChange(indexBefore: bigint | null, indexAfter: bigint, dbs: readonly NewDatabase[]): string {
  const what = dbs.map((d) => `database ${d.name} (${DEFAULT_RETENTION_POLICY}: retention ${d.duration === 0n ? 'infinite' : goDurationString(d.duration)}, shard groups ${goDurationString(d.shardGroupDuration)}, replicaN 1)`).join(', ')
  return `(protobuf) ${indexBefore === null ? 'new meta.db, Index 1' : `Index ${indexBefore}`} -> ${indexAfter}, adds ${what}`
}

/** Re-reads every key written; the mismatches. */
export function verifyWritten(tx: Tx, written: readonly Written[]): string[] {
  const problems: string[] = []
  for (const w of written) {
    const got = tx.bucket(B.bucketName(w.bucket))?.get(w.key)
    const key = JSON.stringify(w.key.toString('utf8'))
    if (w.value === null) {
      if (got !== undefined) problems.push(`${w.bucket}: ${key} is still there`)
    } else if (got === undefined) problems.push(`${w.bucket}: ${key} is missing`)
    else if (!Buffer.from(got).equals(w.value)) problems.push(`${w.bucket}: ${key} does not hold the value written`)
  }
  return problems
}

/** The database of each bucket as it must be in meta.db: the mismatches. */
export function verifyDatabases(tx: Tx, codec: MetaCodec, dbs: readonly NewDatabase[], index?: bigint): string[] {
  const problems: string[] = []
  let meta
  try {
    meta = readMetaDb(tx, codec)
  } catch (err) {
    return [`${METADATA_KEY} cannot be read back: ${(err as Error).message}`]
  }
  if (meta === null) return [`${METADATA_KEY} is missing`]
  if (index !== undefined && meta.summary.index !== index) problems.push(`${METADATA_KEY} has Index ${meta.summary.index}, expected ${index}`)
  for (const want of dbs) {
    const got = meta.summary.databases.filter((d) => d.name === want.name)
    const rp = got[0]?.retentionPolicies.find((p) => p.name === DEFAULT_RETENTION_POLICY)
    if (got.length !== 1) problems.push(`${METADATA_KEY} has ${got.length} databases named ${want.name}, expected 1`)
    else if (got[0]!.defaultRetentionPolicy !== DEFAULT_RETENTION_POLICY || rp === undefined || rp.duration !== want.duration || rp.shardGroupDuration !== want.shardGroupDuration || rp.replicaN !== 1) {
      problems.push(`${METADATA_KEY}: database ${want.name} is not the one written`)
    }
  }
  return problems
}

// ---------------------------------------------------------------- org create

/** influxdb.TasksSystemBucketName / MonitoringSystemBucketName with their retention and description (service_org.go). */
export const SYSTEM_BUCKETS = [
  {name: '_tasks', retentionPeriod: 3n * DAY_NS, description: 'System bucket for task logs'},
  {name: '_monitoring', retentionPeriod: 7n * DAY_NS, description: 'System bucket for monitoring logs'},
] as const

export interface CreateOrgInput {
  name: string
  description?: string
  /** the user made owner (by name through userindexv1, or by ID) */
  owner?: TenantRef
  codec: MetaCodec
  /** org and bucket IDs (tests); default influxd's random generator */
  ids?: OrgBucketIDGenerator
  /** the time stamped (Go RFC 3339, UTC); default now */
  now?: string
  /** the ClusterID of a meta.db created from nothing (tests) */
  clusterID?: () => bigint
}

export interface CreatedBucket {
  id: string
  name: string
  type: 'system'
  /** ns */
  retentionPeriod: bigint
  /** ns */
  shardGroupDuration: bigint
}

export interface OrgCreateResult {
  org: {id: string; name: string; description: string; createdAt: string}
  buckets: CreatedBucket[]
  owner?: {id: string; name: string}
  meta: {indexBefore: bigint | null; indexAfter: bigint}
  changes: PlannedChange[]
  /** IDs of the records created (for the audit log) */
  ids: string[]
  readonly written: readonly Written[]
  readonly databases: readonly NewDatabase[]
}

/**
 * The checks of createOrg that need no write (also in a read-only
 * transaction): the name and description, a writable schema, the buckets it
 * writes, a unique trimmed name, the owner.
 */
export function precheckCreateOrg(tx: Tx, input: {name: string; description?: string; owner?: TenantRef}): {owner?: {id: string; name: string}} {
  checkText('organization name', input.name, {name: true})
  if (input.description !== undefined) checkText('description', input.description, {name: false})
  requireWritableSchema(tx)
  for (const b of [B.ORGANIZATIONS, B.BUCKETS, B.BUCKET_INDEX, METADATA_BUCKET]) requireBucket(tx, b)
  const index = requireBucket(tx, B.ORGANIZATION_INDEX)
  // influxd's uniqueOrgName: the trimmed name must not be in the index
  if (index.get(B.orgIndexKey(input.name)) !== undefined) throw new RecoverError(`organization with name ${input.name} already exists`, ExitCode.ERROR, '"influx-recover org list" lists the organizations')
  if (input.owner === undefined) return {}
  requireBucket(tx, B.URMS)
  const u = findUser(tx, input.owner)
  return {owner: {id: u.id, name: u.name}}
}

/** Creates the org; see the module comment. */
export function createOrg(tx: Tx, input: CreateOrgInput): OrgCreateResult {
  const {owner} = precheckCreateOrg(tx, input)
  const description = input.description ?? ''
  const now = input.now ?? goTimeNowString(true)
  const gen = input.ids ?? new OrgBucketIDGenerator()
  const orgs = requireBucket(tx, B.ORGANIZATIONS)
  const orgIndex = requireBucket(tx, B.ORGANIZATION_INDEX)
  const buckets = requireBucket(tx, B.BUCKETS)
  const bucketIndex = requireBucket(tx, B.BUCKET_INDEX)
  const meta = requireBucket(tx, METADATA_BUCKET)
  const existingDatabases = new Set(readMetaDb(tx, input.codec)?.summary.databases.map((d) => d.name) ?? [])

  const urms = tx.bucket(B.bucketName(B.URMS))
  const hasPrefix = (bucket: Bucket | undefined, prefix: Buffer): boolean => {
    const e = bucket?.cursor().seek(prefix)
    return e !== null && e !== undefined && e.key.subarray(0, prefix.length).equals(prefix)
  }
  // unused as an org (influxd's check) and as the resource of a leftover mapping
  const orgID = gen.next((id) => orgs.get(B.idKey(id)) !== undefined || hasPrefix(urms, B.idKey(id)))

  const written: Written[] = []
  const changes: PlannedChange[] = []
  const put = (bucket: Bucket, bucketName: string, key: Buffer, value: Buffer, shown?: string): void => {
    const before = bucket.get(key)
    bucket.put(key, value)
    written.push({bucket: bucketName, key, value})
    changes.push({action: before === undefined ? 'add' : 'change', bucket: bucketName, key: key.toString('utf8'), value: shown ?? value.toString('utf8')})
  }

  put(orgs, B.ORGANIZATIONS, B.idKey(orgID), encodeOrganization({kind: 'organization', id: orgID, name: input.name, description, createdAt: now, updatedAt: now}))
  put(orgIndex, B.ORGANIZATION_INDEX, B.orgIndexKey(input.name), B.idKey(orgID))

  const created: CreatedBucket[] = []
  const databases: NewDatabase[] = []
  for (const sys of SYSTEM_BUCKETS) {
    const indexKey = B.bucketIndexKey(orgID, sys.name)
    if (bucketIndex.get(indexKey) !== undefined) throw new RecoverError(`bucket with name ${sys.name} already exists`, ExitCode.ERROR)
    // unused as a bucket (influxd's check) and as a database name in meta.db
    const id = gen.next((c) => buckets.get(B.idKey(c)) !== undefined || existingDatabases.has(c) || created.some((b) => b.id === c))
    const db = databaseForBucket({id, retentionPeriod: sys.retentionPeriod, shardGroupDuration: 0n})
    put(buckets, B.BUCKETS, B.idKey(id), encodeBucket({
      kind: 'bucket', id, orgID, type: BUCKET_TYPE_SYSTEM, name: sys.name, description: sys.description,
      retentionPeriod: sys.retentionPeriod, shardGroupDuration: db.shardGroupDuration, createdAt: now, updatedAt: now,
    }))
    put(bucketIndex, B.BUCKET_INDEX, indexKey, B.idKey(id))
    created.push({id, name: sys.name, type: 'system', retentionPeriod: sys.retentionPeriod, shardGroupDuration: db.shardGroupDuration})
    databases.push(db)
  }

  const m = metaWithDatabases(tx, input.codec, databases, input.clusterID)
  put(meta, METADATA_BUCKET, Buffer.from(METADATA_KEY, 'latin1'), m.bytes, describeMetaChange(m.indexBefore, m.indexAfter, databases))

  if (owner !== undefined) {
    const urmBucket = requireBucket(tx, B.URMS)
    const key = B.urmKey(orgID, owner.id)
    put(urmBucket, B.URMS, key, encodeUserResourceMapping({kind: 'urm', userID: owner.id, userType: 'owner', mappingType: 'user', resourceType: 'orgs', resourceID: orgID}))
    const byUser = tx.bucket(B.bucketName(B.URMS_BY_USER_INDEX))
    if (byUser !== undefined) put(byUser, B.URMS_BY_USER_INDEX, B.urmByUserIndexKey(owner.id, key), key)
  }

  return {
    org: {id: orgID, name: input.name, description, createdAt: now},
    buckets: created,
    ...(owner !== undefined ? {owner} : {}),
    meta: {indexBefore: m.indexBefore, indexAfter: m.indexAfter},
    changes,
    ids: [orgID, ...created.map((b) => b.id), ...(owner !== undefined ? [owner.id] : [])],
    written,
    databases,
  }
}

/** Re-reads what createOrg wrote, through the indexes as influxd does; the mismatches (empty = as intended). */
export function verifyCreateOrg(tx: Tx, codec: MetaCodec, r: OrgCreateResult): string[] {
  const problems = verifyWritten(tx, r.written)
  try {
    const org = findOrg(tx, {name: r.org.name})
    if (org.id !== r.org.id) problems.push(`${B.ORGANIZATION_INDEX} maps ${JSON.stringify(r.org.name)} to ${org.id}, expected ${r.org.id}`)
    const rec = decodeOrganization(tx.bucket(B.bucketName(B.ORGANIZATIONS))!.get(B.idKey(r.org.id))!)
    if (rec.name !== r.org.name || rec.description !== r.org.description) problems.push(`organization ${r.org.id} does not read back as written`)
  } catch (err) {
    problems.push(`cannot read organization ${r.org.id} back: ${(err as Error).message}`)
  }
  for (const b of r.buckets) {
    const id = tx.bucket(B.bucketName(B.BUCKET_INDEX))?.get(B.bucketIndexKey(r.org.id, b.name))
    if (id === undefined || Buffer.from(id).toString('latin1') !== b.id) {
      problems.push(`${B.BUCKET_INDEX} does not map ${r.org.id}${b.name} to ${b.id}`)
      continue
    }
    try {
      const rec = decodeBucket(tx.bucket(B.bucketName(B.BUCKETS))!.get(B.idKey(b.id))!)
      if (rec.orgID !== r.org.id || rec.name !== b.name || rec.type !== BUCKET_TYPE_SYSTEM || rec.retentionPeriod !== b.retentionPeriod || rec.shardGroupDuration !== b.shardGroupDuration) {
        problems.push(`bucket ${b.id} does not read back as written`)
      }
    } catch (err) {
      problems.push(`cannot read bucket ${b.id} back: ${(err as Error).message}`)
    }
  }
  problems.push(...verifyDatabases(tx, codec, r.databases, r.meta.indexAfter))
  if (r.owner !== undefined) {
    const v = tx.bucket(B.bucketName(B.URMS))?.get(B.urmKey(r.org.id, r.owner.id))
    try {
      const m = v === undefined ? undefined : decodeUserResourceMapping(v)
      if (m === undefined || m.userID !== r.owner.id || m.resourceID !== r.org.id || m.userType !== 'owner' || m.resourceType !== 'orgs') problems.push(`the owner mapping of ${r.owner.id} is not there as written`)
    } catch (err) {
      problems.push(`the owner mapping cannot be read back: ${(err as Error).message}`)
    }
  }
  return problems
}
