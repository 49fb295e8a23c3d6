// Our age files against the reference age CLI, both ways: several
// recipients, binary and armored; key files as age-keygen writes them;
// every bad key or file is a clear error with its own exit code.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode, RecoverError} from '../../src/errors.js'
import {ageDecrypt, ageEncrypt, ageFileKind, gatherRecipients, keyLines, parseIdentities, readIdentities, readKeyFile, validateRecipients} from '../../src/platform/age.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'
import {ageDecryptCli, ageDecryptCliFails, ageEncryptCli, ageKeygen, ageVersion, type AgeKey} from '../helpers/age.js'

let tmp: string
let alice: AgeKey, bob: AgeKey, carol: AgeKey
// not ASCII only, several chunks of age's 64 KiB payload blocks, a NUL
const PLAINTEXT = Buffer.concat([Buffer.from('variant: sha256\nexported:\n  - description: "Zürich ☃"\n'), Buffer.alloc(150_000, 'x'), Buffer.from([0, 10])])

beforeAll(() => {
  expect(ageVersion()).toMatch(/^v?1\./)
  tmp = makeTempDir('ir-age-')
  alice = ageKeygen(tmp, 'alice')
  bob = ageKeygen(tmp, 'bob')
  carol = ageKeygen(tmp, 'carol')
})
afterAll(() => removeDir(tmp))

const keys = (...k: AgeKey[]) => k.map((x, i) => ({key: x.recipient, where: `--recipient ${i + 1}`}))

async function code(p: Promise<unknown> | (() => unknown)): Promise<{exitCode: number; message: string}> {
  try {
    if (typeof p === 'function') p()
    else await p
  } catch (err) {
    if (err instanceof RecoverError) return {exitCode: err.exitCode, message: err.message}
    throw err
  }
  throw new Error('did not fail')
}

describe('our files decrypt with the age CLI', () => {
  for (const armor of [false, true]) {
    it(`${armor ? 'armored' : 'binary'}, three recipients: each one's key alone decrypts it`, async () => {
      const sealed = await ageEncrypt(PLAINTEXT, keys(alice, bob, carol), {armor})
      expect(ageFileKind(sealed)).toBe(armor ? 'armor' : 'binary')
      if (armor) expect(sealed.toString('latin1')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/)
      const file = path.join(tmp, `ours-${armor}.age`)
      fs.writeFileSync(file, sealed)
      for (const k of [alice, bob, carol]) expect(ageDecryptCli(file, [k.identityFile]).equals(PLAINTEXT)).toBe(true)
      // a key it was not encrypted to cannot
      const stranger = ageKeygen(tmp, `stranger-${armor}`)
      expect(ageDecryptCliFails(file, [stranger.identityFile]).status).not.toBe(0)
    })
  }

  it('each encryption is new (fresh file key): the same plaintext never gives the same file', async () => {
    const a = await ageEncrypt(PLAINTEXT, keys(alice), {armor: false})
    const b = await ageEncrypt(PLAINTEXT, keys(alice), {armor: false})
    expect(a.equals(b)).toBe(false)
  })
})

describe('files the age CLI encrypts are read by us', () => {
  for (const armor of [false, true]) {
    it(`${armor ? 'armored' : 'binary'}, two recipients, identities from age-keygen files (comments included)`, async () => {
      const file = path.join(tmp, `theirs-${armor}.age`)
      ageEncryptCli(PLAINTEXT, [alice.recipient, bob.recipient], file, {armor})
      const bytes = fs.readFileSync(file)
      expect(ageFileKind(bytes)).toBe(armor ? 'armor' : 'binary')
      expect(fs.readFileSync(alice.identityFile, 'utf8')).toMatch(/^# created: .*\n# public key: age1/)
      for (const k of [alice, bob]) expect((await ageDecrypt(bytes, readIdentities([k.identityFile]), file)).equals(PLAINTEXT)).toBe(true)
      // several identity files: the one that fits is used
      expect((await ageDecrypt(bytes, readIdentities([carol.identityFile, bob.identityFile]), file)).equals(PLAINTEXT)).toBe(true)
    })
  }

  it('a recipients file (age -R) and our reading of the same file agree', async () => {
    const rf = path.join(tmp, 'recipients.txt')
    fs.writeFileSync(rf, `# the team\n\n${alice.recipient}\r\n${bob.recipient}\n# carol left\n`)
    const ours = gatherRecipients({recipientsFile: [rf]})
    expect(ours.map((r) => r.key)).toEqual([alice.recipient, bob.recipient])
    expect(ours.map((r) => r.where)).toEqual([`${rf} line 3`, `${rf} line 4`])
    const file = path.join(tmp, 'from-R.age')
    ageEncryptCli(PLAINTEXT, [], file, {recipientsFile: rf})
    expect((await ageDecrypt(fs.readFileSync(file), readIdentities([bob.identityFile]), file)).equals(PLAINTEXT)).toBe(true)
    const sealed = await ageEncrypt(PLAINTEXT, ours, {armor: false})
    fs.writeFileSync(file, sealed)
    expect(ageDecryptCli(file, [alice.identityFile]).equals(PLAINTEXT)).toBe(true)
  })
})

describe('bad keys and files', () => {
  it('a wrong identity is exit 2 naming the file; a damaged file exit 4', async () => {
    const sealed = await ageEncrypt(PLAINTEXT, keys(alice), {armor: false})
    expect(await code(ageDecrypt(sealed, readIdentities([bob.identityFile]), 'x.age'))).toEqual({exitCode: ExitCode.USAGE, message: 'none of the identities given can decrypt x.age'})
    const damaged = Buffer.from(sealed)
    damaged[damaged.length - 10]! ^= 1
    expect((await code(ageDecrypt(damaged, readIdentities([alice.identityFile]), 'x.age'))).exitCode).toBe(ExitCode.CORRUPT)
    const armored = Buffer.from((await ageEncrypt(PLAINTEXT, keys(alice), {armor: true})).toString('latin1').replace(/\n[A-Za-z]/, '\n!'))
    expect((await code(ageDecrypt(armored, readIdentities([alice.identityFile]), 'x.age'))).exitCode).toBe(ExitCode.CORRUPT)
  })

  it('recipients: a secret key, an SSH key, garbage are exit 2 naming where, and never echo a secret whole', async () => {
    const secret = fs.readFileSync(alice.identityFile, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!
    const r = await code(validateRecipients([{key: secret, where: '--recipient 1'}]))
    expect(r.exitCode).toBe(ExitCode.USAGE)
    expect(r.message).toMatch(/^--recipient 1: AGE-SECRET-K…: this is a secret key/)
    expect(r.message).not.toContain(secret.slice(12, 30))
    expect((await code(validateRecipients([{key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG', where: 'f line 2'}]))).message).toMatch(/^f line 2: .*SSH keys are not supported/)
    expect((await code(validateRecipients([{key: 'age1notakey', where: '--recipient 2'}]))).exitCode).toBe(ExitCode.USAGE)
    // one bad bech32 checksum character
    const bad = alice.recipient.slice(0, -1) + (alice.recipient.endsWith('q') ? 'p' : 'q')
    expect((await code(validateRecipients([{key: bad, where: '--recipient 1'}]))).exitCode).toBe(ExitCode.USAGE)
    expect((await code(validateRecipients([]))).exitCode).toBe(ExitCode.USAGE)
  })

  it('identity files: comments and blank lines skipped; a public key, an SSH key or an encrypted identity file are exit 2', async () => {
    expect(parseIdentities('# c\n\nAGE-SECRET-KEY-1QQQ\n', 'k')).toEqual([{key: 'AGE-SECRET-KEY-1QQQ', where: 'k line 3'}])
    expect((await code(() => parseIdentities(`${alice.recipient}\n`, 'k'))).message).toBe('k line 1 is not an age identity (AGE-SECRET-KEY-1…)')
    expect((await code(() => parseIdentities('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n', 'k'))).exitCode).toBe(ExitCode.USAGE)
    expect((await code(() => parseIdentities('# only comments\n', 'k'))).message).toBe('k holds no age identity')
    const enc = path.join(tmp, 'enc-identity.age')
    ageEncryptCli(fs.readFileSync(alice.identityFile), [bob.recipient], enc)
    expect((await code(() => readIdentities([enc]))).message).toMatch(/passphrase-protected identity file/)
  })

  it('key files: missing is exit 5, a FIFO is refused at once (never waited on), a directory is exit 2', async () => {
    expect((await code(() => readKeyFile(path.join(tmp, 'nope'), 'identity file'))).exitCode).toBe(ExitCode.NOT_FOUND)
    const fifo = path.join(tmp, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const start = performance.now()
    expect((await code(() => readKeyFile(fifo, 'identity file'))).message).toBe(`identity file ${fifo} is not a regular file`)
    expect(performance.now() - start).toBeLessThan(5000)
    expect((await code(() => readKeyFile(tmp, 'identity file'))).exitCode).toBe(ExitCode.USAGE)
  })

  it('a trusted recipients file must be writable by nobody but its owner', async () => {
    const rf = path.join(tmp, 'shared-recipients.txt')
    fs.writeFileSync(rf, `${alice.recipient}\n`)
    fs.chmodSync(rf, 0o664)
    expect((await code(() => gatherRecipients({recipientsFile: [rf]}, {trusted: true}))).message).toMatch(/is writable by its group or others \(mode 664\)/)
    fs.chmodSync(rf, 0o644)
    expect(gatherRecipients({recipientsFile: [rf]}, {trusted: true})).toHaveLength(1)
    // an empty one is a usage error, not an export to nobody
    fs.writeFileSync(rf, '# nobody\n')
    expect((await code(() => gatherRecipients({recipientsFile: [rf]}))).exitCode).toBe(ExitCode.USAGE)
  })

  it('keyLines: # comments, blank lines and CRLF as age reads them; spaces around a key refused as age does', async () => {
    expect(keyLines('a\r\n#c\n\nb', 'f')).toEqual([{key: 'a', where: 'f line 1'}, {key: 'b', where: 'f line 4'}])
    expect(await code(() => keyLines('a\n  b\n', 'f'))).toEqual({exitCode: ExitCode.USAGE, message: 'f line 2 has spaces around the key (age refuses them too)'})
    // the age CLI refuses the same file
    const rf = path.join(tmp, 'spaced.txt')
    fs.writeFileSync(rf, `${alice.recipient}\n  ${bob.recipient}\n`)
    expect(() => ageEncryptCli('x', [], path.join(tmp, 'spaced.age'), {recipientsFile: rf})).toThrow(/malformed recipient at line 2/)
  })
})
