/**
 * Choosing one of the existing users or orgs when a command was not told
 * which: an interactive list on a terminal (rendered on stderr, so stdout
 * keeps only the command's result), otherwise a usage error (exit 2) that
 * names the flag to pass and the names that exist.
 */
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {escapeControls, hasUnsafeChars} from '../platform/format.js'
import {confirm} from './write.js'

export interface SelectChoice {
  name: string
  value: string
}

/** The shape of @inquirer's `select`, so tests can drive it (e.g. with @inquirer/testing). */
export type SelectPrompt = (
  config: {message: string; choices: SelectChoice[]},
  context: {output: NodeJS.WritableStream},
) => Promise<string>

export interface ChooseOptions {
  /** the flag that names the thing, without dashes, e.g. "username" */
  flag: string
  /** other flags that also do, e.g. ["user-id"], for the message */
  alternatives?: string[]
  /** whether to ask (default: stdin and stderr are terminals) */
  interactive?: boolean
  /** the prompt (default: @inquirer/prompts select) */
  prompt?: SelectPrompt
  /** where the prompt renders (default: stderr) */
  output?: NodeJS.WritableStream
}

/** @inquirer/prompts' select, loaded only when a prompt is really shown (it is not small). */
const defaultPrompt: SelectPrompt = async (config, context) => {
  const {select} = await import('@inquirer/prompts')
  return select(config, context)
}

/** True when a prompt can be shown: stdin and stderr are both terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

/** `a, b, c` with each name quoted when it needs to be (control and bidi characters as escapes). */
export function listNames(names: readonly string[]): string {
  return names.map((n) => (/^[\w.@+-]+$/.test(n) ? n : escapeControls(JSON.stringify(n)))).join(', ')
}

/**
 * How a name is offered in the picker: as is when printable, else with its
 * control and bidi characters escaped and in quotes, so it cannot act on the
 * terminal and cannot pass for another name.
 */
export function choiceLabel(name: string): string {
  return hasUnsafeChars(name) ? escapeControls(JSON.stringify(name)) : name
}

function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')
}

/**
 * One of `names` (e.g. the users of the file): asked on a terminal, else a
 * UsageError naming `--flag` and the names that exist. No names at all is a
 * NotFoundError (exit 5): there is nothing to choose from.
 */
export async function chooseOne(what: string, names: readonly string[], opts: ChooseOptions): Promise<string> {
  const flags = [opts.flag, ...(opts.alternatives ?? [])].map((f) => `--${f}`).join(' or ')
  if (names.length === 0) throw new NotFoundError(`no ${what} exists in the file`, `create one first; then pass it with ${flags}`)
  const interactive = opts.interactive ?? canAsk()
  if (!interactive) {
    throw new UsageError(`no ${what} given (not a terminal, so cannot ask)`, `pass ${flags}; the ${what}s in the file: ${listNames(names)}`)
  }
  const prompt = opts.prompt ?? defaultPrompt
  const unique = [...new Set(names)]
  try {
    const answer = await prompt(
      {message: `Which ${what}?`, choices: unique.map((n) => ({name: choiceLabel(n), value: n}))},
      {output: opts.output ?? process.stderr},
    )
    if (!unique.includes(answer)) throw new RecoverError(`the answer ${escapeControls(JSON.stringify(answer))} is not one of the ${what}s offered`, ExitCode.ERROR)
    return answer
  } catch (err) {
    if (isPromptExit(err)) throw new RecoverError(`cancelled: no ${what} chosen, nothing was written`, ExitCode.ERROR)
    throw err
  }
}

/**
 * Before plaintext tokens go to stdout: when stdout is a terminal (where
 * they stay on screen and in scrollback) the operator is asked first on
 * stderr, or must have passed --yes; without a terminal to ask on, exit 2.
 * Output to a pipe or file is not asked about.
 */
export async function confirmSecretsOnTerminal(what: string, opts: {yes: boolean; stdout?: {isTTY?: boolean}}): Promise<void> {
  if ((opts.stdout ?? process.stdout).isTTY !== true || opts.yes) return
  if (!canAsk()) {
    throw new UsageError(`refusing to print ${what} to the terminal without confirmation`, 'pass --yes to print them anyway, or write them to a new file with --output FILE')
  }
  if (!(await confirm(`print ${what} to this terminal (it stays on screen and in the scrollback)?`))) {
    throw new RecoverError('cancelled: nothing was printed', ExitCode.ERROR)
  }
}
