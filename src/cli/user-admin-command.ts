/**
 * What `user delete`, `user rename`, `user active` and `user inactive`
 * share: the user named by --username or --id (chosen at a terminal when
 * neither is given), the safe write, and the output.
 */
import {Flags} from '@oclif/core'

import type {Tx} from '../bbolt/index.js'
import {AUTH_TENANT_BUCKETS} from '../influxd/buckets.js'
import {type Column} from '../platform/format.js'
import {planLines} from '../recovery/change-set.js'
import {quotedName} from '../recovery/name-rules.js'
import {userNames, type TenantRef} from '../recovery/tenants.js'
import {peekUser, verifyUserAdmin, type UserAdminResult} from '../recovery/user-admin.js'
import {BaseCommand} from './base-command.js'
import {withDataFile} from './data-file.js'
import {findInfluxdFile} from './influxd-file.js'
import {canAsk, chooseOne} from './prompt.js'
import {runRecordWrite, tryApply, type WriteFlagValues} from './record-write.js'

export const userRefFlags = {
  username: Flags.string({char: 'u', description: 'name of the user [default: chosen at a prompt on a terminal]', helpValue: 'NAME', exclusive: ['id']}),
  id: Flags.string({char: 'i', description: 'ID of the user (16 hex digits), instead of --username', helpValue: 'ID', exclusive: ['username']}),
}

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'name', header: 'Name'},
  {key: 'status', header: 'Status'},
]

export interface UserWriteSpec {
  command: string
  flags: WriteFlagValues & Record<string, unknown> & {username?: string; id?: string}
  label: string
  /** the confirmation question, given the user's name */
  summary: (name: string) => string
  destructive: boolean
  apply: (tx: Tx, user: TenantRef) => UserAdminResult
  /** the line after a successful write */
  done: (r: UserAdminResult) => string
  /** the line when nothing had to change */
  unchanged?: (r: UserAdminResult) => string
}

export abstract class UserAdminCommand extends BaseCommand {
  protected async runUserWrite(spec: UserWriteSpec): Promise<void> {
    const {flags} = spec
    const {path} = await findInfluxdFile(flags['bolt-path'])
    let user: TenantRef
    if (flags.id !== undefined) user = {id: flags.id}
    else if (flags.username !== undefined) user = {name: flags.username}
    else {
      const names = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => userNames(tx)))
      user = {name: await chooseOne('user', names, {flag: 'username', alternatives: ['id'], interactive: canAsk()})}
    }
    let name = user.name ?? user.id ?? ''
    let unchanged: UserAdminResult | undefined
    const done = await runRecordWrite({
      command: spec.command,
      flags,
      label: spec.label,
      summary: () => spec.summary(name),
      destructive: spec.destructive,
      canPrompt: true,
      prepare: (ctx) => {
        name = ctx.db.view((tx) => peekUser(tx, user)).name
        if (spec.unchanged === undefined) return true
        const r = tryApply(ctx.db, (tx) => spec.apply(tx, user))
        if (r.changed) return true
        unchanged = r
        return false
      },
      apply: (tx) => spec.apply(tx, user),
      verify: verifyUserAdmin,
      audit: (r) => ({ids: r.ids, ...(r.fingerprints.length > 0 ? {tokenFingerprints: r.fingerprints} : {})}),
    }, (l) => this.note(l))
    if (done === null) {
      const r = unchanged!
      if (flags.json) await this.printJson({user: r.user, changed: false})
      else await this.lines([spec.unchanged!(r)])
      return
    }
    const {outcome} = done
    const r = outcome.result
    if (flags.json) {
      await this.printJson({
        file: done.path, dryRun: outcome.dryRun, operation: r.operation, changed: true, user: r.user,
        ...(r.previousName !== undefined ? {previousName: r.previousName} : {}),
        ...(r.operation === 'delete' ? {deletedTokens: r.deletedTokens, removedMappings: r.removedMappings} : {}),
        ...(r.operation === 'deactivate' ? {affectedTokens: r.affectedTokens} : {}),
        changes: r.changes.plan, txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
    } else {
      await this.record(COLUMNS, {...r.user, status: r.user.status === '' ? '(empty)' : r.user.status})
      const lines: string[] = []
      if (r.deletedTokens.length > 0) {
        lines.push(`${outcome.dryRun ? 'would delete' : 'deleted'} with the user:`, ...r.deletedTokens.map((t) => `  ${t.kind === 'v1' ? `v1 login ${t.id} (user name ${quotedName(t.username ?? '')})` : `token ${t.id} (${quotedName(t.description)})`}`))
      }
      if (outcome.dryRun) lines.push(`dry run: "${spec.command}" would make these changes to ${done.path} (nothing was written):`, ...planLines(r.changes.plan).map((l) => `  ${l}`))
      else lines.push(`${spec.done(r)} in ${done.path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`)
      await this.lines(lines)
    }
    for (const n of r.notes) this.note(`note: ${n}`)
  }
}
