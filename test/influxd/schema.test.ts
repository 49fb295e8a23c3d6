// Schema detection from migrationsv1: both real fixtures, and files built with
// our engine holding gaps, unknown IDs, wrong names, unfinished and broken records.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB, type Tx} from '../../src/bbolt/index.js'
import {
  HASHED_INDEX_BUCKET,
  KNOWN_MIGRATION_COUNT,
  MIGRATIONS_BUCKET,
  MIGRATION_NAMES,
  detectSchema,
  influxdRangeFor,
  levelForMigration,
  migrationKey,
  permissionLevelFor,
  type SchemaInfo,
} from '../../src/influxd/schema.js'
import {FIXTURES, oracleCheck} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-schema-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

function detectFile(file: string): SchemaInfo {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.view((tx) => detectSchema(tx))
  } finally {
    db.close()
  }
}

interface Rec {
  id: number
  name?: string
  finished?: boolean
  /** a raw value instead of the JSON record */
  raw?: string
  /** the key to store it under, instead of migrationKey(id) */
  key?: string
}

function record(r: Rec): string {
  if (r.raw !== undefined) return r.raw
  const base: Record<string, string> = {
    id: migrationKey(r.id),
    name: r.name ?? MIGRATION_NAMES[r.id - 1] ?? `future migration ${r.id}`,
    started_at: '2025-02-05T21:01:39.331257096Z',
  }
  if (r.finished !== false) base.finished_at = '2025-02-05T21:01:39.332505051Z'
  return JSON.stringify(base)
}

/** Records 1..n, all finished, as influxd writes them. */
const upTo = (n: number): Rec[] => Array.from({length: n}, (_, i) => ({id: i + 1}))

let counter = 0
function build(records: Rec[] | null, extra: (tx: Tx) => void = () => {}): string {
  const file = path.join(tmp, `s${counter++}.bolt`)
  const db = DB.create(file)
  db.update((tx) => {
    if (records !== null) {
      const b = tx.createBucket(Buffer.from(MIGRATIONS_BUCKET))
      for (const r of records) b.put(Buffer.from(r.key ?? migrationKey(r.id)), Buffer.from(record(r)))
    }
    extra(tx)
  })
  db.close()
  oracleCheck(file)
  return file
}

const withHashedIndex = (tx: Tx): void => { tx.createBucket(Buffer.from(HASHED_INDEX_BUCKET)) }

describe('known migrations', () => {
  it('has the 21 names of influxd v2.9.1', () => {
    expect(KNOWN_MIGRATION_COUNT).toBe(21)
    expect(MIGRATION_NAMES[0]).toBe('initial migration')
    expect(MIGRATION_NAMES[1]).toBe('add index "userresourcemappingsbyuserindexv1"')
    expect(MIGRATION_NAMES[11]).toBe('add index "dbrpbyorgv1"')
    expect(MIGRATION_NAMES[13]).toBe('add index "dbrpbyorgv1"')
    expect(MIGRATION_NAMES[18]).toBe('add remotes and replications resource types to operator and all-access tokens')
    expect(MIGRATION_NAMES[20]).toBe('create authorizationhashedindexv1 bucket')
  })

  it('maps the highest finished migration to a level', () => {
    const table: Array<[number, string, string, string]> = [
      [0, 'unknown', 'unknown InfluxDB version', '2.2+'],
      [1, '≤2.0', 'InfluxDB 2.0.x', '2.0'],
      [15, '≤2.0', 'InfluxDB 2.0.x', '2.0'],
      [16, '2.1', 'InfluxDB 2.1', '2.1'],
      [18, '2.1', 'InfluxDB 2.1', '2.1'],
      [19, '2.2', 'InfluxDB 2.2', '2.2+'],
      [20, '2.3-2.7', 'InfluxDB 2.3 – 2.7', '2.2+'],
      [21, '2.8+', 'InfluxDB 2.8 or later', '2.2+'],
      [22, 'unknown', 'unknown InfluxDB version', '2.2+'],
    ]
    for (const [n, level, range, perm] of table) {
      const l = levelForMigration(n)
      expect([n, l, influxdRangeFor(l), permissionLevelFor(l)]).toEqual([n, level, range, perm])
    }
    expect(migrationKey(21)).toBe('0000000000000015')
  })
})

describe('the real fixtures', () => {
  it('2021 file: 17 finished → 2.1, no hashed index, writable', () => {
    const s = detectFile(path.join(FIXTURES, 'influxd-v2.1-v2.7.bolt'))
    expect(s.highestFinished).toBe(17)
    expect(s.level).toBe('2.1')
    expect(s.influxdRange).toBe('InfluxDB 2.1')
    expect(s.permissionLevel).toBe('2.1')
    expect(s.problems).toEqual([])
    expect(s.hasHashedIndex).toBe(false)
    expect(s.writable).toBe(true)
    expect(s.migrations).toHaveLength(17)
    expect(s.migrations.map((m) => m.id)).toEqual(Array.from({length: 17}, (_, i) => i + 1))
    expect(s.migrations.every((m) => m.finished && m.name === m.expectedName)).toBe(true)
    expect(s.migrations[0]).toMatchObject({key: '0000000000000001', name: 'initial migration', startedAt: '2021-09-28T12:54:57.434956Z'})
    // 17 of the 2.1 line's 18: the file was written by a pre-release 2.1 build
    expect(s.notes.some((n) => n.includes('migration 18') && n.includes('pre-release'))).toBe(true)
  })

  it('2025 file: 21 finished → 2.8+, hashed index present', () => {
    const s = detectFile(path.join(FIXTURES, 'influxd-v2.8-v2.9.bolt'))
    expect(s.highestFinished).toBe(21)
    expect(s.level).toBe('2.8+')
    expect(s.permissionLevel).toBe('2.2+')
    expect(s.problems).toEqual([])
    expect(s.notes).toEqual([])
    expect(s.hasHashedIndex).toBe(true)
    expect(s.writable).toBe(true)
    expect(s.migrations.map((m) => m.name)).toEqual(MIGRATION_NAMES)
  })
})

describe('engine-built files', () => {
  it('a clean 2.3–2.7 schema', () => {
    const s = detectFile(build(upTo(20)))
    expect(s).toMatchObject({highestFinished: 20, level: '2.3-2.7', influxdRange: 'InfluxDB 2.3 – 2.7', problems: [], writable: true, hasHashedIndex: false})
    expect(s.notes).toEqual(['a newer influxd runs migration 21 at its next start (backing the file up first)'])
  })

  it('clean 2.0, 2.1 and 2.2 schemas', () => {
    expect(detectFile(build(upTo(15)))).toMatchObject({level: '≤2.0', permissionLevel: '2.0', writable: true})
    expect(detectFile(build(upTo(18)))).toMatchObject({level: '2.1', permissionLevel: '2.1', writable: true})
    expect(detectFile(build(upTo(19)))).toMatchObject({level: '2.2', permissionLevel: '2.2+', writable: true})
  })

  it('a gap: 21 recorded while 18–20 are missing', () => {
    const s = detectFile(build([...upTo(17), {id: 21}], withHashedIndex))
    expect(s.highestFinished).toBe(21)
    expect(s.writable).toBe(false)
    expect(s.problems).toHaveLength(3)
    expect(s.problems[0]).toMatch(/^migration 18 "repair missing shard group durations" is missing although migration 21 is finished/)
    expect(s.problems[2]).toMatch(/^migration 20 /)
  })

  it('out of order: a lower migration left unfinished below a finished one', () => {
    const recs = upTo(20)
    recs[18] = {id: 19, finished: false}
    const s = detectFile(build(recs))
    expect(s.writable).toBe(false)
    expect(s.problems.some((p) => /^migration 19 ".*" was started at .* but never finished/.test(p))).toBe(true)
    expect(s.problems.some((p) => /^migration 19 .* is unfinished although migration 20 is finished/.test(p))).toBe(true)
  })

  it('an unknown migration 22 (a newer influxd)', () => {
    const s = detectFile(build([...upTo(21), {id: 22, name: 'something from 2.10'}], withHashedIndex))
    expect(s.highestFinished).toBe(22)
    expect(s.level).toBe('unknown')
    expect(s.influxdRange).toBe('unknown InfluxDB version')
    expect(s.writable).toBe(false)
    expect(s.problems).toEqual([expect.stringMatching(/^unknown migration 22 "something from 2.10": written by an influxd newer/)])
  })

  it('a wrong name', () => {
    const recs = upTo(20)
    recs[13] = {id: 14, name: 'reindex DBRPs'}
    const s = detectFile(build(recs))
    expect(s.level).toBe('2.3-2.7')
    expect(s.writable).toBe(false)
    expect(s.problems).toEqual(['migration 14: expected name "add index \\"dbrpbyorgv1\\"", found "reindex DBRPs"'])
  })

  it('an unfinished last migration', () => {
    const s = detectFile(build([...upTo(20), {id: 21, finished: false}]))
    expect(s.highestFinished).toBe(20)
    expect(s.level).toBe('2.3-2.7')
    expect(s.writable).toBe(false)
    expect(s.problems).toEqual([expect.stringMatching(/^migration 21 "create authorizationhashedindexv1 bucket" was started at 2025-02-05T21:01:39.331257096Z but never finished/)])
    expect(s.migrations[20]).toMatchObject({id: 21, finished: false, finishedAt: null})
  })

  it('no migrationsv1 bucket', () => {
    const s = detectFile(build(null))
    expect(s).toMatchObject({highestFinished: 0, level: 'unknown', hasMigrationsBucket: false, writable: false, migrations: []})
    expect(s.problems).toEqual([expect.stringMatching(/bucket "migrationsv1" is missing/)])
  })

  it('an empty migrationsv1 bucket', () => {
    const s = detectFile(build([]))
    expect(s).toMatchObject({level: 'unknown', writable: false})
    expect(s.problems).toEqual([expect.stringMatching(/is empty/)])
  })

  it('undecodable records and keys', () => {
    const s = detectFile(build([
      ...upTo(19),
      {id: 20, raw: '{"id":"0000000000000014","name":'},
      {id: 0, key: 'not-a-migration!', raw: '{}'},
    ]))
    expect(s.writable).toBe(false)
    expect(s.highestFinished).toBe(19)
    expect(s.problems).toContainEqual(expect.stringMatching(/^migration 20: undecodable record: not JSON/))
    expect(s.problems).toContainEqual('migration key "not-a-migration!" is not a 16-hex-digit migration ID')
    expect(s.migrations.find((m) => m.id === 20)).toMatchObject({decoded: false, finished: false})
  })

  it('records influxd could not unmarshal: a bad time, a non-string name, a bad id', () => {
    const good = JSON.parse(record({id: 2})) as Record<string, unknown>
    const s = detectFile(build([
      {id: 1, raw: JSON.stringify({...JSON.parse(record({id: 1})), finished_at: 'yesterday'})},
      {id: 2, raw: JSON.stringify({...good, name: 7})},
      {id: 3, raw: JSON.stringify({...JSON.parse(record({id: 3})), id: '0000000000000000'})},
      {id: 4, raw: JSON.stringify({...JSON.parse(record({id: 4})), id: '0000000000000005'})},
      ...upTo(15).slice(4),
    ]))
    expect(s.writable).toBe(false)
    expect(s.problems).toContainEqual(expect.stringMatching(/^migration 1: undecodable record: "finished_at" "yesterday"/))
    expect(s.problems).toContainEqual('migration 2: undecodable record: "name" is not a string')
    expect(s.problems).toContainEqual(expect.stringMatching(/^migration 3: undecodable record: "id"/))
    expect(s.problems).toContainEqual('migration record under key 0000000000000004 says id 0000000000000005')
  })

  it('migration 21 recorded without the hashed index bucket', () => {
    const s = detectFile(build(upTo(21)))
    expect(s.level).toBe('2.8+')
    expect(s.hasHashedIndex).toBe(false)
    expect(s.writable).toBe(false)
    expect(s.problems).toEqual([expect.stringMatching(/bucket "authorizationhashedindexv1" is missing: influxd 2.9 refuses to start/)])
  })

  it('the hashed index bucket without migration 21 is only a note', () => {
    const s = detectFile(build(upTo(20), withHashedIndex))
    expect(s).toMatchObject({level: '2.3-2.7', hasHashedIndex: true, writable: true, problems: []})
    expect(s.notes[0]).toMatch(/exists although migration 21 is not recorded/)
  })
})
