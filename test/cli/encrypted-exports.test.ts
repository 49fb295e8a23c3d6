// Encrypted exports on copies of the real files, with the stock age CLI as
// the other side: auth export / hash-upgrade --export / rescue --output
// with recipients write age files whose plaintext is exactly the plain
// export; restore-plaintext and rescue read age files with --identity (and
// files the age CLI encrypted); an encrypted input without one is exit 2.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {ageDecryptCli, ageEncryptCli, ageKeygen, ageVersion, type AgeKey} from '../helpers/age.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {fixture} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const FIX_TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]

let tmp: string
let db: string
let alice: AgeKey
let bob: AgeKey

beforeAll(() => {
  ageVersion()
})
beforeEach(() => {
  tmp = makeTempDir('ir-age-export-')
  db = copyInto(V29, tmp, 'influxd.bolt')
  alice = ageKeygen(tmp, 'alice')
  bob = ageKeygen(tmp, 'bob')
})
afterEach(() => removeDir(tmp))

const at = (name: string) => path.join(tmp, name)
const run = (args: string[], input?: string) => runCli(args, {cwd: tmp, ...(input !== undefined ? {input} : {})})

describe('auth export with recipients', () => {
  for (const format of ['yaml', 'json', 'csv', 'env'] as const) {
    it(`${format}: binary and armored age files, two recipients, the plaintext exactly the plain export`, () => {
      expect(run(['auth', 'export', '--bolt-path', db, '--output', at(`plain.${format}`), '--format', format]).status).toBe(0)
      const plain = fs.readFileSync(at(`plain.${format}`))
      for (const armor of [false, true]) {
        const out = at(`sealed-${armor}.${format}.age`)
        const r = run(['auth', 'export', '--bolt-path', db, '--output', out, '--format', format, '--recipient', alice.recipient, '--recipient', bob.recipient, ...(armor ? ['--armor'] : [])])
        expect(r.status).toBe(0)
        expect(r.stderr).toContain(`exported 2 token(s) to ${out} (mode 0600, checked against the database, encrypted to 2 recipient(s)${armor ? ' (armored)' : ''}; read back byte for byte)`)
        expect(fs.statSync(out).mode & 0o777).toBe(0o600)
        const bytes = fs.readFileSync(out)
        expect(bytes.toString('latin1').startsWith(armor ? '-----BEGIN AGE ENCRYPTED FILE-----\n' : 'age-encryption.org/v1\n')).toBe(true)
        for (const t of FIX_TOKENS) expect(bytes.toString('latin1')).not.toContain(t)
        for (const k of [alice, bob]) expect(ageDecryptCli(out, [k.identityFile]).equals(plain)).toBe(true)
      }
    })
  }

  it('--recipients-file, --output - (armored on stdout), never overwriting, bad keys exit 2 with nothing written', () => {
    const rf = at('recipients.txt')
    fs.writeFileSync(rf, `# ops\n${alice.recipient}\n`, {mode: 0o600})
    const out = at('t.yaml.age')
    expect(run(['auth', 'export', '--bolt-path', db, '--output', out, '--recipients-file', rf]).status).toBe(0)
    expect(ageDecryptCli(out, [alice.identityFile]).toString()).toContain(FIX_TOKENS[0])
    const again = run(['auth', 'export', '--bolt-path', db, '--output', out, '--recipients-file', rf])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/refusing to overwrite/)

    const stdout = run(['auth', 'export', '--bolt-path', db, '--output', '-', '--recipient', bob.recipient, '--armor'])
    expect(stdout.status).toBe(0)
    expect(stdout.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/)
    fs.writeFileSync(at('stdout.age'), stdout.stdoutBytes)
    expect(ageDecryptCli(at('stdout.age'), [bob.identityFile]).toString()).toContain(FIX_TOKENS[1])
    // binary into a pipe is fine
    const bin = run(['auth', 'export', '--bolt-path', db, '--output', '-', '--recipient', bob.recipient])
    expect(bin.stdoutBytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')

    for (const bad of [['--recipient', 'age1nope'], ['--recipient', fs.readFileSync(alice.identityFile, 'utf8').split('\n')[2]!], ['--armor']]) {
      const r = run(['auth', 'export', '--bolt-path', db, '--output', at('bad.age'), ...bad])
      expect(r.status).toBe(2)
      expect(errorLines(r.stderr).ok).toBe(true)
      expect(r.stderr).not.toContain('AGE-SECRET-KEY-1' + fs.readFileSync(alice.identityFile, 'utf8').split('AGE-SECRET-KEY-1')[1]!.slice(0, 20))
      expect(fs.existsSync(at('bad.age'))).toBe(false)
    }
  })

  it('the plaintext is checked against the database before it is encrypted: a failed check writes nothing (exit 6)', () => {
    const r = runCli(['auth', 'export', '--bolt-path', db, '--output', at('x.age'), '--recipient', alice.recipient], {cwd: tmp, env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-export-verify'}})
    expect(r.status).toBe(6)
    expect(r.stderr).toMatch(/the export does not match the database: forced failure \(test hook\); nothing was written/)
    expect(fs.existsSync(at('x.age'))).toBe(false)
  })
})

describe('hash-upgrade --export encrypted, then restore-plaintext --identity', () => {
  it('round trip: the encrypted export brings every token back; without --identity exit 2 and nothing changes', () => {
    const exp = at('at-upgrade.yaml.age')
    const h = run(['auth', 'hash-upgrade', '--bolt-path', db, '--export', exp, '--recipient', alice.recipient, '--recipient', bob.recipient, '--yes', '--no-backup'])
    expect(h.status).toBe(0)
    expect(h.stdout).toContain(`export: ${exp} (mode 0600, encrypted to 2 recipient(s)): only the recipients' keys read it`)
    expect(ageDecryptCli(exp, [bob.identityFile]).toString()).toMatch(/^variant: sha256\nexported:\n/)
    const hashed = sha256(db)

    const none = run(['auth', 'restore-plaintext', '--bolt-path', db, '--from', exp, '--yes', '--no-backup'])
    expect(none.status).toBe(2)
    expect(errorLines(none.stderr).error).toBe(`Error: ${exp} is encrypted (age): give the identity to decrypt it with --identity KEYFILE`)
    const stranger = ageKeygen(tmp, 'stranger')
    const wrong = run(['auth', 'restore-plaintext', '--bolt-path', db, '--from', exp, '--identity', stranger.identityFile, '--yes', '--no-backup'])
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toContain(`none of the identities given can decrypt ${exp}`)
    expect(sha256(db)).toBe(hashed)

    const r = run(['auth', 'restore-plaintext', '--bolt-path', db, '--from', exp, '--identity', stranger.identityFile, '--identity', alice.identityFile, '--yes', '--no-backup', '--json'])
    expect(r.status).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.format).toBe('yaml')
    expect(doc.restored).toHaveLength(2)
    const list = JSON.parse(run(['auth', 'list', '--bolt-path', db, '--json']).stdout) as Array<{token?: string}>
    expect(list.map((x) => x.token).sort()).toEqual([...FIX_TOKENS].sort())
  })

  it('recipients without --export are a usage error (exit 2), before anything is written', () => {
    const before = sha256(db)
    const r = run(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--recipient', alice.recipient, '--yes', '--no-backup'])
    expect(r.status).toBe(2)
    expect(sha256(db)).toBe(before)
  })

  it('a file the age CLI encrypted (armored, two recipients) is read by restore-plaintext', () => {
    expect(run(['auth', 'export', '--bolt-path', db, '--output', at('plain.json'), '--format', 'json']).status).toBe(0)
    expect(run(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    ageEncryptCli(fs.readFileSync(at('plain.json')), [alice.recipient, bob.recipient], at('theirs.json.age'), {armor: true})
    const r = run(['auth', 'restore-plaintext', '--bolt-path', db, '--from', at('theirs.json.age'), '--identity', bob.identityFile, '--yes', '--no-backup', '--json'])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({format: 'json'})
    expect(JSON.parse(r.stdout).restored).toHaveLength(2)
  })
})

describe('auth rescue with age files', () => {
  it('--from an encrypted export with --identity; --output encrypted; restore-plaintext reads that output', () => {
    const exp = at('tokens.yaml.age')
    expect(run(['auth', 'export', '--bolt-path', db, '--output', exp, '--recipient', alice.recipient]).status).toBe(0)
    expect(run(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    const none = run(['auth', 'rescue', '--bolt-path', db, '--from', exp])
    expect(none.status).toBe(2)
    expect(none.stderr).toContain('is encrypted (age): give the identity')
    const out = at('rescued.yaml.age')
    const r = run(['auth', 'rescue', '--bolt-path', db, '--from', exp, '--identity', alice.identityFile, '--output', out, '--recipient', bob.recipient])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/recovered 2 of 2 hashed record\(s\), 0 still missing/)
    expect(r.stderr).toContain(`wrote 2 token(s) to ${out} (mode 0600, encrypted to 1 recipient(s); read back byte for byte)`)
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    // its plaintext is the YAML auth export writes
    const plain = ageDecryptCli(out, [bob.identityFile]).toString()
    expect(plain).toMatch(/^variant: sha256\nexported:\n  - id: /)
    const doc = parseYaml(plain) as {exported: Array<{token: string}>}
    expect(doc.exported.map((e) => e.token).sort()).toEqual([...FIX_TOKENS].sort())
    const restored = run(['auth', 'restore-plaintext', '--bolt-path', db, '--from', out, '--identity', bob.identityFile, '--yes', '--no-backup', '--json'])
    expect(restored.status).toBe(0)
    expect(JSON.parse(restored.stdout).restored).toHaveLength(2)
  })

  it('rescue --output: the plaintext is proven before it is encrypted (or written); a failed check writes nothing (exit 6)', () => {
    const exp = at('for-rescue.yaml')
    expect(run(['auth', 'export', '--bolt-path', db, '--output', exp]).status).toBe(0)
    expect(run(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    for (const [out, extra] of [[at('r.yaml.age'), ['--recipient', alice.recipient]], [at('r.yaml'), []]] as const) {
      const r = runCli(['auth', 'rescue', '--bolt-path', db, '--from', exp, '--output', out, ...extra], {cwd: tmp, env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-export-verify'}})
      expect(r.status, r.stderr).toBe(6)
      expect(fs.existsSync(out)).toBe(false)
    }
  })

  it('an age-encrypted bolt file is searched byte by byte after decrypting it in memory', () => {
    const sealedCopy = at('old.bolt.age')
    ageEncryptCli(fs.readFileSync(V29), [alice.recipient], sealedCopy)
    expect(run(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    const r = run(['auth', 'rescue', '--bolt-path', db, '--from', sealedCopy, '--identity', alice.identityFile])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/\(bolt\): \d+ candidate\(s\); recovered 2 of 2 hashed record\(s\)/)
    expect(r.stderr).toContain('is an encrypted bolt file: only its bytes were searched')
    expect(fs.readdirSync(tmp).filter((f) => f.includes('decrypted'))).toEqual([])
  })
})
