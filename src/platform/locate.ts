/**
 * Finding influxd.bolt the way influxd does, and every other copy worth knowing
 * about — without ever creating, locking for long, or blocking on anything.
 *
 * Precedence (influxd's own, then the package's service environment):
 *  1. --bolt-path (our flag);
 *  2. env INFLUXD_BOLT_PATH (empty = unset, as in viper);
 *  3. `bolt-path` in influxd's config file: INFLUXD_CONFIG_PATH (file or
 *     directory) or config.* in the working directory (influxd-config.ts);
 *  4. the deb/rpm service environment: /etc/default/influxdb2 (the systemd unit's
 *     EnvironmentFile) naming INFLUXD_BOLT_PATH, or INFLUXD_CONFIG_PATH (usually
 *     /etc/influxdb/config.toml) with a bolt-path; the service runs in "/";
 *  5. <home>/.influxdbv2/influxd.bolt, home as influxd's fs.InfluxDir finds it:
 *     the passwd entry of the current user (Go user.Current), else $HOME, else
 *     the working directory. (`influxd recovery` alone uses $HOME.)
 *
 * The first source that names a path decides, whether or not the file exists:
 * influxd would create it there. Relative paths are relative to the working
 * directory (influxd's), and `~` is not expanded (influxd doesn't either).
 */
import {constants as fsConstants, promises as fsp, statSync} from 'node:fs'
import type {Stats} from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {DB} from '../bbolt/db.js'
import {ExitCode, LockedError, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {assertOpenableDataFile} from './file-check.js'
import {flockRelease, flockWithTimeout, LockAddonError} from './flock.js'
import {ETC_DEFAULT_INFLUXDB2, type Env, findInfluxdConfig, type InfluxdConfig, readEtcDefault, specialKind} from './influxd-config.js'

export const BOLT_FILENAME = 'influxd.bolt'

export interface WellKnownPath {
  path: string
  why: string
}

/** Places influxd.bolt is often found on real installs (spec anchors §3), beyond what the resolution names. */
export const WELL_KNOWN_BOLT_PATHS: readonly WellKnownPath[] = Object.freeze([
  {path: '/var/lib/influxdb/influxd.bolt', why: 'deb/rpm package default (bolt-path in /etc/influxdb/config.toml)'},
  {path: '/var/lib/influxdb2/influxd.bolt', why: 'Docker image and Kubernetes default'},
  {path: '/root/.influxdbv2/influxd.bolt', why: 'default for root (influxd run as root, old quay.io image)'},
  {path: '/var/lib/influxdb/.influxdbv2/influxd.bolt', why: 'default of the deb/rpm "influxdb" user when no config is read'},
])

export type BoltPathSource =
  | 'flag'
  | 'env INFLUXD_BOLT_PATH'
  | `config ${string}`
  | `package layout (${string})`
  | 'default ~/.influxdbv2/influxd.bolt'

export interface LocateOptions {
  /** an explicit --bolt-path (relative to cwd) */
  boltPath?: string
  /** environment (default process.env) */
  env?: Env
  /** working directory influxd would run in (default process.cwd()) */
  cwd?: string
  /** home directory for the default (default: passwd entry, then $HOME, then cwd) */
  home?: string
  /** the service environment file (default /etc/default/influxdb2) */
  etcDefault?: string
  /** working directory of the packaged service (default "/", systemd's default) */
  serviceCwd?: string
  /** extra places to look (default WELL_KNOWN_BOLT_PATHS) */
  wellKnown?: readonly WellKnownPath[]
  /** fills Candidate.schema; left undefined when not given */
  describe?: (path: string) => Promise<string | undefined>
}

export interface LookedAt {
  /** which step: "--bolt-path", "env INFLUXD_BOLT_PATH", "config (cwd)", "package layout", "default", ... */
  where: string
  /** the path examined ("" when the step had none, e.g. an unset variable) */
  path: string
  found: boolean
  note?: string
}

export type PathStatus = 'file' | 'missing' | 'directory' | 'special' | 'unreadable'

export interface BoltPathResolution {
  /** absolute path influxd would use */
  path: string
  source: BoltPathSource
  /** true when `path` is an existing regular file */
  exists: boolean
  status: PathStatus
  /** why it is not usable, when it is not */
  note?: string
  /** every step examined, in order, up to the deciding one */
  looked: LookedAt[]
  /** problems found on the way (unreadable or invalid config files, ...) */
  warnings: string[]
  /** the files that named the path (a config file, /etc/default/influxdb2), for ownership checks; empty for a flag, env or the default */
  namedBy?: string[]
}

interface Step {
  source: BoltPathSource
  path: string
  looked: LookedAt[]
  namedBy: string[]
}

interface Steps {
  /** each source that names a path, in precedence order */
  named: Step[]
  /** what was looked at, in order, with the step index it belongs to */
  looked: {step: number; entry: LookedAt}[]
  warnings: string[]
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** influxd's home directory: Go user.Current().HomeDir, else $HOME, else the working directory. */
export function influxdHome(opts: {home?: string; env?: Env; cwd?: string} = {}): string {
  if (opts.home !== undefined) return opts.home
  try {
    const h = os.userInfo().homedir
    if (h) return h
  } catch {
    // no passwd entry for this uid (e.g. an arbitrary container uid)
  }
  const env = opts.env ?? process.env
  if (env.HOME) return env.HOME
  return path.resolve(opts.cwd ?? process.cwd())
}

async function statusOf(p: string): Promise<{status: PathStatus; st?: Stats; note?: string}> {
  let lst: Stats
  try {
    lst = await fsp.lstat(p)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR') return {status: 'missing', note: 'does not exist'}
    return {status: 'unreadable', note: code === 'EACCES' || code === 'EPERM' ? 'cannot inspect: permission denied' : `cannot inspect: ${errMessage(err)}`}
  }
  let st = lst
  if (lst.isSymbolicLink()) {
    try {
      st = await fsp.stat(p)
    } catch (err) {
      const code = errnoCode(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return {status: 'missing', note: 'is a symlink to a missing file'}
      // as for the data file itself (platform/file-check): a loop leads to no file
      if (code === 'ELOOP') return {status: 'missing', note: 'is a symlink that cannot be resolved (loop)'}
      return {status: 'unreadable', note: `cannot inspect: ${errMessage(err)}`}
    }
  }
  const kind = specialKind(st)
  if (kind === undefined) return {status: 'file', st}
  return {status: st.isDirectory() ? 'directory' : 'special', st, note: `is ${kind}, not a bbolt file`}
}

function tildeWarning(value: string, what: string): string | undefined {
  return value === '~' || value.startsWith('~/') ? `${what} starts with "~", which influxd does not expand (it means a directory named "~")` : undefined
}

function configLooked(where: string, cfg: InfluxdConfig): LookedAt[] {
  const out: LookedAt[] = cfg.probes.map((p) => ({where, path: p.path, found: p.found, ...(p.note ? {note: p.note} : {})}))
  const found = out.find((l) => l.found)
  // notes are about the file read ("no bolt-path key", ...); a problem may also come without one
  const notes = [...(found ? cfg.notes : []), ...(cfg.problem ? [cfg.problem] : [])]
  if (notes.length > 0) {
    const target = found ?? out[out.length - 1]
    if (target) target.note = [target.note, ...notes].filter(Boolean).join('; ')
    else out.push({where, path: cfg.configPath, found: false, note: notes.join('; ')})
  }
  return out
}

/** Evaluates every source (without stopping at the first) so candidates can list them all. */
async function evaluateSteps(opts: LocateOptions): Promise<Steps> {
  const env = opts.env ?? process.env
  const cwd = path.resolve(opts.cwd ?? process.cwd())
  const named: Step[] = []
  const looked: Steps['looked'] = []
  const warnings: string[] = []
  const add = (entry: LookedAt): void => {
    looked.push({step: named.length, entry})
  }
  const name = (source: BoltPathSource, p: string, entry: LookedAt, namedBy: string[] = []): void => {
    add(entry)
    named.push({source, path: p, looked: [entry], namedBy})
  }

  // 1. --bolt-path
  if (opts.boltPath !== undefined) {
    if (opts.boltPath === '') throw new UsageError('--bolt-path is empty', 'give the path of influxd.bolt')
    const p = path.resolve(cwd, opts.boltPath)
    name('flag', p, {where: '--bolt-path', path: p, found: false})
  }

  // 2. INFLUXD_BOLT_PATH (viper: a set but empty variable counts as unset)
  const envBolt = env.INFLUXD_BOLT_PATH
  if (envBolt !== undefined && envBolt !== '') {
    const p = path.resolve(cwd, envBolt)
    const w = tildeWarning(envBolt, 'INFLUXD_BOLT_PATH')
    if (w) warnings.push(w)
    name('env INFLUXD_BOLT_PATH', p, {where: 'env INFLUXD_BOLT_PATH', path: p, found: false})
  } else {
    add({where: 'env INFLUXD_BOLT_PATH', path: '', found: false, note: envBolt === '' ? 'set but empty (influxd ignores it)' : 'not set'})
  }

  // 3. influxd's config file, as influxd would find it from here
  const cfg = await findInfluxdConfig({env, cwd})
  const cfgWhere = cfg.from === 'cwd' ? 'config (cwd)' : 'config (INFLUXD_CONFIG_PATH)'
  if (cfg.problem) warnings.push(cfg.problem)
  for (const n of cfg.notes) if (n.includes('"~"')) warnings.push(n)
  for (const l of configLooked(cfgWhere, cfg)) add(l)
  if (cfg.boltPath && cfg.file) {
    name(`config ${cfg.file}`, cfg.boltPath.resolved, {where: `${cfgWhere} bolt-path`, path: cfg.boltPath.resolved, found: false}, [cfg.file])
  }

  // 4. the packaged service's environment
  const etcPath = opts.etcDefault ?? ETC_DEFAULT_INFLUXDB2
  const etc = await readEtcDefault(etcPath)
  const serviceCwd = path.resolve(opts.serviceCwd ?? '/')
  if (etc.problem) warnings.push(etc.problem)
  if (!etc.exists) {
    add({where: 'package layout', path: etcPath, found: false, note: etc.problem ?? 'does not exist'})
  } else {
    const v = etc.vars
    add({where: 'package layout', path: etcPath, found: true})
    if (v.INFLUXD_BOLT_PATH) {
      const p = path.resolve(serviceCwd, v.INFLUXD_BOLT_PATH)
      const w = tildeWarning(v.INFLUXD_BOLT_PATH, `INFLUXD_BOLT_PATH in ${etcPath}`)
      if (w) warnings.push(w)
      name(`package layout (${etcPath} → INFLUXD_BOLT_PATH)`, p, {where: `package layout INFLUXD_BOLT_PATH`, path: p, found: false}, [etcPath])
    }
    const svcCfg = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: v.INFLUXD_CONFIG_PATH, HOME: v.HOME ?? env.HOME}, cwd: serviceCwd})
    if (svcCfg.problem) warnings.push(`${etcPath}: ${svcCfg.problem}`)
    for (const l of configLooked('package layout config', svcCfg)) add(l)
    if (svcCfg.boltPath && svcCfg.file) {
      name(`package layout (${etcPath} → ${svcCfg.file})`, svcCfg.boltPath.resolved, {
        where: 'package layout config bolt-path',
        path: svcCfg.boltPath.resolved,
        found: false,
      }, [etcPath, svcCfg.file])
    }
  }

  // 5. the default under influxd's home
  const home = influxdHome({home: opts.home, env, cwd})
  const def = path.join(home, '.influxdbv2', BOLT_FILENAME)
  name('default ~/.influxdbv2/influxd.bolt', def, {where: 'default', path: def, found: false})

  // fill in `found` for every named path
  for (const s of named) {
    const st = await statusOf(s.path)
    for (const l of s.looked) {
      l.found = st.status === 'file'
      if (st.status !== 'file' && st.note) l.note = st.note
    }
  }
  return {named, looked, warnings}
}

function resolutionFrom(steps: Steps, chosen: number, status: {status: PathStatus; note?: string}): BoltPathResolution {
  const step = steps.named[chosen]!
  return {
    path: step.path,
    source: step.source,
    exists: status.status === 'file',
    status: status.status,
    ...(status.status === 'file' ? {} : {note: status.note}),
    looked: steps.looked.filter((l) => l.step <= chosen).map((l) => l.entry),
    warnings: steps.warnings,
    ...(step.namedBy.length > 0 ? {namedBy: step.namedBy} : {}),
  }
}

/**
 * The bolt file influxd would use, and why. Never throws for a missing file:
 * a path named by a flag, env or config that does not exist is still the
 * answer (`exists: false`) — influxd would create it there; callers must not.
 */
export async function resolveBoltPath(opts: LocateOptions = {}): Promise<BoltPathResolution> {
  const steps = await evaluateSteps(opts)
  const first = steps.named[0]!
  return resolutionFrom(steps, 0, await statusOf(first.path))
}

export interface Candidate {
  /** absolute path as found (the first name it was found under) */
  path: string
  /** canonical path (symlinks resolved); candidates are unique by it */
  realPath: string
  /** why it was looked at: the sources and well-known places naming it */
  reasons: string[]
  size: number
  /** modification time, ISO 8601 UTC */
  mtime: string
  /** true: someone (most likely a running influxd) holds an exclusive flock; null: could not tell */
  locked: boolean | null
  lockNote?: string
  /** from opts.describe (e.g. "bbolt file, page size 4096, txid 114"); undefined without one */
  schema?: string
  /** this is the file influxd would use */
  used: boolean
}

export interface SkippedCandidate {
  path: string
  reasons: string[]
  note: string
}

export interface CandidateReport {
  /** the file influxd would use and why (it may not exist) */
  used: BoltPathResolution
  /** every existing regular file among the candidates, in precedence order */
  candidates: Candidate[]
  /** named or well-known paths that exist but are not regular files, or cannot be inspected */
  skipped: SkippedCandidate[]
  /** every path looked at while listing, existing or not */
  looked: LookedAt[]
}

/**
 * Tries a shared flock without waiting, on a read-only descriptor (never
 * O_CREAT, O_NONBLOCK so a FIFO cannot hang us), and releases it at once.
 * A held exclusive lock (influxd running) gives locked: true.
 */
export async function probeLock(p: string): Promise<{locked: boolean | null; note?: string}> {
  let fh: Awaited<ReturnType<typeof fsp.open>>
  try {
    fh = await fsp.open(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY)
  } catch (err) {
    const code = errnoCode(err)
    return {locked: null, note: code === 'EACCES' || code === 'EPERM' ? 'cannot open: permission denied' : `cannot open: ${errMessage(err)}`}
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) return {locked: null, note: 'not a regular file'}
    try {
      await flockWithTimeout(fh.fd, 'shared', 0, p)
    } catch (err) {
      if (err instanceof LockedError) return {locked: true, note: 'locked by another process (a running influxd?)'}
      if (err instanceof LockAddonError) return {locked: null, note: 'the lock addon does not load here'}
      return {locked: null, note: errMessage(err)}
    }
    await flockRelease(fh.fd).catch(() => {})
    return {locked: false}
  } finally {
    await fh.close().catch(() => {})
  }
}

/**
 * A one-line description of a bbolt file from its meta pages, e.g.
 * "bbolt file, page size 4096, txid 114". Opens read-only, never creates,
 * never takes a lock (it only reads the two meta pages); any failure is
 * returned as its message.
 */
export async function describeBoltFile(p: string): Promise<string> {
  try {
    await assertOpenableDataFile(p, {write: false})
    const db = DB.open(p, {readOnly: true})
    try {
      return `bbolt file, page size ${db.pageSize}, txid ${db.meta().txid}`
    } finally {
      db.close()
    }
  } catch (err) {
    return errMessage(err)
  }
}

/** Lists every existing candidate, with which one influxd would use and why. Creates nothing. */
export function listCandidates(opts: LocateOptions = {}): Promise<CandidateReport> {
  return collectCandidates(opts, true)
}

async function collectCandidates(opts: LocateOptions, probeLocks: boolean): Promise<CandidateReport> {
  const steps = await evaluateSteps(opts)
  const env = opts.env ?? process.env
  const usedStatus = await statusOf(steps.named[0]!.path)
  const used = resolutionFrom(steps, 0, usedStatus)

  const named: {path: string; why: string}[] = steps.named.map((s) => ({path: s.path, why: s.source}))
  const home = influxdHome({home: opts.home, env, cwd: opts.cwd})
  if (env.HOME && path.resolve(env.HOME) !== path.resolve(home)) {
    named.push({path: path.join(path.resolve(env.HOME), '.influxdbv2', BOLT_FILENAME), why: 'influxd recovery default ($HOME/.influxdbv2/influxd.bolt)'})
  }
  for (const w of opts.wellKnown ?? WELL_KNOWN_BOLT_PATHS) named.push({path: path.resolve(w.path), why: w.why})

  const looked: LookedAt[] = steps.looked.map((l) => l.entry)
  const byReal = new Map<string, Candidate>()
  const skippedByPath = new Map<string, SkippedCandidate>()
  const candidates: Candidate[] = []
  const skipped: SkippedCandidate[] = []
  const seen = new Set<string>()
  let usedReal: string | undefined
  if (usedStatus.status === 'file') usedReal = await fsp.realpath(used.path).catch(() => used.path)

  for (const n of named) {
    const st = await statusOf(n.path)
    if (!seen.has(n.path)) {
      seen.add(n.path)
      if (!looked.some((l) => l.path === n.path)) looked.push({where: n.why, path: n.path, found: st.status === 'file', ...(st.note ? {note: st.note} : {})})
    }
    if (st.status === 'missing') continue
    if (st.status !== 'file') {
      const prev = skippedByPath.get(n.path)
      if (prev) {
        if (!prev.reasons.includes(n.why)) prev.reasons.push(n.why)
      } else {
        const s = {path: n.path, reasons: [n.why], note: `${st.note ?? st.status} (skipped)`}
        skippedByPath.set(n.path, s)
        skipped.push(s)
      }
      continue
    }
    const real = await fsp.realpath(n.path).catch(() => n.path)
    const prev = byReal.get(real)
    if (prev) {
      if (!prev.reasons.includes(n.why)) prev.reasons.push(n.why)
      continue
    }
    const lock = probeLocks ? await probeLock(n.path) : {locked: null}
    const c: Candidate = {
      path: n.path,
      realPath: real,
      reasons: [n.why],
      size: st.st!.size,
      mtime: st.st!.mtime.toISOString(),
      locked: lock.locked,
      ...(lock.note && lock.locked !== true ? {lockNote: lock.note} : {}),
      used: real === usedReal,
    }
    if (opts.describe) {
      try {
        c.schema = await opts.describe(n.path)
      } catch (err) {
        c.schema = errMessage(err)
      }
    }
    byReal.set(real, c)
    candidates.push(c)
  }
  return {used, candidates, skipped, looked}
}

function describeLooked(l: LookedAt): string {
  if (l.path === '') return `${l.where}: ${l.note ?? 'nothing'}`
  const state = l.found ? 'found' : (l.note ?? 'missing')
  return `${l.where}: ${l.path} (${state})`
}

/** "a: b (missing); c: d (found)" — every place looked at, for error messages. */
export function formatLooked(looked: readonly LookedAt[]): string {
  return looked.map(describeLooked).join('; ')
}

/**
 * The exit-5 (or exit-4 for a directory/FIFO) error for a resolution whose file
 * is not usable, naming where it looked (unless `looked` is empty: a caller
 * that printed the list already); `elsewhere` lists existing candidates for
 * the hint. A directory or FIFO named by --bolt-path is just that: no search
 * list, no advice to name a path.
 */
export function boltFileNotFound(
  res: BoltPathResolution,
  elsewhere: readonly string[] = [],
  looked: readonly LookedAt[] = res.looked,
  noneHint = 'pass the file with --bolt-path FILE, or run "influx-recover locate" to list candidates',
): RecoverError {
  const where = looked.length > 0 ? `; looked at: ${formatLooked(looked)}` : ''
  const hint = elsewhere.length > 0 ? `found elsewhere: ${elsewhere.join(', ')}; pass the right one with --bolt-path` : noneHint
  const subject = res.source === 'flag' ? `${res.path} (--bolt-path)` : `influxd would use ${res.path} (${res.source}), but it`
  if (res.source === 'flag' && (res.status === 'directory' || res.status === 'special')) {
    // the operator named this path: the search (and advice to name a path) is beside the point
    const inside = res.status === 'directory' ? path.join(res.path, BOLT_FILENAME) : undefined
    const holds = inside !== undefined && statSync(inside, {throwIfNoEntry: false})?.isFile() === true
    return new RecoverError(
      `${subject} ${res.note ?? 'is not a regular file'}`,
      ExitCode.CORRUPT,
      holds ? `it holds ${inside}` : 'run "influx-recover locate" to list the influxd.bolt files on this machine',
    )
  }
  if (res.status === 'directory' || res.status === 'special') {
    return new RecoverError(`${subject} ${res.note ?? 'is not a regular file'}${where}`, ExitCode.CORRUPT, hint)
  }
  if (res.status === 'unreadable') {
    return new RecoverError(`${res.path} (${res.source}): ${res.note ?? 'cannot inspect it'}`, ExitCode.ERROR, 'run as the user that owns the file (often "influxdb") or as root')
  }
  if (res.source === 'flag') {
    const symlink = res.note !== undefined && res.note.startsWith('is a symlink')
    return new NotFoundError(symlink ? `${res.path} (--bolt-path) ${res.note}` : `no such file: ${res.path} (--bolt-path)`, hint)
  }
  if (elsewhere.length === 0) {
    return new NotFoundError(`no influxd.bolt found; influxd would use ${res.path} (${res.source}), which does not exist${where}`, hint)
  }
  return new NotFoundError(`${subject} does not exist${where}`, hint)
}

/**
 * resolveBoltPath for commands that need an existing file: returns the
 * resolution when its file exists, else throws boltFileNotFound (exit 5,
 * naming every place looked and any candidate found elsewhere).
 */
export async function requireBoltPath(opts: LocateOptions = {}): Promise<BoltPathResolution> {
  const res = await resolveBoltPath(opts)
  if (res.exists) return res
  const report = await collectCandidates({...opts, describe: undefined}, false)
  throw boltFileNotFound(res, report.candidates.map((c) => c.path), report.looked)
}
