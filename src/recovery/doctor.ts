/**
 * `doctor`: one verdict per aspect of an influxd.bolt file, each PASS, WARN
 * or FAIL with what to do next. Plain data in, plain data out: the command
 * renders it.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {BoltError, check, DB} from '../bbolt/index.js'
import type {Authorization} from '../influxd/records.js'
import type {MetaReader} from '../influxd/metadata.js'
import {isBackupName, isBackupTempName} from '../platform/backup.js'
import {kindOf, O_NOFOLLOW} from '../platform/side-file.js'
import {detectSchema} from '../influxd/schema.js'
import {tokenFingerprint} from '../influxd/token.js'
import {defaultExportDir, newestExport} from '../platform/guard-exports.js'
import {defaultSystemdDir, findDropIns} from '../platform/systemd.js'
import {uncapturedFingerprints} from './guard.js'
import {checkBucketDatabases} from './bucket-meta.js'
import {tokensMatchingHashes} from './hash-upgrade.js'
import {TokenIndexScan} from './indexes.js'
import {authRow, type AuthRow} from './list.js'
import {eachAuthorization, readModel, type Decoded, type ReadModel} from './read-model.js'
import {v1Health, type V1Health} from './v1-auth.js'

export type Verdict = 'PASS' | 'WARN' | 'FAIL'

export interface DoctorCheck {
  name: string
  verdict: Verdict
  message: string
  /** what to do next */
  hint?: string
  details?: string[]
}

export interface DoctorReport {
  path: string
  checks: DoctorCheck[]
  ok: boolean
}

export interface DoctorInput {
  path: string
  /** how the file was found, e.g. "--bolt-path" or "default ~/.influxdbv2/influxd.bolt" */
  foundBy: string
  db: DB
  /** progress of the whole-file scan (bytes read, file size) */
  progress?: (done: number, total: number) => void
  /** where the guard's drop-ins are looked for (default: INFLUX_RECOVER_SYSTEMD_DIR, else /etc/systemd/system) */
  systemdDir?: string
  /** the meta.db reader (influxd/meta-reader.ts); without it the buckets check is not run */
  metaReader?: MetaReader
}

const COPY_NAME = (base: string, n: string): boolean =>
  n !== base && n.startsWith(`${base}.`) && (/\.pre-.+-upgrade\.backup$/.test(n) || /-downgrade\.backup$/.test(n) || /\.backup$/.test(n) || isBackupName(n, base) || n === `${base}.tmp`)

/**
 * Files beside the database that hold copies of its (plaintext) contents:
 * influxd's upgrade/downgrade backups, this tool's backups and the hidden
 * temporary files of unfinished ones. Looked for beside the path given and,
 * when it is a link, beside the real file (where this tool puts them).
 */
export function plaintextCopies(dbPath: string): string[] {
  const places = new Map<string, string>() // dir -> base name
  places.set(path.dirname(path.resolve(dbPath)), path.basename(dbPath))
  try {
    const real = fs.realpathSync(dbPath)
    places.set(path.dirname(real), path.basename(real))
  } catch {
    // no such file (yet): only beside the path given
  }
  const out = new Set<string>()
  for (const [dir, base] of places) {
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }
    for (const n of names) if (COPY_NAME(base, n) || isBackupTempName(n, base)) out.add(path.join(dir, n))
  }
  return [...out].sort()
}

export interface CopyState {
  path: string
  /** true: a whole copy (both metas valid, size a multiple of the page size, high-water mark inside) */
  whole: boolean
  /** what it is: "txid 12, 65536 bytes" or why it is not whole */
  note: string
}

/**
 * Whether a copy is whole, from its meta pages and size: it is opened without
 * following a link and without blocking, and only its metas are read.
 */
export function inspectCopy(p: string): CopyState {
  if (isBackupTempName(path.basename(p))) {
    return {path: p, whole: false, note: 'the unfinished backup of an interrupted run (the next write removes it)'}
  }
  let fd: number
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK)
  } catch (err) {
    return {path: p, whole: false, note: `cannot be opened: ${(err as Error).message}`}
  }
  let db: DB | undefined
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) return {path: p, whole: false, note: `not a regular file (${kindOf(st)})`}
    db = DB.open(p, {fd, readOnly: true})
    const bad = db.metas.find((m) => m.problem !== null)
    if (bad !== undefined) return {path: p, whole: false, note: `meta ${bad.slot} is invalid (${bad.problem})`}
    if (st.size % db.pageSize !== 0) return {path: p, whole: false, note: `its size, ${st.size} bytes, is not a multiple of the page size ${db.pageSize}`}
    return {path: p, whole: true, note: `txid ${db.meta().txid}, ${st.size} bytes`}
  } catch (err) {
    return {path: p, whole: false, note: (err as Error).message}
  } finally {
    db?.close()
    fs.closeSync(fd)
  }
}

/**
 * The report for a file that cannot be opened at all (not a bbolt file, both
 * metas invalid, a directory, FIFO or unreadable file): the "file" check fails.
 */
export function unopenableReport(path: string, foundBy: string, message: string, hint?: string): DoctorReport {
  // a message that names the path itself ("DIR (--bolt-path) is a directory, …") says it once
  const text = message.startsWith(`${path} `) ? message : `${path} (found by ${foundBy}) cannot be opened: ${message}`
  return {path, checks: [{name: 'file', verdict: 'FAIL', message: text, ...(hint ? {hint} : {})}], ok: false}
}

/**
 * What the token checks need, tallied one token at a time in key order: no
 * row is kept (100k of them cost ~50 MB), only counts, the problems found and
 * the hashes the remnant scan looks for.
 */
class TokenTally {
  count = 0
  /** decoding errors, in key order */
  readonly errors: string[] = []
  readonly states = {raw: 0, hashed: 0, none: 0}
  /** hash variant -> tokens, in order of first use */
  readonly variants = new Map<string, number>()
  readonly orphan: string[] = []
  usableOperator: AuthRow | undefined
  /** operator tokens influxd would refuse, each with why */
  readonly unusableOperators: string[] = []
  /** hashedToken -> id */
  readonly hashedKeys = new Map<string, string>()
  /** the raw tokens, for the guard check (fingerprinted only when an export is there to compare with) */
  readonly rawTokens: string[] = []

  constructor(private readonly model: ReadModel) {}

  add(d: Decoded<Authorization>): void {
    this.count++
    const r = authRow(d, this.model)
    if (r.error) {
      this.errors.push(r.error)
      return
    }
    const {userById} = this.model
    this.states[r.tokenState ?? 'none']++
    if (r.hashVariant) this.variants.set(r.hashVariant, (this.variants.get(r.hashVariant) ?? 0) + 1)
    if (!r.userID) this.orphan.push(`token ${r.id} has no user`)
    else if (r.userName === undefined) this.orphan.push(`token ${r.id}: user ${r.userID} does not exist (influxd answers 403 "User is inactive")`)
    else if (userById.get(r.userID.toLowerCase())?.status === 'inactive') this.orphan.push(`token ${r.id}: user ${r.userName} is inactive`)
    if (r.orgID && r.orgName === undefined) this.orphan.push(`token ${r.id}: org ${r.orgID} does not exist`)
    if (r.kind === 'operator') {
      // why influxd would refuse it (the tool's last-operator guard asks the same: isUsableOperator)
      const why = r.status !== 'active' ? 'is inactive'
        : r.tokenState === 'none' ? 'has no token'
        : !r.userID ? 'has no user'
        : r.userName === undefined ? `its user ${r.userID} does not exist`
        : userById.get(r.userID.toLowerCase())?.status === 'inactive' ? `its user ${r.userName} is inactive`
        : r.orgID && r.orgName === undefined ? `its org ${r.orgID} does not exist`
        : undefined
      if (why !== undefined) this.unusableOperators.push(`operator token ${r.id}${r.description ? ` ("${r.description}")` : ''} ${why}`)
      else if (this.usableOperator === undefined) this.usableOperator = {id: r.id, description: r.description, userName: r.userName!}
    }
    if (r.hashedToken) this.hashedKeys.set(r.hashedToken, r.id)
    if (r.tokenState === 'raw' && r.token !== undefined) this.rawTokens.push(r.token)
  }
}

export function runDoctor(input: DoctorInput): DoctorReport {
  const {db} = input
  const checks: DoctorCheck[] = []
  const add = (c: DoctorCheck): void => { checks.push(c) }

  add({name: 'file', verdict: 'PASS', message: `${input.path} (found by ${input.foundBy}), ${db.file.fileSize} bytes, page size ${db.pageSize}`})
  add({name: 'lock', verdict: 'PASS', message: 'not locked: no running influxd holds it'})

  const report = check(db)
  if (report.ok) {
    add({name: 'bbolt', verdict: report.warnings.length ? 'WARN' : 'PASS', message: `consistent: ${report.stats.reachablePages} pages in use, ${report.stats.freePages} free, ${report.stats.buckets} buckets, txid ${report.stats.txid}`, details: report.warnings})
  } else {
    add({
      name: 'bbolt', verdict: 'FAIL', message: `${report.problems.length + report.omitted} structural problem(s), first: ${report.problems[0]}`,
      hint: 'run "influx-recover bolt check FILE" for the full list; restore a backup, or copy what is readable with "bolt compact"', details: report.problems.slice(0, 20),
    })
  }

  let result
  try {
    result = db.view((tx) => {
      const schema = detectSchema(tx)
      // tokens streamed: tallied and dropped, so memory stays small however many there are
      const model = readModel(tx, {readOnly: true, withoutAuthorizations: true})
      const tally = new TokenTally(model)
      const indexScan = new TokenIndexScan()
      for (const d of eachAuthorization(tx)) {
        tally.add(d)
        indexScan.add(d)
      }
      return {schema, model, tally, indexes: indexScan.finish(tx), v1: v1Health(tx)}
    })
  } catch (err) {
    // a damaged tree can stop the reading part way: what was found so far is the report
    if (!(err instanceof BoltError)) throw err
    add({name: 'records', verdict: 'FAIL', message: `the InfluxDB content cannot be read: ${err.message}`, hint: 'restore a backup; "influx-recover bolt check FILE" lists the structural problems'})
    return {path: input.path, checks, ok: false}
  }
  const {schema, model, tally, indexes, v1} = result

  if (schema.problems.length > 0) {
    add({name: 'schema', verdict: 'FAIL', message: `${schema.influxdRange} (highest finished migration ${schema.highestFinished}), but: ${schema.problems[0]}`, hint: 'influxd may refuse this file; this tool will not write to it', details: schema.problems})
  } else {
    add({name: 'schema', verdict: 'PASS', message: `${schema.influxdRange} (highest finished migration ${schema.highestFinished} of 21${schema.hasHashedIndex ? ', hashed token index present' : ''})`, details: schema.notes})
  }

  const undecodable = [...tally.errors, ...[...model.users, ...model.orgs].filter((d) => d.error !== undefined).map((d) => d.error!)]
  if (model.missingBuckets.length > 0 || undecodable.length > 0) {
    add({
      name: 'records', verdict: 'FAIL',
      message: `${model.missingBuckets.length ? `missing bucket(s) ${model.missingBuckets.join(', ')}; ` : ''}${undecodable.length} record(s) cannot be decoded`,
      hint: 'influxd fails on such records; inspect them with "influx-recover bolt get"', details: undecodable,
    })
  } else {
    add({name: 'records', verdict: 'PASS', message: `${tally.count} token(s), ${model.legacyAuthorizations.length} legacy v1 authorization(s), ${model.users.length} user(s), ${model.orgs.length} org(s), all decodable`})
  }

  // hashing state
  const {states, variants, orphan, usableOperator, hashedKeys} = tally
  const variantText = [...variants].map(([v, n]) => `${n} ${v}`).join(', ')
  const hashingMsg = `${states.raw} raw, ${states.hashed} hashed${variantText ? ` (${variantText})` : ''}, ${states.none} without token`
  if (states.hashed > 0 && !schema.hasHashedIndex) {
    add({name: 'hashing', verdict: 'FAIL', message: `${hashingMsg}; hashed tokens but no hashed index: this file was downgraded below 2.8 and those tokens cannot be used`, hint: 'with their plaintext exported before (auth export, or auth rescue --from an older copy): "influx-recover auth restore-plaintext --from tokens.yaml"; otherwise create new tokens (auth create-operator), or upgrade influxd to 2.8+'})
  } else if (states.raw > 0 && schema.level === '2.8+') {
    add({name: 'hashing', verdict: 'WARN', message: `${hashingMsg}; influxd 2.9 hashes raw tokens at its next start and their plaintext is then gone`, hint: 'capture the plaintext first: "influx-recover auth export --output tokens.yaml" (then "auth hash-upgrade" to hash them yourself, scrubbed)'})
  } else {
    add({name: 'hashing', verdict: 'PASS', message: hashingMsg})
  }

  add(indexes.problems.length === 0
    ? {name: 'indexes', verdict: 'PASS', message: `token indexes consistent (${indexes.rawEntries} raw, ${indexes.hashedEntries} hashed entries)`}
    : {name: 'indexes', verdict: 'FAIL', message: `${indexes.problems.length} token index problem(s): influxd cannot authenticate (or still accepts) the affected tokens`, hint: indexesHint(input.path, indexes.problems), details: indexes.problems})

  // owners of tokens
  add(orphan.length === 0
    ? {name: 'owners', verdict: 'PASS', message: 'every token belongs to an existing, active user and org'}
    : {name: 'owners', verdict: 'WARN', message: `${orphan.length} token(s) with a missing or inactive user or org`, details: orphan})

  // an operator token to get back in with
  const {unusableOperators} = tally
  const unusableText = `${unusableOperators.length} operator token(s) that cannot be used`
  if (usableOperator && unusableOperators.length === 0) {
    add({name: 'operator', verdict: 'PASS', message: `active operator token ${usableOperator.id} ("${usableOperator.description}") of user ${usableOperator.userName}`})
  } else if (usableOperator) {
    add({
      name: 'operator', verdict: 'WARN',
      message: `operator token ${usableOperator.id} ("${usableOperator.description}") of user ${usableOperator.userName} is usable; ${unusableText}`,
      details: unusableOperators,
    })
  } else {
    const user = model.users.find((u) => u.record && u.record.status !== 'inactive')?.record?.name
    const org = model.orgs.find((o) => o.record)?.record?.name
    add({
      name: 'operator', verdict: 'FAIL',
      message: `no usable operator token${unusableOperators.length > 0 ? ` (${unusableText})` : ''}: nobody can administer this instance`,
      hint: user && org ? `influx-recover auth create-operator --bolt-path ${JSON.stringify(input.path)} --username ${JSON.stringify(user)} --org ${JSON.stringify(org)}` : 'create a user and an org first (influx-recover user create …, then influx-recover org create --name NAME --owner USER), then auth create-operator',
      details: unusableOperators,
    })
  }

  add(v1Check(v1))
  if (input.metaReader !== undefined) add(bucketsCheck(db, input.path, input.metaReader))
  add(guardCheck(input, tally.rawTokens, schema.level === '2.8+'))

  const copies = plaintextCopies(input.path).map(inspectCopy)
  const partial = copies.filter((c) => !c.whole)
  add(copies.length === 0
    ? {name: 'copies', verdict: 'PASS', message: 'no backup or upgrade copies beside the database'}
    : {
        name: 'copies', verdict: 'WARN',
        message: `${copies.length} copy(ies) of the database beside it${partial.length > 0 ? `, ${partial.length} of them partial (not usable as a backup)` : ''}; they hold every token as it was then (plaintext before 2.9)`,
        hint: partial.length > 0 ? 'delete the partial ones; move the others somewhere safe or delete them once no longer needed' : 'move them somewhere safe or delete them once no longer needed',
        details: copies.map((c) => `${c.whole ? 'whole' : 'PARTIAL'}, ${c.note}: ${c.path}`),
      })

  // plaintext of hashed tokens anywhere in the file (bbolt never clears freed pages)
  if (hashedKeys.size === 0) {
    add({name: 'remnants', verdict: 'PASS', message: 'no hashed tokens, so no plaintext remnants to look for'})
  } else {
    // the whole file: free pages, the older meta's tree and the tail alike
    const exposed = tokensMatchingHashes(db.file.fd, hashedKeys, input.progress)
    add(exposed.length === 0
      ? {name: 'remnants', verdict: 'PASS', message: `no plaintext of the ${hashedKeys.size} hashed token(s) anywhere in the file`}
      : {name: 'remnants', verdict: 'FAIL', message: `the plaintext of ${exposed.length} hashed token(s) is still readable in the file`, hint: 'overwrite the unused pages: "influx-recover auth scrub" (influxd stopped)', details: exposed.map((id) => `token ${id}`)})
  }
  return {path: input.path, checks, ok: checks.every((c) => c.verdict !== 'FAIL')}
}

/**
 * doctor's `indexes` next step: a problem of one token's own entries is fixed
 * by rotating it (a new value, written with fresh index entries); stale
 * entries of tokens that are gone only by restoring a backup.
 */
function indexesHint(file: string, problems: readonly string[]): string {
  const id = problems.map((p) => /^authorization ([0-9a-f]{16})\b/.exec(p)?.[1]).find((x) => x !== undefined)
  if (id !== undefined) return `influx-recover auth rotate --bolt-path ${JSON.stringify(file)} --id ${id} (a new value with fresh index entries; give its clients the new value), for each token named below`
  return 'restore influxd.bolt from a backup made before the problem'
}

function realOrSame(p: string): string {
  try {
    return fs.realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/**
 * The guard: is a drop-in of "guard install" guarding this file, and is every
 * raw token in the newest export (read from its manifest, never decrypted)?
 * Raw tokens not captured on a 2.8+ file are a WARN: the next start of
 * influxd 2.9 hashes them.
 */
export function guardCheck(input: DoctorInput, raw: readonly string[], upgradeable: boolean): DoctorCheck {
  // `raw`: the raw tokens; their fingerprints (SHA-256, node:crypto loaded on
  // first use) only when there is a manifest to compare them with
  const me = realOrSame(input.path)
  const dropIns = findDropIns(input.systemdDir ?? defaultSystemdDir())
  const mine = dropIns.find((d) => d.boltPath !== undefined && realOrSame(d.boltPath) === me)
  const exportDir = mine?.exportDir ?? defaultExportDir()
  let missing = raw.length
  let newestName: string | undefined
  if (raw.length > 0) {
    try {
      const newest = fs.existsSync(exportDir) ? newestExport(exportDir, {hash: false}) : undefined
      newestName = newest?.name
      const captured = newest?.problem === undefined ? newest?.manifest?.fingerprints : undefined
      if (captured !== undefined) missing = uncapturedFingerprints(raw.map(tokenFingerprint), captured).length
    } catch {
      // an unreadable directory captures nothing
    }
  }
  const installed = mine !== undefined ? `installed (${mine.path})` : 'not installed'
  if (missing === 0) {
    return {name: 'guard', verdict: 'PASS', message: raw.length === 0 ? `${installed}; no raw token to capture` : `${installed}; all ${raw.length} raw token(s) captured in ${exportDir}/${newestName}`}
  }
  const message = `${installed}; ${missing} of ${raw.length} raw token(s) not captured in ${exportDir}`
  if (!upgradeable) return {name: 'guard', verdict: 'PASS', message: `${message} (this schema keeps them raw; capture them before upgrading to 2.9)`}
  return {
    name: 'guard', verdict: 'WARN', message: `${message}: influxd 2.9 hashes them at its next start`,
    hint: mine !== undefined
      ? 'the guard captures them at the next start of influxd; to capture now, stop influxd and run the drop-in\'s "guard run" line ("influx-recover guard status" shows it)'
      : 'capture them before every start: "influx-recover guard install --recipient age1…"; or once: "influx-recover auth export --output tokens.yaml.age --recipient age1…"',
  }
}

/** `buckets`: every bucket has its database in v1_tsm1_metadata/meta.db (influxd refuses writes to one without). */
function bucketsCheck(db: DB, path: string, codec: MetaReader): DoctorCheck {
  let c
  try {
    c = db.view((tx) => checkBucketDatabases(tx, codec))
  } catch (err) {
    if (!(err instanceof BoltError)) throw err
    return {name: 'buckets', verdict: 'FAIL', message: `the buckets cannot be read: ${err.message}`}
  }
  const missing = c.missing.filter((r) => r.database === 'missing')
  const fix = missing.length > 0 ? `influx-recover bucket repair-meta --bolt-path ${JSON.stringify(path)} ${missing.map((r) => `--id ${r.id}`).join(' ')}` : undefined
  const label = (r: {id: string; name?: string; orgName?: string; orgID?: string; database: string}): string => `bucket ${r.id} (${JSON.stringify(r.name ?? '')} of org ${r.orgName !== undefined ? JSON.stringify(r.orgName) : r.orgID ?? '?'}): ${r.database === 'missing' ? 'no database in meta.db' : `database: ${r.database}`}`
  if (c.meta.state === 'undecodable') {
    return {name: 'buckets', verdict: 'FAIL', message: `influxd cannot load its meta store: ${c.meta.problem}`, hint: 'restore influxd.bolt from a backup'}
  }
  if (c.buckets === 0) return {name: 'buckets', verdict: 'PASS', message: 'no buckets', ...(c.meta.state === 'ok' ? {} : {details: [c.meta.problem]})}
  if (c.meta.state === 'no-bucket') {
    return {name: 'buckets', verdict: 'FAIL', message: c.meta.problem, hint: 'restore influxd.bolt from a backup; influxd cannot use its buckets'}
  }
  if (c.missing.length > 0) {
    return {
      name: 'buckets', verdict: 'FAIL',
      message: `${c.missing.length} of ${c.buckets} bucket(s) have no usable database in meta.db: influxd refuses writes to them ("database not found")${c.meta.state === 'no-key' ? `; ${c.meta.problem}` : ''}`,
      ...(fix !== undefined ? {hint: fix} : {}),
      details: c.missing.map(label),
    }
  }
  if (c.zeroShardGroups.length > 0) {
    return {
      name: 'buckets', verdict: 'WARN', message: `${c.zeroShardGroups.length} bucket record(s) with a shard-group duration of 0 (their databases are there)`,
      hint: `influx-recover bucket repair-meta --bolt-path ${JSON.stringify(path)} ${c.zeroShardGroups.map((r) => `--id ${r.id}`).join(' ')}`,
      details: c.zeroShardGroups.map((r) => `bucket ${r.id} (${JSON.stringify(r.name ?? '')})`),
    }
  }
  return {name: 'buckets', verdict: 'PASS', message: `${c.buckets} bucket(s), each with its database in meta.db${c.undecodable.length > 0 ? ` (${c.undecodable.length} undecodable record(s): see records)` : ''}`}
}

/** The v1 logins (legacy buckets): counts, and what influxd's own deletes and damage leave behind. */
export function v1Check(h: V1Health): DoctorCheck {
  const counts = `${h.count} v1 login(s): ${h.active} active, ${h.withPassword} with a password`
  const broken = [...h.undecodable, ...h.indexProblems]
  const warnings = [...h.ownerProblems, ...h.orphanPasswords.map((id) => `password ${id} belongs to no v1 login (influxd's delete leaves it behind)`)]
  if (broken.length > 0) {
    return {name: 'v1auth', verdict: 'FAIL', message: `${counts}; ${broken.length} problem(s): ${broken[0]}`, hint: 'influxd cannot log these in (or finds the wrong login); "influx-recover v1 auth delete --id ID" or "--username NAME" removes a broken login or index entry, "v1 auth list" shows the rest', details: [...broken, ...warnings]}
  }
  if (warnings.length > 0) {
    return {
      name: 'v1auth', verdict: 'WARN', message: `${counts}; ${h.ownerProblems.length} login(s) with a missing or refused user or org, ${h.orphanPasswords.length} orphaned password(s)`,
      hint: h.orphanPasswords.length > 0 ? `"influx-recover v1 auth delete --id ${h.orphanPasswords[0]}" removes an orphaned password; "user active" fixes a user status influxd refuses` : '"influx-recover user active --username NAME" fixes a user status influxd refuses',
      details: warnings,
    }
  }
  return {name: 'v1auth', verdict: 'PASS', message: h.count === 0 ? 'no v1 logins' : `${counts}; index and passwords consistent`}
}
