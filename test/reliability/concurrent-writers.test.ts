/**
 * Two runs of this tool writing the same file at once never both write on
 * the same state: in every round either both commit one after the other
 * (txid +2, the second based on the first's commit, both changes there) or
 * one gives up with exit 3 and the file holds exactly the other's change.
 * No lost update, no two commits on the same txid; Go's check is clean after
 * every round, and no lock directory or temporary file is left behind.
 */
import * as fs from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, makeTempDir, removeDir, runCliAsync, type CliResult} from '../helpers/cli.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const FIXTURE = fixture('influxd-v2.8-v2.9.bolt')
const AUDIT = 'influx-recover.audit.jsonl'
const BULK_KEYS = 4000
const LOCK_ERRORS = [
  /is in use \(locked by another process, most likely a running influxd\)/,
  /is being modified by another influx-recover run/,
]

let dir: string
let file: string

/** The active meta's txid, as Go's raw verifier reads it. */
function txidOf(path: string): number {
  const r = oracle('info', path)
  expect(r.status, r.stderr).toBe(0)
  const m = /meta \d: txid (\d+),.*\[active\]/.exec(r.stdout)
  expect(m, r.stdout).not.toBeNull()
  return Number(m![1])
}

interface State {
  /** authorization id → description */
  auths: Map<string, string>
  /** raw token index: token → id */
  tokenIndex: Map<string, string>
  users: Set<string>
  /** bucket name → number of keys, for the bulk buckets */
  bulk: Map<string, number>
}

/** What Go's bbolt sees in the file. */
function stateOf(path: string): State {
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')
  const st: State = {auths: new Map(), tokenIndex: new Map(), users: new Set(), bulk: new Map()}
  for (const line of oracleDump(path)) {
    const rec = JSON.parse(line) as {type: string; path: string[]; key?: string; value?: string}
    const bucket = rec.path.map(b64)
    if (rec.type === 'bucket') {
      if (bucket.length === 1 && bucket[0]!.startsWith('bulk-')) st.bulk.set(bucket[0]!, 0)
      continue
    }
    const key = b64(rec.key!)
    const value = b64(rec.value!)
    if (bucket[0] === 'authorizationsv1') st.auths.set(key, (JSON.parse(value) as {description: string}).description)
    else if (bucket[0] === 'authorizationindexv1') st.tokenIndex.set(key, value)
    else if (bucket[0] === 'usersv1') st.users.add((JSON.parse(value) as {name: string}).name)
    else if (bucket[0]!.startsWith('bulk-')) st.bulk.set(bucket[0]!, (st.bulk.get(bucket[0]!) ?? 0) + 1)
  }
  return st
}

function auditLines(): Array<{command: string; txidBefore: number; txidAfter: number; ids: string[]; outcome: string}> {
  const p = join(dir, AUDIT)
  if (!fs.existsSync(p)) return []
  return fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l))
}

/** One of the two writers of a round. */
interface Writer {
  label: string
  args: (timeout: number) => string[]
  /** asserts its change is in the state (present) or not (absent); returns its commit's txids when it succeeded */
  check: (st: State, present: boolean, r: CliResult) => {txidBefore: number; txidAfter: number} | undefined
}

function createOperator(desc: string): Writer {
  return {
    label: `auth create-operator "${desc}"`,
    args: (t) => ['auth', 'create-operator', '--bolt-path', file, '--username', 'testuser', '--org', 'myorg', '--description', desc, '--json', '--lock-timeout', String(t)],
    check: (st, present, r) => {
      const withDesc = [...st.auths].filter(([, d]) => d === desc)
      if (!present) {
        expect(withDesc).toEqual([])
        return undefined
      }
      const doc = JSON.parse(r.stdout) as {id: string; token: string; description: string}
      expect(doc.description).toBe(desc)
      expect(withDesc).toEqual([[doc.id, desc]])
      expect(st.tokenIndex.get(doc.token)).toBe(doc.id)
      const lines = auditLines().filter((a) => a.ids.includes(doc.id))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({command: 'auth create-operator', outcome: 'ok'})
      return lines[0]
    },
  }
}

function createUser(name: string): Writer {
  return {
    label: `user create ${name}`,
    args: (t) => ['user', 'create', '--bolt-path', file, '--username', name, '--no-backup', '--json', '--lock-timeout', String(t)],
    check: (st, present, r) => {
      expect(st.users.has(name)).toBe(present)
      if (!present) return undefined
      const doc = JSON.parse(r.stdout) as {txidBefore: number; txidAfter: number; user: {id: string}}
      const lines = auditLines().filter((a) => a.ids.includes(doc.user.id))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({command: 'user create', outcome: 'ok', txidBefore: doc.txidBefore, txidAfter: doc.txidAfter})
      return doc
    },
  }
}

/** bolt apply of a big batch (a new bucket with BULK_KEYS keys): a long write. */
function bulkApply(bucket: string): Writer {
  return {
    label: `bolt apply ${bucket}`,
    args: (t) => ['bolt', 'apply', file, '--ops', join(dir, `${bucket}.jsonl`), '--yes', '--json', '--lock-timeout', String(t)],
    check: (st, present, r) => {
      expect(st.bulk.get(bucket)).toBe(present ? BULK_KEYS : undefined)
      if (!present) return undefined
      const doc = JSON.parse(r.stdout) as {txidBefore: number; txidAfter: number; operations: number}
      expect(doc.operations).toBe(BULK_KEYS + 1)
      return doc
    },
  }
}

function writeBulkOps(bucket: string): void {
  const lines = [JSON.stringify({op: 'create-bucket', path: [bucket]})]
  for (let i = 0; i < BULK_KEYS; i++) lines.push(JSON.stringify({op: 'put', path: [bucket], key: `k${String(i).padStart(6, '0')}`, value: `${bucket}:${i}:${'v'.repeat(150)}`}))
  fs.writeFileSync(join(dir, `${bucket}.jsonl`), `${lines.join('\n')}\n`)
}

interface Round {
  a: Writer
  b: Writer
  /** --lock-timeout of each */
  timeouts: [number, number]
  /** ms to wait before starting b */
  stagger: number
}

type Kind = 'operators' | 'apply' | 'user'
const PLAN: [Kind, number, number][] = [
  ['operators', 10, 10], ['operators', 0, 0], ['apply', 10, 10], ['user', 0, 0],
  ['operators', 10, 0], ['operators', 0, 10], ['apply', 10, 0], ['user', 10, 10],
  ['operators', 0, 0], ['operators', 10, 10], ['apply', 0, 10], ['user', 0, 10],
]
const ROUNDS: Round[] = PLAN.map(([kind, ta, tb], i) => ({
  a: kind === 'operators' ? createOperator(`round ${i} a`) : kind === 'apply' ? bulkApply(`bulk-${i}`) : createUser(`user-${i}-a`),
  b: createOperator(`round ${i} b`),
  timeouts: [ta, tb],
  // the long apply first, so that the other run meets it holding the lock
  stagger: kind === 'apply' ? 300 : 0,
}))

const outcomes: string[] = []

describe('two writers on the same file at once', () => {
  beforeAll(() => {
    dir = makeTempDir('ir-writers-')
    file = copyInto(FIXTURE, dir, 'influxd.bolt')
    ROUNDS.forEach((r, i) => {
      if (r.a.label.startsWith('bolt apply')) writeBulkOps(`bulk-${i}`)
    })
  })

  afterAll(() => {
    console.log(`concurrent writers: ${outcomes.join('; ')}`)
    if (dir) removeDir(dir)
  })

  it.each(ROUNDS.map((r, i) => [i, r] as const))('round %i', async (i, round) => {
    const txid0 = txidOf(file)
    const auditBefore = auditLines().length
    const pa = runCliAsync(round.a.args(round.timeouts[0]))
    if (round.stagger > 0) await new Promise((res) => setTimeout(res, round.stagger))
    const pb = runCliAsync(round.b.args(round.timeouts[1]))
    const [ra, rb] = await Promise.all([pa, pb])
    const show = `round ${i}: ${round.a.label} (--lock-timeout ${round.timeouts[0]}) exit ${ra.status} ${ra.stderr}\n${round.b.label} (--lock-timeout ${round.timeouts[1]}) exit ${rb.status} ${rb.stderr}`

    for (const r of [ra, rb]) {
      expect([0, 3], show).toContain(r.status)
      if (r.status === 3) {
        const e = errorLines(r.stderr)
        expect(e.ok, show).toBe(true)
        expect(LOCK_ERRORS.some((re) => re.test(e.error)), show).toBe(true)
      }
    }
    // someone always gets the lock
    expect(ra.status === 0 || rb.status === 0, show).toBe(true)

    const st = stateOf(file)
    const commits = [round.a.check(st, ra.status === 0, ra), round.b.check(st, rb.status === 0, rb)].filter((c) => c !== undefined)
    const n = commits.length
    expect(txidOf(file), show).toBe(txid0 + n)
    // one after the other: each commit based on the one before, never two on the same txid
    const chain = commits.map((c) => c.txidBefore).sort((x, y) => x - y)
    expect(chain, show).toEqual(Array.from({length: n}, (_, k) => txid0 + k))
    for (const c of commits) expect(c.txidAfter, show).toBe(c.txidBefore + 1)
    // nothing else wrote: every audit line of the round belongs to a commit seen above
    expect(auditLines().length - auditBefore).toBe(commits.length - [round.a, round.b].filter((w, k) => w.label.startsWith('bolt apply') && [ra, rb][k]!.status === 0).length)

    expect(oracleCheck(file), show).toContain(`bbolt tx.Check: OK (txid=${txid0 + n})`)
    expect(fs.readdirSync(dir).filter((f) => f.includes('.lock') || f.includes('.tmp')), show).toEqual([])
    outcomes[i] = `${i}: ${n === 2 ? 'both serially' : `${ra.status === 3 ? 'a' : 'b'} exit 3`} (timeouts ${round.timeouts.join('/')})`
  }, 120_000)

  it('every round ended in one of the two allowed ways, and writers waiting 10 s always both committed', () => {
    expect(outcomes.filter((o) => o !== undefined)).toHaveLength(ROUNDS.length)
    ROUNDS.forEach((r, i) => {
      if (r.timeouts[0] === 10 && r.timeouts[1] === 10) expect(outcomes[i]).toContain('both serially')
    })
  })
})
