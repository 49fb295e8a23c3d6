// org create on copies of both real fixtures: every record, index entry and
// the meta.db compared with bytes influxd wrote (the fixtures' own org,
// system buckets, owner mapping and databases, with the new IDs and times)
// and with hand-written protobuf; the Go oracle's check and Go writing the
// file after every write; the refusals (names, owners, files without
// v1_tsm1_metadata) and the safe-write rules (dry run, lock, undo).
import * as fs from 'node:fs'
import {afterAll, describe, expect, it} from 'vitest'

import {errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {
  auditLines, contents, copyOf, DAY, diff, edit, get, getBytes, goWritesAfter, metaDatabase, sideFiles, varint,
} from '../helpers/kv.js'
import {fixture, oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-org-create-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_USER = '08371db1dd8c8000'
const FIX_TASKS = 'a4400ee87566e12a'
const FIX_MONITORING = '35227829a87926d7'
const FIX_ORG_TIME = '2021-09-28T12:55:25.442475Z'
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/
/** The fixtures' meta.db up to its last database (Term 0, Index 4, ClusterID, three databases), and after it. */
const CLUSTER = '18b29799a8818cbbef29'
const FIX_DBS = metaDatabase(FIX_TASKS, 3n * DAY, DAY) + metaDatabase(FIX_MONITORING, 7n * DAY, DAY) + metaDatabase('7451ab8b9b7df592', 0n, 7n * DAY)
const TAIL = '380040004800'

function orgCreate(file: string, args: string[]): CliResult {
  return runCli(['org', 'create', '--bolt-path', file, ...args])
}

/** No byte of the ID (big-endian) is 0x5C, 0x2C or 0x20, like every ID influxd's OrgBucketID draws. */
function influxdOrgBucketID(id: string): boolean {
  return /^[0-9a-f]{16}$/.test(id) && !Buffer.from(id, 'hex').some((b) => b === 0x5c || b === 0x2c || b === 0x20)
}

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`org create on the ${label}`, () => {
    it('with --owner and -d: the org, both system buckets, their databases and the owner mapping, as influxd writes them; nothing else', () => {
      const file = copyOf(tmp, src)
      const before = contents(file)
      const start = Date.now()
      const r = orgCreate(file, ['--name', 'acme', '-d', 'Production <eu> & co', '--owner', 'testuser', '--json'])
      expect(r.status, r.stderr).toBe(0)
      oracleCheck(file)
      const doc = JSON.parse(r.stdout)
      const org: string = doc.org.id
      const [tasks, monitoring] = doc.buckets.map((b: {id: string}) => b.id) as [string, string]
      const t: string = doc.org.createdAt
      expect(t).toMatch(UTC_TIME)
      expect(Date.parse(t)).toBeGreaterThanOrEqual(start - 1000)
      expect(Date.parse(t)).toBeLessThanOrEqual(Date.now() + 1000)
      for (const id of [org, tasks, monitoring]) expect(influxdOrgBucketID(id), id).toBe(true)
      expect(new Set([org, tasks, monitoring, FIX_ORG, FIX_TASKS, FIX_MONITORING]).size).toBe(6)
      expect(doc).toMatchObject({dryRun: false, owner: {id: FIX_USER, name: 'testuser'}, metaIndex: {before: 4, after: 6}})
      expect(doc.txidAfter).toBe(doc.txidBefore + 1)
      expect(doc.buckets).toEqual([
        {id: tasks, name: '_tasks', type: 'system', retentionPeriod: 259200000000000, shardGroupDuration: 86400000000000},
        {id: monitoring, name: '_monitoring', type: 'system', retentionPeriod: 604800000000000, shardGroupDuration: 86400000000000},
      ])

      const after = contents(file)
      const urm = `${org}${FIX_USER}`
      expect(diff(before, after)).toEqual([
        `bucketindexv1 ${org}_monitoring`, `bucketindexv1 ${org}_tasks`,
        `bucketsv1 ${tasks}`, `bucketsv1 ${monitoring}`,
        `organizationindexv1 acme`, `organizationsv1 ${org}`,
        `userresourcemappingsbyuserindexv1 ${FIX_USER}/${urm}`, `userresourcemappingsv1 ${urm}`,
        'v1_tsm1_metadata meta.db',
      ].sort())
      // the org: Go's encoding/json of influxdb.Organization (<, >, & escaped), shaped like the fixture's own
      expect(get(after, 'organizationsv1', org)).toBe(`{"id":"${org}","name":"acme","description":"Production \\u003ceu\\u003e \\u0026 co","createdAt":"${t}","updatedAt":"${t}"}`)
      expect(get(after, 'organizationsv1', org)).toBe(get(before, 'organizationsv1', FIX_ORG)!.replace(FIX_ORG, org).replace('myorg', 'acme')
        .replace('"description":""', '"description":"Production \\u003ceu\\u003e \\u0026 co"').replaceAll(FIX_ORG_TIME, t))
      expect(get(after, 'organizationindexv1', 'acme')).toBe(org)
      // the system buckets: byte for byte the fixture's own (written by influxd's storage layer), new IDs and times
      for (const [id, fixId, name] of [[tasks, FIX_TASKS, '_tasks'], [monitoring, FIX_MONITORING, '_monitoring']] as const) {
        const own = get(before, 'bucketsv1', fixId)!
        const fixTime = /"createdAt":"([^"]+)"/.exec(own)![1]!
        expect(get(after, 'bucketsv1', id)).toBe(own.replace(fixId, id).replace(FIX_ORG, org).replaceAll(fixTime, t))
        expect(get(after, 'bucketindexv1', `${org}${name}`)).toBe(id)
      }
      expect(get(after, 'bucketsv1', tasks)).toBe(`{"id":"${tasks}","orgID":"${org}","type":1,"name":"_tasks","description":"System bucket for task logs","retentionPeriod":259200000000000,"shardGroupDuration":86400000000000,"createdAt":"${t}","updatedAt":"${t}"}`)
      // meta.db: hand-written protobuf: Index 4 -> 6, the two databases after the existing three, the rest as it was
      const meta = `0800${'10'}${varint(6n)}${CLUSTER}${FIX_DBS}${metaDatabase(tasks, 3n * DAY, DAY)}${metaDatabase(monitoring, 7n * DAY, DAY)}${TAIL}`
      expect(getBytes(after, 'v1_tsm1_metadata', 'meta.db')!.toString('hex')).toBe(meta)
      expect(getBytes(before, 'v1_tsm1_metadata', 'meta.db')!.toString('hex')).toBe(`08001004${CLUSTER}${FIX_DBS}${TAIL}`)
      // the owner mapping and its index entry: the fixture's own with the new org
      expect(get(after, 'userresourcemappingsv1', urm)).toBe(get(before, 'userresourcemappingsv1', `${FIX_ORG}${FIX_USER}`)!.replace(FIX_ORG, org))
      expect(get(after, 'userresourcemappingsbyuserindexv1', `${FIX_USER}/${urm}`)).toBe(urm)

      // the listings see it: org list, bucket list (with databases), members
      expect(JSON.parse(runCli(['org', 'list', '--bolt-path', file, '--json']).stdout)).toContainEqual({id: org, name: 'acme', description: 'Production <eu> & co', createdAt: t, updatedAt: t})
      const buckets = JSON.parse(runCli(['bucket', 'list', '--bolt-path', file, '--org', 'acme', '--json']).stdout)
      expect(buckets.map((b: {name: string; database: string}) => [b.name, b.database]).sort()).toEqual([['_monitoring', 'yes'], ['_tasks', 'yes']])
      expect(JSON.parse(runCli(['org', 'members', 'list', '--bolt-path', file, '--org', 'acme', '--json']).stdout)).toEqual([{id: FIX_USER, name: 'testuser', role: 'owner', status: 'active'}])

      // backup and one audit line naming the records
      expect(sha256(doc.backup)).toBe(sha256(src))
      const audit = auditLines(file)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({command: 'org create', outcome: 'ok', ids: [org, tasks, monitoring, FIX_USER], txidBefore: doc.txidBefore, txidAfter: doc.txidAfter})
      expect(audit[0]!.fileSha256After).toBe(sha256(file))
      goWritesAfter(file)
    })

    it('without an owner and by --owner-id: no mapping in the first, the owner\'s in the second; doctor passes', () => {
      const file = copyOf(tmp, src)
      const before = contents(file)
      const r = orgCreate(file, ['-n', 'plain', '--no-backup'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^ID\s+Name\s+Description\s+Owner\n[0-9a-f]{16}\s+plain\s*\n/)
      expect(r.stdout).toMatch(/^Bucket ID\s+Name\s+Type\s+Retention\s+Shard group duration\s+Database\n[0-9a-f]{16}\s+_tasks\s+system\s+72h0m0s\s+24h0m0s\s+yes \(autogen\)\n[0-9a-f]{16}\s+_monitoring\s+system\s+168h0m0s\s+24h0m0s\s+yes \(autogen\)\n/m)
      expect(r.stdout).toContain(`created org plain in ${file}`)
      const mid = contents(file)
      expect(diff(before, mid).filter((k) => k.startsWith('userresourcemappings'))).toEqual([])
      const r2 = orgCreate(file, ['-n', 'owned', '--owner-id', FIX_USER.toUpperCase(), '--json', '--no-backup'])
      expect(r2.status, r2.stderr).toBe(0)
      const id = JSON.parse(r2.stdout).org.id
      expect(get(contents(file), 'userresourcemappingsv1', `${id}${FIX_USER}`)).toBe(`{"userID":"${FIX_USER}","userType":"owner","mappingType":"user","resourceType":"orgs","resourceID":"${id}"}`)
      // Index counts one per database: 4 -> 6 -> 8
      expect(getBytes(contents(file), 'v1_tsm1_metadata', 'meta.db')!.subarray(0, 4).toString('hex')).toBe('08001008')
      oracleCheck(file)
      const doctor = runCli(['doctor', '--bolt-path', file, '--json'])
      const buckets = JSON.parse(doctor.stdout).checks.find((c: {name: string}) => c.name === 'buckets')
      expect(buckets).toMatchObject({verdict: 'PASS', message: '7 bucket(s), each with its database in meta.db'})
      goWritesAfter(file)
    })

    it('--dry-run: the plan, exit 0, the file and its directory untouched', () => {
      const file = copyOf(tmp, src)
      const sum = sha256(file)
      const r = orgCreate(file, ['--name', 'acme', '--owner', 'testuser', '--dry-run'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain(`dry run: nothing was written to ${file}`)
      expect(r.stdout).toMatch(/^ {2}add organizationsv1 "[0-9a-f]{16}" = \{"id":"[0-9a-f]{16}","name":"acme","description":"",/m)
      expect(r.stdout).toMatch(/^ {2}change v1_tsm1_metadata "meta\.db" = \(protobuf\) Index 4 -> 6, adds database [0-9a-f]{16} \(autogen: retention 72h0m0s, shard groups 24h0m0s, replicaN 1\), database [0-9a-f]{16} \(autogen: retention 168h0m0s/m)
      expect(r.stdout).toMatch(/^ {2}add userresourcemappingsbyuserindexv1 "08371db1dd8c8000\/[0-9a-f]{16}08371db1dd8c8000"/m)
      expect(sha256(file)).toBe(sum)
      expect(sideFiles(file)).toEqual([])
    })

    it('refusals, each with one error line and the file untouched: taken names, bad names, unknown owners', () => {
      const file = copyOf(tmp, src)
      // an org influxd stored with white space around its name: indexed trimmed
      edit(file, [['organizationsv1', '0a0b0c0d0e0f1011', '{"id":"0a0b0c0d0e0f1011","name":"  team ","description":"","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z"}'], ['organizationindexv1', 'team', '0a0b0c0d0e0f1011']])
      const sum = sha256(file)
      const cases: Array<[string[], number, RegExp]> = [
        [['--name', 'myorg'], 1, /^Error: organization with name myorg already exists$/],
        [['--name', 'team'], 1, /^Error: organization with name team already exists$/],
        [['--name', ''], 2, /^Error: the organization name is empty$/],
        [['--name', ' \t '], 2, /^Error: the organization name is empty$/],
        [['--name', ' acme'], 2, /leading or trailing white space/],
        [['--name', 'ac\u001b[31mme'], 2, /control or bidi character U\+001B/],
        [['--name', 'ac\u202eme'], 2, /control or bidi character U\+202E/],
        [['--name', 'acme', '-d', 'line\nbreak'], 2, /^Error: the description contains the control or bidi character U\+000A$/],
        [['--name', 'acme', '--owner', 'nobody'], 5, /^Error: user "nobody" does not exist; the users in the file: "testuser"$/],
        [['--name', 'acme', '--owner-id', '0000000000000bad'], 5, /^Error: user ID 0000000000000bad does not exist/],
        [['--name', 'acme', '--owner-id', 'xyz'], 2, /^Error: invalid user ID "xyz"/],
        [['--name', 'acme', '--owner', 'testuser', '--owner-id', FIX_USER], 2, /cannot also be provided/],
      ]
      for (const [args, code, message] of cases) {
        const r = orgCreate(file, args)
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(code)
        const e = errorLines(r.stderr)
        expect(e.ok, r.stderr).toBe(true)
        expect(e.error, args.join(' ')).toMatch(message)
        expect(r.stderr).not.toContain('\u001b')
        expect(r.stderr).not.toContain('\u202e')
      }
      expect(sha256(file)).toBe(sum)
      expect(sideFiles(file)).toEqual([])
    })
  })
}

describe('org create: files it must refuse or complete', () => {
  it('a file without v1_tsm1_metadata: exit 4, nothing written', () => {
    const file = copyOf(tmp, V29)
    edit(file, [['v1_tsm1_metadata', '*', null]])
    const sum = sha256(file)
    const r = orgCreate(file, ['--name', 'acme'])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, error: expect.stringMatching(/^Error: bucket "v1_tsm1_metadata" is missing/)})
    expect(sha256(file)).toBe(sum)
    expect(sideFiles(file)).toEqual([])
  })

  it('a meta.db influxd cannot load (a required field missing): exit 4, nothing written', () => {
    const file = copyOf(tmp, V27)
    // Term 0, ClusterID 3, MaxNodeID/MaxShardGroupID/MaxShardID 0: no Index
    edit(file, [['v1_tsm1_metadata', 'meta.db', Buffer.from('08001803380040004800', 'hex')]])
    const sum = sha256(file)
    const r = orgCreate(file, ['--name', 'acme'])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).error).toMatch(/meta\.db.*required field Data\.Index is not set/)
    expect(sha256(file)).toBe(sum)
  })

  it('a v1_tsm1_metadata without meta.db: the meta.db influxd writes at its first start, then the two databases', () => {
    const file = copyOf(tmp, V27)
    edit(file, [['v1_tsm1_metadata', 'meta.db', null]])
    const r = orgCreate(file, ['--name', 'acme', '--json', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.metaIndex).toEqual({before: null, after: 3})
    const meta = getBytes(contents(file), 'v1_tsm1_metadata', 'meta.db')!.toString('hex')
    // Term 0, Index 3, a ClusterID (a positive int63, random: its varint is read byte by byte, a
    // pattern could take its bytes for the next field's), the two databases, MaxNodeID/MaxShardGroupID/MaxShardID 0
    expect(meta.slice(0, 10), meta).toBe('0800100318')
    let end = 10
    let clusterID = 0n
    for (let shift = 0n; ; shift += 7n) {
      const byte = Number.parseInt(meta.slice(end, end + 2), 16)
      end += 2
      clusterID |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) break
    }
    expect(clusterID > 0n && clusterID < 2n ** 63n, meta).toBe(true)
    expect(meta.slice(end)).toBe(metaDatabase(doc.buckets[0].id, 3n * DAY, DAY) + metaDatabase(doc.buckets[1].id, 7n * DAY, DAY) + '380040004800')
    oracleCheck(file)
    goWritesAfter(file)
  })

  it('a failing verification undoes the write (exit 6): Go sees the file as before; the audit says undone', () => {
    const file = copyOf(tmp, V29)
    const original = oracleDump(file)
    const r = runCli(['org', 'create', '--bolt-path', file, '--name', 'acme'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'}})
    expect(r.status).toBe(6)
    expect(r.stderr).toMatch(/^Error: verification after the write failed.*undone/m)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(original)
    expect(auditLines(file)).toMatchObject([{command: 'org create', outcome: 'undone'}])
  })

  it('exits 3 while another process (influxd) holds the file; nothing written', async () => {
    const file = copyOf(tmp, V29)
    const sum = sha256(file)
    const holder = await holdFlock(file)
    try {
      const r = orgCreate(file, ['--name', 'acme', '--lock-timeout', '0.2'])
      expect(r.status).toBe(3)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(sum)
  })
})
