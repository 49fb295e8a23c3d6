import {execFile} from 'node:child_process'
import {constants as fsConstants, promises as fsp} from 'node:fs'
import {createServer} from 'node:net'
import type {Server} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, NotFoundError} from '../../src/errors.js'
import {assertOpenableDataFile, notABoltFile} from '../../src/platform/file-check.js'
import {exists, expectRecoverError, makeTempDir, removeDir} from './helpers.js'

const execFileP = promisify(execFile)

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), {code})
}

describe('assertOpenableDataFile', () => {
  let dir: string
  beforeEach(async () => {
    dir = await makeTempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('accepts a regular file and reports real path, size and permission bits', async () => {
    const file = join(dir, 'influxd.bolt')
    await fsp.writeFile(file, Buffer.alloc(8192, 1))
    await fsp.chmod(file, 0o640)
    for (const write of [false, true]) {
      expect(await assertOpenableDataFile(file, {write})).toEqual({realPath: file, size: 8192, mode: 0o640})
    }
  })

  it('follows a symlink to a regular file and returns its target as realPath', async () => {
    const file = join(dir, 'real.bolt')
    const link = join(dir, 'link.bolt')
    await fsp.writeFile(file, 'abc')
    await fsp.symlink(file, link)
    const res = await assertOpenableDataFile(link, {write: false})
    expect(res.realPath).toBe(file)
    expect(res.size).toBe(3)
  })

  it('missing path: NotFoundError (exit 5) and the file is not created', async () => {
    const file = join(dir, 'nope.bolt')
    for (const write of [false, true]) {
      const err = await expectRecoverError(() => assertOpenableDataFile(file, {write}), ExitCode.NOT_FOUND)
      expect(err).toBeInstanceOf(NotFoundError)
      expect(err.message).toBe(`no such file: ${file}`)
    }
    expect(await exists(file)).toBe(false)
  })

  it('path below a regular file (ENOTDIR) is reported as missing', async () => {
    const file = join(dir, 'plain')
    await fsp.writeFile(file, 'x')
    const err = await expectRecoverError(() => assertOpenableDataFile(join(file, 'x.bolt'), {write: false}), ExitCode.NOT_FOUND)
    expect(err.message).toBe(`no such file: ${join(file, 'x.bolt')}`)
  })

  it('dangling symlink: exit 5 with its own message, target not created', async () => {
    const target = join(dir, 'gone.bolt')
    const link = join(dir, 'dangling.bolt')
    await fsp.symlink(target, link)
    for (const write of [false, true]) {
      const err = await expectRecoverError(() => assertOpenableDataFile(link, {write}), ExitCode.NOT_FOUND)
      expect(err.message).toBe(`${link} is a symlink to a missing file`)
    }
    expect(await exists(target)).toBe(false)
  })

  it('symlink loop: exit 5', async () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await fsp.symlink(b, a)
    await fsp.symlink(a, b)
    const err = await expectRecoverError(() => assertOpenableDataFile(a, {write: false}), ExitCode.NOT_FOUND)
    expect(err.message).toContain('loop')
  })

  it('directory (also through a symlink): exit 4 "not a bbolt file"', async () => {
    const sub = join(dir, 'sub')
    const link = join(dir, 'sublink')
    await fsp.mkdir(sub)
    await fsp.symlink(sub, link)
    let err = await expectRecoverError(() => assertOpenableDataFile(sub, {write: true}), ExitCode.CORRUPT)
    expect(err.message).toBe(`${sub} is a directory, not a bbolt file`)
    err = await expectRecoverError(() => assertOpenableDataFile(link, {write: false}), ExitCode.CORRUPT)
    expect(err.message).toBe(`${link} is a directory, not a bbolt file`)
  })

  it('FIFO: exit 4 quickly, never blocks', async () => {
    const fifo = join(dir, 'pipe.bolt')
    await execFileP('mkfifo', [fifo])
    for (const write of [false, true]) {
      const t0 = performance.now()
      const err = await expectRecoverError(() => assertOpenableDataFile(fifo, {write}), ExitCode.CORRUPT)
      expect(performance.now() - t0).toBeLessThan(1000)
      expect(err.message).toBe(`${fifo} is a FIFO, not a bbolt file`)
    }
  }, 5000)

  it('socket: exit 4', async () => {
    const sock = join(dir, 's.sock')
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(sock, resolve))
    try {
      const err = await expectRecoverError(() => assertOpenableDataFile(sock, {write: false}), ExitCode.CORRUPT)
      expect(err.message).toBe(`${sock} is a socket, not a bbolt file`)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('device: exit 4', async () => {
    const err = await expectRecoverError(() => assertOpenableDataFile('/dev/null', {write: false}), ExitCode.CORRUPT)
    expect(err.message).toBe('/dev/null is a device, not a bbolt file')
  })

  it('notABoltFile builds the exit-4 error', () => {
    const err = notABoltFile('/x', 'a FIFO')
    expect(err.exitCode).toBe(ExitCode.CORRUPT)
    expect(err.message).toBe('/x is a FIFO, not a bbolt file')
  })

  describe('permission check (injected access)', () => {
    it('asks for R_OK on reads and R_OK|W_OK on writes', async () => {
      const file = join(dir, 'f.bolt')
      await fsp.writeFile(file, 'x')
      const modes: number[] = []
      const access = async (_p: string, mode: number) => {
        modes.push(mode)
      }
      await assertOpenableDataFile(file, {write: false, access})
      await assertOpenableDataFile(file, {write: true, access})
      expect(modes).toEqual([fsConstants.R_OK, fsConstants.R_OK | fsConstants.W_OK])
    })

    it('EACCES on read: exit 1 "permission denied" with a hint', async () => {
      const file = join(dir, 'f.bolt')
      await fsp.writeFile(file, 'x')
      const err = await expectRecoverError(
        () => assertOpenableDataFile(file, {write: false, access: async () => Promise.reject(errno('EACCES'))}),
        ExitCode.ERROR,
      )
      expect(err.message).toBe(`permission denied: ${file} (need read access)`)
      expect(err.hint).toBeTruthy()
    })

    it('EPERM on write: exit 1 naming read and write access', async () => {
      const file = join(dir, 'f.bolt')
      await fsp.writeFile(file, 'x')
      const err = await expectRecoverError(
        () => assertOpenableDataFile(file, {write: true, access: async () => Promise.reject(errno('EPERM'))}),
        ExitCode.ERROR,
      )
      expect(err.message).toBe(`permission denied: ${file} (need read and write access)`)
    })

    it('EROFS on write: exit 1 read-only filesystem', async () => {
      const file = join(dir, 'f.bolt')
      await fsp.writeFile(file, 'x')
      const err = await expectRecoverError(
        () => assertOpenableDataFile(file, {write: true, access: async () => Promise.reject(errno('EROFS'))}),
        ExitCode.ERROR,
      )
      expect(err.message).toBe(`${file} is on a read-only filesystem`)
    })

    it('real access() on a mode-000 file: denied for a normal user, granted to root', async () => {
      const file = join(dir, 'locked-down.bolt')
      await fsp.writeFile(file, 'x')
      await fsp.chmod(file, 0o000)
      if (process.getuid?.() === 0) {
        // Root really can open it, so the check must not pretend otherwise.
        await expect(assertOpenableDataFile(file, {write: true})).resolves.toMatchObject({mode: 0})
      } else {
        const err = await expectRecoverError(() => assertOpenableDataFile(file, {write: false}), ExitCode.ERROR)
        expect(err.message).toBe(`permission denied: ${file} (need read access)`)
      }
    })
  })
})
