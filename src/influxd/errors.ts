/**
 * Errors of the influxd.bolt schema layer. A SchemaError means a value does
 * not follow the influxd schema (a malformed ID, an undecodable record, a
 * value influxd itself would refuse to marshal). It is a RecoverError, so it
 * reaches the user as one line, never a stack trace.
 */
import {ExitCode, RecoverError} from '../errors.js'

export interface SchemaErrorContext {
  /** the top-level bolt bucket the value came from (or is going to) */
  bucket?: string
  /** the record key inside that bucket, as text */
  key?: string
  /** the JSON field (Go json name, or a path such as permissions[2].resource.orgID) */
  field?: string
}

export class SchemaError extends RecoverError {
  /** the message without the bucket/key/field prefix */
  readonly reason: string
  readonly bucket?: string
  readonly key?: string
  readonly field?: string

  constructor(reason: string, context: SchemaErrorContext = {}, exitCode: ExitCode = ExitCode.CORRUPT) {
    super(describe(reason, context), exitCode)
    this.name = 'SchemaError'
    this.reason = reason
    this.bucket = context.bucket
    this.key = context.key
    this.field = context.field
  }

  /** The same error with more context filled in (fields already set win). */
  withContext(context: SchemaErrorContext): SchemaError {
    return new SchemaError(
      this.reason,
      {bucket: this.bucket ?? context.bucket, key: this.key ?? context.key, field: this.field ?? context.field},
      this.exitCode,
    )
  }
}

function describe(reason: string, c: SchemaErrorContext): string {
  const where: string[] = []
  if (c.bucket !== undefined) where.push(`bucket ${JSON.stringify(c.bucket)}`)
  if (c.key !== undefined) where.push(`key ${JSON.stringify(c.key)}`)
  if (c.field !== undefined) where.push(`field ${JSON.stringify(c.field)}`)
  return where.length === 0 ? reason : `${where.join(', ')}: ${reason}`
}
