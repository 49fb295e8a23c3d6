// The token-writing commands (auth create-operator, create, rotate, active,
// inactive, delete) on copies of the real files and on engine-built raw and
// hashed files: every record compared byte for byte with what influxd writes,
// the indexes exactly right, Go's check after every write, Go can keep
// writing the file, and no secret anywhere but the one printing of a new token.
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {render} from '@inquirer/testing'
import {select} from '@inquirer/prompts'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {chooseOne, type SelectPrompt} from '../../src/cli/prompt.js'
import {ExitCode, RecoverError} from '../../src/errors.js'
import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {allAccessPerms, buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_USER = '08371db1dd8c8000'
const FIX_OPERATOR = '08371db24dcc8000'
const FIX_CUSTOM = '08371deae98c8000'
const FIX_TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]
const MYBUCKET = '7451ab8b9b7df592'
const MONITORING = '35227829a87926d7'

// A zone with a half-hour offset and no daylight saving time: the timestamps must carry it.
const TZ_ENV = {TZ: 'Asia/Kolkata'}
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d*[1-9])?\+05:30$/
const SNOWFLAKE_EPOCH = 1491696000000n

let tmp: string
beforeEach(() => {
  tmp = makeTempDir('ir-auth-write-')
})
afterEach(() => removeDir(tmp))

const OTHER = '0b0b0b0b0b0b0b0b'
const CUSTOM_PERM = `{"action":"read","resource":{"type":"buckets","orgID":"${ORG}"}}`

/** A 2.x file built with our engine: admin/acme, one operator, one all-access and one custom token. */
function built(name: string, spec: Partial<InfluxFileSpec> & {hashed?: 'sha256' | 'sha512'} = {}): string {
  const file = path.join(tmp, name)
  const migrations = spec.migrations ?? 21
  const level = migrations <= 15 ? '2.0' : migrations <= 18 ? '2.1' : '2.2+'
  buildInfluxFile(file, {
    migrations,
    users: [{id: USER, name: 'admin'}, {id: OTHER, name: 'reader'}],
    orgs: [{id: ORG, name: 'acme'}],
    owners: [{userID: USER, orgID: ORG}],
    tokens: [
      {id: '0c00000000001000', token: TOKENS.operator, hashed: spec.hashed, description: "admin's Token", orgID: ORG, userID: USER, perms: operatorPerms(level)},
      {id: '0c00000000002000', token: TOKENS.allAccess, hashed: spec.hashed, description: 'all access', orgID: ORG, userID: USER, perms: allAccessPerms(level, ORG, USER)},
      {id: '0c00000000003000', token: TOKENS.custom, hashed: spec.hashed === undefined ? undefined : 'sha512', description: 'custom', orgID: ORG, userID: OTHER, perms: CUSTOM_PERM},
    ],
    ...spec,
  })
  oracleCheck(file)
  return file
}

/** The top-level buckets as Go sees them: bucket → (key → value), all as utf8 text. */
function goView(file: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  for (const line of oracleDump(file)) {
    const r = JSON.parse(line) as {type: string; path: string[]; key?: string; value?: string}
    const names = r.path.map((p) => Buffer.from(p, 'base64').toString('utf8'))
    if (r.type === 'bucket' && names.length === 1) out.set(names[0]!, new Map())
    if (r.type === 'kv' && names.length === 1) out.get(names[0]!)!.set(Buffer.from(r.key!, 'base64').toString('utf8'), Buffer.from(r.value!, 'base64').toString('utf8'))
  }
  return out
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1
}

function auditLines(file: string): Array<Record<string, unknown>> {
  const log = path.join(path.dirname(file), 'influx-recover.audit.jsonl')
  if (!fs.existsSync(log)) return []
  return fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)
}

function auditText(file: string): string {
  const log = path.join(path.dirname(file), 'influx-recover.audit.jsonl')
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''
}

function backups(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /\.influx-recover-\d{8}T\d{6}Z(?:-\d+)?\.bak$/.test(n)).sort()
}

/** stderr without the notes (backup path, remarks) a successful or failed write may print. */
function errorsOnly(stderr: string): string {
  return stderr.split('\n').filter((l) => !l.startsWith('backup: ') && !l.startsWith('note: ')).join('\n')
}

function run(args: string[], opts: {input?: string; env?: Record<string, string>} = {}): CliResult {
  return runCli(args, {input: opts.input, env: {...TZ_ENV, ...opts.env}})
}

function created(r: CliResult): {id: string; token: string} & Record<string, unknown> {
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as {id: string; token: string} & Record<string, unknown>
}

/** Checks a record's timestamps and ID the way influxd makes them, and returns the stamp. */
function checkNewIdentity(id: string, stamp: string, start: number, end: number): void {
  expect(stamp).toMatch(LOCAL_TIME)
  const t = Date.parse(stamp)
  expect(t).toBeGreaterThanOrEqual(start - 1000)
  expect(t).toBeLessThanOrEqual(end + 1000)
  const v = BigInt(`0x${id}`)
  expect(v).toBeGreaterThanOrEqual(1000n)
  const ms = Number((v >> 22n) + SNOWFLAKE_EPOCH)
  expect(ms).toBeGreaterThanOrEqual(start - 1000)
  expect(ms).toBeLessThanOrEqual(end + 1000)
}

function doctorChecks(file: string): Record<string, {verdict: string; message: string}> {
  const r = runCli(['doctor', '--bolt-path', file, '--json'])
  const doc = JSON.parse(r.stdout) as {checks: Array<{name: string; verdict: string; message: string}>}
  return Object.fromEntries(doc.checks.map((c) => [c.name, c]))
}

/** Go can keep writing the file, and the result is still consistent. */
function goWrites(file: string): void {
  const copy = path.join(tmp, `mutated-${path.basename(file)}`)
  fs.copyFileSync(file, copy)
  const m = oracle('mutate', copy, '7')
  expect(m.status, m.stderr).toBe(0)
  oracleCheck(copy)
  fs.rmSync(copy)
}

describe('auth create-operator on the real files', () => {
  it.each([
    ['2.8–2.9', V29, '2.2+', 44],
    ['2.1–2.7', V27, '2.1', 40],
  ] as const)('%s file: the record influxd writes, raw, with its index entry; listed; doctor passes; Go keeps writing', (_name, src, level, nPerms) => {
    const file = copyInto(src, tmp, 'influxd.bolt')
    const before = sha256(file)
    const start = Date.now()
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'testuser', '--org', 'myorg', '--json'])
    const end = Date.now()
    const doc = created(r)
    expect(Object.keys(doc)).toEqual(['id', 'token', 'tokenState', 'description', 'userID', 'orgID', 'status', 'permissions'])
    expect(doc).toMatchObject({tokenState: 'raw', description: "testuser's Recovery Token", userID: FIX_USER, orgID: FIX_ORG, status: 'active'})
    expect(doc.token).toMatch(/^[A-Za-z0-9_-]{86}==$/)
    expect(doc.permissions).toHaveLength(nPerms)
    oracleCheck(file)

    const view = goView(file)
    const value = view.get('authorizationsv1')!.get(doc.id)!
    const stamp = (JSON.parse(value) as {createdAt: string}).createdAt
    checkNewIdentity(doc.id, stamp, start, end)
    expect(value).toBe(`{"id":"${doc.id}","token":"${doc.token}","status":"active","description":"testuser's Recovery Token","orgID":"${FIX_ORG}","userID":"${FIX_USER}","permissions":[${operatorPerms(level)}],"createdAt":"${stamp}","updatedAt":"${stamp}"}`)
    // the raw index: the new entry, the two old ones, nothing else
    expect([...view.get('authorizationindexv1')!]).toEqual(expect.arrayContaining([[doc.token, doc.id], [FIX_TOKENS[0], FIX_OPERATOR], [FIX_TOKENS[1], FIX_CUSTOM]]))
    expect(view.get('authorizationindexv1')!.size).toBe(3)
    expect(view.get('authorizationhashedindexv1')?.size ?? 0).toBe(0)
    // the other records are untouched
    const orig = goView(src)
    for (const id of [FIX_OPERATOR, FIX_CUSTOM]) expect(view.get('authorizationsv1')!.get(id)).toBe(orig.get('authorizationsv1')!.get(id))

    const list = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout) as Array<{id: string; kind: string; token: string}>
    expect(list.find((x) => x.id === doc.id)).toMatchObject({kind: 'operator', token: doc.token})
    const checks = doctorChecks(file)
    expect(checks.operator!.verdict).toBe('PASS')
    expect(checks.indexes!.verdict).toBe('PASS')
    expect(checks.copies!.verdict).toBe('WARN') // the backup beside it is found

    const made = backups(tmp)
    expect(made).toHaveLength(1)
    expect(made[0]).toMatch(/^influxd\.bolt\.influx-recover-\d{8}T\d{6}Z\.bak$/)
    expect(fs.statSync(path.join(tmp, made[0]!)).mode & 0o777).toBe(0o600)
    expect(sha256(path.join(tmp, made[0]!))).toBe(before)
    expect(r.stderr).toContain(`backup: ${path.join(tmp, made[0]!)}`)

    // the new token is printed once (stdout) and nowhere else; no old token anywhere
    expect(count(r.stdout, doc.token)).toBe(1)
    expect(r.stderr).not.toContain(doc.token)
    const audit = auditLines(file)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({command: 'auth create-operator', outcome: 'ok', ids: [doc.id], fileSha256Before: before, fileSha256After: sha256(file), label: 'pre-create-operator'})
    expect(audit[0]!.txidAfter).toBe((audit[0]!.txidBefore as number) + 1)
    expect(audit[0]!.tokenFingerprints).toEqual([sha256Text(doc.token)])
    expect(fs.statSync(path.join(tmp, 'influx-recover.audit.jsonl')).mode & 0o777).toBe(0o600)
    for (const secret of [doc.token, ...FIX_TOKENS]) {
      expect(auditText(file)).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
    for (const old of FIX_TOKENS) expect(r.stdout).not.toContain(old)

    goWrites(file)
  })

  it('the human table: ID, Description, User, Org, Token, the token once; a note on stderr', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'testuser', '--org', 'myorg', '--description', 'break glass', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    const rows = r.stdout.trimEnd().split('\n')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(/^ID\s+Description\s+User\s+Org\s+Token$/)
    const token = rows[1]!.split(/\s+/).at(-1)!
    expect(token).toMatch(/^[A-Za-z0-9_-]{86}==$/)
    expect(rows[1]).toMatch(/^[0-9a-f]{16}\s+break glass\s+testuser\s+myorg\s+/)
    expect(count(r.stdout, token)).toBe(1)
    expect(r.stderr).not.toContain(token)
    // stored raw (like the file's other tokens): "auth list" shows it again, so no "only time" claim
    expect(r.stderr).toMatch(/note: the token is stored raw/)
    expect(r.stderr).not.toMatch(/only time/)
    expect(backups(tmp)).toEqual([])
    const list = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout) as Array<{description: string; token: string}>
    expect(list.find((x) => x.description === 'break glass')!.token).toBe(token)
    oracleCheck(file)
  })

  it('by --user-id and --org-id; the description defaults to the user\'s name', () => {
    const file = copyInto(V27, tmp, 'influxd.bolt')
    const doc = created(run(['auth', 'create-operator', '--bolt-path', file, '--user-id', FIX_USER, '--org-id', FIX_ORG, '--json', '--no-backup']))
    expect(doc.description).toBe("testuser's Recovery Token")
    oracleCheck(file)
  })

  it('--hashed on the 2.1–2.7 file (no hashed index) is refused with the reason; nothing written', () => {
    const file = copyInto(V27, tmp, 'influxd.bolt')
    const before = sha256(file)
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'testuser', '--org', 'myorg', '--hashed'])
    expect(r.status).toBe(1)
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/cannot store the token hashed.*authorizationhashedindexv1/)
    expect(e.hint).toMatch(/leave out --hashed/)
    expect(sha256(file)).toBe(before)
    expect(fs.readdirSync(tmp)).toEqual(['influxd.bolt'])
  })
})

describe('auth create-operator on engine-built files', () => {
  it('a chosen token from stdin, raw file: stored and indexed as given; 2.0 schema gets the 36-entry set', () => {
    const file = built('influxd.bolt', {migrations: 15})
    const chosen = 'my-own-operator-token-1234567890'
    const start = Date.now()
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--token-stdin', '--json'], {input: `${chosen}\n`})
    const end = Date.now()
    const doc = created(r)
    expect(doc.token).toBe(chosen)
    expect(doc.permissions).toHaveLength(36)
    oracleCheck(file)
    const view = goView(file)
    const value = view.get('authorizationsv1')!.get(doc.id)!
    const stamp = (JSON.parse(value) as {createdAt: string}).createdAt
    checkNewIdentity(doc.id, stamp, start, end)
    expect(value).toBe(`{"id":"${doc.id}","token":"${chosen}","status":"active","description":"admin's Recovery Token","orgID":"${ORG}","userID":"${USER}","permissions":[${operatorPerms('2.0')}],"createdAt":"${stamp}","updatedAt":"${stamp}"}`)
    expect(view.get('authorizationindexv1')!.get(chosen)).toBe(doc.id)
    expect(count(r.stdout, chosen)).toBe(1)
    expect(r.stderr).not.toContain(chosen)
    expect(auditText(file)).not.toContain(chosen)
    expect(auditLines(file)[0]!.flags).toMatchObject({'token-stdin': '(redacted)'})
    goWrites(file)
  })

  it('"the only time it is shown" only for a new random token stored hashed: not raw (≤ 2.7, --no-hashed), not a value given', () => {
    const cases: Array<[string, string[], string | undefined, boolean]> = [
      ['2.7 file, raw', ['--bolt-path', copyInto(V27, tmp, 'only-27.bolt')], undefined, false],
      ['hashed file, --no-hashed', ['--bolt-path', built('only-raw.bolt', {hashed: 'sha256'}), '--no-hashed'], undefined, false],
      ['hashed file, value from stdin', ['--bolt-path', built('only-stdin.bolt', {hashed: 'sha256'}), '--token-stdin'], 'a-value-the-operator-already-has-0001', false],
      ['hashed file, random value', ['--bolt-path', built('only-hashed.bolt', {hashed: 'sha256'})], undefined, true],
    ]
    for (const [name, args, input, onlyTime] of cases) {
      const user = name.startsWith('2.7') ? ['--username', 'testuser', '--org', 'myorg'] : ['--username', 'admin', '--org', 'acme']
      const r = run(['auth', 'create-operator', ...args, ...user, '--no-backup'], input === undefined ? {} : {input: `${input}\n`})
      expect(r.status, `${name}: ${r.stderr}`).toBe(0)
      if (onlyTime) expect(r.stderr, name).toMatch(/note: the token is stored hashed \(sha256\): this is the only time it is shown/)
      else expect(r.stderr, name).not.toMatch(/only time/)
    }
  })

  it('a file holding hashed tokens stores the new one hashed: hashedToken after id, no token, hashed index only', () => {
    const file = built('influxd.bolt', {hashed: 'sha256'})
    const start = Date.now()
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--json'])
    const end = Date.now()
    const doc = created(r)
    expect(doc.tokenState).toBe('hashed')
    expect(r.stderr).toMatch(/note: the token is stored hashed \(sha256\): this is the only time it is shown/)
    oracleCheck(file)
    const view = goView(file)
    const value = view.get('authorizationsv1')!.get(doc.id)!
    const stamp = (JSON.parse(value) as {createdAt: string}).createdAt
    checkNewIdentity(doc.id, stamp, start, end)
    const hash = hashOf(doc.token)
    expect(value).toBe(`{"id":"${doc.id}","hashedToken":"${hash}","status":"active","description":"admin's Recovery Token","orgID":"${ORG}","userID":"${USER}","permissions":[${operatorPerms('2.2+')}],"createdAt":"${stamp}","updatedAt":"${stamp}"}`)
    expect(view.get('authorizationhashedindexv1')!.get(hash)).toBe(doc.id)
    expect(view.get('authorizationindexv1')!.size).toBe(0)
    // the plaintext is in no page of the file, only in the one printing
    expect(fs.readFileSync(file).includes(Buffer.from(doc.token))).toBe(false)
    expect(count(r.stdout, doc.token)).toBe(1)
    expect(auditText(file)).not.toContain(doc.token)
    const checks = doctorChecks(file)
    expect(checks.operator!.verdict).toBe('PASS')
    expect(checks.indexes!.verdict).toBe('PASS')
    expect(checks.remnants!.verdict).toBe('PASS')
    const list = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout) as Array<{id: string; tokenState: string; hashedToken: string}>
    expect(list.find((x) => x.id === doc.id)).toMatchObject({tokenState: 'hashed', hashedToken: hash})
    goWrites(file)
  })

  it('--variant sha512 stores the SHA-512 hash; --no-hashed on a hashed file stores raw', () => {
    const file = built('influxd.bolt', {hashed: 'sha256'})
    const chosen = 'chosen-sha512-token'
    const doc = created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--token-file', writeSecret('t1', chosen), '--variant', 'sha512', '--json', '--no-backup']))
    let view = goView(file)
    expect(JSON.parse(view.get('authorizationsv1')!.get(doc.id)!).hashedToken).toBe(hashOf(chosen, 'sha512'))
    expect(view.get('authorizationhashedindexv1')!.get(hashOf(chosen, 'sha512'))).toBe(doc.id)
    const raw = created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--no-hashed', '--json', '--no-backup']))
    expect(raw.tokenState).toBe('raw')
    view = goView(file)
    expect(view.get('authorizationindexv1')!.get(raw.token)).toBe(raw.id)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    oracleCheck(file)
  })

  it('--hashed on a raw 2.8+ file stores it hashed (the bucket exists)', () => {
    const file = built('influxd.bolt')
    const doc = created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--hashed', '--json', '--no-backup']))
    expect(doc.tokenState).toBe('hashed')
    expect(goView(file).get('authorizationhashedindexv1')!.get(hashOf(doc.token))).toBe(doc.id)
    oracleCheck(file)
  })

  it('a chosen token already in use is refused: raw, and by its sha256 or sha512 hash', () => {
    const raw = built('raw.bolt')
    const hashed = built('hashed.bolt', {hashed: 'sha256'})
    for (const [file, token, what] of [
      [raw, TOKENS.custom, /raw token index already holds it/],
      [hashed, TOKENS.operator, /hashed token index already holds its sha256 hash/],
      [hashed, TOKENS.custom, /hashed token index already holds its sha512 hash/],
    ] as const) {
      const before = sha256(file)
      const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--token-stdin'], {input: token})
      expect(r.status).toBe(1)
      const e = errorLines(r.stderr)
      expect(e.ok, r.stderr).toBe(true)
      expect(e.error).toMatch(/the chosen token is already in use/)
      expect(e.error).toMatch(what)
      expect(r.stderr + r.stdout).not.toContain(token)
      expect(sha256(file)).toBe(before)
    }
    expect(backups(tmp)).toEqual([])
  })

  it('an unknown user or org exits 5 listing the names; missing names without a terminal exit 2 naming the flags', () => {
    const file = built('influxd.bolt')
    const before = sha256(file)
    const u = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'nobody', '--org', 'acme'])
    expect(u.status).toBe(5)
    expect(errorLines(u.stderr).error).toMatch(/user "nobody" does not exist; the users in the file: "admin", "reader"/)
    const o = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'nope'])
    expect(o.status).toBe(5)
    expect(errorLines(o.stderr).error).toMatch(/org "nope" does not exist; the orgs in the file: "acme"/)
    const id = run(['auth', 'create-operator', '--bolt-path', file, '--user-id', '0000000000000fff', '--org', 'acme'])
    expect(id.status).toBe(5)
    const m = run(['auth', 'create-operator', '--bolt-path', file, '--org', 'acme'])
    expect(m.status).toBe(2)
    const e = errorLines(m.stderr)
    expect(e.ok, m.stderr).toBe(true)
    expect(e.error).toMatch(/no user given/)
    expect(e.hint).toMatch(/--username or --user-id; the users in the file: admin, reader/)
    const mo = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin'])
    expect(mo.status).toBe(2)
    expect(errorLines(mo.stderr).hint).toMatch(/--org or --org-id; the orgs in the file: acme/)
    expect(sha256(file)).toBe(before)
  })

  it('refuses files whose schema it does not know or that are mid-migration (exit 4)', () => {
    const cases: Array<[string, Partial<InfluxFileSpec>, RegExp]> = [
      ['newer.bolt', {extraMigrations: [[22, 'a future migration', true]]}, /unknown migration 22/],
      ['unfinished.bolt', {migrations: 20, extraMigrations: [[21, 'create authorizationhashedindexv1 bucket', false]]}, /never finished/],
    ]
    for (const [name, spec, msg] of cases) {
      const file = built(name, spec)
      const before = sha256(file)
      const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme'])
      expect(r.status, r.stderr).toBe(4)
      expect(errorLines(r.stderr).error).toMatch(msg)
      expect(sha256(file)).toBe(before)
    }
  })

  it('--dry-run prints the plan (placeholders, no token), changes nothing, writes no backup or audit', () => {
    const file = built('influxd.bolt', {hashed: 'sha256'})
    const before = sha256(file)
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--dry-run'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^dry run: "auth create-operator" would make these changes to .* \(nothing was written\):\n/)
    expect(r.stdout).toMatch(/ {2}add {4}authorizationsv1\[[0-9a-f]{16}\] = \{"id":"[0-9a-f]{16}","hashedToken":"\(sha256 hash of the new random token\)","status":"active","description":"admin's Recovery Token"/)
    expect(r.stdout).toMatch(/ {2}add {4}authorizationhashedindexv1\[\(sha256 hash of the new random token\)\] = [0-9a-f]{16}\n/)
    expect(r.stdout).not.toMatch(/[A-Za-z0-9_-]{86}==/)
    expect(sha256(file)).toBe(before)
    expect(fs.readdirSync(tmp).sort()).toEqual(['influxd.bolt'])
    // a chosen token shows as its fingerprint, with --json as well
    const j = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--dry-run', '--json', '--token-stdin', '--no-hashed'], {input: 'a-chosen-value'})
    expect(j.status, j.stderr).toBe(0)
    const doc = JSON.parse(j.stdout) as {dryRun: boolean; token: string; plan: Array<{action: string; bucket: string; key: string}>}
    expect(doc).toMatchObject({dryRun: true, token: '(the chosen token)', tokenState: 'raw'})
    expect(doc.plan.map((p) => [p.action, p.bucket])).toEqual([['add', 'authorizationsv1'], ['add', 'authorizationindexv1']])
    expect(doc.plan[1]!.key).toBe(`(token with sha256 fingerprint ${sha256Text('a-chosen-value').slice(0, 16)}…)`)
    expect(j.stdout + j.stderr).not.toContain('a-chosen-value')
    expect(sha256(file)).toBe(before)
  })

  it('a failing verification undoes the write (exit 6): Go sees the file as before; the audit says undone', () => {
    const file = built('influxd.bolt')
    const original = oracleDump(file)
    const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme'], {env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'}})
    expect(r.status).toBe(6)
    const e = errorLines(errorsOnly(r.stderr))
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/verification after the write failed.*undone/)
    expect(e.hint).toMatch(/backup/)
    expect(r.stdout).not.toMatch(/[A-Za-z0-9_-]{86}==/)
    oracleCheck(file)
    expect(oracleDump(file)).toEqual(original)
    const audit = auditLines(file)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({outcome: 'undone', command: 'auth create-operator'})
    expect(audit[0]!.txidAfter).toBe(audit[0]!.txidBefore)
    // and the file can be written normally afterwards
    created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--json', '--no-backup']))
    oracleCheck(file)
  })

  it('exits 3 while another process (influxd) holds the file; nothing written', async () => {
    const file = built('influxd.bolt')
    const before = sha256(file)
    const holder = await holdFlock(file)
    try {
      const r = run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--lock-timeout', '0.2'])
      expect(r.status).toBe(3)
      expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(before)
    expect(fs.readdirSync(tmp).sort()).toEqual(['influxd.bolt'])
  })

  it('every write makes its own 0600 backup; an existing one is never overwritten', () => {
    const file = built('influxd.bolt')
    for (let i = 0; i < 3; i++) created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--json']))
    const made = backups(tmp)
    expect(made).toHaveLength(3)
    for (const n of made) expect(fs.statSync(path.join(tmp, n)).mode & 0o777).toBe(0o600)
    // names are unique whatever the timing
    expect(new Set(made).size).toBe(3)
  })
})

describe('auth create', () => {
  it('--all-access on the real file: the set influx auth create builds, for the user and org', () => {
    for (const [src, level] of [[V29, '2.2+'], [V27, '2.1']] as const) {
      const file = copyInto(src, tmp, `all-${level}.bolt`)
      const doc = created(run(['auth', 'create', '--bolt-path', file, '--org', 'myorg', '--user', 'testuser', '--all-access', '--description', 'everything in myorg', '--json', '--no-backup']))
      const value = goView(file).get('authorizationsv1')!.get(doc.id)!
      const stamp = (JSON.parse(value) as {createdAt: string}).createdAt
      expect(value).toBe(`{"id":"${doc.id}","token":"${doc.token}","status":"active","description":"everything in myorg","orgID":"${FIX_ORG}","userID":"${FIX_USER}","permissions":[${allAccessPerms(level, FIX_ORG, FIX_USER)}],"createdAt":"${stamp}","updatedAt":"${stamp}"}`)
      const list = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--json']).stdout) as Array<{id: string; kind: string}>
      expect(list.find((x) => x.id === doc.id)!.kind).toBe('all-access')
      oracleCheck(file)
    }
  })

  it('bucket and type flags: in influx auth create\'s order and shapes; --operator', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const doc = created(run(['auth', 'create', '--bolt-path', file, '--org', 'myorg', '--user', 'testuser', '--write-tasks', '--read-bucket', MYBUCKET,
      '--write-bucket', MYBUCKET, '--read-bucket', MONITORING, '--read-orgs', '--read-dashboards', '--read-remotes', '--json', '--no-backup']))
    const perms = JSON.stringify(doc.permissions)
    expect(perms).toBe(JSON.stringify([
      {action: 'read', resource: {type: 'buckets', id: MYBUCKET, orgID: FIX_ORG}},
      {action: 'read', resource: {type: 'buckets', id: MONITORING, orgID: FIX_ORG}},
      {action: 'write', resource: {type: 'buckets', id: MYBUCKET, orgID: FIX_ORG}},
      {action: 'read', resource: {type: 'dashboards', orgID: FIX_ORG}},
      {action: 'read', resource: {type: 'orgs'}},
      {action: 'write', resource: {type: 'tasks', orgID: FIX_ORG}},
      {action: 'read', resource: {type: 'remotes', orgID: FIX_ORG}},
    ]))
    const value = goView(file).get('authorizationsv1')!.get(doc.id)!
    expect(value).toContain(`"description":"","orgID":"${FIX_ORG}"`)
    expect(value).toContain(`"permissions":${perms}`)
    const op = created(run(['auth', 'create', '--bolt-path', file, '--org', 'myorg', '--user', 'testuser', '--operator', '--json', '--no-backup']))
    expect(op.permissions).toHaveLength(44)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    oracleCheck(file)
  })

  it('refuses: a type the file\'s schema does not know (2), an unknown bucket (5), mixing --operator (2), no permission (2)', () => {
    const file = copyInto(V27, tmp, 'influxd.bolt')
    const before = sha256(file)
    const base = ['auth', 'create', '--bolt-path', file, '--org', 'myorg', '--user', 'testuser']
    const t = run([...base, '--read-remotes'])
    expect(t.status).toBe(2)
    expect(errorLines(t.stderr).error).toMatch(/"remotes" does not exist in this file's schema \(InfluxDB 2\.1\)/)
    const b = run([...base, '--read-bucket', '0123456789abcdef'])
    expect(b.status).toBe(5)
    expect(errorLines(b.stderr).error).toMatch(/bucket ID 0123456789abcdef does not exist; the buckets of org "myorg": .*mybucket \(7451ab8b9b7df592\)/)
    expect(run([...base, '--read-bucket', 'mybucket']).status).toBe(2)
    const o = run([...base, '--operator', '--read-tasks'])
    expect(o.status).toBe(2)
    expect(errorLines(o.stderr).error).toMatch(/cannot compose other permissions with operator permissions/)
    const n = run(base)
    expect(n.status).toBe(2)
    expect(errorLines(n.stderr).error).toMatch(/no permissions given/)
    expect(sha256(file)).toBe(before)
  })
})

describe('auth rotate', () => {
  it('raw (real file): new value, old index key gone, new one present; everything else kept, updatedAt now', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const orig = goView(file).get('authorizationsv1')!.get(FIX_CUSTOM)!
    const start = Date.now()
    const r = run(['auth', 'rotate', '--bolt-path', file, '--id', FIX_CUSTOM, '--yes', '--json'])
    const end = Date.now()
    const doc = created(r)
    expect(doc.id).toBe(FIX_CUSTOM)
    expect(doc.token).not.toBe(FIX_TOKENS[1])
    oracleCheck(file)
    const view = goView(file)
    const value = view.get('authorizationsv1')!.get(FIX_CUSTOM)!
    const updated = (JSON.parse(value) as {updatedAt: string}).updatedAt
    expect(updated).toMatch(LOCAL_TIME)
    expect(Date.parse(updated)).toBeGreaterThanOrEqual(start - 1000)
    expect(Date.parse(updated)).toBeLessThanOrEqual(end + 1000)
    expect(value).toBe(orig.replace(FIX_TOKENS[1]!, doc.token).replace('"updatedAt":"2021-09-28T08:56:42.633039-04:00"', `"updatedAt":"${updated}"`))
    const idx = view.get('authorizationindexv1')!
    expect(idx.has(FIX_TOKENS[1]!)).toBe(false)
    expect(idx.get(doc.token)).toBe(FIX_CUSTOM)
    expect(idx.get(FIX_TOKENS[0]!)).toBe(FIX_OPERATOR)
    expect(idx.size).toBe(2)
    expect(count(r.stdout, doc.token)).toBe(1)
    expect(r.stdout + r.stderr + auditText(file)).not.toContain(FIX_TOKENS[1])
    const audit = auditLines(file)[0]!
    expect(audit).toMatchObject({command: 'auth rotate', ids: [FIX_CUSTOM], label: 'pre-rotate'})
    expect(audit.tokenFingerprints).toEqual([sha256Text(FIX_TOKENS[1]!), sha256Text(doc.token)])
    const list = JSON.parse(runCli(['auth', 'list', '--bolt-path', file, '--id', FIX_CUSTOM, '--json']).stdout) as Array<{token: string}>
    expect(list[0]!.token).toBe(doc.token)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    goWrites(file)
  })

  it('hashed: the hashed key is replaced, same variant; --variant changes it; no raw entry appears', () => {
    const file = built('influxd.bolt', {hashed: 'sha256'})
    const custom = '0c00000000003000' // stored sha512
    const r1 = created(run(['auth', 'rotate', '--bolt-path', file, '--id', custom, '--yes', '--json']))
    let view = goView(file)
    const h1 = hashOf(r1.token, 'sha512')
    expect(JSON.parse(view.get('authorizationsv1')!.get(custom)!).hashedToken).toBe(h1)
    expect(view.get('authorizationhashedindexv1')!.get(h1)).toBe(custom)
    expect(view.get('authorizationhashedindexv1')!.has(hashOf(TOKENS.custom, 'sha512'))).toBe(false)
    expect(view.get('authorizationindexv1')!.size).toBe(0)
    expect(view.get('authorizationsv1')!.get(custom)).not.toContain('"token"')
    const r2 = created(run(['auth', 'rotate', '--bolt-path', file, '--id', custom, '--yes', '--json', '--variant', 'sha256', '--token-stdin', '--no-backup'], {input: 'rotated-by-hand'}))
    expect(r2.token).toBe('rotated-by-hand')
    view = goView(file)
    expect(view.get('authorizationhashedindexv1')!.get(hashOf('rotated-by-hand'))).toBe(custom)
    expect(view.get('authorizationhashedindexv1')!.has(h1)).toBe(false)
    expect(view.get('authorizationhashedindexv1')!.size).toBe(3)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    oracleCheck(file)
    goWrites(file)
  })

  it('needs --yes without a terminal (exit 2), also with --token-stdin; the same value again is refused', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const before = sha256(file)
    const r = run(['auth', 'rotate', '--bolt-path', file, '--id', FIX_CUSTOM])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr).hint).toMatch(/--yes/)
    const s = run(['auth', 'rotate', '--bolt-path', file, '--id', FIX_CUSTOM, '--token-stdin'], {input: 'fresh-value'})
    expect(s.status).toBe(2)
    const same = run(['auth', 'rotate', '--bolt-path', file, '--id', FIX_CUSTOM, '--token-stdin', '--yes'], {input: FIX_TOKENS[1]})
    expect(same.status).toBe(1)
    expect(same.stdout + same.stderr).not.toContain(FIX_TOKENS[1])
    const unknown = run(['auth', 'rotate', '--bolt-path', file, '--id', '0123456789abcdef', '--yes'])
    expect(unknown.status).toBe(5)
    expect(errorLines(unknown.stderr).error).toMatch(/authorization 0123456789abcdef does not exist; the tokens in the file: 08371db24dcc8000 \("testuser's Token"\)/)
    expect(run(['auth', 'rotate', '--bolt-path', file, '--id', 'xyz', '--yes']).status).toBe(2)
    expect(sha256(file)).toBe(before)
  })

  it('--dry-run shows old keys as fingerprints and the new value as a placeholder; nothing changes', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const before = sha256(file)
    const r = run(['auth', 'rotate', '--bolt-path', file, '--id', FIX_OPERATOR, '--dry-run'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`remove authorizationindexv1[(token with sha256 fingerprint ${sha256Text(FIX_TOKENS[0]!).slice(0, 16)}…)]`)
    expect(r.stdout).toMatch(/change authorizationsv1\[08371db24dcc8000\] = \{"id":"08371db24dcc8000","token":"\(a new random token\)"/)
    expect(r.stdout).toContain('add    authorizationindexv1[(a new random token)] = 08371db24dcc8000')
    for (const t of FIX_TOKENS) expect(r.stdout + r.stderr).not.toContain(t)
    expect(r.stdout).not.toMatch(/[A-Za-z0-9_-]{86}==/)
    expect(sha256(file)).toBe(before)
    expect(fs.readdirSync(tmp)).toEqual(['influxd.bolt'])
  })
})

describe('auth active / inactive / delete', () => {
  it('inactive and active change the status and updatedAt only; the indexes stay', () => {
    const file = copyInto(V29, tmp, 'influxd.bolt')
    const orig = goView(file)
    const r = run(['auth', 'inactive', '--bolt-path', file, '--id', FIX_CUSTOM, '--yes', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({id: FIX_CUSTOM, status: 'inactive', tokenState: 'raw'})
    expect(r.stdout + r.stderr).not.toContain(FIX_TOKENS[1])
    let view = goView(file)
    const value = view.get('authorizationsv1')!.get(FIX_CUSTOM)!
    const updated = (JSON.parse(value) as {updatedAt: string}).updatedAt
    expect(updated).toMatch(LOCAL_TIME)
    expect(value).toBe(orig.get('authorizationsv1')!.get(FIX_CUSTOM)!.replace('"status":"active"', '"status":"inactive"').replace('"updatedAt":"2021-09-28T08:56:42.633039-04:00"', `"updatedAt":"${updated}"`))
    expect([...view.get('authorizationindexv1')!]).toEqual([...orig.get('authorizationindexv1')!])
    oracleCheck(file)
    // already inactive: nothing to do, nothing written
    const again = sha256(file)
    const n = run(['auth', 'inactive', '--bolt-path', file, '--id', FIX_CUSTOM, '--yes'])
    expect(n.status).toBe(0)
    expect(n.stdout).toMatch(/already inactive: nothing was written/)
    expect(sha256(file)).toBe(again)
    // active needs no confirmation
    const a = run(['auth', 'active', '--bolt-path', file, '--id', FIX_CUSTOM])
    expect(a.status, a.stderr).toBe(0)
    expect(a.stdout).toMatch(/^ID\s+Description\s+User\s+Org\s+Status\n08371deae98c8000\s+testuser's read buckets token\s+testuser\s+myorg\s+active\n$/)
    view = goView(file)
    expect(JSON.parse(view.get('authorizationsv1')!.get(FIX_CUSTOM)!).status).toBe('active')
    expect(auditLines(file).map((l) => l.command)).toEqual(['auth inactive', 'auth active'])
    expect(auditText(file)).not.toContain(FIX_TOKENS[1])
    oracleCheck(file)
  })

  it('the last active operator token is protected: inactive and delete refuse (exit 1, hint --force); --force does it', () => {
    const file = built('influxd.bolt')
    const op = '0c00000000001000'
    const before = sha256(file)
    for (const cmd of ['inactive', 'delete']) {
      const r = run(['auth', cmd, '--bolt-path', file, '--id', op, '--yes'])
      expect(r.status).toBe(1)
      const e = errorLines(r.stderr)
      expect(e.ok, r.stderr).toBe(true)
      expect(e.error).toMatch(/last active operator token/)
      expect(e.hint).toMatch(/--force/)
    }
    expect(sha256(file)).toBe(before)
    const f = run(['auth', 'inactive', '--bolt-path', file, '--id', op, '--yes', '--force'])
    expect(f.status, f.stderr).toBe(0)
    expect(doctorChecks(file).operator!.verdict).toBe('FAIL')
    // with the only operator inactive, deleting it is no longer refused
    expect(run(['auth', 'active', '--bolt-path', file, '--id', op, '--no-backup']).status).toBe(0)
    // a second operator lifts the protection
    created(run(['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--json', '--no-backup']))
    const d = run(['auth', 'delete', '--bolt-path', file, '--id', op, '--yes', '--json'])
    expect(d.status, d.stderr).toBe(0)
    expect(JSON.parse(d.stdout)).toMatchObject({id: op, deleted: true, description: "admin's Token"})
    const view = goView(file)
    expect(view.get('authorizationsv1')!.has(op)).toBe(false)
    expect(view.get('authorizationindexv1')!.has(TOKENS.operator)).toBe(false)
    expect([...view.get('authorizationindexv1')!.values()]).not.toContain(op)
    const audit = auditLines(file).at(-1)!
    expect(audit).toMatchObject({command: 'auth delete', ids: [op]})
    expect(audit.tokenFingerprints).toEqual([sha256Text(TOKENS.operator)])
    expect(auditText(file)).not.toContain(TOKENS.operator)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    oracleCheck(file)
    goWrites(file)
  })

  it('delete of a hashed token removes its hashed index entry; needs --yes without a terminal; dry-run shows the plan', () => {
    const file = built('influxd.bolt', {hashed: 'sha256'})
    const id = '0c00000000002000'
    const before = sha256(file)
    expect(run(['auth', 'delete', '--bolt-path', file, '--id', id]).status).toBe(2)
    const dry = run(['auth', 'delete', '--bolt-path', file, '--id', id, '--dry-run'])
    expect(dry.status, dry.stderr).toBe(0)
    expect(dry.stdout).toContain(`remove authorizationsv1[${id}]`)
    expect(dry.stdout).toContain(`remove authorizationhashedindexv1[${hashOf(TOKENS.allAccess)}]`)
    expect(sha256(file)).toBe(before)
    const r = run(['auth', 'delete', '--bolt-path', file, '--id', id, '--yes'])
    expect(r.status, r.stderr).toBe(0)
    const view = goView(file)
    expect(view.get('authorizationsv1')!.has(id)).toBe(false)
    expect(view.get('authorizationhashedindexv1')!.has(hashOf(TOKENS.allAccess))).toBe(false)
    expect(view.get('authorizationhashedindexv1')!.size).toBe(2)
    oracleCheck(file)
  })

  it('delete also removes a stale raw index entry left beside a hashed record', () => {
    const file = path.join(tmp, 'stale.bolt')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'acme'}],
      tokens: [
        {id: '0c00000000001000', token: TOKENS.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
        {id: '0c00000000003000', token: TOKENS.custom, hashed: 'sha256', description: 'custom', orgID: ORG, userID: USER, perms: CUSTOM_PERM},
      ],
      extraIndex: [['authorizationindexv1', TOKENS.custom, '0c00000000003000']],
    })
    expect(doctorChecks(file).indexes!.verdict).toBe('FAIL')
    const r = run(['auth', 'delete', '--bolt-path', file, '--id', '0c00000000003000', '--yes', '--no-backup'])
    expect(r.status, r.stderr).toBe(0)
    const view = goView(file)
    expect(view.get('authorizationindexv1')!.has(TOKENS.custom)).toBe(false)
    expect(view.get('authorizationhashedindexv1')!.size).toBe(0)
    expect(doctorChecks(file).indexes!.verdict).toBe('PASS')
    expect(auditLines(file)[0]!.tokenFingerprints).toEqual([sha256Text(TOKENS.custom)])
    oracleCheck(file)
  })
})

describe('chooseOne (the interactive choice of a user or org)', () => {
  const drive = (keys: string[]): SelectPrompt => async (config) => {
    const {answer, events, getScreen} = await render(select<string>, config)
    expect(getScreen()).toContain(config.message)
    for (const k of keys) events.keypress(k)
    return answer
  }

  it('on a terminal: offers the names and returns the one chosen', async () => {
    await expect(chooseOne('user', ['admin', 'reader', 'grafana'], {flag: 'username', interactive: true, prompt: drive(['down', 'enter'])})).resolves.toBe('reader')
    await expect(chooseOne('org', ['acme'], {flag: 'org', interactive: true, prompt: drive(['enter'])})).resolves.toBe('acme')
  })

  it('without a terminal: a usage error (exit 2) naming the flags and the names', async () => {
    const err = await chooseOne('user', ['admin', 'a b'], {flag: 'username', alternatives: ['user-id'], interactive: false}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RecoverError)
    expect((err as RecoverError).exitCode).toBe(ExitCode.USAGE)
    expect((err as RecoverError).hint).toBe('pass --username or --user-id; the users in the file: admin, "a b"')
  })

  it('nothing to choose from: exit 5; a cancelled prompt: exit 1', async () => {
    const none = await chooseOne('org', [], {flag: 'org', interactive: true}).catch((e: unknown) => e)
    expect((none as RecoverError).exitCode).toBe(ExitCode.NOT_FOUND)
    const cancel: SelectPrompt = async () => {
      const e = new Error('User force closed the prompt')
      e.name = 'ExitPromptError'
      throw e
    }
    const c = await chooseOne('org', ['acme'], {flag: 'org', interactive: true, prompt: cancel}).catch((e: unknown) => e)
    expect((c as RecoverError).exitCode).toBe(ExitCode.ERROR)
    expect((c as RecoverError).message).toMatch(/cancelled/)
  })
})

function sha256Text(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex')
}

function writeSecret(name: string, value: string): string {
  const p = path.join(tmp, `${name}.secret`)
  fs.writeFileSync(p, `${value}\n`, {mode: 0o600})
  return p
}
