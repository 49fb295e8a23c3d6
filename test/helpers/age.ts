/**
 * The reference age CLI (Debian package `age`) as the independent
 * implementation the tests check our encryption against. A missing `age`
 * is a failure, never a skip (CI installs it through .ci/run).
 */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface AgeKey {
  /** the identity file age-keygen wrote (with its comment lines) */
  identityFile: string
  /** its public key, age1… */
  recipient: string
}

function run(cmd: string, args: string[], input?: Buffer | string): Buffer {
  const r = spawnSync(cmd, args, {input: input ?? '', maxBuffer: 1 << 28})
  if (r.error) throw new Error(`${cmd} cannot be run (${r.error.message}): install the Debian package "age"`)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`)
  return r.stdout
}

/** Asserts the CLI is there (throws when it is not). */
export function ageVersion(): string {
  return run('age', ['--version']).toString().trim()
}

/** A new key pair made by age-keygen, in `dir`. */
export function ageKeygen(dir: string, name: string): AgeKey {
  const identityFile = path.join(dir, `${name}.key`)
  run('age-keygen', ['-o', identityFile])
  const recipient = run('age-keygen', ['-y', identityFile]).toString().trim()
  return {identityFile, recipient}
}

/** `age -d -i …` of a file (binary or armored). */
export function ageDecryptCli(file: string, identityFiles: string[]): Buffer {
  return run('age', ['-d', ...identityFiles.flatMap((i) => ['-i', i]), file])
}

/** `age -d` expected to fail: its exit status and stderr. */
export function ageDecryptCliFails(file: string, identityFiles: string[]): {status: number | null; stderr: string} {
  const r = spawnSync('age', ['-d', ...identityFiles.flatMap((i) => ['-i', i]), file])
  return {status: r.status, stderr: r.stderr.toString()}
}

/** `age -r … [-a]` of bytes, written to `out`. */
export function ageEncryptCli(plaintext: Buffer | string, recipients: string[], out: string, opts: {armor?: boolean; recipientsFile?: string} = {}): void {
  const args = [...recipients.flatMap((r) => ['-r', r]), ...(opts.recipientsFile ? ['-R', opts.recipientsFile] : []), ...(opts.armor ? ['-a'] : []), '-o', out]
  run('age', args, plaintext)
  fs.chmodSync(out, 0o600)
}
