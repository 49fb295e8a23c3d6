// auth export, auth hash-upgrade and auth scrub on copies of the real files:
// the record is byte-identical to spec §8.2, the indexes exactly right, Go's
// check passes (and Go can keep writing), and no plaintext is left anywhere.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS as BUILT, USER} from '../helpers/influx-builder.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const OPERATOR = '08371db24dcc8000'
const CUSTOM = '08371deae98c8000'
const TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]
const SHA256 = ['$influxdb2-sha256$tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI=', '$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU=']
const SHA512 = [
  '$influxdb2-sha512$Sk86I-KpZC2RedEEB_eyiu1LLxDnIMne0_uxulLkt-gjQxZaus1lfEpi6lGpISDXKCjmkui1BnpJStIlxDrTrA==',
  '$influxdb2-sha512$7v1GA_fKdd-Pkczp_uO0x5vdJjhcXo0fc_krFH1RApK73O4GWqk6Fm6tH3kkAeZMYvKrNcKfHpa82x3rfjAjXw==',
]
// spec §8.2
const GOLDEN = '{"id":"08371deae98c8000","hashedToken":"$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU=","status":"active","description":"testuser\'s read buckets token","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'

let tmp: string
beforeEach(() => {
  tmp = makeTempDir('ir-hash-')
})
afterEach(() => removeDir(tmp))

const copy = (src: string): string => copyInto(src, tmp, 'influxd.bolt')
const bytes = (file: string): Buffer => fs.readFileSync(file)
const containsAny = (file: string, tokens: string[]): string[] => tokens.filter((t) => bytes(file).includes(Buffer.from(t)))

function getRaw(file: string, bucket: string, key: string): string {
  const r = runCli(['bolt', 'get', file, '--bucket', bucket, '--key', key, '--raw'])
  expect(r.status, r.stderr).toBe(0)
  return r.stdoutBytes.toString('utf8')
}

function keys(file: string, bucket: string): string[] {
  const r = runCli(['bolt', 'keys', file, '--bucket', bucket, '--json'])
  expect(r.status, r.stderr).toBe(0)
  const doc = JSON.parse(r.stdout) as {keys: Array<{key: string}>}
  return doc.keys.map((k) => k.key).sort()
}

describe('auth export', () => {
  it('writes every raw token with fingerprint and hash, 0600, and never overwrites', () => {
    const file = copy(V29)
    const before = sha256(file)
    const out = path.join(tmp, 'tokens.yaml')
    const r = runCli(['auth', 'export', '--bolt-path', file, '--output', out])
    expect(r.status, r.stderr).toBe(0)
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    const text = fs.readFileSync(out, 'utf8')
    for (const t of [...TOKENS, ...SHA256]) expect(text).toContain(t)
    expect(text).toContain('fingerprint: b4d427e156c04201201d8129b42c24782ea8bf6b9865fcc81a3ea3447ffe7962')
    expect(sha256(file)).toBe(before)
    const again = runCli(['auth', 'export', '--bolt-path', file, '--output', out, '--format', 'json'])
    expect(again.status).toBe(1)
    expect(errorLines(again.stderr).error).toMatch(/refusing to overwrite/)
    expect(fs.readFileSync(out, 'utf8')).toBe(text)
  })

  it.each(['json', 'csv', 'env'] as const)('%s format holds both tokens and their hashes', (format) => {
    const file = copy(V29)
    const out = path.join(tmp, `tokens.${format}`)
    const r = runCli(['auth', 'export', '--bolt-path', file, '--output', out, '--format', format, '--variant', 'sha512'])
    expect(r.status, r.stderr).toBe(0)
    const text = fs.readFileSync(out, 'utf8')
    for (const t of [...TOKENS, ...SHA512]) expect(text).toContain(t)
    if (format === 'env') expect(text).toContain(`INFLUX_TOKEN_${CUSTOM.toUpperCase()}=${TOKENS[1]}`)
    if (format === 'json') expect(JSON.parse(text)).toMatchObject({variant: 'sha512', notExportable: []})
  })

  it('--output - prints to stdout; hashed tokens are listed as not exportable', () => {
    const file = copy(V29)
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    const r = runCli(['auth', 'export', '--bolt-path', file, '--output', '-', '--format', 'json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {exported: unknown[]; notExportable: Array<{id: string}>}
    expect(doc.exported).toEqual([])
    expect(doc.notExportable.map((n) => n.id).sort()).toEqual([OPERATOR, CUSTOM])
  })

  it('a failing check deletes the file and exits 6', () => {
    const file = copy(V29)
    const out = path.join(tmp, 'tokens.yaml')
    const r = runCli(['auth', 'export', '--bolt-path', file, '--output', out], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-export-verify'}})
    expect(r.status).toBe(6)
    expect(fs.existsSync(out)).toBe(false)
  })
})

describe('auth hash-upgrade', () => {
  it('2.8–2.9 file: golden record, exact indexes, Go check and writes, no plaintext left', () => {
    const file = copy(V29)
    const out = path.join(tmp, 'tokens.yaml')
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/hashed 2 token/)
    expect(r.stdout).toMatch(/scrubbed/)
    expect(r.stdout).not.toContain(TOKENS[0])
    expect(getRaw(file, 'authorizationsv1', CUSTOM)).toBe(GOLDEN)
    expect(getRaw(file, 'authorizationhashedindexv1', SHA256[1]!)).toBe(CUSTOM)
    expect(getRaw(file, 'authorizationhashedindexv1', SHA256[0]!)).toBe(OPERATOR)
    expect(keys(file, 'authorizationhashedindexv1')).toEqual([...SHA256].sort())
    expect(keys(file, 'authorizationindexv1')).toEqual([])
    expect(containsAny(file, TOKENS)).toEqual([])
    oracleCheck(file)
    // the export
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    const text = fs.readFileSync(out, 'utf8')
    for (const t of [...TOKENS, ...SHA256]) expect(text).toContain(t)
    const again = runCli(['auth', 'export', '--bolt-path', copyInto(V29, tmp, 'other.bolt'), '--output', out])
    expect(again.status).toBe(1)
    expect(fs.readFileSync(out, 'utf8')).toBe(text)
    // an audit line with fingerprints only
    const audit = fs.readFileSync(path.join(tmp, 'influx-recover.audit.jsonl'), 'utf8')
    expect(audit).toContain('auth hash-upgrade')
    for (const t of TOKENS) expect(audit).not.toContain(t)
    // nothing left to do
    const noop = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--json'])
    expect(noop.status, noop.stderr).toBe(0)
    expect(JSON.parse(noop.stdout)).toMatchObject({hashed: 0, backup: null})
    // Go can keep writing it
    const m = oracle('mutate', file, '7')
    expect(m.status, m.stderr).toBe(0)
    oracleCheck(file)
  })

  it('--json reports the export, scrub, backup and what is still exposed', () => {
    const file = copy(V29)
    fs.writeFileSync(`${file}.pre-v2.9.1-upgrade.backup`, bytes(V29))
    const out = path.join(tmp, 'tokens.json')
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--export-format', 'json', '--yes', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {hashed: number; variant: string; export: string; scrubbed: {pagesZeroed: number}; backup: string; stillExposed: string[]}
    expect(doc).toMatchObject({hashed: 2, variant: 'sha256', export: out})
    expect(doc.scrubbed.pagesZeroed).toBeGreaterThan(0)
    expect(doc.backup).toMatch(/influx-recover-.*\.bak$/)
    expect(doc.stillExposed).toContain(doc.backup)
    expect(doc.stillExposed).toContain(`${file}.pre-v2.9.1-upgrade.backup`)
    expect(containsAny(doc.backup, TOKENS)).toEqual(TOKENS)
    expect(containsAny(file, TOKENS)).toEqual([])
  })

  it('sha512 variant', () => {
    const file = copy(V29)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 't.csv'), '--export-format', 'csv', '--variant', 'sha512', '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    expect(keys(file, 'authorizationhashedindexv1')).toEqual([...SHA512].sort())
    expect(JSON.parse(getRaw(file, 'authorizationsv1', CUSTOM))).toMatchObject({hashedToken: SHA512[1]})
    expect(containsAny(file, TOKENS)).toEqual([])
    oracleCheck(file)
  })

  it('2.1–2.7 file is refused (exit 4); --create-hashed-index creates only the bucket', () => {
    const file = copy(V27)
    const before = sha256(file)
    const out = path.join(tmp, 'tokens.yaml')
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup'])
    expect(r.status).toBe(4)
    expect(errorLines(r.stderr).error).toMatch(/2\.7 and older cannot use hashed tokens/)
    expect(sha256(file)).toBe(before)
    expect(fs.existsSync(out)).toBe(false)
    const migrations = keys(file, 'migrationsv1')
    const ok = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup', '--create-hashed-index'])
    expect(ok.status, ok.stderr).toBe(0)
    expect(keys(file, 'migrationsv1')).toEqual(migrations)
    expect(keys(file, 'authorizationhashedindexv1')).toEqual([...SHA256].sort())
    expect(containsAny(file, TOKENS)).toEqual([])
    oracleCheck(file)
  })

  it('--dry-run writes nothing, not even the export', () => {
    const file = copy(V29)
    const before = sha256(file)
    const out = path.join(tmp, 'tokens.yaml')
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--dry-run'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/dry run: would hash 2/)
    expect(sha256(file)).toBe(before)
    expect(fs.existsSync(out)).toBe(false)
  })

  it('needs --export or --skip-export, and --yes without a terminal (exit 2)', () => {
    const file = copy(V29)
    const before = sha256(file)
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--yes']).status).toBe(2)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr).ok).toBe(true)
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 'x.yaml')]).status).toBe(2)
    expect(fs.existsSync(path.join(tmp, 'x.yaml'))).toBe(false)
    expect(sha256(file)).toBe(before)
  })

  it('the audit log chains: hash-upgrade\'s line follows its scrub ("after" is the file as left); auth scrub has its line; each "before" is the last "after"', () => {
    const file = copy(V29)
    const sha0 = sha256(file)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 't.yaml'), '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    const lines = (): Array<Record<string, unknown>> => fs.readFileSync(path.join(tmp, 'influx-recover.audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines()).toHaveLength(1)
    const [write] = lines()
    expect(write).toMatchObject({command: 'auth hash-upgrade', fileSha256Before: sha0, fileSha256After: sha256(file), outcome: 'ok'})
    expect(write!.step).toBeUndefined()
    // a scrub of a scrubbed file still changes nothing a later line would miss: it has its line
    const s = runCli(['auth', 'scrub', '--bolt-path', file])
    expect(s.status, s.stderr).toBe(0)
    expect(lines()[1]).toMatchObject({command: 'auth scrub', step: 'scrub', fileSha256Before: write!.fileSha256After, fileSha256After: sha256(file), ids: [], outcome: 'ok'})
    const c = runCli(['auth', 'create-operator', '--bolt-path', file, '--username', 'testuser', '--org', 'myorg', '--description', 'x', '--yes', '--no-backup', '--json'])
    expect(c.status, c.stderr).toBe(0)
    expect(lines()[2]).toMatchObject({command: 'auth create-operator', fileSha256Before: lines()[1]!.fileSha256After, fileSha256After: sha256(file)})
  })

  it('hash-upgrade --no-scrub: the line\'s "after" is the file as committed; on a thread or not', () => {
    for (const env of [{INFLUX_RECOVER_TEST_HOOKS: 'hash-thread'}, {INFLUX_RECOVER_TEST_HOOKS: 'hash-thread-fails'}, {}] as Array<Record<string, string>>) {
      const file = copy(V29)
      fs.rmSync(path.join(tmp, 'influx-recover.audit.jsonl'), {force: true})
      const before = sha256(file)
      expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup', '--no-scrub'], {env}).status).toBe(0)
      const line = JSON.parse(fs.readFileSync(path.join(tmp, 'influx-recover.audit.jsonl'), 'utf8')) as Record<string, unknown>
      expect(line).toMatchObject({command: 'auth hash-upgrade', fileSha256Before: before, fileSha256After: sha256(file), outcome: 'ok'})
    }
  })

  it('a failing finish (after the scrub) exits 6 after the line is written for the file as left; the hashed state stands', () => {
    const file = copy(V29)
    const before = sha256(file)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-finish'}})
    expect(r.status).toBe(6)
    expect(errorLines(r.stderr).error).toMatch(/the finish failed/)
    const line = JSON.parse(fs.readFileSync(path.join(tmp, 'influx-recover.audit.jsonl'), 'utf8')) as Record<string, unknown>
    expect(line).toMatchObject({command: 'auth hash-upgrade', fileSha256Before: before, fileSha256After: sha256(file), outcome: 'ok'})
    expect(getRaw(file, 'authorizationsv1', CUSTOM)).toBe(GOLDEN)
    expect(containsAny(file, TOKENS)).toEqual([])
    oracleCheck(file)
  })

  it('auth scrub on a thread or not, and with --backup, writes the same chained line', () => {
    for (const [env, extra] of [[{INFLUX_RECOVER_TEST_HOOKS: 'hash-thread'}, []], [{INFLUX_RECOVER_TEST_HOOKS: 'hash-thread-fails'}, []], [{}, ['--backup']]] as const) {
      const file = copy(V29)
      fs.rmSync(path.join(tmp, 'influx-recover.audit.jsonl'), {force: true})
      expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup', '--no-scrub']).status).toBe(0)
      const before = sha256(file)
      const s = runCli(['auth', 'scrub', '--bolt-path', file, ...extra], {env})
      expect(s.status, s.stderr).toBe(0)
      const last = JSON.parse(fs.readFileSync(path.join(tmp, 'influx-recover.audit.jsonl'), 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>
      expect(last).toMatchObject({command: 'auth scrub', step: 'scrub', fileSha256Before: before, fileSha256After: sha256(file), outcome: 'ok'})
      expect(before).not.toBe(sha256(file))
    }
  })

  it('--no-scrub leaves the tokens findable (doctor FAILs remnants); auth scrub removes them', () => {
    const file = copy(V29)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup', '--no-scrub'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/not scrubbed/)
    expect(containsAny(file, TOKENS).length).toBeGreaterThan(0)
    const doc = runCli(['doctor', '--bolt-path', file])
    expect(doc.stdout).toMatch(/FAIL\s+remnants/)
    const s = runCli(['auth', 'scrub', '--bolt-path', file, '--json'])
    expect(s.status, s.stderr).toBe(0)
    const rep = JSON.parse(s.stdout) as {remnantsBefore: string[]; remnants: string[]; backup: null}
    expect(rep.remnantsBefore).toEqual([OPERATOR, CUSTOM])
    expect(rep.remnants).toEqual([])
    expect(rep.backup).toBeNull()
    expect(containsAny(file, TOKENS)).toEqual([])
    expect(runCli(['doctor', '--bolt-path', file]).stdout).toMatch(/PASS\s+remnants/)
    oracleCheck(file)
    expect(getRaw(file, 'authorizationsv1', CUSTOM)).toBe(GOLDEN)
  })

  it('a failing verification undoes the write (exit 6): Go sees the file as before', () => {
    const file = copy(V29)
    const original = oracleDump(file)
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 't.yaml'), '--yes', '--no-backup'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'}})
    expect(r.status).toBe(6)
    expect(errorLines(r.stderr).error).toMatch(/undone/)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(original)
  })

  it('a locked file exits 3 and is not touched', async () => {
    const file = copy(V29)
    const before = sha256(file)
    const holder = await holdFlock(file)
    try {
      const out = path.join(tmp, 't.yaml')
      const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--yes', '--no-backup'])
      expect(r.status).toBe(3)
      expect(fs.existsSync(out)).toBe(false)
      expect(runCli(['auth', 'scrub', '--bolt-path', file]).status).toBe(3)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(before)
  })
})

describe('hash-upgrade on engine-built files', () => {
  const PERM = `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`
  const ODD = `my "own" token <with> & 'quotes'`

  it('both fields, already hashed, odd tokens and legacy v1: each handled as 2.9 should', () => {
    const file = path.join(tmp, 'influxd.bolt')
    buildInfluxFile(file, {
      migrations: 21,
      users: [{id: USER, name: 'admin'}],
      orgs: [{id: ORG, name: 'acme'}],
      owners: [{userID: USER, orgID: ORG}],
      tokens: [
        {id: '0c00000000001000', token: BUILT.operator, description: "admin's Token", orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000002000', token: BUILT.allAccess, hashed: 'sha512', both: true, description: 'both', orgID: ORG, userID: USER, perms: PERM},
        {id: '0c00000000003000', token: BUILT.custom, hashed: 'sha256', description: 'already hashed', orgID: ORG, userID: USER, perms: PERM},
        {id: '0c00000000004000', token: ODD, description: 'odd', orgID: ORG, userID: USER, perms: PERM},
      ],
      legacy: [{id: '0d00000000001000', username: 'v1user', orgID: ORG, userID: USER, perms: PERM}],
    })
    const legacy = getRaw(file, 'legacy/authorizationsv1', '0d00000000001000')
    const hashed = getRaw(file, 'authorizationsv1', '0c00000000003000')
    for (const format of ['csv', 'yaml'] as const) {
      const r = runCli(['auth', 'export', '--bolt-path', file, '--output', path.join(tmp, `t.${format}`), '--format', format])
      expect(r.status, r.stderr).toBe(0)
    }
    const out = path.join(tmp, 'tokens.env')
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', out, '--export-format', 'env', '--yes', '--no-backup', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({hashed: 3})
    const env = fs.readFileSync(out, 'utf8')
    expect(env).toContain(`INFLUX_TOKEN_0C00000000004000='my "own" token <with> & '\\''quotes'\\'''`)
    expect(env).toMatch(/not exportable: 0c00000000003000/)
    expect(getRaw(file, 'legacy/authorizationsv1', '0d00000000001000')).toBe(legacy)
    expect(getRaw(file, 'authorizationsv1', '0c00000000003000')).toBe(hashed)
    // the record with both keeps its (matching) sha512 hash and loses the token
    const both = JSON.parse(getRaw(file, 'authorizationsv1', '0c00000000002000')) as Record<string, unknown>
    expect(both.token).toBeUndefined()
    expect(both.hashedToken).toBe(hashOf(BUILT.allAccess, 'sha512'))
    expect(keys(file, 'authorizationindexv1')).toEqual([])
    expect(keys(file, 'authorizationhashedindexv1')).toEqual([hashOf(BUILT.operator), hashOf(BUILT.allAccess, 'sha512'), hashOf(BUILT.custom), hashOf(ODD)].sort())
    expect(Object.keys(JSON.parse(getRaw(file, 'authorizationsv1', '0c00000000004000')) as object).slice(0, 2)).toEqual(['id', 'hashedToken'])
    const text = fs.readFileSync(file, 'latin1')
    for (const t of [BUILT.operator, BUILT.allAccess, BUILT.custom, ODD, JSON.stringify(ODD).slice(1, -1)]) expect(text).not.toContain(t)
    expect(runCli(['doctor', '--bolt-path', file]).stdout).toMatch(/PASS\s+indexes/)
    oracleCheck(file)
  })

  it('1500 tokens: one transaction, all hashed, none left in the file', () => {
    const file = path.join(tmp, 'influxd.bolt')
    const tokens = Array.from({length: 1500}, (_, i) => `${i.toString(36).padStart(6, '0')}${'x'.repeat(80)}==`)
    buildInfluxFile(file, {
      migrations: 21,
      users: [{id: USER, name: 'admin'}],
      orgs: [{id: ORG, name: 'acme'}],
      tokens: tokens.map((token, i) => ({id: (0x0c00000000001000n + BigInt(i)).toString(16).padStart(16, '0'), token, description: `t${i}`, orgID: ORG, userID: USER, perms: PERM})),
    })
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', path.join(tmp, 't.json'), '--export-format', 'json', '--yes', '--no-backup', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({hashed: 1500})
    expect(keys(file, 'authorizationindexv1')).toEqual([])
    expect(keys(file, 'authorizationhashedindexv1')).toHaveLength(1500)
    const text = fs.readFileSync(file, 'latin1')
    expect(tokens.filter((t) => text.includes(t))).toEqual([])
    oracleCheck(file)
  })

  it('auth scrub --backup keeps a copy and says so', () => {
    const file = copy(V29)
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--skip-export', '--yes', '--no-backup', '--no-scrub']).status).toBe(0)
    const s = runCli(['auth', 'scrub', '--bolt-path', file, '--backup', '--json'])
    expect(s.status, s.stderr).toBe(0)
    const rep = JSON.parse(s.stdout) as {backup: string; stillExposed: string[]; remnants: string[]}
    expect(rep.stillExposed).toContain(rep.backup)
    expect(fs.statSync(rep.backup).mode & 0o777).toBe(0o600)
    expect(rep.remnants).toEqual([])
    expect(containsAny(file, TOKENS)).toEqual([])
  })
})
