// The most common errors say what to do next: one `Error:` line, one `Hint:`
// line, the documented exit code.
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {describeError} from '../../src/cli/base-command.js'
import {BoltError} from '../../src/bbolt/errors.js'
import {RecoverError, UsageError} from '../../src/errors.js'
import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {fixture} from '../helpers/oracle.js'

let tmp: string
let file: string

beforeAll(() => {
  tmp = makeTempDir('ir-hints-')
  file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), tmp, 'influxd.bolt')
})

afterAll(() => removeDir(tmp))

function hintOf(args: string[], status: number, input?: string): string {
  const r = runCli(args, {input})
  expect(r.status, r.stderr).toBe(status)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.hint, r.stderr).toBeDefined()
  return e.hint!
}

describe('hints', () => {
  it('describeError: usage errors point at the command\'s help, damage at bolt check and a backup', () => {
    expect(describeError(new UsageError('bad'), 'auth list').hint).toBe('run "influx-recover auth list --help" for its flags and examples')
    expect(describeError(new UsageError('bad', 'mine'), 'auth list').hint).toBe('mine')
    expect(describeError(new BoltError('corrupt', 'x'), 'doctor').hint).toContain('bolt check FILE')
    expect(describeError(new BoltError('corrupt', 'x'), 'bolt check').hint).toContain('restore it from a backup')
    expect(describeError(new RecoverError('x', 4)).hint).toContain('restore influxd.bolt from a backup')
    expect(describeError(new RecoverError('x', 1)).hint).toBeUndefined()
  })

  it('a missing file: check the path, locate', () => {
    expect(hintOf(['bolt', 'check', path.join(tmp, 'nope.bolt')], 5)).toBe('Hint: check the path; "influx-recover locate" lists the influxd.bolt files on this machine')
    expect(hintOf(['auth', 'list', '--bolt-path', path.join(tmp, 'nope.bolt')], 5)).toContain('influx-recover locate')
  })

  it('a locked file: stop influxd, or --lock-timeout', async () => {
    const holder = await holdFlock(file)
    try {
      const hint = hintOf(['auth', 'list', '--bolt-path', file, '--lock-timeout', '0'], 3)
      expect(hint).toContain('stop influxd')
      expect(hint).toContain('--lock-timeout')
    } finally {
      await holder.release()
    }
  })

  it('a damaged file: bolt check, restore a backup', () => {
    const junk = path.join(tmp, 'junk.bolt')
    fs.writeFileSync(junk, Buffer.alloc(16384, 0x5a))
    expect(hintOf(['auth', 'list', '--bolt-path', junk], 4)).toContain('"influx-recover bolt check FILE"')
    expect(hintOf(['bolt', 'check', junk], 4)).toContain('restore it from a backup')
  })

  it('an unknown user, org or token ID: the list command', () => {
    expect(hintOf(['user', 'set-password', '--bolt-path', file, '--username', 'nobody', '--password-stdin', '--dry-run'], 5, 'a-long-enough-password\n')).toBe('Hint: "influx-recover user list" lists them with their IDs')
    expect(hintOf(['auth', 'create', '--bolt-path', file, '--org', 'nope', '--user', 'testuser', '--all-access', '--dry-run'], 5)).toBe('Hint: "influx-recover org list" lists them with their IDs')
    expect(hintOf(['auth', 'rotate', '--bolt-path', file, '--id', '0000000000000001', '--dry-run'], 5)).toBe('Hint: "influx-recover auth list" lists every token with its ID')
  })

  it('a usage error: the command\'s --help; a bad --format names the choices once', () => {
    expect(hintOf(['auth', 'list', '--bolt-path', file, '--bogus'], 2)).toBe('Hint: run "influx-recover auth list --help" for its flags and examples')
    const r = runCli(['auth', 'list', '--bolt-path', file, '--format', 'xml'])
    expect(errorLines(r.stderr)).toEqual({ok: true, error: 'Error: invalid --format "xml"', hint: 'Hint: use one of: table, influxd, json, yaml, csv'})
  })
})
