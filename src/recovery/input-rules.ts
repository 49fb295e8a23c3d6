/**
 * What this tool accepts as a new value written into the file: a token an
 * operator chose (--token-stdin/--token-file) and the name of a new user or
 * org. influxd itself accepts almost anything, but some values can never be
 * used or cannot be told apart from others:
 *
 *  - a token with white space at either end: HTTP clients and servers strip
 *    it from the Authorization header, so it can never be presented;
 *  - a token or a name holding a control, line-break or bidi character
 *    (UNSAFE_CHARS): it cannot be typed, and shown it is either escaped or
 *    acts on the terminal;
 *  - a name with white space at either end: it looks like an existing name
 *    (influxd even trims org names in its index).
 *
 * Those are refused (UsageError, exit 2) with a message that never repeats
 * the value. A chosen token shorter than SHORT_TOKEN_BYTES is accepted with a
 * warning. Whether a secret is valid UTF-8 is checked where it is read
 * (cli/secret-input.ts). The reference is docs/output-and-input.md.
 */
import {UsageError} from '../errors.js'
import {UNSAFE_CHARS} from '../platform/format.js'

/** A chosen token shorter than this (in UTF-8 bytes) gets a warning. Generated ones are 88. */
export const SHORT_TOKEN_BYTES = 16

const EDGE_SPACE = /^\s|\s$/u

/** Why a chosen token cannot be stored, or undefined when it can. */
export function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return 'the token is empty'
  if (UNSAFE_CHARS.test(token)) return 'the token holds a control, line-break or bidi character'
  if (EDGE_SPACE.test(token)) return 'the token begins or ends with white space (HTTP strips it, so the token could never be presented)'
  return undefined
}

/** Whether a chosen token is short enough to warn about. */
export function tokenIsShort(token: string): boolean {
  return Buffer.byteLength(token, 'utf8') < SHORT_TOKEN_BYTES
}

/**
 * Refuses (exit 2) a chosen token that cannot be stored; warns (one line,
 * through `warn`) when it is shorter than SHORT_TOKEN_BYTES.
 */
export function checkChosenToken(token: string, warn: (line: string) => void): void {
  const problem = tokenProblem(token)
  if (problem !== undefined) throw new UsageError(`${problem}; nothing was written`, 'give the token exactly as clients send it: printable text, nothing around it')
  if (tokenIsShort(token)) {
    warn(`warning: the chosen token is ${Buffer.byteLength(token, 'utf8')} bytes long; anyone who can try tokens guesses a short one quickly (generated tokens are 88 characters: leave out --token-stdin/--token-file to get one)`)
  }
}

/** Why `name` cannot be the name of a new user or org, or undefined when it can. */
export function nameProblem(name: string, what: 'user' | 'org'): string | undefined {
  if (name.length === 0) return `the ${what} name cannot be empty`
  if (UNSAFE_CHARS.test(name)) return `the ${what} name holds a control, line-break or bidi character`
  if (EDGE_SPACE.test(name)) return `the ${what} name begins or ends with white space`
  return undefined
}

/** Refuses (exit 2) a name a new user or org cannot have. */
export function checkNewName(name: string, what: 'user' | 'org'): void {
  const problem = nameProblem(name, what)
  if (problem !== undefined) throw new UsageError(problem, `give a name of printable characters without white space around it`)
}
