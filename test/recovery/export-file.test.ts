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
import {exportToFile, type ExportDocument, type ExportFormat} from '../../src/recovery/export.js'
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
