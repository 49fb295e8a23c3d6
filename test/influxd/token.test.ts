// Token generation and recognition (spec §5).
import * as crypto from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {TOKEN_BYTES, TOKEN_LENGTH, generateToken, looksLikeInfluxToken, tokenFingerprint} from '../../src/influxd/token.js'

const FIXTURE_OPERATOR = 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ=='
const FIXTURE_CUSTOM = '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ=='

describe('generateToken', () => {
  it('makes 88-character padded base64url tokens of 64 random bytes', () => {
    expect(TOKEN_BYTES).toBe(64)
    expect(TOKEN_LENGTH).toBe(88)
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const t = generateToken()
      expect(t).toMatch(/^[A-Za-z0-9_-]{86}==$/)
      expect(Buffer.from(t, 'base64url')).toHaveLength(64)
      expect(looksLikeInfluxToken(t)).toBe(true)
      seen.add(t)
    }
    expect(seen.size).toBe(200)
  })

  it('over many tokens uses both URL-safe characters and never + or /', () => {
    const all = Array.from({length: 100}, generateToken).join('')
    expect(all).toContain('-')
    expect(all).toContain('_')
    expect(all).not.toMatch(/[+/]/)
  })
})

describe('looksLikeInfluxToken', () => {
  it('accepts both fixture tokens', () => {
    expect(looksLikeInfluxToken(FIXTURE_OPERATOR)).toBe(true)
    expect(looksLikeInfluxToken(FIXTURE_CUSTOM)).toBe(true)
  })

  it.each([
    ['empty', ''],
    ['unpadded', FIXTURE_OPERATOR.slice(0, 86)],
    ['too short', FIXTURE_OPERATOR.slice(4)],
    ['standard alphabet', FIXTURE_OPERATOR.replace(/-/g, '+')],
    ['non-zero trailing bits', FIXTURE_OPERATOR.slice(0, 85) + 'b=='],
    ['a token hash', '$influxdb2-sha256$tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI='],
    ['a short custom token', 'my-secret-token'],
  ])('refuses %s', (_name, s) => {
    expect(looksLikeInfluxToken(s)).toBe(false)
  })
})

describe('tokenFingerprint', () => {
  it('is the SHA-256 hex of the UTF-8 token and does not contain it', () => {
    const fp = tokenFingerprint(FIXTURE_OPERATOR)
    expect(fp).toMatch(/^[0-9a-f]{64}$/)
    expect(fp).toBe(crypto.createHash('sha256').update(FIXTURE_OPERATOR).digest('hex'))
    // same digest as the influxd sha256 hash, in hex instead of base64url
    expect(Buffer.from(fp, 'hex').toString('base64url')).toBe('tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI')
    expect(tokenFingerprint(FIXTURE_CUSTOM)).not.toBe(fp)
    expect(tokenFingerprint('tökén')).toBe(crypto.createHash('sha256').update(Buffer.from('tökén', 'utf8')).digest('hex'))
  })
})
