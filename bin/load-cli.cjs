'use strict'
/**
 * Loads dist/influx-recover.cjs (the bundle) as require() would, with the V8
 * code cache the build made beside it: the functions a run needs come
 * compiled, instead of being parsed and compiled on every start.
 *
 * The cache is used only when its first line names the build of the bundle
 * (a hash of the bundle, in the bundle's first line too); V8 itself refuses a
 * cache made by another V8 version or with other flags, and then everything
 * is compiled as usual. The module is registered in require's cache, so
 * oclif's require() of the same file gets this instance.
 */
const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const vm = require('node:vm')

const BUNDLE = path.join(__dirname, '..', 'dist', 'influx-recover.cjs')
const CODE_CACHE = `${BUNDLE}.v8cache`
const BUILD_LINE = /^\/\* influx-recover build ([0-9a-f]{16,64}) \*\/\n/

let script
/** 'none' (no cache for this build), 'accepted' or 'rejected' (by V8). */
let cacheState = 'none'

/** The build id in the bundle's first line, or undefined. */
function buildId(source) {
  return BUILD_LINE.exec(source.slice(0, 120))?.[1]
}

function readCodeCache(id) {
  if (id === undefined) return undefined
  let data
  try {
    data = fs.readFileSync(CODE_CACHE)
  } catch {
    return undefined
  }
  const header = Buffer.from(`${id}\n`, 'latin1')
  return data.subarray(0, header.length).equals(header) ? data.subarray(header.length) : undefined
}

/** The bundle's exports. Throws ENOENT when there is no build. */
function loadCli() {
  const cached = Module._cache[BUNDLE]
  if (cached) return cached.exports
  // the build makes the bundle pure ASCII (esbuild escapes the rest): read as one-byte text, no UTF-8 decoding
  const source = fs.readFileSync(BUNDLE, 'latin1')
  const cachedData = readCodeCache(buildId(source))
  script = new vm.Script(Module.wrap(source), {filename: BUNDLE, cachedData})
  cacheState = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted'
  const mod = new Module(BUNDLE, module)
  mod.filename = BUNDLE
  mod.paths = Module._nodeModulePaths(path.dirname(BUNDLE))
  Module._cache[BUNDLE] = mod
  try {
    script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE))
  } catch (err) {
    delete Module._cache[BUNDLE]
    throw err
  }
  mod.loaded = true
  return mod.exports
}

/** For the build: the code cache of everything compiled so far in this process, with its header. */
function codeCache() {
  const id = buildId(fs.readFileSync(BUNDLE, 'latin1'))
  if (script === undefined || id === undefined) throw new Error('the bundle was not loaded, or has no build line')
  return Buffer.concat([Buffer.from(`${id}\n`, 'latin1'), script.createCachedData()])
}

module.exports = {BUNDLE, CODE_CACHE, loadCli, codeCache, cacheState: () => cacheState}
