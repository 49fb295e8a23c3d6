/**
 * An exact emulation of Go's text/tabwriter, first of all in the configuration
 * influx-cli's pkg/tabwriter uses for every table `influxd recovery ...` and
 * `influx ...` print: minwidth 0, tabwidth 8, padding 1, padchar '\t', flags 0.
 *
 * The rules (from Go's algorithm, checked against real Go output in the tests):
 *  - The text is cut into cells at '\t' (and '\v', '\f'); lines end at '\n' or '\f'.
 *    The last cell of a line is not part of any column and is never padded.
 *  - A column block is a run of consecutive lines that all have a cell in that
 *    column (a tab-terminated cell). Its width is the widest cell of the block,
 *    counted in runes (code points), plus the padding; at least minwidth.
 *    Blocks nest: the columns right of a cell are formatted per sub-block.
 *  - With padchar '\t' the width is rounded up to a multiple of tabwidth and a
 *    cell of n runes is followed by ceil((W - n) / tabwidth) tab characters.
 *    With another padchar it is followed by W - n copies of it.
 *  - A line with a single cell (no tab) ends every block; so does '\f', which is
 *    written as '\n' and forces a flush (like Go's Flush at that point).
 *
 * Not emulated: the FilterHTML and StripEscape flags and Go's Escape byte 0xff,
 * which cannot occur in UTF-8 text anyway.
 */

export interface TabwriterOptions {
  /** minimal cell width including the padding (Go: minwidth) */
  minwidth?: number
  /** width of a tab character in the output (Go: tabwidth) */
  tabwidth?: number
  /** added to a cell's width before the column width is computed (Go: padding) */
  padding?: number
  /** one character used for padding; '\t' switches to tab padding (Go: padchar) */
  padchar?: string
  /** Go's AlignRight flag (ignored with padchar '\t', as in Go) */
  alignRight?: boolean
  /** Go's DiscardEmptyColumns flag */
  discardEmptyColumns?: boolean
  /** Go's TabIndent flag: leading empty cells are always padded with tabs */
  tabIndent?: boolean
  /** Go's Debug flag: '|' between columns, "---" after a '\f' section */
  debug?: boolean
}

/** The settings of influx-cli's pkg/tabwriter (NewWriter(w, 0, 8, 1, '\t', 0)). */
export const INFLUX_CLI_TABWRITER: Readonly<Required<TabwriterOptions>> = Object.freeze({
  minwidth: 0,
  tabwidth: 8,
  padding: 1,
  padchar: '\t',
  alignRight: false,
  discardEmptyColumns: false,
  tabIndent: false,
  debug: false,
})

interface Cell {
  text: string
  /** width in runes */
  width: number
  /** terminated by a horizontal tab (as opposed to '\v' or a line end) */
  htab: boolean
}

/** Number of code points; Go counts runes of the UTF-8 bytes, which is the same for any JS string. */
export function runeCount(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

function checkOptions(o: Required<TabwriterOptions>): void {
  for (const k of ['minwidth', 'tabwidth', 'padding'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new RangeError(`tabwriter: ${k} must be a non-negative integer, got ${o[k]}`)
  }
  if (runeCount(o.padchar) !== 1) throw new RangeError(`tabwriter: padchar must be one character, got ${JSON.stringify(o.padchar)}`)
}

/**
 * One formatting pass over buffered lines (what Go does between two flushes).
 * `lines` are the cells of each line; the last line is the unterminated one.
 */
class Section {
  private out: string[] = []
  private widths: number[] = []

  constructor(
    private readonly o: Required<TabwriterOptions>,
    private readonly lines: Cell[][],
  ) {}

  run(): string {
    this.format(0, this.lines.length)
    return this.out.join('')
  }

  private padding(textw: number, cellw: number, useTabs: boolean): void {
    const {tabwidth, padchar} = this.o
    if (padchar === '\t' || useTabs) {
      if (tabwidth === 0) return // tabs have no width: no padding possible
      const w = Math.ceil(cellw / tabwidth) * tabwidth
      const n = w - textw
      this.out.push('\t'.repeat(Math.ceil(n / tabwidth)))
      return
    }
    this.out.push(padchar.repeat(cellw - textw))
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!
      let useTabs = this.o.tabIndent
      line.forEach((c, j) => {
        if (j > 0 && this.o.debug) this.out.push('|')
        const w = this.widths[j]
        if (c.text.length === 0) {
          if (w !== undefined) this.padding(c.width, w, useTabs)
          return
        }
        useTabs = false
        if (!this.o.alignRight) {
          this.out.push(c.text)
          if (w !== undefined) this.padding(c.width, w, false)
        } else {
          if (w !== undefined) this.padding(c.width, w, false)
          this.out.push(c.text)
        }
      })
      // every line but the last one was ended by a line break
      if (i + 1 < this.lines.length) this.out.push('\n')
    }
  }

  /** Formats lines [line0, line1) given the widths of the columns left of `widths.length`. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lines[cur]!.length - 1) continue
      // this line has a cell in `column`: a column block starts here
      this.writeLines(line0, cur)
      line0 = cur
      let width = this.o.minwidth
      let discardable = true
      for (; cur < line1; cur++) {
        const line = this.lines[cur]!
        if (column >= line.length - 1) break
        const c = line[column]!
        width = Math.max(width, c.width + this.o.padding)
        if (c.width > 0 || c.htab) discardable = false
      }
      if (discardable && this.o.discardEmptyColumns) width = 0
      this.widths.push(width)
      this.format(line0, cur)
      this.widths.pop()
      line0 = cur
    }
    this.writeLines(line0, line1)
  }
}

/**
 * Formats `text` exactly like writing it to a Go tabwriter.Writer and calling
 * Flush. Default options are influx-cli's (INFLUX_CLI_TABWRITER).
 */
export function tabwrite(text: string, options: TabwriterOptions = {}): string {
  const o: Required<TabwriterOptions> = {...INFLUX_CLI_TABWRITER, ...options}
  checkOptions(o)
  // as in Go's Init: tab padding enforces left alignment
  if (o.padchar === '\t') o.alignRight = false
  const out: string[] = []
  let lines: Cell[][] = [[]]
  let start = 0 // start of the current cell in `text`

  const flush = (): void => {
    out.push(new Section(o, lines).run())
    lines = [[]]
  }
  const terminate = (end: number, htab: boolean): number => {
    const cellText = text.slice(start, end)
    const line = lines[lines.length - 1]!
    line.push({text: cellText, width: runeCount(cellText), htab})
    return line.length
  }

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue
    const ncells = terminate(i, ch === '\t')
    start = i + 1
    if (ch === '\n' || ch === '\f') {
      lines.push([])
      // A one-cell line cannot influence the lines after it, so Go flushes there;
      // '\f' always flushes.
      if (ch === '\f' || ncells === 1) {
        flush()
        if (ch === '\f' && o.debug) out.push('---\n')
      }
    }
  }
  // Flush: the unterminated last cell counts only when it is not empty.
  if (start < text.length) terminate(text.length, false)
  flush()
  return out.join('')
}

/** Each row's cells joined by '\t', each row ended by '\n', formatted by tabwrite. */
export function tabwriteRows(rows: readonly (readonly string[])[], options: TabwriterOptions = {}): string {
  return tabwrite(rows.map((r) => `${r.join('\t')}\n`).join(''), options)
}

/**
 * A table as influx-cli's pkg/tabwriter prints it (`influxd recovery auth list`,
 * `influx auth list`, ...): the headers joined by '\t' (unless hidden), then one
 * line per row, through the influx-cli tabwriter settings. Cells are used as
 * given: format values the way Go's fmt would (%s, %d, %v) before calling this.
 */
export function influxCliTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: {hideHeaders?: boolean} = {}): string {
  const all = opts.hideHeaders ? rows : [headers, ...rows]
  return tabwriteRows(all, INFLUX_CLI_TABWRITER)
}
