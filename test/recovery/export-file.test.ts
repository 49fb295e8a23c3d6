// The export file (recovery/export.ts exportToFile): written, read back and,
// when the check fails, removed through the descriptor it was created with,
// never through its name again (issue 13, "also found"). current() runs
// between the write and the read-back, so it plays someone who moves the
// file away and plants a link to a victim at its name right then.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, RecoverError} from '../../src/errors.js'
import {hashWithFingerprint} from '../../src/influxd/hashing.js'
import {exportedTokensDigest, exportToFile, openExportFile, provenBytesCheck, renderExportBytes, writeAndCheck, type ExportDocument, type ExportFormat} from '../../src/recovery/export.js'
import type {SideFile} from '../../src/platform/side-file.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'

const TOKEN = `${'e'.repeat(60)}${'0123456789'.repeat(2)}abcdef==`

function doc(token = TOKEN): ExportDocument {
  const {hash, fingerprint} = hashWithFingerprint(token)
  return {variant: 'sha256', exported: [{id: '0000000000001001', description: 'd', userName: 'u', orgName: 'o', kind: 'operator', status: 'active', token, fingerprint, hash}], notExportable: []}
}

describe('the export file is read back and removed through its descriptor', () => {
  let dir: string
  let victim: string
  beforeEach(() => {
    dir = makeTempDir('ir-export-file-')
    victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious: not an export\n')
  })
  afterEach(() => removeDir(dir))

  /** current() for exportToFile: moves the export away, plants a link to the victim at its name, returns `answer`. */
  const swapping = (out: string, answer: ExportDocument) => (): ExportDocument => {
    if (!fs.lstatSync(out).isSymbolicLink()) {
      fs.renameSync(out, path.join(dir, 'moved'))
      fs.symlinkSync(victim, out)
    }
    return answer
  }

  for (const format of ['yaml', 'json', 'csv', 'env'] as ExportFormat[]) {
    it(`${format}: the read-back checks the bytes written (the descriptor's), not what the name points at afterwards`, () => {
      const out = path.join(dir, `tokens.${format}`)
      const res = exportToFile(out, format, doc(), swapping(out, doc()))
      expect(res.path).toBe(out)
      expect(fs.readFileSync(path.join(dir, 'moved'), 'utf8')).toContain(TOKEN)
      expect(fs.statSync(path.join(dir, 'moved')).mode & 0o777).toBe(0o600)
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious: not an export\n')
    })
  }

  it('a failed check truncates the file through its descriptor and leaves a link planted at its name alone', () => {
    const out = path.join(dir, 'tokens.json')
    let caught: unknown
    try {
      // the database "now" holds another token: the export does not match
      exportToFile(out, 'json', doc(), swapping(out, doc(`${'f'.repeat(60)}${'0123456789'.repeat(2)}abcdef==`)))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(RecoverError)
    expect((caught as RecoverError).exitCode).toBe(ExitCode.VERIFY_FAILED)
    expect(fs.readFileSync(path.join(dir, 'moved'), 'utf8')).toBe('') // the plaintext is gone from our file
    expect(fs.readlinkSync(out)).toBe(victim) // someone else's link: not ours to remove
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious: not an export\n')
  })

  it('a failed check with nothing moved: the file is gone', () => {
    const out = path.join(dir, 'tokens.yaml')
    expect(() => exportToFile(out, 'yaml', doc(), () => doc(`${'g'.repeat(60)}${'0123456789'.repeat(2)}abcdef==`))).toThrow(/does not match the database/)
    expect(fs.readdirSync(dir)).toEqual(['victim'])
  })
})

describe('an export proven before it is written (provenBytesCheck: hash-upgrade\'s export thread)', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempDir('ir-export-proven-')
  })
  afterEach(() => removeDir(dir))

  const written = (name: string, bytes: ReturnType<typeof renderExportBytes>, check: (file: SideFile) => string[]): {file: SideFile; problems: string[]} => {
    const file = openExportFile(path.join(dir, name))
    return {file, problems: writeAndCheck(file, bytes, check)}
  }

  for (const format of ['yaml', 'json', 'csv', 'env'] as ExportFormat[]) {
    it(`${format}: the file passes when it holds exactly the rendered bytes, which match the document`, () => {
      const bytes = renderExportBytes(doc(), format)
      const {file, problems} = written(`ok.${format}`, bytes, provenBytesCheck(bytes, format, doc()))
      expect(problems).toEqual([])
      file.close()
    })
  }

  it('a file that no longer holds the rendered bytes fails (a byte changed, a byte added), and so does its mode', () => {
    const bytes = renderExportBytes(doc(), 'yaml')
    const check = provenBytesCheck(bytes, 'yaml', doc())
    const changed = written('changed.yaml', bytes, (f) => {
      fs.writeSync(f.fd, Buffer.from('X'), 0, 1, 3)
      return check(f)
    })
    expect(changed.problems).toEqual(['the file read back differs from what was written'])
    const longer = written('longer.yaml', bytes, (f) => {
      fs.writeSync(f.fd, Buffer.from('\n'), 0, 1, f.stat().size)
      return check(f)
    })
    expect(longer.problems).toEqual(['the file read back differs from what was written'])
    const mode = written('mode.yaml', bytes, (f) => {
      fs.fchmodSync(f.fd, 0o644)
      return check(f)
    })
    expect(mode.problems).toHaveLength(1)
    expect(mode.problems[0]).toMatch(/mode/)
    for (const w of [changed, longer, mode]) w.file.close()
  })

  it('bytes that do not give back the document fail before anything is written, whatever the file holds', () => {
    const bytes = renderExportBytes(doc(), 'json')
    const other = doc(`${'f'.repeat(60)}${'0123456789'.repeat(2)}abcdef==`)
    const {file, problems} = written('other.json', bytes, provenBytesCheck(bytes, 'json', other))
    expect(problems).toEqual(['token 0000000000001001: the exported value differs from the database'])
    file.close()
    const broken = written('broken.json', '{"variant": ', provenBytesCheck('{"variant": ', 'json', doc()))
    expect(broken.problems).toHaveLength(1)
    expect(broken.problems[0]).toMatch(/^the export cannot be read back: /)
    broken.file.close()
  })

  it('exportedTokensDigest: equal for the same ids and tokens in the same order, different otherwise', () => {
    const a = [{id: '0000000000000001', token: 'ab'}, {id: '0000000000000002', token: 'c'}]
    expect(exportedTokensDigest(a)).toBe(exportedTokensDigest(a.map((e) => ({...e}))))
    expect(exportedTokensDigest(a)).not.toBe(exportedTokensDigest([...a].reverse()))
    expect(exportedTokensDigest(a)).not.toBe(exportedTokensDigest(a.slice(0, 1)))
    // lengths keep the pieces apart: "ab" + "c" is not "a" + "bc"
    expect(exportedTokensDigest(a)).not.toBe(exportedTokensDigest([{id: '0000000000000001', token: 'a'}, {id: '0000000000000002', token: 'bc'}]))
    // many entries (the text is hashed in pieces)
    const many = Array.from({length: 5000}, (_, i) => ({id: i.toString(16).padStart(16, '0'), token: `t${i}`}))
    const fewer = many.slice(0, -1)
    expect(exportedTokensDigest(many)).not.toBe(exportedTokensDigest(fewer))
  })
})
