#!/usr/bin/env node
/**
 * Builds dist/: the whole CLI bundled by esbuild, so an installed copy loads a
 * few files instead of ~750 modules and needs no dependency from a registry.
 *
 *   node scripts/build.mjs            (BUILD_READABLE=1: not minified, for profiling)
 *
 *  - dist/influx-recover.cjs: the CLI. Exports COMMANDS, the command map of
 *    oclif's explicit strategy, generated here from every file of src/commands
 *    (plus the help and autocomplete plugins' commands), so a new command file
 *    is in the bundle without registering it anywhere; the command_not_found
 *    hook; the help class (HelpClass, src/cli/help.ts); and oclif's execute() and run(), bundled with everything else.
 *    Its first line names the build (a hash of the rest); the code after it is
 *    wrapped in the function Node wraps a CommonJS module in, and only
 *    bin/load-cli.cjs runs it (require() of the file would not).
 *    CommonJS (run as require() would run it): Node's ES loader would build an ES facade
 *    of every Node module the bundle imports, running each lazy getter
 *    (fs.ReadStream loads all of node:stream, crypto.webcrypto all of WebCrypto).
 *  - dist/lazy-<package>.cjs: packages only some paths need (LAZY_PACKAGES).
 *    The bundle holds a small stand-in in their place whose exports are
 *    proxies: the package's file is read on the first use of one of its
 *    exports, never at start-up. The sources keep ordinary imports (and
 *    import() where they like; the bundle treats both alike). node:crypto is
 *    loaded on first use the same way (LAZY_BUILTINS).
 *  - dist/influx-recover.cjs.v8cache: V8's code cache of the bundle after a
 *    few typical runs (help, auth list, doctor on fixtures/demo.bolt), made by
 *    this Node; bin/load-cli.cjs uses it when V8 accepts it (same V8 version).
 *  - dist/guard-run.cjs: `guard run` alone (src/cli/guard-run.ts), without
 *    oclif: it runs before every influxd start, and bin/run.js loads only it
 *    for that command (the export writer and the age library on first use).
 *  - dist/export-worker.cjs: the program of hash-upgrade's export thread
 *    (src/cli/export-worker.ts), which the CLI starts from beside itself.
 *  - dist/licenses.txt: the licence of every package in the bundle.
 *
 * The native lock addon (fs-ext-extra-prebuilt) stays a real dependency,
 * shipped inside the tarball (bundleDependencies): it is loaded from its own
 * directory, where its prebuilt binaries are.
 *
 * dist/ is replaced whole at the end (built beside it, then renamed), so a run
 * of bin/run.js meanwhile sees the old build or the new one, never half of one.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import {createRequire} from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import * as vm from 'node:vm'
import {fileURLToPath, pathToFileURL} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
const ENTRY_NAME = 'influx-recover'

/** Packages loaded on first use, not at start-up (see the header). */
export const LAZY_PACKAGES = [
  // ours: YAML and TOML files, bcrypt, prompts, the lock directory of writes, encrypted exports
  'yaml',
  'smol-toml',
  'bcryptjs',
  '@inquirer/prompts',
  'proper-lockfile',
  'age-encryption',
  // oclif's: command discovery by pattern, plugins, help and error layout, templates, spinners,
  // colour support (its stand-in is a shim: see SHIMS)
  'tinyglobby',
  'minimatch',
  'lilconfig',
  'ejs',
  'wrap-ansi',
  'string-width',
  'widest-line',
  'indent-string',
  'clean-stack',
  'cli-spinners',
  'debug',
  'supports-color',
]

/**
 * Stand-ins that do more than wait for first use: oclif's debug output appears
 * only with DEBUG set, so without it the debug package (and node:tty and
 * node:net, which it loads) is never read; with it, the real package is used.
 */
const SHIMS = {
  debug: (file) => `
let real
const load = () => (real ??= require(${JSON.stringify(file)}))
const noop = () => {}
function debug(namespace) {
  if (process.env.DEBUG) return load()(namespace)
  const d = () => {}
  Object.assign(d, {namespace, enabled: false, log: noop, destroy: noop, extend: (sub, delimiter = ':') => debug(namespace + delimiter + sub)})
  return d
}
export default new Proxy(debug, {get: (target, key) => (key in target ? target[key] : Reflect.get(load(), key))})
`,
  // oclif asks it whether to colour (stdout and stderr levels, which may be
  // false): the package requires node:tty, and with it node:net, when it
  // loads. CommonJS with getters, so oclif's require() sees the real values.
  'supports-color': (file) => `
let real
const load = () => (real ??= require(${JSON.stringify(file)}))
module.exports = {
  get supportsColor() { return load().supportsColor },
  get stdout() { return load().stdout },
  get stderr() { return load().stderr },
}
`,
}

/** Node modules loaded on first use (hashing and randomness; oclif's shell detection and stdin reading; the file hash thread). */
const LAZY_BUILTINS = ['crypto', 'child_process', 'readline', 'readline/promises', 'perf_hooks', 'timers/promises', 'worker_threads']

/**
 * Node modules imported (`import * as fs`, `import fs from`) by many ES
 * modules, ours and our dependencies': each such import in the bundle would
 * copy the whole module onto an object of its own (esbuild's __toESM, a
 * hundred getters for node:fs) when its file initialises; through one shared
 * re-export the copy is made once. CommonJS require() calls stay as they are.
 */
const SHARED_BUILTINS = ['fs', 'path', 'os', 'process']

/**
 * Edits of bundled code. Each must apply, so a new version of the package
 * fails the build here instead of silently losing the edit.
 */
const PATCHES = [
  {
    // Command ids are lower-case ASCII (letters, digits, '-', ':'), which code
    // units order as ICU's root collation does (checked in build()); this sort
    // runs at every start, and localeCompare would load ICU's collation data.
    file: /node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id))',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))',
  },
  {
    // oclif asks at every start whether it runs under WSL; wsl-utils answers
    // with is-wsl's value, but loading it also loads node:child_process (and
    // with it net, dgram and the streams) for its PowerShell helpers
    file: /node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/,
    from: "return (await import('wsl-utils')).isWsl ? 'wsl'",
    to: "return (await import('is-wsl')).default ? 'wsl'",
  },
  {
    // oclif measures both terminals when it loads (for help and error layout),
    // which creates process.stdout and process.stderr at every start: a pipe's
    // stream loads node:net and the stream machinery. Measured on first use.
    file: /node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]screen\.js$/,
    from: 'exports.stdtermwidth = columns || termwidth(process.stdout);\nexports.errtermwidth = columns || termwidth(process.stderr);',
    to: "let std, err;\nObject.defineProperty(exports, 'stdtermwidth', {enumerable: true, get: () => (std ??= columns || termwidth(process.stdout))});\nObject.defineProperty(exports, 'errtermwidth', {enumerable: true, get: () => (err ??= columns || termwidth(process.stderr))});",
  },
  {
    // the same for the spinner oclif makes when it loads (it asks whether
    // stderr is a terminal): made on first use; nothing here uses it
    file: /node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]ux[\\/]index\.js$/,
    from: "const ACTION_TYPE = (Boolean(process.stderr.isTTY) &&\n    !process.env.CI &&\n    !['dumb', 'emacs-color'].includes(process.env.TERM) &&\n    'spinner') ||\n    'simple';\nexports.action = ACTION_TYPE === 'spinner' ? new spinner_1.default() : new simple_1.default();\nexports.ux = {\n    action: exports.action,",
    to: "let action;\nObject.defineProperty(exports, 'action', {enumerable: true, get: () => (action ??= Boolean(process.stderr.isTTY) && !process.env.CI && !['dumb', 'emacs-color'].includes(process.env.TERM) ? new spinner_1.default() : new simple_1.default())});\nexports.ux = {\n    get action() { return exports.action; },",
  },
]

function patchPlugin() {
  return {
    name: 'patches',
    setup(b) {
      for (const patch of PATCHES) {
        b.onLoad({filter: patch.file}, (args) => {
          const text = fs.readFileSync(args.path, 'utf8')
          if (!text.includes(patch.from)) throw new Error(`patch no longer applies to ${args.path}: ${patch.from}`)
          patch.applied = true
          return {contents: text.replace(patch.from, patch.to), loader: 'js'}
        })
      }
    },
  }
}

/** The ids must sort the same by code units and by localeCompare (see PATCHES). */
function checkIdOrder(ids) {
  const byUnits = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const byLocale = [...ids].sort((a, b) => a.localeCompare(b))
  if (byUnits.join('\n') !== byLocale.join('\n')) throw new Error(`command ids sort differently by code units and by localeCompare: ${byUnits.join(' ')}`)
  for (const id of ids) if (!/^[a-z0-9:-]+$/.test(id)) throw new Error(`command id ${JSON.stringify(id)} is not lower-case ASCII`)
}

/** Never bundled: the native addon (loaded from its own directory) and the TypeScript loaders oclif only uses in development. */
const EXTERNAL = ['fs-ext-extra-prebuilt', 'typescript', 'ts-node', 'tsx', 'tsx/*']

/** Commands of the plugins the CLI used to load from node_modules, now part of the bundle. */
const PLUGIN_COMMANDS = {
  help: '@oclif/plugin-help/lib/commands/help.js',
  autocomplete: '@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js',
  'autocomplete:create': '@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js',
  'autocomplete:script': '@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js',
}

/** The id of every command file under src/commands (src/commands/auth/list.ts -> auth:list). */
export function sourceCommandIds(root = ROOT) {
  return fs
    .readdirSync(path.join(root, 'src/commands'), {recursive: true})
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3).split(path.sep).join(':'))
    .sort()
}

/** A file inside an installed package, past its "exports" map (the plugins export no command files). */
function packageFile(spec) {
  const file = path.join(ROOT, 'node_modules', spec)
  if (!fs.existsSync(file)) throw new Error(`${spec} is missing: run npm ci`)
  return file
}

function entrySource() {
  const lines = ["// Generated by scripts/build.mjs: the command map of oclif's explicit strategy."]
  const map = []
  // Our commands are required on first access: esbuild then wraps each command
  // module (and what only it imports) in an init function, so a run executes
  // the top level of the command it runs, not of all sixty.
  sourceCommandIds().forEach((id) => {
    map.push(`  get ${JSON.stringify(id)}() { return require(${JSON.stringify(`./src/commands/${id.split(':').join('/')}.ts`)}).default },`)
  })
  Object.entries(PLUGIN_COMMANDS).forEach(([id, spec]) => {
    map.push(`  get ${JSON.stringify(id)}() { const m = require(${JSON.stringify(packageFile(spec))}); return m.default ?? m },`)
  })
  lines.push(
    `export const COMMANDS = {\n${map.join('\n')}\n}`,
    "export {default as commandNotFound} from './src/hooks/command-not-found.ts'",
    "export {default as HelpClass} from './src/cli/help.ts'",
    "export {execute, run as runArgv} from '@oclif/core'",
    '',
  )
  return lines.join('\n')
}

/**
 * The code of a stand-in module: `load` is the expression giving the real
 * module; each export in `exportsInfo` ([name, typeof value]) becomes a Proxy
 * that loads it on its first call, construction or property access.
 */
function standInSource(load, exportsInfo) {
  const lines = [
    'let mod',
    `const real = (name) => { mod ??= ${load}; return name === 'default' && !mod.__esModule ? mod : mod[name] }`,
    'const lazy = (name, kind) => {',
    '  const p = new Proxy(kind === "function" ? function () {} : {}, {',
    '    apply: (_t, self, args) => Reflect.apply(real(name), self, args),',
    '    construct: (_t, args, newTarget) => Reflect.construct(real(name), args, newTarget === p ? real(name) : newTarget),',
    '    get: (_t, key) => Reflect.get(real(name), key),',
    '    set: (_t, key, value) => Reflect.set(real(name), key, value),',
    '    has: (_t, key) => Reflect.has(real(name), key),',
    '  })',
    '  return p',
    '}',
  ]
  for (const [name, kind] of exportsInfo) {
    const id = name === 'default' ? 'default' : /^[A-Za-z_$][\w$]*$/.test(name) ? name : undefined
    if (id === undefined) continue
    if (kind !== 'function' && kind !== 'object') continue // a primitive cannot be proxied: importing it fails the build
    // pure: esbuild drops the exports nothing imports, so a stand-in makes proxies only for what is used
    const value = `/* @__PURE__ */ lazy(${JSON.stringify(name)}, ${JSON.stringify(kind)})`
    lines.push(id === 'default' ? `export default ${value}` : `export const ${id} = ${value}`)
  }
  return lines.join('\n') + '\n'
}

/** [name, typeof] of every export of a module, as an ES import sees it. */
async function exportsOf(specOrFile) {
  const ns = await import(specOrFile)
  return Object.keys(ns).map((k) => [k, typeof ns[k]])
}

function builtinExports(name) {
  const m = createRequire(import.meta.url)(`node:${name}`)
  return [['default', 'object'], ...Object.keys(m).map((k) => [k, typeof m[k]])]
}

const safeName = (s) => s.replace(/^@/, '').replace(/[^\w.-]+/g, '-')

/** The package a file belongs to (the last node_modules/<name> in its path). */
function packageName(file) {
  const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*node_modules)/.exec(file)
  return m ? m[1].replaceAll('\\', '/') : path.basename(file)
}

/** The name of a package's lazy file: the package name, plus a hash of its path when two versions are bundled. */
function lazyFileName(file, taken) {
  const base = `lazy-${safeName(packageName(file))}`
  let name = `${base}.cjs`
  // the hash of its path from the first node_modules on, the same in every copy of the project
  const where = file.replaceAll('\\', '/').slice(file.replaceAll('\\', '/').indexOf('node_modules/'))
  if ([...taken.values()].includes(name)) name = `${base}-${createHash('sha256').update(where).digest('hex').slice(0, 8)}.cjs`
  return name
}

function lazyPlugin(lazyFiles, {builtins = true} = {}) {
  const lazyRe = new RegExp(`^(${LAZY_PACKAGES.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`)
  return {
    name: 'lazy-modules',
    setup(b) {
      // Node's modules loaded on first use
      b.onResolve({filter: /^(node:)?[a-z_/]+$/}, (args) => {
        const name = args.path.replace(/^node:/, '')
        if (!builtins || !LAZY_BUILTINS.includes(name) || args.namespace === 'builtin') return undefined // the stand-in's own require()
        return {path: name, namespace: 'builtin'}
      })
      b.onResolve({filter: /^(node:)?(fs|path|os|process)$/}, (args) => {
        const name = args.path.replace(/^node:/, '')
        if (!SHARED_BUILTINS.includes(name) || args.kind !== 'import-statement' || args.namespace === 'shared-builtin') return undefined
        return {path: name, namespace: 'shared-builtin'}
      })
      // a Node module's default export is its module.exports
      b.onLoad({filter: /.*/, namespace: 'shared-builtin'}, (args) => ({contents: `export * from "node:${args.path}"\nexport default require("node:${args.path}")\n`, loader: 'js'}))
      b.onLoad({filter: /.*/, namespace: 'builtin'}, (args) => ({
        contents: standInSource(`require(${JSON.stringify(`node:${args.path}`)})`, builtinExports(args.path)),
        loader: 'js',
      }))
      b.onResolve({filter: lazyRe}, async (args) => {
        if (args.pluginData?.real) return undefined
        const r = await b.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {real: true}})
        if (r.errors.length > 0 || r.external) return r
        return {path: r.path, namespace: 'lazy'}
      })
      // the stand-ins' require() of a lazy file: loaded by Node from dist/ at run time
      b.onResolve({filter: /^\.\/lazy-[\w.-]+\.cjs$/}, (args) => ({path: args.path, external: true}))
      b.onLoad({filter: /.*/, namespace: 'lazy'}, async (args) => {
        if (!lazyFiles.has(args.path)) lazyFiles.set(args.path, lazyFileName(args.path, lazyFiles))
        const file = `./${lazyFiles.get(args.path)}`
        const shim = SHIMS[packageName(args.path)]
        if (shim) return {contents: shim(file), loader: 'js', resolveDir: ROOT}
        return {contents: standInSource(`require(${JSON.stringify(file)})`, await exportsOf(pathToFileURL(args.path).href), false), loader: 'js', resolveDir: ROOT}
      })
    },
  }
}

export async function build() {
  const esbuild = await import('esbuild')
  const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const out = fs.mkdtempSync(path.join(ROOT, '.dist-'))
  fs.chmodSync(out, 0o755)
  try {
    const lazyFiles = new Map()
    const common = {
      bundle: true,
      platform: 'node',
      target: 'node20',
      minify: process.env.BUILD_READABLE !== '1',
      // no keepNames: it wraps every function and class in a call that sets its name (2,000 of
      // them, run as modules initialise and closures are made); nothing here tells things apart
      // by a class's name (oclif's parse errors are known by their `parse` field: base-command.ts)
      keepNames: false,
      legalComments: 'none', // the licences are collected into licenses.txt
      charset: 'ascii', // non-ASCII characters as escapes (see bin/load-cli.cjs)
      external: EXTERNAL,
      logLevel: 'warning',
      metafile: true,
      define: {
        // oclif's check of the Node version against its own package.json, which is not in the bundle (npm checks ours)
        'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"',
      },
    }
    const main = await esbuild.build({
      ...common,
      stdin: {contents: entrySource(), resolveDir: ROOT, sourcefile: 'command-map.ts', loader: 'ts'},
      format: 'cjs',
      // import() of the addon becomes require(): through Node's ES loader it would be parsed again to find its exports
      supported: {'dynamic-import': false},
      outfile: path.join(out, `${ENTRY_NAME}.cjs`),
      plugins: [lazyPlugin(lazyFiles), patchPlugin()],
    })
    for (const patch of PATCHES) if (!patch.applied) throw new Error(`patch not applied: ${patch.file}`)
    checkIdOrder([...sourceCommandIds(), ...Object.keys(PLUGIN_COMMANDS)])
    // the build line (see bin/load-cli.cjs)
    const bundle = path.join(out, `${ENTRY_NAME}.cjs`)
    // bin/load-cli.cjs reads the bundle as one-byte text: esbuild escapes non-ASCII characters
    // (charset: 'ascii') except raw ones in regular expressions (ansis has \x9b), escaped here
    const text = fs.readFileSync(bundle, 'utf8').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    new vm.Script(text) // still valid JavaScript
    // already wrapped as Node wraps a CommonJS module: bin/load-cli.cjs compiles the file's text as
    // it is, without making a second, wrapped copy of it (the build line stays a comment before it)
    const {WRAPPER} = createRequire(import.meta.url)('../bin/load-cli.cjs')
    fs.writeFileSync(bundle, `/* influx-recover build ${createHash('sha256').update(text).digest('hex').slice(0, 32)} */\n${WRAPPER}\n${text}\n})`)
    /** A program of its own beside the bundle: src/cli/<name>.ts as dist/<name>.cjs. */
    const program = (name, lazy = {}) => esbuild.build({
      ...common,
      entryPoints: [path.join(ROOT, `src/cli/${name}.ts`)],
      format: 'cjs',
      supported: {'dynamic-import': false},
      outfile: path.join(out, `${name}.cjs`),
      plugins: [lazyPlugin(lazyFiles, lazy)],
    })
    // `guard run` runs before every influxd start (a systemd ExecStartPre): its own
    // small bundle, without oclif, which bin/run.js loads for that command alone
    const guard = await program('guard-run')
    // hash-upgrade's export thread (src/cli/export-thread.ts); Node's modules as they are: a
    // stand-in's parentPort is not a MessagePort (its methods refuse it)
    const exportWorker = await program('export-worker', {builtins: false})
    // BUILD_METAFILE=FILE: what the bundle is made of (esbuild's metafile, for https://esbuild.github.io/analyze/)
    if (process.env.BUILD_METAFILE) fs.writeFileSync(process.env.BUILD_METAFILE, JSON.stringify(main.metafile))
    const metas = [main.metafile, guard.metafile, exportWorker.metafile]
    for (const [file, name] of lazyFiles) {
      const r = await esbuild.build({
        ...common,
        stdin: {contents: `module.exports = require(${JSON.stringify(file)})`, resolveDir: ROOT, sourcefile: name, loader: 'js'},
        format: 'cjs',
        outfile: path.join(out, name),
      })
      metas.push(r.metafile)
    }
    fs.writeFileSync(path.join(out, 'licenses.txt'), licenses(metas, pkgJson))
    // replace dist/ whole
    const old = `${DIST}.old-${process.pid}`
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old)
    fs.renameSync(out, DIST)
    fs.rmSync(old, {recursive: true, force: true})
  } catch (err) {
    fs.rmSync(out, {recursive: true, force: true})
    throw err
  }
  makeManifest()
  makeCodeCache()
}

export const MANIFEST = path.join(ROOT, 'oclif.manifest.json')

/**
 * oclif.manifest.json beside package.json: every command's id, summary and
 * flags as oclif describes them. With it oclif reads one JSON file at start
 * instead of building that description from all sixty command classes, and
 * the bundle initialises only the command that runs (its COMMANDS entries
 * are getters). Made by oclif itself (@oclif/core, a build dependency) from
 * the new bundle, in a fresh process.
 */
function makeManifest() {
  fs.rmSync(MANIFEST, {force: true})
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--manifest-worker'], {cwd: ROOT, env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`making oclif.manifest.json failed:\n${r.stderr}`)
}

async function manifestWorker() {
  const require = createRequire(import.meta.url)
  // the bundle is a wrapped module function that only bin/load-cli.cjs runs; once loaded, oclif's
  // require() of it gets that instance from require's cache
  require('../bin/load-cli.cjs').loadCli()
  const {Config} = require('@oclif/core')
  const config = await Config.load({root: ROOT})
  const manifest = config.rootPlugin.manifest
  const ids = Object.keys(manifest.commands)
  const expected = [...sourceCommandIds(), ...Object.keys(PLUGIN_COMMANDS)]
  const missing = expected.filter((id) => !ids.includes(id))
  if (missing.length > 0) throw new Error(`the manifest misses ${missing.join(', ')}`)
  const tmp = `${MANIFEST}.tmp-${process.pid}`
  // ASCII only (the rest as \u escapes): oclif reads it into a one-byte string, half the size, parsed faster
  fs.writeFileSync(tmp, JSON.stringify(manifest).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
  fs.renameSync(tmp, MANIFEST)
}

/** The commands whose run the code cache is made from (a copy of the demo file; help alone without it). */
const CACHE_RUNS = [['--help'], ['auth', 'list', '--bolt-path', '<file>'], ['doctor', '--bolt-path', '<file>'], ['auth', 'list', '--json', '--bolt-path', '<file>']]

/** Makes dist/influx-recover.cjs.v8cache in a fresh Node process, as a user's run would load the bundle. */
function makeCodeCache() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-build-'))
  try {
    const demo = path.join(ROOT, 'fixtures/demo.bolt')
    const file = path.join(tmp, 'influxd.bolt')
    if (fs.existsSync(demo)) fs.copyFileSync(demo, file)
    const env = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1', HOME: tmp, XDG_CACHE_HOME: tmp, XDG_CONFIG_HOME: tmp, XDG_DATA_HOME: tmp}
    delete env.NODE_ENV
    delete env.NODE_OPTIONS // the cache is only accepted by a V8 with the same flags
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--code-cache-worker', fs.existsSync(file) ? file : ''], {cwd: tmp, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`making the code cache failed:\n${r.stderr}`)
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true})
  }
}

async function codeCacheWorker(file) {
  const require = createRequire(import.meta.url)
  const {loadCli, codeCache, CODE_CACHE} = require('../bin/load-cli.cjs')
  const cli = loadCli()
  for (const args of CACHE_RUNS) {
    if (file === '' && args.includes('<file>')) continue
    try {
      await cli.runArgv(args.map((a) => (a === '<file>' ? file : a)), ROOT)
    } catch {
      // a failed run still compiled what it ran
    }
  }
  const tmp = `${CODE_CACHE}.tmp-${process.pid}`
  fs.writeFileSync(tmp, codeCache())
  fs.renameSync(tmp, CODE_CACHE)
}

/** The licence text of every package whose code is in the bundle. */
function licenses(metas, pkgJson) {
  const pkgs = new Map()
  for (const meta of metas) {
    for (const input of Object.keys(meta.inputs)) {
      const file = input.replace(/^[a-z]+:/, '').replaceAll('\\', '/')
      const m = /^(.*\bnode_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(path.isAbsolute(file) ? path.relative(ROOT, file).replaceAll('\\', '/') : file)
      if (m) pkgs.set(path.join(ROOT, m[1]), m[2])
    }
  }
  const parts = [`${pkgJson.name} ${pkgJson.version} bundles the following packages.\n`]
  for (const [dir, name] of [...pkgs].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))) {
    const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${p.license ?? 'see the package'}`
    parts.push(`${'-'.repeat(78)}\n${name}@${p.version}\n\n${text}\n`)
  }
  return parts.join('\n')
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--code-cache-worker') {
    await codeCacheWorker(process.argv[3] ?? '')
    process.exit(0) // whatever the runs left open
  }
  if (process.argv[2] === '--manifest-worker') {
    await manifestWorker()
    process.exit(0)
  }
  await build()
}
