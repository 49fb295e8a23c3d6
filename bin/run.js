#!/usr/bin/env node
'use strict'
// The CLI: dist/influx-recover.cjs, the bundle scripts/build.mjs makes (npm pack
// ships it; in a git checkout the first run builds it, `npm run build` rebuilds
// it after a change, bin/dev.mjs runs the sources instead).
//
// CommonJS (bin/package.json): Node runs an ES entry point through its ES
// loader, which loads fs/promises, readline and the module-job machinery
// before the first line (~8 ms of every start); the bundle is CommonJS anyway.
const argv = process.argv.slice(2)

/** The guard's bundle is there (a checkout that was never built goes the long way, which builds it). */
function guardRunBuilt() {
  return require('node:fs').existsSync(require('node:path').join(__dirname, '..', 'dist', 'guard-run.cjs'))
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

async function main() {
  if (argv[0] === 'guard' && argv[1] === 'run' && !argv.includes('--help') && !argv.includes('-h') && guardRunBuilt()) {
    // Runs before every influxd start (the guard's systemd ExecStartPre): its own
    // small bundle, without oclif; it always exits 0 (src/cli/guard-run.ts).
    try {
      await require('../dist/guard-run.cjs').guardRunMain(argv.slice(2))
    } catch (err) {
      process.stderr.write(`influx-recover guard: cannot start: ${String(err?.message).split('\n')[0]}; nothing captured\n`)
      process.exitCode = 0
    }
    return
  }
  // `--version` alone prints what oclif prints for it (its config.userAgent)
  // without loading the CLI: a script's version check costs no more than Node.
  if (argv.length === 1 && argv[0] === '--version' && !maybeWsl()) {
    const {name, version} = require('../package.json')
    const arch = process.arch === 'ia32' ? 'x86' : process.arch
    process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`)
    return
  }
  const {BUNDLE, loadCli} = require('./load-cli.cjs')
  let cli
  try {
    cli = loadCli()
  } catch (err) {
    // a checkout where the bundle was never built: build it once (a few seconds)
    if (err?.code !== 'ENOENT' || err.path !== BUNDLE) throw err
    const {pathToFileURL} = require('node:url')
    const {build} = await import(pathToFileURL(require('node:path').join(__dirname, '..', 'scripts', 'build.mjs')).href).catch(() => {
      throw err
    })
    await build()
    cli = loadCli()
  }
  // the package's root (a directory: oclif looks for package.json from there up)
  await cli.execute({dir: require('node:path').join(__dirname, '..')})
}

main().catch((err) => {
  // what oclif's own handler would not see: a bundle that cannot be loaded or built
  process.stderr.write(`influx-recover: cannot start: ${String(err?.message ?? err).split('\n')[0]}\n`)
  process.exitCode = 1
})
