import {realFileOps, type FileOps} from '../bbolt/file.js'
import {authorizationDecodeCount} from '../influxd/records.js'

/**
 * Test-only crash points: INFLUX_RECOVER_TEST_HOOKS=crash-<point> makes the
 * process kill itself with SIGKILL there, as a power cut would, so tests can
 * check what an interrupted run leaves behind. Unset in normal use.
 */
export function crashPoint(point: string): void {
  if ((process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(`crash-${point}`)) process.kill(process.pid, 'SIGKILL')
}

/**
 * Test-only I/O faults: INFLUX_RECOVER_TEST_HOOKS=fail-<op>-<n> (op: write,
 * fdatasync, fsync, ftruncate; n counted from 0 over the process) makes that
 * call of the data file fail with EIO, as a failing disk would;
 * fail-<op>-<n>:ENOSPC (or :EDQUOT) with that code, as a full one would.
 * Returns undefined (the real operations) in normal use.
 */
export function faultyFileOps(): FileOps | undefined {
  const hooks = (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',')
  const faults = new Map<string, {n: number; code: string}>()
  for (const h of hooks) {
    const m = /^fail-(write|fdatasync|fsync|ftruncate)-(\d+)(?::(ENOSPC|EDQUOT))?$/.exec(h)
    if (m) faults.set(m[1]!, {n: Number(m[2]), code: m[3] ?? 'EIO'})
  }
  if (faults.size === 0) return undefined
  const calls = new Map<string, number>()
  const maybeFail = (op: string): void => {
    const n = calls.get(op) ?? 0
    calls.set(op, n + 1)
    const f = faults.get(op)
    if (f?.n === n) {
      throw f.code === 'EIO'
        ? Object.assign(new Error(`${op}: input/output error (injected by INFLUX_RECOVER_TEST_HOOKS)`), {code: 'EIO'})
        : Object.assign(new Error(`${f.code}: no space left on device, ${op} (injected by INFLUX_RECOVER_TEST_HOOKS)`), {code: f.code})
    }
  }
  return {
    read: realFileOps.read,
    size: realFileOps.size,
    write(fd, buf, pos) {
      maybeFail('write')
      realFileOps.write(fd, buf, pos)
    },
    fdatasync(fd) {
      maybeFail('fdatasync')
      realFileOps.fdatasync(fd)
    },
    fsync(fd) {
      maybeFail('fsync')
      realFileOps.fsync(fd)
    },
    ftruncate(fd, size) {
      maybeFail('ftruncate')
      realFileOps.ftruncate(fd, size)
    },
  }
}

const hooks = (): string[] => (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',')
let reportsInstalled = false
let phaseMarks: Array<[string, number, number]> | null = null

/**
 * Test and bench reports, printed on stderr as the process exits:
 * INFLUX_RECOVER_TEST_HOOKS=count-decodes prints how many authorization
 * records the process decoded ("test hook: authorization records decoded:
 * N"), so tests can hold a single-record write to a bounded number whatever
 * the file holds; =phase-times prints where the time went between the marks
 * set by phase() ("test hook: phases: open=12.3 pre-check=456.7 …", ms, the
 * first from the process's start, "rest" up to the exit), then the minor
 * page faults of each ("test hook: phase page faults: open=2170 …": a first
 * touch of fresh memory is most of some phases' cost on a VM). Nothing
 * otherwise.
 */
export function installTestReports(): void {
  if (reportsInstalled) return
  reportsInstalled = true
  const on = hooks()
  const decodes = on.includes('count-decodes')
  if (on.includes('phase-times')) phaseMarks = []
  if (!decodes && phaseMarks === null) return
  process.once('exit', () => {
    if (decodes) process.stderr.write(`test hook: authorization records decoded: ${authorizationDecodeCount()}\n`)
    if (phaseMarks !== null) {
      phase('rest')
      let prev = 0
      let prevFaults = 0
      const parts = phaseMarks.map(([name, t]) => {
        const part = `${name}=${(t - prev).toFixed(1)}`
        prev = t
        return part
      })
      const faults = phaseMarks.map(([name, , f]) => {
        const part = `${name}=${f - prevFaults}`
        prevFaults = f
        return part
      })
      process.stderr.write(`test hook: phases: ${parts.join(' ')}\n`)
      process.stderr.write(`test hook: phase page faults: ${faults.join(' ')}\n`)
    }
  })
}

/** Marks the end of a phase for INFLUX_RECOVER_TEST_HOOKS=phase-times (a name without spaces or "="). */
export function phase(name: string): void {
  phaseMarks?.push([name, performance.now(), process.resourceUsage().minorPageFault])
}
