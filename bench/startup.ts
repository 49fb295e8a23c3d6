// Start-up cases of `npm run bench`: whole runs of the CLI on the real
// 2.8-2.9 fixture against `node -e 0` (Node's own start-up, the strongest
// "program" doing nothing) on the same machine, alternating, medians of many
// runs. Targets: auth list and doctor within 2 x node -e 0, --version within
// 1.5 x. Runs `node bin/run.js` (the dev checkout) and, when given, the
// installed tarball's bin as well.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {performance} from 'node:perf_hooks'

export interface StartupRow {
  name: string
  /** node -e 0, ms per run */
  base: number[]
  ours: number[]
  target: number
  /** the commands that reproduce one run of each side */
  commands: string[]
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function timeOnce(cmd: string, args: string[], cwd: string): number {
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'}
  delete env.NODE_ENV
  const t = performance.now()
  const r = spawnSync(cmd, args, {cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return ms
}

/**
 * Each case: `runs` pairs of (node -e 0, the command), the order of the pair
 * alternating, after two warm-up pairs; a fresh copy of the fixture.
 */
export function startupCases(root: string, fixture: string, runs: number, installedBin?: string): StartupRow[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-bench-startup-'))
  try {
    const file = path.join(tmp, 'influxd.bolt')
    fs.copyFileSync(fixture, file)
    fs.chmodSync(file, 0o600)
    const launchers: Array<[string, string, string[]]> = [['dev checkout', process.execPath, [path.join(root, 'bin/run.js')]]]
    if (installedBin) launchers.push(['installed tarball', installedBin, []])
    const rows: StartupRow[] = []
    for (const [where, cmd, pre] of launchers) {
      for (const [args, target] of [[['--version'], 1.5], [['auth', 'list', '--bolt-path', file], 2], [['doctor', '--bolt-path', file], 2]] as const) {
        const shown = ['influx-recover', ...args].join(' ').replace(file, '../shared/fixtures/influxd/influxd-v2.8-v2.9.bolt')
        const row: StartupRow = {name: `start-up: ${shown} (${where}) vs node -e 0`, base: [], ours: [], target, commands: ['node -e 0', where === 'dev checkout' ? shown.replace(/^influx-recover/, 'node bin/run.js') : shown]}
        const base = (): number => timeOnce(process.execPath, ['-e', '0'], tmp)
        const ours = (): number => timeOnce(cmd, [...pre, ...args], tmp)
        for (let i = 0; i < 2; i++) {
          base()
          ours()
        }
        for (let i = 0; i < runs; i++) {
          if (i % 2 === 0) {
            row.base.push(base())
            row.ours.push(ours())
          } else {
            row.ours.push(ours())
            row.base.push(base())
          }
        }
        process.stderr.write(`${row.name}: ${median(row.ours).toFixed(1)} ms vs ${median(row.base).toFixed(1)} ms\n`)
        rows.push(row)
      }
    }
    return rows
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true})
  }
}

/** The load average while measuring, for the results (the machine may be shared). */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(', ')
}

export {median}
