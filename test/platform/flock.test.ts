import {promises as fsp} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, LockedError} from '../../src/errors.js'
import {flockRelease, flockWithTimeout} from '../../src/platform/flock.js'
import {expectRecoverError, externalFlockAvailable, holdExternalFlock, makeTempDir, removeDir} from './helpers.js'

describe('flockWithTimeout', () => {
  let dir: string
  let file: string
  let handles: FileHandle[]

  // Each open() is a separate open file description, i.e. a separate flock owner.
  async function openFd(): Promise<number> {
    const fh = await fsp.open(file, 'r')
    handles.push(fh)
    return fh.fd
  }

  beforeEach(async () => {
    dir = await makeTempDir()
    file = join(dir, 'data.bolt')
    await fsp.writeFile(file, 'x')
    handles = []
  })
  afterEach(async () => {
    for (const fh of handles) await fh.close().catch(() => {})
    await removeDir(dir)
  })

  it('two exclusive locks on separate fds conflict even within one process', async () => {
    const a = await openFd()
    const b = await openFd()
    await flockWithTimeout(a, 'exclusive', 0, file)
    const err = await expectRecoverError(() => flockWithTimeout(b, 'exclusive', 0, file), ExitCode.LOCKED)
    expect(err).toBeInstanceOf(LockedError)
    expect(err.message).toBe(
      `${file} is in use (locked by another process, most likely a running influxd); stop influxd first`,
    )
    expect(err.hint).toBeTruthy()
  })

  it('shared + shared succeeds; shared blocks exclusive; release lets it through', async () => {
    const a = await openFd()
    const b = await openFd()
    const c = await openFd()
    await flockWithTimeout(a, 'shared', 0, file)
    await flockWithTimeout(b, 'shared', 0, file)
    await expectRecoverError(() => flockWithTimeout(c, 'exclusive', 0, file), ExitCode.LOCKED)
    await flockRelease(a)
    await flockRelease(b)
    await flockWithTimeout(c, 'exclusive', 0, file)
  })

  it('timeout 0 makes exactly one quick attempt', async () => {
    const holder = await holdExternalFlock(file, 'x')
    try {
      const t0 = performance.now()
      await expectRecoverError(async () => flockWithTimeout(await openFd(), 'shared', 0, file), ExitCode.LOCKED)
      expect(performance.now() - t0).toBeLessThan(200)
    } finally {
      await holder.release()
    }
  })

  it('retries until the timeout, then gives up', async () => {
    const holder = await holdExternalFlock(file, 'x')
    try {
      const fd = await openFd()
      const t0 = performance.now()
      await expectRecoverError(() => flockWithTimeout(fd, 'exclusive', 300, file), ExitCode.LOCKED)
      const elapsed = performance.now() - t0
      expect(elapsed).toBeGreaterThanOrEqual(290)
      expect(elapsed).toBeLessThan(1000)
    } finally {
      await holder.release()
    }
  })

  it('succeeds once the other holder lets go during the wait', async () => {
    const holder = await holdExternalFlock(file, 'x')
    const fd = await openFd()
    const pending = flockWithTimeout(fd, 'exclusive', 5000, file)
    setTimeout(() => void holder.release(), 200)
    await pending
    expect(await externalFlockAvailable(file, 's')).toBe(false)
  })

  it('is visible to flock(1), the lock influxd uses', async () => {
    const fd = await openFd()
    await flockWithTimeout(fd, 'shared', 0, file)
    expect(await externalFlockAvailable(file, 's')).toBe(true)
    expect(await externalFlockAvailable(file, 'x')).toBe(false)
    await flockRelease(fd)
    expect(await externalFlockAvailable(file, 'x')).toBe(true)
  })

  it('other errors (EBADF) are exit 1, not "locked"', async () => {
    const err = await expectRecoverError(() => flockWithTimeout(987_654, 'exclusive', 1000, file), ExitCode.ERROR)
    expect(err.message).toContain('EBADF')
  })

  it('rejects a negative timeout as a usage error', async () => {
    await expectRecoverError(async () => flockWithTimeout(await openFd(), 'shared', -1, file), ExitCode.USAGE)
  })
})
