/**
 * Running the CLI on a real pseudo-terminal: util-linux script(1) gives the
 * command a terminal on stdin, stdout and stderr and copies everything written
 * to it (and the terminal's echo of what is typed) to its own stdout.
 */
import {spawn, spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {ROOT} from './oracle.js'

const RUN = path.join(ROOT, 'bin/run.js')
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export interface TerminalOptions {
  env?: Record<string, string | undefined>
  /** terminal width (default 100) */
  cols?: number
  /** stdin is /dev/null instead of the terminal (stdout and stderr stay on it) */
  stdinNull?: boolean
  cwd?: string
}

export interface TerminalResult {
  status: number | null
  /** everything that reached the terminal, "\r\n" turned into "\n" */
  out: string
}

function terminalEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', TERM: 'xterm'}
  // as runCli: NODE_ENV=test (set by vitest) would make oclif look for TypeScript sources
  delete childEnv.NODE_ENV
  delete childEnv.COLUMNS
  delete childEnv.NO_COLOR
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k]
    else childEnv[k] = v
  }
  return childEnv
}

function command(args: string[], opts: TerminalOptions): string {
  if (!fs.existsSync('/usr/bin/script')) throw new Error('script(1) from util-linux is needed for the terminal tests')
  return `stty cols ${opts.cols ?? 100} rows 50; exec ${[process.execPath, RUN, ...args].map(quote).join(' ')}${opts.stdinNull ? ' </dev/null' : ''}`
}

/** Runs the CLI on a pseudo-terminal with nothing typed. */
export function inTerminal(args: string[], opts: TerminalOptions = {}): TerminalResult {
  const r = spawnSync('script', ['-qfec', command(args, opts), '/dev/null'], {cwd: opts.cwd ?? ROOT, env: terminalEnv(opts.env), encoding: 'utf8', timeout: 60_000})
  if (r.error) throw r.error
  return {status: r.status, out: r.stdout.replace(/\r\n/g, '\n')}
}

export interface Step {
  /** typed once the terminal shows this (in what appeared since the step before) */
  when: string | RegExp
  send: string
}

/**
 * Runs the CLI on a pseudo-terminal and types each step's text once its
 * prompt appears; killed after 60 s.
 */
export function interactInTerminal(args: string[], steps: readonly Step[], opts: TerminalOptions = {}): Promise<TerminalResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command(args, opts), '/dev/null'], {cwd: opts.cwd ?? ROOT, env: terminalEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let since = 0
    let next = 0
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8')
      while (next < steps.length) {
        const step = steps[next]!
        const seen = out.slice(since)
        const at = typeof step.when === 'string' ? seen.indexOf(step.when) : seen.search(step.when)
        if (at === -1) break
        since = out.length
        next++
        child.stdin.write(step.send)
      }
    })
    child.stdin.on('error', () => {})
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({status: code, out: out.replace(/\r\n/g, '\n')})
    })
  })
}
