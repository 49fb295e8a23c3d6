/**
 * Rules for names this tool writes into the file (a renamed user, a v1 user
 * name). influxd itself accepts any non-empty string; these names end up in
 * logs, terminals and Grafana data source forms, so a name that cannot be
 * seen or typed as it is is refused (exit 2) rather than written:
 *  - empty;
 *  - leading or trailing white space (Go's unicode.IsSpace, as influxd trims
 *    org names): "admin " and "admin" look the same everywhere;
 *  - control characters (C0, DEL, C1), and the invisible formatting
 *    characters that reorder or hide text (bidi controls, zero-width
 *    characters, line and paragraph separators, the BOM).
 */
import {goTrimSpace} from '../influxd/buckets.js'
import {UsageError} from '../errors.js'

/** bbolt's MaxKeySize: names that are index keys cannot be longer (in UTF-8 bytes). */
export const MAX_NAME_BYTES = 32768

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u

function describe(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}

/** Why `name` cannot be written, or undefined when it is fine. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty'
  const bad = FORBIDDEN.exec(name)
  if (bad !== null) return `it contains the control or invisible formatting character ${describe(bad[0])}`
  if (goTrimSpace(name) !== name) return 'it starts or ends with white space'
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `it is longer than ${MAX_NAME_BYTES} bytes`
  return undefined
}

/** Text from the file with every control or invisible formatting character written as \uXXXX (for human output). */
export function escapeInvisible(text: string): string {
  return text.replace(new RegExp(FORBIDDEN.source, 'gu'), (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)
}

/** A name quoted for a message, every control or invisible character escaped (nothing from a name reaches a terminal raw). */
export function quotedName(name: string): string {
  return escapeInvisible(JSON.stringify(name))
}

/** Refuses (exit 2) a name that breaks the rules above; `what` names it, e.g. "the new user name". */
export function checkNewName(name: string, what: string): void {
  const problem = nameProblem(name)
  if (problem !== undefined) {
    throw new UsageError(`${what} ${quotedName(name)} cannot be used: ${problem}`, 'use printable characters without leading or trailing spaces')
  }
}

const CANONICAL_ID = /^[0-9a-f]{16}$/

/** A key or index value from the file, for a message: an ID as it is, anything else quoted and escaped. */
export function shownValue(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8')
  return CANONICAL_ID.test(text) ? text : quotedName(text)
}
