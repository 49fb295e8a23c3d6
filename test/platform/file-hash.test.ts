// The file hash of the audit line (src/platform/file-hash.ts): on the spot or
// on a worker thread, the same digest; a thread that is cancelled or fails
// rejects instead of hanging or answering.
import {createHash, randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {fileSha256, prepareFileSha256, startFileSha256, WORKER_HASH_MIN_BYTES} from '../../src/platform/file-hash.js'
import {makeTempDir, removeDir} from './helpers.js'

describe('file hash', () => {
  let dir: string
  let file: string
  let content: Buffer

  beforeEach(async () => {
    dir = await makeTempDir()
    file = join(dir, 'influxd.bolt')
    // more than one 1 MiB chunk, and not a multiple of it
    content = randomBytes(2 * (1 << 20) + 4321)
    fs.writeFileSync(file, content)
  })
  afterEach(async () => removeDir(dir))

  const expected = (): string => createHash('sha256').update(content).digest('hex')

  it('on the spot and on a thread: the SHA-256 of the whole file, read from offset 0 whatever the descriptor\'s position', async () => {
    const fd = fs.openSync(file, 'r')
    try {
      fs.readSync(fd, Buffer.alloc(100), 0, 100, null) // moves the position: the hash does not use it
      expect(fileSha256(fd)).toBe(expected())
      expect(fileSha256(file)).toBe(expected())
      const here = startFileSha256(fd, {threaded: false})
      const there = startFileSha256(fd, {threaded: true})
      expect([here.threaded, there.threaded]).toEqual([false, true])
      expect(await here.result).toBe(expected())
      expect(await there.result).toBe(expected())
      // a small file is hashed on the spot unless asked otherwise
      expect(startFileSha256(fd).threaded).toBe(content.length >= WORKER_HASH_MIN_BYTES)
    } finally {
      fs.closeSync(fd)
    }
  })

  it('prepared ahead: hashes the file as it is when told to go, not as it was when the thread started', async () => {
    const fd = fs.openSync(file, 'r+')
    try {
      for (const threaded of [true, false]) {
        const job = prepareFileSha256(fd, {threaded})
        expect(job.threaded).toBe(threaded)
        // the thread is up before the file changes
        await new Promise((r) => setTimeout(r, 200))
        content[12345] = content[12345]! ^ 0xff
        fs.writeSync(fd, content, 12345, 1, 12345)
        job.go()
        job.go() // a second go changes nothing
        expect(await job.result).toBe(expected())
      }
      // cancelled before it was told to go: rejects, never answers
      const idle = prepareFileSha256(fd, {threaded: true})
      await idle.cancel()
      await expect(idle.result).rejects.toThrow(/stopped|before it finished|terminat/i)
    } finally {
      fs.closeSync(fd)
    }
  })

  it('a cancelled thread rejects; one that cannot read rejects with the error', async () => {
    const fd = fs.openSync(file, 'r')
    try {
      const job = startFileSha256(fd, {threaded: true})
      await job.cancel()
      await expect(job.result).rejects.toThrow(/stopped|before it finished|terminat/i)
    } finally {
      fs.closeSync(fd)
    }
    // a descriptor that is not open
    const bad = startFileSha256(2 ** 30, {threaded: true})
    await expect(bad.result).rejects.toThrow(/EBADF/)
    expect(() => startFileSha256(2 ** 30, {threaded: false})).not.toThrow()
    await expect(startFileSha256(2 ** 30, {threaded: false}).result).rejects.toThrow(/EBADF/)
  })
})
