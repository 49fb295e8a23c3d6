// meta.db (v1_tsm1_metadata): the protobuf codec against the bytes influxd
// wrote into both real fixtures and against hand-written protobuf bytes (the
// wire format worked out by hand from meta.proto's field numbers, never by
// the code under test), plus influxd's shard-duration rules.
import {describe, expect, it} from 'vitest'

import {SchemaError} from '../../src/influxd/errors.js'
import {
  databaseForBucket, DAY_NS, goDurationString, HOUR_NS, loadMetaCodec, normalisedShardDuration,
} from '../../src/influxd/metadata.js'
import {metaOf} from '../helpers/meta-db.js'

const FIXTURES = ['influxd-v2.1-v2.7.bolt', 'influxd-v2.8-v2.9.bolt']

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex')

// Hand-encoded pieces (tag = field << 3 | wire type):
// 0a len NAME | 12 07 "autogen" | 1a len RP     (DatabaseInfo 1, 2, 3)
// RP: 0a 07 "autogen" | 10 varint | 18 varint | 20 01   (Name 1, Duration 2, SGD 3, ReplicaN 4)
const AUTOGEN = `07${ascii('autogen')}`
const V_3D = '8080b49fdbf73a' // 259200000000000
const V_7D = '8080a4c9ffc18901' // 604800000000000
const V_1D = '8080bc8ac9d213' // 86400000000000
// (varints: 7 bits a byte, low group first, high bit = more)
function dbBytes(name: string, duration: string, sgd: string): string {
  const rp = `0a${AUTOGEN}10${duration}18${sgd}2001`
  const body = `0a10${ascii(name)}12${AUTOGEN}1a${(rp.length / 2).toString(16).padStart(2, '0')}${rp}`
  return `2a${(body.length / 2).toString(16).padStart(2, '0')}${body}`
}

// The fixtures' meta.db, written out by hand: Term 0, Index 4, ClusterID, the
// three databases (_tasks, _monitoring, mybucket), MaxNodeID/MaxShardGroupID/MaxShardID 0.
const CLUSTER = '18b29799a8818cbbef29'
const FIXTURE_META = `0800 1004 ${CLUSTER} ${dbBytes('a4400ee87566e12a', V_3D, V_1D)} ${dbBytes('35227829a87926d7', V_7D, V_1D)} ${dbBytes('7451ab8b9b7df592', '00', V_7D)} 3800 4000 4800`

describe('meta.db of the real fixtures', () => {
  it.each(FIXTURES)('%s: the bytes are the hand-written encoding of its three databases', (name) => {
    expect(metaOf(name).toString('hex')).toBe(hex(FIXTURE_META).toString('hex'))
  })

  it.each(FIXTURES)('%s: decoded as influxd reads it', async (name) => {
    const codec = await loadMetaCodec()
    const m = codec.decode(metaOf(name))
    expect(m.term).toBe(0n)
    expect(m.index).toBe(4n)
    expect(m.clusterID).toBe(3017108697798560690n)
    expect(m.users).toBe(0)
    expect(m.unknownFields).toBe(0)
    expect(m.databases.map((d) => [d.name, d.defaultRetentionPolicy, d.retentionPolicies.map((rp) => [rp.name, rp.duration, rp.shardGroupDuration, rp.replicaN])])).toEqual([
      ['a4400ee87566e12a', 'autogen', [['autogen', 3n * DAY_NS, DAY_NS, 1]]],
      ['35227829a87926d7', 'autogen', [['autogen', 7n * DAY_NS, DAY_NS, 1]]],
      ['7451ab8b9b7df592', 'autogen', [['autogen', 0n, 7n * DAY_NS, 1]]],
    ])
  })

  it.each(FIXTURES)('%s: decoded and encoded again by the library, byte-identical (the schema matches Go\'s)', async (name) => {
    const codec = await loadMetaCodec()
    const bytes = metaOf(name)
    expect(codec.roundTrip(bytes).equals(bytes)).toBe(true)
  })

  it.each(FIXTURES)('%s: two databases added: exactly what influxd writes (Index 4 -> 6, databases after the last one)', async (name) => {
    const codec = await loadMetaCodec()
    const out = codec.withDatabases(metaOf(name), [
      {name: '0123456789abcdef', duration: 3n * DAY_NS, shardGroupDuration: DAY_NS},
      {name: 'fedcba9876543210', duration: 7n * DAY_NS, shardGroupDuration: DAY_NS},
    ])
    const expected = `0800 1006 ${CLUSTER} ${dbBytes('a4400ee87566e12a', V_3D, V_1D)} ${dbBytes('35227829a87926d7', V_7D, V_1D)} ${dbBytes('7451ab8b9b7df592', '00', V_7D)}`
      + ` ${dbBytes('0123456789abcdef', V_3D, V_1D)} ${dbBytes('fedcba9876543210', V_7D, V_1D)} 3800 4000 4800`
    expect(out.toString('hex')).toBe(hex(expected).toString('hex'))
    // and the new _tasks-like entry is byte for byte the fixture's own _tasks entry under another name
    const own = metaOf(name).toString('latin1')
    const tasksEntry = own.slice(own.indexOf('a4400ee87566e12a') - 4, own.indexOf('a4400ee87566e12a') - 4 + 0x3a)
    expect(out.toString('latin1')).toContain(tasksEntry.replace('a4400ee87566e12a', '0123456789abcdef'))
  })

  it('a database that exists already is refused', async () => {
    const codec = await loadMetaCodec()
    expect(() => codec.withDatabases(metaOf(FIXTURES[0]!), [{name: 'a4400ee87566e12a', duration: 0n, shardGroupDuration: 7n * DAY_NS}])).toThrow(/already has a database named a4400ee87566e12a/)
  })
})

describe('meta.db edits keep every other byte', () => {
  it('unknown fields, 1.x node lists, users and a varint Index written in a long form stay as they were', async () => {
    const codec = await loadMetaCodec()
    // Term 0 | unknown field 100 (varint 7) | Index 9 in a padded 2-byte varint (89 00) | ClusterID 5 |
    // Nodes (4): {ID 1, Host "h"} | one database | Users (6): {Name "u", Hash "x", Admin true} |
    // MaxNodeID 0, MaxShardGroupID 3, MaxShardID 4 | DataNodes (10): {ID 2, Host "d"} | unknown field 101 (bytes "zz")
    const node1 = '0801 1201' + ascii('h')
    const user = '0a01' + ascii('u') + '1201' + ascii('x') + '1801'
    const node2 = '0802 1201' + ascii('d')
    const head = `0800 a00607 108900 1805 2205${node1}`
    const db1 = dbBytes('1111111111111111', '00', V_7D)
    const tail = `3208${user} 3800 4003 4804 5205${node2} aa0602${ascii('zz')}`
    const input = hex(`${head} ${db1} ${tail}`)
    const before = codec.decode(input)
    expect(before).toMatchObject({index: 9n, clusterID: 5n, users: 1, maxShardGroupID: 3n, maxShardID: 4n, unknownFields: 2})
    const out = codec.withDatabases(input, [{name: '2222222222222222', duration: HOUR_NS, shardGroupDuration: HOUR_NS}])
    // only the Index field is rewritten (now canonical: 0a) and the database inserted after db1
    const V_1H = '80c0e285e368' // 3600000000000
    const expected = `0800 a00607 100a 1805 2205${node1} ${db1} ${dbBytes('2222222222222222', V_1H, V_1H)} ${tail}`
    expect(out.toString('hex')).toBe(hex(expected).toString('hex'))
    expect(codec.decode(out)).toMatchObject({index: 10n, users: 1, unknownFields: 2})
  })

  it('with no database yet, the first goes before Users and the fields after it', async () => {
    const codec = await loadMetaCodec()
    const input = hex(`0800 1001 1803 3800 4000 4800`)
    const out = codec.withDatabases(input, [{name: '3333333333333333', duration: 0n, shardGroupDuration: 7n * DAY_NS}])
    expect(out.toString('hex')).toBe(hex(`0800 1002 1803 ${dbBytes('3333333333333333', '00', V_7D)} 3800 4000 4800`).toString('hex'))
  })

  it('a fresh meta.db is what influxd\'s meta client writes at its first start', async () => {
    const codec = await loadMetaCodec()
    // ClusterID 0x123456789 = varint 89 cf 95 9a 12
    expect(codec.fresh(0x123456789n).toString('hex')).toBe(hex('0800 1001 1889cf959a12 3800 4000 4800').toString('hex'))
  })

  it('one DatabaseInfo: the hand-written bytes', async () => {
    const codec = await loadMetaCodec()
    const full = hex(dbBytes('a4400ee87566e12a', V_3D, V_1D))
    expect(codec.encodeDatabase({name: 'a4400ee87566e12a', duration: 3n * DAY_NS, shardGroupDuration: DAY_NS}).equals(full.subarray(2))).toBe(true)
  })

  it('a meta.db influxd cannot load is refused (exit 4): a missing required field, a truncated message', async () => {
    const codec = await loadMetaCodec()
    const noIndex = hex('0800 1803 3800 4000 4800')
    let err: unknown
    try {
      codec.decode(noIndex)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(SchemaError)
    expect((err as SchemaError).exitCode).toBe(4)
    expect((err as SchemaError).message).toMatch(/required field Data\.Index is not set/)
    expect(() => codec.withDatabases(noIndex, [])).toThrow(/Data\.Index/)
    // a database without its DefaultRetentionPolicy
    expect(() => codec.decode(hex(`0800 1001 1803 2a03 0a01${ascii('x')} 3800 4000 4800`))).toThrow(/Data\.Databases\[0\]\.DefaultRetentionPolicy/)
    expect(() => codec.decode(hex(FIXTURE_META).subarray(0, 40))).toThrow(SchemaError)
  })
})

describe('influxd\'s shard-group and retention rules', () => {
  it('normalisedShardDuration (meta.NormalisedShardDuration)', () => {
    const d = DAY_NS
    const cases: Array<[bigint, bigint, bigint]> = [
      [0n, 3n * d, d], // _tasks
      [0n, 7n * d, d], // _monitoring
      [0n, 0n, 7n * d], // infinite
      [0n, 180n * d, 7n * d],
      [0n, 179n * d, d],
      [0n, 2n * d, d],
      [0n, 47n * HOUR_NS, HOUR_NS],
      [0n, HOUR_NS, HOUR_NS],
      [30n * 60_000_000_000n, 0n, HOUR_NS], // below an hour: one hour's default
      [2n * HOUR_NS, 0n, 2n * HOUR_NS],
    ]
    for (const [sgd, ret, want] of cases) expect(normalisedShardDuration(sgd, ret), `${sgd} ${ret}`).toBe(want)
  })

  it('databaseForBucket: influxd\'s checks', () => {
    expect(databaseForBucket({id: 'x', retentionPeriod: 3n * DAY_NS, shardGroupDuration: 0n})).toEqual({name: 'x', duration: 3n * DAY_NS, shardGroupDuration: DAY_NS})
    expect(() => databaseForBucket({id: 'x', retentionPeriod: HOUR_NS - 1n, shardGroupDuration: 0n})).toThrow(/at least 1h0m0s/)
    expect(() => databaseForBucket({id: 'x', retentionPeriod: 2n * HOUR_NS, shardGroupDuration: DAY_NS})).toThrow(/greater than the shard duration/)
  })

  it('goDurationString is Go\'s time.Duration.String', () => {
    expect(goDurationString(3n * DAY_NS)).toBe('72h0m0s')
    expect(goDurationString(7n * DAY_NS)).toBe('168h0m0s')
    expect(goDurationString(0n)).toBe('0s')
    expect(goDurationString(90_000_000_000n)).toBe('1m30s')
    expect(goDurationString(1_500_000_000n)).toBe('1.5s')
    expect(goDurationString(300_000_000n)).toBe('300ms')
    expect(goDurationString(1_500n)).toBe('1.5µs')
    expect(goDurationString(7n)).toBe('7ns')
    expect(goDurationString(-HOUR_NS)).toBe('-1h0m0s')
  })
})
