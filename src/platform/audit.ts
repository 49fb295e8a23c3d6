/**
 * The audit log: one JSON line per write, appended to
 * `influx-recover.audit.jsonl` beside the database. It records who changed
 * what and when — never a token or a password: tokens appear only as a
 * SHA-256 fingerprint, and flags that carry secrets are dropped.
 */
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

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
  /** ok; undone (verification failed, the previous state is back); failed (verification and the undo failed) */
  outcome: 'ok' | 'undone' | 'failed'
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

/** Appends one line (created 0600 when new) and fsyncs it. Returns the log's path. */
export function appendAudit(dbPath: string, entry: AuditEntry, now: Date = new Date()): string {
  const file = auditPath(dbPath)
  const line = JSON.stringify({
    time: now.toISOString(),
    user: osUser(),
    host: os.hostname(),
    database: path.resolve(dbPath),
    ...entry,
    flags: redactFlags(entry.flags),
  })
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600)
  try {
    fs.writeSync(fd, `${line}\n`)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return file
}

/** SHA-256 of a whole file, read in chunks (files may be large). */
export function fileSha256(file: string): string {
  const h = createHash('sha256')
  const fd = fs.openSync(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos)
      if (n === 0) break
      h.update(buf.subarray(0, n))
      pos += n
    }
  } finally {
    fs.closeSync(fd)
  }
  return h.digest('hex')
}
