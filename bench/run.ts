// Side-by-side benchmark: our engine and CLI against the strongest plain Go
// program doing the same job (Go bbolt 1.3.6 from Debian, the oracle's bench
// programs), or against a reference of our own where the target is one (a
// write against `bolt check` of the same file), on the same machine in the
// same run, alternating, several times. Prints a table of medians and writes
// it, with the commands to reproduce each case and where the time of the
// long cases goes, to bench/results.md.
// Usage: npm run bench [-- --quick] (env BENCH_N, BENCH_RUNS, BENCH_BIG_MB)
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {FIXTURES, ORACLE_BIN, buildOracle} from '../test/helpers/oracle.js'
import {loadAverage, startupCases} from './startup.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CORPUS = path.join(ROOT, 'bench/corpus')
const quick = process.argv.includes('--quick')
const N = Number(process.env.BENCH_N ?? (quick ? 20_000 : 100_000))
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3))
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? (quick ? 0 : 1024))
/** `--startup`: only the start-up cases (BENCH_STARTUP_RUNS pairs each; BENCH_INSTALLED_BIN: an installed tarball's bin, measured too) */
const startupOnly = process.argv.includes('--startup')
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? (quick ? 11 : 31))

interface Sample { ms: number; rssMB?: number; cpuMs?: number; stderr?: string }

function run(cmd: string, args: string[]): Sample & Record<string, unknown> {
  const r = spawnSync(cmd, args, {cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  const line = r.stdout.trim().split('\n').pop()!
  return JSON.parse(line)
}
const ours = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'bench/ts-side.ts', ...args])
const go = (...args: string[]) => run(ORACLE_BIN, args)
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
/**
 * A copy of `src` whose bytes are on disk before a timed run starts: the
 * copy's dirty pages would otherwise be flushed by whichever fdatasync of
 * the run comes first (the same file's), at a moment that depends on the
 * kernel's writeback, and that side would be charged for the copy.
 */
function copyDurable(src: string, dst: string): void {
  fs.copyFileSync(src, dst)
  const fd = fs.openSync(dst, 'r+')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}
const fresh = (name: string): string => {
  const f = path.join(CORPUS, name)
  fs.rmSync(f, {force: true})
  return f
}

interface Row {
  name: string
  /** what the other column is: a Go program, or a reference measured in this run */
  other: string
  go: number[]
  ours: number[]
  rss: number[]
  goRss: number[]
  /** our side's stderr of each run (test-hook reports: phases, decodes) */
  stderr: string[]
  target: string
  /** whether the target is met, from the medians (undefined: reported only) */
  met?: (r: Row) => boolean
  /** the commands that reproduce the case (one run of each side) */
  commands: string[]
  /** a line under the table: why there is no target, what the numbers mean */
  note?: string
  /** the other column is not a run of its own but this reference (ms) */
  reference?: () => number
}
const rows: Row[] = []

interface Case { name: string; other: string; target: string; commands: string[]; met?: (r: Row) => boolean; note?: string }

function bench(c: Case, goSide: (() => Sample) | null, oursSide: () => Sample): Row {
  const row: Row = {...c, go: [], ours: [], rss: [], goRss: [], stderr: []}
  for (let i = 0; i < RUNS; i++) {
    // alternate which side goes first so neither always gets the warmer page cache
    const order = i % 2 === 0 ? ['go', 'ours'] : ['ours', 'go']
    for (const side of order) {
      if (side === 'go') {
        if (goSide === null) continue
        const s = goSide()
        row.go.push(s.ms)
        if (s.rssMB !== undefined) row.goRss.push(s.rssMB)
      } else {
        const s = oursSide()
        row.ours.push(s.ms)
        if (s.rssMB !== undefined) row.rss.push(s.rssMB)
        if (s.stderr !== undefined) row.stderr.push(s.stderr)
      }
    }
    process.stderr.write(`${c.name}: run ${i + 1}/${RUNS}\n`)
  }
  rows.push(row)
  return row
}

// ---- whole processes (the influxd-level cases)
//
// The clock runs from spawn to exit, measured here; stdout goes to /dev/null.
// Peak RSS is the child's maximum resident set as the kernel accounts it
// (getrusage RUSAGE_CHILDREN ru_maxrss), read by GNU time (/usr/bin/time -f
// %M -o FILE) around the child; without GNU time the RSS column stays empty.
const GNU_TIME = ['/usr/bin/time', '/bin/time'].find((t) => spawnSync(t, ['-f', '%M', 'true'], {encoding: 'utf8'}).status === 0)
const RSS_FILE = path.join(CORPUS, '.rss')

function wholeProcess(cmd: string, args: string[], opts: {input?: string; env?: Record<string, string>} = {}): Sample {
  const devnull = fs.openSync('/dev/null', 'w')
  try {
    const argv = GNU_TIME ? ['-f', '%M %U %S', '-o', RSS_FILE, cmd, ...args] : args
    const t = performance.now()
    const r = spawnSync(GNU_TIME ?? cmd, argv, {
      cwd: ROOT, stdio: [opts.input === undefined ? 'ignore' : 'pipe', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26,
      ...(opts.input !== undefined ? {input: opts.input} : {}), env: {...process.env, ...opts.env},
    })
    const ms = performance.now() - t
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
    const [kb, user, sys] = GNU_TIME ? fs.readFileSync(RSS_FILE, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN]
    return {ms, stderr: r.stderr, ...(Number.isFinite(kb) ? {rssMB: Math.round(kb / 102.4) / 10, cpuMs: (user + sys) * 1000} : {})}
  } finally {
    fs.closeSync(devnull)
  }
}
/** Our CLI as an operator runs it, with the test-hook reports on stderr (they cost nothing). */
const cli = (args: string[], input?: string): Sample => wholeProcess(process.execPath, ['bin/run.js', ...args], {input, env: {INFLUX_RECOVER_TEST_HOOKS: 'phase-times,count-decodes'}})
const goWhole = (...args: string[]): Sample => wholeProcess(ORACLE_BIN, args)
const rel = (f: string): string => path.relative(ROOT, f)
const loadavg = (): string => os.loadavg().map((x) => x.toFixed(2)).join(', ')
const loadAtStart = loadavg()

fs.mkdirSync(CORPUS, {recursive: true})
buildOracle()

// ---- start-up: whole runs on the real 2.8-2.9 fixture against node -e 0 (bench/startup.ts)
{
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (built.status !== 0) throw new Error(`build failed: ${built.stdout}${built.stderr}`)
  const loadBefore = loadAverage()
  for (const r of startupCases(ROOT, path.join(FIXTURES, 'influxd-v2.8-v2.9.bolt'), STARTUP_RUNS, process.env.BENCH_INSTALLED_BIN)) {
    rows.push({name: r.name, other: 'node -e 0 (a bare Node start, same machine, alternated)', go: r.base, ours: r.ours, rss: [], goRss: [], stderr: [], target: `ratio ≤ ${r.target}`, met: (row) => median(row.ours) / median(row.go) <= r.target, commands: r.commands})
  }
  process.stderr.write(`load average before / after the start-up cases: ${loadBefore} / ${loadAverage()}\n`)
  if (startupOnly) {
    for (const r of rows) console.log(`${r.name}: ${median(r.ours).toFixed(1)} ms vs ${median(r.go).toFixed(1)} ms = ${(median(r.ours) / median(r.go)).toFixed(2)} (${r.target}: ${r.met!(r) ? 'met' : 'NOT met'})`)
    process.exit(0)
  }
}

const GO_ENGINE = 'Go bbolt 1.3.6 (oracle bench-*)'
const engineCommands = (op: string, file: string, ...rest: string[]): string[] => [
  `test/oracle/bin/oracle bench-${op} ${file}${rest.map((x) => ` ${x}`).join('')}`, `npx tsx bench/ts-side.ts ${op} ${file}${rest.map((x) => ` ${x}`).join('')}`,
]
bench({name: `load ${N} keys (16 B keys, 600 B values) in one transaction`, other: GO_ENGINE, target: 'ratio ≤ 1.5',
  met: (r) => median(r.ours) / median(r.go) <= 1.5, commands: engineCommands('load', 'NEW.bolt', String(N))},
  () => go('bench-load', fresh('go-load.bolt'), String(N)),
  () => ours('load', fresh('ts-load.bolt'), String(N)))

const base = fresh('base.bolt')
go('bench-load', base, String(N))
bench({name: `reopen and iterate ${N} values (touching each value)`, other: GO_ENGINE, target: 'reported, no target',
  commands: engineCommands('iter', rel(base)),
  note: 'Iteration has no target: Go reads the file through mmap without copying (its time is page-table faults), Node has no mmap; a bare loop of readSync into one reused buffer with no engine at all is already ≥ 1.9 × Go (see docs/performance.md).'},
  () => go('bench-iter', base),
  () => ours('iter', base))

bench({name: `update every value in one transaction`, other: GO_ENGINE, target: 'ratio ≤ 1.5',
  met: (r) => median(r.ours) / median(r.go) <= 1.5, commands: engineCommands('update', 'COPY.bolt')},
  () => { const f = fresh('go-update.bolt'); copyDurable(base, f); return go('bench-update', f) },
  () => { const f = fresh('ts-update.bolt'); copyDurable(base, f); return ours('update', f) })

// ---- influxd-level cases: whole processes of the CLI against Go programs
const built = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
if (built.status !== 0) throw new Error(`build failed: ${built.stdout}${built.stderr}`)
const influx = path.join(CORPUS, `influx-${N}.bolt`)
if (!fs.existsSync(influx)) {
  process.stderr.write(`generating an influxd file with ${N} tokens with Go (once; kept in bench/corpus)\n`)
  go('gen-influx', influx, String(N))
}
const influxRel = rel(influx)
const mib = (f: string): string => `${(fs.statSync(f).size / 2 ** 20).toFixed(0)} MiB`

/**
 * Both sides of auth list print the same bytes: asserted before anything is
 * timed, so the Go program is known to do the whole job (names, kind,
 * indentation), no more and no less.
 */
function assertSameListing(file: string): void {
  const goOut = spawnSync(ORACLE_BIN, ['bench-authlist', file], {maxBuffer: 1 << 30})
  const ourOut = spawnSync(process.execPath, ['bin/run.js', 'auth', 'list', '--json', '--bolt-path', file], {cwd: ROOT, maxBuffer: 1 << 30})
  if (goOut.status !== 0 || ourOut.status !== 0) throw new Error(`auth list of ${file} failed: ${goOut.stderr}${ourOut.stderr}`)
  if (!Buffer.from(goOut.stdout).equals(Buffer.from(ourOut.stdout))) throw new Error(`bench-authlist and auth list --json print different bytes for ${file}: the Go side must do exactly our job`)
}

// The reference of the write targets: our consistency check of the same file, a whole process.
const checkRef = bench({name: `bolt check of the ${N}-token file (${mib(influx)}), whole process: the reference of the write targets`, other: '–', target: 'reference',
  commands: [`node bin/run.js bolt check ${influxRel}`]},
  null, () => cli(['bolt', 'check', influxRel]))
// ... and the copy a backup makes (read, write, fsync of the whole file), timed here.
const copyMs: number[] = []
for (let i = 0; i < RUNS; i++) {
  const f = fresh('copy.bolt')
  const t = performance.now()
  copyDurable(influx, f)
  copyMs.push(performance.now() - t)
}

// Tokens to act on, from one listing (untimed): an operator (the guard of
// inactive looks for another), an active and an inactive custom token.
const listed = JSON.parse(spawnSync(process.execPath, ['bin/run.js', 'auth', 'list', '--json', '--bolt-path', influx], {cwd: ROOT, maxBuffer: 1 << 30, encoding: 'utf8'}).stdout) as Array<{id: string; kind: string; status: string}>
const operatorId = listed.find((r) => r.kind === 'operator' && r.status === 'active')!.id
const customId = listed.find((r) => r.kind === 'custom' && r.status === 'active')!.id
const inactiveId = listed.find((r) => r.kind === 'custom' && r.status === 'inactive')!.id
listed.length = 0

const refMs = (): number => median(checkRef.ours)
interface WriteCase { what: string; args: string[]; input?: string; backup?: boolean }
const writes: WriteCase[] = [
  {what: 'auth create-operator', args: ['auth', 'create-operator', '--username', 'admin', '--org', 'myorg']},
  {what: 'auth create --all-access', args: ['auth', 'create', '--username', 'admin', '--org', 'myorg', '--all-access']},
  {what: 'auth rotate', args: ['auth', 'rotate', '--id', customId, '--yes']},
  {what: 'auth inactive of an operator token (the guard looks for another)', args: ['auth', 'inactive', '--id', operatorId, '--yes']},
  {what: 'auth active', args: ['auth', 'active', '--id', inactiveId]},
  {what: 'auth delete', args: ['auth', 'delete', '--id', customId, '--yes']},
  {what: 'user create --password-stdin', args: ['user', 'create', '--username', 'bench-user', '--password-stdin'], input: 'bench-password\n'},
  {what: 'user set-password --password-stdin', args: ['user', 'set-password', '--username', 'admin', '--password-stdin'], input: 'bench-password\n'},
  {what: 'auth create-operator, with the backup copy', args: ['auth', 'create-operator', '--username', 'admin', '--org', 'myorg'], backup: true},
]
for (const w of writes) {
  const flags = w.backup ? ['--backup-dir', rel(CORPUS)] : ['--no-backup']
  const row = bench({
    name: `${w.what}${w.backup ? '' : ' --no-backup'}, ${N}-token file, whole process`,
    other: w.backup ? 'bolt check + the copy (measured in this run)' : 'bolt check of the same file (measured in this run)',
    target: w.backup ? 'ratio ≤ 3 to bolt check + copy' : 'ratio ≤ 3 to bolt check',
    met: (r) => median(r.ours) <= 3 * median(r.go),
    commands: [`cp ${influxRel} COPY.bolt && ${w.input !== undefined ? `printf '${w.input.trimEnd()}\\n' | ` : ''}node bin/run.js ${[...w.args, '--bolt-path', 'COPY.bolt', ...flags].join(' ')}`],
  }, null, () => {
    const f = fresh('write.bolt')
    copyDurable(influx, f)
    for (const old of fs.readdirSync(CORPUS)) if (old.startsWith('write.bolt.') || old === 'influx-recover.audit.jsonl') fs.rmSync(path.join(CORPUS, old), {force: true})
    return cli([...w.args, '--bolt-path', rel(f), ...flags], w.input)
  })
  // the other column: the reference of this run (and the copy, with a backup)
  row.reference = () => refMs() + (w.backup ? median(copyMs) : 0)
}

assertSameListing(influx)
const listSmall = bench({name: `auth list --json, ${N} tokens (${mib(influx)} file), whole process`, other: 'oracle bench-authlist: streaming Go, the same bytes (asserted)', target: 'ratio ≤ 0.8',
  met: (r) => median(r.ours) / median(r.go) <= 0.8,
  commands: [`test/oracle/bin/oracle bench-authlist ${influxRel} > go.json`, `node bin/run.js auth list --json --bolt-path ${influxRel} > ours.json && cmp go.json ours.json`]},
  () => goWhole('bench-authlist', influx),
  () => cli(['auth', 'list', '--json', '--bolt-path', influxRel]))

const hashOnce = (side: 'go' | 'ours'): Sample => {
  const f = fresh(`hash-${side}.bolt`)
  copyDurable(influx, f)
  if (side === 'go') return goWhole('bench-hash', f)
  const exp = fresh('hash-export.yaml')
  return cli(['auth', 'hash-upgrade', '--bolt-path', rel(f), '--export', rel(exp), '--yes', '--no-backup'])
}
const hashRow = bench({name: `auth hash-upgrade of ${N} raw tokens (export, hash, verify, scrub, search; no backup), whole process`,
  other: 'oracle bench-hash: influxd 2.9\'s start-up migration (batches of 100, one fsync\'d transaction each)', target: 'ratio ≤ 0.6',
  met: (r) => median(r.ours) / median(r.go) <= 0.6,
  commands: [`cp ${influxRel} A.bolt && test/oracle/bin/oracle bench-hash A.bolt`, `cp ${influxRel} B.bolt && node bin/run.js auth hash-upgrade --bolt-path B.bolt --export B.yaml --yes --no-backup`]},
  () => hashOnce('go'), () => hashOnce('ours'))

let doctorRow: Row | undefined
if (BIG_MB > 0) {
  const bigInflux = path.join(CORPUS, `influx-${N}-big-${BIG_MB}mb.bolt`)
  if (!fs.existsSync(bigInflux)) {
    process.stderr.write(`generating an influxd file with ${N} tokens and ${BIG_MB} MB of other data with Go (once; kept in bench/corpus)\n`)
    go('gen-influx', bigInflux, String(N), '--big', `${BIG_MB}M`, '--hashed', '1000')
  }
  const size = `${(fs.statSync(bigInflux).size / 2 ** 30).toFixed(2)} GiB`
  assertSameListing(bigInflux)
  bench({name: `auth list --json, ${N} tokens beside ${BIG_MB} MB of other data (${size} file), whole process`, other: 'oracle bench-authlist (the same bytes, asserted)',
    target: 'time ≤ 1.1 × our small file\'s; peak RSS ≤ 150 MB',
    met: (r) => median(r.ours) <= 1.1 * median(listSmall.ours) && Math.max(...r.rss) <= 150,
    commands: [`test/oracle/bin/oracle bench-authlist ${rel(bigInflux)}`, `node bin/run.js auth list --json --bolt-path ${rel(bigInflux)}`]},
    () => goWhole('bench-authlist', bigInflux),
    () => cli(['auth', 'list', '--json', '--bolt-path', rel(bigInflux)]))
  doctorRow = bench({name: `doctor on that ${size} file (1,000 of the tokens hashed: the plaintext search reads the whole file), whole process`, other: '–',
    target: '< 5 s; peak RSS ≤ 200 MB', met: (r) => median(r.ours) < 5_000 && Math.max(...r.rss) <= 200,
    commands: [`node bin/run.js doctor --bolt-path ${rel(bigInflux)}`]},
    null,
    () => cli(['doctor', '--bolt-path', rel(bigInflux)]))
}

if (BIG_MB > 0) {
  const big = path.join(CORPUS, `big-${BIG_MB}mb.bolt`)
  if (!fs.existsSync(big)) {
    process.stderr.write(`generating a ${BIG_MB} MB file with Go (once; kept in bench/corpus)\n`)
    go('bench-bigfile', big, String(BIG_MB))
  }
  bench({name: `read one small bucket of a ${(fs.statSync(big).size / 2 ** 30).toFixed(2)} GiB file`, other: GO_ENGINE, target: 'peak RSS < 150 MB',
    met: (r) => Math.max(...r.rss) < 150, commands: engineCommands('small', rel(big))},
    () => go('bench-small', big),
    () => ours('small', big))
}

// ---- report
const goVersion = spawnSync('go', ['version'], {encoding: 'utf8'}).stdout.trim()
const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; Node ${process.version}; ${goVersion}; bbolt 1.3.6 (Debian golang-github-coreos-bbolt-dev)`
const fmt = (x: number): string => x.toFixed(1)
const otherMs = (r: Row): number | undefined => (r.reference !== undefined ? r.reference() : r.go.length > 0 ? median(r.go) : undefined)
for (const r of rows) if (r.reference !== undefined) r.go = [r.reference()]
const lines = [
  `| # | case | other side | other (ms) | ours (ms) | ours / other | our peak RSS (MB) | other peak RSS (MB) | target | met |`,
  `| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |`,
  ...rows.map((r, i) => {
    const o = otherMs(r)
    const met = r.met === undefined ? (r.target === 'reference' ? '' : '–') : r.met(r) ? 'yes' : '**NO**'
    return `| ${i + 1} | ${r.name} | ${r.other} | ${o !== undefined ? fmt(o) : '–'} | ${fmt(median(r.ours))} | ${o !== undefined ? (median(r.ours) / o).toFixed(2) : '–'} | ${r.rss.length ? fmt(Math.max(...r.rss)) : '–'} | ${r.goRss.length ? fmt(Math.max(...r.goRss)) : '–'} | ${r.target} | ${met} |`
  }),
]
const table = lines.join('\n')
console.log(table)

/** Median of each phase over the runs of a row (from the phase-times test hook). */
function phases(r: Row): string {
  const runs = r.stderr.map((e) => /test hook: phases: (.*)/.exec(e)?.[1]).filter((x): x is string => x !== undefined)
  if (runs.length === 0) return ''
  const byName = new Map<string, number[]>()
  for (const run of runs) for (const part of run.split(' ')) {
    const [k, v] = part.split('=')
    byName.set(k!, [...(byName.get(k!) ?? []), Number(v)])
  }
  return [...byName].map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ')
}
const decodes = (r: Row): string => {
  const n = r.stderr.map((e) => /authorization records decoded: (\d+)/.exec(e)?.[1]).filter((x) => x !== undefined)
  return n.length ? `; authorization records decoded: ${n[0]}` : ''
}
const detail = rows.map((r, i) => {
  const p = phases(r)
  return `${i + 1}. ${r.commands.map((c) => `\`${c}\``).join(' / ')}${p ? `  \n   where our time goes (ms, medians): ${p}${decodes(r)}` : ''}${r.note ? `  \n   ${r.note}` : ''}`
}).join('\n')
const md = `# Benchmark results

Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: medians of ${RUNS} alternating run(s) per side, N = ${N}.
Machine: ${machine}. Load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${loadavg()}: on a shared or busy machine the times are not comparable to a quiet run.

Engine cases (load, iterate, update, small bucket): times include open, the work, commit (with fsync) and close, measured inside each process; values are generated before the clock starts; like Go's side, ours hands its values to put without a copy (\`{copy: false}\`, Go's Put contract) and iterates with a scan cursor's byte ranges (Go's cursor hands out slices); peak RSS is the Node process's own maximum resident set. Influxd-level cases: whole processes, timed from spawn to exit by the harness (stdout to /dev/null); peak RSS of each child ${GNU_TIME ? `from GNU time (${GNU_TIME}, the kernel's ru_maxrss)` : '(GNU time not installed: not measured)'}. Files an update, a write or hash-upgrade starts from are fresh copies, fsynced before the clock starts (for both sides). Corpora are generated by \`oracle gen-influx\` and kept in bench/corpus (gitignored).

The other side is the strongest plain Go program doing the same job, or, for the single-record writes, our own \`bolt check\` of the same file measured in the same run (the targets say a write may cost three whole-file checks: it checks the file before and after the write and hashes it twice for the audit line). \`auth list\`'s Go side prints exactly our bytes (asserted before timing): names resolved from maps built first, each record decoded with encoding/json into influxd's struct, classified, streamed through one reused encoder. hash-upgrade's Go side is influxd 2.9's start-up migration (authorization/storage.go MigrateTokens: every record decoded twice, then batches of 100 in one fsync'd transaction each); ours also writes, fsyncs, reads back and compares the export (on a second thread, beside the plan and the building of the transaction; Go's collector uses the second core too), checks the file before and after, verifies the result, zeroes the unused pages and searches the whole file for plaintext, without a backup copy (the Go side makes none either).

${table}

## Reproduce, and where the time goes

Commands run from the repository root after \`npm run bench\` (which builds dist/ and the oracle, and generates the corpora); our side ran with \`INFLUX_RECOVER_TEST_HOOKS=phase-times,count-decodes\`, which prints the phases below and the number of authorization records decoded on stderr.

${detail}
`
if (!quick) fs.writeFileSync(path.join(ROOT, 'bench/results.md'), md)
void doctorRow
void hashRow
