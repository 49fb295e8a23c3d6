/**
 * oclif's command_not_found hook: an unknown command, or an unexpected word
 * after a known one (e.g. a file given to a command that only takes
 * --bolt-path), is a usage error like any other: one `Error:` line, a `Hint:`
 * line and exit 2, instead of oclif's own "command auth:list:x not found".
 * oclif's message repeats every word typed, which may be a token or a password
 * put on the command line by mistake (`influx-recover auth TOKEN`): only words
 * that look like command names, or name an existing file, are shown back.
 */
import {existsSync} from 'node:fs'

import type {Hook} from '@oclif/core'

import {SECRET_INPUT_HINT} from '../cli/base-command.js'
import {stderrPaint} from '../cli/terminal.js'
import {ExitCode} from '../errors.js'
import {escapeControls} from '../platform/format.js'

/** A command-like name: never as long or as mixed as a token. */
const COMMAND_WORD_RE = /^[a-z][a-z0-9-]{0,23}$/

/** A word typed on the command line as it may be shown back: command names and existing paths only. */
export function shownWord(word: string): string {
  if (COMMAND_WORD_RE.test(word)) return word
  if (word.includes('/') && word.length < 4096 && existsSync(word)) return word
  return '(not shown)'
}

/** Levenshtein distance (small strings only). */
function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

const hook: Hook.CommandNotFound = async function (opts) {
  const {config} = opts
  const bin = config.bin
  const words = opts.id.split(':')
  const spaced = (id: string): string => id.replaceAll(':', ' ')
  let message: string
  let hint: string

  let known: string | undefined
  for (let n = words.length - 1; n > 0 && known === undefined; n--) {
    const id = words.slice(0, n).join(':')
    if (config.findCommand(id) !== undefined) known = id
  }
  if (known !== undefined) {
    const extra = words.slice(known.split(':').length).map(shownWord)
    const cmd = config.findCommand(known)!
    message = `"${bin} ${spaced(known)}" does not take ${JSON.stringify(extra.join(' '))} as an argument`
    hint = 'bolt-path' in (cmd.flags ?? {}) && extra.length === 1 && extra[0] !== '(not shown)'
      ? `give the file with --bolt-path ${extra[0]}; "${bin} ${spaced(known)} --help" shows its flags and examples`
      : extra.includes('(not shown)')
        ? `"${bin} ${spaced(known)} --help" shows its flags and examples; ${SECRET_INPUT_HINT}`
        : `"${bin} ${spaced(known)} --help" shows its flags and examples`
  } else {
    // the closest command id to the first words given (as many words as the id has)
    const ids = config.commandIDs.filter((id) => !config.findCommand(id)?.hidden)
    const scored = ids.map((id) => {
      const n = id.split(':').length
      const given = words.slice(0, n).join(' ')
      return {id: spaced(id), given, d: distance(given, spaced(id))}
    }).sort((a, b) => a.d - b.d)
    const best = scored.find((c) => c.d <= Math.max(2, Math.floor(c.given.length / 3)))
    message = `unknown command "${best?.given.split(' ').map(shownWord).join(' ') ?? words.map(shownWord).join(' ')}"`
    const topic = words.length > 1 && config.findTopic(words[0]!) !== undefined ? words[0] : undefined
    const list = topic ? `"${bin} ${topic}" lists the ${topic} commands` : `"${bin} --help" lists the commands`
    hint = best !== undefined ? `did you mean "${bin} ${best.id}"? ${list}` : list
    if (words.some((w) => shownWord(w) === '(not shown)')) hint += `; ${SECRET_INPUT_HINT}`
  }
  const paint = stderrPaint()
  process.stderr.write(`${paint('red', 'Error:')} ${escapeControls(message)}\n${paint('cyan', 'Hint:')} ${escapeControls(hint)}\n`)
  this.exit(ExitCode.USAGE)
}

export default hook
