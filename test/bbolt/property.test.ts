// Random transactions applied by our engine and by an in-memory model; after
// every commit the Go oracle's check passes and its dump equals the model.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DB} from '../../src/bbolt/index.js'
import {RandomTxs, cloneModel, modelDump, newBucket} from '../helpers/model.js'
import {oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-prop-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

const SEEDS = (process.env.PROP_SEEDS ?? '1,2,3').split(',').map(Number)
const TXS = Number(process.env.PROP_TXS ?? 60)

for (const pageSize of [4096, 1024, 16384]) {
  describe(`random transactions, page size ${pageSize}`, () => {
    for (const seed of SEEDS) {
      it(`seed ${seed}: ${TXS} transactions, Go checks and dumps every commit`, () => {
        const file = path.join(tmp, `prop-${pageSize}-${seed}.bolt`)
        const db = DB.create(file, {pageSize})
        const gen = new RandomTxs(seed * 7919 + pageSize)
        let model = newBucket()
        const log: string[] = []
        try {
          for (let t = 0; t < TXS; t++) {
            const next = cloneModel(model)
            const tx = db.begin(true)
            log.push(`-- tx ${t}`)
            gen.apply(tx, next, log)
            if (gen.chance(0.1)) {
              tx.rollback()
              log.push('rollback')
            } else {
              tx.commit()
              model = next
            }
            oracleCheck(file)
            expect(oracleDump(file)).toEqual(modelDump(model))
          }
        } catch (err) {
          throw new Error(`property test failed: page size ${pageSize}, seed ${seed} (rerun with PROP_SEEDS=${seed})\nlast ops:\n${log.slice(-15).join('\n')}\n${(err as Error).message}`)
        } finally {
          db.close()
        }
      })
    }
  })
}
