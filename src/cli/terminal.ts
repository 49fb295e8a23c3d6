/**
 * What the human output may assume about the terminal it goes to.
 *
 *  - Width: the tables and doctor's report fit `outputWidth()` columns: the
 *    COLUMNS environment variable when it holds a positive integer (whether or
 *    not stdout is a terminal), else the terminal's width when stdout is a
 *    terminal (80 when it cannot be read), else no limit: piped or redirected
 *    output keeps every value whole, for grep and awk (scripts should still
 *    prefer --json, --format csv or --format yaml).
 *  - Colour: only when the stream is a terminal, NO_COLOR is not set (to any
 *    value, even empty) and TERM is not "dumb". Colour never changes the text
 *    itself: the same characters, with SGR codes around some words.
 */
import type {WriteStream} from 'node:tty'

type Stream = Pick<WriteStream, 'isTTY' | 'columns'> | NodeJS.WriteStream

/** Width of the terminal when stdout is one but its size is unknown. */
export const DEFAULT_TERMINAL_WIDTH = 80

/** Tables are never fitted below this many columns (COLUMNS=5 would make them unreadable). */
export const MIN_OUTPUT_WIDTH = 40

/** The width human output should fit, or undefined for no limit; see the module comment. */
export function outputWidth(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fromEnv = env.COLUMNS?.trim()
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv) && Number(fromEnv) > 0) return Math.max(MIN_OUTPUT_WIDTH, Number(fromEnv))
  if (stream.isTTY === true) {
    const cols = stream.columns
    return typeof cols === 'number' && cols > 0 ? Math.max(MIN_OUTPUT_WIDTH, cols) : DEFAULT_TERMINAL_WIDTH
  }
  return undefined
}

/** Whether output to the stream may be coloured; see the module comment. */
export function colorEnabled(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined) return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

export type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'bold' | 'dim'

const SGR: Record<Color, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  bold: [1, 22],
  dim: [2, 22],
}

/** A painter: wraps text in SGR codes when enabled, returns it unchanged otherwise. */
export type Paint = (color: Color, text: string) => string

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_c, text) => text
  return (c, text) => (text === '' ? text : `\x1b[${SGR[c][0]}m${text}\x1b[${SGR[c][1]}m`)
}

/** Painter for stdout (colours only on a terminal, see colorEnabled). */
export function stdoutPaint(): Paint {
  return painter(colorEnabled(process.stdout))
}

/** Painter for stderr. */
export function stderrPaint(): Paint {
  return painter(colorEnabled(process.stderr))
}

/** Colour of a doctor verdict. */
export function verdictColor(verdict: string): Color | undefined {
  if (verdict === 'PASS') return 'green'
  if (verdict === 'WARN') return 'yellow'
  if (verdict === 'FAIL') return 'red'
  return undefined
}

/** Colour of a token or user status. */
export function statusColor(status: string): Color | undefined {
  if (status === 'active') return 'green'
  if (status === 'inactive') return 'red'
  if (status === '' || status === '(empty)') return 'yellow'
  return undefined
}

/**
 * Word-wraps `text` (one paragraph, control-free) to lines of at most `width`
 * columns, the first prefixed by `first`, the others by `rest` (both counted).
 * Breaks only at spaces: a word longer than a line (a path, a command) stays
 * whole on its own line. Without a width the text stays on one line.
 */
export function wrap(text: string, width: number | undefined, first: string, rest: string, measure: (s: string) => number = (s) => [...s].length): string[] {
  if (width === undefined) return [`${first}${text}`]
  const out: string[] = []
  let line = first
  let empty = true
  for (const word of text.split(' ')) {
    if (word === '') continue
    const prefix = out.length === 0 ? first : rest
    if (!empty && measure(line) + 1 + measure(word) > width) {
      out.push(line)
      line = `${rest}${word}`
      continue
    }
    line = empty ? `${prefix}${word}` : `${line} ${word}`
    empty = false
  }
  out.push(line)
  return out
}
