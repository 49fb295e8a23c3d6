/**
 * The audit log: one JSON line per write, appended to
 * `influx-recover.audit.jsonl` beside the database (the real file, symlinks
 * resolved). It records who changed
 * what and when — never a token or a password: tokens appear only as a
 * SHA-256 fingerprint, and flags that carry secrets are dropped.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {inspectSideFile, openSideFile, syncDir, type SideFile} from './side-file.js'

export const AUDIT_FILE = 'influx-recover.audit.jsonl'

/** Flags whose values are secrets or point at them: kept as "(redacted)". */
const SECRET_FLAGS = new Set(['token', 'password', 'token-file', 'password-file', 'token-stdin', 'password-stdin'])

export interface AuditEntry {
  /** e.g. "auth create-operator" */
  command: string
  /** parsed flags; secret ones are redacted here */
  flags: Record<string, unknown>
  fileSha256Before: string
  fileSha256After: string
  txidBefore: number
  txidAfter: number
  /** record ids created, changed or removed */
  ids: string[]
  /** SHA-256 fingerprints (hex) of the tokens involved */
  tokenFingerprints?: string[]
  backup?: string | null
  /** why the backup was taken (e.g. "pre-rotate"), when one was */
  label?: string
  /**
   * ok; undone (verification failed, the previous state is back); failed
   * (verification and the undo failed; for auth scrub: it stopped part way)
   */
  outcome: 'ok' | 'undone' | 'failed'
  /**
   * 'scrub': the line records `auth scrub`'s zeroing of unused pages and of
   * the file's tail: no record changes, the file's bytes do (hash-upgrade's
   * own scrub is part of its write: its line follows it)
   */
  step?: 'scrub'
}

export function redactFlags(flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue
    out[k] = SECRET_FLAGS.has(k) ? '(redacted)' : v
  }
  return out
}

export function auditPath(dbPath: string): string {
  return path.join(path.dirname(path.resolve(dbPath)), AUDIT_FILE)
}

function osUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`
  }
}

/**
 * The audit log of one write, opened and checked BEFORE the write starts (a
 * symlink, FIFO, hard link, foreign or group/world-writable file at its name
 * stops the command with one line before anything changes, see side-file.ts)
 * and appended to after the commit through the same descriptor.
 */
export class AuditLog {
  private written = false
  private closed = false

  constructor(private readonly file: SideFile, readonly database: string) {}

  get path(): string {
    return this.file.path
  }

  /** Appends one line and fsyncs it. */
  append(entry: AuditEntry, now: Date = new Date()): void {
    const line = JSON.stringify({
      time: now.toISOString(),
      user: osUser(),
      host: os.hostname(),
      database: this.database,
      ...entry,
      flags: redactFlags(entry.flags),
    })
    this.file.write(`${line}\n`)
    this.file.sync()
    if (!this.written && this.file.created) syncDir(path.dirname(this.file.path))
    this.written = true
  }

  /** Closes it; a log this run created and never wrote to is removed again (a refused or cancelled write leaves nothing). */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (!this.written && this.file.created) this.file.discard()
    else this.file.close()
  }
}

/** Opens (creating it 0600 when missing) the audit log beside the real database file `realDbPath`. */
export function openAuditLog(realDbPath: string): AuditLog {
  return new AuditLog(openSideFile(auditPath(realDbPath), {what: 'audit log', how: 'append'}), path.resolve(realDbPath))
}

/** For a dry run: refuses what openAuditLog would refuse, without creating or opening anything. */
export function inspectAuditLog(realDbPath: string): void {
  inspectSideFile(auditPath(realDbPath), 'audit log')
}

/** Appends one line to the audit log beside `dbPath` (opened, checked, appended, closed). Returns the log's path. */
export function appendAudit(dbPath: string, entry: AuditEntry, now: Date = new Date()): string {
  const log = openAuditLog(dbPath)
  try {
    log.append(entry, now)
  } finally {
    log.close()
  }
  return log.path
}

