/**
 * Reads meta.db (see metadata.ts) by hand, without the protobuf library:
 * doctor and `bucket list` read it on every run, and the library costs more
 * to load than the whole read. Writes use the library (meta-proto.ts), which
 * also checks what they produce against this reader.
 *
 * It reads the proto2 wire format as influxd's unmarshaller does: fields in
 * any order, the last value of a singular field wins, repeated scalars packed
 * or not, unknown fields (groups included) skipped and counted at the top
 * level, and a message refused when a required field is missing at any depth
 * (the first one in declaration order, as a path: Data.Databases[0].Name) or
 * when a known field comes with the wrong wire type.
 */
import {ExitCode} from '../errors.js'
import {SchemaError} from './errors.js'
import {METADATA_BUCKET, METADATA_KEY, type DatabaseSummary, type MetaReader, type MetaSummary} from './metadata.js'
import {META_MESSAGES, type MetaFieldSpec} from './meta-schema.js'

const VARINT = 0
const FIXED64 = 1
const LENGTH_DELIMITED = 2
const START_GROUP = 3
const END_GROUP = 4
const FIXED32 = 5

/** A decoded message: field name -> value (singular) or values (repeated). */
type Message = Record<string, unknown>

class WireError extends Error {}

/** A cursor over one message's bytes. */
class Wire {
  pos: number
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number) {
    this.pos = start
  }

  varint(): bigint {
    let result = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new WireError('premature end of data in a varint')
      const b = this.bytes[this.pos++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result)
    }
    throw new WireError('a varint longer than 10 bytes')
  }

  /** A small varint (tags, lengths): refused beyond 2^31. */
  smallVarint(what: string): number {
    const v = this.varint()
    if (v > 0x7fffffffn) throw new WireError(`${what} ${v} is out of range`)
    return Number(v)
  }

  /** The [start, end) of a length-delimited value. */
  span(): [number, number] {
    const len = this.smallVarint('a length of')
    if (len > this.end - this.pos) throw new WireError(`a length of ${len} runs past the end of the data`)
    const start = this.pos
    this.pos += len
    return [start, this.pos]
  }

  skipBytes(n: number): void {
    if (n > this.end - this.pos) throw new WireError('premature end of data in a fixed-size field')
    this.pos += n
  }

  /** Skips a value of this wire type (a group up to its matching end). */
  skip(wireType: number, fieldNo: number): void {
    switch (wireType) {
      case VARINT:
        this.varint()
        return
      case FIXED64:
        this.skipBytes(8)
        return
      case LENGTH_DELIMITED:
        this.span()
        return
      case FIXED32:
        this.skipBytes(4)
        return
      case START_GROUP:
        for (;;) {
          if (this.pos >= this.end) throw new WireError(`group ${fieldNo} has no end`)
          const [no, wt] = this.tag()
          if (wt === END_GROUP) {
            if (no !== fieldNo) throw new WireError(`group ${fieldNo} ends as group ${no}`)
            return
          }
          this.skip(wt, no)
        }
      default:
        throw new WireError(`an end of group ${fieldNo} without its start`)
    }
  }

  tag(): [fieldNo: number, wireType: number] {
    const t = this.smallVarint('a tag')
    const no = t >>> 3
    const wireType = t & 7
    if (no === 0 || wireType > FIXED32) throw new WireError(`an invalid tag (field ${no}, wire type ${wireType})`)
    return [no, wireType]
  }
}

const utf8 = new TextDecoder() // proto2 strings are not checked for UTF-8 (as in Go)

function scalar(w: Wire, type: MetaFieldSpec[3]): unknown {
  switch (type) {
    case 'uint64':
      return w.varint()
    case 'int64':
      return BigInt.asIntN(64, w.varint())
    case 'uint32':
      return Number(BigInt.asUintN(32, w.varint()))
    case 'int32':
      return Number(BigInt.asIntN(32, w.varint()))
    case 'bool':
      return w.varint() !== 0n
    default:
      throw new Error(`not a varint type: ${type}`)
  }
}

const wireTypeOf = (type: MetaFieldSpec[3]): number => (type === 'string' || type === 'message' ? LENGTH_DELIMITED : VARINT)

/** Field number -> spec, per message (built once). */
const BY_NUMBER = new Map(Object.entries(META_MESSAGES).map(([name, fields]) => [name, new Map(fields.map((f) => [f[1], f]))]))

/** Decodes one message; `unknown` counts the unknown fields met at this level. */
function decodeMessage(bytes: Uint8Array, start: number, end: number, type: string, path: string, unknown?: {count: number}): Message {
  const fields = META_MESSAGES[type]!
  const byNumber = BY_NUMBER.get(type)!
  const msg: Message = {}
  for (const [name, , label] of fields) if (label === 'repeated') msg[name] = []
  const w = new Wire(bytes, start, end)
  while (w.pos < w.end) {
    const [no, wireType] = w.tag()
    const spec = byNumber.get(no)
    if (spec === undefined) {
      w.skip(wireType, no)
      if (unknown) unknown.count++
      continue
    }
    const [name, , label, valueType, sub] = spec
    const at = `${path}.${name}`
    if (label === 'repeated' && valueType !== 'string' && valueType !== 'message' && wireType === LENGTH_DELIMITED) {
      // a packed run of scalars
      const [s, e] = w.span()
      const packed = new Wire(bytes, s, e)
      const list = msg[name] as unknown[]
      while (packed.pos < packed.end) list.push(scalar(packed, valueType))
      continue
    }
    if (wireType !== wireTypeOf(valueType)) throw new WireError(`${at} has wire type ${wireType}, not ${wireTypeOf(valueType)}`)
    let value: unknown
    if (valueType === 'message') {
      const [s, e] = w.span()
      const list = msg[name] as unknown[]
      value = decodeMessage(bytes, s, e, sub!, `${at}[${list.length}]`)
    } else if (valueType === 'string') {
      const [s, e] = w.span()
      value = utf8.decode(bytes.subarray(s, e))
    } else {
      value = scalar(w, valueType)
    }
    if (label === 'repeated') (msg[name] as unknown[]).push(value)
    else msg[name] = value
  }
  return msg
}

/** The first required field missing at any depth, in declaration order, as a path; undefined when none is. */
function missingRequired(msg: Message, type: string, path: string): string | undefined {
  for (const [name, , label, valueType, sub] of META_MESSAGES[type]!) {
    const at = `${path}.${name}`
    if (label === 'repeated') {
      if (valueType !== 'message') continue
      const list = msg[name] as Message[]
      for (let i = 0; i < list.length; i++) {
        const missing = missingRequired(list[i]!, sub!, `${at}[${i}]`)
        if (missing !== undefined) return missing
      }
    } else if (label === 'required' && msg[name] === undefined) {
      return at
    }
  }
  return undefined
}

function corrupt(reason: string): SchemaError {
  return new SchemaError(`cannot decode ${METADATA_KEY}: ${reason}`, {bucket: METADATA_BUCKET, key: METADATA_KEY}, ExitCode.CORRUPT)
}

/** Decodes and checks a meta.db the way influxd reads it; SchemaError (exit 4) when influxd could not load it. */
export function decodeMetaSummary(bytes: Uint8Array): MetaSummary {
  const unknown = {count: 0}
  let data: Message
  try {
    data = decodeMessage(bytes, 0, bytes.length, 'Data', 'Data', unknown)
  } catch (err) {
    if (err instanceof WireError) throw corrupt(err.message)
    throw err
  }
  const missing = missingRequired(data, 'Data', 'Data')
  if (missing !== undefined) throw corrupt(`required field ${missing} is not set (influxd cannot load it)`)
  return metaSummary(data, unknown.count)
}

/**
 * The summary of a decoded Data message: `data` holds meta.proto's field
 * names (this reader's messages, and the protobuf library's, name them
 * alike), repeated fields as arrays.
 */
export function metaSummary(data: Record<string, unknown>, unknownFields: number): MetaSummary {
  const list = (m: Message, name: string): Message[] => m[name] as Message[]
  return {
    term: data.Term as bigint,
    index: data.Index as bigint,
    clusterID: data.ClusterID as bigint,
    databases: list(data, 'Databases').map((d): DatabaseSummary => ({
      name: d.Name as string,
      defaultRetentionPolicy: d.DefaultRetentionPolicy as string,
      retentionPolicies: list(d, 'RetentionPolicies').map((rp) => ({
        name: rp.Name as string,
        duration: rp.Duration as bigint,
        shardGroupDuration: rp.ShardGroupDuration as bigint,
        replicaN: rp.ReplicaN as number,
        shardGroups: list(rp, 'ShardGroups').length,
        subscriptions: list(rp, 'Subscriptions').length,
      })),
      continuousQueries: list(d, 'ContinuousQueries').length,
    })),
    users: list(data, 'Users').length,
    maxShardGroupID: data.MaxShardGroupID as bigint,
    maxShardID: data.MaxShardID as bigint,
    unknownFields,
  }
}

/** The read side of the meta.db codec, with no library to load. */
export const metaReader: MetaReader = {decode: decodeMetaSummary}
