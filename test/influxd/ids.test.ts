import {describe, expect, it} from 'vitest'
import {SchemaError} from '../../src/influxd/errors.js'
import {
  decodeSnowflake,
  formatID,
  isCanonicalID,
  isOrgBucketSafe,
  isValidID,
  orgBucketID,
  OrgBucketIDGenerator,
  parseID,
  randomU64,
  sanitizeOrgBucketID,
  SNOWFLAKE_EPOCH_MS,
  snowflakeID,
  SnowflakeGenerator,
} from '../../src/influxd/ids.js'
import {parseGoTime} from '../../src/influxd/gotime.js'

function errorOf(f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

describe('parseID', () => {
  it('parses 16 hex characters of either case', () => {
    expect(parseID('08371db24dcc8000')).toBe(0x08371db24dcc8000n)
    expect(parseID('08371DB24DCC8000')).toBe(0x08371db24dcc8000n)
    expect(parseID('0000000000000001')).toBe(1n)
    expect(parseID('ffffffffffffffff')).toBe(0xffffffffffffffffn)
    expect(parseID(Buffer.from('dd7cd2292f6e974a'))).toBe(0xdd7cd2292f6e974an)
  })

  // length is counted in UTF-8 bytes, like Go
  it.each(['', '0', '08371db24dcc800', '08371db24dcc80000', 'é8371db24dcc8000'])('refuses length %j', (s) => {
    const err = errorOf(() => parseID(s))
    expect(err).toBeInstanceOf(SchemaError)
    expect((err as SchemaError).message).toBe('id must have a length of 16 bytes')
  })

  it.each(['0000000000000000', '0x371db24dcc8000', '+8371db24dcc8000', '-8371db24dcc8000', ' 8371db24dcc8000', '08371db24dcc800g', '0837_db24dcc8000', 'é8371db24dcc800'])(
    'refuses %j as invalid ID',
    (s) => {
      const err = errorOf(() => parseID(s))
      expect(err).toBeInstanceOf(SchemaError)
      expect((err as SchemaError).message).toBe('invalid ID')
    },
  )

  it('isValidID / isCanonicalID', () => {
    expect(isValidID('08371db24dcc8000')).toBe(true)
    expect(isValidID('08371DB24DCC8000')).toBe(true)
    expect(isCanonicalID('08371DB24DCC8000')).toBe(false)
    expect(isCanonicalID('08371db24dcc8000')).toBe(true)
    expect(isValidID('0000000000000000')).toBe(false)
    expect(isValidID('xyz')).toBe(false)
  })
})

describe('formatID', () => {
  it('writes 16 lowercase hex digits, zero padded', () => {
    expect(formatID(1n)).toBe('0000000000000001')
    expect(formatID(0x08371db24dcc8000n)).toBe('08371db24dcc8000')
    expect(formatID(0xffffffffffffffffn)).toBe('ffffffffffffffff')
    expect(formatID(parseID('DD7CD2292F6E974A'))).toBe('dd7cd2292f6e974a')
  })

  it('refuses zero and values outside u64', () => {
    for (const v of [0n, -1n, 1n << 64n]) {
      const err = errorOf(() => formatID(v))
      expect(err).toBeInstanceOf(SchemaError)
      expect((err as SchemaError).message).toBe('invalid ID')
    }
  })
})

describe('snowflake', () => {
  it('decodes the spec example 08371db24dcc8000', () => {
    const p = decodeSnowflake('08371db24dcc8000')
    expect(p.time.toISOString()).toBe('2021-09-28T12:55:25.751Z')
    expect(p.machine).toBe(200)
    expect(p.seq).toBe(0)
  })

  // authorization IDs of both fixtures and their createdAt (written by the same process)
  it.each([
    ['08371db24dcc8000', '2021-09-28T08:55:25.75109-04:00'],
    ['08371deae98c8000', '2021-09-28T08:56:23.718372-04:00'],
  ])('fixture authorization %s was generated in the millisecond of its createdAt %s', (id, createdAt) => {
    const p = decodeSnowflake(id)
    const t = parseGoTime(createdAt)
    expect(BigInt(p.time.getTime())).toBe(t.epochNs / 1_000_000n)
    expect(p.machine).toBe(200)
  })

  it('decodes the fixture user and instance IDs to the setup day, same process', () => {
    for (const id of ['08371db1dd8c8000', '08371d968ca4b000']) {
      const p = decodeSnowflake(id)
      expect(p.time.toISOString().slice(0, 10)).toBe('2021-09-28')
    }
    expect(decodeSnowflake('08371db1dd8c8000').machine).toBe(200)
  })

  it('snowflakeID composes what decodeSnowflake splits', () => {
    expect(snowflakeID(new Date('2021-09-28T12:55:25.751Z'), 200, 0)).toBe('08371db24dcc8000')
    const id = snowflakeID(new Date('2030-01-02T03:04:05.678Z'), 1023, 4095)
    expect(decodeSnowflake(id)).toEqual({time: new Date('2030-01-02T03:04:05.678Z'), sinceEpochMs: Date.parse('2030-01-02T03:04:05.678Z') - SNOWFLAKE_EPOCH_MS, machine: 1023, seq: 4095})
    expect(() => snowflakeID(new Date(), 1024, 0)).toThrow(RangeError)
    expect(() => snowflakeID(new Date(), 0, 4096)).toThrow(RangeError)
    expect(() => snowflakeID(new Date(SNOWFLAKE_EPOCH_MS - 1), 0, 0)).toThrow(RangeError)
  })

  it('generator: sequence grows within a millisecond, restarts on a new one, rolls over at 4096', () => {
    let now = Date.parse('2024-01-01T00:00:00Z')
    const g = new SnowflakeGenerator({machineId: 7, now: () => now})
    const a = decodeSnowflake(g.next(() => false))
    const b = decodeSnowflake(g.next(() => false))
    expect([a.seq, b.seq, a.machine]).toEqual([0, 1, 7])
    expect(a.time.getTime()).toBe(now)
    now += 5
    const c = decodeSnowflake(g.next(() => false))
    expect([c.seq, c.time.getTime()]).toEqual([0, now])
    for (let i = 0; i < 4095; i++) g.nextValue()
    const d = decodeSnowflake(g.next(() => false)) // 4096th in this ms: next ms, seq 0
    expect([d.seq, d.time.getTime()]).toEqual([0, now + 1])
  })

  it('generator: strictly increasing and unique, even when the clock goes back', () => {
    let now = Date.parse('2024-01-01T00:00:00Z')
    const g = new SnowflakeGenerator({machineId: 1, now: () => now})
    const seen = new Set<string>()
    let last = 0n
    for (let i = 0; i < 10000; i++) {
      if (i % 997 === 0) now -= 3
      if (i % 13 === 0) now += 1
      const id = g.next((x) => seen.has(x))
      const v = parseID(id)
      expect(v > last).toBe(true)
      last = v
      seen.add(id)
    }
    expect(seen.size).toBe(10000)
  })

  it('generator: skips IDs that exist', () => {
    const g = new SnowflakeGenerator({machineId: 3, now: () => Date.parse('2024-01-01T00:00:00Z')})
    const taken = new Set<string>()
    const probe = new SnowflakeGenerator({machineId: 3, now: () => Date.parse('2024-01-01T00:00:00Z')})
    for (let i = 0; i < 5; i++) taken.add(probe.next(() => false))
    const id = g.next((x) => taken.has(x))
    expect(taken.has(id)).toBe(false)
    expect(decodeSnowflake(id).seq).toBe(5)
  })

  it('generator: skips IDs below the minimum and gives up after 100 attempts', () => {
    // at the epoch with machine 0 the IDs are 1, 2, 3, ...
    const g = new SnowflakeGenerator({machineId: 0, now: () => SNOWFLAKE_EPOCH_MS})
    const err = errorOf(() => g.next(() => false))
    expect(err).toBeInstanceOf(SchemaError)
    expect((err as Error).message).toBe('unable to generate valid id')
    const h = new SnowflakeGenerator({machineId: 0, now: () => SNOWFLAKE_EPOCH_MS})
    expect(h.next(() => false, 50)).toBe('0000000000000032')
    const k = new SnowflakeGenerator({machineId: 0, now: () => SNOWFLAKE_EPOCH_MS})
    expect(errorOf(() => k.next(() => true, 1))).toBeInstanceOf(SchemaError)
  })

  it('generator: random machine id in 0..1022', () => {
    const ids = new Set<number>()
    for (let i = 0; i < 500; i++) {
      const m = new SnowflakeGenerator().machineId
      expect(m).toBeGreaterThanOrEqual(0)
      expect(m).toBeLessThanOrEqual(1022)
      ids.add(m)
    }
    expect(ids.size).toBeGreaterThan(100)
    const id = new SnowflakeGenerator().next(() => false)
    expect(Math.abs(decodeSnowflake(id).time.getTime() - Date.now())).toBeLessThan(5000)
  })
})

describe('org/bucket IDs', () => {
  it('increments bytes 0x5C, 0x2C and 0x20 (big-endian)', () => {
    expect(sanitizeOrgBucketID(0x5c2c20ff00112233n)).toBe(0x5d2d21ff00112233n)
    expect(sanitizeOrgBucketID(0x205c2c5b2d1f2021n)).toBe(0x215d2d5b2d1f2121n)
    expect(sanitizeOrgBucketID(0x0102030405060708n)).toBe(0x0102030405060708n)
    expect(orgBucketID(() => 0x5c2c20ff00112233n)).toBe('5d2d21ff00112233')
  })

  it('never returns zero', () => {
    const values = [0n, 0n, 42n]
    expect(orgBucketID(() => values.shift()!)).toBe('000000000000002a')
    expect(errorOf(() => orgBucketID(() => 0n))).toBeInstanceOf(SchemaError)
  })

  it('random IDs never hold a forbidden byte', () => {
    for (let i = 0; i < 2000; i++) {
      const id = orgBucketID()
      const b = Buffer.from(id, 'hex')
      expect(b.includes(0x5c) || b.includes(0x2c) || b.includes(0x20)).toBe(false)
      expect(isOrgBucketSafe(id)).toBe(true)
    }
    expect(typeof randomU64()).toBe('bigint')
  })

  it('the fixture org and bucket IDs follow the rule', () => {
    for (const id of ['dd7cd2292f6e974a', 'a4400ee87566e12a', '35227829a87926d7', '7451ab8b9b7df592']) expect(isOrgBucketSafe(id)).toBe(true)
    expect(isOrgBucketSafe('5c00000000000001')).toBe(false)
  })

  it('generator retries until unused, 100 attempts at most', () => {
    const seq = [1n, 2n, 0x20n, 3n]
    const g = new OrgBucketIDGenerator(() => seq.shift() ?? 99n)
    const taken = new Set(['0000000000000001', '0000000000000002', '0000000000000021'])
    expect(g.next((id) => taken.has(id))).toBe('0000000000000003')
    let calls = 0
    const h = new OrgBucketIDGenerator(() => BigInt(++calls))
    const err = errorOf(() => h.next(() => true))
    expect((err as Error).message).toBe('unable to generate valid id')
    expect(calls).toBe(100)
  })
})
