/**
 * Every side file of the real commands against what the owner of the data
 * directory (or of a shared /tmp) can plant at its name: symlinks (to a file,
 * dangling, to a directory), FIFOs, hard links, another user's files,
 * group/world-writable files. Each time: one `Error:` line (and a hint),
 * exit 1, no hang, and nothing changed: not the database, not the planted
 * entry, not what it points at, and nothing created anywhere.
 *
 *  - audit log: opened and checked before the write starts (issue 13, defect 1)
 *  - exports (auth export --output, hash-upgrade --export) and rescue output
 *  - the lock directory (defect 12) and backup names, backup temporary files
 *  - a full disk during the commit and during the backup (defect 12)
 */
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const IS_ROOT = process.getuid?.() === 0
const OTHER_UID = 65534
const TOKEN = `${'s'.repeat(40)}${'0123456789'.repeat(4)}abcdef==`
const AUDIT = 'influx-recover.audit.jsonl'

type Plant = 'symlink to a file' | 'dangling symlink' | 'symlink to a directory' | 'FIFO' | 'hard link' | 'foreign file' | 'group-writable file' | 'world-writable file'
const PLANTS: Plant[] = ['symlink to a file', 'dangling symlink', 'symlink to a directory', 'FIFO', 'hard link', 'foreign file', 'group-writable file', 'world-writable file']

let tmp: string
let n = 0
beforeAll(() => { tmp = makeTempDir('ir-sidefiles-') })
afterAll(() => removeDir(tmp))

/** Env that makes a file "another user's" when the tests cannot chown (not root). */
const foreignEnv = (): Record<string, string> => (IS_ROOT ? {} : {INFLUX_RECOVER_TEST_HOOKS: `euid-${(process.getuid?.() ?? 0) + 1}`})

interface Scene {
  dir: string
  db: string
  victimDir: string
  victim: string
  /** everything that must not change: listings, contents, the victim's */
  snapshot(): string
}

function scene(): Scene {
  const base = path.join(tmp, `s${n++}`)
  const dir = path.join(base, 'db')
  const victimDir = path.join(base, 'victim')
  fs.mkdirSync(dir, {recursive: true})
  fs.mkdirSync(path.join(victimDir, 'd'), {recursive: true})
  const db = copyInto(V29, dir, 'influxd.bolt')
  const victim = path.join(victimDir, 'victim')
  fs.writeFileSync(victim, 'precious\n', {mode: 0o600})
  const listing = (d: string): string[] => fs.readdirSync(d, {recursive: true}).map(String).sort()
  return {
    dir, db, victimDir, victim,
    snapshot: () => JSON.stringify({
      db: sha256(db), dir: listing(dir), victimDir: listing(victimDir), victim: fs.readFileSync(victim, 'utf8'), victimMtime: fs.statSync(victim).mtimeMs,
    }),
  }
}

function plant(s: Scene, kind: Plant, at: string): {env: Record<string, string>} {
  switch (kind) {
    case 'symlink to a file': fs.symlinkSync(s.victim, at); break
    case 'dangling symlink': fs.symlinkSync(path.join(s.victimDir, 'created-by-root'), at); break
    case 'symlink to a directory': fs.symlinkSync(path.join(s.victimDir, 'd'), at); break
    case 'FIFO': execFileSync('mkfifo', [at]); break
    case 'hard link': fs.linkSync(s.victim, at); break
    case 'foreign file': fs.writeFileSync(at, 'theirs\n', {mode: 0o600}); if (IS_ROOT) fs.chownSync(at, OTHER_UID, OTHER_UID); return {env: foreignEnv()}
    case 'group-writable file': fs.writeFileSync(at, 'x\n'); fs.chmodSync(at, 0o660); break
    case 'world-writable file': fs.writeFileSync(at, 'x\n'); fs.chmodSync(at, 0o646); break
  }
  return {env: {}}
}

/** exit 1, one Error line plus a hint, quickly (a FIFO must not hang the command) */
function refusedWith(r: CliResult, re: RegExp): void {
  expect(r.status, r.stderr).toBe(1)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.error).toMatch(re)
  expect(e.hint).toBeDefined()
  expect(r.ms).toBeLessThan(30_000)
}

const WHY: Record<Plant, string> = {
  'symlink to a file': 'a symbolic link', 'dangling symlink': 'a symbolic link', 'symlink to a directory': 'a symbolic link', FIFO: 'a FIFO',
  'hard link': 'has 2 hard links', 'foreign file': 'is owned by uid', 'group-writable file': 'is writable by its group', 'world-writable file': 'is writable by others',
}

describe('the audit log is opened and checked before the write starts (defect 1)', () => {
  for (const kind of PLANTS) {
    it(`a ${kind} at ${AUDIT}: exit 1, one line, no backup, no commit, nothing followed or created`, () => {
      const s = scene()
      const at = path.join(s.dir, AUDIT)
      const {env} = plant(s, kind, at)
      const before = s.snapshot()
      const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${TOKEN}\n`, env})
      refusedWith(r, new RegExp(`^Error: refusing to use ${at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as the audit log: it (is )?${WHY[kind]}`))
      expect(r.stdout).toBe('')
      expect(r.stderr).not.toContain(TOKEN)
      expect(s.snapshot()).toBe(before)
    })
  }

  it('a dry run inspects it too (nothing opened or created) and refuses a planted link the same way', () => {
    const s = scene()
    const at = path.join(s.dir, AUDIT)
    plant(s, 'dangling symlink', at)
    const before = s.snapshot()
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--dry-run'], {input: `${TOKEN}\n`})
    refusedWith(r, /as the audit log: it is a symbolic link/)
    expect(s.snapshot()).toBe(before)
  })

  it('hash-upgrade: a planted audit link stops it before the export is written', () => {
    const s = scene()
    plant(s, 'symlink to a file', path.join(s.dir, AUDIT))
    const before = s.snapshot()
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', s.db, '--export', path.join(s.dir, 'tokens.yaml'), '--yes'])
    refusedWith(r, /as the audit log: it is a symbolic link/)
    expect(s.snapshot()).toBe(before)
  })

  it('a write that is refused later (no confirmation) leaves no audit log it created', () => {
    const s = scene()
    const before = s.snapshot()
    const r = runCli(['auth', 'delete', '--bolt-path', s.db, '--id', '08371deae98c8000'])
    expect(r.status).toBe(2)
    expect(s.snapshot()).toBe(before)
  })

  it('an ordinary audit log of ours: appended through the descriptor opened before the write, 0600', () => {
    const s = scene()
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--no-backup'], {input: `${TOKEN}\n`})
    expect(r.status, r.stderr).toBe(0)
    const log = path.join(s.dir, AUDIT)
    expect(fs.statSync(log).mode & 0o777).toBe(0o600)
    const line = JSON.parse(fs.readFileSync(log, 'utf8').trim()) as {fileSha256After: string; outcome: string}
    expect(line).toMatchObject({outcome: 'ok', fileSha256After: sha256(s.db)})
    oracleCheck(s.db)
  })
})

describe('exports and rescue output never follow, block on or overwrite what is planted at their name', () => {
  for (const kind of PLANTS) {
    it(`auth export --output onto a ${kind}: exit 1, nothing written anywhere`, () => {
      const s = scene()
      const at = path.join(s.dir, 'tokens.yaml')
      const {env} = plant(s, kind, at)
      const before = s.snapshot()
      const r = runCli(['auth', 'export', '--bolt-path', s.db, '--output', at], {env})
      const regular = kind === 'hard link' || kind.endsWith('file') && !kind.startsWith('symlink')
      refusedWith(r, regular ? /refusing to overwrite .*tokens\.yaml: it already exists/ : /as the export: it is (a symbolic link|a FIFO)/)
      expect(s.snapshot()).toBe(before)
    })

    it(`auth rescue --output onto a ${kind}: exit 1, nothing written anywhere`, () => {
      const s = scene()
      const from = copyInto(V29, s.victimDir, 'older.bolt')
      const at = path.join(s.dir, 'rescued.json')
      const {env} = plant(s, kind, at)
      const before = s.snapshot()
      const r = runCli(['auth', 'rescue', '--bolt-path', s.db, '--from', from, '--output', at], {env})
      const regular = kind === 'hard link' || kind.endsWith('file') && !kind.startsWith('symlink')
      expect(r.status, r.stderr).toBe(1)
      expect(r.stderr).toMatch(regular ? /refusing to overwrite .*rescued\.json: it already exists/ : /as the rescue output: it is (a symbolic link|a FIFO)/)
      expect(s.snapshot()).toBe(before)
    })
  }

  it('hash-upgrade --export onto a dangling symlink: exit 1 before anything is written', () => {
    const s = scene()
    const at = path.join(s.dir, 'tokens.yaml')
    plant(s, 'dangling symlink', at)
    const before = s.snapshot()
    const r = runCli(['auth', 'hash-upgrade', '--bolt-path', s.db, '--export', at, '--yes'])
    refusedWith(r, /as the export: it is a symbolic link/)
    expect(s.snapshot()).toBe(before)
  })
})

describe('the lock directory (defect 12)', () => {
  for (const kind of ['dangling symlink', 'symlink to a directory', 'symlink to a file', 'FIFO'] as const) {
    it(`a ${kind} at FILE.influx-recover.lock: exit 1 saying to remove it, no "goes stale" promise, nothing followed`, () => {
      const s = scene()
      const at = `${s.db}.influx-recover.lock`
      plant(s, kind, at)
      const before = s.snapshot()
      const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--lock-timeout', '0.5'], {input: `${TOKEN}\n`})
      refusedWith(r, new RegExp(`is (a symbolic link|a FIFO), not the lock directory of an influx-recover run`))
      expect(errorLines(r.stderr).hint).toContain(`rm -- ${at}`)
      expect(r.stderr).not.toMatch(/stale/)
      expect(s.snapshot()).toBe(before)
    })
  }

  it('a leftover lock directory that is not empty: exit 1 saying to look inside and remove it (was exit 1 ENOTEMPTY or a wait)', () => {
    const s = scene()
    const at = `${s.db}.influx-recover.lock`
    fs.mkdirSync(at)
    fs.writeFileSync(path.join(at, 'junk'), 'x')
    const before = s.snapshot()
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${TOKEN}\n`})
    refusedWith(r, /influx-recover\.lock is left over from an influx-recover run that was killed, but it is not empty, so it was not removed/)
    expect(errorLines(r.stderr).hint).toContain(`rm -r -- ${at}`)
    expect(r.stderr).not.toContain('ENOTEMPTY')
    expect(s.snapshot()).toBe(before)
  })
})

describe('backup names and backup temporary files', () => {
  it('symlinks, dangling ones, FIFOs and foreign files planted at the backup names of the next seconds are never followed or replaced: the backup takes the next free name', () => {
    const s = scene()
    const planted: Array<{p: string; kind: Plant}> = []
    const kinds: Plant[] = ['symlink to a file', 'dangling symlink', 'FIFO', 'foreign file', 'symlink to a directory']
    const now = Date.now()
    for (let t = -1; t <= 40; t++) {
      const stamp = new Date(now + t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')
      const p = path.join(s.dir, `influxd.bolt.influx-recover-${stamp}.bak`)
      const kind = kinds[(t + 1) % kinds.length]!
      if (kind === 'dangling symlink') fs.symlinkSync(path.join(s.victimDir, `made-${t}`), p)
      else plant(s, kind, p)
      planted.push({p, kind})
    }
    const before = JSON.stringify(planted.map(({p}) => [fs.lstatSync(p).mode, fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : fs.lstatSync(p).size]))
    const victimBefore = fs.readFileSync(s.victim, 'utf8')
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${TOKEN}\n`})
    expect(r.status, r.stderr).toBe(0)
    const backup = /^backup: (.+)$/m.exec(r.stderr)![1]!
    expect(backup).toMatch(/\.influx-recover-\d{8}T\d{6}Z-2\.bak$/)
    expect(fs.lstatSync(backup).isFile()).toBe(true)
    oracleCheck(backup)
    expect(JSON.stringify(planted.map(({p}) => [fs.lstatSync(p).mode, fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : fs.lstatSync(p).size]))).toBe(before)
    expect(fs.readFileSync(s.victim, 'utf8')).toBe(victimBefore)
    expect(fs.readdirSync(s.victimDir).filter((n) => n.startsWith('made-'))).toEqual([])
    expect(fs.readdirSync(path.join(s.victimDir, 'd'))).toEqual([])
  })

  it('things named like a backup temporary file that are not an abandoned one of ours are left alone (and doctor reports them)', () => {
    const s = scene()
    const stamp = '20240102T030405Z'
    const link = path.join(s.dir, `.influxd.bolt.influx-recover-${stamp}.0badc0de.tmp`)
    const foreign = path.join(s.dir, `.influxd.bolt.influx-recover-${stamp}.0badf00d.tmp`)
    fs.symlinkSync(s.victim, link)
    fs.writeFileSync(foreign, 'theirs')
    if (IS_ROOT) fs.chownSync(foreign, OTHER_UID, OTHER_UID)
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${TOKEN}\n`, env: foreignEnv()})
    if (IS_ROOT) expect(r.status, r.stderr).toBe(0)
    expect(fs.readlinkSync(link)).toBe(s.victim)
    expect(fs.readFileSync(foreign, 'utf8')).toBe('theirs')
    expect(fs.readFileSync(s.victim, 'utf8')).toBe('precious\n')
    const d = runCli(['doctor', '--bolt-path', s.db, '--json'])
    const copies = (JSON.parse(d.stdout) as {checks: Array<{name: string; details?: string[]}>}).checks.find((c) => c.name === 'copies')!
    expect(copies.details!.filter((l) => l.startsWith('PARTIAL')).map((l) => l.replace(/^.*: /, '')).sort()).toEqual([link, foreign].sort())
  })
})

describe('a full disk (defect 12): one line saying what happened and what to do', () => {
  it('ENOSPC during the commit: exit 1, "no space left", the --backup-dir hint, the file as it was', () => {
    const s = scene()
    const before = sha256(s.db)
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--no-backup'], {input: `${TOKEN}\n`, env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-write-0:ENOSPC'}})
    refusedWith(r, /^Error: no space left on the device during "write": nothing was committed, the file is as it was$/)
    expect(errorLines(r.stderr).hint).toMatch(/free some space .* --backup-dir DIR/)
    expect(r.stderr).not.toMatch(/ENOSPC ENOSPC/)
    expect(sha256(s.db)).toBe(before)
    oracleCheck(s.db)
  })

  it('ENOSPC during the backup: exit 1, one line, no partial backup, no commit, no audit log left', () => {
    const s = scene()
    const before = s.snapshot()
    const r = runCli(['auth', 'create-operator', '--bolt-path', s.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], {input: `${TOKEN}\n`, env: {INFLUX_RECOVER_TEST_HOOKS: 'fail-backup-write:ENOSPC'}})
    refusedWith(r, /^Error: no space left on the device while writing the backup of .*influxd\.bolt in /)
    expect(errorLines(r.stderr).hint).toMatch(/--backup-dir DIR/)
    expect(s.snapshot()).toBe(before)
  })
})
