// The YAML export is written by a small emitter and read back by a reader of
// exactly that layout: both must agree with a real YAML parser.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {exportToFile, renderExport, type ExportDocument} from '../../src/recovery/export.js'
import {readExport} from '../../src/recovery/export-reader.js'

const tokens = (text: string): Array<[string, {token: string; hash?: string; fingerprint?: string}]> =>
  readExport(text, 'yaml').map((e) => [e.id!, {token: e.token, hash: e.hash, fingerprint: e.fingerprint}])

const TRICKY = ['plain', 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==', '$influxdb2-sha256$tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI=', '0618ab90aa80c6f4', '1234', '1e5', '1E+5', '0x1F', '0o17', '0b101', '1_000', '.5', '1.', '.inf', '.NaN', 'True', 'NULL', 'Off', 'y', 'N', '-x', '+1', '$', '_', '', 'yes', 'no', 'null', '~', '123', '0x1f', '1e3', '- dash', ': colon', '#hash', 'a: b', '"quoted"', "it's", 'back\\slash',
  'line\nbreak', 'tab\there', 'ctrl\u0001\u001f', 'del\u007f', 'c1\u0085\u009f', 'nbsp\u00a0', 'ls\u2028ps\u2029', 'bom\ufeff', 'nonchar\ufffe\uffff',
  'é日本🎉', 'lone\ud800surrogate', '   spaces   ', '[flow]', '{map}', '*alias', '&anchor', '!tag', '|', '>', '%', '@', '`']

function doc(): ExportDocument {
  return {
    variant: 'sha256',
    exported: TRICKY.map((t, i) => ({id: i.toString(16).padStart(16, '0'), description: t, userName: i % 3 ? t : null, orgName: t, kind: 'custom', status: 'active', token: `${t}-token`, fingerprint: 'f', hash: `$influxdb2-sha256$${t}`})),
    notExportable: [{id: '00000000000000ff', description: null, userName: null, orgName: null, kind: null, status: null, reason: 'the record cannot be decoded: x: "y"'}],
  }
}

describe('YAML export', () => {
  it('a YAML parser reads back exactly the document', () => {
    const d = doc()
    expect(parseYaml(renderExport(d, 'yaml'))).toEqual(d)
  })

  it('the layout reader agrees with the YAML parser', () => {
    const text = renderExport(doc(), 'yaml')
    const viaLayout = tokens(text)
    const viaYaml = tokens(`# a comment makes the layout reader hand over\n${text}`)
    expect(viaLayout).toEqual(viaYaml)
    expect(viaLayout.length).toBe(TRICKY.length)
  })

  it('lines outside the layout are handed to the YAML parser, never misread', () => {
    const line = (token: string): string => `variant: sha256\nexported:\n  - id: 0a00000000000001\n    token: ${token}\n    hash: h\nnotExportable: []\n`
    const odd = ['plain', '"quoted"', '"open', '"', '""', 'a\rb', 'a\u2028b', 'a\u2029b', '"a\u2028b"', '"a\rb"', 'x # y', "'single'", 'a: b', '- x', '1e3', 'null', 'true', '~']
    const read = (text: string): string => {
      try {
        return JSON.stringify(tokens(text))
      } catch (err) {
        return `error (${(err as Error).name})`
      }
    }
    for (const t of odd) expect(read(line(t)), JSON.stringify(t)).toBe(read(`# hand over\n${line(t)}`))
    expect(read(line('"quoted"'))).toContain('"token":"quoted"')
    expect(read(line('plain'))).toContain('"token":"plain"')
    // a key that is not letters only, or a missing space after the colon
    for (const text of [line('x').replace('    token:', '    tok_en:'), line('x').replace('token: x', 'token:x'), line('x').replace('    hash', '   hash')]) {
      expect(read(text)).toBe(read(`# hand over\n${text}`))
    }
  })

  it('a document of a few MiB is rendered in pieces: the YAML parser reads back every entry, the file holds the same bytes as the text', () => {
    // ~2.6 MiB: the emitter turns its text into UTF-8 a piece of ~1 MiB at a
    // time; non-ASCII values fall on both sides of piece boundaries
    const base = doc()
    const d: ExportDocument = {variant: 'sha256', exported: [], notExportable: base.notExportable}
    for (let i = 0; i < 12_000; i++) {
      const e = base.exported[i % base.exported.length]!
      d.exported.push({...e, id: i.toString(16).padStart(16, '0'), token: `${e.token}-${i}`})
    }
    const text = renderExport(d, 'yaml')
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 << 20)
    expect(parseYaml(text)).toEqual(d)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-yaml-'))
    try {
      const file = path.join(dir, 'tokens.yaml')
      exportToFile(file, 'yaml', d, () => d)
      expect(fs.readFileSync(file).equals(Buffer.from(text, 'utf8'))).toBe(true)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('empty lists', () => {
    const d: ExportDocument = {variant: 'sha512', exported: [], notExportable: []}
    const text = renderExport(d, 'yaml')
    expect(text).toBe('variant: sha512\nexported: []\nnotExportable: []\n')
    expect(parseYaml(text)).toEqual(d)
    expect(tokens(text).length).toBe(0)
  })
})
