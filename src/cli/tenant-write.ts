/**
 * The path from flags to a safe write for the org, member and bucket
 * commands: find the file, take the exclusive lock, run performWrite
 * (consistency check, trial run, --dry-run, confirmation of destructive
 * changes, backup, one transaction, verification with undo, audit line).
 * The meta.db codec is loaded here, before the lock, only by the commands
 * that need it.
 */
import type {Tx} from '../bbolt/tx.js'
import type {MetaCodec} from '../influxd/metadata.js'
import {loadMetaCodec} from '../influxd/metadata.js'
import type {PlannedChange} from '../recovery/user-write.js'
import {withDataFile, type DataFileContext} from './data-file.js'
import {findInfluxdFile} from './influxd-file.js'
import {performWrite, type WriteOutcome} from './write.js'

export interface TenantWriteFlags {
  'bolt-path'?: string
  'lock-timeout': number
  'dry-run': boolean
  yes: boolean
  backup: boolean
  'backup-dir'?: string
  json: boolean
}

export interface TenantWriteSpec<R> {
  command: string
  flags: TenantWriteFlags & Record<string, unknown>
  label: string
  summary: string
  /** a function: decided after prepare */
  destructive: boolean | (() => boolean)
  /** load the meta.db codec first (and hand it to apply/verify) */
  meta?: boolean
  /** runs under the lock before the write; returning false ends the command without writing */
  prepare?: (ctx: DataFileContext, codec: MetaCodec | undefined) => Promise<boolean | void> | boolean | void
  apply: (tx: Tx, codec: MetaCodec | undefined) => R
  verify: (tx: Tx, result: R, codec: MetaCodec | undefined) => string[]
  ids: (result: R) => string[]
}

export async function tenantWrite<R>(spec: TenantWriteSpec<R>, note: (line: string) => void): Promise<{path: string; outcome: WriteOutcome<R>} | null> {
  const {flags} = spec
  const codec = spec.meta ? await loadMetaCodec() : undefined
  const {path} = await findInfluxdFile(flags['bolt-path'])
  const outcome = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true, hashBefore: !flags['dry-run'] && !flags.backup}, async (ctx) => {
    if (spec.prepare !== undefined && (await spec.prepare(ctx, codec)) === false) return null
    return performWrite(
      ctx,
      {
        dryRun: flags['dry-run'], yes: flags.yes, backup: flags.backup, backupDir: flags['backup-dir'], canPrompt: true,
        // flags left off (false) say nothing: the audit keeps the ones given
        command: spec.command, flags: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== false)),
      },
      {
        label: spec.label,
        summary: spec.summary,
        destructive: typeof spec.destructive === 'function' ? spec.destructive() : spec.destructive,
        apply: (tx) => spec.apply(tx, codec),
        verify: (tx, r) => spec.verify(tx, r, codec),
        audit: (r) => ({ids: spec.ids(r)}),
      },
      note,
    )
  })
  return outcome === null ? null : {path, outcome}
}

/** One line per planned change: `add bucketsv1 "<key>" = <value>`. */
export function changeLines(changes: readonly PlannedChange[]): string[] {
  return changes.map((c) => `  ${c.action} ${c.bucket} ${JSON.stringify(c.key)}${c.action === 'remove' ? '' : ` = ${c.value}`}`)
}
