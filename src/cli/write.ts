/**
 * The safe write path for commands that modify a data file in place.
 *
 *   1. refuse (exit 4) unless the file passes the consistency check;
 *   2. trial run: apply the change in a write transaction and roll it back
 *      (catches missing buckets etc. before anything is touched); --dry-run stops here;
 *   3. confirmation, for destructive plans only (prompt on a terminal, else
 *      --yes is required); additive plans (a new token) need none;
 *   4. verified backup copy (unless --no-backup);
 *   5. apply and commit in one transaction;
 *   6. check the file again and verify the intended effect; on any failure
 *      undo the commit (previous meta restored) and exit 6;
 *   7. when the options name the command, one audit line (file checksum and
 *      txid before and after, the ids touched, token fingerprints, never a
 *      secret) after the commit, or after the undo with outcome "undone".
 *      The audit log is opened and checked before step 1 (a planted link,
 *      FIFO or foreign file stops the command before anything changes) and
 *      the line goes through that descriptor.
 *
 * Every read, the backup and the checksums go through the lock's descriptor
 * (one file, one identity). SIGINT/SIGTERM before the commit leave the file
 * unchanged and exit 130/143 (platform/interrupt.ts).
 *
 * The caller holds the exclusive lock for the whole sequence (withDataFile).
 */
import {basename, dirname} from 'node:path'
import {createInterface} from 'node:readline/promises'

import {check} from '../bbolt/check.js'
import type {Tx} from '../bbolt/tx.js'
import {inspectAuditLog, openAuditLog, type AuditLog} from '../platform/audit.js'
import {backupFile, removeAbandonedBackups} from '../platform/backup.js'
import {fileSha256, prepareFileSha256, type FileHashJob} from '../platform/file-hash.js'
import {onInterrupt} from '../platform/interrupt.js'
import {describeDataPath} from '../platform/lock.js'
import {ExitCode, RecoverError, UsageError} from '../errors.js'
import {escapeControls} from '../platform/format.js'
import {requireConsistent, type DataFileContext} from './data-file.js'
import {phase} from './test-hooks.js'

export interface WriteOptions {
  dryRun: boolean
  yes: boolean
  backup: boolean
  backupDir?: string
  /** whether stdin may be used for a confirmation prompt (false when it carries input) */
  canPrompt: boolean
  /** the command for the audit log, e.g. "auth rotate"; without it no audit line is written */
  command?: string
  /** the parsed flags for the audit log (secret ones are redacted there) */
  flags?: Record<string, unknown>
  /**
   * the audit log already opened with prepareAudit, for commands that change
   * something before performWrite (hash-upgrade's export); performWrite
   * closes it
   */
  auditLog?: AuditLog
}

/** What a write touched, for the audit log: never a token or password. */
export interface AuditDescription {
  ids: string[]
  /** SHA-256 fingerprints (hex) of the tokens involved */
  tokenFingerprints?: string[]
}

export interface WritePlan<R> {
  /** backup label, e.g. "pre-apply" ([A-Za-z0-9._-]) */
  label: string
  /** for the prompt: "apply 12 operations" */
  summary: string
  apply: (tx: Tx) => R
  /** mismatches between what tx sees and the intended effect (empty = ok) */
  verify: (tx: Tx, result: R) => string[]
  /**
   * true when the change removes or alters something that exists (a token
   * rotated, deactivated or deleted, a batch of edits): it then needs a
   * confirmation. Default true.
   */
  destructive?: boolean
  /** ids and token fingerprints for the audit line */
  audit?: (result: R) => AuditDescription
  /**
   * Work on the file that belongs to the write and follows its verified
   * commit, outside the transaction (hash-upgrade's scrub and its search):
   * `change` may change the file's bytes, `read` only reads it, beside the
   * audit line's hash of the file as changed. The line is written after
   * both, its "after" the file as they left it, so the log's hashes chain
   * from one command to the next; an error of either is thrown once the
   * line is written. Not run by a dry run or after a failed verification.
   */
  finish?: {change: (result: R) => void; read?: (result: R) => void}
  /**
   * false: no rolled-back trial run before the real one (a dry run still is
   * one). For plans whose preconditions the command already checked and whose
   * apply is expensive: a failing apply still writes nothing (its transaction
   * is rolled back) and a failing verification is undone as always; only a
   * backup may then have been taken for nothing. Default true.
   */
  trial?: boolean
  /**
   * Work the write must wait for before it changes anything (hash-upgrade's
   * export, written and checked on another thread): awaited before the
   * backup is taken when there is one, else once the transaction is built,
   * just before its commit. A failure writes nothing (the transaction is
   * rolled back). Not run by a dry run.
   */
  ready?: () => Promise<void>
}

export interface WriteOutcome<R> {
  dryRun: boolean
  result: R
  backup: string | null
  txidBefore: number
  txidAfter: number
  /** the audit log the line went to (null when none was written) */
  auditLog: string | null
}

/**
 * Test-only: INFLUX_RECOVER_TEST_HOOKS=fail-verify makes the post-write
 * verification fail; fail-finish makes a plan's finish fail once it changed
 * the file.
 */
function testHook(name: string): boolean {
  return (process.env.INFLUX_RECOVER_TEST_HOOKS ?? '').split(',').includes(name)
}

/** Asks a yes/no question on stderr (the question shown with control and bidi characters escaped). */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await rl.question(`${escapeControls(question)} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * Opens and checks the audit log beside the real file before anything is
 * changed (a dry run only inspects it: nothing is created); undefined when
 * the write has no audit line.
 */
export function prepareAudit(ctx: DataFileContext, opts: {dryRun: boolean; command?: string}): AuditLog | undefined {
  if (opts.command === undefined) return undefined
  if (opts.dryRun) {
    inspectAuditLog(ctx.realPath)
    return undefined
  }
  return openAuditLog(ctx.realPath)
}

export async function performWrite<R>(
  ctx: DataFileContext,
  opts: WriteOptions,
  plan: WritePlan<R>,
  note: (line: string) => void,
): Promise<WriteOutcome<R>> {
  // a log the caller opened is the caller's to close (it may append to it after the write)
  const log = opts.auditLog ?? prepareAudit(ctx, opts)
  try {
    return await performWriteWith(ctx, opts, plan, note, log)
  } finally {
    if (opts.auditLog === undefined) log?.close()
  }
}

async function performWriteWith<R>(
  ctx: DataFileContext,
  opts: WriteOptions,
  plan: WritePlan<R>,
  note: (line: string) => void,
  log: AuditLog | undefined,
): Promise<WriteOutcome<R>> {
  const {db, path} = ctx
  const fd = ctx.lock.fd
  if (!ctx.checked) requireConsistent(db, path, 'write')
  const txidBefore = db.meta().txid

  // Trial run, rolled back: every op is checked against the real file first.
  let result: R | undefined
  if (opts.dryRun || plan.trial !== false) {
    const trial = db.begin(true)
    try {
      result = plan.apply(trial)
      const mismatches = plan.verify(trial, result)
      if (mismatches.length > 0) throw new RecoverError(`the change does not have the intended effect: ${mismatches[0]}`, ExitCode.ERROR)
    } finally {
      trial.rollback()
    }
    phase('trial')
    if (opts.dryRun) return {dryRun: true, result, backup: null, txidBefore, txidAfter: txidBefore, auditLog: null}
  }

  if (plan.destructive !== false && !opts.yes) {
    const interactive = opts.canPrompt && process.stdin.isTTY === true && process.stderr.isTTY === true
    if (!interactive) throw new UsageError(`refusing to ${plan.summary} without confirmation`, 'pass --yes to confirm, or --dry-run to only check the change')
    if (!(await confirm(`${plan.summary} in ${path}?`))) throw new RecoverError('cancelled, nothing was written', ExitCode.ERROR)
  }

  // until the commit, SIGINT/SIGTERM leave the file as it was (a backup in progress removes itself)
  const stopInterrupt = onInterrupt(() => `nothing was written to ${describeDataPath(path, ctx.realPath)}`)
  let backup: string | null = null
  let shaBefore: string | undefined
  try {
    // a backup is a copy of the file to be changed: taken once the change is sure to be tried
    if (opts.backup) await plan.ready?.()
    const removed = opts.backup ? [] : await removeAbandonedBackups(dirname(ctx.realPath), basename(ctx.realPath))
    if (opts.backup) {
      const b = await backupFile({fd, path, realPath: ctx.realPath}, {dir: opts.backupDir, label: plan.label})
      backup = b.path
      shaBefore = b.sha256
      removed.push(...b.removedPartial)
    }
    for (const p of removed) note(`removed ${p}: the unfinished backup of an interrupted run`)
    if (backup !== null) note(`backup: ${backup}`)
    // started when the file was opened (beside the check and the plan), else hashed now
    // (a thread that failed is not trusted: hashed again here, and an error then is the write's)
    if (log !== undefined && shaBefore === undefined) shaBefore = ctx.shaBefore !== undefined ? await ctx.shaBefore.result.catch(() => fileSha256(fd)) : fileSha256(fd)
  } finally {
    stopInterrupt()
  }
  phase(opts.backup ? 'backup' : 'sha-before')
  /** `shaAfter`: the file's hash as it is now, when already computed */
  const audit = (outcome: 'ok' | 'undone' | 'failed', txidAfter: number, r: R, shaAfter?: string): string | null => {
    if (log === undefined || opts.command === undefined) return null
    const what = plan.audit?.(r) ?? {ids: []}
    log.append({
      command: opts.command,
      flags: opts.flags ?? {},
      fileSha256Before: shaBefore!,
      fileSha256After: shaAfter ?? fileSha256(fd),
      txidBefore,
      txidAfter,
      ids: what.ids,
      ...(what.tokenFingerprints !== undefined ? {tokenFingerprints: what.tokenFingerprints} : {}),
      backup,
      ...(backup !== null ? {label: plan.label} : {}),
      outcome,
    })
    return log.path
  }

  ctx.lock.assertHeld()
  const tx = db.begin(true)
  // a wait for ready() lets a signal in: until the commit, the file is as it was
  const stopWaitInterrupt = plan.ready !== undefined && !opts.backup ? onInterrupt(() => `nothing was written to ${describeDataPath(path, ctx.realPath)}`) : undefined
  try {
    result = plan.apply(tx)
    phase('apply')
    if (!opts.backup) await plan.ready?.()
  } catch (err) {
    tx.rollback()
    throw err
  } finally {
    stopWaitInterrupt?.()
  }
  tx.commit()
  phase('commit')
  const txidAfter = db.meta().txid
  // the audit line's hash of the file as written, beside the checks below (which only read);
  // with a finish, of the file as finished (started once it has changed it)
  const audited = log !== undefined && opts.command !== undefined
  // a finish's thread is started now, beside the checks, and begins once the finish changed the file
  const shaAfter = audited ? prepareFileSha256(fd) : undefined
  if (plan.finish === undefined) shaAfter?.go()
  try {
    const failures: string[] = []
    if (txidAfter !== txidBefore + 1) failures.push(`txid is ${txidAfter} after the commit, expected ${txidBefore + 1}`)
    const post = check(db)
    phase('post-check')
    failures.push(...post.problems)
    if (post.omitted > 0) failures.push(`${post.omitted} more problems`)
    failures.push(...db.view((tx) => plan.verify(tx, result)))
    phase('verify')
    if (testHook('fail-verify')) failures.push('forced failure (test hook)')
    if (failures.length > 0) {
      // the undo changes the file: the hash of the written state is of no use
      await shaAfter?.cancel().catch(() => undefined)
      let active = txidAfter
      const restored = (() => {
        try {
          active = db.undoLastCommit()
          return `the write was undone (txid ${active} is active again)`
        } catch (err) {
          return `UNDO FAILED (${(err as Error).message})`
        }
      })()
      // The audit records what happened to the file even though the command fails.
      let auditNote = ''
      try {
        audit(active === txidAfter ? 'failed' : 'undone', active, result)
      } catch (err) {
        auditNote = `; the audit line could not be written (${(err as Error).message})`
      }
      const more = failures.length > 1 ? ` (+${failures.length - 1} more)` : ''
      throw new RecoverError(
        `verification after the write failed: ${failures[0]}${more}; ${restored}${auditNote}`,
        ExitCode.VERIFY_FAILED,
        backup ? `the backup taken before the write is ${backup}` : undefined,
      )
    }
    // the finish's error, thrown once the line is written (the commit stands, verified)
    let finishError: unknown
    if (plan.finish !== undefined) {
      try {
        plan.finish.change(result)
        if (testHook('fail-finish')) throw new RecoverError('the finish failed (test hook)', ExitCode.VERIFY_FAILED)
      } catch (err) {
        finishError = err
      }
      shaAfter?.go()
      try {
        if (finishError === undefined) plan.finish.read?.(result)
      } catch (err) {
        finishError = err
      }
    }
    let auditLog: string | null = null
    try {
      // a thread that failed leaves it to audit(), which hashes the file here
      auditLog = audit('ok', db.meta().txid, result, await shaAfter?.result.catch(() => undefined))
    } catch (err) {
      // The write itself succeeded and is verified: say so rather than fail it.
      note(`warning: the audit line could not be written: ${(err as Error).message}`)
    }
    phase('sha-after+audit')
    if (finishError !== undefined) throw finishError
    return {dryRun: false, result, backup, txidBefore, txidAfter, auditLog}
  } finally {
    // whatever ends the write, no thread is left reading the descriptor (a settled one is left alone)
    await shaAfter?.cancel().catch(() => undefined)
  }
}

/**
 * The audit line of `auth scrub` (unused pages and the file's tail zeroed:
 * the bytes change, no record does), appended to log. `before`: the file's
 * hash before the scrub; `hashAfter`: the hash of the file as scrubbed, when
 * already started (a thread, beside the checks that follow the scrub), else
 * computed here. Returns a warning instead of failing: the scrub is done
 * whether or not its line could be written.
 */
export async function appendScrubAudit(
  log: AuditLog,
  line: {command: string; flags: Record<string, unknown>; fd: number; before: string; txidBefore: number; txidAfter: number; outcome: 'ok' | 'failed'; hashAfter?: FileHashJob},
): Promise<string | undefined> {
  try {
    const after = line.hashAfter !== undefined ? await line.hashAfter.result.catch(() => fileSha256(line.fd)) : fileSha256(line.fd)
    log.append({
      command: line.command, flags: line.flags, step: 'scrub', fileSha256Before: line.before, fileSha256After: after,
      txidBefore: line.txidBefore, txidAfter: line.txidAfter, ids: [], backup: null, outcome: line.outcome,
    })
    return undefined
  } catch (err) {
    return `warning: the audit line of the scrub could not be written: ${(err as Error).message}`
  } finally {
    await line.hashAfter?.cancel().catch(() => undefined)
  }
}
