#!/usr/bin/env node
// The CLI: dist/influx-recover.cjs, the bundle scripts/build.mjs makes (npm pack
// ships it; in a git checkout the first run builds it, `npm run build` rebuilds
// it after a change, bin/dev.js runs the sources instead).
import {createRequire} from 'node:module'

// Node's own modules through require(): an ES import of one runs all its lazy getters
const require = createRequire(import.meta.url)
const argv = process.argv.slice(2)

/** The guard's bundle is there (a checkout that was never built goes the long way, which builds it). */
function guardRunBuilt() {
  return require('node:fs').existsSync(new URL('../dist/guard-run.cjs', import.meta.url))
}

/** WSL, where oclif names the platform "wsl": left to oclif. */
function maybeWsl() {
  if (process.platform !== 'linux') return false
  try {
    return /microsoft/i.test(require('node:os').release()) || /microsoft/i.test(require('node:fs').readFileSync('/proc/version', 'utf8'))
  } catch {
    return false
  }
}

// `--version` alone prints what oclif prints for it (its config.userAgent)
// without loading the CLI: a script's version check costs no more than Node.
if (argv[0] === 'guard' && argv[1] === 'run' && !argv.includes('--help') && !argv.includes('-h') && guardRunBuilt()) {
  // Runs before every influxd start (the guard's systemd ExecStartPre): its own
  // small bundle, without oclif; it always exits 0 (src/cli/guard-run.ts).
  try {
    await require('../dist/guard-run.cjs').guardRunMain(argv.slice(2))
  } catch (err) {
    process.stderr.write(`influx-recover guard: cannot start: ${String(err?.message).split('\n')[0]}; nothing captured\n`)
    process.exitCode = 0
  }
} else if (argv.length === 1 && argv[0] === '--version' && !maybeWsl()) {
  const {name, version} = require('../package.json')
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`)
} else {
  const {BUNDLE, loadCli} = require('./load-cli.cjs')
  let cli
  try {
    cli = loadCli()
  } catch (err) {
    // a checkout where the bundle was never built: build it once (a few seconds)
    if (err?.code !== 'ENOENT' || err.path !== BUNDLE) throw err
    const {build} = await import(new URL('../scripts/build.mjs', import.meta.url).href).catch(() => {
      throw err
    })
    await build()
    cli = loadCli()
  }
  await cli.execute({dir: import.meta.url})
}
