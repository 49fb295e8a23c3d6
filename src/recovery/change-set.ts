/**
 * The record-level changes of one write, made and remembered at once: every
 * put and delete goes to the transaction and into a plan (what --dry-run
 * shows, secrets replaced by a description) and into the expectations that
 * verify() checks against the file after the commit (each key holds exactly
 * the bytes written, or is absent). The last operation on a key decides what
 * is expected of it.
 */
import type {Bucket, Tx} from '../bbolt/index.js'
import {ExitCode, RecoverError} from '../errors.js'
import {escapeInvisible} from './name-rules.js'

export interface PlanStep {
  action: 'add' | 'change' | 'remove'
  bucket: string
  /** the key as shown to people */
  key: string
  /** the value as shown to people (absent for removals) */
  value?: string
}

interface Expectation {
  bucket: string
  key: Buffer
  /** null: the key must be absent */
  value: Buffer | null
  shown: string
}

export interface ShownAs {
  /** the key as shown (default: the key bytes as UTF-8) */
  key?: string
  /** the value as shown (default: the value bytes as UTF-8), e.g. "(bcrypt hash, not shown)" */
  value?: string
}

/** A top-level bucket the write needs; a missing one means a damaged or foreign file (exit 4). */
export function requiredBucket(tx: Tx, name: string): Bucket {
  const b = tx.bucket(Buffer.from(name, 'utf8'))
  if (b === undefined) {
    throw new RecoverError(`bucket "${name}" is missing: not an influxd metadata file, or a damaged one`, ExitCode.CORRUPT, 'run "influx-recover doctor" for a report')
  }
  return b
}

export class ChangeSet {
  readonly plan: PlanStep[] = []
  private readonly expected = new Map<string, Expectation>()

  constructor(private readonly tx: Tx) {}

  /** Puts `value` under `key`; recorded as an add or a change. */
  put(bucket: string, key: Buffer, value: Buffer, shown: ShownAs = {}): void {
    const b = requiredBucket(this.tx, bucket)
    const before = b.get(key)
    b.put(key, value)
    const keyText = shown.key ?? key.toString('utf8')
    this.plan.push({action: before === undefined ? 'add' : 'change', bucket, key: keyText, value: shown.value ?? value.toString('utf8')})
    this.expect(bucket, key, value, keyText)
  }

  /** Deletes `key` when it is there; false (nothing recorded) when it is not. */
  remove(bucket: string, key: Buffer, shown: ShownAs = {}): boolean {
    const b = this.tx.bucket(Buffer.from(bucket, 'utf8'))
    if (b === undefined || b.get(key) === undefined) return false
    b.delete(key)
    const keyText = shown.key ?? key.toString('utf8')
    this.plan.push({action: 'remove', bucket, key: keyText, ...(shown.value !== undefined ? {value: shown.value} : {})})
    this.expect(bucket, key, null, keyText)
    return true
  }

  /** What differs between the file as `tx` sees it and what was written: empty when every entry is as intended. */
  verify(tx: Tx): string[] {
    const problems: string[] = []
    for (const e of this.expected.values()) {
      const got = tx.bucket(Buffer.from(e.bucket, 'utf8'))?.get(e.key)
      if (e.value === null) {
        if (got !== undefined) problems.push(`${e.bucket}: ${e.shown} is still there`)
      } else if (got === undefined) problems.push(`${e.bucket}: ${e.shown} is missing`)
      else if (!got.equals(e.value)) problems.push(`${e.bucket}: ${e.shown} does not hold what was written`)
    }
    return problems
  }

  /** Plan lines: `add    usersv1[KEY] = VALUE`. */
  lines(): string[] {
    return planLines(this.plan)
  }

  private expect(bucket: string, key: Buffer, value: Buffer | null, shown: string): void {
    this.expected.set(`${bucket}\u0000${key.toString('hex')}`, {bucket, key: Buffer.from(key), value: value === null ? null : Buffer.from(value), shown})
  }
}

/** The plan as lines: `add    usersv1[KEY] = VALUE` (keys and values from the file with invisible characters escaped). */
export function planLines(plan: readonly PlanStep[]): string[] {
  return plan.map((s) => escapeInvisible(`${s.action.padEnd(6)} ${s.bucket}[${s.key}]${s.value !== undefined ? ` = ${s.value}` : ''}`))
}
