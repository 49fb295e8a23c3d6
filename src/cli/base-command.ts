/**
 * The base of every command of the tool.
 *
 *  - Shared flags: the data file (positional FILE or --bolt-path, exactly one),
 *    --lock-timeout, --json, and the write flags.
 *  - Output: human text on stdout; with --json exactly one JSON document on
 *    stdout and nothing else there. Notes (backup paths, progress) go to stderr.
 *  - Errors: one line `Error: <message>` on stderr (plus `Hint: ...` when there
 *    is one) and a distinct exit code; never a stack trace. With --json the
 *    error is also printed as {"error": {...}} on stdout, unless the command
 *    already printed its document.
 */
import {Args, Command, Errors, Flags} from '@oclif/core'

import {BoltError, type BoltErrorKind} from '../bbolt/errors.js'
import {ENCODINGS} from '../bbolt/encoding.js'
import {ExitCode, RecoverError, UsageError} from '../errors.js'
import {cellText, escapeControls, escapeValues, fitTable, renderJSON, type Column, type Row} from '../platform/format.js'
import {ByteWriter} from '../platform/byte-writer.js'
import {type Color, outputWidth, stderrPaint, stdoutPaint, wrap} from './terminal.js'

const BOLT_EXIT: Record<BoltErrorKind, ExitCode> = {
  corrupt: ExitCode.CORRUPT,
  'not-found': ExitCode.NOT_FOUND,
  invalid: ExitCode.USAGE,
  exists: ExitCode.ERROR,
  incompatible: ExitCode.ERROR,
  io: ExitCode.ERROR,
  tx: ExitCode.ERROR,
}

/** Parses a duration in seconds: a non-negative decimal number. */
export function parseSeconds(input: string): number {
  const s = input.trim()
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(s)) throw new UsageError(`invalid number of seconds: ${JSON.stringify(input)}`, 'use a non-negative number such as 1 or 0.5')
  return Number(s)
}

/** The data file: first positional argument (or --bolt-path). */
export const fileArg = {
  // ignoreStdin: oclif would otherwise read a missing argument from stdin (and consume it)
  file: Args.string({description: 'bbolt file to operate on (or use --bolt-path)', required: false, ignoreStdin: true}),
}

export const boltPathFlag = Flags.string({
  description: 'path of the bbolt file (alternative to the FILE argument; give exactly one)',
  helpValue: 'FILE',
})

export const lockTimeoutFlag = Flags.custom<number>({
  description: 'seconds to wait for the file lock held by another process (0 = try once)',
  helpValue: 'SECONDS',
  default: 1,
  parse: async (input) => parseSeconds(input),
})()

export const jsonFlag = Flags.boolean({
  description: 'print one JSON document on stdout instead of text',
  default: false,
})

export const encodingFlag = Flags.option({
  options: ENCODINGS,
  default: 'utf8' as const,
  description: 'encoding of bucket names, keys and values: utf8 (text when valid UTF-8, else {"base64": ...}), base64 (standard, padded) or hex (lowercase)',
})()

/** Flags every command on an existing data file has. */
export const dataFileFlags = {
  'bolt-path': boltPathFlag,
  'lock-timeout': lockTimeoutFlag,
}

/** Flags of every command that modifies a data file in place. */
export const writeFlags = {
  'dry-run': Flags.boolean({description: 'check and apply the change in a transaction that is rolled back: nothing is written', default: false}),
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation; required only when not on a terminal (in scripts, or with stdin or stderr redirected), where it cannot ask', default: false}),
  backup: Flags.boolean({
    description: 'copy the file (verified, mode 0600) before writing; --no-backup skips it',
    default: true,
    allowNo: true,
  }),
  'backup-dir': Flags.directory({description: 'directory for the backup copy [default: the file\'s own directory]', helpValue: 'DIR'}),
}

/**
 * writeFlags for a command whose writes only add (a new token, user, org or
 * login): it never asks, so --yes is accepted (scripts pass it everywhere)
 * and never needed.
 */
export const addingWriteFlags = {
  ...writeFlags,
  yes: Flags.boolean({char: 'y', description: 'accepted, never needed: adding asks no confirmation, on a terminal or not', default: false}),
}

const ANSI_RE = /\x1b\[[0-9;]*m/g // eslint-disable-line no-control-regex

/** Makes any message a single line without colour codes or oclif's help footer. */
export function oneLine(message: string): string {
  return message
    .replace(ANSI_RE, '')
    .replace(/See more help with --help/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join(' ')
}

export interface ErrorReport {
  exitCode: ExitCode
  message: string
  hint?: string
}

/**
 * Every oclif parse error (CLIParseError and its subclasses) has a `parse`
 * field. Not told by class name: the bundle is built without keepNames, so
 * class names there are minified.
 */
function isOclifParseError(err: unknown): boolean {
  return err instanceof Error && 'parse' in err
}

/** Where secrets go instead of the command line, for hints. */
export const SECRET_INPUT_HINT = 'tokens and passwords are never taken on the command line: pipe them in (--token-stdin, --password-stdin) or name a file (--token-file, --password-file); see --help'

const SECRET_WORD_RE = /token|passw|secret/i

/**
 * The name of a flag the parser did not know, without any value glued to it
 * (`--token=VALUE` → `--token`, `-tVALUE` → `-t`): the value may be a secret.
 */
export function flagNameOnly(flag: string): string {
  if (flag.startsWith('--')) return flag.split('=', 1)[0]!
  return flag.slice(0, 2)
}

/**
 * oclif's messages for unknown flags and extra arguments repeat what was typed,
 * which may be a token or a password put on the command line by mistake
 * (`auth verify TOKEN`, `--token=TOKEN`): these are rewritten without the values.
 * They are told apart by the words they carry, not by class name (minified in
 * the bundle): NonExistentFlagsError is the parse error with a `flags` list,
 * UnexpectedArgsError the one with an `args` list of strings
 * (RequiredArgsError's `args` are argument definitions).
 */
function describeParseError(err: Error, help: string): ErrorReport {
  const data = err as {flags?: unknown; args?: unknown}
  if (Array.isArray(data.flags)) {
    const flags = [...new Set((data.flags as unknown[]).map((f) => flagNameOnly(String(f))))]
    const secret = flags.some((f) => SECRET_WORD_RE.test(f))
    return {exitCode: ExitCode.USAGE, message: `Nonexistent flag${flags.length === 1 ? '' : 's'}: ${flags.join(', ')}`, hint: secret ? SECRET_INPUT_HINT : help}
  }
  if (Array.isArray(data.args) && data.args.length > 0 && data.args.every((a) => typeof a === 'string')) {
    const n = (data.args as unknown[]).length
    return {
      exitCode: ExitCode.USAGE,
      message: `${n} unexpected argument${n === 1 ? '' : 's'} (not shown, in case ${n === 1 ? 'it is' : 'one is'} a secret)`,
      hint: `this command takes ${n === 1 ? 'no such argument' : 'no such arguments'}; ${SECRET_INPUT_HINT}`,
    }
  }
  return {exitCode: ExitCode.USAGE, message: withoutParsingPrefix(oneLine(err.message)), hint: help}
}

/** oclif prefixes a flag's parse error with "Parsing --flag": keep the flag named once. */
function withoutParsingPrefix(message: string): string {
  const m = /^Parsing (--[\w-]+) (.*)$/.exec(message)
  if (m === null) return message
  return m[2]!.includes(m[1]!) ? m[2]! : `${m[1]}: ${m[2]}`
}

const CORRUPT_HINT = 'run "influx-recover bolt check FILE" to list every problem; if the file is damaged, restore influxd.bolt from a backup'
const CHECKED_CORRUPT_HINT = 'if this is the right file ("influx-recover locate" shows the one influxd uses), restore it from a backup'

/**
 * Maps anything thrown to an exit code, a one-line message and, where there is
 * one, a hint of what to do next. `commandId` (e.g. "auth list") makes the hint
 * of a usage error point at that command's help.
 */
export function describeError(err: unknown, commandId?: string): ErrorReport {
  const help = commandId ? `run "influx-recover ${commandId} --help" for its flags and examples` : 'see --help'
  const report = diskFullReport(err) ?? describeRaw(err, help, commandId)
  return {...report, message: escapeControls(report.message), ...(report.hint !== undefined ? {hint: escapeControls(report.hint)} : {})}
}

/**
 * Our own messages are one line by construction: a line break in one comes
 * from a value (a name, a path) and is shown as \n rather than joined.
 */
function ownLine(message: string): string {
  // oclif rewrites the message of an error thrown while parsing a flag: "Parsing --flag \n\t<message>\nSee more help with --help"
  const parsed = /^Parsing (--[\w-]+) \n\t([\s\S]*?)\n(?:See more help with --help)?$/.exec(message)
  return oneLine(escapeControls(parsed === null ? message : `Parsing ${parsed[1]} ${parsed[2]}`))
}

function describeRaw(err: unknown, help: string, commandId: string | undefined): ErrorReport {
  if (err instanceof RecoverError) {
    let hint = err.hint ? ownLine(err.hint) : undefined
    if (hint === undefined && err.exitCode === ExitCode.CORRUPT) hint = commandId === 'bolt check' ? CHECKED_CORRUPT_HINT : CORRUPT_HINT
    if (hint === undefined && err.exitCode === ExitCode.USAGE) hint = help
    return {exitCode: err.exitCode, message: withoutParsingPrefix(ownLine(err.message)), hint}
  }
  if (err instanceof BoltError) {
    const exitCode = BOLT_EXIT[err.kind] ?? ExitCode.ERROR
    const hint = err.kind === 'corrupt' ? (commandId === 'bolt check' ? CHECKED_CORRUPT_HINT : CORRUPT_HINT) : exitCode === ExitCode.USAGE ? help : undefined
    return {exitCode, message: ownLine(err.message), hint}
  }
  if (isOclifParseError(err)) return describeParseError(err as Error, help)
  if (err instanceof Errors.CLIError) {
    const exit = (err as {oclif?: {exit?: number}}).oclif?.exit
    const exitCode = (exit !== undefined && exit >= 0 && exit <= 6 ? exit : ExitCode.ERROR) as ExitCode
    return {exitCode, message: oneLine(err.message), hint: exitCode === ExitCode.USAGE ? help : undefined}
  }
  if (err instanceof Error) return {exitCode: ExitCode.ERROR, message: oneLine(err.message) || err.name}
  return {exitCode: ExitCode.ERROR, message: oneLine(String(err))}
}

/** ENOSPC/EDQUOT of an engine or system call (not already explained by a RecoverError): one line and what to do. */
function diskFullReport(err: unknown): ErrorReport | undefined {
  if (err instanceof RecoverError) return undefined
  const codeOf = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e ? String((e as {code: unknown}).code) : undefined)
  const code = codeOf(err) ?? codeOf((err as {cause?: unknown} | null)?.cause)
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined
  const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on the device'
  const during = err instanceof BoltError ? ` during "${oneLine(err.message).split(':')[0]}"` : ''
  return {
    exitCode: ExitCode.ERROR,
    message: `${what}${during}: nothing was committed${err instanceof BoltError ? ', the file is as it was' : ''}`,
    hint: 'free some space on that filesystem (df -h shows which), or put the backup on another one with --backup-dir DIR, then run the command again',
  }
}

function isExitError(err: unknown): boolean {
  return err instanceof Errors.ExitError || (typeof err === 'object' && err !== null && (err as {code?: unknown}).code === 'EEXIT')
}

export abstract class BaseCommand extends Command {
  // oclif's own --json prints differently; ours is an ordinary flag.
  static override enableJsonFlag = false

  /** Set once the command knows whether --json was given. */
  protected jsonMode = false
  /** True once a JSON document went to stdout (so errors don't print a second one). */
  private printedJson = false

  /** Writes text to stdout as is. */
  protected write(text: string | Uint8Array): Promise<void> {
    return writeStdout(text)
  }

  /**
   * Writes lines to stdout (each followed by a newline). Each is one line of
   * human text: control and bidi characters in it (from names, descriptions,
   * paths) are shown escaped, a line break included, so no value can act on
   * the terminal or forge a line.
   */
  protected async lines(lines: string[]): Promise<void> {
    if (lines.length > 0) await writeStdout(`${lines.map(escapeControls).join('\n')}\n`)
  }

  /**
   * Values of a data format (csv, yaml) as they may go to stdout: exact in a
   * pipe or file, every string passed through escapeControls when stdout is a
   * terminal (a person reads it there).
   */
  protected forStdout<T>(value: T): T {
    return process.stdout.isTTY === true ? escapeValues(value) : value
  }

  /**
   * Prints a human table fitted to the terminal (see terminal.ts: the width of
   * a terminal or COLUMNS; no limit in pipes), cells coloured by `color` on a
   * terminal. When values had to be shortened, a note on stderr says how to
   * see them whole.
   */
  protected async table(columns: readonly Column[], rows: readonly Row[], opts: {color?: (key: string, text: string) => Color | undefined; wholeWith?: string} = {}): Promise<void> {
    const maxWidth = outputWidth()
    const paint = stdoutPaint()
    const color = opts.color
    const fitted = fitTable(columns, rows, {
      maxWidth,
      decorate: color ? (key, text) => {
        const c = color(key, text)
        return c ? paint(c, text) : text
      } : undefined,
    })
    await this.write(fitted.text)
    if (fitted.shortened) {
      const note = `(shortened to fit ${maxWidth} columns; ${opts.wholeWith ?? '--json'} shows everything)`
      for (const line of wrap(note, maxWidth, '', ' ')) this.note(line)
    }
  }

  /**
   * Prints one record (a new token, a changed user) whose values must never be
   * shortened: a one-row table when it fits the terminal (or has no limit, in
   * pipes), else one `Header: value` line per column.
   */
  protected async record(columns: readonly Column[], row: Row): Promise<void> {
    const maxWidth = outputWidth()
    const fitted = fitTable(columns, [row], {maxWidth})
    if (!fitted.shortened) {
      await this.write(fitted.text)
      return
    }
    const labels = columns.map((c) => `${c.header ?? c.key}:`)
    const w = Math.max(...labels.map((l) => l.length)) + 1
    await this.lines(columns.map((c, j) => `${labels[j]!.padEnd(w)} ${escapeControls(cellText((row as Record<string, unknown>)[c.key]))}`.trimEnd()))
  }

  /** Prints the command's one JSON document. */
  protected async printJson(doc: unknown): Promise<void> {
    this.printedJson = true
    await writeStdout(`${stringifyJson(doc, 2)}\n`)
  }

  /**
   * Prints a JSON array as printJson would print it, element by element as
   * the iterable yields them, in chunks of about 64 KB: the whole document is
   * never held in memory.
   */
  /** An element of a JSON array indented by 2: the element's own text, indented once more. */
  protected jsonElement(item: unknown): string {
    return stringifyJson(item, 2).replace(/\n/g, '\n  ')
  }

  /** `render` gives an item's text as jsonElement would (a faster writer of the same bytes). */
  protected async printJsonArray<T>(items: Iterable<T>, render: (item: T) => string = (item) => this.jsonElement(item)): Promise<void> {
    let chunk: string[] = []
    let size = 0
    let first = true
    const flush = async (): Promise<void> => {
      this.printedJson = true
      await writeStdout(chunk.join(''))
      chunk = []
      size = 0
    }
    for (const item of items) {
      const text = render(item)
      chunk.push(first ? '[\n  ' : ',\n  ', text)
      first = false
      size += text.length
      if (size >= 64 << 10) await flush()
    }
    chunk.push(first ? '[]\n' : '\n]\n')
    await flush()
  }

  /**
   * printJsonArray for elements written as bytes: write(item, w) appends the
   * element's text to w, or returns false (nothing written) for render's
   * string. For outputs of hundreds of MB, where building and encoding
   * strings costs more than the work (auth list --json).
   */
  protected async printJsonArrayBytes<T>(items: Iterable<T>, write: (item: T, w: ByteWriter) => boolean, render: (item: T) => string = (item) => this.jsonElement(item)): Promise<void> {
    const w = new ByteWriter()
    let first = true
    for (const item of items) {
      w.bytes(first ? ARRAY_OPEN : ARRAY_NEXT)
      first = false
      if (!write(item, w)) w.text(render(item))
      if (w.off >= 64 << 10) {
        this.printedJson = true
        // one buffer for the whole output: writeStdout resolves once the
        // bytes are handed to the OS, so it is free again (a new 128 KB
        // buffer per chunk made V8 collect for 140 MB of them)
        await writeStdout(w.written())
        w.reset()
      }
    }
    w.text(first ? '[]\n' : '\n]\n')
    this.printedJson = true
    await writeStdout(w.written())
  }

  /** A one-line note on stderr (never on stdout); control and bidi characters shown escaped, as in lines(). */
  protected note(text: string): void {
    process.stderr.write(`${escapeControls(text)}\n`)
  }

  /** The data file from FILE or --bolt-path: exactly one of them. */
  protected dataFile(arg: string | undefined, flag: string | undefined): string {
    if (arg !== undefined && flag !== undefined) {
      throw new UsageError('give the bbolt file either as the FILE argument or with --bolt-path, not both')
    }
    const path = arg ?? flag
    if (path === undefined || path === '') {
      throw new UsageError('no bbolt file given', 'pass the file as the first argument or with --bolt-path FILE')
    }
    return path
  }

  override async catch(err: Error & {exitCode?: number}): Promise<never> {
    if (isExitError(err)) throw err
    const report = describeError(err, this.id?.replaceAll(':', ' '))
    const json = this.jsonMode || wantsJson(this.argv)
    if (json && !this.printedJson) {
      this.printedJson = true
      const doc = {error: {message: report.message, exitCode: report.exitCode, ...(report.hint ? {hint: report.hint} : {})}}
      await writeStdout(`${JSON.stringify(doc, null, 2)}\n`).catch(() => {})
    }
    const paint = stderrPaint()
    process.stderr.write(`${paint('red', 'Error:')} ${report.message}\n${report.hint ? `${paint('cyan', 'Hint:')} ${report.hint}\n` : ''}`)
    // ExitError: oclif exits with this code and prints nothing more.
    this.exit(report.exitCode)
    throw err // unreachable: exit() throws
  }
}

function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--')
  const i = argv.indexOf('--json')
  return i !== -1 && (end === -1 || i < end)
}

/** JSON.stringify that prints bigints as exact JSON integers (sequences can exceed 2^53). */
export function stringifyJson(doc: unknown, indent?: number): string {
  return renderJSON(doc, indent ?? 0).slice(0, -1)
}

let stdoutBroken = false
let epipeHandlerInstalled = false

/** printJsonArrayBytes's separators. */
const ARRAY_OPEN = Buffer.from('[\n  ')
const ARRAY_NEXT = Buffer.from(',\n  ')

/** Writes to stdout honouring back-pressure; a closed reader (EPIPE, e.g. `| head`) ends output quietly. */
export function writeStdout(chunk: string | Uint8Array): Promise<void> {
  if (!epipeHandlerInstalled) {
    epipeHandlerInstalled = true
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        stdoutBroken = true
        return
      }
      process.stderr.write(`Error: cannot write to stdout: ${escapeControls(err.message)}\n`)
      process.exit(ExitCode.ERROR)
    })
  }
  if (stdoutBroken) return Promise.resolve()
  // The callback runs once the chunk is handed to the OS (or failed): waiting
  // for it keeps memory bounded however much is written.
  return new Promise((resolve) => {
    process.stdout.write(chunk, () => resolve())
  })
}

/** Whether stdout was closed by its reader. */
export function stdoutClosed(): boolean {
  return stdoutBroken
}
