/**
 * Side files: everything the tool creates, appends to or reads back beside a
 * database (audit log, backups and their temporary files, exports, rescue
 * output). The tool runs as root in directories other users own, so each one
 * is opened
 *
 *  - without following a link (O_NOFOLLOW; O_EXCL for new files, which never
 *    follows one either), so a planted symlink cannot redirect a root write to
 *    /etc/… or create a file at a dangling target;
 *  - without blocking (O_NONBLOCK), so a planted FIFO cannot hang the command
 *    while it holds the database's lock;
 *  - and then checked through the descriptor (fstat): a regular file with one
 *    link, owned by the effective user, not writable by group or others — and
 *    the same file lstat saw before the open. Anything else is refused with
 *    one line (exit 1) before a byte is written.
 *
 * Everything after the open (writes, fsync, the read-back, truncation) goes
 * through the descriptor; the path is used once more only to remove a file,
 * and only after lstat shows it still names the file the descriptor holds.
 *
 * Where O_NOFOLLOW does not exist (Windows) the lstat before the open and the
 * identity comparison after it stand in for it; ownership and mode bits are
 * not checked there (Windows has neither in this form).
 */
import * as fs from 'node:fs'
import {dirname} from 'node:path'

import {ExitCode, RecoverError} from '../errors.js'

const C = fs.constants
/** 0 where the platform has no such flag (Windows): the lstat checks stand in. */
export const O_NOFOLLOW = C.O_NOFOLLOW ?? 0
const O_NONBLOCK = C.O_NONBLOCK ?? 0
const O_NOCTTY = C.O_NOCTTY ?? 0
const IS_WINDOWS = process.platform === 'win32'

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * The uid files must belong to: the effective uid, or undefined where there
 * is none (Windows). Tests that cannot chown (not root) pretend another uid
 * with INFLUX_RECOVER_TEST_HOOKS=euid-<n>.
 */
export function expectedOwner(): number | undefined {
  const hook = /(?:^|,)euid-(\d+)(?:,|$)/.exec(process.env.INFLUX_RECOVER_TEST_HOOKS ?? '')
  if (hook) return Number(hook[1])
  return process.geteuid?.()
}

/** "uid 999 (influxdb)" — the name when the passwd file has one. */
export function describeUid(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':')
      if (f.length > 2 && f[2] === String(uid) && f[0]) return `uid ${uid} (${f[0]})`
    }
  } catch {
    // no passwd file (containers, Windows): the number alone
  }
  return `uid ${uid}`
}

/** "a symbolic link", "a FIFO", … for a file that is not what a side file must be. */
export function kindOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link'
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device'
  if (st.isFile()) return 'a regular file'
  return 'a special file'
}

/** The one error for a side file that is not what it must be (exit 1, nothing written). */
export function refusedSideFile(path: string, what: string, why: string, hint?: string): RecoverError {
  return new RecoverError(
    `refusing to use ${path} as the ${what}: it ${why}`,
    ExitCode.ERROR,
    hint ?? `it is never followed or written through; check how it got there, remove it (rm -- ${shellQuote(path)}) and run the command again`,
  )
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * Why `st` (from lstat or fstat) is not acceptable for a side file, or
 * undefined when it is: a regular file with exactly one link, ours, not
 * writable by group or others.
 */
export function sideFileProblem(st: fs.Stats): string | undefined {
  if (!st.isFile()) return `is ${kindOf(st)}, not a regular file`
  // A hard link to a file elsewhere (say /etc/shadow, planted by the
  // directory's owner) would pass every other check as root's own file.
  if (st.nlink > 1) return `has ${st.nlink} hard links (it may be another file under a second name)`
  const owner = expectedOwner()
  if (owner !== undefined && st.uid !== owner) return `is owned by ${describeUid(st.uid)}, not by ${describeUid(owner)} who runs this command`
  if (!IS_WINDOWS && (st.mode & 0o022) !== 0) return `is writable by ${(st.mode & 0o020) !== 0 ? 'its group' : 'others'} (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')})`
  return undefined
}

/** The same file: device and inode (on Windows, volume serial and file index). */
export function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino
}

export interface OpenSideFileOptions {
  /** for messages: "audit log", "backup", "export", … */
  what: string
  /**
   * exclusive: a new file, created here (O_CREAT|O_EXCL, mode set with fchmod);
   * append: created when missing, else an existing file that passes the checks, opened O_APPEND;
   * read: an existing file that passes the checks, read-only.
   */
  how: 'exclusive' | 'append' | 'read'
  /** mode of a new file (default 0600) */
  mode?: number
  /** exclusive only: also readable through the descriptor (read-back) */
  readBack?: boolean
}

/**
 * An open side file. Every operation goes through the descriptor; `discard`
 * is the only one that uses the path again, after checking it still names
 * this file.
 */
export class SideFile {
  private closed = false

  constructor(
    readonly fd: number,
    readonly path: string,
    readonly what: string,
    /** true when this open created the file */
    readonly created: boolean,
  ) {}

  stat(): fs.Stats {
    return fs.fstatSync(this.fd)
  }

  /** Writes all of `data` at `position` (default: the end for append, else 0 onward as written). */
  write(data: string | Buffer, position?: number): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let off = 0
    while (off < buf.length) {
      off += position === undefined ? fs.writeSync(this.fd, buf, off, buf.length - off) : fs.writeSync(this.fd, buf, off, buf.length - off, position + off)
    }
  }

  sync(): void {
    fs.fsyncSync(this.fd)
  }

  /** The whole content, read through the descriptor (positioned reads, the file offset is untouched). */
  readAll(): Buffer {
    const size = fs.fstatSync(this.fd).size
    const buf = Buffer.allocUnsafe(size)
    let got = 0
    while (got < size) {
      const n = fs.readSync(this.fd, buf, got, size - got, got)
      if (n === 0) break
      got += n
    }
    return got === size ? buf : buf.subarray(0, got)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    fs.closeSync(this.fd)
  }

  /**
   * Gets rid of a file this run created and must not leave behind (a failed
   * export, an unfinished backup): its content is truncated through the
   * descriptor (so nothing secret survives even if the name was moved), then
   * the name is removed if it still names this file. Never throws.
   */
  discard(): void {
    let st: fs.Stats | undefined
    try {
      st = fs.fstatSync(this.fd)
      fs.ftruncateSync(this.fd, 0)
      fs.fsyncSync(this.fd)
    } catch {
      // best effort: the unlink below still runs
    }
    if (st !== undefined) removeIfSame(this.path, st)
    try {
      this.close()
    } catch {
      // nothing left to lose
    }
    syncDir(dirname(this.path))
  }
}

/**
 * Removes `path` only if it still names the file `st` describes (lstat: a
 * link there is not the file). `st` must be of a file still held open, so
 * its inode number cannot have been reused. Never throws.
 */
export function removeIfSame(path: string, st: fs.Stats): boolean {
  try {
    const now = fs.lstatSync(path)
    if (!sameFile(now, st) || !now.isFile()) return false
    fs.unlinkSync(path)
    return true
  } catch {
    return false
  }
}

/** fsync of a directory makes new and removed names durable; not possible everywhere (Windows), then skipped. */
export function syncDir(dir: string): void {
  let fd: number
  try {
    fd = fs.openSync(dir, C.O_RDONLY | (C.O_DIRECTORY ?? 0) | O_NONBLOCK)
  } catch {
    return
  }
  try {
    fs.fsyncSync(fd)
  } catch {
    // some filesystems refuse fsync on directories; the files themselves are synced
  } finally {
    fs.closeSync(fd)
  }
}

function lstatOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw err
  }
}

/** The error for an open that failed: names what is there instead when lstat can tell. */
function openFailed(path: string, what: string, err: unknown): RecoverError {
  const code = errnoCode(err)
  if (code === 'EEXIST') {
    return new RecoverError(`refusing to overwrite ${path}: it already exists`, ExitCode.ERROR, `choose a new path for the ${what} (an existing file is never replaced)`)
  }
  if (code === 'ELOOP' || code === 'EMLINK' || code === 'ENXIO' || code === 'EISDIR' || code === 'EFTYPE') {
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(path)
    } catch {
      // gone meanwhile: report the open's own error
    }
    if (st !== undefined) return refusedSideFile(path, what, `is ${kindOf(st)}, not a regular file`)
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') return new RecoverError(`cannot create the ${what} ${path}: its directory does not exist`, ExitCode.NOT_FOUND)
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(`creating the ${what} ${path}`, err)
  return new RecoverError(`cannot open the ${what} ${path}: ${message(err)}`)
}

/** One line for a full disk (or quota): what was being done and what to do. */
export function diskFull(doing: string, err: unknown): RecoverError {
  const quota = errnoCode(err) === 'EDQUOT'
  return new RecoverError(
    `${quota ? 'disk quota exceeded' : 'no space left on the device'} while ${doing}`,
    ExitCode.ERROR,
    'free some space on that filesystem (df -h shows which), or put the backup on another one with --backup-dir DIR; nothing was changed unless a line above says so',
  )
}

/**
 * Opens a side file as the module header describes; throws one RecoverError
 * (exit 1; exit 5 for a missing directory) when it cannot or must not be used.
 */
export function openSideFile(path: string, opts: OpenSideFileOptions, retried = false): SideFile {
  const {what, how} = opts
  const mode = opts.mode ?? 0o600
  const before = lstatOrUndefined(path)
  if (how === 'exclusive' && before !== undefined) {
    // O_EXCL would refuse it too; saying what is there helps more than EEXIST
    if (before.isSymbolicLink() || !before.isFile()) throw refusedSideFile(path, what, `is ${kindOf(before)} (a new file was to be created there)`)
    throw openFailed(path, what, Object.assign(new Error('exists'), {code: 'EEXIST'}))
  }
  if (how === 'read' && before === undefined) throw new RecoverError(`the ${what} ${path} does not exist`, ExitCode.NOT_FOUND)
  if (before !== undefined) {
    // never open what must not be opened at all (a device, a FIFO): lstat decides first
    const problem = sideFileProblem(before)
    if (problem !== undefined) throw refusedSideFile(path, what, problem)
  }

  const create = how === 'exclusive' || (how === 'append' && before === undefined)
  let flags: number
  if (how === 'read') flags = C.O_RDONLY
  else if (how === 'append') flags = C.O_WRONLY | C.O_APPEND | (create ? C.O_CREAT | C.O_EXCL : 0)
  else flags = (opts.readBack ? C.O_RDWR : C.O_WRONLY) | C.O_CREAT | C.O_EXCL
  flags |= O_NOFOLLOW | O_NONBLOCK | O_NOCTTY

  let fd: number
  try {
    fd = fs.openSync(path, flags, mode)
  } catch (err) {
    // append: someone created it between our lstat and the open; look again once
    if (how === 'append' && create && errnoCode(err) === 'EEXIST' && !retried) return openSideFile(path, opts, true)
    throw openFailed(path, what, err)
  }
  let st: fs.Stats | undefined
  try {
    st = fs.fstatSync(fd)
    if (create) {
      // the umask may have taken bits away; be exact either way
      if (!IS_WINDOWS) fs.fchmodSync(fd, mode)
    } else {
      if (!sameFile(st, before!)) throw refusedSideFile(path, what, 'changed while being opened (another file took its place)')
      const problem = sideFileProblem(st)
      if (problem !== undefined) throw refusedSideFile(path, what, problem)
    }
    return new SideFile(fd, path, what, create)
  } catch (err) {
    if (create && st !== undefined) removeIfSame(path, st)
    fs.closeSync(fd)
    throw err instanceof RecoverError ? err : new RecoverError(`cannot use the ${what} ${path}: ${message(err)}`)
  }
}

/**
 * Checks without creating or opening anything (a dry run): refuses what
 * openSideFile would refuse for an existing file; a missing one is fine.
 */
export function inspectSideFile(path: string, what: string): void {
  const st = lstatOrUndefined(path)
  if (st === undefined) return
  const problem = sideFileProblem(st)
  if (problem !== undefined) throw refusedSideFile(path, what, problem)
}

/** Creates `path` exclusively (0600), writes `data`, fsyncs it and its directory; removes it again on any failure. */
export function writeNewSideFile(path: string, data: string | Buffer, what: string): void {
  const f = openSideFile(path, {what, how: 'exclusive'})
  try {
    f.write(data, 0)
    f.sync()
  } catch (err) {
    f.discard()
    if (errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT') throw diskFull(`writing the ${what} ${path}`, err)
    throw new RecoverError(`cannot write the ${what} ${path}: ${message(err)}`)
  }
  f.close()
  syncDir(dirname(path))
}
