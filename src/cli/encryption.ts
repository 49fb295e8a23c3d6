/**
 * The age flags of the commands that write or read exports: `--recipient`
 * (repeatable), `--recipients-file`, `--armor` on the writers; `--identity`
 * on the readers. Plaintext goes in, an age file comes out (and back).
 */
import * as fs from 'node:fs'

import {Flags} from '@oclif/core'

import {ExitCode, NotFoundError, RecoverError, UsageError} from '../errors.js'
import {ageDecrypt, ageEncrypt, ageFileKind, gatherRecipients, readIdentities, validateRecipients, type SourcedKey} from '../platform/age.js'

export const recipientFlags = {
  recipient: Flags.string({char: 'r', description: 'age public key (age1…) to encrypt to; repeat for several', helpValue: 'AGE_PUBLIC_KEY', multiple: true}),
  'recipients-file': Flags.string({char: 'R', description: 'file of age public keys, one a line, # comments (as "age -R"); must be writable by its owner (root or you) only', helpValue: 'FILE', multiple: true}),
}

/** The writers' flags: the recipients and --armor. */
export const encryptFlags = {
  ...recipientFlags,
  armor: Flags.boolean({description: 'with recipients: write the age file as PEM-style text (-----BEGIN AGE ENCRYPTED FILE-----)', default: false}),
}

export const identityFlag = Flags.string({
  description: 'age identity file (AGE-SECRET-KEY-1…, as age-keygen writes it) to decrypt an encrypted input; repeatable',
  helpValue: 'KEYFILE',
  multiple: true,
})

/** How an export is sealed: the recipients (none: plaintext) and the armor. */
export interface Sealing {
  recipients: SourcedKey[]
  armor: boolean
}

/** The recipients of the flags, checked (exit 2 for a bad key, before anything is read or written). */
export async function sealingFromFlags(flags: {recipient?: string[]; 'recipients-file'?: string[]; armor?: boolean}): Promise<Sealing | undefined> {
  const recipients = gatherRecipients({recipient: flags.recipient, recipientsFile: flags['recipients-file']}, {trusted: true})
  if (recipients.length === 0) {
    if (flags.armor) throw new UsageError('--armor goes with --recipient or --recipients-file')
    return undefined
  }
  await validateRecipients(recipients)
  return {recipients, armor: flags.armor ?? false}
}

/** Encrypts verified plaintext. */
export function seal(plaintext: string, s: Sealing): Promise<Buffer> {
  return ageEncrypt(Buffer.from(plaintext, 'utf8'), s.recipients, {armor: s.armor})
}

/** Binary age output to a terminal helps nobody (and can upset it): refuse it like age does. */
export function refuseBinaryToTerminal(s: Sealing | undefined): void {
  if (s !== undefined && !s.armor && process.stdout.isTTY) {
    throw new UsageError('refusing to print a binary age file to a terminal', 'add --armor, or redirect the output to a file')
  }
}

/** "encrypted to 2 recipient(s)" or nothing. */
export function sealedNote(s: Sealing | undefined): string {
  return s === undefined ? '' : `, encrypted to ${s.recipients.length} recipient(s)${s.armor ? ' (armored)' : ''}`
}

/**
 * The contents of an input file (an export, a rescue output, a text file):
 * decrypted with the `--identity` files when it is an age file (exit 2 when
 * it is and none was given), as is otherwise. Never blocks on a FIFO.
 */
export async function readInputFile(file: string, identityFiles: readonly string[] | undefined, what = 'file'): Promise<{bytes: Buffer; encrypted: boolean}> {
  let bytes: Buffer
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`${what} not found: ${file}`)
    throw new RecoverError(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new RecoverError(`${file} is not a regular file`, ExitCode.USAGE)
    bytes = fs.readFileSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  if (ageFileKind(bytes) === null) return {bytes, encrypted: false}
  if (identityFiles === undefined || identityFiles.length === 0) {
    throw new UsageError(`${file} is encrypted (age): give the identity to decrypt it with --identity KEYFILE`, 'the key file of one of its recipients, as age-keygen wrote it')
  }
  return {bytes: await ageDecrypt(bytes, readIdentities(identityFiles), file), encrypted: true}
}
