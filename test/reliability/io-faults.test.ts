// I/O errors under the real commands: each write, fdatasync, fsync and grow
// (ftruncate) of a write command's commit fails in turn (a failing or full
// disk). Every time: exit 1 with one `Error:` line naming the I/O error, the
// file at its previous txid with its previous contents, clean for Go, and a
// retry without the fault succeeds. (The engine-level variant, every call of
// four kinds of transaction, is test/bbolt/faults.test.ts.)
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {copyInto, errorLines, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-iofaults-')
afterAll(() => removeDir(tmp))

const txidOf = (file: string): number => {
  const db = DB.open(file, {readOnly: true})
  try {
    return db.meta().txid
  } finally {
    db.close()
  }
}

/** A batch big enough that the file must grow (so ftruncate and fsync happen). */
const ops = path.join(tmp, 'grow.jsonl')
fs.writeFileSync(ops, Array.from({length: 3000}, (_, i) => JSON.stringify({op: 'put', path: ['grown'], key: `k${i}`, value: 'v'.repeat(600)})).join('\n').replace(/^/, `${JSON.stringify({op: 'create-bucket', path: ['grown']})}\n`) + '\n')

interface Case {
  name: string
  args: (file: string) => string[]
  input?: string
  /** faults that must fire: a commit that does not grow the file has no ftruncate/fsync */
  fires: string[]
}
const CASES: Case[] = [
  {name: 'auth create-operator', args: (f) => ['auth', 'create-operator', '--bolt-path', f, '--username', 'testuser', '--org', 'myorg', '--no-backup', '--token-stdin'], input: `${'t'.repeat(86)}==\n`, fires: ['write-0', 'write-1', 'fdatasync-0', 'fdatasync-1']},
  {name: 'bolt apply (grows the file)', args: (f) => ['bolt', 'apply', f, '--ops', ops, '--yes', '--no-backup'], fires: ['write-0', 'write-1', 'fdatasync-0', 'fdatasync-1', 'ftruncate-0', 'fsync-0']},
]
const FAULTS = ['write-0', 'write-1', 'fdatasync-0', 'fdatasync-1', 'ftruncate-0', 'fsync-0']

describe('an I/O error during a write command', () => {
  for (const c of CASES) {
    it(`${c.name}: each fault leaves the previous state, exit 1, one line`, () => {
      const fired: string[] = []
      for (const fault of FAULTS) {
        const dir = path.join(tmp, `${c.name.split(' ').slice(0, 2).join('-')}-${fault}`)
        fs.mkdirSync(dir)
        const file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), dir, 'influxd.bolt')
        const before = oracleDump(file)
        const txid = txidOf(file)
        const r = runCli(c.args(file), {input: c.input, env: {INFLUX_RECOVER_TEST_HOOKS: `fail-${fault}`}})
        if (r.status === 0) {
          // this command's commit has no such call (e.g. no grow): the fault never fired
          expect(txidOf(file), fault).toBe(txid + 1)
          continue
        }
        fired.push(fault)
        expect(r.status, `${fault}: ${r.stderr}`).toBe(1)
        const e = errorLines(r.stderr)
        expect(e.ok, r.stderr).toBe(true)
        expect(e.error).toMatch(/input\/output error/)
        expect(txidOf(file), fault).toBe(txid)
        oracleCheck(file)
        expect(oracleDump(file)).toEqual(before)
        // the file stays writable by Go, and by us once the disk is well again
        expect(oracle('mutate', copyInto(file, dir, 'go.bolt'), '7').status).toBe(0)
        const again = runCli(c.args(file), {input: c.input})
        expect(again.status, again.stderr).toBe(0)
        expect(txidOf(file)).toBe(txid + 1)
        oracleCheck(file)
      }
      expect(fired).toEqual(c.fires)
    }, 240_000)
  }
})
