/**
 * The guard's export directory: `<time>-<txid>.yaml.age` exports (or
 * `.yaml` with --plaintext-exports), each with a `<time>-<txid>.manifest.json`
 * beside it.
 *
 * Why a manifest: `guard run` decides whether every raw token is captured
 * before each influxd start, and must do so without the private key (it has
 * only public keys) and without loading the age library. The manifest holds
 * what that needs: the SHA-256 fingerprint of every token in the export,
 * the count, the txid and time, and the export's own size and SHA-256. A
 * fingerprint reveals nothing usable: the tokens influxd generates carry 512
 * random bits, so a SHA-256 of one cannot be inverted or guessed, and these
 * are the same fingerprints the audit log and every listing already show. It
 * does tell which tokens existed when, which the directory's 0700 keeps to
 * whoever can read influxd.bolt anyway. (A token chosen by hand and weak
 * enough to guess would be guessable from its fingerprint, as from the
 * audit log.)
 *
 * The manifest is written after its export was written, fsynced and read back
 * byte for byte: a manifest proves a complete export. An export without one
 * (a run killed in between) counts as not captured, so the next run captures
 * again.
 *
 * Side files: the directory is created 0700 when missing and refused when it
 * is a symlink, not a directory, not ours or writable by group or others;
 * files are created exclusively with O_NOFOLLOW and mode 0600 (set with
 * fchmod, whatever the umask), read with O_NOFOLLOW|O_NONBLOCK and checked to
 * be regular files of ours.
 */
import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {ExitCode, RecoverError} from '../errors.js'
import {errnoCode, syncDir} from './side-file.js'

export const DEFAULT_EXPORT_DIR = '/var/lib/influx-recover/exports'

/** The export directory when none is named: INFLUX_RECOVER_EXPORT_DIR (tests, unusual layouts), else DEFAULT_EXPORT_DIR. */
export function defaultExportDir(env: NodeJS.ProcessEnv = process.env): string {
  const d = env.INFLUX_RECOVER_EXPORT_DIR
  return d !== undefined && d !== '' ? d : DEFAULT_EXPORT_DIR
}
export const MANIFEST_SUFFIX = '.manifest.json'
export const MANIFEST_FORMAT = 'influx-recover guard manifest 1'

/** `20260102T030405Z-1234.yaml.age`, `…-1234-2.yaml` (a second export of one second and txid). */
const EXPORT_NAME = /^(\d{8}T\d{6}Z)-(\d+)(?:-(\d+))?\.yaml(\.age)?$/

/** Largest manifest read (100k tokens make ~7 MB). */
const MAX_MANIFEST = 64 << 20

export interface GuardManifest {
  format: typeof MANIFEST_FORMAT
  /** the export's file name (in the same directory) */
  export: string
  /** when it was written, ISO 8601 UTC */
  time: string
  /** the database it was read from, and its txid then */
  boltPath: string
  txid: number
  encrypted: boolean
  /** public keys it is encrypted to (none when plaintext) */
  recipients: string[]
  /** raw tokens in the export */
  count: number
  /** size and SHA-256 (hex) of the export file */
  bytes: number
  sha256: string
  /** SHA-256 (hex) of each raw token in the export, sorted */
  fingerprints: string[]
}

export interface GuardExport {
  /** file name of the export */
  name: string
  /** `<time>-<txid>[-n]` */
  stem: string
  encrypted: boolean
  /** the time and txid its name carries */
  nameTime: string
  nameTxid: number
  /** its manifest, or why there is none to trust */
  manifest?: GuardManifest
  problem?: string
}

function myUid(): number | undefined {
  return process.getuid?.()
}

/** The name stamp of a time: 20260102T030405Z. */
export function timeStamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')
}

function nameTimeIso(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`
}

/**
 * Checks the export directory, creating it (mode 0700, parents too) when
 * `create` and missing. Throws a RecoverError naming the problem.
 */
export function checkExportDir(dir: string, opts: {create: boolean}): {created: boolean; mode: number} {
  let st: fs.Stats
  let created = false
  try {
    st = fs.lstatSync(dir)
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT' || !opts.create) throw exportDirError(dir, err)
    try {
      fs.mkdirSync(dir, {recursive: true, mode: 0o700})
      fs.chmodSync(dir, 0o700) // the umask only takes bits away; be exact anyway
      st = fs.lstatSync(dir)
    } catch (err2) {
      throw exportDirError(dir, err2)
    }
    created = true
  }
  if (st.isSymbolicLink()) throw new RecoverError(`the export directory ${dir} is a symlink: refusing to follow it`, ExitCode.ERROR, 'name the real directory')
  if (!st.isDirectory()) throw new RecoverError(`the export directory ${dir} is not a directory`, ExitCode.ERROR)
  const uid = myUid()
  if (uid !== undefined && st.uid !== uid) throw new RecoverError(`the export directory ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}): refusing to write exports there`, ExitCode.ERROR, `chown ${uid} ${dir} && chmod 700 ${dir}`)
  if ((st.mode & 0o022) !== 0) throw new RecoverError(`the export directory ${dir} is writable by its group or others (mode ${(st.mode & 0o777).toString(8)})`, ExitCode.ERROR, `chmod 700 ${dir}`)
  return {created, mode: st.mode & 0o7777}
}

function exportDirError(dir: string, err: unknown): RecoverError {
  const code = errnoCode(err)
  if (code === 'ENOENT') return new RecoverError(`the export directory ${dir} does not exist`, ExitCode.NOT_FOUND)
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new RecoverError(`cannot create or use the export directory ${dir}: ${code === 'EROFS' ? 'read-only filesystem' : 'permission denied'}`, ExitCode.ERROR)
  if (code === 'ENOTDIR' || code === 'EEXIST') return new RecoverError(`cannot create the export directory ${dir}: a part of its path is not a directory`, ExitCode.ERROR)
  return new RecoverError(`cannot use the export directory ${dir}: ${err instanceof Error ? err.message : String(err)}`, ExitCode.ERROR)
}

/** The exports in `dir` (without reading them), oldest first: by the time, then txid, then number in their names. */
export function listExportNames(dir: string): GuardExport[] {
  const out: Array<GuardExport & {n: number}> = []
  for (const name of fs.readdirSync(dir)) {
    const m = EXPORT_NAME.exec(name)
    if (m === null) continue
    const stem = name.replace(/\.yaml(\.age)?$/, '')
    out.push({name, stem, encrypted: m[4] !== undefined, nameTime: nameTimeIso(m[1]!), nameTxid: Number(m[2]), n: Number(m[3] ?? 1)})
  }
  out.sort((a, b) => (a.nameTime < b.nameTime ? -1 : a.nameTime > b.nameTime ? 1 : a.nameTxid - b.nameTxid || a.n - b.n || (a.name < b.name ? -1 : 1)))
  return out.map(({n: _n, ...e}) => e)
}

/**
 * Reads a regular file of ours without following a link or blocking, at
 * most `max` bytes; throws with the reason otherwise.
 */
function readOwnFile(file: string, max: number): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new Error('not a regular file')
    const uid = myUid()
    if (uid !== undefined && st.uid !== uid) throw new Error(`owned by uid ${st.uid}, not by this user`)
    if (st.size > max) throw new Error(`larger than ${max} bytes`)
    const buf = Buffer.alloc(st.size)
    let off = 0
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off)
      if (n === 0) throw new Error('shorter than its size')
      off += n
    }
    return buf
  } finally {
    fs.closeSync(fd)
  }
}

function isHex64(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
}

/** Parses and checks a manifest's shape; throws with the reason. */
export function parseManifest(text: string, exportName: string): GuardManifest {
  const m = JSON.parse(text) as Partial<GuardManifest>
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) throw new Error('not a guard manifest')
  if (m.export !== exportName) throw new Error(`it describes ${JSON.stringify(m.export)}, not ${exportName}`)
  if (!Array.isArray(m.fingerprints) || !m.fingerprints.every(isHex64)) throw new Error('bad fingerprints')
  if (m.count !== m.fingerprints.length || typeof m.bytes !== 'number' || !isHex64(m.sha256) || typeof m.txid !== 'number' || typeof m.time !== 'string') throw new Error('bad fields')
  return m as GuardManifest
}

/**
 * Reads the manifest of an export and checks the export is still the file
 * it describes: its size always, its SHA-256 with `hash` (status does; the
 * guard's run before each start does not, the size and the manifest's
 * existence suffice there).
 */
export function loadManifest(dir: string, e: GuardExport, opts: {hash: boolean}): GuardExport {
  let manifest: GuardManifest
  try {
    manifest = parseManifest(readOwnFile(path.join(dir, e.stem + MANIFEST_SUFFIX), MAX_MANIFEST).toString('utf8'), e.name)
  } catch (err) {
    return {...e, problem: errnoCode(err) === 'ENOENT' ? 'no manifest (the run that wrote it did not finish)' : `its manifest cannot be used: ${(err as Error).message}`}
  }
  try {
    if (opts.hash) {
      const bytes = readOwnFile(path.join(dir, e.name), Number.MAX_SAFE_INTEGER)
      if (bytes.length !== manifest.bytes || createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) return {...e, manifest, problem: 'the export differs from its manifest (changed or damaged)'}
    } else {
      const st = fs.lstatSync(path.join(dir, e.name))
      if (!st.isFile() || st.size !== manifest.bytes) return {...e, manifest, problem: 'the export differs from its manifest (changed or damaged)'}
    }
  } catch (err) {
    return {...e, manifest, problem: `the export cannot be read: ${(err as Error).message}`}
  }
  return {...e, manifest}
}

/** The newest export with a usable manifest, if the newest export has one; else the newest export with its problem. */
export function newestExport(dir: string, opts: {hash: boolean}): GuardExport | undefined {
  const all = listExportNames(dir)
  const last = all[all.length - 1]
  return last === undefined ? undefined : loadManifest(dir, last, opts)
}

/** Creates `file` exclusively (no link followed), mode 0600, with `bytes`, fsynced. EEXIST is thrown as is. */
function createFile(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW | fs.constants.O_NOCTTY, 0o600)
  try {
    fs.fchmodSync(fd, 0o600)
    let off = 0
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off)
    fs.fsyncSync(fd)
  } catch (err) {
    fs.closeSync(fd)
    fs.rmSync(file, {force: true})
    throw err
  }
  fs.closeSync(fd)
}

export interface WrittenExport {
  name: string
  path: string
  manifestPath: string
  manifest: GuardManifest
}

/**
 * Writes one export and then its manifest into a checked directory: the
 * export is created exclusively (a name taken by another run gets `-2`,
 * `-3`…), fsynced, read back and compared byte for byte; only then is the
 * manifest written. A failed read-back deletes the export (exit 6).
 */
export function writeGuardExport(
  dir: string,
  bytes: Buffer,
  meta: {time: Date; txid: number; boltPath: string; encrypted: boolean; recipients: string[]; fingerprints: string[]},
): WrittenExport {
  const base = `${timeStamp(meta.time)}-${meta.txid}`
  const ext = meta.encrypted ? '.yaml.age' : '.yaml'
  let stem = base
  let file = ''
  for (let n = 1; ; n++) {
    stem = n === 1 ? base : `${base}-${n}`
    file = path.join(dir, stem + ext)
    if (n > 1000) throw new RecoverError(`cannot write the export ${file}: 1000 names of this second and txid are taken`, ExitCode.ERROR)
    // a leftover manifest of that stem would be taken for this export's: skip the stem
    if (fs.existsSync(path.join(dir, stem + MANIFEST_SUFFIX))) continue
    try {
      createFile(file, bytes)
      break
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue
      throw new RecoverError(`cannot write the export ${file}: ${(err as Error).message}`, ExitCode.ERROR)
    }
  }
  let back: Buffer
  try {
    back = readOwnFile(file, bytes.length)
  } catch (err) {
    fs.rmSync(file, {force: true})
    throw new RecoverError(`the export ${file} cannot be read back (${(err as Error).message}); it was deleted`, ExitCode.VERIFY_FAILED)
  }
  if (!back.equals(bytes)) {
    fs.rmSync(file, {force: true})
    throw new RecoverError(`the export ${file} read back differs from what was written; it was deleted`, ExitCode.VERIFY_FAILED)
  }
  const name = path.basename(file)
  const manifest: GuardManifest = {
    format: MANIFEST_FORMAT,
    export: name,
    time: meta.time.toISOString(),
    boltPath: meta.boltPath,
    txid: meta.txid,
    encrypted: meta.encrypted,
    recipients: meta.recipients,
    count: meta.fingerprints.length,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    fingerprints: [...meta.fingerprints].sort(),
  }
  const manifestPath = path.join(dir, stem + MANIFEST_SUFFIX)
  try {
    createFile(manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'))
  } catch (err) {
    syncDir(dir)
    throw new RecoverError(`the export ${file} is written and checked, but its manifest cannot be written (${(err as Error).message}): the next run captures again`, ExitCode.ERROR)
  }
  syncDir(dir)
  return {name, path: file, manifestPath, manifest}
}
