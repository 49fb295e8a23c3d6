/**
 * The guard's systemd drop-in: `<systemd-dir>/<unit>.d/50-influx-recover-guard.conf`
 * holding one `ExecStartPre=` line, written and read back.
 *
 * Command lines are written the way systemd reads them (systemd.service(5),
 * "Command lines"): words split at whitespace, a word with anything but
 * plain characters double-quoted with `\\` and `\"` escapes, `%` doubled
 * (specifiers are expanded first) and `$` doubled (variables are expanded
 * when the command runs). Control characters cannot be written at all.
 *
 * The prefix is `-+`: `-` so that a failing guard never stops influxd, `+` so
 * it runs as root whatever `User=` the unit sets (the deb/rpm unit runs
 * influxd as `influxdb`): the exports then belong to root, in a directory
 * only root can enter, and the guard needs no write access granted to the
 * service's user.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

import {ExitCode, RecoverError, UsageError} from '../errors.js'

export const DROP_IN_NAME = '50-influx-recover-guard.conf'
export const DEFAULT_SYSTEMD_DIR = '/etc/systemd/system'
export const DEFAULT_UNIT = 'influxdb.service'
/** The first line of every drop-in the guard writes: how uninstall knows it is ours. */
export const DROP_IN_MARK = '# influx-recover guard: written by "influx-recover guard install"'
export const EXEC_PREFIX = '-+'

/** The systemd directory: INFLUX_RECOVER_SYSTEMD_DIR (tests, unusual layouts) or /etc/systemd/system. */
export function defaultSystemdDir(env: NodeJS.ProcessEnv = process.env): string {
  const d = env.INFLUX_RECOVER_SYSTEMD_DIR
  return d !== undefined && d !== '' ? d : DEFAULT_SYSTEMD_DIR
}

/** A unit name as systemd allows it; `influxdb` becomes `influxdb.service`. */
export function unitName(input: string): string {
  const name = input.includes('.') ? input : `${input}.service`
  if (!/^[A-Za-z0-9:_.\\@-]+\.service$/.test(name) || name.length > 255) {
    throw new UsageError(`not a service unit name: ${JSON.stringify(input)}`, 'e.g. --unit influxdb.service')
  }
  return name
}

export function dropInDir(systemdDir: string, unit: string): string {
  return path.join(systemdDir, `${unit}.d`)
}

export function dropInPath(systemdDir: string, unit: string): string {
  return path.join(dropInDir(systemdDir, unit), DROP_IN_NAME)
}

const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/

/** One argument as a word of a systemd command line. */
export function quoteExecArg(arg: string): string {
  if (CONTROL.test(arg)) throw new UsageError(`${JSON.stringify(arg)} holds a control character: it cannot be written to a systemd unit`)
  const s = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$')
  if (PLAIN_WORD.test(s)) return s
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** A command line systemd splits back into exactly `argv` (argv[0] must be an absolute path). */
export function execLine(argv: readonly string[]): string {
  if (argv.length === 0 || !path.isAbsolute(argv[0]!)) throw new UsageError('the program of an ExecStartPre line must be an absolute path')
  return argv.map(quoteExecArg).join(' ')
}

const C_ESCAPES: Record<string, string> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', s: ' ', '\\': '\\', '"': '"', "'": "'"}

/**
 * Splits a command line as systemd does for the lines this module writes
 * and the usual hand-written ones: whitespace-separated words, single and
 * double quotes, C escapes (\\ \" \' \n \t \s \xHH …), `%%` → `%`, `$$` → `$`.
 * Other specifiers and variables are left as written. Throws on unbalanced
 * quotes or a trailing backslash.
 */
export function splitExecLine(line: string): string[] {
  const words: string[] = []
  let i = 0
  const n = line.length
  while (i < n) {
    while (i < n && /\s/.test(line[i]!)) i++
    if (i >= n) break
    let word = ''
    let quote: '"' | "'" | null = null
    for (; i < n; i++) {
      const c = line[i]!
      if (quote === null && /\s/.test(c)) break
      if (quote === null && (c === '"' || c === "'")) {
        quote = c
        continue
      }
      if (c === quote) {
        quote = null
        continue
      }
      if (c === '\\') {
        const e = line[i + 1]
        if (e === undefined) throw new Error('a backslash at the end of the line')
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16))
          i += 3
          continue
        }
        const mapped = C_ESCAPES[e]
        if (mapped === undefined) throw new Error(`an unknown escape \\${e}`)
        word += mapped
        i++
        continue
      }
      if (c === '%' && line[i + 1] === '%') {
        word += '%'
        i++
        continue
      }
      if (c === '$' && line[i + 1] === '$') {
        word += '$'
        i++
        continue
      }
      word += c
    }
    if (quote !== null) throw new Error('unbalanced quotes')
    words.push(word)
  }
  return words
}

/** The parts of the guard's drop-in that status and uninstall need. */
export interface GuardDropIn {
  path: string
  /** the file starts with our mark */
  ours: boolean
  /** the ExecStartPre line's prefix characters (e.g. "-+") and words */
  prefix: string
  argv: string[]
  /** flags of its `guard run` */
  boltPath?: string
  exportDir?: string
  recipients: string[]
  recipientsFiles: string[]
  plaintextExports: boolean
  /** why the line cannot be read, when it cannot */
  problem?: string
}

/** The value flags of `guard run` read from its argv (after "guard run"). */
export function guardRunFlags(args: readonly string[]): Pick<GuardDropIn, 'boltPath' | 'exportDir' | 'recipients' | 'recipientsFiles' | 'plaintextExports'> {
  const out = {recipients: [] as string[], recipientsFiles: [] as string[], plaintextExports: false, boltPath: undefined as string | undefined, exportDir: undefined as string | undefined}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const eq = a.indexOf('=')
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a
    const value = (): string | undefined => (a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : args[++i])
    if (name === '--bolt-path') out.boltPath = value()
    else if (name === '--export-dir') out.exportDir = value()
    else if (name === '--recipient') out.recipients.push(value() ?? '')
    else if (name === '--recipients-file') out.recipientsFiles.push(value() ?? '')
    else if (a === '--plaintext-exports') out.plaintextExports = true
  }
  return out
}

/** Parses the text of a drop-in written by renderDropIn (or edited by hand). */
export function parseDropIn(file: string, text: string): GuardDropIn {
  const ours = text.startsWith(DROP_IN_MARK)
  const base: GuardDropIn = {path: file, ours, prefix: '', argv: [], recipients: [], recipientsFiles: [], plaintextExports: false}
  // systemd joins a line ending in a backslash with the next one
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)
  const lines = logical.map((l) => l.trim()).filter((l) => /^ExecStartPre\s*=/.test(l))
  if (lines.length !== 1) return {...base, problem: lines.length === 0 ? 'it has no ExecStartPre= line' : 'it has more than one ExecStartPre= line'}
  const value = lines[0]!.replace(/^ExecStartPre\s*=\s*/, '')
  const prefix = /^[-@:+!]*/.exec(value)![0]
  let argv: string[]
  try {
    argv = splitExecLine(value.slice(prefix.length))
  } catch (err) {
    return {...base, prefix, problem: `its ExecStartPre= line cannot be read: ${(err as Error).message}`}
  }
  const at = argv.findIndex((w, j) => w === 'guard' && argv[j + 1] === 'run')
  if (at < 0) return {...base, prefix, argv, problem: 'its ExecStartPre= line does not run "guard run"'}
  return {...base, prefix, argv, ...guardRunFlags(argv.slice(at + 2))}
}

/** The drop-in's text for the `guard run` command line `argv`. */
export function renderDropIn(unit: string, argv: readonly string[]): string {
  return [
    DROP_IN_MARK,
    `# Before every start of ${unit}: capture the plaintext of any raw InfluxDB token not yet in`,
    '# the newest export, so that an upgrade that hashes the tokens cannot lose them.',
    '# "-": a failing capture never stops influxd (it says why in the journal);',
    '# "+": runs as root whatever User= the unit sets, so the exports stay root\'s.',
    '# Check it with "influx-recover guard status"; remove it with "influx-recover guard uninstall".',
    '[Service]',
    `ExecStartPre=${EXEC_PREFIX}${execLine(argv)}`,
    '',
  ].join('\n')
}

/**
 * How this CLI is started, as absolute paths: node and the script it runs
 * (symlinks resolved, so the line does not depend on PATH or on where a
 * link points later), or the executable alone for a single-file build.
 */
export function cliInvocation(): string[] {
  const exe = process.execPath
  const script = process.argv[1]
  if (script === undefined || script === '') return [exe]
  let real: string
  try {
    real = fs.realpathSync(script)
  } catch {
    real = path.resolve(script)
  }
  let realExe = exe
  try {
    realExe = fs.realpathSync(exe)
  } catch {
    // keep exe
  }
  return real === realExe ? [exe] : [exe, real]
}

/** Reads a drop-in without following a link at its name or blocking; undefined when there is none. */
export function readDropIn(file: string): GuardDropIn | undefined {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    if (code === 'ELOOP') throw new RecoverError(`${file} is a symlink: refusing to read or replace it`, ExitCode.ERROR, 'remove it by hand if it is not yours')
    throw new RecoverError(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new RecoverError(`${file} is not a regular file`, ExitCode.ERROR)
    if (st.size > 1 << 20) throw new RecoverError(`${file} is larger than 1 MiB: not a drop-in of ours`, ExitCode.ERROR)
    return parseDropIn(file, fs.readFileSync(fd, 'utf8'))
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Every guard drop-in under `systemdDir` (one per unit directory), for
 * doctor: `<unit>.d/50-influx-recover-guard.conf` of any unit.
 */
export function findDropIns(systemdDir: string): GuardDropIn[] {
  let names: string[]
  try {
    names = fs.readdirSync(systemdDir)
  } catch {
    return []
  }
  const out: GuardDropIn[] = []
  for (const n of names.sort()) {
    if (!n.endsWith('.service.d')) continue
    try {
      const d = readDropIn(path.join(systemdDir, n, DROP_IN_NAME))
      if (d !== undefined) out.push(d)
    } catch {
      // not readable: doctor reports only what it can read
    }
  }
  return out
}

function checkDir(dir: string): void {
  const st = fs.lstatSync(dir)
  if (st.isSymbolicLink()) throw new RecoverError(`${dir} is a symlink: refusing to write a drop-in through it`, ExitCode.ERROR)
  if (!st.isDirectory()) throw new RecoverError(`${dir} is not a directory`, ExitCode.ERROR)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) throw new RecoverError(`${dir} belongs to uid ${st.uid}: refusing to write a drop-in there`, ExitCode.ERROR)
  if ((st.mode & 0o022) !== 0) throw new RecoverError(`${dir} is writable by its group or others (mode ${(st.mode & 0o777).toString(8)}): refusing to write a drop-in there`, ExitCode.ERROR)
}

/**
 * Writes the drop-in (mode 0644, as unit files are): through a new temporary
 * file in the same directory (exclusive, no link followed), fsynced, renamed
 * over the old one, the directory fsynced. The `<unit>.d` directory is
 * created (0755) when missing; the systemd directory must exist.
 */
export function writeDropIn(systemdDir: string, unit: string, text: string): string {
  try {
    checkDir(systemdDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecoverError(`the systemd directory ${systemdDir} does not exist`, ExitCode.NOT_FOUND, 'is this a systemd machine? --systemd-dir names another one; in containers use "guard install --print docker|kubernetes"')
    throw err
  }
  const dir = dropInDir(systemdDir, unit)
  try {
    fs.mkdirSync(dir, {mode: 0o755})
    fs.chmodSync(dir, 0o755)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RecoverError(`cannot create ${dir}: ${(err as Error).message}`)
  }
  checkDir(dir)
  const file = path.join(dir, DROP_IN_NAME)
  const tmp = path.join(dir, `.${DROP_IN_NAME}.${process.pid}.tmp`)
  let fd: number
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644)
  } catch (err) {
    throw new RecoverError(`cannot create ${tmp}: ${(err as Error).message}`)
  }
  try {
    fs.fchmodSync(fd, 0o644)
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(tmp, file)
  } catch (err) {
    try {
      fs.closeSync(fd)
    } catch {
      // already closed
    }
    fs.rmSync(tmp, {force: true})
    throw new RecoverError(`cannot write ${file}: ${(err as Error).message}`)
  }
  syncDir(dir)
  return file
}

/** Removes the drop-in, and its `<unit>.d` directory when that is left empty. */
export function removeDropIn(file: string): void {
  fs.rmSync(file)
  const dir = path.dirname(file)
  syncDir(dir)
  try {
    fs.rmdirSync(dir)
  } catch {
    // not empty (other drop-ins) or not ours to remove
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
    fs.fsyncSync(fd)
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}
