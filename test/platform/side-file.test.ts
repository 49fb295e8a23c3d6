// Side files (platform/side-file.ts) against what a directory's owner can
// plant at their names: symlinks (to a file, dangling, to a directory), FIFOs,
// hard links, files of another user, group- or world-writable files. Each is
// refused with one RecoverError (exit 1) without being followed, opened for
// writing, blocked on, created or changed.
import {execFileSync} from 'node:child_process'
import * as fs from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, RecoverError} from '../../src/errors.js'
import {inspectSideFile, openSideFile, removeIfSame, writeNewSideFile, type OpenSideFileOptions} from '../../src/platform/side-file.js'
import {makeTempDir, removeDir} from './helpers.js'

const IS_ROOT = process.getuid?.() === 0
const OTHER_UID = 65534

/**
 * Makes `file` another user's: chown as root; otherwise the test pretends to
 * run as another uid (INFLUX_RECOVER_TEST_HOOKS=euid-N), which the ownership
 * check honours, so the file is foreign to the check either way.
 */
function makeForeign(file: string): void {
  if (IS_ROOT) fs.lchownSync(file, OTHER_UID, OTHER_UID)
  else process.env.INFLUX_RECOVER_TEST_HOOKS = `euid-${(process.getuid?.() ?? 0) + 1}`
}

function refused(fn: () => unknown): RecoverError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(RecoverError)
  expect((caught as RecoverError).exitCode).toBe(ExitCode.ERROR)
  expect((caught as RecoverError).message).not.toContain('\n')
  return caught as RecoverError
}

type Plant = 'symlink to a file' | 'dangling symlink' | 'symlink to a directory' | 'FIFO' | 'foreign file' | 'group-writable file' | 'world-writable file' | 'hard link'

const PLANTS: Plant[] = ['symlink to a file', 'dangling symlink', 'symlink to a directory', 'FIFO', 'foreign file', 'group-writable file', 'world-writable file', 'hard link']

const WHY: Record<Plant, RegExp> = {
  'symlink to a file': /it is a symbolic link/,
  'dangling symlink': /it is a symbolic link/,
  'symlink to a directory': /it is a symbolic link/,
  FIFO: /it is a FIFO/,
  'foreign file': /it is owned by uid \d+.*, not by uid \d+/,
  'group-writable file': /it is writable by its group \(mode 660\)/,
  'world-writable file': /it is writable by others \(mode 602\)/,
  'hard link': /it has 2 hard links/,
}

describe('side files', () => {
  let dir: string
  let victimDir: string
  const savedHooks = process.env.INFLUX_RECOVER_TEST_HOOKS

  beforeEach(async () => {
    dir = await makeTempDir('ir-sidefile-')
    victimDir = await makeTempDir('ir-victim-')
  })
  afterEach(async () => {
    if (savedHooks === undefined) delete process.env.INFLUX_RECOVER_TEST_HOOKS
    else process.env.INFLUX_RECOVER_TEST_HOOKS = savedHooks
    await removeDir(dir)
    await removeDir(victimDir)
  })

  /** Plants `kind` at `at`; returns a snapshot function of everything outside `dir` it could reach. */
  function plant(kind: Plant, at: string): () => string {
    const victim = join(victimDir, 'victim')
    const victimDirTarget = join(victimDir, 'd')
    fs.writeFileSync(victim, 'precious\n', {mode: 0o600})
    fs.mkdirSync(victimDirTarget)
    switch (kind) {
      case 'symlink to a file': fs.symlinkSync(victim, at); break
      case 'dangling symlink': fs.symlinkSync(join(victimDir, 'created-by-root'), at); break
      case 'symlink to a directory': fs.symlinkSync(victimDirTarget, at); break
      case 'FIFO': execFileSync('mkfifo', [at]); break
      case 'foreign file': fs.writeFileSync(at, 'theirs\n', {mode: 0o600}); makeForeign(at); break
      case 'group-writable file': fs.writeFileSync(at, 'x\n'); fs.chmodSync(at, 0o660); break
      case 'world-writable file': fs.writeFileSync(at, 'x\n'); fs.chmodSync(at, 0o602); break
      case 'hard link': fs.linkSync(victim, at); break
    }
    return () => JSON.stringify({
      victim: fs.readFileSync(victim, 'utf8'),
      victimMode: fs.statSync(victim).mode,
      victimDir: fs.readdirSync(victimDir).sort(),
      inD: fs.readdirSync(victimDirTarget),
      at: fs.lstatSync(at).isSymbolicLink() ? fs.readlinkSync(at) : fs.lstatSync(at).isFIFO() ? 'fifo' : fs.readFileSync(at, 'utf8'),
    })
  }

  const HOWS: Array<OpenSideFileOptions['how']> = ['append', 'exclusive', 'read']

  for (const kind of PLANTS) {
    for (const how of HOWS) {
      it(`${how}: a ${kind} is refused, never followed, created, blocked on or changed`, () => {
        const at = join(dir, 'influx-recover.audit.jsonl')
        const snapshot = plant(kind, at)
        const before = snapshot()
        const t0 = performance.now()
        const err = refused(() => openSideFile(at, {what: 'audit log', how}))
        expect(performance.now() - t0).toBeLessThan(2000) // a FIFO must not block
        if (how === 'exclusive') expect(err.message).toMatch(kind.includes('symlink') || kind === 'FIFO' ? /it is (a symbolic link|a FIFO)/ : /refusing to overwrite/)
        else expect(err.message).toMatch(WHY[kind])
        expect(err.message).toContain(at)
        expect(err.hint).toBeDefined()
        expect(snapshot()).toBe(before)
      })
    }
    it(`inspect (dry run): a ${kind} is refused the same way, nothing opened`, () => {
      const at = join(dir, 'influx-recover.audit.jsonl')
      const snapshot = plant(kind, at)
      const before = snapshot()
      const err = refused(() => inspectSideFile(at, 'audit log'))
      expect(err.message).toMatch(WHY[kind])
      expect(snapshot()).toBe(before)
    })
  }

  it('append: creates a missing file 0600 (whatever the umask), appends through the descriptor', () => {
    const at = join(dir, 'log')
    const old = process.umask(0o000)
    try {
      const f = openSideFile(at, {what: 'audit log', how: 'append'})
      expect(f.created).toBe(true)
      f.write('one\n')
      f.close()
    } finally {
      process.umask(old)
    }
    expect(fs.statSync(at).mode & 0o7777).toBe(0o600)
    const g = openSideFile(at, {what: 'audit log', how: 'append'})
    expect(g.created).toBe(false)
    g.write('two\n')
    g.close()
    expect(fs.readFileSync(at, 'utf8')).toBe('one\ntwo\n')
  })

  it('exclusive: never overwrites a regular file (exit 1), creates 0600 and reads back through the descriptor', () => {
    const at = join(dir, 'export.yaml')
    fs.writeFileSync(at, 'old')
    const err = refused(() => openSideFile(at, {what: 'export', how: 'exclusive'}))
    expect(err.message).toBe(`refusing to overwrite ${at}: it already exists`)
    expect(fs.readFileSync(at, 'utf8')).toBe('old')
    const fresh = join(dir, 'new.yaml')
    const f = openSideFile(fresh, {what: 'export', how: 'exclusive', readBack: true})
    f.write('hello', 0)
    // the name now points elsewhere: the descriptor still reads what it wrote
    fs.renameSync(fresh, join(dir, 'moved'))
    fs.writeFileSync(fresh, 'planted')
    expect(f.readAll().toString()).toBe('hello')
    f.close()
  })

  it('exclusive in a missing directory: exit 5', () => {
    let caught: RecoverError | undefined
    try {
      openSideFile(join(dir, 'no', 'x'), {what: 'export', how: 'exclusive'})
    } catch (err) {
      caught = err as RecoverError
    }
    expect(caught?.exitCode).toBe(ExitCode.NOT_FOUND)
  })

  it('discard: truncates through the descriptor and removes the name only while it still names that file', () => {
    const at = join(dir, 'secret.json')
    const f = openSideFile(at, {what: 'export', how: 'exclusive', readBack: true})
    f.write('plaintext-token', 0)
    // someone moves our file away and puts a link to a victim in its place
    fs.renameSync(at, join(dir, 'moved'))
    const victim = join(victimDir, 'victim')
    fs.writeFileSync(victim, 'precious')
    fs.symlinkSync(victim, at)
    f.discard()
    expect(fs.readFileSync(join(dir, 'moved'), 'utf8')).toBe('') // our copy: emptied
    expect(fs.readlinkSync(at)).toBe(victim) // the link: left alone
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious')
    const g = openSideFile(join(dir, 'plain'), {what: 'export', how: 'exclusive'})
    g.discard()
    expect(fs.existsSync(join(dir, 'plain'))).toBe(false)
  })

  it('removeIfSame: removes only the file it was given (held open, so its inode cannot be reused)', () => {
    const a = join(dir, 'a')
    fs.writeFileSync(a, 'a')
    const fd = fs.openSync(a, 'r')
    const st = fs.fstatSync(fd)
    fs.rmSync(a)
    fs.writeFileSync(a, 'other')
    expect(removeIfSame(a, st)).toBe(false)
    fs.closeSync(fd)
    expect(fs.readFileSync(a, 'utf8')).toBe('other')
    expect(removeIfSame(a, fs.lstatSync(a))).toBe(true)
    expect(fs.existsSync(a)).toBe(false)
  })

  it('writeNewSideFile: one call, 0600, fsynced; a planted dangling link is refused and its target never created', () => {
    const at = join(dir, 'rescued.json')
    writeNewSideFile(at, '{}\n', 'rescue output')
    expect(fs.readFileSync(at, 'utf8')).toBe('{}\n')
    expect(fs.statSync(at).mode & 0o777).toBe(0o600)
    const link = join(dir, 'link.json')
    const target = join(victimDir, 'made')
    fs.symlinkSync(target, link)
    const err = refused(() => writeNewSideFile(link, 'secret', 'rescue output'))
    expect(err.message).toBe(`refusing to use ${link} as the rescue output: it is a symbolic link (a new file was to be created there)`)
    expect(fs.existsSync(target)).toBe(false)
  })
})
