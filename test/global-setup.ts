// Builds what the tests run against: the Go oracle and the CLI's bundle (dist/, scripts/build.mjs).
// A missing Go toolchain or missing real fixtures is a failure, never a skip.
import {spawnSync} from 'node:child_process'
import {ROOT, buildOracle, missingFixtures} from './helpers/oracle.js'

export default async function setup(): Promise<void> {
  const missing = missingFixtures()
  if (missing !== undefined) throw new Error(missing)
  buildOracle()
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`)
}
