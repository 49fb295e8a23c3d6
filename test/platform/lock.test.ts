import {execFile, execFileSync, spawn} from 'node:child_process'
import type {ChildProcess} from 'node:child_process'
import {promises as fsp} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import lockfile from 'proper-lockfile'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, LockedError, NotFoundError} from '../../src/errors.js'
import {flockIsMachineWide, lockDataFile, lockfilePathFor} from '../../src/platform/lock.js'
import type {DataFileLock} from '../../src/platform/lock.js'
import type {ExternalFlock} from './helpers.js'
import {exists, expectRecoverError, externalFlockAvailable, holdExternalFlock, makeTempDir, removeDir} from './helpers.js'

const execFileP = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = resolve(here, '../..')

describe('lockDataFile', () => {
  let dir: string
  let file: string
  let locks: DataFileLock[]
  let holders: ExternalFlock[]
  let children: ChildProcess[]

  /** machineWideFlock false plays a network filesystem, where the lock directory is the only cross-host lock. */
  async function lock(write: boolean, timeoutSec = 0, machineWideFlock?: boolean): Promise<DataFileLock> {
    const l = await lockDataFile(file, {write, timeoutSec, machineWideFlock})
    locks.push(l)
    return l
  }

  async function timed<T>(fn: () => Promise<T>): Promise<number> {
    const t0 = performance.now()
    await fn().catch(() => {})
    return performance.now() - t0
  }

  beforeEach(async () => {
    dir = await makeTempDir()
    file = join(dir, 'influxd.bolt')
    await fsp.writeFile(file, Buffer.alloc(4096))
    locks = []
    holders = []
    children = []
  })
  afterEach(async () => {
    for (const l of locks) await l.release().catch(() => {})
    for (const h of holders) await h.release()
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await removeDir(dir)
  })

  describe('against an external flock(1) holder (stands in for influxd)', () => {
    it('exclusive holder: write lock fails with LockedError exit 3 after ~timeout', async () => {
      holders.push(await holdExternalFlock(file, 'x'))
      const t0 = performance.now()
      const err = await expectRecoverError(() => lock(true, 0.3), ExitCode.LOCKED)
      const elapsed = performance.now() - t0
      expect(err).toBeInstanceOf(LockedError)
      expect(err.message).toBe(
        `${file} is in use (locked by another process, most likely a running influxd); stop influxd first`,
      )
      expect(elapsed).toBeGreaterThanOrEqual(280)
      expect(elapsed).toBeLessThan(1000)
      // The failed attempt must not leave its lock directory behind.
      expect(await exists(lockfilePathFor(file))).toBe(false)
    })

    it('exclusive holder: read lock fails too', async () => {
      holders.push(await holdExternalFlock(file, 'x'))
      await expectRecoverError(() => lock(false, 0.1), ExitCode.LOCKED)
    })

    it('shared holder: read lock succeeds, write lock fails', async () => {
      holders.push(await holdExternalFlock(file, 's'))
      await lock(false)
      await expectRecoverError(() => lock(true, 0.1), ExitCode.LOCKED)
    })

    it('after the holder exits, the write lock succeeds', async () => {
      const h = await holdExternalFlock(file, 'x')
      holders.push(h)
      await expectRecoverError(() => lock(true, 0), ExitCode.LOCKED)
      await h.release()
      await lock(true)
    })
  })

  it('our write lock keeps flock(1) out entirely; our read lock admits only shared', async () => {
    const w = await lock(true)
    expect(await externalFlockAvailable(file, 's')).toBe(false)
    expect(await externalFlockAvailable(file, 'x')).toBe(false)
    await w.release()
    await lock(false)
    expect(await externalFlockAvailable(file, 's')).toBe(true)
    expect(await externalFlockAvailable(file, 'x')).toBe(false)
  })

  it('in one process: two write locks conflict (exit 3), two read locks coexist, read blocks write', async () => {
    const w = await lock(true)
    await expectRecoverError(() => lock(true, 0.1), ExitCode.LOCKED)
    await expectRecoverError(() => lock(false, 0), ExitCode.LOCKED)
    await w.release()
    await lock(false)
    await lock(false)
    await expectRecoverError(() => lock(true, 0), ExitCode.LOCKED)
  })

  it('write lock creates the lock directory beside the file; release removes it; read creates none', async () => {
    const lockDir = lockfilePathFor(file)
    expect(lockDir).toBe(`${file}.influx-recover.lock`)
    const r = await lock(false)
    expect(await exists(lockDir)).toBe(false)
    await r.release()
    const w = await lock(true)
    expect(await exists(lockDir)).toBe(true)
    w.assertHeld()
    await w.release()
    expect(await exists(lockDir)).toBe(false)
  })

  it('release is idempotent and allows relocking', async () => {
    const w = await lock(true)
    await Promise.all([w.release(), w.release()])
    await w.release()
    const w2 = await lock(true)
    await w2.release()
    expect(await externalFlockAvailable(file, 'x')).toBe(true)
  })

  it('uses the canonical path, so a symlink alias contends for the same locks', async () => {
    const link = join(dir, 'alias.bolt')
    await fsp.symlink(file, link)
    locks.push(await lockDataFile(link, {write: true, timeoutSec: 0}))
    expect(await exists(lockfilePathFor(file))).toBe(true)
    await expectRecoverError(() => lock(true, 0), ExitCode.LOCKED)
  })

  describe('lock-file layer (another influx-recover run)', () => {
    it('this machine\'s filesystem counts as local (flock is machine-wide)', async () => {
      expect(await flockIsMachineWide(file)).toBe(true)
    })

    it('network filesystem, a live lock directory: exit 3 "being modified by another influx-recover run", flock released', async () => {
      const unlock = await lockfile.lock(file, {lockfilePath: lockfilePathFor(file), realpath: false})
      try {
        const err = await expectRecoverError(() => lock(true, 0.2, false), ExitCode.LOCKED)
        expect(err.message).toBe(`${file} is being modified by another influx-recover run (its lock directory ${lockfilePathFor(file)} exists)`)
        // a directory: the hint about staleness is true for it
        expect(err.hint).toMatch(/taken over once it has not been refreshed for 10 s/)
        // The flock taken first must have been dropped again.
        expect(await externalFlockAvailable(file, 'x')).toBe(true)
        // Reads do not use the lock-file layer.
        await (await lock(false)).release()
      } finally {
        await unlock()
      }
      await lock(true)
    })

    it('network filesystem: another user\'s live lock directory is named with its owner (exit 3)', async () => {
      const lockDir = lockfilePathFor(file)
      await fsp.mkdir(lockDir)
      const saved = process.env.INFLUX_RECOVER_TEST_HOOKS
      if (process.getuid?.() === 0) await fsp.chown(lockDir, 65534, 65534)
      else process.env.INFLUX_RECOVER_TEST_HOOKS = `euid-${(process.getuid?.() ?? 0) + 1}`
      try {
        const err = await expectRecoverError(() => lock(true, 0.2, false), ExitCode.LOCKED)
        expect(err.message).toMatch(new RegExp(`\\(its lock directory .* exists, owned by uid \\d+`))
      } finally {
        if (saved === undefined) delete process.env.INFLUX_RECOVER_TEST_HOOKS
        else process.env.INFLUX_RECOVER_TEST_HOOKS = saved
      }
      expect(await exists(lockDir)).toBe(true)
    })

    it('network filesystem: retries within the timeout and wins once the other run finishes', async () => {
      const unlock = await lockfile.lock(file, {lockfilePath: lockfilePathFor(file), realpath: false})
      setTimeout(() => void unlock(), 200)
      await lock(true, 5, false)
    })

    it('local filesystem: a fresh lock directory without a flock holder is a killed run\'s leftover, reclaimed at once', async () => {
      const lockDir = lockfilePathFor(file)
      await fsp.mkdir(lockDir)
      const w = await lock(true, 0)
      w.assertHeld()
      expect(await exists(lockDir)).toBe(true) // now ours
      await w.release()
      expect(await exists(lockDir)).toBe(false)
    })

    it('local filesystem: a leftover directory that is not empty is not removed: exit 1, one line saying to remove it', async () => {
      const lockDir = lockfilePathFor(file)
      await fsp.mkdir(lockDir)
      await fsp.writeFile(join(lockDir, 'keep'), 'x')
      const err = await expectRecoverError(() => lock(true, 0.1), ExitCode.ERROR)
      expect(err.message).toBe(`${lockDir} is left over from an influx-recover run that was killed, but it is not empty, so it was not removed`)
      expect(err.hint).toContain(`rm -r -- ${lockDir}`)
      expect(await exists(join(lockDir, 'keep'))).toBe(true)
      expect(await externalFlockAvailable(file, 'x')).toBe(true)
    })

    it('network filesystem: a stale directory that is not empty: exit 1 saying to remove it (was ENOTEMPTY without a hint)', async () => {
      const lockDir = lockfilePathFor(file)
      await fsp.mkdir(lockDir)
      await fsp.writeFile(join(lockDir, 'keep'), 'x')
      const old = new Date(Date.now() - 20_000)
      await fsp.utimes(lockDir, old, old)
      const err = await expectRecoverError(() => lock(true, 0.1, false), ExitCode.ERROR)
      expect(err.message).toBe(`${lockDir} is left over from an influx-recover run that stopped refreshing it more than 10 s ago, but it is not empty, so it was not removed`)
      expect(err.message).not.toContain('ENOTEMPTY')
      expect(err.hint).toContain(`rm -r -- ${lockDir}`)
      expect(await exists(join(lockDir, 'keep'))).toBe(true)
      expect(await externalFlockAvailable(file, 'x')).toBe(true)
    })

    it('a stale lock directory (crashed run, mtime > 10 s old) is reclaimed', async () => {
      const lockDir = lockfilePathFor(file)
      await fsp.mkdir(lockDir)
      const old = new Date(Date.now() - 20_000)
      await fsp.utimes(lockDir, old, old)
      const w = await lock(true)
      w.assertHeld()
    })

    it('a file squatting on the lock name is refused, not waited for: exit 1 saying to remove it, flock released', async () => {
      await fsp.writeFile(lockfilePathFor(file), '')
      const err = await expectRecoverError(() => lock(true, 0), ExitCode.ERROR)
      expect(err.message).toBe(`${lockfilePathFor(file)} is a regular file, not the lock directory of an influx-recover run (something else put it there)`)
      expect(err.hint).toContain(`rm -- ${lockfilePathFor(file)}`)
      expect(await externalFlockAvailable(file, 'x')).toBe(true)
    })

    for (const kind of ['dangling symlink', 'symlink to a directory', 'symlink to a file', 'FIFO'] as const) {
      it(`a ${kind} at the lock name is refused without being followed: exit 1, no "goes stale" hint, target untouched`, async () => {
        const lockDir = lockfilePathFor(file)
        const target = join(dir, 'target')
        if (kind === 'symlink to a directory') await fsp.mkdir(target)
        if (kind === 'symlink to a file') await fsp.writeFile(target, 'keep')
        if (kind === 'FIFO') execFileSync('mkfifo', [lockDir])
        else await fsp.symlink(target, lockDir)
        const old = new Date(Date.now() - 60_000)
        if (kind !== 'FIFO') await fsp.lutimes(lockDir, old, old)
        const before = await fsp.lstat(target).catch(() => undefined)
        for (const machineWide of [true, false]) {
          const err = await expectRecoverError(() => lock(true, 0.2, machineWide), ExitCode.ERROR)
          expect(err.message).toBe(`${lockDir} is ${kind === 'FIFO' ? 'a FIFO' : 'a symbolic link'}, not the lock directory of an influx-recover run (something else put it there)`)
          expect(err.hint).not.toMatch(/stale/)
          expect(err.hint).toContain(`rm -- ${lockDir}`)
          expect(await externalFlockAvailable(file, 'x')).toBe(true)
        }
        // still there, the target never created, removed or touched
        expect((await fsp.lstat(lockDir)).isDirectory()).toBe(false)
        const after = await fsp.lstat(target).catch(() => undefined)
        expect(after?.mtimeMs).toBe(before?.mtimeMs)
        if (kind === 'dangling symlink') expect(after).toBeUndefined()
        if (kind === 'symlink to a directory') expect(await fsp.readdir(target)).toEqual([])
      })
    }

    it('cannot create the lock directory (name too long): exit 1, flock released', async () => {
      // 240 chars is a valid file name, but 240 + ".influx-recover.lock" exceeds NAME_MAX (255),
      // so mkdir fails with ENAMETOOLONG even as root.
      const longFile = join(dir, 'x'.repeat(240))
      await fsp.writeFile(longFile, 'x')
      const err = await expectRecoverError(() => lockDataFile(longFile, {write: true, timeoutSec: 0}), ExitCode.ERROR)
      expect(err.message).toContain('cannot create the lock directory')
      expect(err.message).toContain('ENAMETOOLONG')
      expect(await externalFlockAvailable(longFile, 'x')).toBe(true)
    })
  })

  it('a lost lock directory is reported by assertHeld() instead of crashing the process', async () => {
    const w = await lock(true)
    await fsp.rmdir(lockfilePathFor(file))
    // proper-lockfile notices on its next refresh (every 5 s).
    await new Promise((r) => setTimeout(r, 5_600))
    const err = await expectRecoverError(async () => w.assertHeld(), ExitCode.LOCKED)
    expect(err.message).toContain('lost the lock')
    // Release still drops the flock and does not touch a lock directory that is not ours.
    await fsp.mkdir(lockfilePathFor(file))
    await w.release()
    expect(await exists(lockfilePathFor(file))).toBe(true)
    expect(await externalFlockAvailable(file, 'x')).toBe(true)
  }, 15_000)

  describe('crash safety', () => {
    function startHolder(how: 'wait' | 'throw'): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'lock-holder.ts'), file, how], {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      return new Promise((resolveP, reject) => {
        let out = ''
        let errOut = ''
        const timer = setTimeout(() => reject(new Error(`lock holder did not start: ${errOut}`)), 20_000)
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('held')) {
            clearTimeout(timer)
            resolveP(child)
          }
        })
        child.stderr!.on('data', (d: Buffer) => (errOut += d.toString()))
        child.once('exit', (code) => {
          clearTimeout(timer)
          if (!out.includes('held')) reject(new Error(`lock holder exited ${code}: ${errOut}`))
        })
      })
    }

    function exited(child: ChildProcess): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
      return new Promise((r) => child.once('exit', () => r()))
    }

    it('SIGKILL: flock is gone at once; the lock directory is reclaimed at once on a local filesystem, after it goes stale on a network one', async () => {
      const child = await startHolder('wait')
      await expectRecoverError(() => lock(true, 0), ExitCode.LOCKED)
      child.kill('SIGKILL')
      await exited(child)
      // The kernel dropped the flock with the process.
      expect(await externalFlockAvailable(file, 'x')).toBe(true)
      // The lock directory survived the kill and is still fresh: on a network filesystem another run is refused...
      const lockDir = lockfilePathFor(file)
      expect(await exists(lockDir)).toBe(true)
      const err = await expectRecoverError(() => lock(true, 0.1, false), ExitCode.LOCKED)
      expect(err.message).toContain('another influx-recover run')
      // ...until it is older than the stale threshold (simulated by ageing its mtime).
      const old = new Date(Date.now() - 11_000)
      await fsp.utimes(lockDir, old, old)
      await (await lock(true, 0, false)).release()
      // On a local filesystem the leftover is taken over at once.
      await fsp.mkdir(lockDir)
      await lock(true, 0)
    }, 30_000)

    it('uncaught exception: exit hook removes the lock directory, next run locks immediately', async () => {
      const child = await startHolder('throw')
      await exited(child)
      expect(child.exitCode).not.toBe(0)
      expect(await exists(lockfilePathFor(file))).toBe(false)
      await lock(true)
    }, 30_000)
  })

  describe('pre-checks come first', () => {
    it('missing file: exit 5 and nothing is created', async () => {
      const missing = join(dir, 'missing.bolt')
      for (const write of [false, true]) {
        const err = await expectRecoverError(() => lockDataFile(missing, {write, timeoutSec: 0}), ExitCode.NOT_FOUND)
        expect(err).toBeInstanceOf(NotFoundError)
      }
      expect(await exists(missing)).toBe(false)
      expect(await exists(lockfilePathFor(missing))).toBe(false)
    })

    it('FIFO: exit 4 quickly, never hangs', async () => {
      const fifo = join(dir, 'fifo.bolt')
      await execFileP('mkfifo', [fifo])
      const elapsed = await timed(() => expectRecoverError(() => lockDataFile(fifo, {write: true, timeoutSec: 1}), ExitCode.CORRUPT))
      expect(elapsed).toBeLessThan(1000)
    }, 5000)

    it('invalid timeout: usage error', async () => {
      await expectRecoverError(() => lock(true, -1), ExitCode.USAGE)
      await expectRecoverError(() => lock(true, Number.NaN), ExitCode.USAGE)
    })
  })
})
