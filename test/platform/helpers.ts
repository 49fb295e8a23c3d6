// Shared helpers for the platform tests: temp dirs, and an external flock(1) holder
// that plays the part of a running influxd.
import {execFile, spawn} from 'node:child_process'
import type {ChildProcess} from 'node:child_process'
import {promises as fsp} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {expect} from 'vitest'

import {RecoverError} from '../../src/errors.js'

export const FLOCK_BIN = '/usr/bin/flock'
const execFileP = promisify(execFile)

/** Creates a temp dir; call the returned cleanup in afterEach. */
export async function makeTempDir(prefix = 'ir-platform-'): Promise<string> {
  // realpath: os.tmpdir() may itself be a symlink, and results report canonical paths.
  return fsp.realpath(await fsp.mkdtemp(join(tmpdir(), prefix)))
}

export async function removeDir(dir: string): Promise<void> {
  await fsp.rm(dir, {recursive: true, force: true})
}

/** Runs fn, asserts it rejects with a RecoverError of the given exit code, and returns the error. */
export async function expectRecoverError(fn: () => Promise<unknown>, exitCode: number): Promise<RecoverError> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(RecoverError)
  const err = caught as RecoverError
  expect(err.exitCode).toBe(exitCode)
  return err
}

export interface ExternalFlock {
  child: ChildProcess
  /** Ends the holder (closes its stdin so `cat` exits) and waits until the lock is gone. */
  release(): Promise<void>
}

/**
 * Holds flock(1) -x or -s on file in a child process until released. Resolves only once
 * the child printed "locked", i.e. the lock is really held. `cat` keeps it alive until its
 * stdin closes, which also happens if the test process dies, so nothing lingers.
 */
export async function holdExternalFlock(file: string, mode: 'x' | 's'): Promise<ExternalFlock> {
  const child = spawn(FLOCK_BIN, [`-${mode}`, file, '-c', 'echo locked; exec cat'], {stdio: ['pipe', 'pipe', 'inherit']})
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('flock(1) did not report the lock within 5 s')), 5000)
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('locked')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  let done: Promise<void> | undefined
  return {
    child,
    release: () =>
      (done ??= (async () => {
        child.stdin!.end()
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      })()),
  }
}

/** Whether flock(1) could take the lock right now without waiting (exit 0) or not (exit 1). */
export async function externalFlockAvailable(file: string, mode: 'x' | 's'): Promise<boolean> {
  try {
    await execFileP(FLOCK_BIN, ['-n', `-${mode}`, file, 'true'])
    return true
  } catch (err) {
    if ((err as {code?: unknown}).code === 1) return false
    throw err
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path)
    return true
  } catch {
    return false
  }
}
