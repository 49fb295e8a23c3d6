/**
 * Errors raised by the engine. The engine knows nothing of the CLI: callers map
 * `kind` to exit codes. Anything raised while decoding file bytes is 'corrupt',
 * so damaged input can never surface as a TypeError or RangeError.
 */
export type BoltErrorKind =
  | 'corrupt' // the file's bytes break a format rule
  | 'invalid' // a bad argument from the caller (empty key, key too large, ...)
  | 'not-found' // bucket or key missing where one is required
  | 'exists' // bucket already exists
  | 'incompatible' // key vs bucket mismatch
  | 'tx' // transaction misuse (closed, not writable, one at a time)
  | 'io' // an operating-system error while reading or writing

export class BoltError extends Error {
  readonly kind: BoltErrorKind
  constructor(kind: BoltErrorKind, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'BoltError'
    this.kind = kind
  }
}

export const corrupt = (message: string): BoltError => new BoltError('corrupt', message)
