'use strict'
/**
 * Loads dist/influx-recover.cjs (the bundle) as require() would, with the V8
 * code cache the build made beside it: the functions a run needs come
 * compiled, instead of being parsed and compiled on every start.
 *
 * The build writes the bundle already wrapped as a CommonJS module function
 * (WRAPPER below), so V8 compiles the file's text as it is: wrapping it here
 * (Module.wrap) made a second 800 KB string that V8 then flattened, ~200 fresh
 * pages (page faults are most of a start's cost on some virtual machines). An
 * older build, not wrapped, is wrapped here as before. The bundle and its
 * cache are read into one buffer, for the same reason.
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

/** How the build begins the bundle's code, after the build line: the function Node would wrap it in. */
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {'

let script
/** 'none' (no cache for this build), 'accepted' or 'rejected' (by V8). */
let cacheState = 'none'

/** The build id in the bundle's first line, or undefined. */
function buildId(source) {
  return BUILD_LINE.exec(source.slice(0, 120))?.[1]
}

/** Reads up to `size` bytes of an open file into the start of `buf`; how many it read. */
function readInto(fd, buf, size) {
  let n = 0
  for (let got; n < size && (got = fs.readSync(fd, buf, n, size - n, n)) > 0; ) n += got
  return n
}

/** The cache data for build `id` read from `fd` (a view of `buf`, valid until `buf` is reused), or undefined. */
function readCodeCache(id, fd, buf, size) {
  if (id === undefined || fd === undefined) return undefined
  const n = readInto(fd, buf, size)
  const header = Buffer.from(`${id}\n`, 'latin1')
  return buf.subarray(0, header.length).equals(header) ? buf.subarray(header.length, n) : undefined
}

/** The bundle's exports. Throws ENOENT when there is no build. */
function loadCli() {
  const cached = Module._cache[BUNDLE]
  if (cached) return cached.exports
  const fd = fs.openSync(BUNDLE, 'r') // ENOENT: no build
  let cacheFd
  try {
    cacheFd = fs.openSync(CODE_CACHE, 'r')
  } catch {
    // no cache: everything is compiled as usual
  }
  let source
  let cachedData
  try {
    const size = fs.fstatSync(fd).size
    const cacheSize = cacheFd === undefined ? 0 : fs.fstatSync(cacheFd).size
    // one buffer for both files
    const buf = Buffer.allocUnsafeSlow(Math.max(size, cacheSize))
    // the build makes the bundle pure ASCII (esbuild escapes the rest): read as one-byte text, no UTF-8 decoding
    source = buf.latin1Slice(0, readInto(fd, buf, size))
    cachedData = readCodeCache(buildId(source), cacheFd, buf, cacheSize)
  } finally {
    fs.closeSync(fd)
    if (cacheFd !== undefined) fs.closeSync(cacheFd)
  }
  const wrapped = source.startsWith(WRAPPER, source.indexOf('\n') + 1)
  script = new vm.Script(wrapped ? source : Module.wrap(source), {filename: BUNDLE, cachedData})
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

module.exports = {BUNDLE, CODE_CACHE, WRAPPER, loadCli, codeCache, cacheState: () => cacheState}
