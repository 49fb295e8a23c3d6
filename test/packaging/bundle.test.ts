// The bundle scripts/build.mjs makes (dist/), as bin/run.js runs it: every
// command file is in its command map, heavy modules are read only on the
// paths that use them, the code cache is accepted, `--version` answers as
// oclif would, and a lock addon that does not load breaks only the commands
// that lock.
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

/** Runs a script with Node in the project root; returns stdout. */
function node(script: string): string {
  const env = {...process.env}
  delete env.NODE_ENV
  const r = spawnSync(process.execPath, ['-e', script], {cwd: ROOT, encoding: 'utf8', env})
  if (r.status !== 0) throw new Error(`node -e failed: ${r.stderr}`)
  return r.stdout
}

/** Files and Node modules the run loaded, from NODE_DEBUG=module. */
function loaded(args: string[]): {files: string[]; builtins: string[]} {
  const r = runCli(args, {env: {NODE_DEBUG: 'module'}})
  expect(r.status, r.stderr.split('\n').filter((l) => !l.startsWith('MODULE')).join('\n')).toBe(0)
  // the entry itself (CommonJS) is loaded as a module too
  const files = [...r.stderr.matchAll(/^MODULE \d+: load "([^"]+)" for module/gm)].map((m) => path.relative(ROOT, m[1]!)).filter((f) => f !== 'bin/run.js')
  const builtins = [...r.stderr.matchAll(/^MODULE \d+: load built-in module (?:node:)?(\S+)/gm)].map((m) => m[1]!)
  return {files: [...new Set(files)], builtins: [...new Set(builtins)]}
}

/**
 * Node's list of the modules a run loaded (process.moduleLoadList at exit),
 * for bin/run.js with `args`; `stdout`: a file descriptor for its stdout (a pipe otherwise).
 */
function moduleList(args: string[], stdout?: number): string[] {
  const preload = path.join(tmp, 'module-list.cjs')
  const out = path.join(tmp, 'module-list.json')
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)))`)
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}
  delete env.NODE_ENV // vitest's NODE_ENV=test makes oclif look for TypeScript sources; users run dist/
  const r = spawnSync(process.execPath, ['-r', preload, path.join(ROOT, 'bin/run.js'), ...args], {encoding: 'utf8', env, ...(stdout !== undefined ? {stdio: ['ignore', stdout, 'pipe']} : {})})
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(fs.readFileSync(out, 'utf8')) as string[]
}

let tmp: string
let file: string

beforeAll(() => {
  tmp = makeTempDir('ir-bundle-')
  file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), tmp, 'influxd.bolt')
})

afterAll(() => removeDir(tmp))

describe('the command map', () => {
  it('holds every command file of src/commands and the help and autocomplete commands, and nothing else', () => {
    const ids = (fs.readdirSync(path.join(ROOT, 'src/commands'), {recursive: true}) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3).split(path.sep).join(':'))
    const map = JSON.parse(node("console.log(JSON.stringify(Object.keys(require('./bin/load-cli.cjs').loadCli().COMMANDS)))")) as string[]
    expect(map.sort()).toEqual([...ids, 'help', 'autocomplete', 'autocomplete:create', 'autocomplete:script'].sort())
  })
})

describe('start-up', () => {
  it('auth list and doctor read the bundle and the lock addon only: no lazy package, no node:crypto', () => {
    for (const args of [['auth', 'list', '--bolt-path', file], ['doctor', '--bolt-path', file]]) {
      const {files, builtins} = loaded(args)
      expect(files.filter((f) => !f.includes('fs-ext-extra-prebuilt')).sort(), args[0]).toEqual(['bin/load-cli.cjs'])
      expect(builtins).not.toContain('crypto')
    }
  })

  it('auth list and doctor load no Node module they do not use: not node:perf_hooks (lock deadlines use process.hrtime), not the ES loader', () => {
    for (const args of [['auth', 'list', '--bolt-path', file], ['doctor', '--bolt-path', file]]) {
      const modules = moduleList(args)
      expect(modules, args[0]).toContain('NativeModule fs') // the list is the real one
      expect(modules.filter((m) => /^NativeModule (perf_hooks|internal\/perf\/performance|crypto)$/.test(m)), args[0]).toEqual([])
      // bin/run.js is CommonJS (bin/package.json): Node's ES loader, with fs/promises and readline, stays unloaded
      expect(modules.filter((m) => /^NativeModule (internal\/modules\/esm\/(module_job|translators|load))$/.test(m)), args[0]).toEqual([])
    }
  })

  it('node:fs, path, os and process are required in a few places, not once per ES module that imports them (one shared re-export)', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'dist/influx-recover.cjs'), 'latin1')
    // each ES module importing `* as fs` used to add one require and one copy of the whole module (36 for fs, 32 for path)
    for (const name of ['fs', 'path', 'os', 'process']) expect(bundle.split(`require("node:${name}")`).length - 1, name).toBeLessThanOrEqual(16)
    // the ES modules of oclif's dependencies import them too: one copy of node:process, not one per importer
    expect(bundle.split('require("node:process")').length - 1).toBeLessThanOrEqual(3)
  })

  it('a stand-in holds proxies only for the exports the bundle uses (node:crypto: a few, not all ~90)', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'dist/influx-recover.cjs'), 'latin1')
    expect(bundle).toContain('"randomBytes"')
    for (const unused of ['"createECDH"', '"generateKeyPairSync"', '"createDiffieHellman"']) expect(bundle).not.toContain(unused)
  })

  it('built without keepNames: no call per function and class setting its name as modules initialise', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'dist/influx-recover.cjs'), 'latin1')
    // esbuild's keepNames helper: (fn, value) => defineProperty(fn, "name", {value, configurable: true})
    expect(bundle).not.toContain('"name",{value:')
  })

  it('oclif.manifest.json is ASCII (read as a one-byte string at every start)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json')).every((b) => b < 0x80)).toBe(true)
  })

  it('a path that needs one loads it: YAML output reads lazy-yaml, and it works', () => {
    const {files} = loaded(['auth', 'list', '--bolt-path', file, '--format', 'yaml'])
    expect(files).toContain('dist/lazy-yaml.cjs')
    expect(runCli(['auth', 'list', '--bolt-path', file, '--format', 'yaml']).stdout).toMatch(/^- id: 08371db24dcc8000$/m)
  })

  it('with stdout a file and stderr a pipe, auth list and doctor load neither node:tty nor node:net (oclif measures terminals, checks colour and makes its spinner on first use)', () => {
    for (const args of [['auth', 'list', '--bolt-path', file], ['doctor', '--bolt-path', file]]) {
      const fd = fs.openSync(path.join(tmp, 'stdout.txt'), 'w')
      let modules: string[]
      try {
        modules = moduleList(args, fd)
      } finally {
        fs.closeSync(fd)
      }
      expect(fs.readFileSync(path.join(tmp, 'stdout.txt'), 'utf8').length, args[0]).toBeGreaterThan(0)
      expect(modules, args[0]).toContain('NativeModule fs')
      expect(modules.filter((m) => /^NativeModule (tty|net)$/.test(m)), args[0]).toEqual([])
    }
  })

  it('--version alone reads neither the bundle nor any other file but package.json', () => {
    const {files} = loaded(['--version'])
    expect(files.filter((f) => f !== 'package.json')).toEqual([])
  })

  it('--version prints what oclif prints for it', () => {
    const fast = runCli(['--version'])
    // with a second word bin/run.js leaves --version to oclif
    const oclif = runCli(['--version', 'extra'])
    expect(fast.status).toBe(0)
    expect(oclif.status).toBe(0)
    expect(fast.stdout).toBe(oclif.stdout)
    expect(fast.stdout).toMatch(/^influx-recover\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
  })

  it('the V8 code cache made by the build is accepted by this Node', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist/influx-recover.cjs.v8cache'))).toBe(true)
    expect(node("const l = require('./bin/load-cli.cjs'); l.loadCli(); console.log(l.cacheState())").trim()).toBe('accepted')
  })

  it('the bundle is written wrapped as a module function, and load-cli compiles its text as it is (no second, wrapped copy)', () => {
    const lines = fs.readFileSync(path.join(ROOT, 'dist/influx-recover.cjs'), 'latin1').split('\n', 2)
    expect(lines[0]).toMatch(/^\/\* influx-recover build [0-9a-f]+ \*\/$/)
    expect(lines[1]).toBe('(function (exports, require, module, __filename, __dirname) {')
    // Module.wrap is what made the copy: the bundle loads, with its cache, without it
    const out = node("const l = require('./bin/load-cli.cjs'); require('node:module').wrap = () => { throw new Error('wrapped again') }; console.log(typeof l.loadCli().COMMANDS, l.cacheState())")
    expect(out.trim()).toBe('object accepted')
  })

  it('load-cli still loads an older build, not wrapped, and ignores a cache of another build', () => {
    const dir = makeTempDir('ir-load-cli-')
    try {
      fs.mkdirSync(path.join(dir, 'bin'))
      fs.mkdirSync(path.join(dir, 'dist'))
      fs.copyFileSync(path.join(ROOT, 'bin/load-cli.cjs'), path.join(dir, 'bin/load-cli.cjs'))
      fs.writeFileSync(path.join(dir, 'dist/influx-recover.cjs'), '/* influx-recover build 0123456789abcdef */\nmodule.exports = {answer: 42, file: __filename}\n')
      fs.writeFileSync(path.join(dir, 'dist/influx-recover.cjs.v8cache'), 'fedcba9876543210\nnot a cache')
      const r = spawnSync(process.execPath, ['-e', "const l = require('./bin/load-cli.cjs'); const e = l.loadCli(); console.log(e.answer, e.file === l.BUNDLE, l.cacheState())"], {cwd: dir, encoding: 'utf8'})
      expect(r.stdout.trim(), r.stderr).toBe('42 true none')
    } finally {
      removeDir(dir)
    }
  })

  it('oclif debug output still appears with DEBUG set (the debug stand-in loads the real package)', () => {
    const r = runCli(['auth', 'list', '--bolt-path', file], {env: {DEBUG: 'oclif:*'}})
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(/oclif:main/)
  })
})

describe('a lock addon that does not load', () => {
  const env = {INFLUX_RECOVER_TEST_HOOKS: 'lock-addon-fails'}

  it('commands that lock the file fail with one line saying what to install, exit 1', () => {
    for (const args of [['auth', 'list', '--bolt-path', file], ['org', 'list', '--bolt-path', file], ['bolt', 'check', file]]) {
      const r = runCli(args, {env})
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
      expect(errorLines(r.stderr)).toMatchObject({
        ok: true,
        error: `Error: cannot lock files here: the lock addon fs-ext-extra-prebuilt does not load on ${process.platform}-${process.arch} with Node ${process.version} (no prebuilt binary fits, and none was built here); to build it for this machine, install python3, make and a C++ compiler, then run: npm rebuild -g influx-recover`,
      })
    }
  })

  it('--help, --version and locate still work; locate says the lock state is unknown', () => {
    expect(runCli(['--help'], {env}).status).toBe(0)
    expect(runCli(['auth', 'list', '--help'], {env}).status).toBe(0)
    expect(runCli(['--version'], {env}).status).toBe(0)
    const r = runCli(['locate', '--bolt-path', file], {env})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('locked: unknown (the lock addon does not load here)')
  })
})

describe('the manifest', () => {
  it('oclif.manifest.json lists every command of the bundle, for the package version, and a run initialises only its own command', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {version: string; commands: Record<string, unknown>}
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
    expect(manifest.version).toBe(pkg.version)
    const map = JSON.parse(node("console.log(JSON.stringify(Object.keys(require('./bin/load-cli.cjs').loadCli().COMMANDS)))")) as string[]
    expect(Object.keys(manifest.commands).sort()).toEqual(map.sort())
    // the command map's entries are getters: loading the bundle runs no command module
    const touched = node("const c = require('./bin/load-cli.cjs').loadCli().COMMANDS; console.log(Object.values(Object.getOwnPropertyDescriptors(c)).filter((d) => d.get === undefined).length)")
    expect(touched.trim()).toBe('0')
  })
})
