/**
 * What the token-writing commands (auth create-operator, create, rotate,
 * active, inactive, delete) share: their flags, the path from flags to a safe
 * write (lock, names chosen on a terminal, performWrite with audit), and
 * their output. The new token is printed once, from memory, by printToken;
 * nothing else here ever prints a token.
 */
import {Flags} from '@oclif/core'

import type {Tx} from '../bbolt/index.js'
import {HASH_VARIANTS, type HashVariant} from '../influxd/hashing.js'
import {type Column} from '../platform/format.js'
import type {AuthorizationStatus} from '../influxd/records.js'
import {UsageError} from '../errors.js'
import {
  peekAuthorization, PERMISSION_FLAG_TYPES, planDocument, planLines, recordDocument, setStatus, tokenDocument, verify, type AuthWriteResult, type PermissionRequest,
} from '../recovery/auth-write.js'
import {checkChosenToken} from '../recovery/input-rules.js'
import {orgNames, userNames, type TenantRef} from '../recovery/tenants.js'
import {addingWriteFlags, BaseCommand, jsonFlag, writeFlags} from './base-command.js'
import type {DataFileContext} from './data-file.js'
import {influxdFileFlags} from './influxd-file.js'
import {canAsk, chooseOne} from './prompt.js'
import {readSecret} from './secret-input.js'
import {runRecordWrite, type RecordWriteDone} from './record-write.js'

/** Flags of every token-writing command. */
export const authWriteFlags = {
  ...influxdFileFlags,
  ...writeFlags,
  json: jsonFlag,
}

/** authWriteFlags of the commands that add a token (no confirmation, --yes never needed). */
export const authAddFlags = {
  ...influxdFileFlags,
  ...addingWriteFlags,
  json: jsonFlag,
}

/** Where a chosen token value comes from (never argv). */
export const tokenInputFlags = {
  'token-stdin': Flags.boolean({
    description: 'read the token value from stdin (its first line) instead of generating a random one; keeps clients working with the value they already have',
    default: false,
    exclusive: ['token-file'],
  }),
  'token-file': Flags.string({
    description: 'read the token value from this file (its content, one trailing newline removed) instead of generating a random one',
    helpValue: 'FILE',
    exclusive: ['token-stdin'],
  }),
}

export const variantFlag = Flags.option({
  options: HASH_VARIANTS,
  description: 'hash variant when the token is stored hashed [default: sha256, what influxd uses; a hashed token being rotated keeps its own]',
})()

/** How a new token is stored. */
export const storageFlags = {
  hashed: Flags.boolean({
    description: 'store only the token\'s hash (InfluxDB 2.8+: needs the authorizationhashedindexv1 bucket); --no-hashed stores it raw [default: hashed when the file already holds hashed tokens, raw otherwise]',
    allowNo: true,
  }),
  variant: variantFlag,
}

function typeHelp(type: string, action: 'read' | 'write'): string {
  const scope = type === 'orgs' || type === 'users' ? `all ${type} (influx auth create does not limit these to the org)` : `the org's ${type}`
  return `grant ${action} on ${scope}; refused when the file's schema does not know the type`
}

/** The permission flags of `influx auth create`: --all-access, --operator, buckets, --read-TYPE/--write-TYPE for 22 types (2.2+). */
export const permissionFlags = {
  'all-access': Flags.boolean({description: 'grant all permissions in the org (the set "influx auth create --all-access" builds)', default: false, exclusive: ['operator']}),
  operator: Flags.boolean({description: 'grant all permissions in all orgs (an operator token)', default: false, exclusive: ['all-access']}),
  'read-bucket': Flags.string({description: 'grant read on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true, helpGroup: 'PERMISSION'}),
  'write-bucket': Flags.string({description: 'grant write on this bucket (ID; repeatable)', helpValue: 'ID', multiple: true, helpGroup: 'PERMISSION'}),
  ...(Object.fromEntries(PERMISSION_FLAG_TYPES.flatMap((type) => (['read', 'write'] as const).map((action) => [
    `${action}-${type}`,
    Flags.boolean({description: typeHelp(type, action), default: false, helpGroup: 'PERMISSION'}),
  ]))) as Record<string, ReturnType<typeof Flags.boolean>>),
}

/** The permission request the permission flags ask for; undefined when none was given. */
export function permissionRequestOf(flags: Record<string, unknown>): PermissionRequest | undefined {
  const read = PERMISSION_FLAG_TYPES.filter((t) => flags[`read-${t}`] === true)
  const write = PERMISSION_FLAG_TYPES.filter((t) => flags[`write-${t}`] === true)
  const readBuckets = (flags['read-bucket'] as string[] | undefined) ?? []
  const writeBuckets = (flags['write-bucket'] as string[] | undefined) ?? []
  const custom = read.length + write.length + readBuckets.length + writeBuckets.length > 0
  if (flags.operator === true || flags['all-access'] === true) {
    if (custom) throw new UsageError(`cannot compose other permissions with ${flags.operator === true ? 'operator' : 'all access'} permissions`, 'give either --operator, --all-access, or individual permission flags')
    return {kind: flags.operator === true ? 'operator' : 'all-access'}
  }
  return custom ? {kind: 'custom', readBuckets, writeBuckets, read, write} : undefined
}

export interface AuthWriteFlagValues {
  'bolt-path'?: string
  'lock-timeout': number
  'dry-run': boolean
  yes: boolean
  backup: boolean
  'backup-dir'?: string
  json: boolean
}

export interface WriteSpec {
  /** e.g. "auth rotate", for the audit */
  command: string
  /** all parsed flags, for the audit (secret ones are redacted there) */
  flags: AuthWriteFlagValues & Record<string, unknown>
  /** backup label, e.g. "pre-rotate" */
  label: string
  /** for the confirmation: "rotate the token of authorization X" */
  summary: string
  destructive: boolean
  /** false when stdin carried input (a token), so it cannot answer a prompt */
  canPrompt: boolean
  /** runs under the lock before the write (choose names, detect a no-op); returning false ends the command */
  prepare?: (ctx: DataFileContext) => Promise<boolean | void>
  apply: (tx: Tx) => AuthWriteResult
}

export interface NamedTenants {
  user: TenantRef
  org: TenantRef
}

export abstract class AuthWriteCommand extends BaseCommand {
  /**
   * The token from --token-stdin / --token-file (undefined: generate one),
   * checked by the input rules (exit 2; a warning when short).
   */
  protected async readToken(flags: {'token-stdin': boolean; 'token-file'?: string}): Promise<string | undefined> {
    const token = await readSecret({fromStdin: flags['token-stdin'], file: flags['token-file'], what: 'token', warn: (l) => this.note(l)})
    if (token !== undefined) checkChosenToken(token, (l) => this.note(l))
    return token
  }

  /**
   * The user and org from their flags; a missing one is chosen from the
   * file's names on a terminal, else exit 2 saying what to pass.
   */
  protected async tenants(
    ctx: DataFileContext,
    given: {userName?: string; userID?: string; orgName?: string; orgID?: string},
    names: {userFlag: string; interactive: boolean},
  ): Promise<NamedTenants> {
    let user: TenantRef = given.userID !== undefined ? {id: given.userID} : {name: given.userName}
    let org: TenantRef = given.orgID !== undefined ? {id: given.orgID} : {name: given.orgName}
    if (user.id === undefined && user.name === undefined) {
      const list = ctx.db.view((tx) => userNames(tx))
      user = {name: await chooseOne('user', list, {flag: names.userFlag, alternatives: ['user-id'], interactive: names.interactive})}
    }
    if (org.id === undefined && org.name === undefined) {
      const list = ctx.db.view((tx) => orgNames(tx))
      org = {name: await chooseOne('org', list, {flag: 'org', alternatives: ['org-id'], interactive: names.interactive})}
    }
    return {user, org}
  }

  /** Whether prompts can be shown (a terminal, and stdin not used for the token). */
  protected interactive(tokenFromStdin: boolean): boolean {
    return !tokenFromStdin && canAsk()
  }

  /** Finds the file, locks it, and runs the write; null when prepare ended the command. */
  protected runWrite(spec: WriteSpec): Promise<RecordWriteDone<AuthWriteResult> | null> {
    return runRecordWrite({...spec, verify, audit: (r) => ({ids: [r.id], tokenFingerprints: r.fingerprints})}, (line) => this.note(line))
  }

  /** The plan of a --dry-run: exact records and index entries, never an existing token. */
  protected async printPlan(path: string, command: string, r: AuthWriteResult, json: boolean): Promise<void> {
    if (json) {
      await this.printJson({file: path, ...planDocument(r)})
    } else {
      await this.lines([`dry run: "${command}" would make these changes to ${path} (nothing was written):`, ...planLines(r).map((l) => `  ${l}`)])
    }
    this.notes(r)
  }

  /** The new token, printed this once (table or one JSON object). */
  protected async printToken(r: AuthWriteResult, json: boolean): Promise<void> {
    const doc = tokenDocument(r)
    if (json) await this.printJson(doc)
    else {
      const columns: Column[] = [
        {key: 'id', header: 'ID'}, {key: 'description', header: 'Description'}, {key: 'user', header: 'User'},
        {key: 'org', header: 'Org'}, {key: 'token', header: 'Token'},
      ]
      await this.record(columns, {id: doc.id, description: doc.description, user: r.userName ?? doc.userID, org: r.orgName ?? doc.orgID, token: doc.token})
    }
    this.notes(r)
    // "only time" only when true: a raw token is shown again by "auth list", and a value the user gave is theirs already
    if (r.tokenState === 'hashed' && r.tokenGenerated) {
      this.note(`note: the token is stored hashed (${r.variant}): this is the only time it is shown; store it now (a secret manager, the clients' configuration)`)
    } else if (r.tokenState === 'hashed') {
      this.note(`note: the token is stored hashed (${r.variant}): the file keeps only the hash of the value you gave`)
    }
  }

  /** A changed or deleted record (no token). */
  protected async printRecord(r: AuthWriteResult, json: boolean): Promise<void> {
    const doc = recordDocument(r)
    if (json) await this.printJson(doc)
    else {
      const columns: Column[] = [
        {key: 'id', header: 'ID'}, {key: 'description', header: 'Description'}, {key: 'user', header: 'User'},
        {key: 'org', header: 'Org'}, {key: 'status', header: 'Status'}, ...(r.operation === 'delete' ? [{key: 'deleted', header: 'Deleted'}] : []),
      ]
      await this.record(columns, {...doc, user: r.userName ?? doc.userID, org: r.orgName ?? doc.orgID, deleted: 'yes'})
    }
    this.notes(r)
  }

  /** auth active / auth inactive: a no-op (already in that status) writes nothing. */
  protected async changeStatus(flags: AuthWriteFlagValues & Record<string, unknown> & {id: string; force?: boolean}, status: AuthorizationStatus): Promise<void> {
    const command = status === 'active' ? 'auth active' : 'auth inactive'
    let already: {id: string; description?: string} | undefined
    const done = await this.runWrite({
      command,
      flags,
      label: status === 'active' ? 'pre-activate' : 'pre-deactivate',
      summary: status === 'active' ? `activate authorization ${flags.id}` : `deactivate authorization ${flags.id} (influxd refuses it until it is active again)`,
      destructive: status === 'inactive',
      canPrompt: true,
      prepare: async (ctx) => {
        const cur = ctx.db.view((tx) => peekAuthorization(tx, flags.id))
        if (cur.record?.status === status) {
          already = {id: cur.id, description: cur.record.description}
          return false
        }
        return true
      },
      apply: (tx) => setStatus(tx, {id: flags.id, status, force: flags.force}),
    })
    if (done === null) {
      if (flags.json) await this.printJson({id: already!.id, description: already!.description, status, changed: false})
      else await this.lines([`authorization ${already!.id} is already ${status}: nothing was written`])
      return
    }
    const {path, outcome} = done
    if (outcome.dryRun) await this.printPlan(path, command, outcome.result, flags.json)
    else await this.printRecord(outcome.result, flags.json)
  }

  private notes(r: AuthWriteResult): void {
    for (const n of r.notes) this.note(`note: ${n}`)
  }
}

/** Validated --variant value. */
export function variantOf(v: string | undefined): HashVariant | undefined {
  return v as HashVariant | undefined
}
