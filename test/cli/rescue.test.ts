/**
 * auth verify, auth restore-plaintext and auth rescue on hashed copies of the
 * real 2.8–2.9 fixture (hashed the way v2.9.1 does, §8.2) and on built files.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {DB} from '../../src/bbolt/index.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {buildInfluxFile, hashOf, operatorPerms, ORG, TOKENS, USER} from '../helpers/influx-builder.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const FIX_OPERATOR = '08371db24dcc8000'
const FIX_CUSTOM = '08371deae98c8000'
const OP_TOKEN = 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ=='
const CUSTOM_TOKEN = '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ=='
const GOLDEN = '{"id":"08371deae98c8000","hashedToken":"$influxdb2-sha256$BhirkKqAxvTk-juuulzRFiMtizLo-dtWonJRVdxWqHU=","status":"active","description":"testuser\'s read buckets token","orgID":"dd7cd2292f6e974a","userID":"08371db1dd8c8000","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"dd7cd2292f6e974a"}}],"createdAt":"2021-09-28T08:56:23.718372-04:00","updatedAt":"2021-09-28T08:56:42.633039-04:00"}'

let tmp: string
beforeEach(() => { tmp = makeTempDir('ir-rescue-') })
afterEach(() => removeDir(tmp))

/**
 * A copy of the fixture hashed as 2.9 does it: the custom token with sha256
 * (the §8.2 golden record), the operator token with sha512; raw index entries
 * deleted, hashed ones added. Returned path is in tmp.
 */
function hashedCopy(name = 'hashed.bolt'): string {
  const file = copyInto(V29, tmp, name)
  const db = DB.open(file)
  db.update((tx) => {
    const auths = tx.bucket(Buffer.from('authorizationsv1'))!
    const raw = tx.bucket(Buffer.from('authorizationindexv1'))!
    const hashed = tx.bucket(Buffer.from('authorizationhashedindexv1'))!
    const opValue = auths.get(Buffer.from(FIX_OPERATOR))!.toString('utf8')
    const opHash = hashOf(OP_TOKEN, 'sha512')
    auths.put(Buffer.from(FIX_OPERATOR), Buffer.from(opValue.replace(`"token":"${OP_TOKEN}"`, `"hashedToken":"${opHash}"`)))
    auths.put(Buffer.from(FIX_CUSTOM), Buffer.from(GOLDEN))
    raw.delete(Buffer.from(OP_TOKEN))
    raw.delete(Buffer.from(CUSTOM_TOKEN))
    hashed.put(Buffer.from(opHash), Buffer.from(FIX_OPERATOR))
    hashed.put(Buffer.from(hashOf(CUSTOM_TOKEN, 'sha256')), Buffer.from(FIX_CUSTOM))
  })
  db.close()
  return file
}

/** The oracle's dump lines of the three token buckets. */
function tokenBuckets(file: string): string[] {
  const names = new Set(['authorizationsv1', 'authorizationindexv1', 'authorizationhashedindexv1'])
  return oracleDump(file).filter((l) => {
    const e = JSON.parse(l) as {type: string; path: string[]}
    return e.type === 'kv' && e.path.length === 1 && names.has(Buffer.from(e.path[0]!, 'base64').toString('utf8'))
  })
}

function goWrites(file: string): void {
  const copy = path.join(tmp, `mutated-${path.basename(file)}`)
  fs.copyFileSync(file, copy)
  const m = oracle('mutate', copy, '5')
  expect(m.status, m.stderr).toBe(0)
  oracleCheck(copy)
}

function writeFile(name: string, text: string): string {
  const p = path.join(tmp, name)
  fs.writeFileSync(p, text, {mode: 0o600})
  return p
}

describe('auth verify', () => {
  it('finds raw tokens of the original fixture and hashed ones (sha256, sha512) of the hashed copy', () => {
    const orig = copyInto(V29, tmp, 'orig.bolt')
    const hashed = hashedCopy()
    const sums = [sha256(orig), sha256(hashed)]
    for (const [file, token, id, stored] of [
      [orig, OP_TOKEN, FIX_OPERATOR, 'raw'],
      [orig, CUSTOM_TOKEN, FIX_CUSTOM, 'raw'],
      [hashed, OP_TOKEN, FIX_OPERATOR, 'hashed (sha512)'],
      [hashed, CUSTOM_TOKEN, FIX_CUSTOM, 'hashed (sha256)'],
    ] as const) {
      const r = runCli(['auth', 'verify', '--bolt-path', file, '--token-stdin'], {input: `${token}\n`})
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain(id)
      expect(r.stdout).toContain(stored)
      expect(r.stdout + r.stderr).not.toContain(token)
      const j = runCli(['auth', 'verify', '--bolt-path', file, '--token-stdin', '--json'], {input: `${token}\n`})
      expect(j.status, j.stderr).toBe(0)
      const doc = JSON.parse(j.stdout) as {matches: Array<{id: string; tokenState: string; kind: string; foundBy: string[]}>; problems: string[]}
      expect(doc.matches.map((m) => m.id)).toEqual([id])
      expect(doc.matches[0]!.foundBy).toContain(stored === 'raw' ? 'raw-index' : 'hashed-index')
      expect(doc.problems).toEqual([])
      expect(j.stdout).not.toContain(token)
    }
    const op = JSON.parse(runCli(['auth', 'verify', '--bolt-path', hashed, '--token-stdin', '--json'], {input: OP_TOKEN}).stdout) as {matches: Array<{kind: string; userName: string}>}
    expect(op.matches[0]!.kind).toBe('operator')
    expect([sha256(orig), sha256(hashed)]).toEqual(sums)
  })

  it('exits 5 for an unknown token without echoing it, and reads --token-file', () => {
    const hashed = hashedCopy()
    const before = sha256(hashed)
    const unknown = TOKENS.custom
    const r = runCli(['auth', 'verify', '--bolt-path', hashed, '--token-stdin'], {input: unknown})
    expect(r.status).toBe(5)
    expect(errorLines(r.stderr).ok).toBe(true)
    expect(r.stdout + r.stderr).not.toContain(unknown)
    const tf = writeFile('tok', `${CUSTOM_TOKEN}\n`)
    const f = runCli(['auth', 'verify', '--bolt-path', hashed, '--token-file', tf])
    expect(f.status, f.stderr).toBe(0)
    expect(f.stdout).toContain(FIX_CUSTOM)
    expect(sha256(hashed)).toBe(before)
  })

  it('finds a token whose index entry is missing and says the index disagrees', () => {
    const file = path.join(tmp, 'noindex.bolt')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'org'}],
      tokens: [{id: '0b00000000001000', token: TOKENS.operator, hashed: 'sha256', orgID: ORG, userID: USER, perms: operatorPerms('2.2+'), noIndex: true}],
    })
    const r = runCli(['auth', 'verify', '--bolt-path', file, '--token-stdin', '--json'], {input: TOKENS.operator})
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {matches: Array<{id: string; foundBy: string[]}>; problems: string[]}
    expect(doc.matches[0]!.foundBy).toEqual(['record-scan'])
    expect(doc.problems.join('\n')).toMatch(/no entry/)
  })
})

describe('auth restore-plaintext', () => {
  it('returns the hashed fixture copy to exactly the original records and indexes', () => {
    const hashed = hashedCopy()
    expect(tokenBuckets(hashed)).not.toEqual(tokenBuckets(V29))
    const exp = writeFile('export.json', JSON.stringify([{id: FIX_OPERATOR, token: OP_TOKEN}, {id: FIX_CUSTOM, token: CUSTOM_TOKEN}]))
    const before = sha256(hashed)
    const dry = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', exp, '--dry-run'])
    expect(dry.status, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('dry run')
    expect(sha256(hashed)).toBe(before)
    const noYes = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', exp])
    expect(noYes.status).toBe(2)
    expect(sha256(hashed)).toBe(before)
    const r = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', exp, '--yes', '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).not.toContain(OP_TOKEN)
    expect(r.stderr).toMatch(/plaintext/)
    const doc = JSON.parse(r.stdout) as {restored: Array<{id: string}>; refused: unknown[]}
    expect(doc.restored.map((x) => x.id).sort()).toEqual([FIX_OPERATOR, FIX_CUSTOM])
    expect(doc.refused).toEqual([])
    expect(tokenBuckets(hashed)).toEqual(tokenBuckets(V29))
    oracleCheck(hashed)
    goWrites(hashed)
    const v = runCli(['auth', 'verify', '--bolt-path', hashed, '--token-stdin'], {input: CUSTOM_TOKEN})
    expect(v.stdout).toContain('raw')
  })

  it('reads env, CSV, YAML and bare-token exports', () => {
    const variants: Array<[string, string]> = [
      ['e.env', `# exported\nINFLUX_TOKEN_${FIX_OPERATOR.toUpperCase()}=${OP_TOKEN}\nINFLUX_TOKEN_${FIX_CUSTOM}="${CUSTOM_TOKEN}"\n`],
      ['e.csv', `id,description,token\n${FIX_OPERATOR},"op, token",${OP_TOKEN}\n${FIX_CUSTOM},x,${CUSTOM_TOKEN}\n`],
      ['e.yaml', `- id: ${FIX_OPERATOR}\n  token: ${OP_TOKEN}\n- id: "${FIX_CUSTOM}"\n  token: "${CUSTOM_TOKEN}"\n`],
      ['e.txt', `tokens: ${OP_TOKEN} and\n${CUSTOM_TOKEN}\n`],
    ]
    for (const [name, text] of variants) {
      const hashed = hashedCopy(`h-${name}.bolt`)
      const r = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', writeFile(name, text), '--yes', '--no-backup'])
      expect(r.status, `${name}: ${r.stderr}`).toBe(0)
      expect(tokenBuckets(hashed)).toEqual(tokenBuckets(V29))
      oracleCheck(hashed)
    }
  })

  it('refuses entries whose hash does not match; records left hashed exit 5 unless --allow-partial; exit 1 when nothing matched', () => {
    const hashed = hashedCopy()
    const before = sha256(hashed)
    const bad = writeFile('bad.json', JSON.stringify([{id: FIX_CUSTOM, token: OP_TOKEN}, {id: FIX_OPERATOR, token: TOKENS.operator}]))
    const r = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', bad, '--yes'])
    expect(r.status).toBe(5)
    expect(r.stdout).toMatch(/refused 2 entries/)
    expect(errorLines(r.stderr).error).toMatch(/2 hashed token\(s\) .* are not covered by .*bad\.json: 08371db24dcc8000, 08371deae98c8000; nothing was written/)
    expect(r.stdout + r.stderr).not.toContain(OP_TOKEN)
    expect(sha256(hashed)).toBe(before)
    const partial = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', bad, '--yes', '--allow-partial'])
    expect(partial.status).toBe(1)
    expect(sha256(hashed)).toBe(before)
    const mixed = writeFile('mixed.json', JSON.stringify([{id: FIX_CUSTOM, token: CUSTOM_TOKEN}, {id: FIX_OPERATOR, token: CUSTOM_TOKEN}]))
    const refusedMixed = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', mixed, '--yes', '--json'])
    expect(refusedMixed.status).toBe(5)
    const refusedDoc = JSON.parse(refusedMixed.stdout) as {written: boolean; restorable: Array<{id: string}>; uncovered: Array<{id: string; reason: string}>}
    expect(refusedDoc.written).toBe(false)
    expect(refusedDoc.restorable.map((x) => x.id)).toEqual([FIX_CUSTOM])
    expect(refusedDoc.uncovered).toEqual([{id: FIX_OPERATOR, description: expect.any(String), reason: 'the input names it, but its entry was refused'}])
    expect(sha256(hashed)).toBe(before)
    const m = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', mixed, '--yes', '--json', '--allow-partial'])
    expect(m.status, m.stderr).toBe(0)
    const doc = JSON.parse(m.stdout) as {complete: boolean; restored: Array<{id: string}>; refused: Array<{id: string; reason: string}>; uncovered: Array<{id: string}>}
    expect(doc.restored.map((x) => x.id)).toEqual([FIX_CUSTOM])
    expect(doc.refused.map((x) => x.id)).toEqual([FIX_OPERATOR])
    expect(doc.complete).toBe(false)
    expect(doc.uncovered.map((x) => x.id)).toEqual([FIX_OPERATOR])
    oracleCheck(hashed)
  })
})

describe('auth restore-plaintext schema gate', () => {
  it('refuses (exit 4, nothing written) a file whose migration 21 is recorded without its hashed index, as every other token write does', () => {
    const hashed = hashedCopy()
    const db = DB.open(hashed)
    db.update((tx) => tx.deleteBucket(Buffer.from('authorizationhashedindexv1')))
    db.close()
    const before = sha256(hashed)
    const exp = writeFile('export.json', JSON.stringify([{id: FIX_OPERATOR, token: OP_TOKEN}, {id: FIX_CUSTOM, token: CUSTOM_TOKEN}]))
    for (const extra of [['--dry-run'], ['--yes']]) {
      const r = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', exp, ...extra])
      expect(r.status, r.stderr).toBe(4)
      expect(errorLines(r.stderr).error).toMatch(/refusing to write: migration 21 is recorded but bucket "authorizationhashedindexv1" is missing/)
      expect(sha256(hashed)).toBe(before)
    }
    expect(fs.readdirSync(tmp).filter((n) => n.endsWith('.bak'))).toEqual([])
  })
})

describe('auth rescue', () => {
  it('recovers both tokens of the hashed copy from the original fixture file', () => {
    const hashed = hashedCopy()
    const before = sha256(hashed)
    const fromSum = sha256(V29)
    const s = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', V29])
    expect(s.status, s.stderr).toBe(0)
    expect(s.stdout).toMatch(/recovered 2 of 2 hashed record\(s\), 0 still missing/)
    expect(s.stdout + s.stderr).not.toContain(OP_TOKEN)
    expect(s.stdout + s.stderr).not.toContain(CUSTOM_TOKEN)
    const out = path.join(tmp, 'rescued.json')
    const r = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', V29, '--output', out, '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).not.toContain(OP_TOKEN)
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    // YAML by default, with auth export's fields (rescued.json is only a name)
    const doc = parseYaml(fs.readFileSync(out, 'utf8')) as {variant: string; exported: Array<Record<string, string>>; notExportable: unknown[]}
    expect(Object.fromEntries(doc.exported.map((d) => [d.id, d.token]))).toEqual({[FIX_OPERATOR]: OP_TOKEN, [FIX_CUSTOM]: CUSTOM_TOKEN})
    expect(doc.variant).toBe('sha256')
    expect(Object.keys(doc.exported[0]!)).toEqual(['id', 'description', 'userName', 'orgName', 'kind', 'status', 'token', 'fingerprint', 'hash'])
    expect(doc.exported.find((d) => d.id === FIX_OPERATOR)).toMatchObject({userName: 'testuser', orgName: 'myorg', kind: 'operator', status: 'active'})
    expect(doc.notExportable).toEqual([])
    const content = fs.readFileSync(out, 'utf8')
    const again = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', V29, '--output', out])
    // an existing output is never overwritten: exit 1, as for auth export and bolt load/compact
    expect(again.status).toBe(1)
    expect(fs.readFileSync(out, 'utf8')).toBe(content)
    expect(sha256(hashed)).toBe(before)
    expect(sha256(V29)).toBe(fromSum)
    // the rescue output feeds restore-plaintext
    const back = runCli(['auth', 'restore-plaintext', '--bolt-path', hashed, '--from', out, '--yes'])
    expect(back.status, back.stderr).toBe(0)
    expect(tokenBuckets(hashed)).toEqual(tokenBuckets(V29))
  })

  it('finds tokens left only in free pages of an older file', () => {
    const older = hashedCopy('older.bolt') // hashed in place: the plaintexts remain in its free pages
    const current = hashedCopy('current.bolt')
    const r = runCli(['auth', 'rescue', '--bolt-path', current, '--from', older, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {found: Array<{id: string; where: string}>; missing: unknown[]}
    expect(doc.found.map((f) => f.id).sort()).toEqual([FIX_OPERATOR, FIX_CUSTOM])
    expect(doc.found.every((f) => f.where.startsWith('bytes at offset'))).toBe(true)
    expect(doc.missing).toEqual([])
  })

  it('recovers from a .env and a TOML config, and reports the missing ones', () => {
    const hashed = hashedCopy()
    const env = writeFile('app.env', `INFLUX_URL=http://localhost:8086\nINFLUX_TOKEN=${CUSTOM_TOKEN}\n`)
    const r = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', env, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as {found: Array<{id: string}>; missing: Array<{id: string}>}
    expect(doc.found.map((f) => f.id)).toEqual([FIX_CUSTOM])
    expect(doc.missing.map((m) => m.id)).toEqual([FIX_OPERATOR])
    const toml = writeFile('configs', `[default]\n  url = "http://localhost:8086"\n  token = "${OP_TOKEN}"\n  org = "x"\n  active = true\n`)
    const out = path.join(tmp, 'from-toml.json')
    const t = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', toml, '--output', out, '--format', 'json'])
    expect(t.status, t.stderr).toBe(0)
    // the record with no plaintext found is listed as auth export lists a hashed token: notExportable, with the reason
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({
      variant: 'sha256',
      exported: [{id: FIX_OPERATOR, token: OP_TOKEN, userName: 'testuser', orgName: 'myorg', kind: 'operator'}],
      notExportable: [{id: FIX_CUSTOM, kind: 'custom', reason: 'stored hashed: no plaintext of it was found'}],
    })
    const dash = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', toml, '--output', '-'])
    expect(dash.status, dash.stderr).toBe(0)
    expect(parseYaml(dash.stdout)).toMatchObject({exported: [{id: FIX_OPERATOR, token: OP_TOKEN}]})
    const envOut = runCli(['auth', 'rescue', '--bolt-path', hashed, '--from', toml, '--output', '-', '--format', 'env'])
    expect(envOut.stdout).toContain(`INFLUX_TOKEN_${FIX_OPERATOR.toUpperCase()}=${OP_TOKEN}`)
  })

  it('matches short custom tokens given as token = "…" values, and exits 5 when nothing matches', () => {
    const file = path.join(tmp, 'custom.bolt')
    buildInfluxFile(file, {
      migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'org'}],
      tokens: [{id: '0b00000000001000', token: 'my-short-token', hashed: 'sha512', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
    })
    const telegraf = writeFile('telegraf.conf', `[[outputs.influxdb_v2]]\n  urls = ["http://127.0.0.1:8086"]\n  token = "my-short-token"\n  organization = "org"\n`)
    const r = runCli(['auth', 'rescue', '--bolt-path', file, '--from', telegraf, '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as {found: Array<{id: string}>}).found.map((f) => f.id)).toEqual(['0b00000000001000'])
    const none = writeFile('none.env', 'NOTHING=here\n')
    const n = runCli(['auth', 'rescue', '--bolt-path', file, '--from', none])
    expect(n.status).toBe(5)
  })
})
