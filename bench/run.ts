// Side-by-side benchmark: our engine and Go bbolt 1.3.6 (the oracle, built
// against Debian's package) do the same work on the same machine in the same
// run, alternating, several times. Prints a table of medians and writes it to
// bench/results.md. Usage: npm run bench [-- --quick] (env BENCH_N, BENCH_RUNS, BENCH_BIG_MB)
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

interface Sample { ms: number; rssMB?: number }

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
  go: number[]
  ours: number[]
  rss: number[]
  goRss: number[]
  target: string
  /** whether the target is met, from the medians (undefined: judged by eye) */
  met?: (r: Row) => boolean
}
const rows: Row[] = []

function bench(name: string, target: string, goSide: (() => Sample) | null, oursSide: () => Sample, met?: (r: Row) => boolean): Row {
  const row: Row = {name, go: [], ours: [], rss: [], goRss: [], target, met}
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
      }
    }
    process.stderr.write(`${name}: run ${i + 1}/${RUNS}\n`)
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

function wholeProcess(cmd: string, args: string[]): Sample {
  const devnull = fs.openSync('/dev/null', 'w')
  try {
    const argv = GNU_TIME ? ['-f', '%M', '-o', RSS_FILE, cmd, ...args] : args
    const t = performance.now()
    const r = spawnSync(GNU_TIME ?? cmd, argv, {cwd: ROOT, stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26})
    const ms = performance.now() - t
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
    const kb = GNU_TIME ? Number(fs.readFileSync(RSS_FILE, 'utf8').trim().split('\n').pop()) : NaN
    return {ms, ...(Number.isFinite(kb) ? {rssMB: Math.round(kb / 102.4) / 10} : {})}
  } finally {
    fs.closeSync(devnull)
  }
}
const cli = (...args: string[]): Sample => wholeProcess(process.execPath, ['bin/run.js', ...args])
const goWhole = (...args: string[]): Sample => wholeProcess(ORACLE_BIN, args)

fs.mkdirSync(CORPUS, {recursive: true})
buildOracle()

// ---- start-up: whole runs on the real 2.8-2.9 fixture against node -e 0 (bench/startup.ts)
{
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (built.status !== 0) throw new Error(`build failed: ${built.stdout}${built.stderr}`)
  const loadBefore = loadAverage()
  for (const r of startupCases(ROOT, path.join(FIXTURES, 'influxd-v2.8-v2.9.bolt'), STARTUP_RUNS, process.env.BENCH_INSTALLED_BIN)) {
    rows.push({name: r.name, go: r.base, ours: r.ours, rss: [], goRss: [], target: `ratio ≤ ${r.target} (other side: node -e 0)`, met: (row) => median(row.ours) / median(row.go) <= r.target})
  }
  process.stderr.write(`load average before / after the start-up cases: ${loadBefore} / ${loadAverage()}\n`)
  if (startupOnly) {
    for (const r of rows) console.log(`${r.name}: ${median(r.ours).toFixed(1)} ms vs ${median(r.go).toFixed(1)} ms = ${(median(r.ours) / median(r.go)).toFixed(2)} (${r.target}: ${r.met!(r) ? 'met' : 'NOT met'})`)
    process.exit(0)
  }
}

bench(`load ${N} keys (16 B keys, 600 B values) in one transaction`, 'ratio ≤ 1.5',
  () => go('bench-load', fresh('go-load.bolt'), String(N)),
  () => ours('load', fresh('ts-load.bolt'), String(N)),
  (r) => median(r.ours) / median(r.go) <= 1.5)

const base = fresh('base.bolt')
go('bench-load', base, String(N))
bench(`reopen and iterate ${N} values (touching each value)`, 'ratio ≤ 1.5',
  () => go('bench-iter', base),
  () => ours('iter', base),
  (r) => median(r.ours) / median(r.go) <= 1.5)

bench(`update every value in one transaction`, 'ratio ≤ 1.5',
  () => { const f = fresh('go-update.bolt'); copyDurable(base, f); return go('bench-update', f) },
  () => { const f = fresh('ts-update.bolt'); copyDurable(base, f); return ours('update', f) },
  (r) => median(r.ours) / median(r.go) <= 1.5)

// ---- influxd-level cases: whole processes of the CLI against Go programs
const built = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
if (built.status !== 0) throw new Error(`build failed: ${built.stdout}${built.stderr}`)
const influx = path.join(CORPUS, `influx-${N}.bolt`)
if (!fs.existsSync(influx)) {
  process.stderr.write(`generating an influxd file with ${N} tokens with Go (once; kept in bench/corpus)\n`)
  go('gen-influx', influx, String(N))
}
const listSmall = bench(`auth list --json, ${N} tokens (${(fs.statSync(influx).size / 2 ** 20).toFixed(0)} MiB file), whole process`, 'ratio ≤ 1.5',
  () => goWhole('bench-authlist', influx),
  () => cli('auth', 'list', '--json', '--bolt-path', influx),
  (r) => median(r.ours) / median(r.go) <= 1.5)

const hashOnce = (side: 'go' | 'ours'): Sample => {
  const f = fresh(`hash-${side}.bolt`)
  copyDurable(influx, f)
  if (side === 'go') return goWhole('bench-hash', f)
  const exp = fresh('hash-export.yaml')
  return cli('auth', 'hash-upgrade', '--bolt-path', f, '--export', exp, '--yes', '--no-backup')
}
bench(`auth hash-upgrade of ${N} raw tokens (export, hash, scrub, no backup) vs influxd 2.9's start-up migration, whole process`, 'ratio < 1.0',
  () => hashOnce('go'), () => hashOnce('ours'), (r) => median(r.ours) / median(r.go) < 1.0)

if (BIG_MB > 0) {
  const bigInflux = path.join(CORPUS, `influx-${N}-big-${BIG_MB}mb.bolt`)
  if (!fs.existsSync(bigInflux)) {
    process.stderr.write(`generating an influxd file with ${N} tokens and ${BIG_MB} MB of other data with Go (once; kept in bench/corpus)\n`)
    go('gen-influx', bigInflux, String(N), '--big', `${BIG_MB}M`, '--hashed', '1000')
  }
  const size = `${(fs.statSync(bigInflux).size / 2 ** 30).toFixed(2)} GiB`
  bench(`auth list --json, ${N} tokens beside ${BIG_MB} MB of other data (${size} file), whole process`, 'time ≤ 1.2 × the small file\'s; peak RSS ≤ 150 MB',
    () => goWhole('bench-authlist', bigInflux),
    () => cli('auth', 'list', '--json', '--bolt-path', bigInflux),
    (r) => median(r.ours) <= 1.2 * median(listSmall.ours) && Math.max(...r.rss) <= 150)
  bench(`doctor on that ${size} file (1,000 of the tokens hashed: the remnant scan reads the whole file), whole process`, '< 10 s; peak RSS ≤ 200 MB',
    null,
    () => cli('doctor', '--bolt-path', bigInflux),
    (r) => median(r.ours) < 10_000 && Math.max(...r.rss) <= 200)
}

if (BIG_MB > 0) {
  const big = path.join(CORPUS, `big-${BIG_MB}mb.bolt`)
  if (!fs.existsSync(big)) {
    process.stderr.write(`generating a ${BIG_MB} MB file with Go (once; kept in bench/corpus)\n`)
    go('bench-bigfile', big, String(BIG_MB))
  }
  bench(`read one small bucket of a ${(fs.statSync(big).size / 2 ** 30).toFixed(2)} GiB file`, 'peak RSS < 150 MB',
    () => go('bench-small', big),
    () => ours('small', big),
    (r) => Math.max(...r.rss) < 150)
}

const goVersion = spawnSync('go', ['version'], {encoding: 'utf8'}).stdout.trim()
const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; Node ${process.version}; ${goVersion}; bbolt 1.3.6 (Debian golang-github-coreos-bbolt-dev)`
const fmt = (x: number): string => x.toFixed(1)
const lines = [
  `| case | Go (ms) | ours (ms) | ours / Go | our peak RSS (MB) | Go peak RSS (MB) | target | met |`,
  `| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |`,
  ...rows.map((r) => {
    const hasGo = r.go.length > 0
    return `| ${r.name} | ${hasGo ? fmt(median(r.go)) : '–'} | ${fmt(median(r.ours))} | ${hasGo ? (median(r.ours) / median(r.go)).toFixed(2) : '–'} | ${r.rss.length ? fmt(Math.max(...r.rss)) : '–'} | ${r.goRss.length ? fmt(Math.max(...r.goRss)) : '–'} | ${r.target} | ${r.met === undefined ? '' : r.met(r) ? 'yes' : 'NO'} |`
  }),
]
const table = lines.join('\n')
console.log(table)
const md = `# Benchmark results

Medians of ${RUNS} alternating run(s) per side, N = ${N}. Engine cases (load, iterate, update, small bucket): times include open, the work, commit (with fsync) and close, measured inside each process; values are generated before the clock starts; like Go's side, ours hands its values to put without a copy (\`{copy: false}\`, Go's Put contract) and iterates with a scan cursor's byte ranges (Go's cursor hands out slices); peak RSS is the Node process's own maximum resident set. Influxd-level cases (auth list, hash-upgrade, doctor): whole processes, timed from spawn to exit by the harness (\`node bin/run.js …\` against a Go program of the oracle, stdout to /dev/null); peak RSS of each child ${GNU_TIME ? `from GNU time (${GNU_TIME} -f %M, the kernel's ru_maxrss)` : '(GNU time not installed: not measured)'}. Corpora are generated by \`oracle gen-influx\` and kept in bench/corpus. The Go side of auth list decodes every record with encoding/json into influxd's struct shape, resolves user and org names and prints an indented JSON array (no token classification); the Go side of hash-upgrade is influxd 2.9's start-up migration (batches of 100 tokens, one fsync'd bbolt transaction each); ours also writes and verifies the export, runs the consistency check before and after, verifies the result, scrubs the unused pages and searches the whole file for plaintext, without a backup copy (\`--no-backup\`: the Go side makes none either).

Machine: ${machine}.
Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}.

${table}
`
if (!quick) fs.writeFileSync(path.join(ROOT, 'bench/results.md'), md)
