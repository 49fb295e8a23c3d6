/**
 * Writing a brand-new bbolt file (load, compact) without ever leaving a
 * partial file at the target: the file is built under a hidden temporary
 * name in the same directory, checked and verified, and only then linked to
 * the target name, which must not exist (never overwritten).
 */
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {check, type CheckReport} from '../bbolt/check.js'
import type {DB} from '../bbolt/db.js'
import {ExitCode, NotFoundError, RecoverError} from '../errors.js'

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function refuseOverwrite(out: string): RecoverError {
  return new RecoverError(`refusing to overwrite ${out}: it already exists`, ExitCode.ERROR, 'choose a new output path (or remove the old file yourself)')
}

/** Throws unless `out` is free (nothing there, not even a dangling symlink) and its directory exists. */
export function assertNewPath(out: string): void {
  try {
    fs.lstatSync(out)
    throw refuseOverwrite(out)
  } catch (err) {
    if (err instanceof RecoverError) throw err
    if (errnoCode(err) !== 'ENOENT') throw new RecoverError(`cannot use ${out}: ${(err as Error).message}`)
  }
  const dir = dirname(out)
  let st: fs.Stats
  try {
    st = fs.statSync(dir)
  } catch {
    throw new NotFoundError(`output directory does not exist: ${dir}`)
  }
  if (!st.isDirectory()) throw new NotFoundError(`output directory is not a directory: ${dir}`)
}

export interface NewFileResult<T> {
  result: T
  report: CheckReport
}

/**
 * build(tmpPath) must create the file at tmpPath and return it open.
 * verify(db, result) returns mismatches (empty = ok). On any failure the
 * temporary file is removed and `out` is never created.
 */
export function createNewFile<T>(
  out: string,
  build: (tmpPath: string) => {db: DB; result: T},
  verify: (db: DB, result: T, report: CheckReport) => string[],
): NewFileResult<T> {
  assertNewPath(out)
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  const cleanup = (): void => {
    try {
      fs.rmSync(tmp, {force: true})
    } catch {
      // best effort
    }
  }
  // Everything below is synchronous, so a signal handler could not run before
  // it ends anyway: a run killed midway leaves only the hidden temporary file.
  try {
    const {db, result} = build(tmp)
    let report: CheckReport
    let failures: string[]
    try {
      report = check(db)
      failures = [...report.problems, ...verify(db, result, report)]
    } finally {
      db.close()
    }
    if (failures.length > 0) {
      const more = failures.length > 1 ? ` (+${failures.length - 1} more)` : ''
      throw new RecoverError(`verification of the new file failed: ${failures[0]}${more}; nothing was written to ${out}`, ExitCode.VERIFY_FAILED)
    }
    try {
      fs.linkSync(tmp, out)
    } catch (err) {
      const code = errnoCode(err)
      if (code === 'EEXIST') throw refuseOverwrite(out)
      // filesystems without hard links: an exclusive copy is just as safe
      try {
        fs.copyFileSync(tmp, out, fs.constants.COPYFILE_EXCL)
        const fd = fs.openSync(out, fs.constants.O_RDONLY)
        try {
          fs.fsyncSync(fd)
        } finally {
          fs.closeSync(fd)
        }
      } catch (err2) {
        if (errnoCode(err2) === 'EEXIST') throw refuseOverwrite(out)
        throw new RecoverError(`cannot create ${out}: ${(err2 as Error).message}`)
      }
    }
    syncDir(dirname(out))
    return {result, report}
  } finally {
    cleanup()
  }
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY)
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // not supported everywhere; the file itself was synced by the engine
  }
}
