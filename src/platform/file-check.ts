/**
 * Pre-flight checks on a data file path, run BEFORE anything opens it.
 *
 * Why before: open() with O_CREAT would silently create a missing file (bbolt
 * 1.3.x does exactly that even read-only, spec §8), and open() on a FIFO
 * blocks until a writer appears, hanging the tool. lstat/stat/access never
 * have either side effect, so we classify the path with them first.
 */
import {constants as fsConstants, promises as fsp} from 'node:fs'
import type {Stats} from 'node:fs'

import {ExitCode, NotFoundError, RecoverError} from '../errors.js'

/** Same shape as fs.promises.access; injectable so tests can exercise the denial branch even as root. */
export type AccessFn = (path: string, mode: number) => Promise<void>

export interface OpenableDataFile {
  /** Canonical path (symlinks resolved); use it for lock files so every alias maps to one lock. */
  realPath: string
  size: number
  /** Permission bits only (st_mode & 0o7777), e.g. to recreate the file with the same mode. */
  mode: number
}

/** The one error for "this path exists but cannot be a bbolt file" (exit 4, like a corrupt file). */
export function notABoltFile(path: string, what: string): RecoverError {
  return new RecoverError(`${path} is ${what}, not a bbolt file`, ExitCode.CORRUPT)
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function permissionDenied(path: string, write: boolean): RecoverError {
  const need = write ? 'read and write access' : 'read access'
  return new RecoverError(
    `permission denied: ${path} (need ${need})`,
    ExitCode.ERROR,
    'run as the user that owns the file (often "influxdb", e.g. with sudo -u influxdb) or fix its permissions',
  )
}

/** Turns an lstat/stat/realpath failure into the user-facing error. */
function statError(path: string, err: unknown, viaSymlink: boolean, write: boolean): RecoverError {
  const code = errnoCode(err)
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new NotFoundError(viaSymlink ? `${path} is a symlink to a missing file` : `no such file: ${path}`, 'check the path; "influx-recover locate" lists the influxd.bolt files on this machine')
  }
  if (code === 'ELOOP') return new NotFoundError(`${path} is a symlink that cannot be resolved (loop)`)
  if (code === 'EACCES' || code === 'EPERM') return permissionDenied(path, write)
  return new RecoverError(`cannot inspect ${path}: ${err instanceof Error ? err.message : String(err)}`)
}

/** Names the kind of a non-regular file, or undefined for a regular file. */
function nonRegularKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device'
  return 'a special file'
}

export async function assertOpenableDataFile(
  path: string,
  opts: {write: boolean; access?: AccessFn},
): Promise<OpenableDataFile> {
  const access: AccessFn = opts.access ?? fsp.access

  // lstat first: it tells a missing path apart from a dangling symlink.
  let lst: Stats
  try {
    lst = await fsp.lstat(path)
  } catch (err) {
    throw statError(path, err, false, opts.write)
  }

  const viaSymlink = lst.isSymbolicLink()
  let st: Stats = lst
  if (viaSymlink) {
    try {
      st = await fsp.stat(path)
    } catch (err) {
      throw statError(path, err, true, opts.write)
    }
  }

  const kind = nonRegularKind(st)
  if (kind !== undefined) throw notABoltFile(path, kind)

  // access() uses the real uid/gid, which is what open() will be judged by. As root it
  // succeeds for reads regardless of mode bits — and root really can open the file then.
  const mode = fsConstants.R_OK | (opts.write ? fsConstants.W_OK : 0)
  try {
    await access(path, mode)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'EROFS') {
      throw new RecoverError(`${path} is on a read-only filesystem`, ExitCode.ERROR, 'remount it read-write or copy the file elsewhere first')
    }
    if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(path, opts.write)
    throw statError(path, err, viaSymlink, opts.write)
  }

  let realPath: string
  try {
    realPath = await fsp.realpath(path)
  } catch (err) {
    throw statError(path, err, viaSymlink, opts.write)
  }

  return {realPath, size: st.size, mode: st.mode & 0o7777}
}
