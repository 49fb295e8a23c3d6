// `npm pack` gives one tarball that installs on a bare, offline server: an
// empty npm cache, no registry (a closed port), no toolchain on PATH (only
// node, npm and a shell), and not a single npm warning. The pack runs in a
// copy of the project (prepack rebuilds dist/, which the other test files are
// running at the same time).
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import * as fs from 'node:fs'
import {createRequire} from 'node:module'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, errorLines, makeTempDir, removeDir} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

/** What the project copy needs for `npm pack`: the build inputs and what the tarball ships. */
const PROJECT_FILES = ['.npmrc', 'package.json', 'package-lock.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src', 'scripts', 'fixtures/demo.bolt']

let tmp: string
let project: string
let prefix: string
let cache: string
let toolless: string
let tarball: string
let files: string[]
let packedJson: {dependencies?: Record<string, string>; bundleDependencies?: string[]; scripts?: Record<string, string>; devDependencies?: unknown}
let installLog = ''
let packLog = ''
let installMs = 0

/** An environment with nothing from this machine's npm setup and only `bin` on PATH. */
function bareEnv(bin: string, home: string): NodeJS.ProcessEnv {
  return {PATH: bin, HOME: home, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'}
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20})
  if (r.error) throw r.error
  return r
}

function devEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'}
  delete env.NODE_ENV
  delete env.COLUMNS
  return env
}

beforeAll(() => {
  tmp = makeTempDir('ir-pack-')
  project = path.join(tmp, 'project')
  prefix = path.join(tmp, 'prefix')
  cache = path.join(tmp, 'empty-cache')
  toolless = path.join(tmp, 'toolless-bin')
  fs.mkdirSync(project)
  fs.mkdirSync(cache)
  for (const f of PROJECT_FILES) fs.cpSync(path.join(ROOT, f), path.join(project, f), {recursive: true})
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'))

  const pack = run('npm', ['pack', '--pack-destination', tmp], project, devEnv())
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`)
  packLog = pack.stdout + pack.stderr
  const tgz = fs.readdirSync(tmp).filter((f) => /^influx-recover-.*\.tgz$/.test(f))
  expect(tgz).toHaveLength(1)
  tarball = path.join(tmp, tgz[0]!)
  files = run('tar', ['tzf', tarball], tmp, devEnv()).stdout.split('\n').filter((l) => l !== '' && !l.endsWith('/')).map((l) => l.replace(/^package\//, '')).sort()
  packedJson = JSON.parse(run('tar', ['xzfO', tarball, 'package/package.json'], tmp, devEnv()).stdout)

  // PATH with node, npm and a shell only: no python3, make or C++ compiler
  fs.mkdirSync(toolless)
  const which = (c: string): string => run('sh', ['-c', `command -v ${c}`], tmp, devEnv()).stdout.trim()
  for (const c of ['node', 'npm', 'sh', 'env']) fs.symlinkSync(fs.realpathSync(which(c)), path.join(toolless, c))
  for (const c of ['python3', 'python', 'make', 'g++', 'gcc', 'cc', 'c++']) expect(fs.existsSync(path.join(toolless, c))).toBe(false)

  const start = performance.now()
  const install = run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--cache', cache, '--registry', 'http://127.0.0.1:9/', tarball], tmp, bareEnv(toolless, tmp))
  installMs = performance.now() - start
  installLog = install.stdout + install.stderr
  if (install.status !== 0) throw new Error(`npm install -g --offline failed:\n${installLog}`)
  process.stderr.write(`tarball ${(fs.statSync(tarball).size / 1e6).toFixed(2)} MB; offline install ${(installMs / 1000).toFixed(1)} s\n`)
}, 600_000)

afterAll(() => removeDir(tmp))

describe('npm pack', () => {
  it('ships the launcher, the bundle with its lazy parts, code cache and licences, oclif\'s manifest, and the lock addon; no sources, tests or fixtures', () => {
    const own = files.filter((f) => !f.startsWith('node_modules/'))
    expect(own.filter((f) => !/^dist\/lazy-[\w.-]+\.cjs$/.test(f))).toEqual([
      'README.md',
      'bin/load-cli.cjs',
      'bin/package.json',
      'bin/run.js',
      'dist/export-worker.cjs',
      'dist/guard-run.cjs',
      'dist/influx-recover.cjs',
      'dist/influx-recover.cjs.v8cache',
      'dist/licenses.txt',
      'oclif.manifest.json',
      'package.json',
    ])
    for (const lazy of ['yaml', 'bcryptjs', 'smol-toml', 'inquirer-prompts', 'proper-lockfile']) expect(own).toContain(`dist/lazy-${lazy}.cjs`)
    expect(own.filter((f) => /^(test|fixtures|src|bench|scripts)\/|\.(bolt|ts|map|tgz|jsonl)$/.test(f))).toEqual([])
    // the addon with its prebuilt binaries (and nan, its build headers for a source build)
    for (const target of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64']) {
      expect(files).toContain(`node_modules/fs-ext-extra-prebuilt/binaries/fs-ext-${target}-node-20.0.0.node`)
    }
    // nothing else from node_modules (nan, the addon's build headers, may sit beside it or inside it)
    expect(files.filter((f) => f.startsWith('node_modules/') && !/^node_modules\/(fs-ext-extra-prebuilt|nan)\//.test(f))).toEqual([])
  })

  it('builds once (prepack alone) and prints no npm update notice: the project\'s .npmrc turns the notifier off', () => {
    expect(packLog.match(/^> node scripts\/build\.mjs$/gm)).toHaveLength(1)
    expect(packLog).not.toMatch(/new (major|minor|patch) version of npm|npm warn|npm WARN/i)
    // the notifier needs the registry, so its absence above proves little: the setting does, with no user config at all
    const home = path.join(tmp, 'no-user-config')
    fs.mkdirSync(home, {recursive: true})
    const get = run('npm', ['config', 'get', 'update-notifier'], project, {PATH: process.env.PATH, HOME: home})
    expect(get.stdout.trim()).toBe('false')
    expect(files).not.toContain('.npmrc')
  })

  it('package.json: the addon is the only dependency and is bundled; no install or prepare script', () => {
    expect(Object.keys(packedJson.dependencies ?? {})).toEqual(['fs-ext-extra-prebuilt'])
    expect(packedJson.bundleDependencies).toEqual(['fs-ext-extra-prebuilt'])
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare', 'dependencies']) expect(packedJson.scripts?.[s], s).toBeUndefined()
  })

  it('the bundled dist/ was built from the current sources: a build line, and every command file in its command map', () => {
    const out = path.join(tmp, 'unpacked')
    fs.mkdirSync(out)
    expect(run('tar', ['xzf', tarball, '-C', out], tmp, devEnv()).status).toBe(0)
    const bundle = fs.readFileSync(path.join(out, 'package/dist/influx-recover.cjs'), 'latin1')
    expect(bundle.split('\n', 1)[0]).toMatch(/^\/\* influx-recover build [0-9a-f]+ \*\/$/)
    const ids = (fs.readdirSync(path.join(ROOT, 'src/commands'), {recursive: true}) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3).split(path.sep).join(':'))
    // the map itself, as oclif reads it once the launcher has loaded the bundle (esbuild may print a key quoted or bare, so the text is not searched)
    const map = createRequire(import.meta.url)(path.join(out, 'package/bin/load-cli.cjs')).loadCli().COMMANDS as Record<string, unknown>
    for (const id of ids) expect(Object.keys(map), id).toContain(id)
  })
})

describe('npm install -g of the tarball: offline, empty cache, no toolchain', () => {
  let cwd: string
  let file: string
  const bin = (): string => path.join(prefix, 'bin/influx-recover')
  const addonBinaries = (): string => path.join(prefix, 'lib/node_modules/influx-recover/node_modules/fs-ext-extra-prebuilt/binaries')
  const cli = (args: string[]): SpawnSyncReturns<string> => run(bin(), args, cwd, bareEnv(toolless, cwd), 60_000)

  beforeAll(() => {
    cwd = makeTempDir('ir-pack-cwd-')
    file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), cwd, 'influxd.bolt')
  })

  afterAll(() => removeDir(cwd))

  it('installs without a single warning', () => {
    expect(installLog).not.toMatch(/npm warn|npm WARN|gyp|ERR!/)
    expect(installLog).toMatch(/added 1 package/)
  })

  it('has the addon and none of the bundled or development packages', () => {
    const modules = path.join(prefix, 'lib/node_modules/influx-recover/node_modules')
    const installed = fs.readdirSync(modules)
    expect(installed).toContain('fs-ext-extra-prebuilt')
    expect(installed.filter((m) => m !== 'fs-ext-extra-prebuilt' && m !== 'nan' && !m.startsWith('.'))).toEqual([])
  })

  it('--version, --help, locate, auth list and doctor work from a directory outside the project', () => {
    expect(cwd.startsWith(ROOT)).toBe(false)
    const version = cli(['--version'])
    expect(version.stdout).toBe(`influx-recover/${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version} ${process.platform}-${process.arch} node-${process.version}\n`)
    const help = cli(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^TOPICS$/m)
    expect(help.stdout).toMatch(/^ {2}auth +API tokens/m)

    const locate = cli(['locate', '--bolt-path', file])
    expect(locate.status).toBe(0)
    expect(locate.stdout).toContain(`influxd would use: ${file}`)
    expect(locate.stdout).toContain('locked: no') // the prebuilt lock addon loads

    const list = cli(['auth', 'list', '--bolt-path', file, '--json'])
    expect(list.status).toBe(0)
    expect(list.stderr).toBe('')
    const tokens = JSON.parse(list.stdout) as {id: string; kind: string}[]
    expect(tokens.map((t) => [t.id, t.kind])).toEqual([['08371db24dcc8000', 'operator'], ['08371deae98c8000', 'custom']])

    const doctor = cli(['doctor', '--bolt-path', file])
    expect(doctor.status).toBe(0)
    expect(doctor.stdout).not.toMatch(/^FAIL/m)
  })

  it('auth hash-upgrade writes its export on the thread the installed program starts (dist/export-worker.cjs beside the bundle)', () => {
    const copy = copyInto(fixture('influxd-v2.8-v2.9.bolt'), cwd, 'hash.bolt')
    const args = ['auth', 'hash-upgrade', '--bolt-path', copy, '--export', path.join(cwd, 'hash.yaml'), '--yes', '--no-backup']
    // a thread that dies proves the thread is the one used (without one, the export would be made on the main thread)
    const dies = run(bin(), args, cwd, {...bareEnv(toolless, cwd), INFLUX_RECOVER_TEST_HOOKS: 'export-thread-fails'}, 60_000)
    expect(dies.status).toBe(1)
    expect(dies.stderr).toMatch(/^Error: the export thread stopped: export thread failure \(test hook\)/)
    const ok = cli(args)
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stderr).toContain(`exported 2 token(s) to ${path.join(cwd, 'hash.yaml')}`)
  })

  it('without a loadable lock addon: commands that lock say so in one line (exit 1); --help, --version and locate still work', () => {
    fs.renameSync(addonBinaries(), `${addonBinaries()}.off`)
    try {
      for (const args of [['auth', 'list', '--bolt-path', file], ['user', 'list', '--bolt-path', file]]) {
        const r = cli(args)
        expect(r.status, args.join(' ')).toBe(1)
        expect(r.stdout).toBe('')
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
        expect(errorLines(r.stderr)).toMatchObject({ok: true, error: expect.stringMatching(/^Error: cannot lock files here: the lock addon fs-ext-extra-prebuilt does not load on .*install python3, make and a C\+\+ compiler, then run: npm rebuild -g influx-recover$/)})
      }
      expect(cli(['--help']).status).toBe(0)
      expect(cli(['--version']).status).toBe(0)
      const locate = cli(['locate', '--bolt-path', file])
      expect(locate.status).toBe(0)
      expect(locate.stdout).toContain('locked: unknown (the lock addon does not load here)')
    } finally {
      fs.renameSync(`${addonBinaries()}.off`, addonBinaries())
    }
  })
})
