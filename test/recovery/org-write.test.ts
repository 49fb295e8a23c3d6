// createOrg and the member/bucket functions on a copy of a real fixture,
// in rolled-back transactions of our engine: how IDs are drawn (influxd's
// sanitising, retries past IDs in use, database names in meta.db), and
// that the protobuf library is only ever loaded on demand.
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {DB, type Tx} from '../../src/bbolt/index.js'
import {OrgBucketIDGenerator} from '../../src/influxd/ids.js'
import {loadMetaCodec, type MetaCodec} from '../../src/influxd/metadata.js'
import {createOrg, verifyCreateOrg} from '../../src/recovery/org-write.js'
import {addMember, removeMember} from '../../src/recovery/org-members.js'
import {copyInto, makeTempDir, removeDir} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-org-write-')
afterAll(() => removeDir(tmp))
const file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), tmp, 'influxd.bolt')

/** Runs fn in a write transaction that is rolled back. */
function trial<T>(fn: (tx: Tx) => T): T {
  const db = DB.open(file)
  try {
    const tx = db.begin(true)
    try {
      return fn(tx)
    } finally {
      tx.rollback()
    }
  } finally {
    db.close()
  }
}

/** A generator that hands out these raw values in turn. */
function sequence(...values: bigint[]): OrgBucketIDGenerator {
  let i = 0
  return new OrgBucketIDGenerator(() => {
    if (i >= values.length) throw new Error('sequence exhausted')
    return values[i++]!
  })
}

describe('createOrg: IDs as influxd draws them', () => {
  it('sanitises bytes 0x5C, 0x2C, 0x20 and skips IDs in use: an org, a bucket, a database name in meta.db', async () => {
    const codec: MetaCodec = await loadMetaCodec()
    const r = trial((tx) => {
      // an orphan database named like a candidate bucket ID
      const meta = tx.bucket(Buffer.from('v1_tsm1_metadata'))!
      meta.put(Buffer.from('meta.db'), codec.withDatabases(meta.get(Buffer.from('meta.db'))!, [{name: '0101010101010101', duration: 0n, shardGroupDuration: 7n * 86_400_000_000_000n}]))
      const result = createOrg(tx, {
        name: 'acme', codec, now: '2025-01-02T03:04:05.123456789Z',
        ids: sequence(
          0xdd7cd2292f6e974an, // the fixture's org: in use
          0x5c2c20005c2c2000n, // sanitised to 5d2d21005d2d2100
          0x35227829a87926d7n, // the fixture's _monitoring bucket: in use
          0x0101010101010101n, // the orphan database's name
          0x1111111111111111n,
          0x1111111111111111n, // the bucket just drawn
          0x2222222222222222n,
        ),
      })
      expect(verifyCreateOrg(tx, codec, result)).toEqual([])
      return result
    })
    expect(r.org.id).toBe('5d2d21005d2d2100')
    expect(r.buckets.map((b) => b.id)).toEqual(['1111111111111111', '2222222222222222'])
    expect(r.meta).toEqual({indexBefore: 5n, indexAfter: 7n})
    expect(r.ids).toEqual(['5d2d21005d2d2100', '1111111111111111', '2222222222222222'])
    expect(r.changes.map((c) => `${c.action} ${c.bucket} ${c.key}`)).toEqual([
      'add organizationsv1 5d2d21005d2d2100',
      'add organizationindexv1 acme',
      'add bucketsv1 1111111111111111',
      'add bucketindexv1 5d2d21005d2d2100_tasks',
      'add bucketsv1 2222222222222222',
      'add bucketindexv1 5d2d21005d2d2100_monitoring',
      'change v1_tsm1_metadata meta.db',
    ])
  })

  it('100 draws all in use: influxd\'s "unable to generate valid id"', async () => {
    const codec = await loadMetaCodec()
    expect(() => trial((tx) => createOrg(tx, {name: 'acme', codec, ids: new OrgBucketIDGenerator(() => 0xdd7cd2292f6e974an)}))).toThrow('unable to generate valid id')
  })
})

describe('members in a transaction', () => {
  it('verify sees the mapping and its index entry; remove of the owner needs force', () => {
    trial((tx) => {
      expect(() => removeMember(tx, {org: {name: 'myorg'}, user: {name: 'testuser'}})).toThrow(/last owner/)
      const r = removeMember(tx, {org: {name: 'myorg'}, user: {name: 'testuser'}, force: true})
      expect(r.ownersAfter).toBe(0)
      const back = addMember(tx, {org: {id: 'DD7CD2292F6E974A'}, user: {id: '08371db1dd8c8000'}, owner: true})
      expect(back).toMatchObject({roleAfter: 'owner', ownersAfter: 1})
      expect(back.changes.map((c) => c.action)).toEqual(['add', 'add'])
    })
  })
})

describe('the protobuf library is loaded on demand only', () => {
  it('no module but meta-proto.ts imports @bufbuild/protobuf, and meta-proto.ts is only imported dynamically', () => {
    const offenders: string[] = []
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (p.endsWith('.ts')) {
          const text = fs.readFileSync(p, 'utf8')
          const rel = path.relative(ROOT, p)
          if (rel !== path.join('src', 'influxd', 'meta-proto.ts') && /from '@bufbuild\//.test(text)) offenders.push(`${rel} imports @bufbuild`)
          if (/^import[^(]*from '[^']*meta-proto\.js'/m.test(text)) offenders.push(`${rel} imports meta-proto statically`)
        }
      }
    }
    walk(path.join(ROOT, 'src'))
    expect(offenders).toEqual([])
  })
})
