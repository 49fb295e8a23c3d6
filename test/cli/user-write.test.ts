// user create / user set-password / user update on copies of both real
// fixtures and on files built with our engine: the bytes written compared
// with influxd's, the Go oracle after every write (and Go writing the file
// afterwards), the safe-write rules (lock, dry run, backup, audit, undo), and
// passwords never leaking into output, the audit log or file names.
import {spawn} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import bcrypt from 'bcryptjs'
import {afterAll, describe, expect, it} from 'vitest'

import {decodeSnowflake} from '../../src/influxd/ids.js'
import {bcryptCompareCount, hashPassword, passwordMatches, passwordProblem} from '../../src/recovery/user-write.js'
import {buildInfluxFile, ORG, USER, type InfluxFileSpec} from '../helpers/influx-builder.js'
import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {fixture, oracle, oracleCheck, oracleDump, ROOT} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-user-write-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_USER = '08371db1dd8c8000'
const FIX_ORG = 'dd7cd2292f6e974a'
const BCRYPT_2A_10 = /^\$2a\$10\$[./A-Za-z0-9]{53}$/

let seq = 0
/** A fresh directory holding a copy of `src` (the audit log and backups land beside it). */
function copyOf(src: string): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  return copyInto(src, dir, 'influxd.bolt')
}

function built(spec: InfluxFileSpec): string {
  const dir = path.join(tmp, `case-${++seq}`)
  fs.mkdirSync(dir)
  const file = path.join(dir, 'influxd.bolt')
  buildInfluxFile(file, spec)
  oracleCheck(file)
  return file
}

type KV = Map<string, Map<string, string>>

/** Every key/value of the file, read by the Go oracle, as bucket → key → value (UTF-8). */
function contents(file: string): KV {
  const out: KV = new Map()
  for (const line of oracleDump(file)) {
    const e = JSON.parse(line) as {type: string; path: string[]; key?: string; value?: string}
    const bucket = e.path.map((p) => Buffer.from(p, 'base64').toString('utf8')).join('/')
    if (e.type === 'bucket') {
      out.set(bucket, out.get(bucket) ?? new Map())
      continue
    }
    out.get(bucket)!.set(Buffer.from(e.key!, 'base64').toString('utf8'), Buffer.from(e.value!, 'base64').toString('utf8'))
  }
  return out
}

/** Entries added, changed or removed between two snapshots, as "bucket key". */
function diff(a: KV, b: KV): string[] {
  const out: string[] = []
  for (const bucket of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(bucket) ?? new Map<string, string>()
    const y = b.get(bucket) ?? new Map<string, string>()
    for (const k of new Set([...x.keys(), ...y.keys()])) if (x.get(k) !== y.get(k)) out.push(`${bucket} ${k}`)
  }
  return out.sort()
}

const get = (kv: KV, bucket: string, key: string): string | undefined => kv.get(bucket)?.get(key)

function userCreate(file: string, args: string[], input = ''): CliResult {
  return runCli(['user', 'create', '--bolt-path', file, ...args], {input})
}

/** Nothing anywhere says the secret: output, the audit log, the names of the files beside the db. */
function expectNoLeak(file: string, secret: string, results: CliResult[]): void {
  for (const r of results) {
    expect(r.stdout).not.toContain(secret)
    expect(r.stderr).not.toContain(secret)
    expect(r.stdout).not.toMatch(/\$2[aby]\$/)
    expect(r.stderr).not.toMatch(/\$2[aby]\$/)
  }
  const dir = path.dirname(file)
  for (const name of fs.readdirSync(dir)) expect(name).not.toContain(secret)
  const audit = path.join(dir, 'influx-recover.audit.jsonl')
  if (fs.existsSync(audit)) {
    const text = fs.readFileSync(audit, 'utf8')
    expect(text).not.toContain(secret)
    expect(text).not.toMatch(/\$2[aby]\$/)
  }
}

/** Go's bbolt still writes the file, and the result is clean. */
function goWritesAfter(file: string): void {
  const copy = path.join(path.dirname(file), 'mutated.bolt')
  fs.copyFileSync(file, copy)
  const m = oracle('mutate', copy, '11')
  expect(m.status, m.stderr).toBe(0)
  oracleCheck(copy)
  fs.rmSync(copy)
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g // eslint-disable-line no-control-regex

/**
 * Runs the CLI on a pseudo-terminal (util-linux script(1)), answering each
 * prompt once its text appears: [what to wait for, what to type].
 */
function runOnTerminal(args: string[], steps: Array<[RegExp, string]>): Promise<{status: number; screen: string}> {
  const cmd = [process.execPath, path.join(ROOT, 'bin/run.js'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', TERM: 'xterm'}
  delete env.NODE_ENV
  const child = spawn('script', ['-qefc', cmd, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']})
  let screen = ''
  let next = 0
  const pending = [...steps]
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no progress on the terminal; screen so far:\n${screen}`))
    }, 30_000)
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8').replace(ANSI, '')
      while (pending.length > 0 && pending[0]![0].test(screen.slice(next))) {
        const [re, answer] = pending.shift()!
        next += screen.slice(next).search(re) + 1
        child.stdin.write(answer)
      }
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      child.stdin.end()
      resolve({status: code ?? -1, screen})
    })
  })
}

function auditLines(file: string): Array<Record<string, unknown>> {
  const audit = path.join(path.dirname(file), 'influx-recover.audit.jsonl')
  if (!fs.existsSync(audit)) return []
  return fs.readFileSync(audit, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>)
}

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`user create on the ${label}`, () => {
    it('with --password-stdin and --owner-of: the records and index entries influxd writes, nothing else', () => {
      const file = copyOf(src)
      const before = contents(file)
      const secret = 'Alice-Pa55word!'
      const start = Date.now()
      const r = userCreate(file, ['--username', 'alice', '--password-stdin', '--owner-of', 'myorg', '--json'], `${secret}\n`)
      expect(r.status, r.stderr).toBe(0)
      oracleCheck(file)

      const doc = JSON.parse(r.stdout)
      const id: string = doc.user.id
      expect(doc.user).toEqual({id, name: 'alice', status: 'active'})
      expect(doc.ownerOf).toEqual({id: FIX_ORG, name: 'myorg'})
      expect(doc.password).toBe('set')
      expect(doc.dryRun).toBe(false)
      expect(doc.txidAfter).toBe(doc.txidBefore + 1)
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expect(BigInt(`0x${id}`)).toBeGreaterThanOrEqual(1000n)
      // a snowflake of now, like influxd's user IDs
      const t = decodeSnowflake(id).time.getTime()
      expect(t).toBeGreaterThanOrEqual(start - 1000)
      expect(t).toBeLessThanOrEqual(Date.now() + 1000)

      const after = contents(file)
      const urmKey = `${FIX_ORG}${id}`
      expect(diff(before, after)).toEqual([
        `userindexv1 alice`,
        `userresourcemappingsbyuserindexv1 ${id}/${urmKey}`,
        `userresourcemappingsv1 ${urmKey}`,
        `userspasswordv1 ${id}`,
        `usersv1 ${id}`,
      ].sort())
      // the user record: exactly influxd's bytes, shaped like the fixture's own user
      expect(get(after, 'usersv1', id)).toBe(`{"id":"${id}","name":"alice","status":"active"}`)
      expect(get(after, 'usersv1', id)).toBe(get(before, 'usersv1', FIX_USER)!.replace(FIX_USER, id).replace('testuser', 'alice'))
      expect(get(after, 'userindexv1', 'alice')).toBe(id)
      // the password: Go's bcrypt form, and it accepts the password (and nothing else)
      const hash = get(after, 'userspasswordv1', id)!
      expect(hash).toMatch(BCRYPT_2A_10)
      expect(bcrypt.compareSync(secret, hash)).toBe(true)
      expect(bcrypt.compareSync(`${secret}x`, hash)).toBe(false)
      // the owner mapping and its by-user index entry: the fixture's own, with the new user ID
      const fixtureUrm = get(before, 'userresourcemappingsv1', `${FIX_ORG}${FIX_USER}`)!
      expect(get(after, 'userresourcemappingsv1', urmKey)).toBe(fixtureUrm.replace(FIX_USER, id))
      expect(get(after, 'userresourcemappingsv1', urmKey)).toBe(`{"userID":"${id}","userType":"owner","mappingType":"user","resourceType":"orgs","resourceID":"${FIX_ORG}"}`)
      expect(get(before, 'userresourcemappingsbyuserindexv1', `${FIX_USER}/${FIX_ORG}${FIX_USER}`)).toBe(`${FIX_ORG}${FIX_USER}`)
      expect(get(after, 'userresourcemappingsbyuserindexv1', `${id}/${urmKey}`)).toBe(urmKey)

      // listing shows the new user
      const list = JSON.parse(runCli(['user', 'list', '--bolt-path', file, '--json']).stdout)
      expect(list).toContainEqual({id, name: 'alice', status: 'active', hasPassword: true})
      expect(runCli(['user', 'list', '--bolt-path', file, '--format', 'influxd']).stdout).toContain(`${id}\talice\n`)

      // a verified backup was taken and named on stderr; one audit line, no secret anywhere
      const backup = /^backup: (.+)$/m.exec(r.stderr)?.[1]
      expect(backup).toBeDefined()
      expect(sha256(backup!)).toBe(sha256(src))
      expect(doc.backup).toBe(backup)
      const audit = auditLines(file)
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({command: 'user create', outcome: 'ok', txidBefore: doc.txidBefore, txidAfter: doc.txidAfter, ids: [id, FIX_ORG]})
      expect((audit[0]!.flags as Record<string, unknown>)['password-stdin']).toBe('(redacted)')
      expect(audit[0]!.fileSha256After).toBe(sha256(file))
      expectNoLeak(file, secret, [r])
      goWritesAfter(file)
    })

    it('with --password-file; then without any password (not a terminal): said so, no password entry', () => {
      const file = copyOf(src)
      const secret = 'from-a-file-éü'
      const pwFile = path.join(path.dirname(file), 'bob.pass')
      fs.writeFileSync(pwFile, `${secret}\n`, {mode: 0o600})
      const r1 = userCreate(file, ['--username', 'bob', '--password-file', pwFile])
      expect(r1.status, r1.stderr).toBe(0)
      expect(r1.stderr).not.toContain('Warning')
      expect(r1.stdout).toMatch(/^ID\s+Name\s+Status\s+Owner of\s+Password\n[0-9a-f]{16}\s+bob\s+active\s+set\n/)
      expect(r1.stdout).toContain(`created user bob in ${file}`)
      oracleCheck(file)
      const kv = contents(file)
      const bobId = get(kv, 'userindexv1', 'bob')!
      expect(bcrypt.compareSync(secret, get(kv, 'userspasswordv1', bobId)!)).toBe(true)
      // no owner mapping without --owner-of
      expect([...kv.get('userresourcemappingsv1')!.keys()].some((k) => k.endsWith(bobId))).toBe(false)

      const r2 = userCreate(file, ['--username', 'carol'])
      expect(r2.status, r2.stderr).toBe(0)
      expect(r2.stderr).toContain('note: no password given and not a terminal, so carol was created without a password')
      const kv2 = contents(file)
      const carolId = get(kv2, 'userindexv1', 'carol')!
      expect(get(kv2, 'usersv1', carolId)).toBe(`{"id":"${carolId}","name":"carol","status":"active"}`)
      expect(get(kv2, 'userspasswordv1', carolId)).toBeUndefined()
      expect(JSON.parse(runCli(['user', 'list', '--bolt-path', file, '--json']).stdout)).toContainEqual({id: carolId, name: 'carol', status: 'active', hasPassword: false})
      oracleCheck(file)
      expect(auditLines(file).map((a) => a.command)).toEqual(['user create', 'user create'])
      expectNoLeak(file, secret, [r1, r2])
      goWritesAfter(file)
    })

    it('a name that exists: exit 1 with influxd\'s message, file unchanged', () => {
      const file = copyOf(src)
      const sum = sha256(file)
      const r = userCreate(file, ['--username', 'testuser', '--password-stdin'], 'another-password\n')
      expect(r.status).toBe(1)
      const e = errorLines(r.stderr)
      expect(e.ok).toBe(true)
      expect(e.error).toBe('Error: user with name testuser already exists')
      expect(sha256(file)).toBe(sum)
      expect(fs.readdirSync(path.dirname(file))).toEqual(['influxd.bolt'])
    })
  })

  describe(`user set-password / update on the ${label}`, () => {
    it('by name, by ID, and with the "user update" alias: a new hash each time, nothing else changes', () => {
      const file = copyOf(src)
      const before = contents(file)
      const oldHash = get(before, 'userspasswordv1', FIX_USER)!
      const results: CliResult[] = []
      const hashes = [oldHash]
      const secrets = ['first-new-password', 'second-new-pässword', 'third new password']
      const pwFile = path.join(path.dirname(file), 'pw')
      fs.writeFileSync(pwFile, `${secrets[1]}\n`, {mode: 0o600})
      const runs: Array<[string[], string]> = [
        [['user', 'set-password', '--username', 'testuser', '--password-stdin', '--json'], `${secrets[0]}\n`],
        [['user', 'set-password', '--id', FIX_USER, '--password-file', pwFile, '--json'], ''],
        [['user', 'update', '--id', FIX_USER.toUpperCase(), '--password-stdin', '--json'], `${secrets[2]}\r\n`],
      ]
      for (const [i, [args, input]] of runs.entries()) {
        const r = runCli([...args, '--bolt-path', file], {input})
        results.push(r)
        expect(r.status, r.stderr).toBe(0)
        oracleCheck(file)
        const doc = JSON.parse(r.stdout)
        expect(doc.user).toEqual({id: FIX_USER, name: 'testuser', status: 'active'})
        expect(doc.password).toBe('changed')
        expect(doc.changes).toEqual([{action: 'change', bucket: 'userspasswordv1', key: FIX_USER, value: '(bcrypt hash, not shown)'}])
        const kv = contents(file)
        expect(diff(before, kv)).toEqual([`userspasswordv1 ${FIX_USER}`])
        const hash = get(kv, 'userspasswordv1', FIX_USER)!
        expect(hash).toMatch(BCRYPT_2A_10)
        expect(hashes).not.toContain(hash)
        expect(bcrypt.compareSync(secrets[i]!, hash)).toBe(true)
        for (const other of secrets.filter((_, j) => j !== i)) expect(bcrypt.compareSync(other, hash)).toBe(false)
        hashes.push(hash)
      }
      expect(auditLines(file).map((a) => [a.command, a.outcome, a.ids])).toEqual([
        ['user set-password', 'ok', [FIX_USER]],
        ['user set-password', 'ok', [FIX_USER]],
        ['user update', 'ok', [FIX_USER]],
      ])
      for (const s of secrets) expectNoLeak(file, s, results)
      goWritesAfter(file)
    })

    it('unknown user: exit 5 listing the users; invalid ID: exit 2; file unchanged', () => {
      const file = copyOf(src)
      const sum = sha256(file)
      const r = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'nobody', '--password-stdin'], {input: 'a-good-password\n'})
      expect(r.status).toBe(5)
      expect(errorLines(r.stderr).error).toBe('Error: user "nobody" does not exist; the users in the file: "testuser"')
      const byId = runCli(['user', 'update', '--bolt-path', file, '--id', '0000000000000bad', '--password-stdin'], {input: 'a-good-password\n'})
      expect(byId.status).toBe(5)
      expect(byId.stderr).toContain('"testuser"')
      const bad = runCli(['user', 'set-password', '--bolt-path', file, '--id', 'xyz', '--password-stdin'], {input: 'a-good-password\n'})
      expect(bad.status).toBe(2)
      expect(bad.stderr).toMatch(/^Error: invalid user ID "xyz"/)
      expect(sha256(file)).toBe(sum)
      expect(fs.readdirSync(path.dirname(file))).toEqual(['influxd.bolt'])
    })
  })
}

describe('password hashes byte-identical to Go\'s x/crypto/bcrypt', () => {
  // made with Go's bcrypt.GenerateFromPassword(p, bcrypt.DefaultCost) (golang-golang-x-crypto-dev 0.4.0)
  const GO: Array<[string, string]> = [
    ['my_password', '$2a$10$GxdE0633DHCRm9B6ikM7Ze4z9z4hHGBY1nX9iKoy6Z6x067.w2zxu'],
    ['pässwörd-日本語', '$2a$10$BJYMbs99kwg1O9/8QuLBs.RJvgGyaIXGHyF/5wdEuTb7lnja6gVCu'],
    ['x'.repeat(72), '$2a$10$oQ25BqzhJf.OzSwXL1soxuEtLT9gdXzLlZl2m33Vh1saTEROaZ23u'],
  ]

  it('with Go\'s salt, hashPassword gives Go\'s exact string; bcryptjs accepts Go\'s hashes', () => {
    for (const [pw, goHash] of GO) {
      const salt = Uint8Array.from(bcrypt.decodeBase64(goHash.slice(7, 29), 16))
      expect(hashPassword(pw, {salt})).toBe(goHash)
      expect(bcrypt.compareSync(pw, goHash)).toBe(true)
    }
  })

  it('a random salt each time, always $2a$10$; length rule in bytes', () => {
    const a = hashPassword('same-password')
    const b = hashPassword('same-password')
    expect(a).not.toBe(b)
    for (const h of [a, b]) {
      expect(h).toMatch(BCRYPT_2A_10)
      expect(bcrypt.compareSync('same-password', h)).toBe(true)
    }
    expect(passwordProblem('éééé')).toBeUndefined()
    expect(passwordProblem('ééé')).toBe('passwords must be between 8 and 72 characters long')
    expect(() => hashPassword('x'.repeat(73))).toThrow('passwords must be between 8 and 72 characters long')
  })

  it('bcrypt checks a (password, hash) pair once: the write\'s trial and verification reuse the answer, any other pair is checked', () => {
    const before = bcryptCompareCount()
    const hash = hashPassword('pair-password') // its own check: one comparison
    expect(bcryptCompareCount()).toBe(before + 1)
    expect(passwordMatches('pair-password', hash)).toBe(true)
    expect(passwordMatches('pair-password', hash)).toBe(true)
    expect(bcryptCompareCount()).toBe(before + 1)
    // another password, or another hash of the same password: checked, and answered by bcrypt
    expect(passwordMatches('pair-passwore', hash)).toBe(false)
    expect(passwordMatches('pair-password', `${hash.slice(0, -1)}${hash.endsWith('a') ? 'b' : 'a'}`)).toBe(false)
    expect(bcryptCompareCount()).toBe(before + 3)
    // and the accepted pair is still accepted after a refused one
    expect(passwordMatches('pair-password', hash)).toBe(true)
    expect(bcryptCompareCount()).toBe(before + 3)
  })
})

describe('password rules (8–72 bytes of UTF-8)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['7 bytes', 'short12', false],
    ['8 bytes', 'exactly8', true],
    ['72 bytes', 'x'.repeat(72), true],
    ['73 bytes', 'x'.repeat(73), false],
    ['36 two-byte characters = 72 bytes', 'é'.repeat(36), true],
    ['37 two-byte characters = 74 bytes', 'é'.repeat(37), false],
    ['4 two-byte characters = 8 bytes', 'éééé', true],
    ['3 two-byte characters = 6 bytes', 'ééé', false],
    ['18 four-byte characters = 72 bytes', '𝄞'.repeat(18), true],
    ['19 four-byte characters = 76 bytes', '𝄞'.repeat(19), false],
  ]

  it('user create: accepted ones hash correctly, refused ones exit 2 with influxd\'s message and write nothing', () => {
    const file = copyOf(V29)
    for (const [what, pw, ok] of cases) {
      const sum = sha256(file)
      const name = `u-${what.replace(/\W+/g, '-')}`
      const r = userCreate(file, ['--username', name, '--password-stdin', '--no-backup'], `${pw}\n`)
      if (ok) {
        expect(r.status, `${what}: ${r.stderr}`).toBe(0)
        const kv = contents(file)
        const id = get(kv, 'userindexv1', name)!
        expect(bcrypt.compareSync(pw, get(kv, 'userspasswordv1', id)!), what).toBe(true)
      } else {
        expect(r.status, what).toBe(2)
        const e = errorLines(r.stderr)
        expect(e.ok).toBe(true)
        expect(e.error).toBe('Error: passwords must be between 8 and 72 characters long')
        expect(e.hint).toBe(`Hint: the password is ${Buffer.byteLength(pw)} bytes long in UTF-8; use 8 to 72 bytes`)
        expect(sha256(file), what).toBe(sum)
      }
      expectNoLeak(file, pw, [r])
    }
    oracleCheck(file)
  })

  it('user set-password refuses the same lengths', () => {
    const file = copyOf(V27)
    const sum = sha256(file)
    for (const pw of ['short12', 'x'.repeat(73), 'é'.repeat(37)]) {
      const r = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'testuser', '--password-stdin'], {input: `${pw}\n`})
      expect(r.status).toBe(2)
      expect(errorLines(r.stderr).error).toBe('Error: passwords must be between 8 and 72 characters long')
    }
    expect(sha256(file)).toBe(sum)
  })
})

describe('on files built with our engine', () => {
  const spec: InfluxFileSpec = {
    migrations: 21,
    users: [{id: USER, name: 'admin'}, {id: '0b1c2d3e4f506172', name: 'legacy', status: ''}],
    orgs: [{id: ORG, name: 'acme'}, {id: '1e2d3c4b5a697887', name: 'other org'}],
    owners: [{userID: USER, orgID: ORG}],
  }

  it('create with --owner-of an org whose name has a space; set-password keeps an empty status as it is', () => {
    const file = built(spec)
    const before = contents(file)
    const r = userCreate(file, ['--username', 'ops team', '--password-stdin', '--owner-of', 'other org', '--json'], 'ops-password-1\n')
    expect(r.status, r.stderr).toBe(0)
    oracleCheck(file)
    const id: string = JSON.parse(r.stdout).user.id
    const key = `1e2d3c4b5a697887${id}`
    const kv = contents(file)
    expect(diff(before, kv)).toEqual([`userindexv1 ops team`, `userresourcemappingsbyuserindexv1 ${id}/${key}`, `userresourcemappingsv1 ${key}`, `userspasswordv1 ${id}`, `usersv1 ${id}`].sort())
    expect(get(kv, 'usersv1', id)).toBe(`{"id":"${id}","name":"ops team","status":"active"}`)
    expect(get(kv, 'userresourcemappingsv1', key)).toBe(`{"userID":"${id}","userType":"owner","mappingType":"user","resourceType":"orgs","resourceID":"1e2d3c4b5a697887"}`)

    // a user without a password and with status "" (influxd recovery's): a first password, status untouched
    const s = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'legacy', '--password-stdin', '--json'], {input: 'legacy-password\n'})
    expect(s.status, s.stderr).toBe(0)
    const doc = JSON.parse(s.stdout)
    expect(doc.password).toBe('set')
    expect(doc.user).toEqual({id: '0b1c2d3e4f506172', name: 'legacy', status: ''})
    expect(doc.changes[0].action).toBe('add')
    const kv2 = contents(file)
    expect(diff(kv, kv2)).toEqual(['userspasswordv1 0b1c2d3e4f506172'])
    expect(get(kv2, 'usersv1', '0b1c2d3e4f506172')).toBe('{"id":"0b1c2d3e4f506172","name":"legacy","status":""}')
    expect(bcrypt.compareSync('legacy-password', get(kv2, 'userspasswordv1', '0b1c2d3e4f506172')!)).toBe(true)
    oracleCheck(file)
    goWritesAfter(file)
  })

  it('a file without the by-user index bucket (before migration 2): the owner mapping alone', () => {
    const file = built({...spec, migrations: 1})
    const before = contents(file)
    expect(before.has('userresourcemappingsbyuserindexv1')).toBe(false)
    const r = userCreate(file, ['--username', 'early', '--owner-of', 'acme', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const id: string = JSON.parse(r.stdout).user.id
    const kv = contents(file)
    expect(diff(before, kv)).toEqual([`userindexv1 early`, `userresourcemappingsv1 ${ORG}${id}`, `usersv1 ${id}`].sort())
    expect(kv.has('userresourcemappingsbyuserindexv1')).toBe(false)
    oracleCheck(file)
  })

  it('a schema this tool cannot write (a migration from a newer influxd): exit 4, unchanged', () => {
    const file = built({...spec, extraMigrations: [[22, 'a migration from the future', true]]})
    const sum = sha256(file)
    const r = userCreate(file, ['--username', 'x', '--password-stdin'], 'a-good-password\n')
    expect(r.status).toBe(4)
    expect(r.stderr).toMatch(/^Error: refusing to write: the influxd schema of this file is not one this tool can write safely: unknown migration 22/)
    const s = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'admin', '--password-stdin'], {input: 'a-good-password\n'})
    expect(s.status).toBe(4)
    expect(sha256(file)).toBe(sum)
  })

  it('--owner-of an unknown org: exit 5 listing the orgs', () => {
    const file = built(spec)
    const sum = sha256(file)
    const r = userCreate(file, ['--username', 'x', '--owner-of', 'nope'])
    expect(r.status).toBe(5)
    expect(errorLines(r.stderr).error).toBe('Error: org "nope" does not exist; the orgs in the file: "acme", "other org"')
    expect(sha256(file)).toBe(sum)
  })
})

describe('the safe-write rules', () => {
  it('--dry-run: shows the plan (hash hidden), touches nothing: same checksum, no backup, no audit line', () => {
    const file = copyOf(V29)
    const sum = sha256(file)
    const secret = 'dry-run-password'
    const r = userCreate(file, ['--username', 'dry', '--password-stdin', '--owner-of', 'myorg', '--dry-run'], `${secret}\n`)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('dry run: nothing was written to')
    expect(r.stdout).toMatch(/^ {2}add usersv1 "[0-9a-f]{16}" = \{"id":"[0-9a-f]{16}","name":"dry","status":"active"\}$/m)
    expect(r.stdout).toContain('add userindexv1 "dry" = ')
    expect(r.stdout).toMatch(/add userspasswordv1 "[0-9a-f]{16}" = \(bcrypt hash, not shown\)/)
    expect(r.stdout).toContain('add userresourcemappingsv1 "dd7cd2292f6e974a')
    expect(r.stdout).toContain('add userresourcemappingsbyuserindexv1 ')
    const json = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'testuser', '--password-stdin', '--dry-run', '--json'], {input: `${secret}\n`})
    expect(json.status, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({dryRun: true, backup: null, auditLog: null, password: 'changed'})
    expect(sha256(file)).toBe(sum)
    expect(fs.readdirSync(path.dirname(file))).toEqual(['influxd.bolt'])
    expectNoLeak(file, secret, [r, json])
  })

  it('while influxd holds the lock: exit 3, unchanged', async () => {
    const file = copyOf(V27)
    const sum = sha256(file)
    const holder = await holdFlock(file)
    try {
      const r = userCreate(file, ['--username', 'locked', '--password-stdin', '--lock-timeout', '0'], 'a-good-password\n')
      expect(r.status).toBe(3)
      expect(errorLines(r.stderr).ok).toBe(true)
      const s = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'testuser', '--password-stdin', '--lock-timeout', '0'], {input: 'a-good-password\n'})
      expect(s.status).toBe(3)
    } finally {
      await holder.release()
    }
    expect(sha256(file)).toBe(sum)
  })

  it('a failing verification undoes the write (exit 6): the content is as before, the backup named', () => {
    const file = copyOf(V29)
    const before = contents(file)
    const r = runCli(['user', 'create', '--bolt-path', file, '--username', 'undone', '--password-stdin'], {input: 'a-good-password\n', env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-verify'}})
    expect(r.status).toBe(6)
    expect(r.stderr).toContain('the write was undone')
    expect(r.stderr).toMatch(/Hint: the backup taken before the write is .+\.bak/)
    oracleCheck(file)
    expect(diff(before, contents(file))).toEqual([])
    expect(auditLines(file).map((a) => a.outcome)).toEqual(['undone'])
  })

  it('without a backup the audit line\'s hashes come from a thread started beside the checks: the file before and after; after an undo, the file as it is again', () => {
    const env = {INFLUX_RECOVER_TEST_HOOKS: 'hash-thread'}
    const file = copyOf(V29)
    const before = sha256(file)
    const r = runCli(['user', 'create', '--bolt-path', file, '--username', 'hashed', '--password-stdin', '--no-backup'], {input: 'a-good-password\n', env})
    expect(r.status, r.stderr).toBe(0)
    expect(auditLines(file)).toMatchObject([{outcome: 'ok', fileSha256Before: before, fileSha256After: sha256(file)}])
    expect(sha256(file)).not.toBe(before)
    // verification fails: the thread hashing the written state is dropped, the undone file is hashed
    const file2 = copyOf(V29)
    const r2 = runCli(['user', 'create', '--bolt-path', file2, '--username', 'undone', '--password-stdin', '--no-backup'], {input: 'a-good-password\n', env: {INFLUX_RECOVER_TEST_HOOKS: 'hash-thread,fail-verify'}})
    expect(r2.status).toBe(6)
    expect(auditLines(file2)).toMatchObject([{outcome: 'undone', fileSha256Before: before, fileSha256After: sha256(file2)}])
    // a thread that fails is not trusted: the file is hashed again on the main thread, the audit line is right
    const file4 = copyOf(V29)
    const r4 = runCli(['user', 'create', '--bolt-path', file4, '--username', 'again', '--password-stdin', '--no-backup'], {input: 'a-good-password\n', env: {INFLUX_RECOVER_TEST_HOOKS: 'hash-thread-fails'}})
    expect(r4.status, r4.stderr).toBe(0)
    expect(r4.stderr).not.toContain('audit line could not be written')
    expect(auditLines(file4)).toMatchObject([{outcome: 'ok', fileSha256Before: before, fileSha256After: sha256(file4)}])
    // a dry run starts no hash and writes no audit line
    const file3 = copyOf(V29)
    expect(runCli(['user', 'create', '--bolt-path', file3, '--username', 'dry', '--password-stdin', '--no-backup', '--dry-run'], {input: 'a-good-password\n', env}).status).toBe(0)
    expect(auditLines(file3)).toEqual([])
    expect(sha256(file3)).toBe(before)
  })

  it('not enough to go on without a terminal: exit 2 saying what to pass', () => {
    const file = copyOf(V29)
    const noUser = runCli(['user', 'set-password', '--bolt-path', file, '--password-stdin'], {input: 'a-good-password\n'})
    expect(noUser.status).toBe(2)
    const e = errorLines(noUser.stderr)
    expect(e.ok).toBe(true)
    expect(e.error).toBe('Error: no user given (not a terminal, so cannot ask)')
    expect(e.hint).toBe('Hint: pass --username or --id; the users in the file: testuser')
    const noPassword = runCli(['user', 'update', '--bolt-path', file, '--username', 'testuser'])
    expect(noPassword.status).toBe(2)
    expect(errorLines(noPassword.stderr).error).toBe('Error: no new password given (not a terminal, so cannot ask)')
    const pwFile = path.join(path.dirname(file), 'pw')
    fs.writeFileSync(pwFile, 'a-good-password\n', {mode: 0o600})
    const both = userCreate(file, ['--username', 'x', '--password-stdin', '--password-file', pwFile], 'a-good-password\n')
    expect(both.status).toBe(2)
    const bothIds = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'testuser', '--id', FIX_USER, '--password-stdin'], {input: 'a-good-password\n'})
    expect(bothIds.status).toBe(2)
    const missingFile = userCreate(file, ['--username', 'x', '--password-file', path.join(path.dirname(file), 'nope')])
    expect(missingFile.status).toBe(5)
    const multi = userCreate(file, ['--username', 'x', '--password-stdin'], 'line-one-pass\nline-two-pass\n')
    expect(multi.status).toBe(2)
    expect(multi.stderr).not.toContain('line-one')
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['influxd.bolt', 'pw'])
  })

  it('on a terminal: user create asks for the password twice (checked as typed), masked', async () => {
    const file = copyOf(V29)
    const secret = 'Typed-Pa55word'
    const r = await runOnTerminal(['user', 'create', '--bolt-path', file, '--username', 'typed', '--owner-of', 'myorg'], [
      [/Password for typed/, 'short\r'],
      [/passwords must be between 8 and 72 characters long/, `${'\x7f'.repeat(5)}${secret}\r`],
      [/Confirm password/, `${secret}\r`],
    ])
    expect(r.status, r.screen).toBe(0)
    expect(r.screen).toContain('created user typed in')
    expect(r.screen).not.toContain(secret)
    expect(r.screen).not.toContain('short')
    const kv = contents(file)
    const id = get(kv, 'userindexv1', 'typed')!
    expect(bcrypt.compareSync(secret, get(kv, 'userspasswordv1', id)!)).toBe(true)
    expect(get(kv, 'userresourcemappingsv1', `${FIX_ORG}${id}`)).toBeDefined()
    oracleCheck(file)
  })

  it('on a terminal: user set-password without --username offers the users, then asks; a mismatch writes nothing', async () => {
    const file = built({migrations: 21, users: [{id: USER, name: 'admin'}, {id: '0b1c2d3e4f506172', name: 'second'}], orgs: [{id: ORG, name: 'acme'}]})
    const sum = sha256(file)
    const mismatch = await runOnTerminal(['user', 'set-password', '--bolt-path', file, '--username', 'admin'], [
      [/New password for admin/, 'one-password\r'],
      [/Confirm password/, 'another-password\r'],
    ])
    expect(mismatch.status).toBe(2)
    expect(mismatch.screen).toContain('Error: the two passwords do not match, nothing was written')
    expect(sha256(file)).toBe(sum)

    const secret = 'Chosen-Pa55word'
    const r = await runOnTerminal(['user', 'set-password', '--bolt-path', file], [
      [/Which user\?/, '\x1b[B'],
      [/second/, '\r'],
      [/New password for second/, `${secret}\r`],
      [/Confirm password/, `${secret}\r`],
    ])
    expect(r.status, r.screen).toBe(0)
    expect(r.screen).toContain('password of user second set in')
    expect(r.screen).not.toContain(secret)
    const kv = contents(file)
    expect(get(kv, 'userspasswordv1', USER)).toBeUndefined()
    expect(bcrypt.compareSync(secret, get(kv, 'userspasswordv1', '0b1c2d3e4f506172')!)).toBe(true)
    oracleCheck(file)
  })

  it('a password file other users can read: a warning, then the write', () => {
    const file = copyOf(V29)
    const pwFile = path.join(path.dirname(file), 'open.pass')
    fs.writeFileSync(pwFile, 'readable-password\n')
    fs.chmodSync(pwFile, 0o644)
    const r = userCreate(file, ['--username', 'warned', '--password-file', pwFile])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(`Warning: the password file ${pwFile} can be read by other users (mode 644); consider chmod 600 ${pwFile}`)
    expectNoLeak(file, 'readable-password', [r])
  })

  it('--help of each command: examples and defaults, no password in argv', () => {
    for (const cmd of [['user', 'create'], ['user', 'set-password'], ['user', 'update']]) {
      const r = runCli([...cmd, '--help'])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain('EXAMPLES')
      expect(r.stdout).toContain('--password-stdin')
      expect(r.stdout).toContain('--password-file=FILE')
      expect(r.stdout).toContain('--dry-run')
      // no example passes a password on the command line
      const examples = r.stdout.slice(r.stdout.indexOf('EXAMPLES'))
      expect(examples.match(/\$ influx-recover/g)?.length ?? 0).toBeGreaterThanOrEqual(1)
      expect(examples).not.toMatch(/--password(?![-\w])/)
    }
  })
})
