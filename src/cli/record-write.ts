/**
 * The path from flags to a safe write for the v1 authorization, user
 * administration and token update commands: find the file like influxd,
 * lock it, let the command look before it writes (a no-op ends here), then
 * performWrite (consistency check, trial, confirmation when destructive,
 * backup, one transaction, verification with undo, audit line).
 */
import type {DB, Tx} from '../bbolt/index.js'
import type {DataFileContext} from './data-file.js'
import {withDataFile} from './data-file.js'
import {findInfluxdFile} from './influxd-file.js'
import {performWrite, type AuditDescription, type WriteOutcome} from './write.js'

export interface WriteFlagValues {
  'bolt-path'?: string
  'lock-timeout': number
  'dry-run': boolean
  yes: boolean
  backup: boolean
  'backup-dir'?: string
  json: boolean
}

export interface RecordWriteSpec<R> {
  /** e.g. "v1 auth create", for the audit line */
  command: string
  /** every parsed flag, for the audit line (secret ones are redacted there; false ones are left out) */
  flags: WriteFlagValues & Record<string, unknown>
  /** backup label, e.g. "pre-v1-create" */
  label: string
  /** for the confirmation: "delete user alice" (a function: read after prepare) */
  summary: string | (() => string)
  destructive: boolean
  /** false when stdin carried input (a password), so it cannot answer a prompt */
  canPrompt: boolean
  /** runs under the lock before the write; returning false ends the command (nothing written) */
  prepare?: (ctx: DataFileContext) => Promise<boolean | void> | boolean | void
  apply: (tx: Tx) => R
  verify: (tx: Tx, result: R) => string[]
  audit: (result: R) => AuditDescription
}

export interface RecordWriteDone<R> {
  path: string
  outcome: WriteOutcome<R>
}

/** Runs the write; null when prepare ended the command. `note` prints a line on stderr. */
export async function runRecordWrite<R>(spec: RecordWriteSpec<R>, note: (line: string) => void): Promise<RecordWriteDone<R> | null> {
  const {flags} = spec
  const {path} = await findInfluxdFile(flags['bolt-path'])
  const outcome = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true, hashBefore: !flags['dry-run'] && !flags.backup}, async (ctx) => {
    if (spec.prepare !== undefined && (await spec.prepare(ctx)) === false) return null
    return performWrite(
      ctx,
      {
        dryRun: flags['dry-run'], yes: flags.yes, backup: flags.backup, backupDir: flags['backup-dir'], canPrompt: spec.canPrompt,
        command: spec.command, flags: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== false)),
      },
      {label: spec.label, summary: typeof spec.summary === 'function' ? spec.summary() : spec.summary, destructive: spec.destructive, apply: spec.apply, verify: spec.verify, audit: spec.audit},
      note,
    )
  })
  return outcome === null ? null : {path, outcome}
}

/**
 * What `fn` returns when run in a write transaction that is then rolled
 * back: for looking at a change before deciding to make it (a no-op needs
 * no backup, no confirmation and no audit line).
 */
export function tryApply<R>(db: DB, fn: (tx: Tx) => R): R {
  const tx = db.begin(true)
  try {
    return fn(tx)
  } finally {
    tx.rollback()
  }
}
