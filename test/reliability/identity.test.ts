/**
 * One file, one identity (issue 13, defects 2 and 7, and the config warning):
 *
 *  - the path-swap race: a symlink switched back and forth between a free copy
 *    and a file Go bbolt holds (as influxd does) while write commands run
 *    through it: the held file's bytes never change (the lock, the engine, the
 *    backup and the checksums all use the one descriptor that was locked);
 *  - a symlinked data path: backups, the audit log and the lock directory sit
 *    beside the real file, and doctor finds the copies through either path;
 *  - a config file of another user (or in a world-writable directory) that
 *    chose the file: a warning on stderr, the command still runs.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {lockDataFile} from '../../src/platform/lock.js'
import {copyInto, errorLines, inPool, makeTempDir, removeDir, runCli, runCliAsync, sha256} from '../helpers/cli.js'
import {fixture, holdWithBbolt, oracleCheck} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const IS_ROOT = process.getuid?.() === 0
const OTHER_UID = 65534
const AUDIT = 'influx-recover.audit.jsonl'
const RACE_RUNS = 40

let tmp: string
beforeAll(() => { tmp = makeTempDir('ir-identity-') })
afterAll(() => removeDir(tmp))

const token = (i: number): string => `${'r'.repeat(60)}${String(i).padStart(26, '0')}==`
const txidOf = (file: string): number => {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.meta().txid
  } finally {
    db.close()
  }
}
const listing = (d: string): string[] => fs.readdirSync(d).sort()

describe('one file, one identity', () => {
  it(`the path-swap race: ${RACE_RUNS} writes through a link switched between a free file and one Go bbolt holds; the held file never changes`, async () => {
    const base = path.join(tmp, 'race')
    const freeDir = path.join(base, 'free')
    const heldDir = path.join(base, 'held')
    const linkDir = path.join(base, 'link')
    for (const d of [freeDir, heldDir, linkDir]) fs.mkdirSync(d, {recursive: true})
    const free = copyInto(V29, freeDir, 'influxd.bolt')
    const held = copyInto(V29, heldDir, 'influxd.bolt')
    const link = path.join(linkDir, 'influxd.bolt')
    fs.symlinkSync(free, link)
    const holder = await holdWithBbolt(held)
    const heldSum = sha256(held)
    const heldListing = listing(heldDir)
    const freeTxid = txidOf(free)
    // rename(2) over the link: it always names one of the two files, switching every few ms
    const swapper: ChildProcess = spawn('bash', ['-c', `cd ${linkDir} && while :; do ln -sfn ${held} .a && mv -T .a influxd.bolt; ln -sfn ${free} .b && mv -T .b influxd.bolt; done`], {stdio: 'ignore'})
    let statuses: number[]
    try {
      const results = await inPool(3, Array.from({length: RACE_RUNS}, (_, i) => () => runCliAsync(
        ['auth', 'create-operator', '--bolt-path', link, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--lock-timeout', '0', '--json'],
        {input: `${token(i)}\n`},
      )))
      statuses = results.map((r) => r.status)
      for (const r of results) {
        expect([0, 1, 3], r.stderr).toContain(r.status)
        if (r.status !== 0) {
          expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
          expect(r.stderr).toMatch(/is in use \(locked by another process|changed while it was being opened/)
        }
        // the held file's bytes never change, not even in the middle of the runs
        expect(sha256(held)).toBe(heldSum)
      }
    } finally {
      swapper.kill('SIGKILL')
      await holder.release()
    }
    expect(sha256(held)).toBe(heldSum)
    expect(listing(heldDir)).toEqual(heldListing) // no backup, audit log or lock directory beside it
    const ok = statuses.filter((s) => s === 0).length
    expect(ok).toBeGreaterThan(0)
    // every success is a commit to the free file, with its backup and audit line beside it
    expect(txidOf(free)).toBe(freeTxid + ok)
    oracleCheck(free)
    const audit = fs.readFileSync(path.join(freeDir, AUDIT), 'utf8').trim().split('\n')
    expect(audit).toHaveLength(ok)
    expect(listing(freeDir).filter((n) => n.endsWith('.bak'))).toHaveLength(ok)
    for (const n of listing(freeDir).filter((x) => x.endsWith('.bak'))) oracleCheck(path.join(freeDir, n))
    expect(listing(linkDir).filter((n) => !n.startsWith('.'))).toEqual(['influxd.bolt'])
  }, 600_000)

  it('the lock descriptor is the file written: after the link is switched, the engine still reads and writes the file that was locked', async () => {
    const base = path.join(tmp, 'fd')
    fs.mkdirSync(base, {recursive: true})
    const a = copyInto(V29, base, 'a.bolt')
    const b = copyInto(V29, base, 'b.bolt')
    const link = path.join(base, 'link.bolt')
    fs.symlinkSync(a, link)
    const bSum = sha256(b)
    const txA = txidOf(a)
    const lock = await lockDataFile(link, {write: true, timeoutSec: 0})
    try {
      expect(lock.realPath).toBe(a)
      expect(fs.existsSync(`${a}.influx-recover.lock`)).toBe(true)
      expect(fs.existsSync(`${link}.influx-recover.lock`)).toBe(false)
      fs.rmSync(link)
      fs.symlinkSync(b, link)
      const db = DB.open(link, {fd: lock.fd})
      db.update((tx) => void tx.createBucketIfNotExists(Buffer.from('identity')).put(Buffer.from('k'), Buffer.from('v')))
      db.close()
    } finally {
      await lock.release()
    }
    expect(sha256(b)).toBe(bSum)
    expect(txidOf(a)).toBe(txA + 1)
    oracleCheck(a)
  })
})

describe('a symlinked data path (defect 7)', () => {
  it('backups, the audit log and the lock directory sit beside the real file; doctor finds the copies through either path', () => {
    const base = path.join(tmp, 'symlinked')
    const realDir = path.join(base, 'real')
    const linkDir = path.join(base, 'link')
    fs.mkdirSync(realDir, {recursive: true})
    fs.mkdirSync(linkDir, {recursive: true})
    const real = copyInto(V29, realDir, 'influxd.bolt')
    const link = path.join(linkDir, 'influxd.bolt')
    fs.symlinkSync(path.relative(linkDir, real), link)
    const r = runCli(['auth', 'create-operator', '--bolt-path', link, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${token(1)}\n`})
    expect(r.status, r.stderr).toBe(0)
    const backup = /^backup: (.+)$/m.exec(r.stderr)![1]!
    expect(path.dirname(backup)).toBe(realDir)
    expect(listing(linkDir)).toEqual(['influxd.bolt'])
    expect(listing(realDir)).toEqual([AUDIT, 'influxd.bolt', path.basename(backup)].sort())
    expect(JSON.parse(fs.readFileSync(path.join(realDir, AUDIT), 'utf8')).database).toBe(real)
    oracleCheck(backup)
    for (const via of [real, link]) {
      const d = runCli(['doctor', '--bolt-path', via, '--json'])
      const copies = (JSON.parse(d.stdout) as {checks: Array<{name: string; verdict: string; details?: string[]}>}).checks.find((c) => c.name === 'copies')!
      expect(copies.verdict).toBe('WARN')
      expect(copies.details).toEqual([`whole, txid ${txidOf(real) - 1}, ${fs.statSync(backup).size} bytes: ${backup}`])
    }
  })

  it('messages name the path given and the real one', async () => {
    const base = path.join(tmp, 'msg')
    fs.mkdirSync(base, {recursive: true})
    const real = copyInto(V29, base, 'influxd.bolt')
    const link = path.join(base, 'current.bolt')
    fs.symlinkSync(real, link)
    const holder = await holdWithBbolt(real)
    try {
      const r = runCli(['auth', 'list', '--bolt-path', link, '--lock-timeout', '0'])
      expect(r.status).toBe(3)
      expect(errorLines(r.stderr).error).toBe(`Error: ${link} (→ ${real}) is in use (locked by another process, most likely a running influxd); stop influxd first`)
    } finally {
      await holder.release()
    }
  })
})

describe('config and file ownership warnings', () => {
  /** A world-writable directory like /tmp (sticky unless said), a bolt file and a config.toml naming it, owned as given. */
  function shared(name: string, opts: {sticky: boolean; configOwner: 'other' | 'me'; dbOwner: 'other' | 'me'}): {dir: string; db: string; env: Record<string, string>} {
    const dir = path.join(tmp, name)
    fs.mkdirSync(path.join(dir, 'home'), {recursive: true})
    fs.mkdirSync(path.join(dir, 'data'), {recursive: true})
    fs.chmodSync(dir, opts.sticky ? 0o1777 : 0o777)
    const db = copyInto(V29, path.join(dir, 'data'), 'influxd.bolt')
    fs.writeFileSync(path.join(dir, 'config.toml'), `bolt-path = "${db}"\n`)
    if (IS_ROOT) {
      if (opts.configOwner === 'other') fs.chownSync(path.join(dir, 'config.toml'), OTHER_UID, OTHER_UID)
      if (opts.dbOwner === 'other') fs.chownSync(db, OTHER_UID, OTHER_UID)
    }
    // not root (no chown): pretend to be another user, so the files made here are "another user's"
    const pretend = !IS_ROOT && opts.configOwner === 'other'
    const env: Record<string, string> = {HOME: path.join(dir, 'home'), ...(pretend ? {INFLUX_RECOVER_TEST_HOOKS: `euid-${(process.getuid?.() ?? 0) + 1}`} : {})}
    return {dir, db, env}
  }

  it('another user\'s config.toml in a world-writable working directory chose the file: a warning on stderr, --json stdout untouched', () => {
    const {dir, db, env} = shared('cfg-other', {sticky: true, configOwner: 'other', dbOwner: 'other'})
    const r = runCli(['auth', 'list', '--json'], {cwd: dir, env})
    expect(r.status, r.stderr).toBe(0)
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true)
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning: '))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(new RegExp(`^Warning: ${db} \\(owned by uid \\d+.*\\) was chosen by ${dir}/config\\.toml, which belongs to uid \\d+.*: that user decides which file this command works on; give the file with --bolt-path to choose it yourself$`))
    // the same file named by the operator: no warning
    const given = runCli(['auth', 'list', '--json', '--bolt-path', db], {cwd: dir, env})
    expect(given.stderr).toBe('')
  })

  it('a config of our own in a world-writable directory without the sticky bit, and a database there: both warned about', () => {
    const {dir, db, env} = shared('cfg-open', {sticky: false, configOwner: 'me', dbOwner: 'me'})
    fs.chmodSync(path.dirname(db), 0o777)
    const r = runCli(['user', 'list'], {cwd: dir, env})
    expect(r.status, r.stderr).toBe(0)
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning: '))
    expect(warnings).toEqual([
      `Warning: ${db} was chosen by ${dir}/config.toml, which sits in ${dir}, which every user can write to (no sticky bit): anyone can replace it; give the file with --bolt-path to choose it yourself`,
      `Warning: the database ${db} sits in ${path.dirname(db)}, which every user can write to (no sticky bit): anyone can replace it; move it to a directory only its owner can write to`,
    ])
  })

  it('our own config in a sticky world-writable directory (like /tmp), naming another user\'s file: no warning', () => {
    const {dir, env} = shared('cfg-mine', {sticky: true, configOwner: 'me', dbOwner: 'other'})
    const r = runCli(['user', 'list'], {cwd: dir, env})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
  })
})
