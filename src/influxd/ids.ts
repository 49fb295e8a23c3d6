/**
 * influxd IDs (`kit/platform.ID`): an unsigned 64-bit integer, never zero,
 * written as exactly 16 lowercase hex characters (in bolt keys and in JSON).
 * Also the two ID generators influxd uses: snowflake IDs (users,
 * authorizations, the instance ID) and random "org/bucket" IDs.
 */
import {randomBytes, randomInt} from 'node:crypto'
import {ExitCode} from '../errors.js'
import {SchemaError} from './errors.js'

export {SchemaError} from './errors.js'

/** The exact length, in bytes, of an encoded ID. */
export const ID_LENGTH = 16
/** The snowflake epoch (2017-04-09T00:00:00Z) in Unix milliseconds. */
export const SNOWFLAKE_EPOCH_MS = 1491696000000
/** Authorization IDs below this value are skipped by influxd's store. */
export const RESERVED_IDS = 1000
/** How many times influxd's stores try to find an unused ID. */
export const MAX_ID_ATTEMPTS = 100

export const ERR_ID_LENGTH = 'id must have a length of 16 bytes'
export const ERR_INVALID_ID = 'invalid ID'
export const ERR_ID_GENERATION = 'unable to generate valid id'

const U64_MAX = (1n << 64n) - 1n
const HEX_DIGIT = /^[0-9a-fA-F]$/

function invalid(reason: string): SchemaError {
  return new SchemaError(reason, {}, ExitCode.USAGE)
}

/**
 * Parses an encoded ID like Go's `ID.Decode`: exactly 16 bytes, hex digits
 * of either case (strconv.ParseUint base 16: no sign, no 0x, no underscores),
 * and not zero. A Uint8Array is taken as the raw bytes (a bolt key).
 */
export function parseID(s: string | Uint8Array): bigint {
  const text = typeof s === 'string' ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('latin1')
  const byteLength = typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : s.byteLength
  if (byteLength !== ID_LENGTH) throw invalid(ERR_ID_LENGTH)
  for (const ch of text) {
    if (!HEX_DIGIT.test(ch)) throw invalid(ERR_INVALID_ID)
  }
  const v = BigInt('0x' + text)
  if (v === 0n) throw invalid(ERR_INVALID_ID)
  return v
}

/** Like Go's `ID.Encode`: 16 lowercase hex characters; zero (and anything outside u64) is refused. */
export function formatID(v: bigint): string {
  if (v <= 0n || v > U64_MAX) throw invalid(ERR_INVALID_ID)
  return v.toString(16).padStart(ID_LENGTH, '0')
}

/** True when `s` decodes as an ID (any hex case). */
export function isValidID(s: string | Uint8Array): boolean {
  try {
    parseID(s)
    return true
  } catch {
    return false
  }
}

/** True when `s` is an ID in its canonical form (lowercase), i.e. formatID(parseID(s)) === s. */
export function isCanonicalID(s: string): boolean {
  return isValidID(s) && s === s.toLowerCase()
}

// ---------------------------------------------------------------- snowflake

const TIME_BITS = 42n
const MACHINE_BITS = 10n
const SEQ_BITS = 12n
const MACHINE_SHIFT = SEQ_BITS
const TIME_SHIFT = SEQ_BITS + MACHINE_BITS
const SEQ_MASK = (1n << SEQ_BITS) - 1n
const MACHINE_MAX = Number((1n << MACHINE_BITS) - 1n)
const TIME_MASK = (1n << TIME_BITS) - 1n

export interface SnowflakeParts {
  /** the millisecond the ID was generated */
  time: Date
  /** milliseconds since the snowflake epoch (the raw 42-bit field) */
  sinceEpochMs: number
  machine: number
  seq: number
}

function checkMachine(machineId: number): void {
  if (!Number.isInteger(machineId) || machineId < 0 || machineId > MACHINE_MAX) {
    throw new RangeError(`snowflake machine id must be an integer in 0..${MACHINE_MAX}, got ${machineId}`)
  }
}

/** Composes a snowflake ID: 42 bits of ms since 2017-04-09, 10 bits machine, 12 bits sequence. */
export function snowflakeID(now: Date, machineId: number, seq: number): string {
  checkMachine(machineId)
  if (!Number.isInteger(seq) || seq < 0 || seq > Number(SEQ_MASK)) {
    throw new RangeError(`snowflake sequence must be an integer in 0..${SEQ_MASK}, got ${seq}`)
  }
  const ms = now.getTime()
  if (!Number.isFinite(ms)) throw new RangeError('snowflake time is not a valid date')
  if (ms < SNOWFLAKE_EPOCH_MS) throw new RangeError('snowflake time is before the snowflake epoch (2017-04-09T00:00:00Z)')
  const t = BigInt(ms - SNOWFLAKE_EPOCH_MS) & TIME_MASK
  return formatID((t << TIME_SHIFT) | (BigInt(machineId) << MACHINE_SHIFT) | BigInt(seq))
}

/** Splits a snowflake ID into its time, machine and sequence fields. */
export function decodeSnowflake(id: string | bigint): SnowflakeParts {
  const v = typeof id === 'bigint' ? id : parseID(id)
  if (v <= 0n || v > U64_MAX) throw invalid(ERR_INVALID_ID)
  const sinceEpochMs = Number((v >> TIME_SHIFT) & TIME_MASK)
  return {
    time: new Date(SNOWFLAKE_EPOCH_MS + sinceEpochMs),
    sinceEpochMs,
    machine: Number((v >> MACHINE_SHIFT) & BigInt(MACHINE_MAX)),
    seq: Number(v & SEQ_MASK),
  }
}

export interface SnowflakeGeneratorOptions {
  /** 0..1023; by default random in 0..1022 (like influxd, from crypto) */
  machineId?: number
  /** the clock in Unix milliseconds (default Date.now) */
  now?: () => number
}

/**
 * A snowflake generator with influxd's state machine: a later millisecond
 * restarts the sequence at 0; within the same (or an earlier) millisecond the
 * sequence goes up, and a full sequence moves on to the next millisecond, so
 * IDs are strictly increasing per generator.
 */
export class SnowflakeGenerator {
  /** drawn on first use, so a generator made when a module loads costs nothing (no node:crypto) until an ID is needed */
  private machine: number | undefined
  private readonly now: () => number
  /** time and sequence bits of the last ID (machine bits not included) */
  private state = 0n

  constructor(options: SnowflakeGeneratorOptions = {}) {
    if (options.machineId !== undefined) checkMachine(options.machineId)
    this.machine = options.machineId
    this.now = options.now ?? Date.now
  }

  get machineId(): number {
    this.machine ??= randomInt(0, MACHINE_MAX)
    return this.machine
  }

  /** The next raw ID value (never zero). */
  nextValue(): bigint {
    for (;;) {
      const t = BigInt.asUintN(64, BigInt(Math.floor(this.now()) - SNOWFLAKE_EPOCH_MS)) & TIME_MASK
      const currentTime = (this.state >> TIME_SHIFT) & TIME_MASK
      const currentSeq = this.state & SEQ_MASK
      if (t > currentTime) this.state = t << TIME_SHIFT
      else if (currentSeq === SEQ_MASK) this.state = ((currentTime + 1n) & TIME_MASK) << TIME_SHIFT
      else this.state = this.state + 1n
      const id = this.state | (BigInt(this.machineId) << MACHINE_SHIFT)
      if (id !== 0n) return id
    }
  }

  /**
   * An encoded ID that is ≥ `minimum` and for which `exists` is false, like
   * influxd's authorization store (100 attempts, then "unable to generate valid id").
   */
  next(exists: (id: string) => boolean, minimum = RESERVED_IDS): string {
    const min = BigInt(minimum)
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const v = this.nextValue()
      if (v < min) continue
      const id = formatID(v)
      if (!exists(id)) return id
    }
    throw new SchemaError(ERR_ID_GENERATION, {}, ExitCode.ERROR)
  }
}

// ---------------------------------------------------------------- org/bucket IDs

/** A uniformly random u64 from the crypto RNG. */
export function randomU64(): bigint {
  return randomBytes(8).readBigUInt64BE(0)
}

const FORBIDDEN_ORG_BUCKET_BYTES = new Set([0x5c, 0x2c, 0x20]) // '\\' ',' ' '

/** Increments every big-endian byte of `n` that is 0x5C, 0x2C or 0x20 (influxd's `sanitize`). */
export function sanitizeOrgBucketID(n: bigint): bigint {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt.asUintN(64, n))
  for (let i = 0; i < 8; i++) {
    if (FORBIDDEN_ORG_BUCKET_BYTES.has(b[i]!)) b[i] = b[i]! + 1
  }
  return b.readBigUInt64BE(0)
}

/** True when no big-endian byte of the ID is 0x5C, 0x2C or 0x20. */
export function isOrgBucketSafe(id: string | bigint): boolean {
  const v = typeof id === 'bigint' ? id : parseID(id)
  return sanitizeOrgBucketID(v) === v
}

/** A random org/bucket ID: a u64 from `random`, sanitized, never zero. */
export function orgBucketID(random: () => bigint = randomU64): string {
  for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
    const v = sanitizeOrgBucketID(random())
    if (v !== 0n) return formatID(v)
  }
  throw new SchemaError(ERR_ID_GENERATION, {}, ExitCode.ERROR)
}

/** Random org/bucket IDs with influxd's uniqueness retry (100 attempts). */
export class OrgBucketIDGenerator {
  constructor(private readonly random: () => bigint = randomU64) {}

  next(exists: (id: string) => boolean): string {
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const v = sanitizeOrgBucketID(this.random())
      if (v === 0n) continue
      const id = formatID(v)
      if (!exists(id)) return id
    }
    throw new SchemaError(ERR_ID_GENERATION, {}, ExitCode.ERROR)
  }
}
