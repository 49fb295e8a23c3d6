/**
 * age (age-encryption.org/v1) for exports: encrypting to public keys
 * (`age1…`), decrypting with identity files as `age-keygen` writes them, the
 * ASCII armor, and reading recipients files as `age -R` does.
 *
 * The cryptography is typage (the `age-encryption` package, by age's author),
 * loaded with import() only when something is actually encrypted or
 * decrypted: it costs more to load than the whole of a `guard run` that finds
 * nothing to capture. Everything else here (recognising an age file, parsing
 * key files) needs no library.
 */
import * as fs from 'node:fs'

import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'

/** The first line of every binary age file. */
export const AGE_MAGIC = 'age-encryption.org/v1\n'
/** The first line of an armored age file (leading whitespace allowed). */
export const AGE_ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'

type Typage = typeof import('age-encryption')
let typage: Promise<Typage> | undefined

/** The library, loaded on first use. */
function loadTypage(): Promise<Typage> {
  return (typage ??= import('age-encryption'))
}

/** 'binary' or 'armor' when `bytes` is an age file, else null. Reads only the first bytes. */
export function ageFileKind(bytes: Uint8Array): 'binary' | 'armor' | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString('latin1')
  if (head.startsWith(AGE_MAGIC)) return 'binary'
  if (head.trimStart().startsWith(AGE_ARMOR_BEGIN)) return 'armor'
  return null
}

/** Where a key came from, for messages: "--recipient 2", "keys.txt line 3". */
export interface SourcedKey {
  key: string
  where: string
}

/**
 * The non-comment lines of a recipients or identity file, read as `age`
 * reads them: a line starting with `#` is a comment, empty lines are
 * skipped, a CR before the LF is dropped. Like age, a key with spaces around
 * it is refused (exit 2), so a file we accept works with `age -R`/`-i` too.
 */
export function keyLines(text: string, source: string): SourcedKey[] {
  const out: SourcedKey[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!
    if (line === '' || line.startsWith('#')) continue
    if (line.trim() !== line) throw new UsageError(`${source} line ${i + 1} has spaces around the key (age refuses them too)`, 'one key a line, nothing around it; "#" only at the start of a comment line')
    out.push({key: line, where: `${source} line ${i + 1}`})
  }
  return out
}

/** A key shortened for messages: a recipient is public, but a mistyped secret must not be echoed whole. */
function shown(key: string): string {
  const visible = key.replace(/[^\x20-\x7e]/g, '?')
  return visible.length > 16 ? `${visible.slice(0, 12)}…` : visible
}

function recipientProblem(key: string, err: unknown): string {
  if (/^AGE-SECRET-KEY-/i.test(key)) return 'this is a secret key (an identity), not a recipient: give its public key (age1…, "age-keygen -y KEYFILE" prints it)'
  if (/^(ssh-|ecdsa-)/.test(key)) return 'SSH keys are not supported as recipients: use an age key (age1…, made with age-keygen)'
  if (/^age1[a-z0-9]+1/.test(key) && !/^age1(pq|tag|tagpq)1/.test(key)) return 'age plugin recipients are not supported: use a native age key (age1…)'
  return `not a valid age recipient (${err instanceof Error ? err.message : String(err)})`
}

/**
 * Checks every recipient with the library (exit 2 naming the first bad one):
 * X25519 (`age1…`) and hybrid post-quantum (`age1pq1…`) keys.
 */
export async function validateRecipients(recipients: readonly SourcedKey[]): Promise<void> {
  if (recipients.length === 0) throw new UsageError('no age recipient given')
  const age = await loadTypage()
  for (const r of recipients) {
    try {
      new age.Encrypter().addRecipient(r.key)
    } catch (err) {
      throw new UsageError(`${r.where}: ${shown(r.key)}: ${recipientProblem(r.key, err)}`)
    }
  }
}

/**
 * Encrypts `plaintext` to every recipient (binary age, or armored text with
 * `armor`). Recipients are checked first (exit 2).
 */
export async function ageEncrypt(plaintext: Uint8Array, recipients: readonly SourcedKey[], opts: {armor: boolean}): Promise<Buffer> {
  await validateRecipients(recipients)
  const age = await loadTypage()
  const e = new age.Encrypter()
  for (const r of recipients) e.addRecipient(r.key)
  const sealed = await e.encrypt(plaintext)
  return opts.armor ? Buffer.from(age.armor.encode(sealed), 'latin1') : Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
}

/**
 * The identities of an identity file as `age-keygen` writes it (comments,
 * one `AGE-SECRET-KEY-1…` a line; `AGE-SECRET-KEY-PQ-1…` too). Exit 2 for
 * anything else, without echoing the line (it may be a secret).
 */
export function parseIdentities(text: string, source: string): SourcedKey[] {
  if (text.startsWith(AGE_MAGIC) || text.trimStart().startsWith(AGE_ARMOR_BEGIN)) {
    throw new UsageError(`${source} is a passphrase-protected identity file, which is not supported`, `decrypt it first ("age -d ${source} > key.txt", then keep key.txt as safe as the export)`)
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new UsageError(`${source} is an SSH or PEM private key; only age identities (AGE-SECRET-KEY-1…, from age-keygen) are supported`)
  const keys = keyLines(text, source)
  if (keys.length === 0) throw new UsageError(`${source} holds no age identity`, 'an identity file holds lines "AGE-SECRET-KEY-1…" as age-keygen writes them')
  for (const k of keys) {
    if (/^AGE-PLUGIN-/i.test(k.key)) throw new UsageError(`${k.where}: age plugin identities are not supported`)
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(k.key)) throw new UsageError(`${k.where} is not an age identity (AGE-SECRET-KEY-1…)`)
  }
  return keys
}

/**
 * Decrypts an age file (binary or armored) with the identities. Exit 2 when
 * none of them fits or the key is malformed, exit 4 when the file is damaged.
 */
export async function ageDecrypt(data: Uint8Array, identities: readonly SourcedKey[], source: string): Promise<Buffer> {
  const age = await loadTypage()
  const d = new age.Decrypter()
  for (const id of identities) {
    try {
      d.addIdentity(id.key)
    } catch (err) {
      throw new UsageError(`${id.where} is not a valid age identity (${err instanceof Error ? err.message : String(err)})`)
    }
  }
  let sealed: Uint8Array = data
  if (ageFileKind(data) === 'armor') {
    try {
      sealed = age.armor.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'))
    } catch (err) {
      throw new RecoverError(`${source} is not a valid armored age file (${err instanceof Error ? err.message : String(err)})`, ExitCode.CORRUPT)
    }
  }
  try {
    const plain = await d.decrypt(sealed)
    return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength)
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    if (/no identity matched/i.test(msg)) {
      throw new UsageError(`none of the identities given can decrypt ${source}`, 'give the identity file of one of the recipients it was encrypted to (--identity KEYFILE)')
    }
    throw new RecoverError(`cannot decrypt ${source}: ${msg}`, ExitCode.CORRUPT, 'the file is damaged or not an age file')
  }
}

/** Largest key file read (a recipients file of hybrid keys is ~2 KB a line). */
const MAX_KEY_FILE = 1 << 20

export interface KeyFileOptions {
  /**
   * The file decides where secrets go (a recipients file used by root): it
   * must be owned by root or by us and writable by nobody else.
   */
  trusted?: boolean
}

/**
 * Reads a small key file: never blocks (a FIFO is refused, not waited on),
 * only regular files, at most 1 MiB. `what` names it in messages.
 */
export function readKeyFile(path: string, what: string, opts: KeyFileOptions = {}): string {
  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`${what} not found: ${path}`)
    throw new RecoverError(`cannot open ${what} ${path}: ${(err as Error).message}`)
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`${what} ${path} is not a regular file`)
    if (st.size > MAX_KEY_FILE) throw new UsageError(`${what} ${path} is larger than 1 MiB: not a key file`)
    if (opts.trusted) {
      const uid = process.getuid?.()
      if (uid !== undefined && st.uid !== 0 && st.uid !== uid) throw new RecoverError(`${what} ${path} belongs to uid ${st.uid}, not to root or to this user: refusing to trust it`, ExitCode.ERROR, `chown root ${path}`)
      if ((st.mode & 0o022) !== 0) throw new RecoverError(`${what} ${path} is writable by its group or others (mode ${(st.mode & 0o777).toString(8)}): anyone could add a key to it`, ExitCode.ERROR, `chmod go-w ${path}`)
    }
    const buf = Buffer.alloc(st.size)
    let off = 0
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off).toString('utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/** Recipients from `--recipient` values and `--recipients-file` files, in that order, each key once. */
export function gatherRecipients(flags: {recipient?: readonly string[]; recipientsFile?: readonly string[]}, opts: KeyFileOptions = {}): SourcedKey[] {
  const out: SourcedKey[] = (flags.recipient ?? []).map((key, i) => ({key: key.trim(), where: `--recipient ${i + 1}`}))
  for (const file of flags.recipientsFile ?? []) {
    const keys = keyLines(readKeyFile(file, 'recipients file', opts), file)
    if (keys.length === 0) throw new UsageError(`recipients file ${file} holds no recipient`, 'one age public key (age1…) a line; # starts a comment')
    out.push(...keys)
  }
  // one key named twice (on the command line and in a file) is one recipient
  const seen = new Set<string>()
  return out.filter((k) => !seen.has(k.key) && seen.add(k.key) !== undefined)
}

/** The identities of `--identity` files. */
export function readIdentities(files: readonly string[]): SourcedKey[] {
  return files.flatMap((f) => parseIdentities(readKeyFile(f, 'identity file'), f))
}
