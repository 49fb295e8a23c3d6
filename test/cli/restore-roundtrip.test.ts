// auth export -> (tokens hashed) -> auth restore-plaintext gives back every
// token exactly, in every export format, whatever the descriptions and the
// chosen tokens hold: line breaks, quotes, ', $, backslashes, non-ASCII,
// controls (issue 13, defect 5: the CSV was read line by line and the env
// reader could not read the env export's own quoting, and what it missed
// stayed hashed while it reported success).
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {hashOf} from '../helpers/influx-builder.js'
import {errorLines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {buildInfluxFile, operatorPerms, ORG, USER, type TokenSpec} from '../helpers/influx-builder.js'
import {oracleCheck} from '../helpers/oracle.js'

const CHOSEN = [
  'line\nbreak-token', 'crlf\r\ntoken', 'lone\rcr-token', 'double "quoted" token', "single 'quoted' token", "'", '"', '$HOME ${HOME} $(id) `id`',
  'back\\slash\\', '\\', 'é日本🎉-token', 'a,b;c # d=e', ' spaced both ', 'tab\there', 'ends-with-newline\n', '\nstarts-with-newline', '#starts-with-hash',
  'INFLUX_TOKEN_0000000000000001=forged', '- id: x', 'null', '0x1F', 'rlo\u202etoken', 'esc\x1b[2Jtoken', 'c1\u0085\u009b', 'del\u007f', `${'A'.repeat(86)}==`,
]
const DESCRIPTIONS = ['two\nlines', 'x\nINFLUX_TOKEN_0c00000000001001=forged', 'say "hi"', "it's", '$USER', 'C:\\path\\', 'ünïcödé', 'a,b', '\r\n', '# hash', '']

const id = (i: number): string => `0c${(0x1000 + i).toString(16).padStart(14, '0')}`

function tokens(hashed: boolean): TokenSpec[] {
  return CHOSEN.map((token, i) => ({
    id: id(i), token, description: DESCRIPTIONS[i % DESCRIPTIONS.length], orgID: ORG, userID: USER, perms: operatorPerms('2.2+'),
    ...(hashed ? {hashed: i % 3 === 0 ? 'sha512' as const : 'sha256' as const} : {}),
  }))
}

let tmp: string
let raw: string

beforeAll(() => {
  tmp = makeTempDir('ir-roundtrip-')
  raw = path.join(tmp, 'raw.bolt')
  buildInfluxFile(raw, {migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'acme'}], tokens: tokens(false)})
})
afterAll(() => removeDir(tmp))

/** The same tokens, stored hashed as 2.9 stores them. */
function hashedTwin(name: string): string {
  const file = path.join(tmp, name)
  buildInfluxFile(file, {migrations: 21, users: [{id: USER, name: 'admin'}], orgs: [{id: ORG, name: 'acme'}], tokens: tokens(true)})
  return file
}

function storedTokens(file: string): {records: Map<string, {token?: string; hashedToken?: string}>; raw: Map<string, string>; hashed: number} {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.view((tx) => {
      const records = new Map<string, {token?: string; hashedToken?: string}>()
      tx.bucket(Buffer.from('authorizationsv1'))!.forEach((k, v) => { records.set(k.toString('utf8'), JSON.parse(v!.toString('utf8')) as {token?: string}) })
      const rawIndex = new Map<string, string>()
      tx.bucket(Buffer.from('authorizationindexv1'))!.forEach((k, v) => { rawIndex.set(k.toString('utf8'), v!.toString('utf8')) })
      let hashed = 0
      tx.bucket(Buffer.from('authorizationhashedindexv1'))!.forEach(() => { hashed++ })
      return {records, raw: rawIndex, hashed}
    })
  } finally {
    db.close()
  }
}

describe('export, hash, restore: every token back exactly', () => {
  for (const format of ['csv', 'env', 'json', 'yaml']) {
    it(format, () => {
      const exported = path.join(tmp, `tokens.${format}`)
      const e = runCli(['auth', 'export', '--bolt-path', raw, '--output', exported, '--format', format])
      expect(e.status, e.stderr).toBe(0)
      expect(e.stderr).toMatch(new RegExp(`exported ${CHOSEN.length} token\\(s\\)`))

      const twin = hashedTwin(`hashed-${format}.bolt`)
      expect(storedTokens(twin).raw.size).toBe(0)
      const r = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', exported, '--yes', '--no-backup', '--json'])
      expect(r.status, r.stderr).toBe(0)
      const doc = JSON.parse(r.stdout) as {format: string; complete: boolean; restored: Array<{id: string}>; refused: unknown[]; uncovered: unknown[]}
      expect(doc.format).toBe(format)
      expect(doc.complete).toBe(true)
      expect(doc.refused).toEqual([])
      expect(doc.uncovered).toEqual([])
      expect(doc.restored.map((x) => x.id).sort()).toEqual(CHOSEN.map((_, i) => id(i)))

      const after = storedTokens(twin)
      CHOSEN.forEach((token, i) => {
        const rec = after.records.get(id(i))!
        expect(rec.token, JSON.stringify(token)).toBe(token)
        expect(rec.hashedToken).toBeUndefined()
        expect(after.raw.get(token)).toBe(id(i))
      })
      expect(after.hashed).toBe(0)
      oracleCheck(twin)
    })
  }

  for (const format of ['csv', 'env', 'json', 'yaml']) {
    it(`auth rescue --output --format ${format}: the file auth export writes, and restore-plaintext reads it`, () => {
      const twin = hashedTwin(`rescue-${format}.bolt`)
      const exported = path.join(tmp, `export-for-rescue.${format}`)
      expect(runCli(['auth', 'export', '--bolt-path', raw, '--output', exported, '--format', format]).status).toBe(0)
      const rescued = path.join(tmp, `rescued.${format}`)
      const r = runCli(['auth', 'rescue', '--bolt-path', twin, '--from', raw, '--output', rescued, '--format', format])
      expect(r.status, r.stderr).toBe(0)
      expect(fs.statSync(rescued).mode & 0o777).toBe(0o600)
      // the same tokens, the same fields, the same text: the two files read alike
      expect(fs.readFileSync(rescued, 'utf8')).toBe(fs.readFileSync(exported, 'utf8'))
      const back = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', rescued, '--yes', '--no-backup', '--json'])
      expect(back.status, back.stderr).toBe(0)
      expect((JSON.parse(back.stdout) as {format: string; restored: unknown[]}).format).toBe(format)
      const after = storedTokens(twin)
      CHOSEN.forEach((token, i) => expect(after.records.get(id(i))!.token, JSON.stringify(token)).toBe(token))
    })
  }

  it('auth rescue --output defaults to YAML, like auth export', () => {
    const twin = hashedTwin('rescue-default.bolt')
    const exported = path.join(tmp, 'export-default.yaml')
    expect(runCli(['auth', 'export', '--bolt-path', raw, '--output', exported]).status).toBe(0)
    const rescued = path.join(tmp, 'rescued-default.out')
    expect(runCli(['auth', 'rescue', '--bolt-path', twin, '--from', raw, '--output', rescued]).status).toBe(0)
    expect(fs.readFileSync(rescued, 'utf8')).toBe(fs.readFileSync(exported, 'utf8'))
  })

  it('an export that misses a token restores nothing and names it (exit 5), unless --allow-partial', () => {
    const exported = path.join(tmp, 'partial.json')
    const full = runCli(['auth', 'export', '--bolt-path', raw, '--output', path.join(tmp, 'full.json'), '--format', 'json'])
    expect(full.status, full.stderr).toBe(0)
    const doc = JSON.parse(fs.readFileSync(path.join(tmp, 'full.json'), 'utf8')) as {exported: Array<{id: string}>}
    doc.exported = doc.exported.filter((x) => x.id !== id(1) && x.id !== id(4))
    fs.writeFileSync(exported, JSON.stringify(doc), {mode: 0o600})
    const twin = hashedTwin('hashed-partial.bolt')
    const before = sha256(twin)
    for (const extra of [[], ['--dry-run']]) {
      const r = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', exported, '--yes', '--no-backup', ...extra])
      expect(r.status, r.stderr).toBe(5)
      expect(errorLines(r.stderr).error).toMatch(new RegExp(`2 hashed token\\(s\\) in .* are not covered by .*partial\\.json: ${id(1)}, ${id(4)}; nothing was written`))
      expect(r.stdout).toMatch(/2 hashed token\(s\) not covered by/)
      expect(sha256(twin)).toBe(before)
    }
    const p = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', exported, '--yes', '--no-backup', '--allow-partial', '--json'])
    expect(p.status, p.stderr).toBe(0)
    const out = JSON.parse(p.stdout) as {complete: boolean; restored: unknown[]; uncovered: Array<{id: string}>}
    expect(out.complete).toBe(false)
    expect(out.restored).toHaveLength(CHOSEN.length - 2)
    expect(out.uncovered.map((u) => u.id)).toEqual([id(1), id(4)])
    expect(storedTokens(twin).records.get(id(1))!.hashedToken).toBe(hashOf(CHOSEN[1]!, 'sha256'))
    oracleCheck(twin)
  })

  it('a malformed export is refused naming the line, nothing written', () => {
    const twin = hashedTwin('hashed-malformed.bolt')
    const before = sha256(twin)
    const csv = path.join(tmp, 'broken.csv')
    fs.writeFileSync(csv, `id,token\n${id(0)},"line\nbreak-token\n`, {mode: 0o600})
    const r = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', csv, '--yes'])
    expect(r.status).toBe(1)
    expect(errorLines(r.stderr).error).toMatch(/cannot read .*broken\.csv: CSV line 2: a quoted field is never closed; nothing was written/)
    const env = path.join(tmp, 'broken.env')
    fs.writeFileSync(env, `INFLUX_TOKEN_${id(0)}=$TOKEN\n`, {mode: 0o600})
    const e = runCli(['auth', 'restore-plaintext', '--bolt-path', twin, '--from', env, '--yes'])
    expect(e.status).toBe(1)
    expect(errorLines(e.stderr).error).toMatch(/env line 1: an unquoted \$/)
    expect(sha256(twin)).toBe(before)
  })
})
