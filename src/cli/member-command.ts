/**
 * What the org member commands share: the flags naming an org and a user
 * (the names of "influx org members": --org/--org-id, --user/--user-id,
 * --owner), the org chosen on a terminal when none is given, and the output
 * of add and remove.
 */
import {Flags} from '@oclif/core'

import type {DB} from '../bbolt/index.js'
import {type Column} from '../platform/format.js'
import type {MemberWriteResult} from '../recovery/org-members.js'
import {orgNames, type TenantRef} from '../recovery/tenants.js'
import {BaseCommand} from './base-command.js'
import {chooseOne} from './prompt.js'
import {changeLines} from './tenant-write.js'
import type {WriteOutcome} from './write.js'

export const orgRefFlags = {
  org: Flags.string({char: 'o', description: 'name of the organization [default: chosen on a terminal]', helpValue: 'NAME', exclusive: ['org-id']}),
  'org-id': Flags.string({description: 'ID of the organization (instead of --org)', helpValue: 'ID', exclusive: ['org']}),
}

export const userRefFlags = {
  user: Flags.string({char: 'u', description: 'name of the user', helpValue: 'NAME', aliases: ['username'], exclusive: ['user-id'], atLeastOne: ['user', 'user-id']}),
  'user-id': Flags.string({description: 'ID of the user (instead of --user)', helpValue: 'ID', exclusive: ['user'], atLeastOne: ['user', 'user-id']}),
}

/** The org named by the flags; without either, one chosen on a terminal (else exit 2 naming the flags and the orgs). */
export async function orgRef(db: DB, flags: {org?: string; 'org-id'?: string}): Promise<TenantRef> {
  if (flags['org-id'] !== undefined) return {id: flags['org-id']}
  if (flags.org !== undefined) return {name: flags.org}
  return {name: await chooseOne('org', db.view((tx) => orgNames(tx)), {flag: 'org', alternatives: ['org-id']})}
}

/** The user named by the flags (one of them is required by the parser). */
export function userRef(flags: {user?: string; 'user-id'?: string}): TenantRef {
  return flags['user-id'] !== undefined ? {id: flags['user-id']} : {name: flags.user}
}

const RESULT_COLUMNS: Column[] = [
  {key: 'org', header: 'Org'},
  {key: 'user', header: 'User'},
  {key: 'before', header: 'Before'},
  {key: 'after', header: 'After'},
  {key: 'owners', header: 'Owners left'},
]

export abstract class MemberCommand extends BaseCommand {
  /** The outcome of add or remove: the plan of a dry run, or what changed (a record or one JSON document). */
  protected async printMemberResult(path: string, outcome: WriteOutcome<MemberWriteResult>, json: boolean): Promise<void> {
    const r = outcome.result
    if (json) {
      await this.printJson({
        file: path, dryRun: outcome.dryRun, operation: r.operation, org: r.org, user: r.user, roleBefore: r.roleBefore ?? null, roleAfter: r.roleAfter ?? null,
        ownersAfter: r.ownersAfter, changed: true, changes: r.changes, txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
    } else {
      await this.record(RESULT_COLUMNS, {org: `${r.org.name} (${r.org.id})`, user: `${r.user.name} (${r.user.id})`, before: r.roleBefore ?? '-', after: r.roleAfter ?? '-', owners: r.ownersAfter})
      if (outcome.dryRun) await this.lines([`dry run: nothing was written to ${path}; the write would:`, ...changeLines(r.changes)])
      else await this.lines([`${r.operation === 'add' ? 'updated' : 'removed'} the membership in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
    }
    for (const n of r.notes) this.note(`note: ${n}`)
  }
}
