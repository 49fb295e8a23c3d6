/**
 * What the `v1 auth` commands share: how a login is named (--id or
 * --username, as `influx v1 auth`), how a password is read (stdin, a file,
 * or a prompt on a terminal; never argv), and how a login and a write are
 * printed (never a password or its hash).
 */
import {Flags} from '@oclif/core'

import {formatPermissionInfluxd} from '../influxd/permissions.js'
import {type Column} from '../platform/format.js'
import {UsageError} from '../errors.js'
import {planLines} from '../recovery/change-set.js'
import type {V1AuthRef, V1AuthView, V1WriteResult} from '../recovery/v1-auth.js'
import {checkPassword, hashPassword, passwordProblem} from '../recovery/user-write.js'
import {BaseCommand} from './base-command.js'
import {canAsk} from './prompt.js'
import type {RecordWriteDone} from './record-write.js'
import {promptPassword, readSecret} from './secret-input.js'

/** --id / --username: which v1 authorization (exactly one). */
export const v1RefFlags = {
  id: Flags.string({char: 'i', description: 'ID of the v1 authorization (as "v1 auth list" shows it)', helpValue: 'ID', exclusive: ['username']}),
  username: Flags.string({description: 'its v1 user name (the name clients log in with)', helpValue: 'NAME', exclusive: ['id']}),
}

export const passwordFlags = {
  'password-stdin': Flags.boolean({description: 'read the password from the first line of stdin', default: false, exclusive: ['password-file']}),
  'password-file': Flags.string({description: 'read the password from this file (one trailing newline is ignored)', helpValue: 'FILE', exclusive: ['password-stdin']}),
}

export function v1Ref(flags: {id?: string; username?: string}): V1AuthRef {
  if (flags.id !== undefined) return {id: flags.id}
  if (flags.username !== undefined) return {username: flags.username}
  throw new UsageError('id or username required', 'name the v1 authorization with --id ID or --username NAME ("influx-recover v1 auth list" shows them)')
}

export const V1_COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'username', header: 'Username'},
  {key: 'description', header: 'Description', optional: true},
  {key: 'status', header: 'Status'},
  {key: 'user', header: 'User'},
  {key: 'org', header: 'Org'},
  {key: 'password', header: 'Password'},
  {key: 'permissions', header: 'Permissions', shrinkFirst: true},
]

/** A login as a table row: names instead of IDs where they exist, permissions as influxd prints them. */
export function v1Row(v: V1AuthView): Record<string, unknown> {
  if (v.error !== undefined) return {id: v.id, username: `(cannot decode: ${v.error})`}
  return {
    id: v.id,
    username: v.username,
    description: v.description,
    status: v.status,
    user: v.userName ?? v.userID ?? '',
    org: v.orgName ?? v.orgID ?? '',
    password: v.password ? 'set' : 'none',
    permissions: (v.permissions ?? []).map(formatPermissionInfluxd).join(' '),
  }
}

/** A login as a JSON/YAML document, in a stable key order. */
export function v1Document(v: V1AuthView): Record<string, unknown> {
  if (v.error !== undefined) return {id: v.id, error: v.error}
  return {
    id: v.id, username: v.username, description: v.description, status: v.status,
    userID: v.userID ?? null, userName: v.userName ?? null, orgID: v.orgID ?? null, orgName: v.orgName ?? null,
    password: v.password ?? false, permissions: v.permissions ?? null, createdAt: v.createdAt, updatedAt: v.updatedAt,
  }
}

export abstract class V1AuthCommand extends BaseCommand {
  /**
   * The password from --password-stdin / --password-file, else typed twice at
   * a terminal (after `precheck`, so a wrong name is refused before anyone
   * types); without either and without a terminal, exit 2.
   */
  protected async password(flags: {'password-stdin': boolean; 'password-file'?: string}, prompt: {message: string; precheck: () => Promise<unknown>}, orElse: string): Promise<{password: string; hash: string}> {
    let password = await readSecret({fromStdin: flags['password-stdin'], file: flags['password-file'], what: 'password', warn: (l) => this.note(l)})
    if (password === undefined) {
      if (!canAsk()) throw new UsageError('no password given (not a terminal, so cannot ask)', orElse)
      await prompt.precheck()
      password = await promptPassword({message: prompt.message, validate: (v) => passwordProblem(v) ?? true})
    }
    checkPassword(password)
    return {password, hash: hashPassword(password)}
  }

  /** The result of a v1 write (or its plan, for --dry-run), as a table or one JSON document. */
  protected async printV1(done: RecordWriteDone<V1WriteResult>, command: string, json: boolean, verb: string): Promise<void> {
    const {path, outcome} = done
    const r = outcome.result
    if (json) {
      await this.printJson({
        file: path, dryRun: outcome.dryRun, operation: r.operation, authorization: v1Document(r.auth), password: r.password,
        changes: r.changes.plan, txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
    } else {
      await this.record(V1_COLUMNS, v1Row(r.auth))
      if (outcome.dryRun) await this.lines([`dry run: "${command}" would make these changes to ${path} (nothing was written):`, ...planLines(r.changes.plan).map((l) => `  ${l}`)])
      else await this.lines([`${verb} in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
    }
    for (const n of r.notes) this.note(`note: ${n}`)
  }
}
