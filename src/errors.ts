/**
 * Exit codes of the whole CLI (documented in the README). Every error that can
 * reach the user is a RecoverError carrying one of these, so a command can turn
 * it into one line on stderr and a distinct exit status, never a stack trace.
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  LOCKED: 3,
  CORRUPT: 4,
  NOT_FOUND: 5,
  VERIFY_FAILED: 6,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export class RecoverError extends Error {
  readonly exitCode: ExitCode
  /** A short hint of what to do next, printed after the message. */
  readonly hint?: string

  constructor(message: string, exitCode: ExitCode = ExitCode.ERROR, hint?: string) {
    super(message)
    this.name = 'RecoverError'
    this.exitCode = exitCode
    this.hint = hint
  }
}

/** The file is not a valid bbolt file, or its structure is damaged. */
export class CorruptError extends RecoverError {
  constructor(message: string) {
    super(message, ExitCode.CORRUPT)
    this.name = 'CorruptError'
  }
}

export class NotFoundError extends RecoverError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.NOT_FOUND, hint)
    this.name = 'NotFoundError'
  }
}

export class LockedError extends RecoverError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.LOCKED, hint)
    this.name = 'LockedError'
  }
}

export class UsageError extends RecoverError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.USAGE, hint)
    this.name = 'UsageError'
  }
}
