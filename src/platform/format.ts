/**
 * Output renderers shared by the list commands. Each takes the same column
 * description and rows and returns complete text ending in "\n":
 *
 *  - table:   aligned for people: plain spaces, a header row, two spaces between
 *             columns, no trailing spaces; control and bidi characters in cells
 *             are shown escaped (escapeControls: a value from a damaged or
 *             hostile file cannot move the cursor, retitle or recolour the
 *             terminal or reorder a line); fits `maxWidth` by shortening the
 *             widest columns with "…". Widths are terminal columns: combining
 *             marks count 0, East Asian wide/fullwidth characters and emoji 2
 *             (a fixed range table, close to wcwidth), everything else 1.
 *  - influxd: byte for byte what `influxd recovery ... list` prints (influx-cli
 *             tabwriter: tab padding, header row) for printable data; control
 *             and bidi characters in cells are shown escaped, as in the table.
 *  - json:    the rows as an array of objects keyed by column key, 2-space
 *             indent; bigints are written as exact JSON integers; the control
 *             and bidi characters JSON.stringify leaves raw are \u escapes.
 *  - yaml:    the same objects through the `yaml` package, no line folding.
 *  - csv:     RFC 4180 fields (quoted when they contain `"`, `,`, CR or LF; quotes
 *             doubled), a header row of the column keys, and LF line ends (not
 *             RFC 4180's CRLF: this is meant for pipes and files on Unix; every
 *             common CSV reader accepts LF). No spreadsheet-formula escaping:
 *             values such as tokens are written exactly.
 *
 * yaml and csv keep data exact; a command printing them to a terminal passes
 * the values through escapeValues first (see docs/output-and-input.md).
 */
import {randomBytes} from 'node:crypto'

import {Flags} from '@oclif/core'
import {stringify as yamlStringify} from 'yaml'

import {UsageError} from '../errors.js'
import {influxCliTable} from './tabwriter.js'

export const OUTPUT_FORMATS = ['table', 'influxd', 'json', 'yaml', 'csv'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface Column {
  /** property of each row; also the CSV header and the JSON/YAML key */
  key: string
  /** header of the table and influxd formats (default: key) */
  header?: string
  /** alignment in the table format (default left) */
  align?: 'left' | 'right'
  /** table format: never shortened below this width (default: 4, or the natural width when smaller); e.g. 16 for IDs */
  minWidth?: number
  /** table format: the column is left out when the table does not fit maxWidth (its data is still in the other formats) */
  optional?: boolean
  /** table format: shortened (down to minWidth) before the other columns, e.g. values nobody reads whole in a table */
  shrinkFirst?: boolean
}

/** Any object; each column reads the property named by its key. */
export type Row = object

function field(row: Row, key: string): unknown {
  return (row as Record<string, unknown>)[key]
}

export interface TableOptions {
  /** total width to fit in (e.g. the terminal's columns); no limit when undefined */
  maxWidth?: number
  /**
   * Decorates a body cell after it was shortened and before it is padded (e.g.
   * colours it); must not change the text's visible width.
   */
  decorate?: (key: string, text: string) => string
}

export interface FittedTable {
  text: string
  /** some cell or header was shortened with "…", or an optional column left out */
  shortened: boolean
  /** keys of the optional columns that were left out */
  dropped: string[]
}

const ELLIPSIS = '…'
const GAP = '  '
/** columns are never shortened below this (or their natural width, when smaller) */
const MIN_COLUMN = 4

/**
 * A value as text for the table, influxd and csv formats: strings as is,
 * numbers/bigints/booleans in decimal, null/undefined empty, Dates in ISO 8601,
 * arrays Go-%v style `[a b c]`, other objects as JSON.
 */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return `[${v.map(cellText).join(' ')}]`
  return renderJSON(v, 0).trimEnd()
}

/**
 * The characters no human output shows raw (docs/output-and-input.md): C0
 * controls, DEL, C1 controls, the line and paragraph separators, and the bidi
 * controls (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069). Raw, they
 * could clear the screen, retitle the terminal, write the clipboard (OSC 52),
 * forge lines or reverse the order of what a person reads.
 */
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const UNSAFE_CHARS_G = new RegExp(UNSAFE_CHARS.source, 'g')
/** UNSAFE_CHARS without the C0 controls: what JSON.stringify leaves raw */
const UNSAFE_IN_JSON_G = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** Whether s holds a character that human output shows escaped (UNSAFE_CHARS). */
export function hasUnsafeChars(s: string): boolean {
  return UNSAFE_CHARS.test(s)
}

/** One unsafe character as a visible escape: \n, \t, \r, \x1b (below U+0100), \u202e. */
function visibleEscape(c: string): string {
  if (c === '\n') return '\\n'
  if (c === '\t') return '\\t'
  if (c === '\r') return '\\r'
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * Every UNSAFE_CHARS character shown as a visible escape (`\x1b`, `\n`,
 * `\u202e`), so a value stays on one line and cannot act on the terminal.
 * Printable text is returned unchanged (the same string).
 */
export function escapeControls(s: string): string {
  return UNSAFE_CHARS.test(s) ? s.replace(UNSAFE_CHARS_G, visibleEscape) : s
}

/**
 * A value with every string in it (deeply: arrays and plain objects) passed
 * through escapeControls: what csv and yaml print on a terminal.
 */
export function escapeValues<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T
  if (Array.isArray(value)) return value.map((v) => escapeValues(v)) as T
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[escapeControls(k)] = escapeValues(v)
    return out as T
  }
  return value
}

// Code point ranges that take two terminal columns (East Asian Wide and Fullwidth, emoji).
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x18cff],
  [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff], [0x20000, 0x3fffd],
]
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f\ufeff]$/u

/** Below it no code point is a combining mark or wide: one column, without ZERO_WIDTH (V8 builds its Unicode classes on first use, milliseconds at every start). */
const NARROW_BELOW = 0x300

/** Terminal columns taken by one code point. */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!
  if (cp < NARROW_BELOW) return 1
  if (ZERO_WIDTH.test(ch)) return 0
  let lo = 0
  let hi = WIDE.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const [a, b] = WIDE[mid]!
    if (cp < a) hi = mid - 1
    else if (cp > b) lo = mid + 1
    else return 2
  }
  return 1
}

/** Terminal columns taken by a (control-free) string. */
export function displayWidth(s: string): number {
  let i = 0
  while (i < s.length && s.charCodeAt(i) < NARROW_BELOW) i++
  if (i === s.length) return s.length
  let w = i
  for (const ch of s.slice(i)) w += charWidth(ch)
  return w
}

/** Cuts s to at most w terminal columns, ending in "…" when shortened. */
export function truncate(s: string, w: number): string {
  if (displayWidth(s) <= w) return s
  if (w <= 0) return ''
  let out = ''
  let used = 0
  for (const ch of s) {
    const cw = charWidth(ch)
    if (used + cw > w - 1) break
    out += ch
    used += cw
  }
  return out + ELLIPSIS
}

/** Aligned human table; see the module comment. */
export function renderTable(columns: readonly Column[], rows: readonly Row[], opts: TableOptions = {}): string {
  return fitTable(columns, rows, opts).text
}

/**
 * renderTable, also telling what was shortened. Fitting maxWidth: first the
 * optional columns are left out (last first), then the shrinkFirst columns are
 * shortened down to their minimum, then the widest column that can still
 * shrink, down to the next widest, until the table fits or every column is at
 * its minimum (then it stays wider).
 */
export function fitTable(allColumns: readonly Column[], rows: readonly Row[], opts: TableOptions = {}): FittedTable {
  if (allColumns.length === 0) return {text: '', shortened: false, dropped: []}
  const cellsOf = (cols: readonly Column[]) => ({
    header: cols.map((c) => escapeControls(c.header ?? c.key)),
    body: rows.map((r) => cols.map((c) => escapeControls(cellText(field(r, c.key))))),
  })
  const naturalOf = (cols: readonly Column[], header: string[], body: string[][]): number[] =>
    cols.map((_, j) => Math.max(displayWidth(header[j]!), ...body.map((cells) => displayWidth(cells[j]!))))
  const sum = (ws: readonly number[]): number => ws.reduce((a, b) => a + b, 0) + GAP.length * (ws.length - 1)

  let columns = [...allColumns]
  let {header, body} = cellsOf(columns)
  let natural = naturalOf(columns, header, body)
  const dropped: string[] = []
  if (opts.maxWidth !== undefined) {
    while (sum(natural) > opts.maxWidth) {
      let j = columns.length - 1
      while (j >= 0 && columns[j]!.optional !== true) j--
      if (j === -1 || columns.length === 1) break
      dropped.push(columns[j]!.key)
      columns = columns.filter((_, k) => k !== j)
      ;({header, body} = cellsOf(columns))
      natural = naturalOf(columns, header, body)
    }
  }
  const widths = [...natural]

  if (opts.maxWidth !== undefined && sum(widths) > opts.maxWidth) {
    const floor = natural.map((n, j) => Math.min(n, columns[j]!.minWidth ?? MIN_COLUMN))
    let excess = sum(widths) - opts.maxWidth
    for (let j = 0; j < widths.length && excess > 0; j++) {
      if (columns[j]!.shrinkFirst !== true) continue
      const step = Math.min(excess, widths[j]! - floor[j]!)
      widths[j] = widths[j]! - step
      excess -= step
    }
    while (excess > 0) {
      // shorten the widest column that can still shrink, down to the next widest
      let widest = -1
      for (let j = 0; j < widths.length; j++) {
        if (widths[j]! > floor[j]! && (widest === -1 || widths[j]! > widths[widest]!)) widest = j
      }
      if (widest === -1) break // every column at its minimum: the table stays wider
      const next = Math.max(floor[widest]!, ...widths.filter((w, j) => j !== widest && w <= widths[widest]!))
      const step = Math.max(1, Math.min(excess, widths[widest]! - next))
      widths[widest] = widths[widest]! - step
      excess -= step
    }
  }

  const line = (cells: readonly string[], decorate: boolean): string =>
    cells
      .map((cell, j) => {
        const col = columns[j]!
        const text = truncate(cell, widths[j]!)
        const shown = decorate && opts.decorate ? opts.decorate(col.key, text) : text
        const fill = ' '.repeat(Math.max(0, widths[j]! - displayWidth(text)))
        // the last column is not padded (no trailing spaces)
        if (col.align === 'right') return fill + shown
        return j === cells.length - 1 ? shown : shown + fill
      })
      .join(GAP)
      .replace(/ +$/, '')
  const text = [line(header, false), ...body.map((cells) => line(cells, true))].map((l) => `${l}\n`).join('')
  const shortened = dropped.length > 0 || widths.some((w, j) => w < natural[j]!)
  return {text, shortened, dropped}
}

/** The rows as `influxd recovery ... list` prints them (influx-cli tabwriter). */
export function renderInfluxd(columns: readonly Column[], rows: readonly Row[]): string {
  return influxCliTable(
    columns.map((c) => escapeControls(c.header ?? c.key)),
    rows.map((r) => columns.map((c) => escapeControls(cellText(field(r, c.key))))),
  )
}

// A per-process marker no real string can contain by accident.
let bigintTag: {tag: string; quoted: RegExp} | undefined
/** Made on first use (by then node:crypto is worth loading). */
function bigintTagging(): {tag: string; quoted: RegExp} {
  if (bigintTag) return bigintTag
  const tag = `\u0000bigint-${randomBytes(6).toString('hex')}:`
  bigintTag = {tag, quoted: new RegExp(`"${JSON.stringify(tag).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g')}
  return bigintTag
}

/**
 * JSON text ending in "\n" (indent 2 by default). bigints become exact JSON
 * integers (JSON.stringify alone throws on them).
 */
export function renderJSON(value: unknown, indent = 2): string {
  // Without a replacer first: JSON.stringify is several times faster without
  // one and throws on the first bigint, which is rare (bucket sequences).
  try {
    const plain = JSON.stringify(value, null, indent)
    return `${jsonEscapeUnsafe(plain ?? 'null')}\n`
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
  }
  const {tag, quoted} = bigintTagging()
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${tag}${v.toString()}` : v), indent)
  // JSON.stringify(undefined) is undefined: print null rather than nothing
  return `${jsonEscapeUnsafe((text ?? 'null').replace(quoted, '$1'))}\n`
}

/**
 * JSON text with the UNSAFE_CHARS JSON.stringify leaves raw (DEL, C1, the
 * separators, bidi controls) written as \\u escapes: the same JSON value,
 * harmless on a terminal. Outside strings JSON holds none of them.
 */
export function jsonEscapeUnsafe(json: string): string {
  UNSAFE_IN_JSON_G.lastIndex = 0
  if (!UNSAFE_IN_JSON_G.test(json)) return json
  return json.replace(UNSAFE_IN_JSON_G, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** YAML text (the `yaml` package; no line folding, no anchors/aliases). bigints are plain integers. */
export function renderYAML(value: unknown): string {
  return yamlStringify(value, {lineWidth: 0, aliasDuplicateObjects: false})
}

/** One CSV field, quoted when needed (RFC 4180). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** CSV: a header row of the column keys, then one line per row; LF line ends. */
export function renderCSV(columns: readonly Column[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c.key)), ...rows.map((r) => columns.map((c) => csvField(cellText(field(r, c.key)))))]
  return lines.map((l) => `${l.join(',')}\n`).join('')
}

/** The rows as plain objects with exactly the columns' keys, in column order (for json/yaml). */
export function rowObjects(columns: readonly Column[], rows: readonly Row[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(columns.map((c) => [c.key, field(r, c.key) ?? null])))
}

/** Renders rows in any of the formats. */
export function renderRows(format: OutputFormat, columns: readonly Column[], rows: readonly Row[], opts: TableOptions = {}): string {
  switch (format) {
    case 'table':
      return renderTable(columns, rows, opts)
    case 'influxd':
      return renderInfluxd(columns, rows)
    case 'json':
      return renderJSON(rowObjects(columns, rows))
    case 'yaml':
      return renderYAML(rowObjects(columns, rows))
    case 'csv':
      return renderCSV(columns, rows)
  }
}

/**
 * Parses a --format value (case-insensitive, trimmed) among `allowed`;
 * anything else is a UsageError (exit 2) listing the choices.
 */
export function formatOption(input: string, allowed: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  const v = input.trim().toLowerCase()
  const found = allowed.find((f) => f === v)
  if (found === undefined) {
    throw new UsageError(`invalid --format ${JSON.stringify(input)}`, `use one of: ${allowed.join(', ')}`)
  }
  return found
}

/** An oclif --format flag parsed by formatOption. */
export function formatFlag(opts: {default?: OutputFormat; allowed?: readonly OutputFormat[]; description?: string} = {}) {
  const allowed = opts.allowed ?? OUTPUT_FORMATS
  return Flags.custom<OutputFormat>({
    description: opts.description ?? `output format: ${allowed.join(', ')} (influxd = exactly what "influxd recovery ... list" prints)`,
    helpValue: allowed.join('|'),
    default: opts.default ?? 'table',
    parse: async (input) => formatOption(input, allowed),
  })()
}
