/**
 * oclif's `command_not_found` hook. oclif's own message ("command auth:X not
 * found", in its own ` ›   Error:` style) repeats every word typed, which may
 * be a token or a password put on the command line by mistake
 * (`influx-recover auth TOKEN`). This one prints the tool's one-line error,
 * shows only words that look like command names, lists the commands of the
 * topic, and exits 2 (usage).
 */
import type {Hook} from '@oclif/core'

import {ExitCode} from '../errors.js'
import {SECRET_INPUT_HINT} from './base-command.js'

/** A word shown back: a command-like name, never something as long or mixed as a token. */
const COMMAND_WORD_RE = /^[a-z][a-z0-9-]{0,23}$/

export function shownCommandWords(id: string): string {
  return id.split(':').filter((w) => w.length > 0).map((w) => (COMMAND_WORD_RE.test(w) ? w : '(not shown)')).join(' ')
}

const hook: Hook<'command_not_found'> = async function (opts) {
  const parts = opts.id.split(':')
  let topic = ''
  for (let i = parts.length - 1; i > 0; i--) {
    const t = parts.slice(0, i).join(':')
    if (opts.config.findTopic(t)) {
      topic = t
      break
    }
  }
  const visible = opts.config.commandIDs.filter((c) => !c.startsWith('autocomplete') && c !== 'help')
  const where = topic === ''
    ? `topics: ${[...new Set(visible.filter((c) => c.includes(':')).map((c) => c.split(':')[0]!))].sort().join(', ')}; commands: ${visible.filter((c) => !c.includes(':')).sort().join(', ')}`
    : `the commands of "${topic.replace(/:/g, ' ')}": ${visible.filter((c) => c.startsWith(`${topic}:`)).map((c) => c.replace(/:/g, ' ')).sort().join(', ')}`
  const shown = shownCommandWords(opts.id)
  const hidden = shown.includes('(not shown)') ? `; ${SECRET_INPUT_HINT}` : '; see --help'
  process.stderr.write(`Error: unknown command "${shown}"\nHint: ${where}${hidden}\n`)
  this.exit(ExitCode.USAGE)
}

export default hook
