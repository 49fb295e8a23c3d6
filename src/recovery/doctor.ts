/**
 * `doctor`: one verdict per aspect of an influxd.bolt file, each PASS, WARN
 * or FAIL with what to do next. Plain data in, plain data out: the command
 * renders it.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {BoltError, check, DB} from '../bbolt/index.js'
import type {Authorization} from '../influxd/records.js'
import {isBackupName, isBackupTempName} from '../platform/backup.js'
import {kindOf, O_NOFOLLOW} from '../platform/side-file.js'
import {detectSchema} from '../influxd/schema.js'
import {tokensMatchingHashes} from './hash-upgrade.js'
import {TokenIndexScan} from './indexes.js'
import {authRow, type AuthRow} from './list.js'
import {eachAuthorization, readModel, type Decoded, type ReadModel} from './read-model.js'

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
  return {path, checks: [{name: 'file', verdict: 'FAIL', message: `${path} (found by ${foundBy}) cannot be opened: ${message}`, ...(hint ? {hint} : {})}], ok: false}
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
  /** hashedToken -> id */
  readonly hashedKeys = new Map<string, string>()

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
    if (this.usableOperator === undefined && r.kind === 'operator' && r.status === 'active' && r.userName !== undefined && userById.get(r.userID!.toLowerCase())?.status !== 'inactive') {
      this.usableOperator = {id: r.id, description: r.description, userName: r.userName}
    }
    if (r.hashedToken) this.hashedKeys.set(r.hashedToken, r.id)
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
      return {schema, model, tally, indexes: indexScan.finish(tx)}
    })
  } catch (err) {
    // a damaged tree can stop the reading part way: what was found so far is the report
    if (!(err instanceof BoltError)) throw err
    add({name: 'records', verdict: 'FAIL', message: `the InfluxDB content cannot be read: ${err.message}`, hint: 'restore a backup; "influx-recover bolt check FILE" lists the structural problems'})
    return {path: input.path, checks, ok: false}
  }
  const {schema, model, tally, indexes} = result

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
    : {name: 'indexes', verdict: 'FAIL', message: `${indexes.problems.length} token index problem(s): ${indexes.problems[0]}`, hint: 'influxd cannot authenticate (or still accepts) the affected tokens', details: indexes.problems})

  // owners of tokens
  add(orphan.length === 0
    ? {name: 'owners', verdict: 'PASS', message: 'every token belongs to an existing, active user and org'}
    : {name: 'owners', verdict: 'WARN', message: `${orphan.length} token(s) with a missing or inactive user or org`, details: orphan})

  // an operator token to get back in with
  if (usableOperator) {
    add({name: 'operator', verdict: 'PASS', message: `active operator token ${usableOperator.id} ("${usableOperator.description}") of user ${usableOperator.userName}`})
  } else {
    const user = model.users.find((u) => u.record && u.record.status !== 'inactive')?.record?.name
    const org = model.orgs.find((o) => o.record)?.record?.name
    add({
      name: 'operator', verdict: 'WARN', message: 'no active operator token: nobody can administer this instance',
      hint: user && org ? `influx-recover auth create-operator --bolt-path ${JSON.stringify(input.path)} --username ${JSON.stringify(user)} --org ${JSON.stringify(org)}` : 'create a user and an org first (influx-recover user create …), then auth create-operator',
    })
  }

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
