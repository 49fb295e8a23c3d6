/**
 * Writes the malformed-file corpus (test/reliability/corpus.ts) into a
 * directory for inspection: one sub-directory per case holding influxd.bolt
 * (or the directory, FIFO, symlink it is) and what.txt saying what is wrong.
 *
 *   npm run corpus -- [OUT_DIR]        (default .tmp/corpus; must not exist)
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

import {buildOracle, ROOT} from '../test/helpers/oracle.js'
import {corpusCases, writeCase} from '../test/reliability/corpus.js'

const out = path.resolve(process.argv[2] ?? path.join(ROOT, '.tmp/corpus'))
if (fs.existsSync(out)) {
  console.error(`Error: ${out} already exists (remove it or name another directory)`)
  process.exit(1)
}
buildOracle()
fs.mkdirSync(out, {recursive: true})
const scratch = path.join(out, '.sources')
fs.mkdirSync(scratch)
const cases = corpusCases(scratch)
const counts: Record<string, number> = {}
for (const c of cases) {
  const dir = path.join(out, c.name)
  fs.mkdirSync(dir)
  writeCase(c, dir)
  fs.writeFileSync(path.join(dir, 'what.txt'), `${c.kind}: ${c.what}\n${c.source ? `made from ${c.source}\n` : ''}`)
  counts[c.kind] = (counts[c.kind] ?? 0) + 1
}
console.log(`${cases.length} cases in ${out} (${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')})`)
