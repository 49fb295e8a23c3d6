// Token hashes (spec §8.1): every vector, and the decoder's acceptance rules.
import {describe, expect, it} from 'vitest'
import {
  DIGEST_LENGTHS,
  HASH_IDENTIFIERS,
  TokenHashError,
  allTokenHashes,
  hashToken,
  isHashString,
  parseTokenHash,
  verifyToken,
} from '../../src/influxd/hashing.js'

const FIXTURE_OPERATOR = 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ=='
const FIXTURE_CUSTOM = '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ=='

// spec §8.1, all 8 rows
const VECTORS: Array<[string, 'sha256' | 'sha512', string]> = [
  ['c27cb2033ab304629d32e1dbcd0ca7186322d3be98af5dd4c329ab800ef85d73', 'sha256', '$influxdb2-sha256$kMrC1MoFhWvvKSgyqpMaLuo2O3LINv4_XByCSkfV9K0='],
  ['322be1195f22da43a88e5ef1e856b707d6b7d41a6068feec343decbc5d784e50', 'sha512', '$influxdb2-sha512$ffgzLTTAyWBDczT0kKzwLzLjlemQh6UiFvqIA0CPd-B7qgqAetWEuKRI9qOLeE4ak6mxcxwthyKUO40sHf5V5w=='],
  [FIXTURE_OPERATOR, 'sha256', '$influxdb2-sha256$tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI='],
  [FIXTURE_OPERATOR, 'sha512', '$influxdb2-sha512$Sk86I-KpZC2RedEEB_eyiu1LLxDnIMne0_uxulLkt-gjQxZaus1lfEpi6lGpISDXKCjmkui1BnpJStIlxDrTrA=='],
  [FIXTURE_CUSTOM, 'sha256', '$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU='],
  [FIXTURE_CUSTOM, 'sha512', '$influxdb2-sha512$7v1GA_fKdd-Pkczp_uO0x5vdJjhcXo0fc_krFH1RApK73O4GWqk6Fm6tH3kkAeZMYvKrNcKfHpa82x3rfjAjXw=='],
  ['Token#1', 'sha256', '$influxdb2-sha256$9ffdHpkPZDrD5nsxdnCfz9bAKvoFZnXbbuNg45AhZnk='],
  ['Token#1', 'sha512', '$influxdb2-sha512$5Y9GQ1c2Zr7ZoTLM0zMx4zeRe7GgDF4LYV8j2xACSepPqG3_CxZvw66lAB9BvmSjHeQ4EHwd1-VY2woGIARLrQ=='],
]

describe('hashToken', () => {
  it.each(VECTORS)('%s (%s)', (token, variant, expected) => {
    expect(hashToken(token, variant)).toBe(expected)
    expect(expected).toHaveLength(variant === 'sha256' ? 62 : 106)
    expect(verifyToken(token, expected)).toBe(true)
    expect(verifyToken(token + 'x', expected)).toBe(false)
    const parsed = parseTokenHash(expected)
    expect(parsed.variant).toBe(variant)
    expect(parsed.digest).toHaveLength(DIGEST_LENGTHS[variant])
    expect(parsed.canonical).toBe(true)
    expect(isHashString(expected)).toBe(true)
  })

  it('defaults to SHA-256 and hashes UTF-8 bytes', () => {
    expect(hashToken('Token#1')).toBe(VECTORS[6]![2])
    const h = hashToken('tökén')
    expect(verifyToken('tökén', h)).toBe(true)
    expect(verifyToken(Buffer.from('tökén', 'utf8').toString('latin1'), h)).toBe(false)
    expect(() => hashToken('x', 'md5' as 'sha256')).toThrow(TokenHashError)
  })

  it('allTokenHashes gives the default variant first, then SHA-512', () => {
    expect(allTokenHashes('Token#1')).toEqual([VECTORS[6]![2], VECTORS[7]![2]])
  })

  it('uses the identifiers of influxd', () => {
    expect(HASH_IDENTIFIERS).toEqual({sha256: 'influxdb2-sha256', sha512: 'influxdb2-sha512'})
  })
})

describe('parseTokenHash', () => {
  const good = VECTORS[0]![2]
  const body = good.slice('$influxdb2-sha256$'.length)

  it.each([
    ['no leading $', good.slice(1), /must start with "\$"/],
    ['empty string', '', /must start with "\$"/],
    ['only the variant', '$influxdb2-sha256', /form/],
    ['unknown variant', `$influxdb2-sha384$${body}`, /unknown token hash variant "influxdb2-sha384"/],
    ['empty variant', `$$${body}`, /unknown token hash variant ""/],
    ['upper-case variant', `$INFLUXDB2-SHA256$${body}`, /unknown token hash variant/],
    ['unpadded', `$influxdb2-sha256$${body.replace(/=+$/, '')}`, /padded/],
    ['standard base64 alphabet', '$influxdb2-sha512$' + Buffer.from(VECTORS[1]![2].slice(18), 'base64url').toString('base64'), /unexpected character "\+"|unexpected character "\/"/],
    ['a fourth $ part', `${good}$extra`, /unexpected character "\$"/],
    ['empty digest', '$influxdb2-sha256$', /empty/],
    ['padding in the middle', `$influxdb2-sha256$ab==${body}`, /padded/],
    ['three padding chars', '$influxdb2-sha256$a===', /padded/],
    ['LDAP {CRYPT} prefix', `{CRYPT}${good}`, /must start with "\$"/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => parseTokenHash(input)).toThrow(TokenHashError)
    expect(() => parseTokenHash(input)).toThrow(message)
    expect(isHashString(input)).toBe(false)
  })

  it('accepts what Go decodes but flags it as not canonical', () => {
    // the digest length is not checked by influxd's decoder
    const short = parseTokenHash('$influxdb2-sha256$AAAA')
    expect(short.digest).toEqual(Buffer.from([0, 0, 0]))
    expect(short.canonical).toBe(false)
    expect(verifyToken('x', '$influxdb2-sha256$AAAA')).toBe(false)
    // Go's base64 decoder skips CR and LF
    const wrapped = `$influxdb2-sha256$${body.slice(0, 20)}\r\n${body.slice(20)}`
    expect(parseTokenHash(wrapped).digest).toEqual(parseTokenHash(good).digest)
    expect(parseTokenHash(wrapped).canonical).toBe(false)
    expect(verifyToken(VECTORS[0]![0], wrapped)).toBe(true)
    // and does not check that the unused trailing bits are zero ("K0=" → "K1=" differs only there)
    const trailing = good.slice(0, -2) + '1='
    expect(parseTokenHash(trailing).digest).toEqual(parseTokenHash(good).digest)
    expect(parseTokenHash(trailing).canonical).toBe(false)
    // a hex digest is valid base64url text to Go: it decodes to 48 bytes and never matches
    const hex = `$influxdb2-sha256$${Buffer.from(body, 'base64url').toString('hex')}`
    expect(parseTokenHash(hex)).toMatchObject({variant: 'sha256', canonical: false})
    expect(parseTokenHash(hex).digest).toHaveLength(48)
    expect(verifyToken(VECTORS[0]![0], hex)).toBe(false)
    // a SHA-256 digest under the SHA-512 identifier decodes, never matches
    const swapped = `$influxdb2-sha512$${body}`
    expect(parseTokenHash(swapped)).toMatchObject({variant: 'sha512', canonical: false})
    expect(verifyToken(VECTORS[0]![0], swapped)).toBe(false)
  })

  it('verifyToken throws on a string that is not a hash', () => {
    expect(() => verifyToken('x', 'plaintext-token')).toThrow(TokenHashError)
  })
})
