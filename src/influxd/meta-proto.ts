/**
 * The protobuf side of meta.db (see metadata.ts), on @bufbuild/protobuf:
 * a conformance-tested implementation that reads proto2 with presence,
 * 64-bit integers as bigint, and keeps unknown fields. Loaded only through
 * loadMetaCodec().
 *
 * The schema below is written from the field numbers of influxd's
 * `v1/services/meta/internal/meta.proto` (v2.9.1; unchanged since 1.x),
 * as a descriptor built at run time: no generated code.
 *
 * Writes never re-encode an existing message. influxd itself decodes meta.db
 * into its own structs and marshals them again, which drops what they do
 * not hold (1.x node lists, unknown fields); this tool instead splices: the
 * existing bytes stay as they are, the new databases are inserted where
 * Go's marshaller would put them (after the last database, fields being
 * written in field-number order) and the Index field is rewritten in place.
 * For a meta.db influxd wrote, the result is byte for byte what influxd
 * writes for the same change.
 */
import {create, createFileRegistry, fromBinary, isFieldSet, toBinary, type DescMessage} from '@bufbuild/protobuf'
import {BinaryReader, BinaryWriter, WireType} from '@bufbuild/protobuf/wire'
import {FileDescriptorProtoSchema} from '@bufbuild/protobuf/wkt'

import {ExitCode} from '../errors.js'
import {SchemaError} from './errors.js'
import {decodeMetaSummary, metaSummary} from './meta-reader.js'
import {DATA_DATABASES, DATA_INDEX, META_MESSAGES} from './meta-schema.js'
import {
  DEFAULT_REPLICA_N, DEFAULT_RETENTION_POLICY, METADATA_BUCKET, METADATA_KEY,
  type MetaCodec, type NewDatabase,
} from './metadata.js'

// ---------------------------------------------------------------- schema

const LABEL = {optional: 1, required: 2, repeated: 3} as const
const TYPE = {int64: 3, uint64: 4, int32: 5, bool: 8, string: 9, message: 11, uint32: 13} as const

/** meta.proto (meta-schema.ts) as a FileDescriptorProto. */
const META_PROTO = {
  name: 'meta.proto',
  package: 'meta',
  syntax: 'proto2',
  messageType: Object.entries(META_MESSAGES).map(([name, fields]) => ({
    name,
    field: fields.map(([fieldName, number, label, type, typeName]) => ({
      name: fieldName, number, label: LABEL[label], type: TYPE[type], ...(typeName === undefined ? {} : {typeName: `.meta.${typeName}`}),
    })),
  })),
}

// The decoded shapes (bufbuild names properties after the proto fields).
interface PbRetentionPolicy {
  Name: string
  Duration: bigint
  ShardGroupDuration: bigint
  ReplicaN: number
  ShardGroups: unknown[]
  Subscriptions: unknown[]
}
interface PbDatabase {
  Name: string
  DefaultRetentionPolicy: string
  RetentionPolicies: PbRetentionPolicy[]
  ContinuousQueries: unknown[]
}
interface PbData {
  Term: bigint
  Index: bigint
  ClusterID: bigint
  Databases: PbDatabase[]
  Users: unknown[]
  MaxShardGroupID: bigint
  MaxShardID: bigint
  $unknown?: unknown[]
}

interface Schemas {
  data: DescMessage
  database: DescMessage
  retentionPolicy: DescMessage
}

function schemas(): Schemas {
  const registry = createFileRegistry(create(FileDescriptorProtoSchema, META_PROTO), () => undefined)
  const get = (name: string): DescMessage => {
    const m = registry.getMessage(`meta.${name}`)
    if (m === undefined) throw new Error(`meta.proto: no message ${name}`)
    return m
  }
  return {data: get('Data'), database: get('DatabaseInfo'), retentionPolicy: get('RetentionPolicyInfo')}
}

// ---------------------------------------------------------------- reading

function corrupt(reason: string): SchemaError {
  return new SchemaError(`cannot decode ${METADATA_KEY}: ${reason}`, {bucket: METADATA_BUCKET, key: METADATA_KEY}, ExitCode.CORRUPT)
}

/** Go's proto.Unmarshal refuses a message whose required fields are missing (at any depth): the first one missing, as a path. */
function missingRequired(desc: DescMessage, msg: Record<string, unknown>, path: string): string | undefined {
  for (const f of desc.fields) {
    const at = `${path}.${f.name}`
    if (f.fieldKind === 'message') {
      if (isFieldSet(msg as never, f)) {
        const sub = missingRequired(f.message, msg[f.localName] as Record<string, unknown>, at)
        if (sub !== undefined) return sub
      } else if (f.presence === 3) return at
    } else if (f.fieldKind === 'list') {
      if (f.listKind === 'message') {
        const list = msg[f.localName] as Record<string, unknown>[]
        for (const [i, item] of list.entries()) {
          const sub = missingRequired(f.message, item, `${at}[${i}]`)
          if (sub !== undefined) return sub
        }
      }
    } else if (f.presence === 3 && !isFieldSet(msg as never, f)) {
      return at
    }
  }
  return undefined
}

interface FieldSpan {
  no: number
  wireType: WireType
  /** offset of the tag */
  start: number
  /** offset after the value */
  end: number
}

/** The top-level fields of a message, in the order they are stored. */
function topLevelFields(bytes: Uint8Array): FieldSpan[] {
  const reader = new BinaryReader(bytes)
  const out: FieldSpan[] = []
  while (reader.pos < reader.len) {
    const start = reader.pos
    const [no, wireType] = reader.tag()
    reader.skip(wireType, no)
    out.push({no, wireType, start, end: reader.pos})
  }
  return out
}

function lastOf<T>(list: readonly T[], pred: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return list[i]
  return undefined
}

// ---------------------------------------------------------------- the codec

export function createMetaCodec(): MetaCodec {
  const s = schemas()

  const decodePb = (bytes: Uint8Array): PbData => {
    let pb: PbData
    try {
      pb = fromBinary(s.data, bytes) as unknown as PbData
    } catch (err) {
      throw corrupt((err as Error).message)
    }
    const missing = missingRequired(s.data, pb as unknown as Record<string, unknown>, 'Data')
    if (missing !== undefined) throw corrupt(`required field ${missing} is not set (influxd cannot load it)`)
    return pb
  }

  const encodeDatabase = (db: NewDatabase): Buffer => {
    const rp = create(s.retentionPolicy, {
      Name: DEFAULT_RETENTION_POLICY, Duration: db.duration, ShardGroupDuration: db.shardGroupDuration, ReplicaN: DEFAULT_REPLICA_N,
    } as never)
    const info = create(s.database, {Name: db.name, DefaultRetentionPolicy: DEFAULT_RETENTION_POLICY, RetentionPolicies: [rp]} as never)
    return Buffer.from(toBinary(s.database, info))
  }

  const withDatabases = (bytes: Uint8Array, dbs: readonly NewDatabase[]): Buffer => {
    const before = decodePb(bytes)
    const names = new Set(before.Databases.map((d) => d.Name))
    for (const db of dbs) {
      if (names.has(db.name)) throw new SchemaError(`${METADATA_KEY} already has a database named ${db.name}`, {bucket: METADATA_BUCKET, key: METADATA_KEY}, ExitCode.ERROR)
      names.add(db.name)
    }
    const fields = topLevelFields(bytes)
    // Go keeps the last occurrence of a singular field: that is the one to replace.
    const index = lastOf(fields, (f) => f.no === DATA_INDEX && f.wireType === WireType.Varint)
    if (index === undefined) throw corrupt('no Index field')
    const lastDatabase = lastOf(fields, (f) => f.no === DATA_DATABASES)
    const insertAt = lastDatabase?.end ?? fields.find((f) => f.no > DATA_DATABASES)?.start ?? bytes.length

    const indexField = new BinaryWriter().tag(DATA_INDEX, WireType.Varint).uint64(before.Index + BigInt(dbs.length)).finish()
    const w = new BinaryWriter()
    for (const db of dbs) w.tag(DATA_DATABASES, WireType.LengthDelimited).bytes(encodeDatabase(db))
    const inserted = w.finish()

    // two edits at distinct places, applied in file order
    const edits = [
      {at: index.start, end: index.end, bytes: indexField},
      {at: insertAt, end: insertAt, bytes: inserted},
    ].sort((a, b) => a.at - b.at)
    const parts: Uint8Array[] = []
    let pos = 0
    for (const e of edits) {
      parts.push(bytes.subarray(pos, e.at), e.bytes)
      pos = e.end
    }
    parts.push(bytes.subarray(pos))
    const out = Buffer.concat(parts)

    // the result must read back as intended: the old content plus the new databases
    const after = decodePb(out)
    const ok = after.Index === before.Index + BigInt(dbs.length)
      && after.Databases.length === before.Databases.length + dbs.length
      && dbs.every((db, i) => {
        const got = after.Databases[before.Databases.length + i]!
        const rp = got.RetentionPolicies[0]
        return got.Name === db.name && got.DefaultRetentionPolicy === DEFAULT_RETENTION_POLICY && got.RetentionPolicies.length === 1
          && rp !== undefined && rp.Name === DEFAULT_RETENTION_POLICY && rp.Duration === db.duration && rp.ShardGroupDuration === db.shardGroupDuration && rp.ReplicaN === DEFAULT_REPLICA_N
      })
    if (!ok) throw new SchemaError(`internal error: the new ${METADATA_KEY} does not read back as intended`, {bucket: METADATA_BUCKET, key: METADATA_KEY}, ExitCode.ERROR)
    return out
  }

  const fresh = (clusterID: bigint): Buffer => {
    const data = create(s.data, {Term: 0n, Index: 1n, ClusterID: clusterID, MaxNodeID: 0n, MaxShardGroupID: 0n, MaxShardID: 0n} as never)
    return Buffer.from(toBinary(s.data, data))
  }

  const roundTrip = (bytes: Uint8Array): Buffer => Buffer.from(toBinary(s.data, decodePb(bytes) as never))

  // reading is the hand-written reader's; the library checks every splice above on its own
  return {decode: decodeMetaSummary, withDatabases, fresh, encodeDatabase, roundTrip, decodeWithLibrary: (bytes) => {
    const pb = decodePb(bytes)
    return metaSummary(pb as unknown as Record<string, unknown>, pb.$unknown?.length ?? 0)
  }}
}
