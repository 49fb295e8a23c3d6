/**
 * influxd's v1 meta store inside influxd.bolt (spec §13.3): one protobuf
 * `Data` message (InfluxDB 1.x `meta.proto`) under the key `meta.db` of the
 * bucket `v1_tsm1_metadata`. Every bucket needs a database there, named by
 * the bucket's 16-hex ID, with the retention policy `autogen`; without it
 * writes to the bucket fail with "database not found".
 *
 * This module holds what needs no protobuf library (names, influxd's shard
 * duration rules, the shapes read and written). Reading is meta-reader.ts
 * (by hand, no library: doctor and `bucket list` read meta.db on every run);
 * the codec for writes lives in meta-proto.ts and is loaded on demand by
 * loadMetaCodec(), so only commands that write meta.db load the library.
 */
import {ExitCode} from '../errors.js'
import {SchemaError} from './errors.js'

/** The bolt bucket of the v1 meta store (created by migration 7). */
export const METADATA_BUCKET = 'v1_tsm1_metadata'
/** The one key in it. */
export const METADATA_KEY = 'meta.db'
/** meta.DefaultRetentionPolicyName: the policy every bucket's database gets. */
export const DEFAULT_RETENTION_POLICY = 'autogen'
/** meta.DefaultRetentionPolicyReplicaN */
export const DEFAULT_REPLICA_N = 1

export const HOUR_NS = 3_600_000_000_000n
export const DAY_NS = 24n * HOUR_NS
/** meta.MinRetentionPolicyDuration: a non-zero retention below it is refused. */
export const MIN_RETENTION_POLICY_DURATION = HOUR_NS

/** meta's shardGroupDuration(d): the default shard-group duration for a retention period. */
export function defaultShardGroupDuration(retention: bigint): bigint {
  if (retention >= 180n * DAY_NS || retention === 0n) return 7n * DAY_NS
  if (retention >= 2n * DAY_NS) return DAY_NS
  return HOUR_NS
}

/**
 * meta.NormalisedShardDuration(sgd, d): what influxd's storage layer stores
 * as a bucket's shard-group duration (storage.BucketService.CreateBucket)
 * and in its retention policy: the default when 0, at least one hour's
 * default otherwise.
 */
export function normalisedShardDuration(sgd: bigint, retention: bigint): bigint {
  if (sgd === 0n) return defaultShardGroupDuration(retention)
  if (sgd < MIN_RETENTION_POLICY_DURATION) return defaultShardGroupDuration(MIN_RETENTION_POLICY_DURATION)
  return sgd
}

export interface RetentionPolicySummary {
  name: string
  /** nanoseconds, 0 = infinite */
  duration: bigint
  shardGroupDuration: bigint
  replicaN: number
  shardGroups: number
  subscriptions: number
}

export interface DatabaseSummary {
  name: string
  defaultRetentionPolicy: string
  retentionPolicies: RetentionPolicySummary[]
  continuousQueries: number
}

/** What a meta.db holds, as far as this tool reads it. */
export interface MetaSummary {
  term: bigint
  index: bigint
  clusterID: bigint
  databases: DatabaseSummary[]
  users: number
  maxShardGroupID: bigint
  maxShardID: bigint
  /** top-level fields this tool has no name for (kept byte for byte on writes) */
  unknownFields: number
}

/** A database as influxd's engine creates it for a new bucket: one policy, `autogen`, the default. */
export interface NewDatabase {
  /** the bucket ID, 16 hex */
  name: string
  /** the bucket's retention period, ns */
  duration: bigint
  /** already normalised */
  shardGroupDuration: bigint
}

/** Reading meta.db: meta-reader.ts's `metaReader`, which loads no library. */
export interface MetaReader {
  /** Decodes and checks a meta.db the way influxd reads it (required fields present); SchemaError (exit 4) otherwise. */
  decode(bytes: Uint8Array): MetaSummary
}

export interface MetaCodec extends MetaReader {
  /**
   * `bytes` with the databases appended and `Index` raised by one per
   * database (influxd commits once per bucket): the new databases go right
   * after the last existing one (where Go's marshaller puts them), the Index
   * field is re-encoded in place, every other byte stays as it was (unknown
   * fields included).
   */
  withDatabases(bytes: Uint8Array, dbs: readonly NewDatabase[]): Buffer
  /** The meta.db influxd's meta client writes at its first start (Index 1, no databases). */
  fresh(clusterID: bigint): Buffer
  /** One DatabaseInfo message, as Go's proto.Marshal writes it (for tests and plans). */
  encodeDatabase(db: NewDatabase): Buffer
  /**
   * Decoded and encoded again by the library, every field kept: equal to
   * the input for any meta.db Go wrote when the schema is right (field
   * numbers, types, labels). A check of the schema, never a write path.
   */
  roundTrip(bytes: Uint8Array): Buffer
  /** The library's own reading of meta.db: a second reader, independent of `decode` (tests compare the two). */
  decodeWithLibrary(bytes: Uint8Array): MetaSummary
}

let codec: Promise<MetaCodec> | undefined

/** The protobuf codec of meta.db, loaded on first use. */
export function loadMetaCodec(): Promise<MetaCodec> {
  codec ??= import('./meta-proto.js').then((m) => m.createMetaCodec())
  return codec
}

/** The bucket fields the database of a bucket derives from. */
export interface BucketRetention {
  id: string
  retentionPeriod: bigint
  shardGroupDuration: bigint
}

/**
 * The database influxd's engine creates for a bucket
 * (Engine.CreateBucket → CreateDatabaseWithRetentionPolicy), with the
 * checks influxd makes: a non-zero retention of at least an hour, and not
 * shorter than the shard-group duration.
 */
export function databaseForBucket(b: BucketRetention): NewDatabase {
  if (b.retentionPeriod < 0n) throw new SchemaError(`bucket ${b.id} has a negative retention period (${b.retentionPeriod} ns)`, {}, ExitCode.ERROR)
  if (b.retentionPeriod !== 0n && b.retentionPeriod < MIN_RETENTION_POLICY_DURATION) {
    throw new SchemaError(`bucket ${b.id}: retention policy duration must be at least 1h0m0s (influxd refuses ${b.retentionPeriod} ns)`, {}, ExitCode.ERROR)
  }
  const sgd = normalisedShardDuration(b.shardGroupDuration, b.retentionPeriod)
  if (b.retentionPeriod > 0n && b.retentionPeriod < sgd) {
    throw new SchemaError(`bucket ${b.id}: retention policy duration must be greater than the shard duration (influxd refuses ${b.retentionPeriod} ns < ${sgd} ns)`, {}, ExitCode.ERROR)
  }
  return {name: b.id, duration: b.retentionPeriod, shardGroupDuration: sgd}
}

/** Whether a database is the one a bucket needs: present, with its default policy among its policies. */
export function databaseProblem(db: DatabaseSummary | undefined): string | undefined {
  if (db === undefined) return 'no database'
  if (!db.retentionPolicies.some((rp) => rp.name === db.defaultRetentionPolicy)) return `its default retention policy ${JSON.stringify(db.defaultRetentionPolicy)} does not exist`
  return undefined
}

const UNITS: ReadonlyArray<[bigint, string]> = [[1_000_000n, 'ms'], [1_000n, 'µs'], [1n, 'ns']]

/** Go's time.Duration.String of a nanosecond count: 72h0m0s, 1.5s, 300ms, 0s. */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s'
  const neg = ns < 0n
  const u = neg ? -ns : ns
  const frac = (v: bigint, unit: bigint): string => {
    const whole = v / unit
    const rest = v % unit
    if (rest === 0n) return `${whole}`
    const digits = unit.toString().length - 1
    return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`
  }
  let text: string
  if (u < 1_000_000_000n) {
    const [unit, name] = UNITS.find(([unit]) => u >= unit)!
    text = `${frac(u, unit)}${name}`
  } else {
    const h = u / HOUR_NS
    const m = (u % HOUR_NS) / 60_000_000_000n
    const s = frac(u % 60_000_000_000n, 1_000_000_000n)
    text = h > 0n ? `${h}h${m}m${s}s` : m > 0n ? `${m}m${s}s` : `${s}s`
  }
  return neg ? `-${text}` : text
}
