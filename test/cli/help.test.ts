// The help of every command, from two sides: the metadata oclif loads from
// dist/ (summary, description, examples, flag descriptions) and what
// `--help` actually prints for the root, each topic and a sample of commands.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {Config, type Command} from '@oclif/core'
import {beforeAll, describe, expect, it} from 'vitest'

import {errorLines, runCli} from '../helpers/cli.js'
import {ROOT} from '../helpers/oracle.js'

const TOPICS = ['auth', 'bolt', 'bucket', 'guard', 'org', 'user', 'v1'] as const
const PLUGIN_COMMANDS = ['help', 'autocomplete', 'autocomplete:create', 'autocomplete:script']

let config: Config
let ours: Command.Loadable[]

beforeAll(async () => {
  // NODE_ENV=test (vitest) would make oclif load src/ through a TypeScript loader: users run dist/
  const nodeEnv = process.env.NODE_ENV
  delete process.env.NODE_ENV
  try {
    config = await Config.load(ROOT)
  } finally {
    process.env.NODE_ENV = nodeEnv
  }
  // the bundle also carries the help and autocomplete plugins' commands (test/packaging/bundle.test.ts)
  ours = config.commands.filter((c) => c.pluginName === 'influx-recover' && !PLUGIN_COMMANDS.includes(c.id))
})

describe('command metadata', () => {
  it('finds every command of src/commands', () => {
    const ids = ours.map((c) => c.id).sort()
    const files = (fs.readdirSync(path.join(ROOT, 'src/commands'), {recursive: true}) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3).split(path.sep).join(':'))
      .sort()
    expect(ids).toEqual(files)
    expect(ids).toEqual(expect.arrayContaining(['doctor', 'locate', 'auth:list', 'auth:create-operator', 'bolt:check', 'user:set-password', 'org:list']))
  })

  it('every command has a summary, a description and at least two examples using the templates', () => {
    const problems: string[] = []
    for (const c of ours) {
      if (!c.summary?.trim()) problems.push(`${c.id}: no summary`)
      if (!c.description?.trim()) problems.push(`${c.id}: no description`)
      const examples = c.examples ?? []
      if (examples.length < 2) problems.push(`${c.id}: ${examples.length} example(s)`)
      for (const e of examples) {
        const command = typeof e === 'string' ? e : e.command
        if (!command.includes('<%= config.bin %> <%= command.id %>')) problems.push(`${c.id}: example without the command templates: ${command}`)
        if (typeof e !== 'string' && !e.description.trim()) problems.push(`${c.id}: example without a description: ${command}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('every flag and argument has a description', () => {
    const problems: string[] = []
    for (const c of ours) {
      for (const [name, f] of Object.entries(c.flags)) {
        if (!(f.description ?? f.summary)?.trim()) problems.push(`${c.id} --${name}`)
      }
      for (const [name, a] of Object.entries(c.args ?? {})) {
        if (!a.description?.trim()) problems.push(`${c.id} ${name.toUpperCase()}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('every topic has a description and every command belongs to a topic or is top level', () => {
    for (const t of TOPICS) expect(config.findTopic(t)?.description?.trim()).toBeTruthy()
    const topLevel = ours.filter((c) => !c.id.includes(':')).map((c) => c.id).sort()
    expect(topLevel).toEqual(['doctor', 'locate'])
    for (const c of ours.filter((x) => x.id.includes(':'))) expect(TOPICS).toContain(c.id.split(':')[0])
  })
})

describe('--help output', () => {
  it('the root lists the topics and the top-level commands with their descriptions', () => {
    const r = runCli(['--help'])
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    const topics = r.stdout.slice(r.stdout.indexOf('TOPICS'), r.stdout.indexOf('COMMANDS'))
    for (const t of TOPICS) expect(topics).toMatch(new RegExp(`^  ${t} +\\S`, 'm'))
    const commands = r.stdout.slice(r.stdout.indexOf('COMMANDS'))
    expect(commands).toMatch(/^ {2}doctor +Check an influxd\.bolt file/m)
    expect(commands).toMatch(/^ {2}locate +Find influxd\.bolt/m)
    expect(r.stdout).toContain('Exit codes: 0 ok')
    // no line wider than 80 columns (oclif wraps at 80 when stdout is not a terminal)
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
  })

  it.each(TOPICS)('"%s" alone lists its commands, exit 0', (topic) => {
    const r = runCli([topic])
    expect(r.status).toBe(0)
    // its commands, and its subtopics (org members) in place of theirs
    const expected = [...new Set(ours.filter((c) => c.id.startsWith(`${topic}:`) && !c.hidden).map((c) => c.id.split(':').slice(0, 2).join(' ')))]
    expect(expected.length).toBeGreaterThan(0)
    // a command one level further down (v1 auth list) is listed under its subtopic (v1 auth)
    for (const id of expected) expect(r.stdout).toMatch(new RegExp(`^  ${id.split(' ').slice(0, 2).join(' ')} `, 'm'))
    expect(runCli([topic, '--help']).stdout).toBe(r.stdout)
  })

  it.each(['auth list', 'auth create-operator', 'auth scrub', 'user set-password', 'org list', 'org members add', 'bucket repair-meta', 'bolt check', 'bolt dump', 'doctor', 'locate'])('%s --help: usage, flags with defaults, description, examples', (id) => {
    const r = runCli([...id.split(' '), '--help'])
    expect(r.status).toBe(0)
    for (const section of ['USAGE', 'FLAGS', 'DESCRIPTION', 'EXAMPLES']) expect(r.stdout).toMatch(new RegExp(`^${section}$`, 'm'))
    expect(r.stdout).toContain(`$ influx-recover ${id}`)
    const cmd = ours.find((c) => c.id === id.replaceAll(' ', ':'))!
    for (const [name, f] of Object.entries(cmd.flags)) {
      if (f.hidden) continue
      expect(r.stdout).toContain(`--${name}`)
      if (f.type === 'option' && f.default !== undefined && typeof f.default !== 'function') expect(r.stdout).toContain(`[default: ${String(f.default)}]`)
    }
  })

  it('USAGE names every negatable boolean flag as --[no-]NAME, as FLAGS does', () => {
    const sample = ours.filter((c) => Object.values(c.flags).some((f) => f.type === 'boolean' && f.allowNo && !f.hidden))
    expect(sample.map((c) => c.id)).toEqual(expect.arrayContaining(['auth:create-operator', 'auth:hash-upgrade', 'user:create']))
    for (const cmd of sample) {
      const out = runCli([...cmd.id.split(':'), '--help']).stdout
      const usage = out.slice(out.indexOf('USAGE\n'), out.indexOf('\n\n', out.indexOf('USAGE\n'))).replaceAll(/\n\s+/g, ' ')
      for (const [name, f] of Object.entries(cmd.flags)) {
        if (f.type !== 'boolean' || f.hidden) continue
        if (f.allowNo) {
          expect(usage, cmd.id).toContain(`[--[no-]${name}]`)
          expect(out, cmd.id).toContain(`--[no-]${name}`)
        } else if (f.char === undefined) expect(usage, cmd.id).toMatch(new RegExp(`[[ |]--${name}[\\] |]`))
      }
      // a longer name that starts with a negatable one stays as it is
      if (cmd.flags['backup-dir']) expect(usage, cmd.id).toContain('[--backup-dir DIR]')
    }
  })

  it('--yes says when it is required: never for commands that only add, else only when not on a terminal', () => {
    const yesText = (id: string): string => {
      const out = runCli([...id.split(' '), '--help']).stdout
      const from = out.indexOf('  -y, --yes')
      return out.slice(from, out.indexOf('\n  ', from + 1) === -1 ? undefined : out.indexOf('\n      --', from)).replaceAll(/\s+/g, ' ')
    }
    for (const id of ['auth create-operator', 'auth create', 'user create', 'org create', 'v1 auth create']) {
      const t = yesText(id)
      expect(t, id).not.toMatch(/required/)
      expect(t, id).toContain('never needed: adding asks no confirmation')
    }
    for (const id of ['auth delete', 'auth restore-plaintext', 'auth hash-upgrade']) {
      expect(yesText(id), id).toContain('required only when not on a terminal')
    }
  })

  it('auth restore-plaintext --help: run after "influxd downgrade" and before installing influxd ≤ 2.7 (runbook 5\'s order)', () => {
    const out = runCli(['auth', 'restore-plaintext', '--help']).stdout.replaceAll(/\s+/g, ' ')
    expect(out).toContain('Store exported tokens raw again, for influxd ≤ 2.7 (run before installing it)')
    expect(out).toContain('after "influxd downgrade" (run with the 2.9 binary: it changes the schema but leaves the tokens hashed) and before installing and starting influxd ≤ 2.7')
    expect(out).not.toContain('before downgrading')
  })

  it('an unknown command or an unexpected word is a usage error with a hint', () => {
    let r = runCli(['auth', 'lst'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, error: 'Error: unknown command "auth lst"', hint: expect.stringContaining('"influx-recover auth list"')})
    // an existing file is named back with the flag to use; any other stray word may be a secret and is not shown
    r = runCli(['auth', 'list', path.join(ROOT, 'fixtures/demo.bolt')])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, hint: expect.stringContaining(`--bolt-path ${ROOT}/fixtures/demo.bolt`)})
    r = runCli(['auth', 'list', '/no/such/dir/influxd.bolt'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, error: 'Error: "influx-recover auth list" does not take "(not shown)" as an argument'})
    r = runCli(['nosuch'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, hint: 'Hint: "influx-recover --help" lists the commands'})
    r = runCli(['doctor', '--bogus'])
    expect(r.status).toBe(2)
    expect(errorLines(r.stderr)).toMatchObject({ok: true, hint: 'Hint: run "influx-recover doctor --help" for its flags and examples'})
  })
})
