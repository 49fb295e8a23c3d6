// `npm pack` gives a tarball that installs globally and runs on a machine
// without the sources. The pack runs in a copy of the project (prepack
// rebuilds dist/, which the other test files are running at the same time);
// the install takes the dependencies from npm's cache (populated by `npm ci`)
// or the registry, and with --offline when the registry cannot be reached.
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {copyInto, makeTempDir, removeDir} from '../helpers/cli.js'
import {fixture, ROOT} from '../helpers/oracle.js'

/** What the project copy needs for `npm pack`: the build inputs and what the tarball ships. */
const PROJECT_FILES = ['package.json', 'package-lock.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src']

let tmp: string
let project: string
let prefix: string
let tarball: string
let files: string[]
let installLog = ''

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'}
  // vitest's NODE_ENV=test would make oclif look for TypeScript sources
  delete env.NODE_ENV
  delete env.COLUMNS
  const r = spawnSync(cmd, args, {cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20})
  if (r.error) throw r.error
  return r
}

/** Source files as the package paths tsc makes of them (src/a/b.ts -> dist/a/b.js). */
function expectedDist(): string[] {
  return (fs.readdirSync(path.join(ROOT, 'src'), {recursive: true}) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `dist/${f.slice(0, -3).split(path.sep).join('/')}.js`)
    .sort()
}

beforeAll(() => {
  tmp = makeTempDir('ir-pack-')
  project = path.join(tmp, 'project')
  prefix = path.join(tmp, 'prefix')
  fs.mkdirSync(project)
  for (const f of PROJECT_FILES) fs.cpSync(path.join(ROOT, f), path.join(project, f), {recursive: true})
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'))

  const pack = run('npm', ['pack', '--pack-destination', tmp], project)
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`)
  const tgz = fs.readdirSync(tmp).filter((f) => /^influx-recover-.*\.tgz$/.test(f))
  expect(tgz).toHaveLength(1)
  tarball = path.join(tmp, tgz[0]!)
  files = run('tar', ['tzf', tarball], tmp).stdout.split('\n').filter((l) => l !== '' && !l.endsWith('/')).map((l) => l.replace(/^package\//, '')).sort()

  const args = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund']
  let install = run('npm', [...args, '--prefer-offline', tarball], tmp)
  installLog = install.stdout + install.stderr
  if (install.status !== 0) {
    // no registry: everything must come from the cache
    install = run('npm', [...args, '--offline', tarball], tmp)
    installLog += install.stdout + install.stderr
  }
  if (install.status !== 0) throw new Error(`npm install -g failed:\n${installLog}`)
}, 300_000)

afterAll(() => removeDir(tmp))

describe('npm pack', () => {
  it('ships bin/run.js, the compiled JavaScript of every source file, the manifest, package.json and README only', () => {
    const dist = files.filter((f) => f.startsWith('dist/'))
    expect(dist).toEqual(expectedDist())
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual(['README.md', 'bin/run.js', 'oclif.manifest.json', 'package.json'])
    // no tests, fixtures, sources, source maps or data files
    expect(files.filter((f) => /^(test|fixtures|src|bench|scripts)\/|\.(bolt|ts|map|tgz|jsonl)$/.test(f))).toEqual([])
  })

  it('dist/ is fresh: prepack rebuilt it from the current sources', () => {
    const out = path.join(tmp, 'unpacked')
    fs.mkdirSync(out)
    expect(run('tar', ['xzf', tarball, '-C', out], tmp).status).toBe(0)
    // the global test setup compiled dist/ from the same sources
    for (const f of files.filter((x) => x.startsWith('dist/'))) {
      expect(fs.readFileSync(path.join(out, 'package', f), 'utf8'), f).toBe(fs.readFileSync(path.join(ROOT, f), 'utf8'))
    }
  })

  it('oclif.manifest.json is made by prepack, lists every command, and is removed by postpack', () => {
    expect(fs.existsSync(path.join(project, 'oclif.manifest.json'))).toBe(false)
    const out = path.join(tmp, 'unpacked-manifest')
    fs.mkdirSync(out)
    run('tar', ['xzf', tarball, '-C', out, 'package/oclif.manifest.json'], tmp)
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'package/oclif.manifest.json'), 'utf8')) as {version: string; commands: Record<string, unknown>}
    const ids = expectedDist().filter((f) => f.startsWith('dist/commands/')).map((f) => f.slice('dist/commands/'.length, -3).replaceAll('/', ':'))
    expect(Object.keys(manifest.commands).sort()).toEqual(ids.sort())
    expect(manifest.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version)
  })
})

describe('installed globally', () => {
  let cwd: string
  let file: string
  const bin = (): string => path.join(prefix, 'bin/influx-recover')

  beforeAll(() => {
    cwd = makeTempDir('ir-pack-cwd-')
    file = copyInto(fixture('influxd-v2.8-v2.9.bolt'), cwd, 'influxd.bolt')
  })

  afterAll(() => removeDir(cwd))

  it('has its runtime dependencies and none of the development ones', () => {
    const modules = path.join(prefix, 'lib/node_modules/influx-recover/node_modules')
    for (const dep of ['@oclif/core', 'fs-ext', 'bcryptjs', 'yaml']) expect(fs.existsSync(path.join(modules, dep)), dep).toBe(true)
    for (const dev of ['vitest', 'typescript', 'oclif', 'tsx']) expect(fs.existsSync(path.join(modules, dev)), dev).toBe(false)
  })

  it('--help, locate and auth list work from a directory outside the project', () => {
    expect(cwd.startsWith(ROOT)).toBe(false)
    const help = run(bin(), ['--help'], cwd)
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^TOPICS$/m)
    expect(help.stdout).toMatch(/^ {2}auth +API tokens/m)

    const locate = run(bin(), ['locate', '--bolt-path', file], cwd)
    expect(locate.status).toBe(0)
    expect(locate.stdout).toContain(`influxd would use: ${file}`)
    expect(locate.stdout).toContain('locked: no') // the native flock addon (fs-ext) was built and loads

    const list = run(bin(), ['auth', 'list', '--bolt-path', file, '--json'], cwd)
    expect(list.status).toBe(0)
    expect(list.stderr).toBe('')
    const tokens = JSON.parse(list.stdout) as {id: string; kind: string}[]
    expect(tokens.map((t) => [t.id, t.kind])).toEqual([['08371db24dcc8000', 'operator'], ['08371deae98c8000', 'custom']])
  })
})
