// No raw control or bidi character from the file reaches a person (issue 13,
// defect 4). User names, org names, descriptions and the directory of the
// file carry escape payloads: ESC sequences that clear the screen, OSC 0/2
// retitling, OSC 52 clipboard writes, CR/LF line forging, U+202E and the
// other bidi controls, C1 controls (CSI, NEL, OSC) and DEL. Every human output
// shows them as visible escapes, on a pseudo-terminal (script(1)) and piped:
// tables, --format influxd, doctor, summaries, records, errors and hints,
// the interactive picker, the password prompt and the confirmation. Data
// formats (json, csv, yaml, the export) keep the data exact in a pipe and
// are escaped on a terminal (JSON always escapes them, as \u sequences).
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {parseCsv} from '../../src/recovery/export-reader.js'
import {errorLines, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {buildInfluxFile, operatorPerms, ORG, TOKENS, USER} from '../helpers/influx-builder.js'
import {inTerminal, interactInTerminal} from '../helpers/terminal.js'

const CLEAR = '\x1b[2J\x1b[H'
const TITLE = '\x1b]0;pwned-title\x07'
const TITLE2 = '\x1b]2;pwned-title2\x1b\\'
const CLIPBOARD = '\x1b]52;c;cm0gLXJmIH4=\x07'
const FORGE = '\r\nError: forged line'
const RLO = '\u202e'
const C1 = '\u009b2J\u0085\u009d0;c1-title\u009c'
const DEL = '\x7f'
const ISOLATE = '\u2066'

const ADMIN = `adm${CLEAR}in${TITLE}${RLO}gnp.exe`
const OPS = `ops${CLIPBOARD}${FORGE}${DEL}`
const ORG_NAME = `org${TITLE2}${C1}${ISOLATE}`
const DESC = `desc${CLEAR}${FORGE}${RLO}${C1}`
const DESC2 = `second${TITLE}${DEL}`
const OPS_ID = '0b0b0b0b0b0b0b0b'
const OP_TOKEN_ID = '0c00000000001000'
const HASHED_TOKEN_ID = '0c00000000002000'

/** What must never reach a person raw (after "\r\n" became "\n"). */
const RAW = ['\x1b[2J', '\x1b]', '\u009b', '\u0085', '\u009d', '\u009c', RLO, ISOLATE, DEL, '\x07', 'pwned-title\x1b']

function expectNoRaw(out: string, label: string): void {
  for (const r of RAW) expect(out.includes(r), `${label}: raw ${JSON.stringify(r)} in ${JSON.stringify(out.slice(0, 2000))}`).toBe(false)
  // a forged line: one that starts with the forged text
  expect(out.split('\n').some((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').startsWith('Error: forged')), `${label}: forged line`).toBe(false) // eslint-disable-line no-control-regex
  expect(out, label).not.toMatch(/\r(?!\n)[^\x1b]*Error: forged/) // eslint-disable-line no-control-regex
}

let tmp: string
let dir: string
let file: string
let textWithToken: string
let passwordFile: string
let tokenFile: string

beforeAll(() => {
  tmp = makeTempDir('ir-escape-')
  // the directory name carries a payload too: paths are in many messages
  dir = path.join(tmp, `d${TITLE}ir`)
  fs.mkdirSync(dir)
  file = path.join(dir, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: ADMIN}, {id: OPS_ID, name: OPS, status: 'inactive'}],
    orgs: [{id: ORG, name: ORG_NAME}],
    owners: [{userID: USER, orgID: ORG}],
    tokens: [
      {id: OP_TOKEN_ID, token: TOKENS.operator, description: DESC, orgID: ORG, userID: USER, perms: operatorPerms('2.2+')},
      {id: HASHED_TOKEN_ID, token: TOKENS.custom, hashed: 'sha256', description: DESC2, orgID: ORG, userID: OPS_ID, perms: '{"action":"read","resource":{"type":"buckets","orgID":"0f0e0d0c0b0a0908"}}'},
    ],
  })
  textWithToken = path.join(tmp, 'telegraf.conf')
  fs.writeFileSync(textWithToken, `token = "${TOKENS.custom}"\n`, {mode: 0o600})
  tokenFile = path.join(tmp, 'token')
  fs.writeFileSync(tokenFile, `${TOKENS.operator}\n`, {mode: 0o600})
  passwordFile = path.join(tmp, 'pw')
  fs.writeFileSync(passwordFile, 'correct horse\n', {mode: 0o600})
})

afterAll(() => removeDir(tmp))

/** Human outputs: [label, args, expected exit code, text that must show (escaped)]. */
function humanRuns(): Array<[string, string[], number, string]> {
  return [
    ['auth list', ['auth', 'list', '--bolt-path', file], 0, 'adm\\x1b[2J'],
    ['auth list --format influxd', ['auth', 'list', '--bolt-path', file, '--format', 'influxd'], 0, 'desc\\x1b[2J\\x1b[H\\r\\nError: forged line\\u202e\\x9b2J'],
    ['user list', ['user', 'list', '--bolt-path', file], 0, 'ops\\x1b]52;c;'],
    ['user list --format influxd', ['user', 'list', '--bolt-path', file, '--format', 'influxd'], 0, 'in\\x1b]0;pwned-title\\x07\\u202egnp.exe'],
    ['org list', ['org', 'list', '--bolt-path', file], 0, 'org\\x1b]2;pwned-title2\\x1b\\\\'],
    ['org list --format influxd', ['org', 'list', '--bolt-path', file, '--format', 'influxd'], 0, '\\u2066'],
    ['doctor', ['doctor', '--bolt-path', file], 0, 'user ops\\x1b]52;c;'],
    ['auth verify', ['auth', 'verify', '--bolt-path', file, '--token-file', tokenFile], 0, 'desc\\x1b[2J'],
    ['auth list --user (unknown)', ['auth', 'list', '--bolt-path', file, '--user', `no${CLEAR}such`], 5, 'no\\u001b[2J\\u001b[Hsuch'],
    ['user set-password (unknown user)', ['user', 'set-password', '--bolt-path', file, '--username', `x${FORGE}`, '--password-file', passwordFile], 5, '\\u202egnp.exe'],
    ['user set-password', ['user', 'set-password', '--bolt-path', file, '--username', ADMIN, '--password-file', passwordFile, '--no-backup'], 0, 'password of user adm\\x1b[2J'],
    ['auth create', ['auth', 'create', '--bolt-path', file, '--user', ADMIN, '--org', ORG_NAME, '--read-buckets', '--no-hashed', '--description', DESC, '--no-backup'], 0, 'desc\\x1b[2J'],
    ['auth rescue', ['auth', 'rescue', '--bolt-path', file, '--from', textWithToken], 0, 'second\\x1b]0;pwned-title\\x07\\x7f'],
    ['auth restore-plaintext --dry-run', ['auth', 'restore-plaintext', '--bolt-path', file, '--from', textWithToken, '--dry-run'], 0, 'second\\x1b]0;'],
    ['bolt keys', ['bolt', 'keys', file, '--bucket', 'userindexv1'], 0, ''],
  ]
}

describe('human output shows payloads escaped', () => {
  it('piped', () => {
    for (const [label, args, status, shown] of humanRuns()) {
      const r = runCli(args)
      expect(r.status, `${label}: ${r.stderr}`).toBe(status)
      expectNoRaw(r.stdout, `${label} (stdout)`)
      expectNoRaw(r.stderr, `${label} (stderr)`)
      if (status !== 0) expect(errorLines(r.stderr).ok, `${label}: ${r.stderr}`).toBe(true)
      expect(r.stdout + r.stderr, label).toContain(shown)
    }
  })

  it('on a terminal', () => {
    for (const [label, args, status, shown] of humanRuns()) {
      const r = inTerminal(args, {cols: 400})
      expect(r.status, `${label}: ${r.out}`).toBe(status)
      expectNoRaw(r.out, label)
      expect(r.out, label).toContain(shown)
    }
  })
})

describe('data formats: exact in a pipe, escaped on a terminal', () => {
  it('json, csv and yaml of the list commands', () => {
    const json = runCli(['user', 'list', '--bolt-path', file, '--json'])
    expect(json.status, json.stderr).toBe(0)
    expectNoRaw(json.stdout, 'user list --json') // JSON escapes them (\u001b, \u202e, \u009b ...)
    expect((JSON.parse(json.stdout) as Array<{name: string}>).map((u) => u.name)).toEqual([ADMIN, OPS])

    const csv = runCli(['user', 'list', '--bolt-path', file, '--format', 'csv'])
    expect(parseCsv(csv.stdout).slice(1).map((r) => r.fields[1])).toEqual([ADMIN, OPS])
    const yaml = runCli(['auth', 'list', '--bolt-path', file, '--format', 'yaml'])
    expect((parseYaml(yaml.stdout) as Array<{description: string; userName: string; orgName: string}>)[0]).toMatchObject({description: DESC, userName: ADMIN, orgName: ORG_NAME})
    const authJson = runCli(['auth', 'list', '--bolt-path', file, '--json'])
    expectNoRaw(authJson.stdout, 'auth list --json')
    expect((JSON.parse(authJson.stdout) as Array<{description: string}>)[0]!.description).toBe(DESC)

    for (const args of [
      ['user', 'list', '--bolt-path', file, '--format', 'csv'], ['user', 'list', '--bolt-path', file, '--format', 'yaml'],
      ['org', 'list', '--bolt-path', file, '--format', 'csv'], ['auth', 'list', '--bolt-path', file, '--format', 'csv'],
      ['auth', 'list', '--bolt-path', file, '--format', 'yaml'], ['auth', 'list', '--bolt-path', file, '--json'], ['user', 'list', '--bolt-path', file, '--json'],
    ]) {
      const t = inTerminal(args, {cols: 400})
      expect(t.status, t.out).toBe(0)
      expectNoRaw(t.out, args.join(' '))
    }
  })

  it('auth export --output -: exact in a pipe; on a terminal asked first, then escaped', async () => {
    for (const format of ['csv', 'env', 'yaml', 'json']) {
      const piped = runCli(['auth', 'export', '--bolt-path', file, '--output', '-', '--format', format])
      expect(piped.status, piped.stderr).toBe(0)
      if (format === 'csv') expect(parseCsv(piped.stdout)[1]!.fields[2]).toBe(DESC)
      if (format === 'env') expectNoRaw(piped.stdout, 'env comments') // the description is only in a comment line
      if (format === 'json' || format === 'yaml') expectNoRaw(piped.stdout, `${format} export`) // \u escapes in both

      const t = await interactInTerminal(['auth', 'export', '--bolt-path', file, '--output', '-', '--format', format], [{when: '[y/N]', send: 'y\r'}])
      expect(t.status, t.out).toBe(0)
      expect(t.out).toContain('print the plaintext of every raw token to this terminal')
      expect(t.out).toContain(TOKENS.operator)
      expectNoRaw(t.out, `export ${format} on a terminal`)
      // only csv holds them raw (json and yaml write \u escapes, env has them in comments only, escaped)
      expect(t.out.includes('shown escaped on a terminal'), format).toBe(format === 'csv')
    }
  })
})

describe('prompts', () => {
  it('the interactive picker offers the names escaped', async () => {
    const r = await interactInTerminal(
      ['auth', 'create', '--bolt-path', file, '--read-buckets', '--no-hashed', '--no-backup'],
      [{when: 'Which user?', send: '\r'}, {when: 'Which org?', send: '\r'}],
    )
    expect(r.status, r.out).toBe(0)
    expectNoRaw(r.out, 'picker')
    expect(r.out).toContain('"adm\\u001b[2J\\u001b[Hin\\u001b]0;pwned-title\\u0007\\u202egnp.exe"')
    expect(r.out).toContain('"org\\u001b]2;pwned-title2\\u001b\\\\\\x9b2J\\x85')
  })

  it('the password prompt names the user escaped', async () => {
    const r = await interactInTerminal(
      ['user', 'set-password', '--bolt-path', file, '--username', ADMIN, '--no-backup'],
      [{when: 'New password for', send: 'correct horse\r'}, {when: 'Confirm password', send: 'correct horse\r'}],
    )
    expect(r.status, r.out).toBe(0)
    expectNoRaw(r.out, 'password prompt')
    expect(r.out).toContain('New password for adm\\x1b[2J\\x1b[Hin\\x1b]0;pwned-title\\x07\\u202egnp.exe')
  })

  it('the confirmation shows the path escaped; answering no writes nothing', async () => {
    const before = fs.readFileSync(file)
    const r = await interactInTerminal(['auth', 'restore-plaintext', '--bolt-path', file, '--from', textWithToken], [{when: '[y/N]', send: 'n\r'}])
    expect(r.status, r.out).toBe(1)
    expectNoRaw(r.out, 'confirmation')
    expect(r.out).toMatch(/store 1 token as plaintext again .* in .*d\\x1b\]0;pwned-title\\x07ir/)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })
})
