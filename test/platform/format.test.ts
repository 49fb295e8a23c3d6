import {describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {ExitCode, UsageError} from '../../src/errors.js'
import {
  cellText,
  type Column,
  csvField,
  displayWidth,
  escapeControls,
  escapeValues,
  formatOption,
  hasUnsafeChars,
  jsonEscapeUnsafe,
  OUTPUT_FORMATS,
  renderCSV,
  renderInfluxd,
  renderJSON,
  renderRows,
  renderTable,
  renderYAML,
  rowObjects,
  truncate,
} from '../../src/platform/format.js'

const COLS: Column[] = [
  {key: 'id', header: 'ID'},
  {key: 'name', header: 'Name'},
  {key: 'count', header: 'Count', align: 'right'},
  {key: 'desc', header: 'Description'},
]
const ROWS = [
  {id: '08371db24dcc8000', name: 'testuser', count: 5, desc: "testuser's Token"},
  {id: 'dd7cd2292f6e974a', name: 'myorg', count: 12345n, desc: null},
]

/** Display width of each line (code points here: the test data has no wide characters). */
const widths = (text: string): number[] => text.trimEnd().split('\n').map((l) => Array.from(l).length)

describe('renderTable', () => {
  it('aligns columns with two spaces, a header row, right alignment and no trailing spaces', () => {
    expect(renderTable(COLS, ROWS)).toBe(
      [
        'ID                Name      Count  Description',
        "08371db24dcc8000  testuser      5  testuser's Token",
        'dd7cd2292f6e974a  myorg     12345',
        '',
      ].join('\n'),
    )
  })

  it('uses the key when there is no header, and prints only the header without rows', () => {
    expect(renderTable([{key: 'a'}, {key: 'b'}], [])).toBe('a  b\n')
    expect(renderTable([], ROWS)).toBe('')
  })

  it('escapes control characters so a cell stays on one line and cannot drive the terminal', () => {
    const out = renderTable([{key: 'v'}], [{v: 'a\nb\tc\x1b[31mred\x7f'}])
    expect(out).toBe('v\na\\nb\\tc\\x1b[31mred\\x7f\n')
    expect(escapeControls('\r\u0085')).toBe('\\r\\x85')
  })

  it('fits maxWidth by shortening the widest columns with an ellipsis', () => {
    const rows = [{a: 'short', b: 'x'.repeat(60), c: 'y'.repeat(30)}]
    const cols: Column[] = [{key: 'a'}, {key: 'b'}, {key: 'c'}]
    const natural = renderTable(cols, rows)
    expect(Math.max(...widths(natural))).toBe(5 + 2 + 60 + 2 + 30)
    const out = renderTable(cols, rows, {maxWidth: 60})
    expect(Math.max(...widths(out))).toBeLessThanOrEqual(60)
    const [header, line] = out.trimEnd().split('\n')
    expect(header!.startsWith('a      b')).toBe(true)
    // the widest column gave way first, down to the next widest, then both evenly
    expect(line).toMatch(/^short {2}x+… {2}y+…$/)
    const [, bs, ys] = /^short {2}(x+…) {2}(y+…)$/.exec(line!)!
    expect(Math.abs(bs!.length - ys!.length)).toBeLessThanOrEqual(1)
  })

  it('never shortens a column below 4 and keeps a table that cannot fit', () => {
    const out = renderTable([{key: 'aaaaaaaa'}, {key: 'bbbbbbbb'}], [{aaaaaaaa: '12345678', bbbbbbbb: 'x'}], {maxWidth: 5})
    expect(out).toBe('aaa…  bbb…\n123…  x\n')
  })

  it('does not truncate when the table fits', () => {
    expect(renderTable(COLS, ROWS, {maxWidth: 200})).toBe(renderTable(COLS, ROWS))
  })

  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('日本')).toBe(4)
    expect(displayWidth('e\u0301')).toBe(1)
    expect(displayWidth('😀a')).toBe(3)
    expect(renderTable([{key: 'k'}, {key: 'v'}], [{k: '日本', v: 1}, {k: 'abcde', v: 2}])).toBe('k      v\n日本   1\nabcde  2\n')
    expect(truncate('日本語です', 5)).toBe('日本…')
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('abcd', 0)).toBe('')
  })

  it('the fast path for code points below U+0300 gives what the Unicode classes give', () => {
    const zeroWidth = /^[\p{Mn}\p{Me}]$/u
    for (let cp = 0x20; cp < 0x3400; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue
      const ch = String.fromCodePoint(cp)
      const expected = zeroWidth.test(ch) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ? 0 : cp >= 0x1100 && cp <= 0x115f ? 2 : undefined
      if (expected !== undefined) expect(displayWidth(`ab${ch}`), cp.toString(16)).toBe(2 + expected)
      if (cp < 0x300) expect(displayWidth(`ab${ch}cd`)).toBe(5)
    }
    expect(displayWidth('abc\u0301\u0301日')).toBe(5)
  })
})

describe('escaping: what no human output shows raw', () => {
  const unsafe = [...Array.from({length: 0x20}, (_, i) => i), 0x7f, ...Array.from({length: 0x20}, (_, i) => 0x80 + i), 0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]

  it('escapes every C0 and C1 control, DEL, the separators and the bidi controls', () => {
    for (const cp of unsafe) {
      const c = String.fromCharCode(cp)
      expect(hasUnsafeChars(c), cp.toString(16)).toBe(true)
      const shown = escapeControls(`a${c}b`)
      expect(hasUnsafeChars(shown), cp.toString(16)).toBe(false)
      expect(shown).toMatch(cp < 0x100 ? /^a\\(?:[ntr]|x[0-9a-f]{2})b$/ : /^a\\u[0-9a-f]{4}b$/)
    }
    expect(escapeControls('\x1b[2J\u202e')).toBe('\\x1b[2J\\u202e')
  })

  it('leaves printable text alone, non-ASCII, emoji and joiners included', () => {
    for (const s of ['plain', 'é日本🎉', 'עברית', 'العربية', '👨\u200d👩\u200d👧', 'nbsp\u00a0', 'back\\slash', '']) {
      expect(hasUnsafeChars(s)).toBe(false)
      expect(escapeControls(s)).toBe(s)
    }
  })

  it('JSON: the characters JSON.stringify leaves raw become \\u escapes of the same value', () => {
    const value = {name: unsafe.map((cp) => String.fromCharCode(cp)).join(''), n: 12n}
    const text = renderJSON(value)
    expect(hasUnsafeChars(text.slice(0, -1).replace(/\n/g, ''))).toBe(false)
    expect(JSON.parse(text)).toEqual({name: value.name, n: 12})
    expect(jsonEscapeUnsafe('"\u202e"')).toBe('"\\u202e"')
  })

  it('escapeValues: every string of plain objects and arrays, other values as they are', () => {
    const d = new Date(0)
    expect(escapeValues({a: ['x\ny', 1, null, {b: '\u202e'}], d, n: 5n})).toEqual({a: ['x\\ny', 1, null, {b: '\\u202e'}], d, n: 5n})
  })
})

describe('cellText', () => {
  it('formats values for text cells', () => {
    expect(cellText(null)).toBe('')
    expect(cellText(undefined)).toBe('')
    expect(cellText(18446744073709551615n)).toBe('18446744073709551615')
    expect(cellText(true)).toBe('true')
    expect(cellText(['read:orgs', 'write:orgs'])).toBe('[read:orgs write:orgs]')
    expect(cellText(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05.000Z')
    expect(cellText({a: 1n})).toBe('{"a":1}')
  })
})

describe('renderInfluxd', () => {
  it('prints exactly what influxd recovery user list prints', () => {
    const out = renderInfluxd([{key: 'id', header: 'ID'}, {key: 'name', header: 'Name'}], [{id: '08371db1dd8c8000', name: 'testuser'}])
    expect(out).toBe('ID\t\t\tName\n08371db1dd8c8000\ttestuser\n')
  })

  it('shows control and bidi characters escaped, as the table does (equality holds for printable data)', () => {
    const out = renderInfluxd([{key: 'id', header: 'ID'}, {key: 'name', header: 'Name'}], [{id: '1', name: 'a\tb\x1b]0;t\x07\u202ec\nd'}])
    expect(out).toBe('ID\tName\n1\ta\\tb\\x1b]0;t\\x07\\u202ec\\nd\n')
  })

  it('prints slices Go-%v style', () => {
    const out = renderInfluxd([{key: 'id', header: 'ID'}, {key: 'p', header: 'Permissions'}], [{id: 'x', p: ['read:orgs', 'write:orgs']}])
    expect(out).toBe('ID\tPermissions\nx\t[read:orgs write:orgs]\n')
  })
})

describe('renderJSON', () => {
  it('indents by 2, ends with a newline and writes bigints as exact integers', () => {
    const out = renderJSON({seq: 18446744073709551615n, neg: -5n, list: [1n, 'a'], s: 'bigint-looking "1"'})
    expect(out).toBe('{\n  "seq": 18446744073709551615,\n  "neg": -5,\n  "list": [\n    1,\n    "a"\n  ],\n  "s": "bigint-looking \\"1\\""\n}\n')
    expect(JSON.parse(out).list).toEqual([1, 'a'])
  })

  it('keeps strings that merely contain digits or NULs', () => {
    const v = {a: '\u0000bigint-deadbeef:12', b: '12'}
    expect(JSON.parse(renderJSON(v))).toEqual(v)
  })

  it('prints null for undefined and honours another indent', () => {
    expect(renderJSON(undefined)).toBe('null\n')
    expect(renderJSON({a: [1]}, 0)).toBe('{"a":[1]}\n')
  })
})

describe('renderYAML', () => {
  it('round-trips, never folds long lines, quotes ambiguous strings, writes bigints as integers', () => {
    const v = [{id: '0123', token: 'A'.repeat(200) + ' B'.repeat(50), n: 42, big: 18446744073709551615n, none: null}]
    const out = renderYAML(v)
    expect(out.endsWith('\n')).toBe(true)
    expect(out.split('\n').some((l) => l.length > 200)).toBe(true)
    expect(out).toContain('id: "0123"')
    expect(out).toContain('big: 18446744073709551615')
    const back = parseYaml(out, {intAsBigInt: true}) as Record<string, unknown>[]
    expect(back[0]!.id).toBe('0123')
    expect(back[0]!.token).toBe(v[0]!.token)
    expect(back[0]!.big).toBe(18446744073709551615n)
  })

  it('does not write anchors for repeated objects', () => {
    const shared = {a: 1}
    expect(renderYAML({x: shared, y: shared})).not.toMatch(/[&*]/)
  })
})

describe('renderCSV', () => {
  it('writes a key header and quotes per RFC 4180 with LF line ends', () => {
    const out = renderCSV(COLS, [
      {id: 'a,b', name: 'say "hi"', count: 1n, desc: 'line\nbreak'},
      {id: 'plain', name: '', count: null, desc: 'cr\rhere'},
    ])
    expect(out).toBe('id,name,count,desc\n"a,b","say ""hi""",1,"line\nbreak"\nplain,,,"cr\rhere"\n')
  })

  it('does not alter values that look like formulas (tokens must stay exact)', () => {
    expect(csvField('-pZrlm84u9')).toBe('-pZrlm84u9')
    expect(csvField('=1+1')).toBe('=1+1')
  })
})

describe('renderRows and formatOption', () => {
  it('dispatches every format', () => {
    expect(renderRows('table', COLS, ROWS)).toBe(renderTable(COLS, ROWS))
    expect(renderRows('influxd', COLS, ROWS)).toBe(renderInfluxd(COLS, ROWS))
    expect(renderRows('csv', COLS, ROWS)).toBe(renderCSV(COLS, ROWS))
    expect(JSON.parse(renderRows('json', COLS, ROWS))).toEqual([
      {id: '08371db24dcc8000', name: 'testuser', count: 5, desc: "testuser's Token"},
      {id: 'dd7cd2292f6e974a', name: 'myorg', count: 12345, desc: null},
    ])
    expect(parseYaml(renderRows('yaml', COLS, ROWS))).toEqual(JSON.parse(renderRows('json', COLS, ROWS)))
  })

  it('rowObjects keeps only the columns, in order, with null for missing values', () => {
    expect(rowObjects([{key: 'b'}, {key: 'a'}], [{a: 1, b: 2, c: 3}, {}])).toEqual([{b: 2, a: 1}, {b: null, a: null}])
    expect(Object.keys(rowObjects([{key: 'b'}, {key: 'a'}], [{a: 1, b: 2}])[0]!)).toEqual(['b', 'a'])
  })

  it('parses --format values case-insensitively', () => {
    for (const f of OUTPUT_FORMATS) expect(formatOption(f)).toBe(f)
    expect(formatOption(' JSON ')).toBe('json')
    expect(formatOption('influxd', ['table', 'influxd'])).toBe('influxd')
  })

  it('rejects unknown or disallowed formats with a usage error (exit 2)', () => {
    for (const [input, allowed] of [['xml', undefined], ['csv', ['table', 'json'] as const], ['', undefined]] as const) {
      let err: unknown
      try {
        formatOption(input, allowed)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(UsageError)
      expect((err as UsageError).exitCode).toBe(ExitCode.USAGE)
      expect((err as UsageError).hint).toMatch(/^use one of: /)
    }
  })
})
