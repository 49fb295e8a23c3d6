// The remnant search (doctor, auth scrub): every token-shaped string of the
// file whose hash, of either variant, is one of the given hashes, wherever it
// lies (also across the scan's chunk boundaries); hashes that are not the
// exact form influxd computes match nothing.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {tokensMatchingHashes} from '../../src/recovery/hash-upgrade.js'
import {hashOf} from '../helpers/influx-builder.js'
import {rng} from '../helpers/model.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-remnants-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('tokensMatchingHashes', () => {
  it('finds the tokens of sha256 and sha512 hashes anywhere, and nothing for other hashes', () => {
    const r = rng(3)
    const token = (): string => Array.from({length: 86}, () => ALPHABET[Math.floor(r() * 64)]).join('') + '=='
    const file = path.join(tmp, 'f.bin')
    const size = 9 << 20
    const buf = Buffer.alloc(size, 0x41) // 'A' everywhere: long runs of the alphabet, but no "=="
    const byHash = new Map<string, string>()
    const found: Record<'sha256' | 'sha512', string[]> = {sha256: [], sha512: []}
    const plant = (at: number, id: string, how: 'sha256' | 'sha512' | 'noncanonical' | 'unhashed' | 'garbled'): void => {
      const t = token()
      buf.write(t, at, 'latin1')
      if (how === 'sha256' || how === 'sha512') {
        byHash.set(hashOf(t, how), id)
        found[how].push(id)
      } else if (how === 'noncanonical') {
        byHash.set(hashOf(t).replace(/^(.{30})/, '$1\n'), id) // influxd's decoder skips the newline; influxd never computes it
      } else if (how === 'garbled') {
        byHash.set(`$influxdb2-sha256$${t}`, id)
      }
    }
    // across both 4 MiB chunk boundaries, at the very start and end, and in between
    const spots = [0, (4 << 20) - 40, (4 << 20) - 200, (8 << 20) - 1, (8 << 20) - 88, size - 88, 1000, 5 << 20, 7 << 20, (8 << 20) - 300]
    const kinds = ['sha256', 'sha512', 'noncanonical', 'unhashed', 'garbled'] as const
    spots.forEach((at, i) => plant(at, `id${String(i).padStart(2, '0')}`, kinds[i % kinds.length]))
    fs.writeFileSync(file, buf)
    expect(found.sha256.length + found.sha512.length).toBeGreaterThan(3)
    expect(tokensMatchingHashes(file, byHash)).toEqual([...found.sha256, ...found.sha512].sort())
    // only the variants given are looked for
    const only256 = new Map([...byHash].filter(([h]) => !h.startsWith('$influxdb2-sha512$')))
    expect(tokensMatchingHashes(file, only256)).toEqual(found.sha256.sort())
    expect(tokensMatchingHashes(file, new Map())).toEqual([])
  })
})
