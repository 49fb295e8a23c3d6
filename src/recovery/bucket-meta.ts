/**
 * Buckets and their databases in meta.db: `bucket list`, doctor's `buckets`
 * check and `bucket repair-meta`.
 *
 * influxd's storage layer gives every bucket a database named by its ID
 * with the default policy `autogen` (storage/bucket_service.go,
 * storage/engine.go CreateBucket); a bucket without one cannot be written
 * to ("database not found"). `influxd recovery org create` leaves its two
 * system buckets in that state, with a shard-group duration of 0 as well.
 * repair-meta adds the database influxd would have created, and sets a
 * zero shard-group duration in the bucket record to the value influxd's
 * migrations 15 and 18 backfill (NormalisedShardDuration(0, retention)),
 * keeping every other byte of the record (updatedAt included, as those
 * migrations do).
 */
import type {Tx} from '../bbolt/index.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import * as B from '../influxd/buckets.js'
import {formatID, parseID} from '../influxd/ids.js'
import {
  databaseForBucket, databaseProblem, METADATA_BUCKET, METADATA_KEY, normalisedShardDuration,
  type MetaCodec, type MetaReader, type MetaSummary, type NewDatabase,
} from '../influxd/metadata.js'
import {BUCKET_TYPE_SYSTEM, BUCKET_TYPE_USER, decodeBucket, decodeOrganization, encodeBucket, type Bucket, type DecodedRecord} from '../influxd/records.js'
import {
  describeMetaChange, metaWithDatabases, readMetaDb, requireBucket, requireWritableSchema, verifyDatabases, verifyWritten, type Written,
} from './org-write.js'
import {findOrg, type TenantRef} from './tenants.js'
import type {PlannedChange} from './user-write.js'

/** The state of meta.db as a whole. */
export type MetaState =
  | {state: 'ok'; summary: MetaSummary}
  | {state: 'no-bucket' | 'no-key' | 'undecodable'; problem: string}

/** Reads meta.db for listing and checks: never throws for a missing or undecodable one, says so. */
export function metaState(tx: Tx, codec: MetaReader): MetaState {
  if (tx.bucket(B.bucketName(METADATA_BUCKET)) === undefined) {
    return {state: 'no-bucket', problem: `the bucket ${METADATA_BUCKET} is missing (migration 7 creates it): influxd has no databases for any bucket`}
  }
  try {
    const m = readMetaDb(tx, codec)
    if (m === null) return {state: 'no-key', problem: `${METADATA_BUCKET} has no ${METADATA_KEY}: influxd starts with an empty one, without a database for any bucket`}
    return {state: 'ok', summary: m.summary}
  } catch (err) {
    return {state: 'undecodable', problem: (err as Error).message}
  }
}

/** "yes" | "missing" | a problem with the database | "unknown" (meta.db unreadable). */
export type DatabaseState = string

export interface BucketRow {
  id: string
  name?: string
  orgID?: string
  orgName?: string
  /** "user" or "system" (another stored number as such) */
  type?: string
  /** ns, 0 = infinite */
  retentionPeriod?: bigint
  /** ns, as stored in the bucket record */
  shardGroupDuration?: bigint
  /** whether meta.db has the bucket's database: yes, missing, or what is wrong with it */
  database: DatabaseState
  error?: string
}

function typeName(t: number): string {
  return t === BUCKET_TYPE_SYSTEM ? 'system' : t === BUCKET_TYPE_USER ? 'user' : String(t)
}

function databaseState(meta: MetaState, id: string): DatabaseState {
  if (meta.state !== 'ok') return meta.state === 'undecodable' ? 'unknown' : 'missing'
  const problem = databaseProblem(meta.summary.databases.find((d) => d.name === id))
  return problem === undefined ? 'yes' : problem === 'no database' ? 'missing' : problem
}

function bucketRow(tx: Tx, key: string, value: Uint8Array, meta: MetaState, orgNames: Map<string, string | undefined>): BucketRow {
  let b: DecodedRecord<Bucket>
  try {
    b = decodeBucket(value, {bucket: B.BUCKETS, key})
  } catch (err) {
    return {id: key, database: databaseState(meta, key), error: (err as Error).message}
  }
  const id = b.id ?? key
  const orgID = b.orgID
  let orgName: string | undefined
  if (orgID !== undefined) {
    if (!orgNames.has(orgID)) {
      const v = tx.bucket(B.bucketName(B.ORGANIZATIONS))?.get(B.idKey(orgID))
      let name: string | undefined
      try {
        name = v === undefined ? undefined : decodeOrganization(v).name
      } catch {
        name = undefined
      }
      orgNames.set(orgID, name)
    }
    orgName = orgNames.get(orgID)
  }
  return {
    id, name: b.name, ...(orgID !== undefined ? {orgID} : {}), ...(orgName !== undefined ? {orgName} : {}),
    type: typeName(b.type), retentionPeriod: b.retentionPeriod, shardGroupDuration: b.shardGroupDuration, database: databaseState(meta, id),
  }
}

/**
 * Every bucket (or the org's: read through bucketindexv1, whose keys start
 * with the org ID) with its org and its database state, in key order.
 */
export function bucketRows(tx: Tx, codec: MetaReader, filter: {org?: TenantRef} = {}): {rows: BucketRow[]; meta: MetaState; org?: {id: string; name: string}} {
  const meta = metaState(tx, codec)
  const buckets = tx.bucket(B.bucketName(B.BUCKETS))
  const orgNames = new Map<string, string | undefined>()
  const rows: BucketRow[] = []
  if (filter.org === undefined) {
    const c = buckets?.cursor()
    for (let e = c?.first() ?? null; e !== null; e = c!.next()) {
      if (e.value !== null) rows.push(bucketRow(tx, e.key.toString('latin1'), e.value, meta, orgNames))
    }
    return {rows, meta}
  }
  const org = findOrg(tx, filter.org)
  const prefix = B.idKey(org.id)
  const index = tx.bucket(B.bucketName(B.BUCKET_INDEX))
  const c = index?.cursor()
  const ids: string[] = []
  for (let e = c?.seek(prefix) ?? null; e !== null && e.key.subarray(0, prefix.length).equals(prefix); e = c!.next()) {
    if (e.value !== null) ids.push(Buffer.from(e.value).toString('latin1'))
  }
  for (const id of [...new Set(ids)].sort()) {
    let key: Buffer
    try {
      key = B.idKey(id)
    } catch {
      rows.push({id, database: 'unknown', error: `${B.BUCKET_INDEX} holds the invalid ID ${JSON.stringify(id)}`})
      continue
    }
    const v = buckets?.get(key)
    if (v === undefined) rows.push({id, database: databaseState(meta, id), error: `${B.BUCKET_INDEX} names bucket ${id}, which does not exist`})
    else rows.push(bucketRow(tx, id, v, meta, orgNames))
  }
  return {rows, meta, org: {id: org.id, name: org.name}}
}

export interface BucketDatabaseCheck {
  buckets: number
  meta: MetaState
  /** buckets whose database is missing or damaged */
  missing: BucketRow[]
  /** buckets whose record says a shard-group duration of 0 */
  zeroShardGroups: BucketRow[]
  /** records that cannot be decoded */
  undecodable: BucketRow[]
}

/** doctor's `buckets`: one pass over bucketsv1 against the database names of meta.db. */
export function checkBucketDatabases(tx: Tx, codec: MetaReader): BucketDatabaseCheck {
  const {rows, meta} = bucketRows(tx, codec)
  return {
    buckets: rows.length,
    meta,
    missing: rows.filter((r) => r.error === undefined && r.database !== 'yes' && r.database !== 'unknown'),
    zeroShardGroups: rows.filter((r) => r.error === undefined && r.shardGroupDuration === 0n),
    undecodable: rows.filter((r) => r.error !== undefined),
  }
}

// ---------------------------------------------------------------- repair-meta

export interface RepairedBucket {
  id: string
  name: string
  orgID?: string
  /** the database added (absent: it was there already) */
  database?: NewDatabase
  /** the shard-group duration written into the record (absent: unchanged) */
  shardGroupDuration?: {before: bigint; after: bigint}
}

export interface RepairResult {
  buckets: RepairedBucket[]
  /** IDs given that needed nothing */
  alreadyWhole: string[]
  meta: {indexBefore: bigint | null; indexAfter: bigint} | null
  changes: PlannedChange[]
  ids: string[]
  readonly written: readonly Written[]
}

/** The IDs given, canonical and without repeats (exit 2 for one that is not an ID). */
export function parseBucketIDs(given: readonly string[]): string[] {
  const out: string[] = []
  for (const g of given) {
    let id: string
    try {
      id = formatID(parseID(g))
    } catch (err) {
      throw new UsageError(`invalid bucket ID ${JSON.stringify(g)}: ${(err as Error).message}`, 'an ID is 16 hexadecimal digits; "influx-recover bucket list" lists them')
    }
    if (!out.includes(id)) out.push(id)
  }
  if (out.length === 0) throw new UsageError('no bucket given', 'pass --id ID (repeatable)')
  return out
}

/**
 * What repair-meta would do for these buckets, without writing: each must
 * exist (exit 5 otherwise). Buckets that lack nothing are listed apart.
 */
export function planRepair(tx: Tx, codec: MetaCodec, ids: readonly string[]): {todo: Array<{id: string; record: DecodedRecord<Bucket>; addDatabase: boolean; fixShardGroups: boolean}>; alreadyWhole: string[]} {
  const buckets = requireBucket(tx, B.BUCKETS)
  const meta = readMetaDb(tx, codec)
  const todo = []
  const alreadyWhole: string[] = []
  for (const id of ids) {
    const v = buckets.get(B.idKey(id))
    if (v === undefined) throw new NotFoundError(`bucket ${id} does not exist`, '"influx-recover bucket list" lists the buckets with their IDs')
    const record = decodeBucket(v, {bucket: B.BUCKETS, key: id})
    const db = meta?.summary.databases.find((d) => d.name === id)
    const problem = databaseProblem(db)
    if (problem !== undefined && problem !== 'no database') {
      throw new RecoverError(`bucket ${id}: its database in ${METADATA_KEY} exists, but ${problem}`, ExitCode.ERROR, 'repair-meta only adds missing databases; this one needs influxd (or a restore)')
    }
    const addDatabase = problem === 'no database'
    const fixShardGroups = record.shardGroupDuration === 0n
    if (addDatabase || fixShardGroups) todo.push({id, record, addDatabase, fixShardGroups})
    else alreadyWhole.push(id)
  }
  return {todo, alreadyWhole}
}

/** Adds each bucket's missing database (and fixes a zero shard-group duration); one transaction. */
export function repairMeta(tx: Tx, codec: MetaCodec, input: {ids: readonly string[]; clusterID?: () => bigint}): RepairResult {
  requireWritableSchema(tx)
  const bucketsBucket = requireBucket(tx, B.BUCKETS)
  const metaBucket = requireBucket(tx, METADATA_BUCKET)
  const {todo, alreadyWhole} = planRepair(tx, codec, input.ids)
  const written: Written[] = []
  const changes: PlannedChange[] = []
  const repaired: RepairedBucket[] = []
  const databases: NewDatabase[] = []
  for (const t of todo) {
    const rec = t.record
    const r: RepairedBucket = {id: t.id, name: rec.name, ...(rec.orgID !== undefined ? {orgID: rec.orgID} : {})}
    if (t.fixShardGroups) {
      const after = normalisedShardDuration(0n, rec.retentionPeriod)
      const value = encodeBucket({...rec, shardGroupDuration: after})
      const key = B.idKey(t.id)
      bucketsBucket.put(key, value)
      written.push({bucket: B.BUCKETS, key, value})
      changes.push({action: 'change', bucket: B.BUCKETS, key: t.id, value: value.toString('utf8')})
      r.shardGroupDuration = {before: 0n, after}
    }
    if (t.addDatabase) {
      const db = databaseForBucket({id: t.id, retentionPeriod: rec.retentionPeriod, shardGroupDuration: r.shardGroupDuration?.after ?? rec.shardGroupDuration})
      databases.push(db)
      r.database = db
    }
    repaired.push(r)
  }
  let meta: RepairResult['meta'] = null
  if (databases.length > 0) {
    const m = metaWithDatabases(tx, codec, databases, input.clusterID)
    const key = Buffer.from(METADATA_KEY, 'latin1')
    const existed = metaBucket.get(key) !== undefined
    metaBucket.put(key, m.bytes)
    written.push({bucket: METADATA_BUCKET, key, value: m.bytes})
    changes.push({action: existed ? 'change' : 'add', bucket: METADATA_BUCKET, key: METADATA_KEY, value: describeMetaChange(m.indexBefore, m.indexAfter, databases)})
    meta = {indexBefore: m.indexBefore, indexAfter: m.indexAfter}
  }
  return {buckets: repaired, alreadyWhole, meta, changes, ids: repaired.map((r) => r.id), written}
}

/** Re-reads the records and meta.db; the mismatches. */
export function verifyRepair(tx: Tx, codec: MetaCodec, r: RepairResult): string[] {
  const problems = verifyWritten(tx, r.written)
  const dbs = r.buckets.flatMap((b) => (b.database !== undefined ? [b.database] : []))
  if (dbs.length > 0) problems.push(...verifyDatabases(tx, codec, dbs, r.meta?.indexAfter))
  for (const b of r.buckets) {
    if (b.shardGroupDuration === undefined) continue
    const v = tx.bucket(B.bucketName(B.BUCKETS))?.get(B.idKey(b.id))
    try {
      if (v === undefined || decodeBucket(v).shardGroupDuration !== b.shardGroupDuration.after) problems.push(`bucket ${b.id} does not have the shard-group duration written`)
    } catch (err) {
      problems.push(`bucket ${b.id} cannot be read back: ${(err as Error).message}`)
    }
  }
  return problems
}
