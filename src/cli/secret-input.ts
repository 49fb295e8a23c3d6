/**
 * Reading a secret (a token value or a password) for a write command.
 *
 * Secrets never come from argv, where `ps`, shell history and audit logs would
 * keep them: only from stdin (--token-stdin / --password-stdin), from a file
 * (--token-file / --password-file), or typed at a terminal prompt that does
 * not echo them.
 */
import * as fs from 'node:fs'

import {password as inquirerPassword} from '@inquirer/prompts'

import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {escapeControls} from '../platform/format.js'

export type SecretKind = 'token' | 'password'

export interface ReadSecretOptions {
  /** the --<what>-stdin flag was given */
  fromStdin: boolean
  /** the --<what>-file flag's value */
  file?: string
  what: SecretKind
  /** where to read "stdin" from (tests); default process.stdin */
  stdin?: NodeJS.ReadableStream
  /** where warnings go (one line each); default stderr */
  warn?: (line: string) => void
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

async function readAll(stream: NodeJS.ReadableStream, what: SecretKind): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array))
  return secretText(Buffer.concat(chunks), what, 'on stdin')
}

// ignoreBOM: a leading U+FEFF is part of the secret's bytes, kept like any other
const UTF8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/**
 * A secret's bytes as text: they must be valid UTF-8, else exit 2 (never
 * turned into U+FFFD, which would store the hash of a value nobody typed).
 */
export function secretText(bytes: Uint8Array, what: SecretKind, where: string): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new UsageError(`the ${what} ${where} is not valid UTF-8 text; nothing was written`, `influxd compares the exact bytes of a ${what}: give it as UTF-8 text`)
  }
}

function stripLineEnd(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2)
  if (s.endsWith('\n')) return s.slice(0, -1)
  return s
}

/** The secret on stdin: its first line; more than one non-empty line is refused. */
export function secretFromStdinText(text: string, what: SecretKind): string {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  const nonEmpty = lines.filter((l) => l.length > 0)
  if (nonEmpty.length > 1) {
    throw new UsageError(
      `stdin holds ${nonEmpty.length} non-empty lines; --${what}-stdin expects the ${what} alone on one line`,
      `pipe only the ${what}, e.g. printf '%s\\n' "$SECRET" | influx-recover ...`,
    )
  }
  return lines[0] ?? ''
}

/** The secret in a file: its whole content with one trailing newline removed. */
export function secretFromFileText(text: string): string {
  return stripLineEnd(text)
}

function readSecretFile(path: string, what: SecretKind, warn: (line: string) => void): string {
  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (err) {
    // The path is not shown: a file that cannot be opened may well be the
    // secret itself, typed where its file's name belongs.
    const code = errnoCode(err)
    const hint = `give the path of a file holding the ${what}, or pipe the ${what} in with --${what}-stdin`
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') throw new NotFoundError(`${what} file not found (the name given to --${what}-file is not shown, in case it is the ${what} itself)`, hint)
    throw new RecoverError(`cannot open the ${what} file given to --${what}-file (${code ?? 'error'}; its name is not shown, in case it is the ${what} itself)`, ExitCode.ERROR, hint)
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`the ${what} file ${path} is not a regular file`, `use --${what}-stdin to pipe the ${what} instead`)
    if (process.platform !== 'win32' && (st.mode & 0o044) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, '0')
      warn(`Warning: the ${what} file ${path} can be read by other users (mode ${mode}); consider chmod 600 ${path}`)
    }
    return secretFromFileText(secretText(fs.readFileSync(fd), what, 'in the file'))
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * The secret given with --<what>-stdin or --<what>-file; undefined when
 * neither was given. Both, or an empty secret, is a usage error (exit 2); a
 * missing file exits 5.
 */
export async function readSecret(opts: ReadSecretOptions): Promise<string | undefined> {
  const {what} = opts
  const warn = opts.warn ?? ((line: string) => void process.stderr.write(`${escapeControls(line)}\n`))
  if (opts.fromStdin && opts.file !== undefined) {
    throw new UsageError(`give the ${what} either with --${what}-stdin or with --${what}-file, not both`)
  }
  let secret: string
  if (opts.fromStdin) {
    secret = secretFromStdinText(await readAll(opts.stdin ?? process.stdin, what), what)
  } else if (opts.file !== undefined) {
    if (opts.file === '') throw new UsageError(`--${what}-file needs a path`)
    secret = readSecretFile(opts.file, what, warn)
  } else {
    return undefined
  }
  if (secret.length === 0) {
    throw new UsageError(
      `the ${what} is empty`,
      opts.fromStdin ? `write the ${what} to stdin, on its first line` : `put the ${what} in the file ${opts.file ?? ''}`.trimEnd(),
    )
  }
  return secret
}

/** The prompt function used by promptPassword (same shape as @inquirer/prompts' password). */
export type PasswordPrompt = typeof inquirerPassword

export interface PromptPasswordOptions {
  /** first question; default "Password" */
  message?: string
  /** checked as it is typed: true or the reason it is refused */
  validate?: (value: string) => true | string
  /** injectable for tests; default @inquirer/prompts' password */
  prompt?: PasswordPrompt
  /** default process.stdin */
  input?: NodeJS.ReadableStream
  /** default process.stderr, so stdout keeps only the command's output */
  output?: NodeJS.WritableStream
}

/** Asks for a new password twice on the terminal (no echo); they must match. */
export async function promptPassword(opts: PromptPasswordOptions = {}): Promise<string> {
  const prompt = opts.prompt ?? inquirerPassword
  const context = {input: opts.input ?? process.stdin, output: opts.output ?? process.stderr}
  const validate = (value: string): true | string => {
    if (value.length === 0) return 'the password cannot be empty'
    return opts.validate ? opts.validate(value) : true
  }
  try {
    const first = await prompt({message: escapeControls(opts.message ?? 'Password'), mask: '*', validate}, context)
    const second = await prompt({message: 'Confirm password', mask: '*'}, context)
    if (first !== second) throw new UsageError('the two passwords do not match, nothing was written')
    return first
  } catch (err) {
    // Ctrl-C / Ctrl-D at the prompt
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
      throw new RecoverError('cancelled: no password entered, nothing was written', ExitCode.ERROR)
    }
    throw err
  }
}
