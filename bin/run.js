#!/usr/bin/env node
const argv = process.argv.slice(2)
if (argv[0] === 'guard' && argv[1] === 'run' && !argv.includes('--help') && !argv.includes('-h')) {
  // Runs before every influxd start: straight to the guard, without oclif's
  // start-up; it always exits 0 (see src/cli/guard-run.ts).
  try {
    const {guardRunMain} = await import('../dist/cli/guard-run.js')
    await guardRunMain(argv.slice(2))
  } catch (err) {
    process.stderr.write(`influx-recover guard: cannot start: ${String(err && err.message).split('\n')[0]}; nothing captured\n`)
    process.exitCode = 0
  }
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
