// bucket list, doctor's buckets check and bucket repair-meta on copies of
// both real fixtures, and on the state `influxd recovery org create` leaves
// (an org and two system buckets written with its bytes: shard-group
// duration 0, no database in meta.db): doctor fails with the command that
// fixes it, the fix writes the databases influxd would have created
// (hand-written protobuf) and the records' shard-group durations, doctor
// passes afterwards; the Go oracle's check and Go writing after every write.
import {afterAll, describe, expect, it} from 'vitest'

import {errorLines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {auditLines, contents, copyOf, DAY, diff, edit, get, getBytes, goWritesAfter, metaDatabase, sideFiles, varint} from '../helpers/kv.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-bucket-meta-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const CLUSTER = '18b29799a8818cbbef29'
const FIX_DBS = metaDatabase('a4400ee87566e12a', 3n * DAY, DAY) + metaDatabase('35227829a87926d7', 7n * DAY, DAY) + metaDatabase('7451ab8b9b7df592', 0n, 7n * DAY)
const TAIL = '380040004800'

// What `influxd recovery org create --org neworg` writes (tenant service without the storage layer):
const NEW_ORG = '0a0b0c0d0e0f1011'
const TASKS = '1111111111111111'
const MONITORING = '2222222222222222'
const T = '2025-03-01T10:00:00.123456789Z'
const RECOVERY_TASKS = `{"id":"${TASKS}","orgID":"${NEW_ORG}","type":1,"name":"_tasks","description":"System bucket for task logs","retentionPeriod":259200000000000,"shardGroupDuration":0,"createdAt":"${T}","updatedAt":"${T}"}`
const RECOVERY_MONITORING = `{"id":"${MONITORING}","orgID":"${NEW_ORG}","type":1,"name":"_monitoring","description":"System bucket for monitoring logs","retentionPeriod":604800000000000,"shardGroupDuration":0,"createdAt":"${T}","updatedAt":"${T}"}`

function recoveryOrg(file: string): void {
  edit(file, [
    ['organizationsv1', NEW_ORG, `{"id":"${NEW_ORG}","name":"neworg","description":"","createdAt":"${T}","updatedAt":"${T}"}`],
    ['organizationindexv1', 'neworg', NEW_ORG],
    ['bucketsv1', TASKS, RECOVERY_TASKS],
    ['bucketindexv1', `${NEW_ORG}_tasks`, TASKS],
    ['bucketsv1', MONITORING, RECOVERY_MONITORING],
    ['bucketindexv1', `${NEW_ORG}_monitoring`, MONITORING],
  ])
}

function doctorCheck(file: string, name: string): {verdict: string; message: string; hint?: string; details?: string[]} {
  const r = runCli(['doctor', '--bolt-path', file, '--json'])
  return JSON.parse(r.stdout).checks.find((c: {name: string}) => c.name === name)
}

const FIXTURE_ROWS = [
  {id: '35227829a87926d7', name: '_monitoring', orgID: FIX_ORG, orgName: 'myorg', type: 'system', retentionPeriod: 604800000000000, shardGroupDuration: 86400000000000, database: 'yes'},
  {id: '7451ab8b9b7df592', name: 'mybucket', orgID: FIX_ORG, orgName: 'myorg', type: 'user', retentionPeriod: 0, shardGroupDuration: 604800000000000, database: 'yes'},
  {id: 'a4400ee87566e12a', name: '_tasks', orgID: FIX_ORG, orgName: 'myorg', type: 'system', retentionPeriod: 259200000000000, shardGroupDuration: 86400000000000, database: 'yes'},
]

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`buckets on the ${label}`, () => {
    it('bucket list: every bucket with its org, durations and database; --org by index; doctor passes', () => {
      const r = runCli(['bucket', 'list', '--bolt-path', src, '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual(FIXTURE_ROWS)
      expect(runCli(['bucket', 'list', '--bolt-path', src]).stdout).toBe([
        'ID                Name         Org    Type    Retention  Shard group duration  Database',
        '35227829a87926d7  _monitoring  myorg  system  168h0m0s   24h0m0s               yes',
        '7451ab8b9b7df592  mybucket     myorg  user    infinite   168h0m0s              yes',
        'a4400ee87566e12a  _tasks       myorg  system  72h0m0s    24h0m0s               yes',
        '',
      ].join('\n'))
      expect(JSON.parse(runCli(['bucket', 'list', '--bolt-path', src, '--org-id', FIX_ORG, '--json']).stdout)).toEqual(FIXTURE_ROWS)
      const unknown = runCli(['bucket', 'list', '--bolt-path', src, '--org', 'nope'])
      expect(unknown.status).toBe(5)
      expect(errorLines(unknown.stderr)).toMatchObject({ok: true, error: 'Error: org "nope" does not exist; the orgs in the file: "myorg"'})
      expect(doctorCheck(src, 'buckets')).toMatchObject({verdict: 'PASS', message: '3 bucket(s), each with its database in meta.db'})
    })

    it('after `influxd recovery org create`: doctor fails with the fix, bucket list shows it, repair-meta writes what influxd would have, doctor passes', () => {
      const file = copyOf(tmp, src)
      recoveryOrg(file)
      const doctor = runCli(['doctor', '--bolt-path', file])
      expect(doctor.status).toBe(1)
      expect(doctor.stdout).toContain('FAIL  buckets   2 of 5 bucket(s) have no usable database in meta.db: influxd refuses writes to them ("database not found")\n')
      const check = doctorCheck(file, 'buckets')
      expect(check.hint).toBe(`influx-recover bucket repair-meta --bolt-path ${JSON.stringify(file)} --id ${TASKS} --id ${MONITORING}`)
      expect(check.details).toEqual([
        `bucket ${TASKS} ("_tasks" of org "neworg"): no database in meta.db`,
        `bucket ${MONITORING} ("_monitoring" of org "neworg"): no database in meta.db`,
      ])
      const list = runCli(['bucket', 'list', '--bolt-path', file, '--org', 'neworg'])
      expect(list.stdout).toBe([
        'ID                Name         Org     Type    Retention  Shard group duration  Database',
        '1111111111111111  _tasks       neworg  system  72h0m0s    0 (not set)           missing',
        '2222222222222222  _monitoring  neworg  system  168h0m0s   0 (not set)           missing',
        '',
      ].join('\n'))
      expect(list.stderr).toContain(`add them with: influx-recover bucket repair-meta --bolt-path ${JSON.stringify(file)} --id ${TASKS} --id ${MONITORING}`)

      // dry run: the plan, nothing written
      const sum = sha256(file)
      const dry = runCli(['bucket', 'repair-meta', '--bolt-path', file, '--id', TASKS, '--id', MONITORING, '--dry-run'])
      expect(dry.status, dry.stderr).toBe(0)
      expect(dry.stdout).toContain(`  change v1_tsm1_metadata "meta.db" = (protobuf) Index 4 -> 6, adds database ${TASKS} (autogen: retention 72h0m0s, shard groups 24h0m0s, replicaN 1), database ${MONITORING} (autogen: retention 168h0m0s, shard groups 24h0m0s, replicaN 1)`)
      expect(sha256(file)).toBe(sum)

      // the IDs as the hint gives them (the doctor's command, verbatim)
      const before = contents(file)
      const r = runCli(['bucket', 'repair-meta', '--bolt-path', file, '--id', TASKS, '--id', MONITORING.toUpperCase(), '--json'])
      expect(r.status, r.stderr).toBe(0)
      oracleCheck(file)
      const doc = JSON.parse(r.stdout)
      expect(doc).toMatchObject({changed: true, alreadyWhole: [], metaIndex: {before: 4, after: 6}})
      const after = contents(file)
      expect(diff(before, after)).toEqual([`bucketsv1 ${TASKS}`, `bucketsv1 ${MONITORING}`, 'v1_tsm1_metadata meta.db'].sort())
      // the records: only the shard-group duration changes, to what influxd's migrations backfill (1 day)
      expect(get(after, 'bucketsv1', TASKS)).toBe(RECOVERY_TASKS.replace('"shardGroupDuration":0', '"shardGroupDuration":86400000000000'))
      expect(get(after, 'bucketsv1', MONITORING)).toBe(RECOVERY_MONITORING.replace('"shardGroupDuration":0', '"shardGroupDuration":86400000000000'))
      // the same bytes as the buckets influxd created for myorg (the fixture's own), IDs and times aside
      expect(get(after, 'bucketsv1', TASKS)!.replace(TASKS, 'X').replace(NEW_ORG, 'O').replaceAll(T, 'T'))
        .toBe(get(before, 'bucketsv1', 'a4400ee87566e12a')!.replace('a4400ee87566e12a', 'X').replace(FIX_ORG, 'O').replaceAll('2021-09-28T12:55:25.482128Z', 'T'))
      // meta.db: hand-written protobuf
      expect(getBytes(after, 'v1_tsm1_metadata', 'meta.db')!.toString('hex')).toBe(`080010${varint(6n)}${CLUSTER}${FIX_DBS}${metaDatabase(TASKS, 3n * DAY, DAY)}${metaDatabase(MONITORING, 7n * DAY, DAY)}${TAIL}`)
      expect(auditLines(file)).toMatchObject([{command: 'bucket repair-meta', outcome: 'ok', ids: [TASKS, MONITORING]}])

      expect(doctorCheck(file, 'buckets')).toMatchObject({verdict: 'PASS', message: '5 bucket(s), each with its database in meta.db'})
      expect(JSON.parse(runCli(['bucket', 'list', '--bolt-path', file, '--org', 'neworg', '--json']).stdout).map((b: {database: string}) => b.database)).toEqual(['yes', 'yes'])

      // again: nothing to do
      const whole = sha256(file)
      const again = runCli(['bucket', 'repair-meta', '--bolt-path', file, '--id', TASKS])
      expect(again.status, again.stderr).toBe(0)
      expect(again.stdout).toBe(`nothing to repair: ${TASKS} already has its database in meta.db and a shard-group duration\n`)
      expect(sha256(file)).toBe(whole)
      goWritesAfter(file)
    })
  })
}

describe('repair-meta and the buckets check: other states', () => {
  it('refusals: unknown bucket (5), bad ID (2), no --id (2), a retention influxd refuses (1); nothing written', () => {
    const file = copyOf(tmp, V29)
    edit(file, [['bucketsv1', '3333333333333333', `{"id":"3333333333333333","orgID":"${FIX_ORG}","type":0,"name":"short","description":"","retentionPeriod":60000000000,"shardGroupDuration":0,"createdAt":"${T}","updatedAt":"${T}"}`], ['bucketindexv1', `${FIX_ORG}short`, '3333333333333333']])
    const sum = sha256(file)
    const cases: Array<[string[], number, RegExp]> = [
      [['--id', '0000000000000bad'], 5, /^Error: bucket 0000000000000bad does not exist$/],
      [['--id', 'nothex'], 2, /^Error: invalid bucket ID "nothex"/],
      [[], 2, /Missing required flag id/],
      [['--id', '3333333333333333'], 1, /retention policy duration must be at least 1h0m0s/],
    ]
    for (const [args, code, message] of cases) {
      const r = runCli(['bucket', 'repair-meta', '--bolt-path', file, ...args])
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
      expect(errorLines(r.stderr).error).toMatch(message)
    }
    expect(sha256(file)).toBe(sum)
    expect(sideFiles(file)).toEqual([])
  })

  it('meta.db absent: doctor fails for every bucket; repair-meta writes the meta.db influxd starts with, plus the databases', () => {
    const file = copyOf(tmp, V27)
    edit(file, [['v1_tsm1_metadata', 'meta.db', null]])
    const check = doctorCheck(file, 'buckets')
    expect(check.verdict).toBe('FAIL')
    expect(check.message).toMatch(/^3 of 3 bucket\(s\) have no usable database.*v1_tsm1_metadata has no meta\.db/)
    const ids = ['35227829a87926d7', '7451ab8b9b7df592', 'a4400ee87566e12a']
    expect(check.hint).toBe(`influx-recover bucket repair-meta --bolt-path ${JSON.stringify(file)} ${ids.map((i) => `--id ${i}`).join(' ')}`)
    const r = runCli(['bucket', 'repair-meta', '--bolt-path', file, ...ids.flatMap((i) => ['--id', i]), '--json', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).metaIndex).toEqual({before: null, after: 4})
    const meta = getBytes(contents(file), 'v1_tsm1_metadata', 'meta.db')!.toString('hex')
    const dbs = metaDatabase(ids[0]!, 7n * DAY, DAY) + metaDatabase(ids[1]!, 0n, 7n * DAY) + metaDatabase(ids[2]!, 3n * DAY, DAY)
    expect(meta).toMatch(new RegExp(`^08001004(18[0-9a-f]+)${dbs}${TAIL}$`))
    oracleCheck(file)
    expect(doctorCheck(file, 'buckets').verdict).toBe('PASS')
    goWritesAfter(file)
  })

  it('doctor: no v1_tsm1_metadata is a FAIL; a shard-group duration of 0 beside its database a WARN', () => {
    const file = copyOf(tmp, V29)
    edit(file, [['bucketsv1', 'a4400ee87566e12a', `{"id":"a4400ee87566e12a","orgID":"${FIX_ORG}","type":1,"name":"_tasks","description":"System bucket for task logs","retentionPeriod":259200000000000,"shardGroupDuration":0,"createdAt":"${T}","updatedAt":"${T}"}`]])
    expect(doctorCheck(file, 'buckets')).toMatchObject({verdict: 'WARN', hint: `influx-recover bucket repair-meta --bolt-path ${JSON.stringify(file)} --id a4400ee87566e12a`})
    const r = runCli(['bucket', 'repair-meta', '--bolt-path', file, '--id', 'a4400ee87566e12a', '--json', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({metaIndex: null, buckets: [{id: 'a4400ee87566e12a', shardGroupDuration: {before: 0, after: 86400000000000}}]})
    expect(doctorCheck(file, 'buckets').verdict).toBe('PASS')
    oracleCheck(file)
    edit(file, [['v1_tsm1_metadata', '*', null]])
    expect(doctorCheck(file, 'buckets')).toMatchObject({verdict: 'FAIL', message: expect.stringMatching(/v1_tsm1_metadata is missing/)})
    const list = runCli(['bucket', 'list', '--bolt-path', file, '--json'])
    expect(list.status).toBe(0)
    expect(list.stderr).toMatch(/^warning: the bucket v1_tsm1_metadata is missing/)
    expect(JSON.parse(list.stdout).map((b: {database: string}) => b.database)).toEqual(['missing', 'missing', 'missing'])
  })
})
