// scrubUnused: after a rewrite, no byte of the previous state is left in the
// file, both metas point at the newest tree, and Go still reads and writes it.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {fixture, oracle, oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-scrub-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const TOKEN = 'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ=='

describe('scrubUnused', () => {
  it('removes every trace of a replaced value from the real 2.8–2.9 file', () => {
    const file = path.join(tmp, 'v29.bolt')
    fs.copyFileSync(fixture('influxd-v2.8-v2.9.bolt'), file)
    expect(fs.readFileSync(file).includes(TOKEN)).toBe(true)
    const db = DB.open(file)
    db.update((tx) => {
      const auths = tx.bucket(Buffer.from('authorizationsv1'))!
      const rec = auths.get(Buffer.from('08371db24dcc8000'))!.toString().replace(`"token":"${TOKEN}",`, '')
      auths.put(Buffer.from('08371db24dcc8000'), Buffer.from(rec))
      tx.bucket(Buffer.from('authorizationindexv1'))!.delete(Buffer.from(TOKEN))
    })
    // the plaintext is still in freed pages and under the older meta
    expect(fs.readFileSync(file).includes(TOKEN)).toBe(true)
    const txid = db.meta().txid
    const r = db.scrubUnused()
    db.close()
    expect(r.pagesZeroed).toBeGreaterThan(0)
    expect(fs.readFileSync(file).includes(TOKEN)).toBe(false)
    const reopened = DB.open(file, {readOnly: true})
    expect(reopened.meta().txid).toBe(txid)
    expect(reopened.metas.every((m) => m.problem === null && m.meta!.root === reopened.meta().root)).toBe(true)
    reopened.close()
    oracleCheck(file)
    const dump = oracleDump(file)
    expect(dump.join('\n')).not.toContain(Buffer.from(TOKEN).toString('base64'))
    expect(oracle('mutate', file, '3').status).toBe(0)
    oracleCheck(file)
  })
})
