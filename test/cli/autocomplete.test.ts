// Shell completion through @oclif/plugin-autocomplete: the cache it builds
// knows every command, and the bash function completes commands and flags.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {ROOT} from '../helpers/oracle.js'

let home: string
let env: Record<string, string>

beforeAll(() => {
  home = makeTempDir('ir-ac-')
  env = {HOME: home, XDG_CACHE_HOME: path.join(home, '.cache')}
})

afterAll(() => removeDir(home))

const COMMANDS = ['auth list', 'auth create-operator', 'user set-password', 'org list', 'bolt check', 'doctor', 'locate']

describe('autocomplete', () => {
  it('"autocomplete bash" and "autocomplete zsh" build the cache and print the setup instructions', () => {
    for (const shell of ['bash', 'zsh']) {
      const r = runCli(['autocomplete', shell], {env})
      expect(r.status).toBe(0)
      expect(r.stdout).toContain(`influx-recover autocomplete script ${shell}`)
    }
    const dir = path.join(home, '.cache/influx-recover/autocomplete')
    const bash = fs.readFileSync(path.join(dir, 'functions/bash/influx-recover.bash'), 'utf8')
    const zsh = fs.readFileSync(path.join(dir, 'functions/zsh/_influx-recover'), 'utf8')
    for (const id of COMMANDS) expect(bash).toContain(`\n${id.replace(' ', ':')} `)
    expect(bash).toContain('complete -F _influx-recover_autocomplete influx-recover')
    expect(zsh).toMatch(/^#compdef influx-recover/)
    for (const id of COMMANDS) expect(zsh).toContain(id.split(' ').at(-1)!)
  })

  it('"autocomplete script bash" prints the line for ~/.bashrc, and the function completes commands and flags', () => {
    runCli(['autocomplete', '--refresh-cache'], {env})
    const r = runCli(['autocomplete', 'script', 'bash'], {env})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(path.join(home, '.cache/influx-recover/autocomplete/bash_setup'))
    const script = [
      'eval "$AC_SETUP"',
      'try() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _influx-recover_autocomplete; echo "${COMPREPLY[*]}"; }',
      'try influx-recover au',
      'try influx-recover auth l',
      'try influx-recover auth list --op',
      'try influx-recover bolt c',
    ].join('\n')
    const sh = spawnSync('bash', ['--norc', '-c', script], {cwd: ROOT, encoding: 'utf8', env: {...process.env, ...env, AC_SETUP: r.stdout}})
    expect(sh.stderr).toBe('')
    // (the plugin's function offers a topic once per command in it; bash shows each word once)
    const offered = sh.stdout.split('\n').slice(0, 4).map((l) => [...new Set(l.split(' '))].join(' '))
    expect(offered).toEqual(['auth autocomplete', 'list', '--operator', 'check compact'])
  })

  it('"autocomplete script zsh" prints the line for ~/.zshrc', () => {
    const r = runCli(['autocomplete', 'script', 'zsh'], {env})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(path.join(home, '.cache/influx-recover/autocomplete/zsh_setup'))
  })
})
