// The one export reader (src/recovery/export-reader.ts): every format `auth
// export` writes reads back exactly, whatever the descriptions and tokens
// hold; CSV by RFC 4180 (quoted line breaks, quotes), env exactly as a POSIX
// shell reads it (checked against /bin/sh itself); malformed input is an
// error naming its line, never a partial read.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {compareExport, renderExport, type ExportDocument} from '../../src/recovery/export.js'
import {EXPORT_FORMATS, ExportReadError, parseCsv, parseEnv, readExport, readTokenInput, yamlPlainSafe, yamlPlainSafeByPattern} from '../../src/recovery/export-reader.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'

/** Values that break naive readers: line breaks, quotes, shell syntax, escapes, non-ASCII, controls. */
export const TRICKY = [
  'plain', 'line\nbreak', 'crlf\r\nend', 'lone\rcr', 'trailing newline\n', '\nleading newline', 'double "quotes"', '"', '""', "single 'quote'", "'", "''", "it's",
  '$HOME and ${HOME}', '$(id)', '`id`', 'back\\slash', '\\', 'ends with \\', 'a,b,c', ',', '# not a comment', 'x # y', 'a=b', '=', 'tab\there', 'sp ace',
  'é日本🎉', 'ctrl\u0001\u001b[2J', 'del\u007f', 'c1\u0085\u009b', 'rlo\u202egnp.exe', 'ls\u2028ps\u2029', 'bom\ufeff', ' leading and trailing ',
  'INFLUX_TOKEN_0000000000000001=forged', 'x\nINFLUX_TOKEN_0000000000000002=forged', '\n- id: x\n  token: forged', '- id: x', 'null', 'true', '0x1F', '1e3', '~', '[flow]', '{map}',
]

function doc(values: readonly string[]): ExportDocument {
  return {
    variant: 'sha256',
    exported: values.map((t, i) => ({
      id: `a${i.toString(16).padStart(15, '0')}`,
      description: t, userName: i % 2 ? t : null, orgName: t, kind: 'custom', status: 'active',
      token: `${t}-token-${i}`, fingerprint: `f${i}`, hash: `$influxdb2-sha256$h${i}`,
    })),
    notExportable: [{id: '00000000000000ff', description: 'hashed\none', userName: null, orgName: null, kind: 'custom', status: 'active', reason: 'stored hashed: its plaintext is not in the file'}],
  }
}

let tmp: string
beforeAll(() => { tmp = makeTempDir('ir-reader-') })
afterAll(() => removeDir(tmp))

describe('every export format reads back exactly', () => {
  it('ids are distinct (the test data itself)', () => {
    const ids = doc(TRICKY).exported.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  for (const format of EXPORT_FORMATS) {
    it(`${format}: descriptions and tokens with line breaks, quotes, ', $, backslashes, non-ASCII and controls`, () => {
      const d = doc(TRICKY)
      const text = renderExport(d, format)
      const entries = readExport(text, format)
      expect(compareExport(entries, d)).toEqual([])
      expect(entries.map((e) => e.token)).toEqual(d.exported.map((e) => e.token))
      // as bytes too (what is read back from the file, or an age-decrypted buffer)
      expect(compareExport(readExport(Buffer.from(text, 'utf8'), format), d)).toEqual([])
      // and the reader restore-plaintext uses finds the same format and tokens
      const read = readTokenInput(Buffer.from(text, 'utf8'))
      expect(read.format).toBe(format)
      expect(read.entries.map((e) => [e.id, e.token])).toEqual(d.exported.map((e) => [e.id, e.token]))
    })
  }

  it('a CRLF copy of the CSV reads the same (quoted line breaks stay as written)', () => {
    const d = doc(TRICKY)
    const text = renderExport(d, 'csv')
    // the record ends only: a CRLF record separator; line breaks inside quotes are data and stay
    const crlf = parseCsv(text).map((r) => r.fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')).join('\r\n')
    expect(compareExport(readExport(`${crlf}\r\n`, 'csv'), d)).toEqual([])
  })

  it('the env export means to /bin/sh exactly what the reader reads', () => {
    const d = doc(TRICKY.filter((t) => !t.includes('\u0000')))
    const file = path.join(tmp, 'tokens.env')
    fs.writeFileSync(file, renderExport(d, 'env'))
    for (const e of d.exported) {
      const name = `INFLUX_TOKEN_${e.id.toUpperCase()}`
      const sh = spawnSync('/bin/sh', ['-c', `. "$1" && printf '%s' "$${name}"`, 'sh', file])
      expect(sh.status, sh.stderr.toString()).toBe(0)
      expect(sh.stdout.toString('utf8'), JSON.stringify(e.token)).toBe(e.token)
    }
    expect(readExport(fs.readFileSync(file), 'env').map((e) => e.token)).toEqual(d.exported.map((e) => e.token))
  })

  it('empty exports', () => {
    const d: ExportDocument = {variant: 'sha256', exported: [], notExportable: []}
    for (const format of EXPORT_FORMATS) expect(readExport(renderExport(d, format), format)).toEqual([])
  })
})

describe('env: the shell grammar', () => {
  const shell = (text: string): string[] => {
    const file = path.join(tmp, 'case.env')
    fs.writeFileSync(file, text)
    const names = parseEnv(text).map((a) => a.name)
    return names.map((n) => spawnSync('/bin/sh', ['-c', `. "$1" && printf '%s' "$${n}"`, 'sh', file]).stdout.toString('utf8'))
  }
  const cases = [
    `A=plain\n`, `A='single quoted'\n`, `A="double \\" \\\\ \\$ \\\` quoted"\n`, `A='it'\\''s'\n`, `A=a'b'"c"d\n`, `A=back\\ slash\n`,
    `A='multi\nline'\n`, `A="multi\nline"\n`, `A="cont\\\nined"\n`, `A=x # comment\n`, `export A=exported\n`, `  A=indented\n`, `A=\n`, `A=''\n`,
    `A=1\nB=2\n\n# comment\nC='3'\n`, `A='cr\r'\n`, `A="keeps \\n as two characters"\n`, `A='\u00e9\u65e5\ud83c\udf89'\n`,
  ]
  for (const text of cases) {
    it(JSON.stringify(text), () => {
      expect(parseEnv(text).map((a) => a.value)).toEqual(shell(text))
    })
  }

  it('refuses what a shell would expand or not read as a value, naming the line', () => {
    for (const [text, line] of [
      ['A=$HOME\n', 1], ['A=x\nB="$HOME"\n', 2], ['A=`id`\n', 1], ['A=x;y\n', 1], ['A=x y\n', 1], ['A="open\n\n', 1], ["A='open\n", 1],
      ['not an assignment\n', 1], ['A=1\n  B\n', 2], ['1A=x\n', 1], ['A=x\\', 1], ["A='crlf'\r\n", 1], ['A=1\nB=x\r\n', 2],
    ] as const) {
      let err: unknown
      try {
        parseEnv(text)
      } catch (e) {
        err = e
      }
      expect(err, text).toBeInstanceOf(ExportReadError)
      expect((err as Error).message, text).toMatch(new RegExp(`^env line ${line}: `))
    }
  })
})

describe('CSV: RFC 4180', () => {
  it('quoted commas, quotes and line breaks; CRLF and LF records; a final record without a line end', () => {
    expect(parseCsv('a,b,c\n"1,2","say ""hi""","two\nlines"\r\nx,,"\r\n"\nlast,row,here').map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1,2', 'say "hi"', 'two\nlines']],
      [4, ['x', '', '\r\n']],
      [6, ['last', 'row', 'here']],
    ])
  })

  it('a lone CR is data; blank lines and comments above the header are skipped', () => {
    expect(parseCsv('# comment\n\nid,token\n1,a\rb\n\n2,c\n').map((r) => r.fields)).toEqual([['id', 'token'], ['1', 'a\rb'], ['2', 'c']])
  })

  it('malformed CSV is an error naming the line', () => {
    for (const [text, message] of [
      ['id,token\n1,"open\n', /^CSV line 2: a quoted field is never closed/],
      ['id,token\n1,"a"b\n', /^CSV line 2: text after a closing quote/],
      ['id,token\n1,a"b\n', /^CSV line 2: a quote inside an unquoted field/],
    ] as const) {
      expect(() => parseCsv(text)).toThrow(message)
    }
    // a line break lost from a quoted field shows as a wrong number of fields, never as a silently shorter token
    expect(() => readTokenInput('id,description,token\n0a00000000000001,"two\nlines,tok\n')).toThrow(/CSV line 2: a quoted field is never closed/)
    expect(() => readTokenInput('id,description,token\n0a00000000000001,two\nlines,tok\n')).toThrow(/CSV line 2: 2 field\(s\), the header has 3/)
  })

  it('the export header is required when reading an export back; rows with exportable=false hold no token', () => {
    const d = doc(['a'])
    const text = renderExport(d, 'csv')
    expect(text.split('\n')[2]).toMatch(/^00000000000000ff,false,/)
    expect(readExport(text, 'csv')).toHaveLength(1)
    expect(() => readExport(text.replace('exportable', 'exportabel'), 'csv')).toThrow(/not the header "auth export" writes/)
  })
})

describe('readTokenInput: what restore-plaintext accepts', () => {
  it('finds the format: JSON (export, rescue output, influx auth list), env, CSV, YAML, text', () => {
    const id = '0a00000000000001'
    const token = 'tok"en\n$x'
    expect(readTokenInput(JSON.stringify({variant: 'sha256', exported: [{id, token}], notExportable: []}))).toMatchObject({format: 'json', entries: [{id, token, where: 'entry 1'}]})
    expect(readTokenInput(JSON.stringify([{id, token, fingerprint: 'f', hashedToken: 'h'}]))).toMatchObject({format: 'json', entries: [{id, token, hash: 'h', fingerprint: 'f'}]})
    expect(readTokenInput(JSON.stringify({authorizations: [{id: id.toUpperCase(), token, status: 'active'}]}))).toMatchObject({format: 'json', entries: [{id, token}]})
    expect(readTokenInput(`INFLUX_URL=http://x\nexport INFLUX_TOKEN_${id}='tok"en\n$x'\n`)).toMatchObject({format: 'env', entries: [{id, token, where: 'line 2'}]})
    expect(readTokenInput(`# tokens\nid,token\n${id},"tok""en\n$x"\n`)).toMatchObject({format: 'csv', entries: [{id, token, where: 'line 3'}]})
    expect(readTokenInput(`- id: ${id}\n  token: "tok\\"en\\n$x"\n`)).toMatchObject({format: 'yaml', entries: [{id, token}]})
    // the failsafe schema: what was written, not a number
    expect(readTokenInput('- id: 0837100000000000\n  token: 0x1F\n')).toMatchObject({format: 'yaml', entries: [{id: '0837100000000000', token: '0x1F'}]})
    const shaped = `${'A'.repeat(86)}==`
    expect(readTokenInput(`free text with ${shaped} in it\n`)).toMatchObject({format: 'text', entries: [{token: shaped, where: 'text, line 1'}]})
    expect(readTokenInput(`{"config": {"token": "${shaped}"}}`)).toMatchObject({format: 'text'})
  })

  it('skips entries without a token; refuses malformed ones and bytes that are not UTF-8', () => {
    expect(readTokenInput(JSON.stringify([{id: '0a00000000000001', token: ''}, {id: '0a00000000000002'}, {id: '0a00000000000003', token: 't'}])).entries.map((e) => e.id)).toEqual(['0a00000000000003'])
    expect(() => readTokenInput(JSON.stringify([{id: '0a00000000000001', token: 12}]))).toThrow(/entry 1: the token is not a string/)
    expect(() => readTokenInput(JSON.stringify([{id: 12, token: 't'}]))).toThrow(/entry 1: the id is not a string/)
    expect(() => readTokenInput(JSON.stringify(['t']))).toThrow(/entry 1: not an object/)
    expect(() => readTokenInput(Buffer.from([0x5b, 0x5d, 0xff]))).toThrow(/not valid UTF-8/)
    // a BOM is not part of the text
    expect(readTokenInput(`\ufeff${JSON.stringify([{id: '0a00000000000001', token: 't'}])}`).format).toBe('json')
  })
})

describe('yamlPlainSafe', () => {
  it('says what its two patterns say, for every short string over the characters that matter and 50,000 random ones', () => {
    const alphabet = ['a', 'Y', 'e', 'x', 'o', 'b', 'n', 'N', '0', '1', '9', '_', '$', '=', '/', '+', '.', '-', ' ', ':', '"', 'é', 'i', 'f']
    const check = (s: string): void => {
      if (yamlPlainSafe(s) !== yamlPlainSafeByPattern(s)) expect(yamlPlainSafe(s), JSON.stringify(s)).toBe(yamlPlainSafeByPattern(s))
    }
    const words = ['', 'y', 'n', 'yes', 'No', 'ON', 'off', 'true', 'False', 'NULL', 'nulls', 'truex', '.inf', '.NaN', '0x1F', '0o17', '0b101', '1e5', '1.5e-3', '1_000',
      '12', '1.', '$', '_', 'a', 'myorg', 'admin', 'custom', 'active', 'sha256', 'operator', '0ad455bf370c8000', 'SYAJUNsMazG-LMImy0QkvABa98wfy5h-Bb0G84mft2Dl5pT60h1RHQ7lPVNAoW-5nh0db0dIYTTleGLzs1X0MA==',
      '$influxdb2-sha256$tNQn4VbAQgEgHYEptCwkeC6ov2uYZfzIGj6jRH_-eWI=', '-1', '+1', 'a b', 'é']
    for (const w of words) check(w)
    // every string of up to 3 characters over the alphabet
    const rec = (prefix: string, depth: number): void => {
      check(prefix)
      if (depth === 0) return
      for (const c of alphabet) rec(prefix + c, depth - 1)
    }
    rec('', 3)
    let x = 7
    const r = (): number => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let i = 0; i < 50_000; i++) {
      const n = 1 + Math.floor(r() * 12)
      let s = ''
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(r() * alphabet.length)]!
      check(s)
    }
  })
})
