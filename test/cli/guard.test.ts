// The guard end to end on copies of the real files: the drop-in `guard
// install` writes, checked by systemd itself (systemd-analyze verify) and
// its ExecStartPre line split by systemd and executed as systemd would run
// it (prefix stripped, working directory /, a bare environment, umask 000);
// captures, non-captures, problems that must never stop influxd; status,
// uninstall, the container recipes and doctor's guard line.
import {spawn, spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {DROP_IN_NAME, splitExecLine} from '../../src/platform/systemd.js'
import {tokenFingerprint} from '../../src/influxd/token.js'
import {ageDecryptCli, ageKeygen, ageVersion, type AgeKey} from '../helpers/age.js'
import {copyInto, holdFlock, lines, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_CUSTOM = '08371deae98c8000'
const FIX_TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]
const CLI = [process.execPath, path.join(ROOT, 'bin/run.js')]
/** what systemd gives a service: no HOME, no user PATH */
const SYSTEMD_ENV = {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8'}

let tmp: string
let key: AgeKey
let key2: AgeKey
/** a directory name systemd needs quoting and escaping for: a space, a specifier, a variable */
let data: string
let db: string
let sd: string
let exportDir: string
let recipientsFile: string

beforeAll(() => {
  ageVersion()
  const v = spawnSync('systemd-analyze', ['--version'])
  if (v.error) throw new Error('systemd-analyze is missing: install the Debian package "systemd" (CI does, through .ci/run)')
})

beforeEach(() => {
  tmp = makeTempDir('ir-guard-')
  key = ageKeygen(tmp, 'ops')
  key2 = ageKeygen(tmp, 'backup')
  data = path.join(tmp, 'influx data %i $HOME')
  fs.mkdirSync(data)
  db = copyInto(V29, data, 'influxd.bolt')
  sd = path.join(tmp, 'systemd')
  fs.mkdirSync(sd, {mode: 0o755})
  exportDir = path.join(tmp, 'state', 'exports')
  recipientsFile = path.join(tmp, 'recipients.txt')
  fs.writeFileSync(recipientsFile, `# ops and the offline backup key\n${key.recipient}\n${key2.recipient}\n`, {mode: 0o644})
})
afterEach(() => removeDir(tmp))

function install(extra: string[] = [], opts: {env?: Record<string, string>} = {}): CliResult {
  return runCli(['guard', 'install', '--systemd-dir', sd, '--bolt-path', db, '--export-dir', exportDir, ...extra], opts)
}

const dropIn = (unit = 'influxdb.service') => path.join(sd, `${unit}.d`, DROP_IN_NAME)

/** The ExecStartPre= value of the drop-in, as written. */
function execStartPre(): string {
  const line = fs.readFileSync(dropIn(), 'utf8').split('\n').find((l) => l.startsWith('ExecStartPre='))
  expect(line).toBeDefined()
  return line!.slice('ExecStartPre='.length)
}

/**
 * The drop-in's command line as systemd parses it: systemd-analyze verify
 * (with debug logging it dumps the loaded unit) beside a minimal
 * influxdb.service. Its dump quotes a word with double quotes and escapes
 * \ " ` $ with a backslash; `$$` is what systemd turns into `$` when it runs
 * the command. Also returns what verify printed at the normal log level.
 */
function systemdArgv(): {argv: string[]; warnings: string} {
  const unit = path.join(sd, 'influxdb.service')
  if (!fs.existsSync(unit)) fs.writeFileSync(unit, '[Unit]\nDescription=InfluxDB (test)\n[Service]\nExecStart=/bin/true\n')
  const plain = spawnSync('systemd-analyze', ['verify', unit], {encoding: 'utf8'})
  expect(plain.status).toBe(0)
  const dump = spawnSync('systemd-analyze', ['verify', unit], {encoding: 'utf8', env: {...process.env, SYSTEMD_LOG_LEVEL: 'debug'}})
  const all = `${dump.stdout}${dump.stderr}`.split('\n')
  const at = all.findIndex((l) => l.trim() === '-> ExecStartPre:')
  expect(at).toBeGreaterThan(0)
  const m = /^\s*Command Line: (.*)$/.exec(all[at + 1]!)
  expect(m).not.toBeNull()
  const words: string[] = []
  const s = m![1]!
  for (let i = 0; i < s.length;) {
    if (s[i] === ' ') {
      i++
      continue
    }
    let w = ''
    if (s[i] === '"') {
      for (i++; s[i] !== '"'; i++) {
        if (s[i] === '\\') i++
        w += s[i]
      }
      i++
    } else for (; i < s.length && s[i] !== ' '; i++) w += s[i]
    words.push(w.replace(/\$\$/g, '$'))
  }
  return {argv: words, warnings: `${plain.stdout}${plain.stderr}`}
}

/** Runs the drop-in's command as systemd would: "-+" stripped, split by systemd, cwd /, bare environment, umask 000. */
function runAsSystemd(): Promise<CliResult> {
  expect(execStartPre().startsWith('-+/')).toBe(true)
  const {argv} = systemdArgv()
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', ...argv], {cwd: '/', env: SYSTEMD_ENV, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.once('error', reject)
    child.once('close', (code) => {
      const stdoutBytes = Buffer.concat(out)
      resolve({status: code ?? -1, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes, ms: performance.now() - start})
    })
  })
}

function exportsIn(dir = exportDir): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []
}

function manifestOf(name: string): {fingerprints: string[]; count: number; txid: number; recipients: string[]; sha256: string; bytes: number} {
  return JSON.parse(fs.readFileSync(path.join(exportDir, name.replace(/\.yaml(\.age)?$/, '.manifest.json')), 'utf8'))
}

/** The tokens of an export, decrypted by the age CLI. */
function tokensOf(name: string, identity = key): string[] {
  const text = ageDecryptCli(path.join(exportDir, name), [identity.identityFile]).toString('utf8')
  expect(text).toMatch(/^variant: sha256\nexported:\n/)
  return [...text.matchAll(/^ {4}token: (\S+)$/gm)].map((m) => m[1]!)
}

/** Checks the one-problem contract: exit 0, nothing on stdout, exactly one line on stderr. */
function oneProblem(r: CliResult, pattern: RegExp): void {
  expect(r.status).toBe(0)
  expect(r.stdout).toBe('')
  expect(lines(r.stderr)).toHaveLength(1)
  expect(r.stderr).toMatch(/^influx-recover guard: /)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr).not.toContain('    at ')
}

describe('guard install', () => {
  it('writes the drop-in: one ExecStartPre=-+ line running this CLI; the export directory 0700; idempotent', () => {
    const r = install(['--recipients-file', recipientsFile, '--recipient', key.recipient], {env: {}})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`installed ${dropIn()}`)
    expect(r.stdout).toContain('next: systemctl daemon-reload')
    const text = fs.readFileSync(dropIn(), 'utf8')
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual(['[Service]', `ExecStartPre=${execStartPre()}`, ''])
    expect(splitExecLine(execStartPre().slice(2))).toEqual([
      ...CLI, 'guard', 'run', '--bolt-path', db, '--export-dir', exportDir, '--recipient', key.recipient, '--recipients-file', recipientsFile,
    ])
    expect(fs.statSync(dropIn()).mode & 0o777).toBe(0o644)
    expect(fs.statSync(exportDir).mode & 0o777).toBe(0o700)
    const again = install(['--recipients-file', recipientsFile, '--recipient', key.recipient])
    expect(again.status).toBe(0)
    expect(again.stdout).toContain(`already installed, unchanged: ${dropIn()}`)
    expect(fs.readFileSync(dropIn(), 'utf8')).toBe(text)
    // other values replace the line
    const other = install(['--recipient', key2.recipient])
    expect(other.stdout).toContain(`updated ${dropIn()}`)
    expect(execStartPre()).toContain(key2.recipient)
    expect(execStartPre()).not.toContain(key.recipient)
    expect(fs.readdirSync(path.dirname(dropIn()))).toEqual([DROP_IN_NAME])
  })

  it('systemd accepts the drop-in (systemd-analyze verify) and splits its line back into exactly our words', () => {
    expect(install(['--recipients-file', recipientsFile]).status).toBe(0)
    const {argv, warnings} = systemdArgv()
    expect(warnings).toBe('')
    expect(argv).toEqual([...CLI, 'guard', 'run', '--bolt-path', db, '--export-dir', exportDir, '--recipients-file', recipientsFile])
    // the directory's space, %i and $HOME needed quoting and escaping
    expect(execStartPre()).toContain('"')
    expect(execStartPre()).toContain('%%i $$HOME')
  })

  it('refuses without a recipient (exit 2) unless --plaintext-exports; never both; --dry-run writes nothing', () => {
    const none = install()
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/refusing to install a guard without a recipient/)
    expect(install(['--plaintext-exports', '--recipient', key.recipient]).status).toBe(2)
    const bad = install(['--recipient', 'age1nope'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--recipient 1: age1nope: not a valid age recipient/)
    const secret = fs.readFileSync(key.identityFile, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET'))!
    const leaked = install(['--recipient', secret])
    expect(leaked.status).toBe(2)
    expect(leaked.stderr).not.toContain(secret.slice(15))
    const dry = install(['--recipient', key.recipient, '--dry-run'])
    expect(dry.status).toBe(0)
    expect(dry.stdout).toContain(`# would write ${dropIn()} (nothing was written):`)
    expect(dry.stdout).toContain('ExecStartPre=-+')
    expect(fs.existsSync(path.dirname(dropIn()))).toBe(false)
    expect(fs.existsSync(exportDir)).toBe(false)
    const plain = install(['--plaintext-exports'])
    expect(plain.status).toBe(0)
    expect(plain.stdout).toContain('in PLAINTEXT (--plaintext-exports)')
    expect(execStartPre()).toMatch(/ --plaintext-exports$/)
  })

  it('a recipients file others can write is refused (the guard runs as root and would trust it)', () => {
    fs.chmodSync(recipientsFile, 0o666)
    const r = install(['--recipients-file', recipientsFile])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/writable by its group or others \(mode 666\)/)
    expect(fs.existsSync(dropIn())).toBe(false)
  })

  it('never replaces or removes a drop-in it did not write', () => {
    fs.mkdirSync(path.dirname(dropIn()))
    fs.writeFileSync(dropIn(), '[Service]\nExecStartPre=/bin/true\n')
    const r = install(['--recipient', key.recipient])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/exists and was not written by influx-recover/)
    const u = runCli(['guard', 'uninstall', '--systemd-dir', sd])
    expect(u.status).toBe(1)
    expect(fs.readFileSync(dropIn(), 'utf8')).toBe('[Service]\nExecStartPre=/bin/true\n')
  })

  it('under umask 000 the drop-in is still 0644, its directory 0755 and the export directory 0700', () => {
    const r = spawnSync('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', ...CLI, 'guard', 'install', '--systemd-dir', sd, '--bolt-path', db, '--export-dir', exportDir, '--recipient', key.recipient], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    expect(r.status).toBe(0)
    expect(fs.statSync(dropIn()).mode & 0o777).toBe(0o644)
    expect(fs.statSync(path.dirname(dropIn())).mode & 0o777).toBe(0o755)
    expect(fs.statSync(exportDir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.dirname(exportDir)).mode & 0o777).toBe(0o700)
  })
})

describe('the drop-in run as systemd runs it', () => {
  it('first start captures every raw token (encrypted, 0600 in 0700 under umask 000); the next captures nothing; the database is never changed', async () => {
    expect(install(['--recipients-file', recipientsFile]).status).toBe(0)
    fs.rmSync(path.dirname(exportDir), {recursive: true}) // the run creates it too
    const before = sha256(db)
    const first = await runAsSystemd()
    expect(first.status).toBe(0)
    expect(first.stderr).toBe('')
    expect(lines(first.stdout)).toHaveLength(1)
    expect(first.stdout).toMatch(/^influx-recover guard: captured 2 raw token\(s\) of .* \(2 new\) in .*\.yaml\.age, encrypted to 2 recipient\(s\)\n$/)
    const files = exportsIn()
    expect(files).toHaveLength(2)
    const [manifest, exported] = files as [string, string]
    expect(exported).toMatch(/^\d{8}T\d{6}Z-131\.yaml\.age$/)
    expect(manifest).toBe(exported.replace('.yaml.age', '.manifest.json'))
    expect(fs.statSync(exportDir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.dirname(exportDir)).mode & 0o777).toBe(0o700)
    for (const f of files) expect(fs.statSync(path.join(exportDir, f)).mode & 0o777).toBe(0o600)
    // both keys of the recipients file decrypt it with the stock age CLI
    expect(tokensOf(exported).sort()).toEqual([...FIX_TOKENS].sort())
    expect(tokensOf(exported, key2).sort()).toEqual([...FIX_TOKENS].sort())
    const m = manifestOf(exported)
    expect(m).toMatchObject({count: 2, txid: 131, recipients: [key.recipient, key2.recipient], bytes: fs.statSync(path.join(exportDir, exported)).size})
    expect(m.fingerprints).toEqual(FIX_TOKENS.map(tokenFingerprint).sort())
    expect(JSON.stringify(m)).not.toContain(FIX_TOKENS[0]!.slice(0, 20))
    expect(sha256(db)).toBe(before)

    const second = await runAsSystemd()
    expect(second.status).toBe(0)
    expect(second.stderr).toBe('')
    expect(second.stdout).toBe(`influx-recover guard: all 2 raw token(s) of ${db} are in ${exported}: nothing written\n`)
    expect(exportsIn()).toEqual(files)
    expect(sha256(db)).toBe(before)
  })

  it('after a rotate, and after a new token, the next start captures again (every raw token, the new ones included)', async () => {
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    expect((await runAsSystemd()).stdout).toMatch(/captured 2 raw token/)
    const rotated = runCli(['auth', 'rotate', '--bolt-path', db, '--id', FIX_CUSTOM, '--yes', '--no-backup', '--json'])
    expect(rotated.status).toBe(0)
    const newToken = (JSON.parse(rotated.stdout) as {token: string}).token
    // (a second can pass between two captures' names)
    const r1 = await runAsSystemd()
    expect(r1.stdout).toMatch(/captured 2 raw token\(s\) of .* \(1 new\)/)
    const exports1 = exportsIn().filter((f) => f.endsWith('.age'))
    expect(exports1).toHaveLength(2)
    expect(tokensOf(exports1[1]!).sort()).toEqual([FIX_TOKENS[0]!, newToken].sort())
    expect((await runAsSystemd()).stdout).toMatch(/nothing written/)

    const created = runCli(['auth', 'create', '--bolt-path', db, '--org', 'myorg', '--user', 'testuser', '--read-bucket', '7451ab8b9b7df592', '--no-backup', '--json'])
    expect(created.status).toBe(0)
    const third = (JSON.parse(created.stdout) as {token: string}).token
    const r2 = await runAsSystemd()
    expect(r2.stdout).toMatch(/captured 3 raw token\(s\) of .* \(1 new\)/)
    const exports2 = exportsIn().filter((f) => f.endsWith('.age'))
    expect(exports2).toHaveLength(3)
    expect(tokensOf(exports2[2]!).sort()).toEqual([FIX_TOKENS[0]!, newToken, third].sort())
    // a deleted token does not make a new export: every raw token is still in the newest
    expect(runCli(['auth', 'delete', '--bolt-path', db, '--id', FIX_CUSTOM, '--yes', '--no-backup']).status).toBe(0)
    expect((await runAsSystemd()).stdout).toMatch(/all 2 raw token\(s\) .* nothing written/)
    expect(exportsIn().filter((f) => f.endsWith('.age'))).toEqual(exports2)
  })

  it('an export whose manifest is missing or no longer matches counts as not captured', async () => {
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    await runAsSystemd()
    const [manifest, exported] = exportsIn() as [string, string]
    fs.appendFileSync(path.join(exportDir, exported), 'x')
    const before = new Set(exportsIn())
    expect((await runAsSystemd()).stdout).toMatch(/captured 2 raw token/)
    // the new one (within the same second and txid it is named …-TXID-2, which sorts first)
    const newest = exportsIn().find((f) => f.endsWith('.age') && !before.has(f))!
    fs.rmSync(path.join(exportDir, newest.replace('.yaml.age', '.manifest.json')))
    expect((await runAsSystemd()).stdout).toMatch(/captured 2 raw token/)
    expect(exportsIn()).toContain(manifest)
  })

  it('--plaintext-exports writes <time>-<txid>.yaml, 0600', async () => {
    expect(install(['--plaintext-exports']).status).toBe(0)
    const r = await runAsSystemd()
    expect(r.stdout).toMatch(/captured 2 raw token\(s\) .*\.yaml, PLAINTEXT \(--plaintext-exports\)/)
    const exported = exportsIn().find((f) => f.endsWith('.yaml'))!
    expect(fs.statSync(path.join(exportDir, exported)).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(path.join(exportDir, exported), 'utf8')).toContain(`token: ${FIX_TOKENS[0]}`)
  })

  it('a file with no raw token (all hashed) captures nothing', async () => {
    expect(runCli(['auth', 'hash-upgrade', '--bolt-path', db, '--skip-export', '--yes', '--no-backup']).status).toBe(0)
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    const r = await runAsSystemd()
    expect(r.stdout).toBe(`influx-recover guard: ${db} holds no raw token: nothing to capture\n`)
    expect(exportsIn()).toEqual([])
  })
})

describe('guard run: every problem exits 0 with one line and changes nothing', () => {
  beforeEach(() => {
    expect(install(['--recipients-file', recipientsFile]).status).toBe(0)
  })

  it('locked by a running influxd: waits at most 1 s', async () => {
    const before = sha256(db)
    const holder = await holdFlock(db)
    try {
      const r = await runAsSystemd()
      oneProblem(r, /is locked by another process \(a running influxd\?\) after waiting 1 s: nothing captured/)
      expect(r.ms).toBeGreaterThanOrEqual(1000)
      // 1 s of waiting plus start-up: far from influx-recover's own lock timeouts (a pure time budget, wide for loaded machines)
      expect(r.ms).toBeLessThan(8000)
    } finally {
      await holder.release()
    }
    expect(exportsIn()).toEqual([])
    expect(sha256(db)).toBe(before)
  })

  it('missing database: never created', async () => {
    fs.rmSync(db)
    oneProblem(await runAsSystemd(), /no database at .*influxd\.bolt \(yet\): nothing to capture/)
    expect(fs.existsSync(db)).toBe(false)
    expect(exportsIn()).toEqual([])
  })

  it('damaged database (both meta pages zeroed, or a damaged tree)', async () => {
    const fd = fs.openSync(db, 'r+')
    fs.writeSync(fd, Buffer.alloc(8192), 0, 8192, 0)
    fs.closeSync(fd)
    const before = sha256(db)
    oneProblem(await runAsSystemd(), /cannot read .*influxd\.bolt: .*nothing captured/)
    expect(sha256(db)).toBe(before)
    // the root branch page overwritten: the consistency check of the token buckets refuses it
    copyInto(V29, data, 'influxd.bolt')
    const f2 = fs.openSync(db, 'r+')
    fs.writeSync(f2, Buffer.alloc(16, 0xff), 0, 16, 8 * 4096)
    fs.closeSync(f2)
    const before2 = sha256(db)
    oneProblem(await runAsSystemd(), /(does not pass the consistency check|cannot read)/)
    expect(sha256(db)).toBe(before2)
    expect(exportsIn()).toEqual([])
  })

  it('unusable export directory: a file, world-writable, a symlink, not ours', async () => {
    fs.rmSync(exportDir, {recursive: true})
    fs.writeFileSync(exportDir, 'not a directory')
    oneProblem(await runAsSystemd(), /the export directory .* is not a directory; nothing captured/)
    expect(fs.readFileSync(exportDir, 'utf8')).toBe('not a directory')
    fs.rmSync(exportDir)

    fs.mkdirSync(exportDir)
    fs.chmodSync(exportDir, 0o777)
    oneProblem(await runAsSystemd(), /is writable by its group or others \(mode 777\)/)
    expect(exportsIn()).toEqual([])
    fs.rmdirSync(exportDir)

    const elsewhere = path.join(tmp, 'elsewhere')
    fs.mkdirSync(elsewhere, {mode: 0o700})
    fs.symlinkSync(elsewhere, exportDir)
    oneProblem(await runAsSystemd(), /is a symlink: refusing to follow it/)
    expect(fs.readdirSync(elsewhere)).toEqual([])
    fs.rmSync(exportDir)

    fs.mkdirSync(exportDir, {mode: 0o700})
    fs.chownSync(exportDir, 65534, 65534)
    oneProblem(await runAsSystemd(), /belongs to uid 65534, not to this user/)
    expect(exportsIn()).toEqual([])
  })

  it('a recipients file made writable by others after install, or emptied: one line, nothing captured', async () => {
    fs.chmodSync(recipientsFile, 0o646)
    oneProblem(await runAsSystemd(), /recipients file .* is writable by its group or others \(mode 646\): anyone could add a key to it; nothing captured/)
    fs.chmodSync(recipientsFile, 0o644)
    fs.writeFileSync(recipientsFile, '# everyone left\n')
    oneProblem(await runAsSystemd(), /holds no recipient; nothing captured/)
    fs.writeFileSync(recipientsFile, 'age1broken\n')
    oneProblem(await runAsSystemd(), /line 1: age1broken: not a valid age recipient/)
    expect(exportsIn()).toEqual([])
  })

  it('bad arguments: one line, exit 0, no argument echoed', () => {
    const r = runCli(['guard', 'run', '--bolt-path', db, '--token', 'SECRET-VALUE', '--recipient', key.recipient])
    oneProblem(r, /unknown flag --token/)
    expect(r.stderr).not.toContain('SECRET-VALUE')
    oneProblem(runCli(['guard', 'run', '--bolt-path', db]), /no recipient .* refusing to write a plaintext export/)
    oneProblem(runCli(['guard', 'run', '--bolt-path', db, 'SECRET-VALUE', '--plaintext-exports']), /unexpected argument \(not shown\)/)
  })
})

describe('guard run starts fast', () => {
  it('loads neither oclif nor the YAML library nor the age library when there is nothing to capture; age only when it captures', () => {
    // every file Node compiles or loads (CommonJS: the bundle and its lazy parts are CommonJS)
    const hook = path.join(tmp, 'hook.cjs')
    const log = path.join(tmp, 'loaded.txt')
    fs.writeFileSync(hook, `const M = require('node:module'); const fs = require('node:fs')
for (const ext of Object.keys(M._extensions)) { const orig = M._extensions[ext]; M._extensions[ext] = function (m, f) { fs.appendFileSync(${JSON.stringify(log)}, f + '\\n'); return orig.call(this, m, f) } }
`)
    const run = (): string => {
      fs.rmSync(log, {force: true})
      const r = spawnSync(process.execPath, ['--require', hook, ...CLI.slice(1), 'guard', 'run', '--bolt-path', db, '--export-dir', exportDir, '--recipient', key.recipient], {encoding: 'utf8'})
      expect(r.status).toBe(0)
      return fs.readFileSync(log, 'utf8')
    }
    const capturing = run()
    expect(capturing).toContain('/dist/guard-run.cjs')
    expect(capturing).toContain('/dist/lazy-age-encryption.cjs')
    const idle = run()
    expect(idle).toContain('/dist/guard-run.cjs')
    for (const heavy of ['/dist/influx-recover.cjs', '/node_modules/@oclif/', 'age-encryption', 'yaml', 'proper-lockfile']) expect(idle).not.toContain(heavy)
  })
})

describe('guard status and uninstall', () => {
  it('status: exit 1 while raw tokens are not captured, 0 once they are; the drop-in runs this CLI; --json', async () => {
    const none = runCli(['guard', 'status', '--systemd-dir', sd, '--bolt-path', db, '--export-dir', exportDir])
    expect(none.status).toBe(1)
    expect(none.stdout).toContain(`drop-in:     not installed (${dropIn()})`)
    expect(none.stdout).toMatch(/raw tokens: {2}2, 2 NOT captured/)
    expect(install(['--recipients-file', recipientsFile]).status).toBe(0)
    expect(runCli(['guard', 'status', '--systemd-dir', sd]).status).toBe(1)
    await runAsSystemd()
    const r = runCli(['guard', 'status', '--systemd-dir', sd])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`drop-in:     installed: ${dropIn()} (runs this influx-recover)`)
    expect(r.stdout).toContain(`database:    ${db}`)
    expect(r.stdout).toMatch(/^ {2}\d{8}T\d{6}Z-131\.yaml\.age {2}\S+ {2}2 token\(s\), txid 131, encrypted to 2 recipient\(s\)$/m)
    expect(r.stdout).toMatch(/raw tokens: {2}2, all captured in \d{8}T\d{6}Z-131\.yaml\.age/)
    const j = runCli(['guard', 'status', '--systemd-dir', sd, '--json'])
    expect(j.status).toBe(0)
    const doc = JSON.parse(j.stdout)
    expect(doc).toMatchObject({boltPath: db, exportDir, exportDirMode: '700', rawTokens: 2, uncaptured: 0, dropIn: {installed: true, ours: true, runsThisCli: true, programExists: true, recipientsFiles: [recipientsFile]}})
    expect(doc.exports).toEqual([expect.objectContaining({tokens: 2, txid: 131, encrypted: true, recipients: 2, problem: null})])
    // a changed export is named, and no longer counts
    fs.appendFileSync(path.join(exportDir, doc.exports[0].file), 'x')
    const changed = runCli(['guard', 'status', '--systemd-dir', sd])
    expect(changed.status).toBe(1)
    expect(changed.stdout).toContain('the export differs from its manifest (changed or damaged)')
  })

  it('status while influxd holds the file: everything else shown, exit 3', async () => {
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    const holder = await holdFlock(db)
    try {
      const r = runCli(['guard', 'status', '--systemd-dir', sd, '--lock-timeout', '0'])
      expect(r.status).toBe(3)
      expect(r.stdout).toContain('drop-in:     installed')
      expect(r.stdout).toMatch(/raw tokens: {2}unknown: .* is in use/)
    } finally {
      await holder.release()
    }
  })

  it('uninstall removes the drop-in (and its empty directory), keeps the exports and says where', async () => {
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    await runAsSystemd()
    const files = exportsIn()
    const dry = runCli(['guard', 'uninstall', '--systemd-dir', sd, '--dry-run'])
    expect(dry.stdout).toContain('would remove')
    expect(fs.existsSync(dropIn())).toBe(true)
    const r = runCli(['guard', 'uninstall', '--systemd-dir', sd])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`removed ${dropIn()}`)
    expect(r.stdout).toContain(`the exports are kept in ${exportDir}`)
    expect(r.stdout).toContain('next: systemctl daemon-reload')
    expect(fs.existsSync(path.dirname(dropIn()))).toBe(false)
    expect(exportsIn()).toEqual(files)
    const again = runCli(['guard', 'uninstall', '--systemd-dir', sd])
    expect(again.status).toBe(0)
    expect(again.stdout).toMatch(/^not installed/)
  })
})

describe('guard install --print', () => {
  it('docker: stop, a one-shot capture on the container\'s volumes, a status check', () => {
    const r = runCli(['guard', 'install', '--print', 'docker', '--recipient', key.recipient, '--recipients-file', recipientsFile])
    expect(r.status).toBe(0)
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}).version
    const mounts = '--volumes-from influxdb -v /var/lib/influx-recover/exports:/exports node:20-slim'
    expect(r.stdout).toBe([
      '# Before changing the image tag of "influxdb": capture every raw token from its volumes.',
      'docker stop influxdb',
      `docker run --rm ${mounts} npx --yes influx-recover@${version} guard run --bolt-path /var/lib/influxdb2/influxd.bolt --export-dir /exports --recipient ${key.recipient} --recipient ${key2.recipient}`,
      '# exit 0: every raw token is captured; then change the tag and start the container again',
      `docker run --rm ${mounts} npx --yes influx-recover@${version} guard status --bolt-path /var/lib/influxdb2/influxd.bolt --export-dir /exports`,
      '',
    ].join('\n'))
    const custom = runCli(['guard', 'install', '--print', 'docker', '--plaintext-exports', '--container', 'my influx', '--image', 'registry.local/influx-recover:1', '--export-dir', '/srv/exports'])
    expect(lines(custom.stdout)[2]).toBe("docker run --rm --volumes-from 'my influx' -v /srv/exports:/exports registry.local/influx-recover:1 influx-recover guard run --bolt-path /var/lib/influxdb2/influxd.bolt --export-dir /exports --plaintext-exports")
    expect(fs.readdirSync(sd)).toEqual([])
  })

  it('kubernetes: an initContainer on the data volume', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}).version
    const r = runCli(['guard', 'install', '--print', 'kubernetes', '--recipient', key.recipient])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe([
      '# Add to the InfluxDB pod\'s spec (the influxdata/influxdb2 chart names its volume "data").',
      '# It runs before every start of influxd and captures every raw token not yet in the newest export.',
      'initContainers:',
      '  - name: influx-recover-guard',
      '    image: "node:20-slim"',
      `    command: ["npx", "--yes", "influx-recover@${version}", "guard", "run", "--bolt-path", "/var/lib/influxdb2/influxd.bolt", "--export-dir", "/var/lib/influxdb2/influx-recover-exports", "--recipient", "${key.recipient}"]`,
      '    env:',
      '      - {name: HOME, value: /tmp}',
      '      - {name: npm_config_cache, value: /tmp/.npm}',
      '    volumeMounts:',
      '      - {name: "data", mountPath: "/var/lib/influxdb2"}',
      '',
    ].join('\n'))
    const custom = runCli(['guard', 'install', '--print', 'kubernetes', '--recipient', key.recipient, '--image', 'registry.local/influx-recover:1', '--volume', 'influxdb-data', '--bolt-path', '/data/influxd.bolt'])
    expect(custom.stdout).toContain(`    command: ["influx-recover", "guard", "run", "--bolt-path", "/data/influxd.bolt", "--export-dir", "/data/influx-recover-exports", "--recipient", "${key.recipient}"]`)
    expect(custom.stdout).toContain('      - {name: "influxdb-data", mountPath: "/data"}')
    expect(custom.stdout).not.toContain('npm_config_cache')
    expect(runCli(['guard', 'install', '--print', 'kubernetes']).status).toBe(2)
  })
})

describe('doctor: the guard line', () => {
  const guardCheck = (file: string): {verdict: string; message: string; hint?: string} =>
    JSON.parse(runCli(['doctor', '--bolt-path', file, '--json'], {env: {INFLUX_RECOVER_SYSTEMD_DIR: sd}}).stdout).checks.find((c: {name: string}) => c.name === 'guard')

  it('2.8+ file with raw tokens: WARN suggesting guard install, PASS once installed and captured', async () => {
    const warn = guardCheck(db)
    expect(warn.verdict).toBe('WARN')
    expect(warn.message).toMatch(/^not installed; 2 of 2 raw token\(s\) not captured .*influxd 2\.9 hashes them at its next start$/)
    expect(warn.hint).toContain('influx-recover guard install --recipient')
    expect(install(['--recipient', key.recipient]).status).toBe(0)
    expect(guardCheck(db).verdict).toBe('WARN')
    await runAsSystemd()
    const pass = guardCheck(db)
    expect(pass.verdict).toBe('PASS')
    expect(pass.message).toMatch(new RegExp(`^installed \\(${dropIn().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\); all 2 raw token\\(s\\) captured in `))
  })

  it('an older file keeps its tokens raw: PASS, saying to capture them before upgrading', () => {
    const old = copyInto(V27, tmp, 'old.bolt')
    const c = guardCheck(old)
    expect(c.verdict).toBe('PASS')
    expect(c.message).toMatch(/capture them before upgrading to 2\.9/)
  })
})
