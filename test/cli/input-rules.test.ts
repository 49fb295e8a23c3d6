// The input rules (issue 13, defects 8-11; docs/output-and-input.md): secrets
// that are not valid UTF-8, unusable chosen tokens and new names with control
// characters or white space around them are refused with exit 2, one line,
// the value never echoed and the file unchanged; a short chosen token is
// accepted with a warning; `--output -` on a terminal asks first; the list
// filters exit 2 for a malformed ID and 5 for names and IDs that do not exist.
import * as fs from 'node:fs'
import * as path from 'node:path'

import bcrypt from 'bcryptjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DB} from '../../src/bbolt/index.js'
import {checkChosenToken, checkNewName, nameProblem, tokenProblem} from '../../src/recovery/input-rules.js'
import {errorLines, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {buildInfluxFile, operatorPerms, ORG, TOKENS, USER} from '../helpers/influx-builder.js'
import {inTerminal, interactInTerminal} from '../helpers/terminal.js'

let tmp: string
let file: string
const OTHER = '0b0b0b0b0b0b0b0b'

beforeAll(() => {
  tmp = makeTempDir('ir-input-')
  file = path.join(tmp, 'influxd.bolt')
  buildInfluxFile(file, {
    migrations: 21,
    users: [{id: USER, name: 'admin'}, {id: OTHER, name: 'idle'}],
    orgs: [{id: ORG, name: 'acme'}],
    owners: [{userID: USER, orgID: ORG}],
    tokens: [{id: '0c00000000001000', token: TOKENS.operator, description: 'op', orgID: ORG, userID: USER, perms: operatorPerms('2.2+')}],
  })
})
afterAll(() => removeDir(tmp))

function secretFile(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name)
  fs.writeFileSync(p, content, {mode: 0o600})
  return p
}

/** A refusal: exit 2, one Error line (and a hint), the file unchanged, `secret` (if given) nowhere in the output. */
function expectRefused(args: string[], opts: {input?: string | Buffer; message: RegExp; secret?: string}): void {
  const before = sha256(file)
  const r = runCli(args, {input: opts.input})
  expect(r.status, r.stderr).toBe(2)
  const e = errorLines(r.stderr)
  expect(e.ok, r.stderr).toBe(true)
  expect(e.error).toMatch(opts.message)
  if (opts.secret !== undefined) expect(r.stdout + r.stderr).not.toContain(opts.secret)
  expect(sha256(file)).toBe(before)
}

const op = (...more: string[]): string[] => ['auth', 'create-operator', '--bolt-path', file, '--username', 'admin', '--org', 'acme', '--no-backup', ...more]

describe('secrets must be valid UTF-8 (defect 8)', () => {
  const invalid = Buffer.concat([Buffer.from('secret-part-'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('-more-text\n')])

  it('--token-stdin and --token-file', () => {
    expectRefused(op('--token-stdin'), {input: invalid, message: /^Error: the token on stdin is not valid UTF-8 text; nothing was written$/, secret: 'secret-part'})
    expectRefused(op('--token-file', secretFile('bad-token', invalid)), {message: /the token in the file is not valid UTF-8 text/, secret: 'secret-part'})
  })

  it('--password-stdin and --password-file (user set-password, user create)', () => {
    expectRefused(['user', 'set-password', '--bolt-path', file, '--username', 'admin', '--password-stdin'], {input: invalid, message: /the password on stdin is not valid UTF-8 text/, secret: 'secret-part'})
    expectRefused(['user', 'set-password', '--bolt-path', file, '--username', 'admin', '--password-file', secretFile('bad-pw', invalid)], {message: /the password in the file is not valid UTF-8 text/, secret: 'secret-part'})
    expectRefused(['user', 'create', '--bolt-path', file, '--username', 'new', '--password-stdin'], {input: invalid, message: /not valid UTF-8/, secret: 'secret-part'})
  })

  it('valid UTF-8 is kept exactly, a leading BOM included', () => {
    const pw = '\ufeffpässwörd-ok'
    const r = runCli(['user', 'set-password', '--bolt-path', file, '--username', 'idle', '--password-stdin', '--json', '--no-backup'], {input: `${pw}\n`})
    expect(r.status, r.stderr).toBe(0)
    // the stored hash is of exactly those bytes
    const db = DB.open(file, {readOnly: true})
    const hash = db.view((tx) => tx.bucket(Buffer.from('userspasswordv1'))!.get(Buffer.from(OTHER))!.toString('utf8'))
    db.close()
    expect(bcrypt.compareSync(pw, hash)).toBe(true)
    expect(bcrypt.compareSync(pw.slice(1), hash)).toBe(false)
  })
})

describe('chosen tokens (defect 9)', () => {
  for (const [what, token, message] of [
    ['a leading space', ' leading-space-token-value', /begins or ends with white space/],
    ['a trailing space', 'trailing-space-token-value ', /begins or ends with white space/],
    ['a trailing tab', 'trailing-tab-token-value\t', /control, line-break or bidi character|white space/],
    ['a line break inside', 'two-lines\nof-token-value', /control, line-break or bidi character/],
    ['an escape sequence', 'esc\x1b[2J-token-value', /control, line-break or bidi character/],
    ['a bidi override', 'rlo\u202e-token-value', /control, line-break or bidi character/],
    ['DEL', 'del\x7f-token-value', /control, line-break or bidi character/],
  ] as const) {
    it(`refuses ${what} (exit 2, never echoed)`, () => {
      // from a file: stdin would take only the first line
      expectRefused(op('--token-file', secretFile('chosen', `${token}\n`)), {message, secret: token.trim()})
    })
  }

  it('refuses them for auth create and auth rotate too', () => {
    expectRefused(['auth', 'create', '--bolt-path', file, '--user', 'admin', '--org', 'acme', '--read-buckets', '--token-stdin'], {input: ' spaced-token-value-x\n', message: /white space/})
    expectRefused(['auth', 'rotate', '--bolt-path', file, '--id', '0c00000000001000', '--yes', '--token-stdin'], {input: 'tab\tinside-token-value\n', message: /control/})
  })

  it('a chosen token shorter than 16 bytes is stored with a warning', () => {
    const r = runCli(op('--token-stdin', '--json'), {input: 'short-tok-1\n'})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/warning: the chosen token is 11 bytes long/)
    expect(r.stderr).not.toContain('short-tok-1')
    expect((JSON.parse(r.stdout) as {token: string}).token).toBe('short-tok-1')
    const long = runCli(op('--token-stdin', '--json'), {input: 'sixteen-bytes-ok\n'})
    expect(long.status, long.stderr).toBe(0)
    expect(long.stderr).not.toMatch(/warning/)
  })

  it('the rules as functions', () => {
    expect(tokenProblem('fine-token')).toBeUndefined()
    expect(tokenProblem('')).toMatch(/empty/)
    expect(tokenProblem('\u00a0nbsp')).toMatch(/white space/)
    expect(tokenProblem('ls\u2028')).toMatch(/line-break/)
    const warned: string[] = []
    checkChosenToken('é'.repeat(8), (l) => warned.push(l)) // 16 bytes in UTF-8
    checkChosenToken('é'.repeat(7), (l) => warned.push(l))
    expect(warned).toHaveLength(1)
    expect(() => checkChosenToken(' x', () => {})).toThrow(/white space/)
  })
})

describe('new user names (defect 9)', () => {
  for (const [what, name, message] of [
    ['a line break', 'new\nuser', /control, line-break or bidi character/],
    ['an escape sequence', 'new\x1b]0;title\x07user', /control, line-break or bidi character/],
    ['a bidi override', 'new\u202euser', /control, line-break or bidi character/],
    ['a C1 control', 'new\u0085user', /control, line-break or bidi character/],
    ['a leading space', ' admin', /begins or ends with white space/],
    ['a trailing space', 'admin ', /begins or ends with white space/],
    ['nothing', '', /cannot be empty/],
  ] as const) {
    it(`user create refuses ${what} (exit 2)`, () => {
      expectRefused(['user', 'create', '--bolt-path', file, '--username', name, '--password-file', secretFile('pw', 'a-good-password\n')], {message})
    })
  }

  it('the rules as functions (for every command that names a new user or org)', () => {
    expect(nameProblem('ops team', 'org')).toBeUndefined()
    expect(nameProblem('日本', 'user')).toBeUndefined()
    expect(nameProblem('x\t', 'org')).toMatch(/^the org name holds a control/)
    expect(() => checkNewName('  ', 'org')).toThrow(/white space/)
  })
})

describe('auth export --output - on a terminal asks first (defect 10)', () => {
  it('no terminal to ask on: exit 2, nothing printed; --yes prints; a pipe is not asked', () => {
    const refused = inTerminal(['auth', 'export', '--bolt-path', file, '--output', '-'], {stdinNull: true})
    expect(refused.status, refused.out).toBe(2)
    expect(refused.out).toMatch(/refusing to print the plaintext of every raw token to the terminal without confirmation/)
    expect(refused.out).not.toContain(TOKENS.operator)
    const yes = inTerminal(['auth', 'export', '--bolt-path', file, '--output', '-', '--yes'], {stdinNull: true})
    expect(yes.status, yes.out).toBe(0)
    expect(yes.out).toContain(TOKENS.operator)
    expect(yes.out).not.toMatch(/\[y\/N\]/)
    const piped = runCli(['auth', 'export', '--bolt-path', file, '--output', '-'])
    expect(piped.status, piped.stderr).toBe(0)
    expect(piped.stdout).toContain(TOKENS.operator)
  })

  it('answering no prints nothing', async () => {
    const r = await interactInTerminal(['auth', 'export', '--bolt-path', file, '--output', '-', '--format', 'env'], [{when: '[y/N]', send: 'n\r'}])
    expect(r.status, r.out).toBe(1)
    expect(r.out).toMatch(/cancelled: nothing was printed/)
    expect(r.out).not.toContain(TOKENS.operator)
  })

  it('auth rescue --output - the same', () => {
    const text = secretFile('configs', `token = "${TOKENS.operator}"\n`)
    const refused = inTerminal(['auth', 'rescue', '--bolt-path', file, '--from', text, '--output', '-'], {stdinNull: true})
    expect(refused.status, refused.out).toBe(2)
    expect(refused.out).not.toContain(TOKENS.operator)
  })
})

describe('list filters (defect 11)', () => {
  it('--id that is not an ID exits 2; an ID, user or org that does not exist exits 5 naming what exists', () => {
    for (const json of [false, true]) {
      const extra = json ? ['--json'] : []
      const bad = runCli(['auth', 'list', '--bolt-path', file, '--id', 'zzzz', ...extra])
      expect(bad.status).toBe(2)
      expect(errorLines(bad.stderr).error).toMatch(/invalid --id "zzzz"/)
      const none = runCli(['auth', 'list', '--bolt-path', file, '--id', '0000000000000001', ...extra])
      expect(none.status).toBe(5)
      expect(errorLines(none.stderr).error).toMatch(/authorization 0000000000000001 does not exist/)
      const user = runCli(['auth', 'list', '--bolt-path', file, '--user', 'nosuch', ...extra])
      expect(user.status).toBe(5)
      expect(errorLines(user.stderr).error).toBe('Error: user "nosuch" does not exist; the users in the file: "admin", "idle"')
      const org = runCli(['auth', 'list', '--bolt-path', file, '--org', 'nosuch', ...extra])
      expect(org.status).toBe(5)
      expect(errorLines(org.stderr).error).toMatch(/org "nosuch" does not exist; the orgs in the file: "acme"/)
      if (json) for (const r of [bad, none, user, org]) expect(JSON.parse(r.stdout)).toMatchObject({error: {exitCode: r.status}})
      else for (const r of [bad, none, user, org]) expect(r.stdout).toBe('')
    }
  })

  it('names and IDs that exist: the matching tokens, none at all is still exit 0', () => {
    const byId = runCli(['auth', 'list', '--bolt-path', file, '--id', '0C00000000001000', '--json'])
    expect(byId.status, byId.stderr).toBe(0)
    expect((JSON.parse(byId.stdout) as Array<{id: string}>).map((t) => t.id)).toEqual(['0c00000000001000'])
    const idle = runCli(['auth', 'list', '--bolt-path', file, '--user', 'idle', '--org', 'acme', '--json'])
    expect(idle.status, idle.stderr).toBe(0)
    expect(JSON.parse(idle.stdout)).toEqual([])
  })
})
