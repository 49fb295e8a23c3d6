import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {promises as fsp} from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, NotFoundError} from '../../src/errors.js'
import {backupFile, backupName, backupTimestamp, removeAbandonedBackups} from '../../src/platform/backup.js'
import {lockDataFile} from '../../src/platform/lock.js'
import {exists, expectRecoverError, holdExternalFlock, makeTempDir, removeDir} from './helpers.js'

const NOW = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
const STAMP = '20240102T030405Z'

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex')
}

describe('backupFile', () => {
  let dir: string
  let src: string
  let content: Buffer

  beforeEach(async () => {
    dir = await makeTempDir()
    src = join(dir, 'influxd.bolt')
    // Larger than the 1 MiB chunk and not a multiple of it, to exercise the chunked copy.
    content = randomBytes(3 * (1 << 20) + 12345)
    await fsp.writeFile(src, content)
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('formats the UTC timestamp as YYYYMMDDTHHMMSSZ', () => {
    expect(backupTimestamp(NOW)).toBe(STAMP)
  })

  it('names backups <file>.influx-recover-<UTC timestamp>.bak, suffixed -2, -3 before .bak', () => {
    expect(backupName('/var/lib/influxdb2/influxd.bolt', NOW)).toBe(`influxd.bolt.influx-recover-${STAMP}.bak`)
    expect(backupName('influxd.bolt', NOW, 2)).toBe(`influxd.bolt.influx-recover-${STAMP}-2.bak`)
    expect(backupName('x', new Date(Date.UTC(2026, 10, 27, 19, 30, 0, 999)), 3)).toBe('x.influx-recover-20261127T193000Z-3.bak')
  })

  it('copies the file byte for byte next to the source, mode 0600, and reports its sha256', async () => {
    // Taken under the read lock, as callers must.
    const l = await lockDataFile(src, {write: false, timeoutSec: 0})
    let res
    try {
      res = await backupFile(src, {label: 'pre-repair', now: NOW})
    } finally {
      await l.release()
    }
    expect(res.path).toBe(join(dir, `influxd.bolt.influx-recover-${STAMP}.bak`))
    expect(res.label).toBe('pre-repair')
    expect(res.size).toBe(content.length)
    expect(res.sha256).toBe(sha256(content))
    expect((await fsp.readFile(res.path)).equals(content)).toBe(true)
    expect((await fsp.stat(res.path)).mode & 0o7777).toBe(0o600)
  })

  it('mode is exactly 0600 even under a umask that strips owner bits', async () => {
    const old = process.umask(0o277)
    try {
      const res = await backupFile(src, {label: 'u', now: NOW})
      expect((await fsp.stat(res.path)).mode & 0o7777).toBe(0o600)
    } finally {
      process.umask(old)
    }
  })

  it('never overwrites: same-second backups get -2, -3; existing files are untouched', async () => {
    const out = join(dir, 'out')
    await fsp.mkdir(out)
    const first = await backupFile(src, {dir: out, label: 'x', now: NOW})
    const squatter = join(out, `influxd.bolt.influx-recover-${STAMP}-2.bak`)
    await fsp.writeFile(squatter, 'keep me')
    const third = await backupFile(src, {dir: out, label: 'x', now: NOW})
    const fourth = await backupFile(src, {dir: out, label: 'x', now: NOW})
    expect(first.path).toBe(join(out, `influxd.bolt.influx-recover-${STAMP}.bak`))
    expect(third.path).toBe(join(out, `influxd.bolt.influx-recover-${STAMP}-3.bak`))
    expect(fourth.path).toBe(join(out, `influxd.bolt.influx-recover-${STAMP}-4.bak`))
    expect(await fsp.readFile(squatter, 'utf8')).toBe('keep me')
    for (const r of [first, third, fourth]) expect((await fsp.readFile(r.path)).equals(content)).toBe(true)
  })

  it('missing backup directory: exit 5, directory not created, nothing written', async () => {
    const missing = join(dir, 'no', 'such', 'dir')
    const err = await expectRecoverError(() => backupFile(src, {dir: missing, label: 'x', now: NOW}), ExitCode.NOT_FOUND)
    expect(err).toBeInstanceOf(NotFoundError)
    expect(await exists(join(dir, 'no'))).toBe(false)
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('missing source: exit 5, nothing written', async () => {
    await expectRecoverError(() => backupFile(join(dir, 'gone.bolt'), {label: 'x', now: NOW}), ExitCode.NOT_FOUND)
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('rejects a label that could escape the directory or need quoting: exit 2', async () => {
    for (const label of ['', '../x', 'a b', 'a/b']) {
      await expectRecoverError(() => backupFile(src, {label, now: NOW}), ExitCode.USAGE)
    }
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('verification failure: exit 6 and the bad backup is deleted', async () => {
    let seen = ''
    const err = await expectRecoverError(
      () =>
        backupFile(src, {
          label: 'x',
          now: NOW,
          testHooks: {
            // Flip one byte in the middle of the written backup.
            beforeVerify: async (p) => {
              seen = p
              const fh = await fsp.open(p, 'r+')
              try {
                const b = Buffer.alloc(1)
                await fh.read(b, 0, 1, 2_000_000)
                b[0] = b[0]! ^ 0xff
                await fh.write(b, 0, 1, 2_000_000)
              } finally {
                await fh.close()
              }
            },
          },
        }),
      ExitCode.VERIFY_FAILED,
    )
    expect(err.message).toContain('backup verification failed')
    // the copy is verified under its hidden temporary name: a bad one never gets a backup's name
    expect(seen).toMatch(new RegExp(`^${dir}/\\.influxd\\.bolt\\.influx-recover-${STAMP}\\.[0-9a-f]{8}\\.tmp$`))
    expect(await exists(seen)).toBe(false)
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('a truncated backup also fails verification (size differs)', async () => {
    await expectRecoverError(
      () => backupFile(src, {label: 'x', now: NOW, testHooks: {beforeVerify: (p) => fsp.truncate(p, 100)}}),
      ExitCode.VERIFY_FAILED,
    )
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('from a locked descriptor: the copy is of that file even when its name now names another one', async () => {
    const l = await lockDataFile(src, {write: true, timeoutSec: 0})
    try {
      await fsp.rename(src, join(dir, 'moved.bolt'))
      await fsp.writeFile(src, 'an impostor')
      const res = await backupFile({fd: l.fd, path: src, realPath: l.realPath}, {label: 'x', now: NOW})
      expect(res.sha256).toBe(sha256(content))
      expect((await fsp.readFile(res.path)).equals(content)).toBe(true)
    } finally {
      await l.release()
    }
  })

  it('names planted at the backup name (a symlink, a dangling one, a FIFO) are never followed or replaced: the next suffix is used', async () => {
    const victim = join(dir, 'victim')
    await fsp.writeFile(victim, 'precious')
    await fsp.symlink(victim, join(dir, `influxd.bolt.influx-recover-${STAMP}.bak`))
    await fsp.symlink(join(dir, 'nowhere'), join(dir, `influxd.bolt.influx-recover-${STAMP}-2.bak`))
    execFileSync('mkfifo', [join(dir, `influxd.bolt.influx-recover-${STAMP}-3.bak`)])
    const res = await backupFile(src, {label: 'x', now: NOW})
    expect(res.path).toBe(join(dir, `influxd.bolt.influx-recover-${STAMP}-4.bak`))
    expect(await fsp.readFile(victim, 'utf8')).toBe('precious')
    expect(await exists(join(dir, 'nowhere'))).toBe(false)
    expect((await fsp.readFile(res.path)).equals(content)).toBe(true)
    // no temporary file left
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('removes abandoned temporary files (nobody holds their flock), keeps one a live run holds and anything that is not a file of ours', async () => {
    const name = (hex: string): string => join(dir, `.influxd.bolt.influx-recover-${STAMP}.${hex}.tmp`)
    await fsp.writeFile(name('0000000a'), 'half a copy')
    await fsp.writeFile(name('0000000b'), 'being written')
    const victim = join(dir, 'victim')
    await fsp.writeFile(victim, 'precious')
    await fsp.symlink(victim, name('0000000c'))
    await fsp.writeFile(join(dir, `.other.bolt.influx-recover-${STAMP}.0000000d.tmp`), 'another file\'s')
    const live = await holdExternalFlock(name('0000000b'), 'x')
    try {
      expect(await removeAbandonedBackups(dir, 'influxd.bolt')).toEqual([name('0000000a')])
      const res = await backupFile(src, {label: 'x', now: NOW})
      expect(res.removedPartial).toEqual([])
    } finally {
      await live.release()
    }
    expect(await exists(name('0000000a'))).toBe(false)
    expect(await exists(name('0000000b'))).toBe(true)
    expect((await fsp.lstat(name('0000000c'))).isSymbolicLink()).toBe(true)
    expect(await fsp.readFile(victim, 'utf8')).toBe('precious')
    expect(await exists(join(dir, `.other.bolt.influx-recover-${STAMP}.0000000d.tmp`))).toBe(true)
    // once its writer is gone, the next backup removes it and says so
    const res = await backupFile(src, {label: 'x', now: NOW})
    expect(res.removedPartial).toEqual([name('0000000b')])
  })

  it('a full disk during the copy: one line with the --backup-dir hint, nothing left', async () => {
    const saved = process.env.INFLUX_RECOVER_TEST_HOOKS
    process.env.INFLUX_RECOVER_TEST_HOOKS = 'fail-backup-write:ENOSPC'
    try {
      const err = await expectRecoverError(() => backupFile(src, {label: 'x', now: NOW}), ExitCode.ERROR)
      expect(err.message).toBe(`no space left on the device while writing the backup of ${src} in ${dir}`)
      expect(err.hint).toMatch(/--backup-dir DIR/)
    } finally {
      if (saved === undefined) delete process.env.INFLUX_RECOVER_TEST_HOOKS
      else process.env.INFLUX_RECOVER_TEST_HOOKS = saved
    }
    expect(await fsp.readdir(dir)).toEqual(['influxd.bolt'])
  })

  it('an empty source gives an empty, verified backup', async () => {
    const empty = join(dir, 'empty.bolt')
    await fsp.writeFile(empty, '')
    const res = await backupFile(empty, {label: 'x', now: NOW})
    expect(res.size).toBe(0)
    expect(res.sha256).toBe(sha256(Buffer.alloc(0)))
  })
})
