// The documentation's shape: an operator's README (short, install and first
// commands first), the reference in docs/, prose that reads in a terminal.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {describe, expect, it} from 'vitest'

import {commandTable, withTable} from '../scripts/commands-doc.js'
import {ROOT} from './helpers/oracle.js'

const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8')
const DOCS = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** Command ids from src/commands (topic separator: a space). */
function commandIds(): string[] {
  const out: string[] = []
  const walk = (dir: string, prefix: string[]): void => {
    for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
      if (e.isDirectory()) walk(path.join(dir, e.name), [...prefix, e.name])
      else if (e.name.endsWith('.ts')) out.push([...prefix, e.name.replace(/\.ts$/, '')].join(' '))
    }
  }
  walk(path.join(ROOT, 'src/commands'), [])
  return out.sort()
}

/** Lines of prose longer than 100 characters (code blocks, tables and "_Tested on" lines aside). */
function longProse(text: string): string[] {
  let code = false
  return text.split('\n').filter((l) => {
    if (l.startsWith('```')) {
      code = !code
      return false
    }
    return !code && !l.startsWith('|') && !l.startsWith('_Tested on ') && [...l].length > 100
  })
}

describe('the README', () => {
  const readme = read('README.md')

  it('is under 20 KB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(20 * 1024)
  })

  it('goes: what it is, install, first commands, runbooks, safety rules, exit codes, links', () => {
    expect([...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual(['Install', 'First commands', 'Runbooks', 'Safety rules', 'Exit codes', 'More'])
    // what it is: the three lines before the contents
    expect(readme.split('\n\n')[1]!.split('\n')).toHaveLength(3)
  })

  it('says what the server needs and how to install offline, with the tarball size', () => {
    const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('## First commands'))
    expect(install).toMatch(/Node\.js 20 or later/)
    expect(install).toMatch(/npm install -g \.\/influx-recover-[\d.]+\.tgz --offline/)
    expect(install).toMatch(/about [\d.]+ MB/)
    expect(install).toMatch(/docker run /)
  })

  it('first commands: the demo file, as the demo test runs them', () => {
    expect(readme).toContain('npm ci && ./bin/run.js doctor --bolt-path fixtures/demo.bolt && ./bin/run.js auth list --bolt-path fixtures/demo.bolt')
  })

  it('links only to files that exist', () => {
    for (const doc of DOCS) {
      for (const m of read(doc).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!
        if (/^[a-z]+:/.test(target)) continue
        expect(fs.existsSync(path.resolve(path.dirname(path.join(ROOT, doc)), target)), `${doc} links to ${target}`).toBe(true)
      }
    }
  })
})

describe('docs/ and CONTRIBUTING.md', () => {
  it('prose lines are at most 100 characters', () => {
    for (const doc of DOCS) expect(longProse(read(doc)), doc).toEqual([])
  })

  it('docs/commands.md lists every command with its own summary (npm run docs:commands)', async () => {
    const text = read('docs/commands.md')
    expect(withTable(text, await commandTable())).toBe(text)
    for (const id of commandIds()) expect(text, id).toContain(`| \`${id}\` |`)
  })

  it('CONTRIBUTING.md gives the test command CI runs, its duration, and where the real fixtures come from', () => {
    const text = read('CONTRIBUTING.md')
    expect(read('.ci/run')).toMatch(/^npm test\b/m)
    expect(text).toMatch(/^npm test$/m)
    expect(text).toMatch(/about \d+ minutes on 2 cores/)
    expect(text).toContain('cmd/influxd/recovery/testhelper/influxd.bolt.testdata')
    expect(text).toContain('v2.9.1')
    expect(text).toContain('v2.7.12')
    expect(text).toContain('INFLUX_RECOVER_FIXTURES')
  })
})
