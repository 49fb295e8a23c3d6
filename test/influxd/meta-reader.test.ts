// meta.db's hand-written reader (src/influxd/meta-reader.ts): against bytes
// influxd wrote (the real fixtures), hand-encoded messages, and the protobuf
// library's own reading of the same bytes (a second, independent reader).
import * as fs from 'node:fs'
import * as path from 'node:path'

import {describe, expect, it} from 'vitest'

import {SchemaError} from '../../src/influxd/errors.js'
import {decodeMetaSummary} from '../../src/influxd/meta-reader.js'
import {DAY_NS, loadMetaCodec} from '../../src/influxd/metadata.js'
import {metaOf} from '../helpers/meta-db.js'
import {ROOT} from '../helpers/oracle.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex')
const len = (body: string): string => (body.replace(/\s+/g, '').length / 2).toString(16).padStart(2, '0')
/** A length-delimited field: tag byte(s) in hex, then the length, then the body. */
const ld = (tag: string, body: string): string => `${tag}${len(body)}${body}`

/** The reader's verdict: the summary, or the error message. */
function read(bytes: Uint8Array): unknown {
  try {
    return decodeMetaSummary(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError)
    expect((err as SchemaError).exitCode).toBe(4)
    return (err as Error).message
  }
}

const REQUIRED_TAIL = '3800 4000 4800' // MaxNodeID, MaxShardGroupID, MaxShardID 0

// A database with one policy holding a shard group (its shard lists its owners
// unpacked and packed) and a subscription, and a continuous query; a user
// with a privilege; a 1.x node; unknown fields of every wire type.
const SHARD = `0807 ${'1001 1002'} ${ld('12', '03 04 05')} ${ld('1a', '0809')}` // ID 7, OwnerIDs 1, 2, then 3, 4, 5 packed, Owners {NodeID 9}
const GROUP = `0805 1001 1802 2000 ${ld('2a', SHARD)}` // ID 5, StartTime 1, EndTime 2, DeletedAt 0, Shards
const SUB = `${ld('0a', ascii('s'))} ${ld('12', ascii('ALL'))} ${ld('1a', ascii('udp://h'))}`
const RP = `${ld('0a', ascii('autogen'))} 10ff01 1880c0e285e368 2003 ${ld('2a', GROUP)} ${ld('32', SUB)}` // Duration 255, SGD 1h, ReplicaN 3
const CQ = `${ld('0a', ascii('cq'))} ${ld('12', ascii('SELECT 1'))}`
const DATABASE = `${ld('0a', ascii('db0'))} ${ld('12', ascii('autogen'))} ${ld('1a', RP)} ${ld('22', CQ)}`
const USER = `${ld('0a', ascii('u'))} ${ld('12', ascii('hash'))} 1801 ${ld('22', `${ld('0a', ascii('db0'))} 1003`)}`
const NODE = `0801 ${ld('12', ascii('h:8088'))}`
const UNKNOWN = `a00607 a50601020304 a1060102030405060708 ${ld('aa06', ascii('zz'))} ab06 0801 ac06` // fields 100 (varint), 100 (fixed32), 100 (fixed64), 101 (bytes), 101 (a group)
const FULL = `0802 1009 1805 ${ld('22', NODE)} ${ld('2a', DATABASE)} ${ld('32', USER)} ${UNKNOWN} ${REQUIRED_TAIL}`

describe('the hand-written meta.db reader', () => {
  it.each(['influxd-v2.1-v2.7.bolt', 'influxd-v2.8-v2.9.bolt'])('%s: the same summary as the protobuf library', async (name) => {
    const codec = await loadMetaCodec()
    const bytes = metaOf(name)
    const m = decodeMetaSummary(bytes)
    expect(m).toEqual(codec.decodeWithLibrary(bytes))
    expect(m.databases.map((d) => [d.name, d.retentionPolicies[0]!.shardGroupDuration])).toEqual([
      ['a4400ee87566e12a', DAY_NS], ['35227829a87926d7', DAY_NS], ['7451ab8b9b7df592', 7n * DAY_NS],
    ])
  })

  it('every field meta.proto has, nested, and unknown fields of every wire type: what was written, as the library reads it', async () => {
    const bytes = hex(FULL)
    const m = decodeMetaSummary(bytes)
    expect(m).toEqual({
      term: 2n, index: 9n, clusterID: 5n, users: 1, maxShardGroupID: 0n, maxShardID: 0n, unknownFields: 5,
      databases: [{name: 'db0', defaultRetentionPolicy: 'autogen', continuousQueries: 1, retentionPolicies: [
        {name: 'autogen', duration: 255n, shardGroupDuration: 3_600_000_000_000n, replicaN: 3, shardGroups: 1, subscriptions: 1},
      ]}],
    })
    expect(m).toEqual((await loadMetaCodec()).decodeWithLibrary(bytes))
  })

  it('every prefix of a meta.db: refused (exit 4) or read, exactly as the library decides', async () => {
    const codec = await loadMetaCodec()
    for (const whole of [hex(FULL), metaOf('influxd-v2.8-v2.9.bolt')]) {
      for (let n = 0; n <= whole.length; n++) {
        const prefix = whole.subarray(0, n)
        let library: unknown
        try {
          library = codec.decodeWithLibrary(prefix)
        } catch {
          library = 'refused'
        }
        const ours = read(prefix)
        expect(typeof ours === 'string' ? 'refused' : ours, `prefix of ${n} bytes`).toEqual(library)
      }
    }
  })

  it('the last value of a singular field wins; negative int64 and large uint64 are read as Go does', () => {
    const rp = `${ld('0a', ascii('autogen'))} 10ffffffffffffffffff01 1801 2001` // Duration -1
    const bytes = hex(`0801 0802 1001 18ffffffffffffffffff01 ${ld('2a', `${ld('0a', ascii('d'))} ${ld('12', ascii('autogen'))} ${ld('1a', rp)}`)} ${REQUIRED_TAIL}`)
    const m = decodeMetaSummary(bytes)
    expect(m.term).toBe(2n)
    expect(m.clusterID).toBe(0xffff_ffff_ffff_ffffn)
    expect(m.databases[0]!.retentionPolicies[0]!.duration).toBe(-1n)
  })

  it('a missing required field at any depth: refused with its path, the first in declaration order', () => {
    const noName = `${ld('12', ascii('autogen'))}`
    expect(read(hex(`0800 1001 1803 ${ld('2a', noName)} ${REQUIRED_TAIL}`))).toMatch(/required field Data\.Databases\[0\]\.Name is not set \(influxd cannot load it\)/)
    const shardNoId = `${ld('0a', ascii('autogen'))} 1000 1801 2001 ${ld('2a', `0805 1001 1802 2000 ${ld('2a', ld('1a', ''))}`)}`
    const db = `${ld('0a', ascii('d'))} ${ld('12', ascii('autogen'))} ${ld('1a', shardNoId)}`
    // both the shard's ID and MaxShardID are missing: the shard comes first (Databases is field 5, MaxShardID 9)
    expect(read(hex(`0800 1001 1803 ${ld('2a', db)} 3800 4000`))).toMatch(/required field Data\.Databases\[0\]\.RetentionPolicies\[0\]\.ShardGroups\[0\]\.Shards\[0\]\.ID is not set/)
    expect(read(hex('0800 1803 3800 4000 4800'))).toMatch(/required field Data\.Index is not set/)
  })

  it('damaged wire data: refused with one line, never read past the message', () => {
    const cases: Array<[string, RegExp]> = [
      ['0800 12 01 05 1803 3800 4000 4800', /Data\.Index has wire type 2, not 0/],
      ['0800 1001 1803 3800 4000 4800 00 01', /invalid tag \(field 0/],
      ['0800 1001 1803 3800 4000 4800 0e', /invalid tag \(field 1, wire type 6\)/],
      ['0800 10 80808080808080808080 01 1803 3800 4000 4800', /varint longer than 10 bytes/],
      ['0800 1001 1803 2a 7f 0a01 61', /runs past the end/],
      ['0800 1001 1803 3800 4000 4800 ab06 0801', /group 101 has no end/],
      ['0800 1001 1803 3800 4000 4800 ab06 a407', /group 101 ends as group 116/],
      ['0800 1001 1803 3800 4000 4800 ac06', /end of group 101 without its start/],
      ['0800 1001 1803 3800 4000 4800 a106 0102', /premature end/],
    ]
    for (const [bytes, message] of cases) {
      const r = read(hex(bytes))
      expect(typeof r, bytes).toBe('string')
      expect(r as string, bytes).toMatch(/^bucket "v1_tsm1_metadata", key "meta\.db": cannot decode meta\.db: /)
      expect(r as string, bytes).toMatch(message)
      expect(r as string).not.toContain('\n')
    }
  })
})

describe('who reads meta.db with what', () => {
  it('doctor and bucket list read it with the hand-written reader: they never load the protobuf library', () => {
    for (const file of ['src/commands/doctor.ts', 'src/commands/bucket/list.ts', 'src/recovery/doctor.ts']) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8')
      expect(text, file).not.toMatch(/loadMetaCodec|meta-proto|@bufbuild/)
    }
    for (const file of ['src/influxd/meta-reader.ts', 'src/influxd/meta-schema.ts', 'src/influxd/metadata.ts']) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8')
      expect(text, file).not.toMatch(/from '@bufbuild|from '\.\/meta-proto/)
    }
  })
})
