// Go's text/tabwriter, emulated. Every expected output below was produced by the
// real Go 1.19 text/tabwriter (a throw-away program: NewWriter(&buf, minwidth,
// tabwidth, padding, padchar, flags), Write(text), Flush()), with influx-cli's
// settings (0, 8, 1, '\t', 0) unless a case names others.
import {describe, expect, it} from 'vitest'

import {influxCliTable, INFLUX_CLI_TABWRITER, runeCount, tabwrite, tabwriteRows, type TabwriterOptions} from '../../src/platform/tabwriter.js'

const AUTH_HEADERS = ['ID', 'User Name', 'User ID', 'Description', 'Token', 'Permissions']
const PERMS1 =
  '[read:annotations write:annotations read:authorizations write:authorizations read:buckets write:buckets read:checks write:checks read:dashboards write:dashboards read:dbrp write:dbrp read:documents write:documents read:labels write:labels read:notebooks write:notebooks read:notificationEndpoints write:notificationEndpoints read:notificationRules write:notificationRules read:orgs write:orgs read:scrapers write:scrapers read:secrets write:secrets read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables read:views write:views read:remotes write:remotes read:replications write:replications]'
const AUTH_ROWS = [
  ['08371db24dcc8000', 'testuser', '08371db1dd8c8000', "testuser's Token", 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==', PERMS1],
  ['08371deae98c8000', 'testuser', '08371db1dd8c8000', "testuser's read buckets token", '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==', '[read:orgs/dd7cd2292f6e974a/buckets]'],
]
const lines = (rows: string[][]): string => rows.map((r) => `${r.join('\t')}\n`).join('')

const D: Required<TabwriterOptions> = {...INFLUX_CLI_TABWRITER}

interface Case {
  name: string
  text: string
  opts?: TabwriterOptions
}

const CASES: Case[] = [
  {name: 'simple', text: 'a\tb\tc\naa\tbbb\tc\n'},
  {name: 'ragged rows', text: 'a\tb\tc\td\nxxxxxxxxxx\ty\nz\n1\t2\t3\n'},
  {name: 'empty cells', text: '\t\tx\na\t\ty\n\tb\t\n'},
  {name: 'multi-byte runes', text: 'héllo\twörld\tend\n日本語\tx\ty\n😀😀\tz\ne\u0301\tcombining\n'},
  {name: 'width at tab stops', text: '1234567\tx\n12345678\ty\n123456789012345\tz\n1234567890123456\tw\n'},
  {name: 'no trailing newline', text: 'a\tb\nccc\tdddd'},
  {name: 'trailing tab', text: 'a\tb\t\nc\tdddddddddd\t\n'},
  {name: 'single-cell line ends blocks', text: 'aaaaaaaaaaaa\tb\nsingle\nc\td\n'},
  {name: 'empty line ends blocks', text: 'a\tb\n\nccccccccccc\td\n'},
  {name: 'vtab and formfeed', text: 'a\vb\tc\nxxxxxxxxxxx\vy\tz\fp\tq\nrrrrrrrrrrrrrrrrrr\ts\n'},
  {name: 'nested blocks', text: 'a\tb\tc\nd\teeeeeeeeeeee\nf\tg\th\ti\nj\nk\tl\n'},
  {name: 'empty', text: ''},
  {name: 'newline only', text: '\n'},
  {name: 'tab only', text: '\t'},
  {name: 'tab newline', text: '\t\n\t\n'},
  {name: 'carriage return', text: 'a\r\tb\nlonger cell\tc\n'},
  {name: 'auth list header', text: lines([AUTH_HEADERS])},
  {name: 'auth list', text: lines([AUTH_HEADERS, ...AUTH_ROWS])},
  {name: 'user list', text: 'ID\tName\n08371db1dd8c8000\ttestuser\n'},
  {name: 'org list', text: 'ID\tName\ndd7cd2292f6e974a\tmyorg\n'},
  {name: 'spaces padding 2 minwidth 5', text: 'a\tbb\tc\nlonger\tx\ty\n', opts: {...D, minwidth: 5, padding: 2, padchar: ' '}},
  {name: 'dots align right', text: 'a\tbb\tc\nlonger\tx\ty\n\tempty\tz\n', opts: {...D, padchar: '.', alignRight: true}},
  {name: 'tabs align right', text: 'a\tbb\tc\nlonger\tx\ty\n', opts: {...D, alignRight: true}},
  {name: 'discard empty columns', text: 'a\t\tb\tc\nd\t\te\tf\n', opts: {...D, padchar: ' ', discardEmptyColumns: true}},
  {name: 'discard keeps tab-terminated', text: 'a\t\tb\nc\t\td\n', opts: {...D, discardEmptyColumns: true}},
  {name: 'discard vtab column', text: 'a\v\vb\nc\v\vd\n', opts: {...D, padchar: ' ', discardEmptyColumns: true}},
  {name: 'tab indent with spaces', text: '\t\tx\ty\n\tab\tz\tw\n', opts: {...D, padchar: ' ', tabIndent: true}},
  {name: 'debug', text: 'a\tb\tc\nddd\te\tf\fg\th\n', opts: {...D, padchar: ' ', debug: true}},
  {name: 'tabwidth 0', text: 'a\tb\nccc\td\n', opts: {...D, tabwidth: 0}},
  {name: 'tabwidth 4', text: 'a\tb\nccccc\td\nccccccccc\te\n', opts: {...D, tabwidth: 4}},
  {name: 'padding 0 spaces', text: 'ab\tc\nd\teeee\tf\n', opts: {...D, padding: 0, padchar: ' '}},
]

// Output of Go's text/tabwriter for each case.
const GO: Record<string, string> = {
  "simple": "a\tb\tc\naa\tbbb\tc\n",
  "ragged rows": "a\t\tb\tc\td\nxxxxxxxxxx\ty\nz\n1\t2\t3\n",
  "empty cells": "\t\tx\na\t\ty\n\tb\t\n",
  "multi-byte runes": "héllo\twörld\tend\n日本語\tx\ty\n😀😀\tz\né\tcombining\n",
  "width at tab stops": "1234567\t\t\tx\n12345678\t\ty\n123456789012345\t\tz\n1234567890123456\tw\n",
  "no trailing newline": "a\tb\nccc\tdddd",
  "trailing tab": "a\tb\t\t\nc\tdddddddddd\t\n",
  "single-cell line ends blocks": "aaaaaaaaaaaa\tb\nsingle\nc\td\n",
  "empty line ends blocks": "a\tb\n\nccccccccccc\td\n",
  "vtab and formfeed": "a\t\tb\tc\nxxxxxxxxxxx\ty\tz\np\t\t\tq\nrrrrrrrrrrrrrrrrrr\ts\n",
  "nested blocks": "a\tb\tc\nd\teeeeeeeeeeee\nf\tg\th\ti\nj\nk\tl\n",
  "empty": "",
  "newline only": "\n",
  "tab only": "",
  "tab newline": "\t\n\t\n",
  "carriage return": "a\r\t\tb\nlonger cell\tc\n",
  "auth list header": "ID\tUser Name\tUser ID\tDescription\tToken\tPermissions\n",
  "auth list": "ID\t\t\tUser Name\tUser ID\t\t\tDescription\t\t\tToken\t\t\t\t\t\t\t\t\t\t\t\tPermissions\n08371db24dcc8000\ttestuser\t08371db1dd8c8000\ttestuser's Token\t\tA9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==\t[read:annotations write:annotations read:authorizations write:authorizations read:buckets write:buckets read:checks write:checks read:dashboards write:dashboards read:dbrp write:dbrp read:documents write:documents read:labels write:labels read:notebooks write:notebooks read:notificationEndpoints write:notificationEndpoints read:notificationRules write:notificationRules read:orgs write:orgs read:scrapers write:scrapers read:secrets write:secrets read:sources write:sources read:tasks write:tasks read:telegrafs write:telegrafs read:users write:users read:variables write:variables read:views write:views read:remotes write:remotes read:replications write:replications]\n08371deae98c8000\ttestuser\t08371db1dd8c8000\ttestuser's read buckets token\t4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==\t[read:orgs/dd7cd2292f6e974a/buckets]\n",
  "user list": "ID\t\t\tName\n08371db1dd8c8000\ttestuser\n",
  "org list": "ID\t\t\tName\ndd7cd2292f6e974a\tmyorg\n",
  "spaces padding 2 minwidth 5": "a       bb   c\nlonger  x    y\n",
  "dots align right": "......a....bbc\n.longer.....xy\n........emptyz\n",
  "tabs align right": "a\tbb\tc\nlonger\tx\ty\n",
  "discard empty columns": "a  b c\nd  e f\n",
  "discard keeps tab-terminated": "a\t\tb\nc\t\td\n",
  "discard vtab column": "a b\nc d\n",
  "tab indent with spaces": "\t\tx y\n\tab z w\n",
  "debug": "a   |b |c\nddd |e |f\n---\ng |h\n",
  "tabwidth 0": "ab\ncccd\n",
  "tabwidth 4": "a\t\t\tb\nccccc\t\td\nccccccccc\te\n",
  "padding 0 spaces": "abc\nd eeeef\n",
}

describe('tabwrite matches Go text/tabwriter', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(GO[c.name]).toBeDefined()
    expect(tabwrite(c.text, c.opts)).toBe(GO[c.name])
  })
})

describe('influx-cli tables', () => {
  it('prints the auth list header exactly like influxd recovery auth list', () => {
    const out = influxCliTable(AUTH_HEADERS, AUTH_ROWS)
    const header = out.split('\n')[0]
    expect(header).toBe(`ID\t\t\tUser Name\tUser ID\t\t\tDescription\t\t\tToken${'\t'.repeat(12)}Permissions`)
    // the whole table of influxd's own test (cmd/influxd/recovery/auth/auth_test.go)
    expect(out).toBe(GO['auth list'])
  })

  it('prints the user and org lists of influxd recovery', () => {
    expect(influxCliTable(['ID', 'Name'], [['08371db1dd8c8000', 'testuser']])).toBe('ID\t\t\tName\n08371db1dd8c8000\ttestuser\n')
    expect(influxCliTable(['ID', 'Name'], [['dd7cd2292f6e974a', 'myorg']])).toBe('ID\t\t\tName\ndd7cd2292f6e974a\tmyorg\n')
  })

  it('hides the header on request and prints only it without rows', () => {
    expect(influxCliTable(['ID', 'Name'], [['dd7cd2292f6e974a', 'myorg']], {hideHeaders: true})).toBe('dd7cd2292f6e974a\tmyorg\n')
    expect(influxCliTable(['ID', 'Name'], [])).toBe('ID\tName\n')
  })

  it('tabwriteRows is tabwrite of tab-joined, newline-ended rows', () => {
    const rows = [['a', 'bbbbbbbbb', 'c'], ['dd', '', 'e'], ['only']]
    expect(tabwriteRows(rows)).toBe(tabwrite('a\tbbbbbbbbb\tc\ndd\t\te\nonly\n'))
  })
})

describe('tabwriter rules', () => {
  it('pads with ceil((W - len) / 8) tabs where W is the rounded-up column width', () => {
    // widest cell 17 runes -> 18 -> W = 24; "x" needs ceil(23/8) = 3 tabs, the widest one 1
    expect(tabwrite('x\tend\n' + 'y'.repeat(17) + '\tend\n')).toBe(`x\t\t\tend\n${'y'.repeat(17)}\tend\n`)
  })

  it('counts runes, not UTF-16 units or bytes', () => {
    expect(runeCount('😀é日')).toBe(3)
    expect(runeCount('\ud800x')).toBe(2) // a lone surrogate is one (replacement) rune
    // 7 emoji = 7 runes (14 UTF-16 units, 28 bytes): 7 + 1 = 8, one tab stop
    expect(tabwrite(`${'😀'.repeat(7)}\ta\nb\tc\n`)).toBe(`${'😀'.repeat(7)}\ta\nb\tc\n`)
    // 8 runes: 9 -> 16, so "b" needs two tabs
    expect(tabwrite(`${'😀'.repeat(8)}\ta\nb\tc\n`)).toBe(`${'😀'.repeat(8)}\ta\nb\t\tc\n`)
  })

  it('rejects invalid options', () => {
    expect(() => tabwrite('a', {tabwidth: -1})).toThrow(RangeError)
    expect(() => tabwrite('a', {padchar: 'ab'})).toThrow(RangeError)
  })
})
