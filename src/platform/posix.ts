/**
 * What differs on Windows, where influxd also runs (not yet tested there):
 * file modes are emulated (only the read-only bit is real, stat reports 0o666
 * or 0o444), and there is no O_NOFOLLOW, O_NONBLOCK or O_NOCTTY (fs.constants
 * lacks them; OR-ing undefined into open flags adds nothing, so opens still
 * work, without those guarantees). Checks of permission bits go through here
 * so they hold on Linux and macOS and are skipped where the bits mean nothing.
 */
import {constants as fsConstants, type Stats} from 'node:fs'

/** Whether permission bits are real (every platform but Windows). */
export const POSIX_MODES = process.platform !== 'win32'

/** O_NOFOLLOW where the platform has it, else 0 (callers lstat first where it matters). */
export const O_NOFOLLOW: number = fsConstants.O_NOFOLLOW ?? 0

/** Why a file meant to have exactly `mode` (e.g. 0o600) does not; undefined when it has it or modes are not POSIX. */
export function modeProblem(st: Pick<Stats, 'mode'>, mode: number, path: string): string | undefined {
  if (!POSIX_MODES || (st.mode & 0o777) === mode) return undefined
  return `${path} has mode ${(st.mode & 0o777).toString(8)}, not ${mode.toString(8)}`
}
