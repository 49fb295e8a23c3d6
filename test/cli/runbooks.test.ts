// The runbooks, followed to the letter on copies of the real files.
//
// Every "## N. Title" in docs/runbooks.md is one runbook (the README keeps a
// short form of each: the same number and title, commands that are steps of
// the full one). Its
// "_Tested on …_" line says what it starts from, its ```sh blocks hold the
// steps: "$ command" lines, each followed by the output it prints. This test
// extracts them, runs every `influx-recover` step with runCliMerged in order on a
// private copy and checks exit code and output; so a runbook whose command or
// output drifts from what the tool really does fails here.
//
// The conventions (also described in docs/runbooks.md, "How the runbooks are tested"):
//
// * Only `influx-recover …` steps are run. Their stdin is the argument of a
//   leading `printf '%s\n' ARG |` or a `< FILE` redirect, empty otherwise.
//   A trailing `# … exit N …` comment is the exit code they must return (else 0).
// * Everything else is never run: only the programs in NOT_RUN may appear
//   (so a misspelt `influx-recover` fails instead of being skipped).
//   A few are modelled, because later steps depend on what they do:
//     - `systemctl start|stop|restart influxdb`, `docker start|stop`, `kill`,
//       `kubectl … scale … --replicas=N`: a running influxd is an exclusive
//       flock on the file (held by flock(1)), taken on start, released on stop;
//       a systemctl start first runs the ExecStartPre= line of the guard's
//       drop-in when `guard install` wrote one (as systemd does);
//     - a start whose comment says `first start of 2.9`: also hashes every raw
//       token as influxd 2.9 does, without scrubbing (auth hash-upgrade
//       --skip-export --no-scrub --no-backup --yes);
//     - `influxd downgrade …`: what influxd downgrade 2.4 does to the auth
//       schema: a backup copy <file>.v2.9.1-pre-2.4-downgrade.backup, then
//       bucket authorizationhashedindexv1 and migration record 21 deleted;
//     - `influxd recovery org create --org NAME …`: what influxd 2.9.1's
//       recovery command writes (the tenant service without the storage
//       layer): the org and its _tasks and _monitoring buckets with random
//       IDs and a shard-group duration of 0, no database in meta.db, no owner;
//     - `sleep N`: ages the lock directory of a killed run by N seconds (until
//       then it is kept as fresh as if the run had just been killed);
//     - `export NAME=VALUE` and `read -rs NAME   # … <capture>` (or `# … 'value'`):
//       set NAME for later `$NAME` / `"$NAME"` in commands.
// * `age-keygen …` steps are run (in the working directory) and their output
//   compared like influx-recover's.
// * Paths: the copy lives under a temporary root R, at R + the path the
//   "Tested on" line names (default /var/lib/influxdb/influxd.bolt); every
//   `/var/lib/influxdb…`, `/var/lib/influx-recover…` and `/etc/systemd/system…`
//   in a command is rewritten to R/…, and R is removed from the output before
//   comparing; the guard's defaults point there too (INFLUX_RECOVER_SYSTEMD_DIR,
//   INFLUX_RECOVER_EXPORT_DIR). INFLUXD_BOLT_PATH points at the
//   copy (standing in for the service's config that `locate` reads on a real
//   server); the working directory is R/root.
// * Output lines are compared with runs of blanks collapsed to one space.
//   `…` matches any text; a line that is just `…` stands for lines left out.
//   `<name>` matches one run of non-blank characters that changes on every run
//   (a new ID, token, time) and remembers it: later commands may use `<name>`.
//   Every shown line must appear in the output (stdout and stderr as one stream,
//   in the order a terminal shows them); when a step shows no `…` line,
//   its output must also have no other line.
// * "_Tested on … held by a running influxd_" starts with influxd "running";
//   "… with the lock directory of a killed run" leaves FILE.influx-recover.lock
//   behind first; "_Tested on the files left by runbook N_" continues where
//   runbook N ended (file, backups, exports and variables, influxd running or not).
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {DROP_IN_NAME, splitExecLine} from '../../src/platform/systemd.js'

import {type CliResult, type FlockHolder, holdFlock, makeTempDir, removeDir, runCliMerged} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

const DEFAULT_AT = '/var/lib/influxdb/influxd.bolt'

/** Programs of steps that are shown but never run (nor modelled). */
const NOT_RUN = ['apt-get', 'docker', 'exit', 'fuser', 'influx', 'journalctl', 'kubectl', 'lsof', 'npm', 'systemctl']

interface Step {
  /** the command as written after "$ " */
  line: string
  /** the shown output lines (influx-recover steps only) */
  expected: string[]
}

interface Runbook {
  number: number
  title: string
  fixture?: string
  at: string
  held: boolean
  staleLock: boolean
  after?: number
  steps: Step[]
}

/** The runbooks of docs/runbooks.md, in order. */
function parseRunbooks(doc: string): Runbook[] {
  const books: Runbook[] = []
  for (const part of doc.split(/\n(?=## \d+\. )/).slice(1)) {
    const head = /^## (\d+)\. (.+)/.exec(part)
    if (!head) continue
    const tested = /^_Tested on (.+)_$/m.exec(part)
    if (!tested) throw new Error(`runbook ${head[1]} has no "_Tested on …_" line`)
    const t = tested[1]
    const book: Runbook = {
      number: Number(head[1]),
      title: head[2],
      fixture: /a copy of `([^`]+\.bolt)`/.exec(t)?.[1],
      at: /\bat `(\/[^`]+)`/.exec(t)?.[1] ?? DEFAULT_AT,
      held: /held by a running influxd/.test(t),
      staleLock: /lock directory of a killed run/.test(t),
      after: ((m) => (m ? Number(m[1]) : undefined))(/left by runbook (\d+)/.exec(t)),
      steps: [],
    }
    if (!book.fixture && book.after === undefined) throw new Error(`runbook ${book.number}: "_Tested on_" names neither a fixture nor a runbook`)
    for (const block of part.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
      let step: Step | undefined
      for (const l of block[1].split('\n')) {
        if (l.startsWith('$ ')) {
          step = {line: l.slice(2), expected: []}
          book.steps.push(step)
        } else if (l.startsWith('#') || l.trim() === '') {
          continue
        } else if (step) {
          step.expected.push(l)
        }
      }
    }
    books.push(book)
  }
  return books
}

/** Splits a command line like sh would (quotes, $VAR), leaving the rest alone. */
function shellWords(line: string, vars: Record<string, string>, strict = true): string[] {
  const words: string[] = []
  let cur: string | undefined
  const expand = (s: string): string => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, n: string) => {
    if (n in vars) return vars[n]
    if (strict) throw new Error(`$${n} is used before a step sets it`)
    return m
  })
  for (let i = 0; i < line.length; ) {
    const c = line[i]
    if (c === ' ' || c === '\t') {
      if (cur !== undefined) words.push(cur)
      cur = undefined
      i++
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1)
      if (j < 0) throw new Error(`unbalanced ' in: ${line}`)
      cur = (cur ?? '') + line.slice(i + 1, j)
      i = j + 1
    } else if (c === '"') {
      const j = line.indexOf('"', i + 1)
      if (j < 0) throw new Error(`unbalanced " in: ${line}`)
      cur = (cur ?? '') + expand(line.slice(i + 1, j))
      i = j + 1
    } else {
      let j = i
      while (j < line.length && !" \t'\"".includes(line[j])) j++
      cur = (cur ?? '') + expand(line.slice(i, j))
      i = j
    }
  }
  if (cur !== undefined) words.push(cur)
  return words
}

/** The command and its trailing comment (a `#` after a blank, outside quotes). */
function splitComment(line: string): {cmd: string; comment: string} {
  let q: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (q) {
      if (c === q) q = undefined
    } else if (c === "'" || c === '"') {
      q = c
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ')) {
      return {cmd: line.slice(0, i).trim(), comment: line.slice(i + 1).trim()}
    }
  }
  return {cmd: line.trim(), comment: ''}
}

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ')
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** One shown line as a regex: `…` any text, `<name>` a non-blank run (captured). */
function lineMatcher(shown: string): {re: RegExp; names: string[]} {
  const names: string[] = []
  let src = ''
  for (const part of norm(shown).split(/(…|<[a-z][a-z0-9-]*>)/)) {
    if (part === '…') src += '.*?'
    else if (/^<[a-z][a-z0-9-]*>$/.test(part)) {
      names.push(part.slice(1, -1))
      src += '(\\S+?)'
    } else src += escapeRe(part)
  }
  return {re: new RegExp(`^${src}$`), names}
}

interface World {
  root: string
  file: string
  home: string
  vars: Record<string, string>
  captures: Record<string, string>
  holder?: FlockHolder
  /** a killed run's lock directory that has not aged yet (kept fresh until a `sleep`) */
  killedRunLock?: boolean
}

const rewritePath = (w: World, s: string): string => s
  .replaceAll('/var/lib/influxdb', `${w.root}/var/lib/influxdb`)
  .replaceAll('/var/lib/influx-recover', `${w.root}/var/lib/influx-recover`)
  .replaceAll('/etc/systemd/system', `${w.root}/etc/systemd/system`)

const systemdDir = (w: World): string => path.join(w.root, 'etc/systemd/system')

function withCaptures(w: World, s: string): string {
  return s.replace(/<([a-z][a-z0-9-]*)>/g, (m, n: string) => {
    if (!(n in w.captures)) throw new Error(`${m} is used before an output shows it`)
    return w.captures[n]
  })
}

function cli(w: World, args: string[], input?: string): CliResult {
  // stdout and stderr in one stream, in the order a terminal shows them
  return runCliMerged(args, {cwd: w.home, input, env: {
    INFLUXD_BOLT_PATH: w.file, HOME: w.home,
    INFLUX_RECOVER_SYSTEMD_DIR: systemdDir(w), INFLUX_RECOVER_EXPORT_DIR: path.join(w.root, 'var/lib/influx-recover/exports'),
  }})
}

/** What systemd runs before influxd when the guard is installed: its drop-in's ExecStartPre= line, prefix stripped. */
function runGuardDropIn(w: World): void {
  const file = path.join(systemdDir(w), 'influxdb.service.d', DROP_IN_NAME)
  if (!fs.existsSync(file)) return
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('ExecStartPre='))!
  const argv = splitExecLine(line.slice('ExecStartPre='.length).replace(/^[-@:+!]+/, ''))
  const r = spawnSync(argv[0]!, argv.slice(1), {cwd: '/', encoding: 'utf8', env: {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}})
  if (r.status !== 0 || r.stderr !== '') throw new Error(`model of the guard's ExecStartPre failed: exit ${r.status}\n${r.stdout}${r.stderr}`)
}

function describeRun(cmd: string, r: CliResult, root: string): string {
  const clean = (s: string): string => s.replaceAll(root, '')
  return `$ ${cmd}\n--- exit ${r.status}; stdout:\n${clean(r.stdout)}--- stderr:\n${clean(r.stderr)}`
}

/** Checks the shown lines against the real output and remembers the `<name>` values. */
function checkOutput(w: World, step: Step, r: CliResult): void {
  const actual = `${r.stdout}\n${r.stderr}`.replaceAll(w.root, '').split('\n').map(norm).filter((l) => l.length > 0)
  const used = new Set<number>()
  const shown = step.expected.filter((l) => norm(l) !== '…')
  const complete = shown.length === step.expected.length
  let after = -1
  for (const l of shown) {
    const {re, names} = lineMatcher(l)
    // in the order printed: stdout and stderr as one stream, as on a terminal
    const i = actual.findIndex((a, k) => k > after && re.test(a))
    expect(i, `runbook line not in the output, or not in this order: ${JSON.stringify(l)}\n${describeRun(step.line, r, w.root)}`).toBeGreaterThanOrEqual(0)
    after = i
    used.add(i)
    const m = re.exec(actual[i])!
    names.forEach((n, k) => {
      w.captures[n] = m[k + 1]
    })
  }
  if (complete) {
    const extra = actual.filter((_, k) => !used.has(k))
    expect(extra, `output lines the runbook does not show (add them or a "…" line)\n${describeRun(step.line, r, w.root)}`).toEqual([])
  }
}

async function setLock(w: World, running: boolean): Promise<void> {
  if (running && !w.holder) w.holder = await holdFlock(w.file)
  if (!running && w.holder) {
    await w.holder.release()
    w.holder = undefined
  }
}

function must(r: CliResult, what: string): void {
  if (r.status !== 0) throw new Error(`model of ${what} failed: exit ${r.status}\n${r.stdout}${r.stderr}`)
}

/** Steps that are not influx-recover: modelled when later steps depend on them, else skipped. */
async function model(w: World, cmd: string, comment: string): Promise<void> {
  const words = shellWords(cmd.replace(/^sudo (-\S+ \S+ )?/, ''), w.vars, false)
  const [prog, sub] = words
  const svc = (prog === 'systemctl' && words[2] === 'influxdb') || prog === 'docker' ? sub : undefined
  if (svc === 'start' || svc === 'restart') {
    // systemd runs ExecStartPre= before influxd (and before 2.9 hashes anything)
    if (prog === 'systemctl') {
      await setLock(w, false)
      runGuardDropIn(w)
    }
    if (/first start of 2\.9/.test(comment)) {
      await setLock(w, false)
      must(cli(w, ['auth', 'hash-upgrade', '--bolt-path', w.file, '--skip-export', '--no-scrub', '--no-backup', '--yes']), '2.9 hashing')
    }
    await setLock(w, true)
  } else if (svc === 'stop' || prog === 'kill') {
    await setLock(w, false)
  } else if (prog === 'kubectl' && words.includes('scale')) {
    const n = /--replicas=(\d+)/.exec(cmd)
    if (!n) throw new Error(`kubectl scale without --replicas=N: ${cmd}`)
    await setLock(w, Number(n[1]) > 0)
  } else if (prog === 'influxd' && sub === 'downgrade') {
    fs.copyFileSync(w.file, `${w.file}.v2.9.1-pre-2.4-downgrade.backup`)
    const ops = path.join(w.root, 'downgrade-ops.jsonl')
    fs.writeFileSync(ops, '{"op":"delete-bucket","path":["authorizationhashedindexv1"]}\n{"op":"delete","path":["migrationsv1"],"key":"0000000000000015"}\n')
    must(cli(w, ['bolt', 'apply', w.file, '--ops', ops, '--yes', '--no-backup']), 'influxd downgrade')
    fs.rmSync(ops)
  } else if (prog === 'influxd' && sub === 'recovery' && words[2] === 'org' && words[3] === 'create') {
    const name = words[words.indexOf('--org') + 1]
    if (name === undefined) throw new Error(`influxd recovery org create without --org: ${cmd}`)
    // random IDs without the bytes 0x5C, 0x2C, 0x20, as influxd draws them
    const id = (): string => Buffer.from(randomBytes(8).map((b) => (b === 0x5c || b === 0x2c || b === 0x20 ? b + 1 : b))).toString('hex')
    // the two bucket IDs in one order (_tasks first), so the runbook's lines, listed by
    // ID as every command lists buckets, come in the order it shows them
    const [org, tasks, monitoring] = [id(), ...[id(), id()].sort()]
    const t = new Date().toISOString()
    const put = (bucket: string, key: string, value: string): string => `${JSON.stringify({op: 'put', path: [bucket], key, value})}\n`
    const bucket = (bid: string, n: string, retention: string, description: string): string =>
      `{"id":"${bid}","orgID":"${org}","type":1,"name":"${n}","description":"${description}","retentionPeriod":${retention},"shardGroupDuration":0,"createdAt":"${t}","updatedAt":"${t}"}`
    const ops = path.join(w.root, 'recovery-org-ops.jsonl')
    fs.writeFileSync(ops, [
      put('organizationsv1', org, `{"id":"${org}","name":${JSON.stringify(name)},"description":"","createdAt":"${t}","updatedAt":"${t}"}`),
      put('organizationindexv1', name.trim(), org),
      put('bucketsv1', tasks, bucket(tasks, '_tasks', '259200000000000', 'System bucket for task logs')),
      put('bucketindexv1', `${org}_tasks`, tasks),
      put('bucketsv1', monitoring, bucket(monitoring, '_monitoring', '604800000000000', 'System bucket for monitoring logs')),
      put('bucketindexv1', `${org}_monitoring`, monitoring),
    ].join(''))
    must(cli(w, ['bolt', 'apply', w.file, '--ops', ops, '--yes', '--no-backup']), 'influxd recovery org create')
    fs.rmSync(ops)
  } else if (prog === 'sleep') {
    w.killedRunLock = false
    const dir = `${w.file}.influx-recover.lock`
    if (fs.existsSync(dir)) {
      const t = fs.statSync(dir).mtime.getTime() / 1000 - Number(sub)
      fs.utimesSync(dir, t, t)
    }
  } else if (prog === 'export' && cmd.includes('=')) {
    const eq = cmd.indexOf('=')
    const name = cmd.slice('export '.length, eq).trim()
    w.vars[name] = rewritePath(w, shellWords(withCaptures(w, cmd.slice(eq + 1)), w.vars).join(' '))
  } else if (prog === 'export') {
    // `export NAME`: the test passes no variable to influx-recover, nothing to do
  } else if (prog === 'read') {
    const cap = /<([a-z][a-z0-9-]*)>/.exec(comment)
    const literal = /'([^']+)'/.exec(comment)
    if (!cap && !literal) throw new Error(`"read" step without the <capture> or 'value' it stands for in its comment: ${cmd}`)
    w.vars[words.at(-1)!] = cap ? withCaptures(w, cap[0]) : literal![1]
  } else {
    // a typo such as "influx-recovr" must not turn a step into one that is silently skipped
    expect(NOT_RUN, `a step the test neither runs nor knows: ${cmd}`).toContain(prog)
  }
}

async function runStep(w: World, step: Step): Promise<'run' | 'model'> {
  const {cmd, comment} = splitComment(step.line)
  const exit = Number(/\bexit (\d+)\b/.exec(comment)?.[1] ?? 0)
  const pipe = cmd.split(' | ')
  const last = pipe.at(-1)!.replace(/^sudo /, '')
  if (last.startsWith('age-keygen ')) {
    const r = spawnSync('age-keygen', shellWords(rewritePath(w, withCaptures(w, last)), w.vars).slice(1), {cwd: w.home, encoding: 'utf8'})
    const res: CliResult = {status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, stdoutBytes: Buffer.from(r.stdout), ms: 0}
    expect(res.status, `exit code of a runbook step\n${describeRun(step.line, res, w.root)}`).toBe(exit)
    checkOutput(w, step, res)
    return 'run'
  }
  if (!last.startsWith('influx-recover ')) {
    expect(step.expected.length === 0 || pipe.length === 1, `a pipe into something else: ${cmd}`).toBe(true)
    await model(w, cmd, comment)
    return 'model'
  }
  let input: string | undefined
  let words = shellWords(rewritePath(w, withCaptures(w, last)), w.vars).slice(1)
  const lt = words.indexOf('<')
  if (lt >= 0) {
    input = fs.readFileSync(path.resolve(w.home, words[lt + 1]), 'utf8')
    words = [...words.slice(0, lt), ...words.slice(lt + 2)]
  }
  if (pipe.length === 2) {
    const producer = shellWords(withCaptures(w, pipe[0]), w.vars)
    if (producer[0] !== 'printf' || producer[1] !== '%s\\n' || producer.length !== 3) throw new Error(`only printf '%s\\n' ARG | influx-recover … is modelled: ${cmd}`)
    input = `${producer[2]}\n`
  } else if (pipe.length > 2) throw new Error(`pipes of more than two commands are not modelled: ${cmd}`)
  const lockDir = `${w.file}.influx-recover.lock`
  if (w.killedRunLock && fs.existsSync(lockDir)) {
    const now = Date.now() / 1000
    fs.utimesSync(lockDir, now, now)
  }
  const r = cli(w, words, input)
  expect(r.status, `exit code of a runbook step\n${describeRun(step.line, r, w.root)}`).toBe(exit)
  checkOutput(w, step, r)
  return 'run'
}

const runbooksDoc = fs.readFileSync(path.join(ROOT, 'docs/runbooks.md'), 'utf8')
const books = parseRunbooks(runbooksDoc)
const ended = new Map<number, {root: string; vars: Record<string, string>; captures: Record<string, string>; running: boolean}>()
const roots: string[] = []
afterAll(() => roots.forEach(removeDir))

/** The README's short runbooks: "### N. Title" under "## Runbooks", with the command lines of their sh blocks. */
function readmeRunbooks(readme: string): Array<{number: number; title: string; commands: string[]}> {
  const start = readme.indexOf('\n## Runbooks\n')
  if (start < 0) throw new Error('README.md has no "## Runbooks" section')
  const rest = readme.slice(start + 1)
  const end = rest.indexOf('\n## ', 3)
  const section = end < 0 ? rest : rest.slice(0, end)
  return section.split(/\n(?=### \d+\. )/).slice(1).map((part) => {
    const head = /^### (\d+)\. (.+)/.exec(part)!
    const commands: string[] = []
    for (const block of part.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
      for (const l of block[1].split('\n')) if (l.trim() !== '' && !l.startsWith('#')) commands.push(l.replace(/^\$ /, ''))
    }
    return {number: Number(head[1]), title: head[2], commands}
  })
}

/** A command as a runbook shows it, without its trailing comment and with blanks collapsed. */
const bare = (line: string): string => splitComment(line).cmd.replace(/\s+/g, ' ').trim()

describe('runbooks, followed on copies of the real files', () => {
  it('docs/runbooks.md has the runbooks, each with steps that are run', () => {
    expect(books.map((b) => b.number)).toEqual(books.map((_, i) => i + 1))
    expect(books.length).toBeGreaterThanOrEqual(7)
    for (const b of books) expect(b.steps.filter((s) => /(^|\| )(sudo )?influx-recover /.test(s.line)).length, b.title).toBeGreaterThan(0)
  })

  it('the README has each runbook in short: same number and title, every command a step of the full runbook', () => {
    const short = readmeRunbooks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
    expect(short.map((b) => `${b.number}. ${b.title}`)).toEqual(books.map((b) => `${b.number}. ${b.title}`))
    for (const b of short) {
      expect(b.commands.length, `README runbook ${b.number} shows no command`).toBeGreaterThan(0)
      const steps = new Set(books[b.number - 1]!.steps.map((s) => bare(s.line)))
      for (const c of b.commands) expect(steps.has(bare(c)), `README runbook ${b.number}: ${JSON.stringify(c)} is not a step of docs/runbooks.md's`).toBe(true)
    }
  })

  it('the conventions: `…`, `<name>`, blanks, quotes, $VAR and the exit comment', () => {
    const m = lineMatcher('<id>  testuser\'s Token   …  <token>')
    expect(m.names).toEqual(['id', 'token'])
    expect(m.re.exec(norm("0a1b  testuser's Token  a b c  X==="))?.slice(1)).toEqual(['0a1b', 'X==='])
    expect(m.re.test(norm("0a1b  testuser's Tokens  X"))).toBe(false)
    expect(lineMatcher('exact').re.test('exact and more')).toBe(false)
    expect(shellWords(`printf '%s\\n' "$T" x'y z'`, {T: 'a b'})).toEqual(['printf', '%s\\n', 'a b', 'xy z'])
    expect(() => shellWords('echo $UNSET', {})).toThrow(/before a step sets it/)
    expect(splitComment(`influx-recover doctor   # exit 3 while 'influxd' runs`)).toEqual({cmd: 'influx-recover doctor', comment: "exit 3 while 'influxd' runs"})
    expect(splitComment(`printf '%s # not a comment'`).comment).toBe('')
  })

  for (const book of books) {
    it(`${book.number}. ${book.title}`, async () => {
      const root = makeTempDir('ir-runbook-')
      roots.push(root)
      let w: World
      if (book.after !== undefined) {
        const prev = ended.get(book.after)
        if (!prev) throw new Error(`runbook ${book.number} continues runbook ${book.after}, which did not finish`)
        fs.cpSync(prev.root, root, {recursive: true})
        // the guard's drop-in names the files by absolute path: point it at the copies
        for (const d of fs.existsSync(path.join(root, 'etc/systemd/system')) ? fs.readdirSync(path.join(root, 'etc/systemd/system')) : []) {
          const f = path.join(root, 'etc/systemd/system', d, DROP_IN_NAME)
          if (fs.existsSync(f)) fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replaceAll(prev.root, root))
        }
        w = {root, file: '', home: path.join(root, 'root'), vars: {}, captures: {...prev.captures}}
        for (const [k, v] of Object.entries(prev.vars)) w.vars[k] = v.replaceAll(prev.root, root)
        w.file = path.join(root, book.at)
        if (prev.running) book.held = true
      } else {
        w = {root, file: path.join(root, book.at), home: path.join(root, 'root'), vars: {}, captures: {}}
        fs.mkdirSync(path.dirname(w.file), {recursive: true})
        fs.mkdirSync(w.home, {recursive: true, mode: 0o700})
        fs.mkdirSync(systemdDir(w), {recursive: true, mode: 0o755})
        fs.copyFileSync(fixture(book.fixture!), w.file)
        fs.chmodSync(w.file, 0o600)
      }
      expect(fs.existsSync(w.file), `runbook ${book.number}: no file at ${book.at}`).toBe(true)
      if (book.staleLock) {
        fs.mkdirSync(`${w.file}.influx-recover.lock`)
        w.killedRunLock = true
      }
      let running = false
      try {
        if (book.held) await setLock(w, true)
        let run = 0
        for (const step of book.steps) if ((await runStep(w, step)) === 'run') run++
        expect(run).toBeGreaterThan(0)
        running = w.holder !== undefined
      } finally {
        await setLock(w, false)
      }
      ended.set(book.number, {root, vars: w.vars, captures: w.captures, running})
    })
  }
})
