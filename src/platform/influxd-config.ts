/**
 * Reads influxd's configuration the way influxd 2.x does, to learn its
 * `bolt-path` without running it. What influxd really does (spf13/viper v1.6.1;
 * identical from v2.0.4 through v2.9.1 — 2.0.0-2.0.3 matched extensions
 * case-sensitively and missed ".yml"):
 *
 *  - kit/cli/viper.go `initializeConfig`: the config location is viper key
 *    CONFIG_PATH, i.e. env INFLUXD_CONFIG_PATH (an empty value counts as unset:
 *    viper's AllowEmptyEnv is off); when unset it is "." (the working directory).
 *    If path.Ext of it, lower-cased, is .json/.toml/.yaml/.yml it is the config
 *    FILE (SetConfigFile, used as given: relative to the cwd). Anything else is a
 *    DIRECTORY to search (AddConfigPath, made absolute by viper's absPathify,
 *    which expands a leading `$HOME` or `$VAR/`).
 *  - viper ReadInConfig: a directory is searched for config.<ext> with ext in
 *    viper's SupportedExts order json, toml, yaml, yml, properties, props, prop,
 *    hcl, dotenv, env, ini, then a bare `config`; the first that exists and is
 *    not a directory wins. The format comes from the file's extension, case-
 *    sensitively (config.TOML named in INFLUXD_CONFIG_PATH is "Unsupported Config
 *    Type"). A missing file (ENOENT) or no match is fine; any other failure
 *    (parse error, unsupported type, unreadable) makes influxd exit with
 *    "failed to load config file: ...".
 *  - Keys: viper lower-cases every key of the file, and `bolt-path` is looked up
 *    at the top level: `Bolt-Path` works, `bolt_path` does not (the "-" -> "_"
 *    replacer applies only to env names). A null value counts as unset. The
 *    value goes through cast.ToStringE: strings, numbers and booleans become
 *    text; tables/lists are ignored (the default stays).
 *  - The path is used as is: relative to influxd's working directory, and `~`
 *    is NOT expanded (bolt.Client.Open just MkdirAll's its directory).
 *  - cmd/influxd/launcher/cmd.go refuses to start when the file has 1.x keys
 *    (bind-address, [meta], [data], [http], ...).
 *
 * This module never creates, writes or blocks on anything: FIFOs and other
 * special files are reported, never read (at most opened O_NONBLOCK).
 */
import {constants as fsConstants, promises as fsp} from 'node:fs'
import type {Stats} from 'node:fs'
import * as path from 'node:path'

import {parse as parseToml} from 'smol-toml'
import {parseAllDocuments} from 'yaml'

/** viper v1.6.1 SupportedExts, in its search order. */
export const VIPER_CONFIG_EXTS = ['json', 'toml', 'yaml', 'yml', 'properties', 'props', 'prop', 'hcl', 'dotenv', 'env', 'ini'] as const
/** Extensions that make INFLUXD_CONFIG_PATH a file rather than a directory (kit/cli/viper.go). */
export const CONFIG_FILE_EXTS = ['.json', '.toml', '.yaml', '.yml'] as const
/** Formats this tool parses; the other viper formats are reported as unread. */
export const PARSED_CONFIG_FORMATS = ['json', 'toml', 'yaml', 'yml'] as const

const USUAL_NAMES = new Set(CONFIG_FILE_EXTS.map((e) => `config${e}`))

/** Where deb/rpm packages keep the service's environment (systemd EnvironmentFile). */
export const ETC_DEFAULT_INFLUXDB2 = '/etc/default/influxdb2'

/** Top-level 1.x keys and section prefixes that make influxd 2.x refuse a config (launcher/cmd.go oneDotExFlagsList). */
const ONE_DOT_X_KEYS = [
  'bind-address',
  'collectd.',
  'continuous_queries.',
  'coordinator.',
  'data.',
  'graphite.',
  'http.',
  'logging.',
  'meta.',
  'monitor.',
  'opentsdb.',
  'retention.',
  'shard-precreation.',
  'subscriber.',
  'tls.',
  'udp.',
]

export type Env = Readonly<Record<string, string | undefined>>

export interface ConfigLookupOptions {
  /** environment (default process.env) */
  env?: Env
  /** influxd's working directory (default process.cwd()) */
  cwd?: string
}

/** One file influxd would check. */
export interface ConfigProbe {
  path: string
  found: boolean
  note?: string
}

export interface BoltPathSetting {
  /** the value as influxd would use it (after cast.ToStringE) */
  value: string
  /** the key as spelled in the file */
  key: string
  /** absolute: `value` resolved against the working directory */
  resolved: string
}

export interface InfluxdConfig {
  /** how the location was chosen */
  from: 'env INFLUXD_CONFIG_PATH' | 'cwd'
  /** INFLUXD_CONFIG_PATH as given, or "." */
  configPath: string
  mode: 'file' | 'directory'
  /** every file looked at, in influxd's order */
  probes: ConfigProbe[]
  /** the config file influxd would read (absolute), when there is one */
  file?: string
  /** its format (the extension as viper sees it) */
  format?: string
  /** bolt-path from the file, when set */
  boltPath?: BoltPathSetting
  /**
   * Why influxd would not start with this config ("failed to load config file"),
   * or why this tool cannot tell what it contains. The file's bolt-path is then
   * unknown or unusable.
   */
  problem?: string
  /** other observations (e.g. "no bolt-path key", "~ is not expanded") */
  notes: string[]
}

export class ConfigParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigParseError'
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Go's path.Ext: the suffix from the last '.' of the last '/'-separated element ("" if none). */
export function goExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) {
    if (p[i] === '.') return p.slice(i)
  }
  return ''
}

/** Names a non-regular file kind, undefined for a regular file. */
export function specialKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'a special file'
}

/**
 * viper's absPathify for a config directory: a leading `$HOME` becomes $HOME, a
 * leading `$NAME/` becomes the value of NAME; then it is made absolute against
 * the cwd. Returns an error text where influxd itself would crash ($NAME
 * without a '/': a slice panic in viper).
 */
export function viperAbsPath(p: string, env: Env, cwd: string): {path: string} | {error: string} {
  let s = p
  if (s.startsWith('$HOME')) s = (env.HOME ?? '') + s.slice(5)
  if (s.startsWith('$')) {
    const end = s.indexOf('/')
    if (end === -1) return {error: `INFLUXD_CONFIG_PATH ${JSON.stringify(p)} starts with $ but has no "/": influxd (viper) crashes on it`}
    s = (env[s.slice(1, end)] ?? '') + s.slice(end)
  }
  return {path: path.resolve(cwd, s)}
}

/** Parses a config file's text in one of the formats this tool reads. Throws ConfigParseError. */
export function parseConfigText(text: string, format: string): Record<string, unknown> {
  const f = format.toLowerCase()
  if (f === 'json') {
    // Go's json.Unmarshal into a map: an object; `null` leaves the map empty.
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (err) {
      throw new ConfigParseError(`invalid JSON: ${errMessage(err)}`)
    }
    if (v === null) return {}
    if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigParseError(`JSON config is ${Array.isArray(v) ? 'an array' : `a ${typeof v}`}, not an object`)
    return v as Record<string, unknown>
  }
  if (f === 'toml') {
    try {
      // int64 values beyond 2^53 are valid TOML for influxd too
      return parseToml(text, {integersAsBigInt: 'asNeeded'}) as Record<string, unknown>
    } catch (err) {
      throw new ConfigParseError(`invalid TOML: ${firstLine(errMessage(err))}`)
    }
  }
  if (f === 'yaml' || f === 'yml') {
    // yaml.v2 (YAML 1.1) decodes the first document into a map
    const docs = parseAllDocuments(text, {version: '1.1', uniqueKeys: true})
    const doc = Array.isArray(docs) ? docs[0] : undefined
    if (doc === undefined) return {}
    if (doc.errors.length > 0) throw new ConfigParseError(`invalid YAML: ${firstLine(doc.errors[0]!.message)}`)
    let v: unknown
    try {
      v = doc.toJS({maxAliasCount: 1000})
    } catch (err) {
      throw new ConfigParseError(`invalid YAML: ${firstLine(errMessage(err))}`)
    }
    if (v === null || v === undefined) return {}
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof Date) {
      throw new ConfigParseError(`YAML config is ${Array.isArray(v) ? 'a list' : 'a scalar'}, not a mapping`)
    }
    return v as Record<string, unknown>
  }
  throw new ConfigParseError(`this tool does not read ${format} config files`)
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim()
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/** viper's AllKeys: every leaf key, lower-cased, nested ones joined by '.'. */
function leafKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k.toLowerCase()
    if (isPlainObject(v)) out.push(...leafKeys(v, `${key}.`))
    else out.push(key)
  }
  return out
}

/** The keys of a parsed config that make influxd 2.x refuse it as a 1.x config. */
export function oneDotXKeys(obj: Record<string, unknown>): string[] {
  return leafKeys(obj).filter((k) => ONE_DOT_X_KEYS.some((f) => (f.endsWith('.') ? k.startsWith(f) : k === f)))
}

/**
 * bolt-path from a parsed config, as viper + cast.ToStringE would give it:
 * `{value, key}` when set, `{note}` when present but unusable or absent.
 */
export function boltPathFromConfig(obj: Record<string, unknown>): {value?: string; key?: string; note?: string} {
  const keys = Object.keys(obj).filter((k) => k.toLowerCase() === 'bolt-path')
  if (keys.length === 0) {
    const near = Object.keys(obj).find((k) => /^bolt[_.]?path$/i.test(k))
    return {note: near ? `has "${near}" but no "bolt-path" key (influxd only reads bolt-path)` : 'no bolt-path key'}
  }
  // Several spellings: viper keeps one of them at random (Go map order).
  const key = keys.includes('bolt-path') ? 'bolt-path' : keys[0]!
  const extra = keys.length > 1 ? ` (also ${keys.filter((k) => k !== key).join(', ')}: influxd picks one of them at random)` : ''
  const v = obj[key]
  if (v === null || v === undefined) return {key, note: `bolt-path is null: influxd ignores it${extra}`}
  if (typeof v === 'string') return {value: v, key, ...(extra ? {note: extra.trim()} : {})}
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return {value: String(v), key, note: `bolt-path is not a string; influxd uses it as the text "${String(v)}"${extra}`}
  return {key, note: `bolt-path is ${Array.isArray(v) ? 'a list' : v instanceof Date ? 'a date' : 'a table'}, not a string: influxd ignores it${extra}`}
}

/** stat that reports errors instead of throwing. */
async function statOf(p: string): Promise<{st?: Stats; code?: string; message?: string}> {
  try {
    return {st: await fsp.stat(p)}
  } catch (err) {
    return {code: errnoCode(err), message: errMessage(err)}
  }
}

/** Reads a regular file without ever blocking on a FIFO or creating anything. */
async function readRegularFile(p: string): Promise<string> {
  const fh = await fsp.open(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY)
  try {
    const st = await fh.stat()
    const kind = specialKind(st)
    if (kind !== undefined) throw Object.assign(new Error(`${p} is ${kind}`), {code: st.isDirectory() ? 'EISDIR' : 'ESPECIAL'})
    return await fh.readFile({encoding: 'utf8'})
  } finally {
    await fh.close()
  }
}

/**
 * Finds and reads influxd's config file for the given environment and working
 * directory, exactly where influxd would (see the module comment). Never throws
 * for a bad or unreadable config: that is reported in `problem`.
 */
export async function findInfluxdConfig(opts: ConfigLookupOptions = {}): Promise<InfluxdConfig> {
  const env = opts.env ?? process.env
  const cwd = path.resolve(opts.cwd ?? process.cwd())
  const given = env.INFLUXD_CONFIG_PATH
  const configPath = given !== undefined && given !== '' ? given : '.'
  const from = configPath === given ? 'env INFLUXD_CONFIG_PATH' : 'cwd'
  const isFile = (CONFIG_FILE_EXTS as readonly string[]).includes(goExt(configPath).toLowerCase())
  const result: InfluxdConfig = {from, configPath, mode: isFile ? 'file' : 'directory', probes: [], notes: []}

  let file: string
  if (isFile) {
    file = path.resolve(cwd, configPath)
    const {st, code, message} = await statOf(file)
    if (st === undefined) {
      if (code === 'ENOENT') {
        result.probes.push({path: file, found: false, note: 'does not exist (influxd then runs without a config file)'})
        return result
      }
      result.probes.push({path: file, found: false, note: message})
      result.problem = `cannot read ${file}: ${message}`
      return result
    }
    result.probes.push({path: file, found: true})
  } else {
    const dir = viperAbsPath(configPath, env, cwd)
    if ('error' in dir) {
      result.problem = dir.error
      return result
    }
    let found: string | undefined
    for (const name of [...VIPER_CONFIG_EXTS.map((e) => `config.${e}`), 'config']) {
      const p = path.join(dir.path, name)
      const {st} = await statOf(p)
      // viper's exists(): stat succeeds and it is not a directory
      if (st !== undefined && !st.isDirectory()) {
        result.probes.push({path: p, found: true})
        found = p
        break
      }
      // Absent names are listed only for the four documented formats, to keep reports short.
      if (USUAL_NAMES.has(name)) result.probes.push({path: p, found: false, ...(st?.isDirectory() ? {note: 'is a directory (skipped, as influxd does)'} : {})})
    }
    if (found === undefined) {
      result.notes.push(`no config.{json,toml,yaml,yml,...} in ${dir.path}`)
      return result
    }
    file = found
  }

  result.file = file
  // viper takes the format from the extension (filepath.Ext), case-sensitively
  const ext = goExt(file)
  const format = ext.length > 1 ? ext.slice(1) : ''
  result.format = format
  if (!(VIPER_CONFIG_EXTS as readonly string[]).includes(format)) {
    result.problem = `influxd would fail to start: ${file} has an unsupported config type ${JSON.stringify(format)} (failed to load config file)`
    return result
  }
  if (!(PARSED_CONFIG_FORMATS as readonly string[]).includes(format)) {
    result.problem = `influxd would read ${file} (${format} format), which this tool does not read: its bolt-path is unknown`
    return result
  }

  let text: string
  try {
    text = await readRegularFile(file)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'EISDIR') result.problem = `${errMessage(err)}: influxd would fail to start (failed to load config file)`
    else if (code === 'ESPECIAL') result.problem = `${errMessage(err)}, not a regular file: influxd would block or fail reading it`
    else if (code === 'EACCES' || code === 'EPERM') result.problem = `cannot read ${file}: permission denied (run as root or as the user influxd runs as)`
    else result.problem = `cannot read ${file}: ${errMessage(err)}`
    return result
  }

  let obj: Record<string, unknown>
  try {
    obj = parseConfigText(text, format)
  } catch (err) {
    result.problem = `influxd would fail to start: ${file}: ${errMessage(err)}`
    return result
  }

  const old = oneDotXKeys(obj)
  if (old.length > 0) {
    result.problem = `influxd would refuse to start: ${file} is an InfluxDB 1.x config (${old.slice(0, 5).join(', ')}${old.length > 5 ? ', ...' : ''})`
    return result
  }

  const bp = boltPathFromConfig(obj)
  if (bp.note !== undefined) result.notes.push(`${file}: ${bp.note}`)
  if (bp.value !== undefined) {
    if (bp.value === '') {
      result.problem = `${file} sets bolt-path to "": influxd would fail to open it`
      return result
    }
    if (bp.value === '~' || bp.value.startsWith('~/')) result.notes.push(`${file}: influxd does not expand "~" in bolt-path; it is a directory named "~" under ${cwd}`)
    result.boltPath = {value: bp.value, key: bp.key!, resolved: path.resolve(cwd, bp.value)}
  }
  return result
}

/**
 * Parses a systemd EnvironmentFile / shell-style file such as
 * /etc/default/influxdb2: `KEY=value` lines, optional `export `, single or
 * double quotes, `#`/`;` comment lines, `#` comments after unquoted values,
 * backslash line continuations. Later assignments win.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {}
  const rawLines = text.split(/\r?\n/)
  for (let i = 0; i < rawLines.length; i++) {
    let line = rawLines[i]!
    while (line.endsWith('\\') && i + 1 < rawLines.length) line = line.slice(0, -1) + rawLines[++i]!
    line = line.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) continue
    vars[m[1]!] = unquoteValue(m[2]!)
  }
  return vars
}

function unquoteValue(raw: string): string {
  let out = ''
  let i = 0
  while (i < raw.length) {
    const ch = raw[i]!
    if (ch === '"') {
      i++
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === '\\' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1]!)) i++
        out += raw[i]
        i++
      }
      i++ // closing quote
    } else if (ch === "'") {
      const end = raw.indexOf("'", i + 1)
      out += end === -1 ? raw.slice(i + 1) : raw.slice(i + 1, end)
      i = end === -1 ? raw.length : end + 1
    } else if (ch === '#' && (i === 0 || /\s/.test(raw[i - 1]!))) {
      break // shell comment
    } else if (ch === '\\' && i + 1 < raw.length) {
      out += raw[i + 1]
      i += 2
    } else {
      out += ch
      i++
    }
  }
  return out.trim()
}

export interface EtcDefault {
  path: string
  exists: boolean
  vars: Record<string, string>
  problem?: string
}

/** Reads /etc/default/influxdb2 (or the given path); a missing file is `exists: false`. */
export async function readEtcDefault(file: string = ETC_DEFAULT_INFLUXDB2): Promise<EtcDefault> {
  const {st, code, message} = await statOf(file)
  if (st === undefined) {
    return code === 'ENOENT' || code === 'ENOTDIR' ? {path: file, exists: false, vars: {}} : {path: file, exists: false, vars: {}, problem: `cannot read ${file}: ${message}`}
  }
  const kind = specialKind(st)
  if (kind !== undefined) return {path: file, exists: false, vars: {}, problem: `${file} is ${kind}`}
  try {
    return {path: file, exists: true, vars: parseEnvironmentFile(await readRegularFile(file))}
  } catch (err) {
    return {path: file, exists: true, vars: {}, problem: `cannot read ${file}: ${errMessage(err)}`}
  }
}
