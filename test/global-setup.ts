// Builds what the tests run against: the Go oracle and the CLI's bundle (dist/, scripts/build.mjs).
// A missing Go toolchain or ../shared is a failure, never a skip.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {FIXTURES, ROOT, buildOracle} from './helpers/oracle.js'

export default async function setup(): Promise<void> {
  if (!existsSync(FIXTURES)) throw new Error(`the real fixtures are missing: ${FIXTURES} (the tests need ../shared)`)
  buildOracle()
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, encoding: 'utf8'})
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`)
}
