/**
 * Secrets sweep over every command: tokens (the file's raw tokens, tokens given
 * on stdin or in a file, tokens the tool generates) and passwords (and the
 * file's bcrypt hashes) never show up where they do not belong: stdout,
 * stderr, the audit log, file names (backups, exports, anything created), in
 * success and in failure (bad flags, unknown IDs, a locked file). They appear
 * only where printing them is the command's job:
 *  - engine commands reading the buckets that hold them (bolt keys/get/dump);
 *  - auth list without --redact; auth export/rescue to stdout (--output -);
 *  - the export/rescue file itself (0600, never overwritten);
 *  - the new token of create-operator/create/rotate, exactly once on stdout.
 * Secrets never come from argv: no flag takes one, a flag or argument that
 * tries is a usage error that does not echo it, and a run's argv/environment
 * hold none while it works.
 */
import {randomBytes} from 'node:crypto'
import * as fs from 'node:fs'
import {join, relative} from 'node:path'

import {Config, Parser, Flags, Args} from '@oclif/core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {describeError} from '../../src/cli/base-command.js'
import {copyInto, errorLines, inPool, makeTempDir, removeDir, runCli, runCliAsync, sha256, type CliResult} from '../helpers/cli.js'
import {fixture, holdWithBbolt, oracleDump, ROOT} from '../helpers/oracle.js'

const FIXTURE = fixture('influxd-v2.8-v2.9.bolt')
const OPERATOR_ID = '08371db24dcc8000'
const READ_ID = '08371deae98c8000'
const USER_ID = '08371db1dd8c8000'
const AUDIT = 'influx-recover.audit.jsonl'
/** influxd's token shape: 64 bytes, padded base64url */
const TOKEN_RE = /[A-Za-z0-9_-]{86}==/g

const newToken = (): string => `${randomBytes(64).toString('base64url')}==`
const newPassword = (n: number): string => `pw ${n} correct-horse-${randomBytes(6).toString('hex')}`

/** The file's secrets as Go reads them: raw tokens and bcrypt password hashes. */
function fileSecrets(path: string): {tokens: string[]; bcrypt: string[]} {
  const tokens: string[] = []
  const bcrypt: string[] = []
  for (const line of oracleDump(path)) {
    const r = JSON.parse(line) as {type: string; path: string[]; value?: string}
    if (r.type !== 'kv') continue
    const bucket = Buffer.from(r.path[0]!, 'base64').toString()
    const value = Buffer.from(r.value!, 'base64').toString()
    if (bucket === 'authorizationsv1') {
      const t = (JSON.parse(value) as {token?: string}).token
      if (t) tokens.push(t)
    } else if (bucket === 'userspasswordv1') bcrypt.push(value)
  }
  return {tokens, bcrypt}
}

let base: string
let inDir: string
let rawFile: string
let hashedFile: string
let FILE_TOKENS: string[]
let BCRYPT: string[]

const count = (text: string, s: string): number => text.split(s).length - 1

interface Ctx {
  dir: string
  db: string
  out: (name: string) => string
  input: (name: string) => string
}

type Db = 'raw' | 'hashed'

interface Case {
  name: string
  command: string
  db?: Db
  args: (c: Ctx) => string[]
  /** stdin; may use the case's given secrets */
  input?: string
  status: number
  /** secrets this case hands the tool (stdin, files) */
  given?: string[]
  /**
   * what stdout may show: 'file-tokens' (and must: every raw token of the file), 'new-token'
   * (the new token, exactly once; generated ones are found by their shape), 'engine' (any of the
   * file's secrets: the command prints buckets that hold them)
   */
  stdout?: 'file-tokens' | 'new-token' | 'engine'
  /** files the case makes its output to: they may hold tokens, must be 0600 */
  outputs?: (c: Ctx) => string[]
  prepare?: (c: Ctx) => void
  check?: (r: CliResult, c: Ctx) => void
  /** held by Go bbolt while it runs */
  locked?: boolean
  /** exit 1 is a report's verdict (doctor: a check FAILed), not an error line */
  report?: boolean
}

const T = Array.from({length: 40}, newToken)
const P = Array.from({length: 10}, (_, i) => newPassword(i))
const STALE_EXPORT = 'stale-export.yaml'

const CASES: Case[] = [
  // bolt: engine-level
  {name: 'bolt check', command: 'bolt check', args: (c) => ['bolt', 'check', c.db], status: 0},
  {name: 'bolt info --json', command: 'bolt info', args: (c) => ['bolt', 'info', c.db, '--json'], status: 0},
  {name: 'bolt buckets', command: 'bolt buckets', args: (c) => ['bolt', 'buckets', c.db], status: 0},
  {name: 'bolt keys usersv1', command: 'bolt keys', args: (c) => ['bolt', 'keys', c.db, '--bucket', 'usersv1'], status: 0},
  {name: 'bolt keys of the token index (its job)', command: 'bolt keys', args: (c) => ['bolt', 'keys', c.db, '--bucket', 'authorizationindexv1'], status: 0, stdout: 'engine'},
  {name: 'bolt get of a token record (its job)', command: 'bolt get', args: (c) => ['bolt', 'get', c.db, '--bucket', 'authorizationsv1', '--key', OPERATOR_ID], status: 0, stdout: 'engine'},
  {name: 'bolt get missing key', command: 'bolt get', args: (c) => ['bolt', 'get', c.db, '--bucket', 'authorizationsv1', '--key', '0000000000000001'], status: 5},
  {name: 'bolt dump (its job)', command: 'bolt dump', args: (c) => ['bolt', 'dump', c.db], status: 0, stdout: 'engine'},
  {name: 'bolt apply', command: 'bolt apply', args: (c) => ['bolt', 'apply', c.db, '--ops', c.input('ops.jsonl'), '--yes', '--json'], status: 0},
  {name: 'bolt apply, missing bucket', command: 'bolt apply', args: (c) => ['bolt', 'apply', c.db, '--ops', c.input('bad-ops.jsonl'), '--yes'], status: 5},
  {name: 'bolt compact', command: 'bolt compact', args: (c) => ['bolt', 'compact', c.db, '--out', c.out('compact.bolt')], status: 0},
  {name: 'bolt load of an influxd dump', command: 'bolt load', args: (c) => ['bolt', 'load', '--from', c.input('dump.jsonl'), '--out', c.out('loaded.bolt')], status: 0},
  {name: 'bolt load, a bad line holding a token', command: 'bolt load', args: (c) => ['bolt', 'load', '--from', c.input('bad-dump.jsonl'), '--out', c.out('loaded.bolt')], status: 2},
  // locate, doctor
  {name: 'locate', command: 'locate', args: (c) => ['locate', '--bolt-path', c.db, '--json'], status: 0},
  {name: 'doctor (raw tokens)', command: 'doctor', args: (c) => ['doctor', '--bolt-path', c.db], status: 0},
  {name: 'doctor (hashed, plaintext remnants)', command: 'doctor', db: 'hashed', args: (c) => ['doctor', '--bolt-path', c.db, '--json'], status: 1, report: true, check: (r) => expect(r.stdout).toContain('remnants')},
  // auth list
  {name: 'auth list (its job: raw tokens)', command: 'auth list', args: (c) => ['auth', 'list', '--bolt-path', c.db], status: 0, stdout: 'file-tokens'},
  {name: 'auth list --format json', command: 'auth list', args: (c) => ['auth', 'list', '--bolt-path', c.db, '--format', 'json'], status: 0, stdout: 'file-tokens'},
  ...(['table', 'influxd', 'json', 'yaml', 'csv'] as const).map((format): Case => ({
    name: `auth list --redact --format ${format}`, command: 'auth list', args: (c) => ['auth', 'list', '--bolt-path', c.db, '--redact', '--format', format], status: 0,
    check: (r) => expect(r.stdout).toContain(OPERATOR_ID),
  })),
  {name: 'auth list --json --redact', command: 'auth list', args: (c) => ['auth', 'list', '--bolt-path', c.db, '--json', '--redact'], status: 0},
  {name: 'auth list --operator --redact (hashed file)', command: 'auth list', db: 'hashed', args: (c) => ['auth', 'list', '--bolt-path', c.db, '--operator', '--redact'], status: 0},
  // auth create-operator
  {name: 'auth create-operator (generated)', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg'], status: 0, stdout: 'new-token'},
  {name: 'auth create-operator --json (generated, hashed file)', command: 'auth create-operator', db: 'hashed', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--json'], status: 0, stdout: 'new-token'},
  {name: 'auth create-operator --token-stdin', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], input: `${T[0]}\n`, given: [T[0]!], status: 0, stdout: 'new-token'},
  {name: 'auth create-operator --token-file --hashed', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-file', c.input('token-1.txt'), '--hashed', '--json'], given: [T[1]!], status: 0, stdout: 'new-token'},
  {name: 'auth create-operator --dry-run --token-stdin', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--dry-run'], input: `${T[2]}\n`, given: [T[2]!], status: 0},
  {name: 'auth create-operator, token already in use', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], input: 'FILE_TOKEN_0', status: 1},
  {name: 'auth create-operator, unknown user', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'nobody', '--org', 'myorg', '--token-stdin'], input: `${T[3]}\n`, given: [T[3]!], status: 5},
  {name: 'auth create-operator, empty stdin', command: 'auth create-operator', args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin'], status: 2},
  // auth create
  {name: 'auth create --all-access --json (generated)', command: 'auth create', args: (c) => ['auth', 'create', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--all-access', '--json'], status: 0, stdout: 'new-token'},
  {name: 'auth create --read-buckets --token-stdin', command: 'auth create', args: (c) => ['auth', 'create', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--read-buckets', '--token-stdin'], input: `${T[4]}\n`, given: [T[4]!], status: 0, stdout: 'new-token'},
  {name: 'auth create --dry-run --token-file', command: 'auth create', args: (c) => ['auth', 'create', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--operator', '--dry-run', '--json', '--token-file', c.input('token-5.txt')], given: [T[5]!], status: 0},
  {name: 'auth create, no permissions', command: 'auth create', args: (c) => ['auth', 'create', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--token-stdin'], input: `${T[6]}\n`, given: [T[6]!], status: 2},
  // auth rotate: the old value (a file token) must not appear, the new one once
  {name: 'auth rotate (generated)', command: 'auth rotate', args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', READ_ID, '--yes'], status: 0, stdout: 'new-token'},
  {name: 'auth rotate --token-file --json (hashed file)', command: 'auth rotate', db: 'hashed', args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', READ_ID, '--yes', '--json', '--token-file', c.input('token-7.txt')], given: [T[7]!], status: 0, stdout: 'new-token'},
  {name: 'auth rotate --dry-run --token-stdin', command: 'auth rotate', args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', READ_ID, '--dry-run', '--token-stdin'], input: `${T[8]}\n`, given: [T[8]!], status: 0},
  {name: 'auth rotate, unknown ID', command: 'auth rotate', args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', '0000000000000001', '--yes', '--token-stdin'], input: `${T[9]}\n`, given: [T[9]!], status: 5},
  {name: 'auth rotate, no --yes', command: 'auth rotate', args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', READ_ID, '--token-stdin'], input: `${T[10]}\n`, given: [T[10]!], status: 2},
  // status changes, delete
  {name: 'auth inactive', command: 'auth inactive', args: (c) => ['auth', 'inactive', '--bolt-path', c.db, '--id', READ_ID, '--yes', '--json'], status: 0},
  {name: 'auth inactive, no --yes', command: 'auth inactive', args: (c) => ['auth', 'inactive', '--bolt-path', c.db, '--id', READ_ID], status: 2},
  {name: 'auth active (already active)', command: 'auth active', args: (c) => ['auth', 'active', '--bolt-path', c.db, '--id', OPERATOR_ID], status: 0},
  {name: 'auth active, unknown ID', command: 'auth active', args: (c) => ['auth', 'active', '--bolt-path', c.db, '--id', '0000000000000001'], status: 5},
  {name: 'auth delete', command: 'auth delete', args: (c) => ['auth', 'delete', '--bolt-path', c.db, '--id', READ_ID, '--yes'], status: 0},
  {name: 'auth delete, last operator', command: 'auth delete', db: 'hashed', args: (c) => ['auth', 'delete', '--bolt-path', c.db, '--id', OPERATOR_ID, '--yes'], status: 1},
  // export
  ...(['yaml', 'json', 'csv', 'env'] as const).map((format): Case => ({
    name: `auth export --format ${format} (the file's job)`, command: 'auth export', args: (c) => ['auth', 'export', '--bolt-path', c.db, '--output', c.out(`tokens.${format}`), '--format', format], status: 0,
    outputs: (c) => [c.out(`tokens.${format}`)],
  })),
  {name: 'auth export --output - (its job)', command: 'auth export', args: (c) => ['auth', 'export', '--bolt-path', c.db, '--output', '-'], status: 0, stdout: 'file-tokens'},
  {
    name: 'auth export onto an existing file', command: 'auth export', args: (c) => ['auth', 'export', '--bolt-path', c.db, '--output', c.out(STALE_EXPORT)], status: 1,
    prepare: (c) => fs.writeFileSync(c.out(STALE_EXPORT), 'old content\n', {mode: 0o640}),
    check: (_r, c) => expect(fs.readFileSync(c.out(STALE_EXPORT), 'utf8')).toBe('old content\n'),
  },
  // hash-upgrade, scrub
  {name: 'auth hash-upgrade --export (the file\'s job)', command: 'auth hash-upgrade', args: (c) => ['auth', 'hash-upgrade', '--bolt-path', c.db, '--export', c.out('before-hashing.yaml'), '--yes'], status: 0, outputs: (c) => [c.out('before-hashing.yaml')]},
  {name: 'auth hash-upgrade --skip-export --json', command: 'auth hash-upgrade', args: (c) => ['auth', 'hash-upgrade', '--bolt-path', c.db, '--skip-export', '--yes', '--json'], status: 0},
  {
    name: 'auth hash-upgrade --export onto an existing file', command: 'auth hash-upgrade', args: (c) => ['auth', 'hash-upgrade', '--bolt-path', c.db, '--export', c.out(STALE_EXPORT), '--yes'], status: 1,
    prepare: (c) => fs.writeFileSync(c.out(STALE_EXPORT), 'old content\n', {mode: 0o640}),
    check: (_r, c) => {
      expect(fs.readFileSync(c.out(STALE_EXPORT), 'utf8')).toBe('old content\n')
      expect(sha256(c.db)).toBe(sha256(rawFile))
    },
  },
  {name: 'auth scrub (hashed, remnants)', command: 'auth scrub', db: 'hashed', args: (c) => ['auth', 'scrub', '--bolt-path', c.db, '--backup', '--json'], status: 0},
  // verify
  {name: 'auth verify --token-stdin (a file token)', command: 'auth verify', args: (c) => ['auth', 'verify', '--bolt-path', c.db, '--token-stdin'], input: 'FILE_TOKEN_1', status: 0, check: (r) => expect(r.stdout).toContain(READ_ID)},
  {name: 'auth verify --token-file --json (hashed file)', command: 'auth verify', db: 'hashed', args: (c) => ['auth', 'verify', '--bolt-path', c.db, '--token-file', c.input('file-token-0.txt'), '--json'], status: 0},
  {name: 'auth verify, unknown token', command: 'auth verify', args: (c) => ['auth', 'verify', '--bolt-path', c.db, '--token-file', c.input('token-11.txt')], given: [T[11]!], status: 5},
  {name: 'auth verify, two lines on stdin', command: 'auth verify', args: (c) => ['auth', 'verify', '--bolt-path', c.db, '--token-stdin'], input: `${T[12]}\n${T[13]}\n`, given: [T[12]!, T[13]!], status: 2},
  // rescue, restore-plaintext (on the hashed file)
  {name: 'auth rescue, summary only', command: 'auth rescue', db: 'hashed', args: (c) => ['auth', 'rescue', '--bolt-path', c.db, '--from', c.input('other.bolt')], status: 0},
  {name: 'auth rescue --output FILE (the file\'s job)', command: 'auth rescue', db: 'hashed', args: (c) => ['auth', 'rescue', '--bolt-path', c.db, '--from', c.input('other.bolt'), '--output', c.out('rescued.json')], status: 0, outputs: (c) => [c.out('rescued.json')]},
  {name: 'auth rescue --output - (its job)', command: 'auth rescue', db: 'hashed', args: (c) => ['auth', 'rescue', '--bolt-path', c.db, '--from', c.input('other.bolt'), '--output', '-'], status: 0, stdout: 'file-tokens'},
  {
    name: 'auth rescue onto an existing file', command: 'auth rescue', db: 'hashed', args: (c) => ['auth', 'rescue', '--bolt-path', c.db, '--from', c.input('other.bolt'), '--output', c.out(STALE_EXPORT)], status: 1,
    prepare: (c) => fs.writeFileSync(c.out(STALE_EXPORT), 'old content\n', {mode: 0o640}),
    check: (_r, c) => expect(fs.readFileSync(c.out(STALE_EXPORT), 'utf8')).toBe('old content\n'),
  },
  {name: 'auth rescue, nothing matches', command: 'auth rescue', db: 'hashed', args: (c) => ['auth', 'rescue', '--bolt-path', c.db, '--from', c.input('token-14.txt')], given: [T[14]!], status: 5},
  {name: 'auth restore-plaintext', command: 'auth restore-plaintext', db: 'hashed', args: (c) => ['auth', 'restore-plaintext', '--bolt-path', c.db, '--from', c.input('export.yaml'), '--yes'], status: 0},
  {name: 'auth restore-plaintext --dry-run --json', command: 'auth restore-plaintext', db: 'hashed', args: (c) => ['auth', 'restore-plaintext', '--bolt-path', c.db, '--from', c.input('export.yaml'), '--dry-run', '--json'], status: 0},
  // nothing matches, so every hashed token is left uncovered: exit 5 naming them (with --allow-partial: exit 1)
  {name: 'auth restore-plaintext, no match', command: 'auth restore-plaintext', db: 'hashed', args: (c) => ['auth', 'restore-plaintext', '--bolt-path', c.db, '--from', c.input('token-15.txt'), '--yes'], given: [T[15]!], status: 5},
  {name: 'auth restore-plaintext, no match, --allow-partial', command: 'auth restore-plaintext', db: 'hashed', args: (c) => ['auth', 'restore-plaintext', '--bolt-path', c.db, '--from', c.input('token-15.txt'), '--yes', '--allow-partial'], given: [T[15]!], status: 1},
  // users, orgs
  {name: 'user list --json', command: 'user list', args: (c) => ['user', 'list', '--bolt-path', c.db, '--json'], status: 0},
  {name: 'user create --password-stdin', command: 'user create', args: (c) => ['user', 'create', '--bolt-path', c.db, '--username', 'alice', '--password-stdin', '--json'], input: `${P[0]}\n`, given: [P[0]!], status: 0},
  {name: 'user create --password-file --owner-of', command: 'user create', args: (c) => ['user', 'create', '--bolt-path', c.db, '--username', 'bob', '--password-file', c.input('password-1.txt'), '--owner-of', 'myorg'], given: [P[1]!], status: 0},
  {name: 'user create --dry-run', command: 'user create', args: (c) => ['user', 'create', '--bolt-path', c.db, '--username', 'carol', '--password-stdin', '--dry-run'], input: `${P[2]}\n`, given: [P[2]!], status: 0},
  {name: 'user create, password too short', command: 'user create', args: (c) => ['user', 'create', '--bolt-path', c.db, '--username', 'dave', '--password-stdin'], input: 'short7\n', given: ['short7'], status: 2},
  {name: 'user create, name taken', command: 'user create', args: (c) => ['user', 'create', '--bolt-path', c.db, '--username', 'testuser', '--password-stdin'], input: `${P[3]}\n`, given: [P[3]!], status: 1},
  {name: 'user set-password', command: 'user set-password', args: (c) => ['user', 'set-password', '--bolt-path', c.db, '--username', 'testuser', '--password-stdin', '--json'], input: `${P[4]}\n`, given: [P[4]!], status: 0},
  {name: 'user set-password, unknown user', command: 'user set-password', args: (c) => ['user', 'set-password', '--bolt-path', c.db, '--username', 'nobody', '--password-stdin'], input: `${P[5]}\n`, given: [P[5]!], status: 5},
  {name: 'user update --id --password-file', command: 'user update', args: (c) => ['user', 'update', '--bolt-path', c.db, '--id', USER_ID, '--password-file', c.input('password-6.txt')], given: [P[6]!], status: 0},
  {name: 'user rename', command: 'user rename', args: (c) => ['user', 'rename', '--bolt-path', c.db, '--username', 'testuser', '--name', 'renamed', '--yes', '--json'], status: 0},
  {name: 'user inactive --force', command: 'user inactive', args: (c) => ['user', 'inactive', '--bolt-path', c.db, '--username', 'testuser', '--force', '--yes'], status: 0},
  {name: 'user inactive, last operator', command: 'user inactive', args: (c) => ['user', 'inactive', '--bolt-path', c.db, '--username', 'testuser', '--yes'], status: 1},
  {name: 'user active (already active)', command: 'user active', args: (c) => ['user', 'active', '--bolt-path', c.db, '--id', USER_ID, '--json'], status: 0},
  {name: 'user delete --force (tokens go too)', command: 'user delete', args: (c) => ['user', 'delete', '--bolt-path', c.db, '--username', 'testuser', '--force', '--yes'], status: 0},
  {name: 'user delete --force --dry-run --json (hashed file)', command: 'user delete', db: 'hashed', args: (c) => ['user', 'delete', '--bolt-path', c.db, '--username', 'testuser', '--force', '--dry-run', '--json'], status: 0},
  {name: 'user delete, owns tokens', command: 'user delete', args: (c) => ['user', 'delete', '--bolt-path', c.db, '--username', 'testuser', '--yes'], status: 1},
  {name: 'auth update --dry-run', command: 'auth update', args: (c) => ['auth', 'update', '--bolt-path', c.db, '--id', READ_ID, '--read-bucket', '7451ab8b9b7df592', '--dry-run'], status: 0},
  {name: 'auth update --json (hashed file)', command: 'auth update', db: 'hashed', args: (c) => ['auth', 'update', '--bolt-path', c.db, '--id', READ_ID, '--description', 'x', '--yes', '--json'], status: 0},
  {name: 'v1 auth create --password-stdin', command: 'v1 auth create', args: (c) => ['v1', 'auth', 'create', '--bolt-path', c.db, '--username', 'grafana', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-stdin', '--json'], input: `${P[8]}\n`, given: [P[8]!], status: 0},
  {name: 'v1 auth create --password-file --dry-run', command: 'v1 auth create', args: (c) => ['v1', 'auth', 'create', '--bolt-path', c.db, '--username', 'grafana', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-file', c.input('password-9.txt'), '--dry-run'], given: [P[9]!], status: 0},
  {name: 'v1 auth create, password too short', command: 'v1 auth create', args: (c) => ['v1', 'auth', 'create', '--bolt-path', c.db, '--username', 'grafana', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-stdin'], input: 'short77\n', given: ['short77'], status: 2},
  {
    name: 'v1 auth set-password, list, set-inactive, set-active, delete', command: 'v1 auth set-password',
    prepare: (c) => {
      const r = runCli(['v1', 'auth', 'create', '--bolt-path', c.db, '--username', 'grafana', '--org', 'myorg', '--read-bucket', '7451ab8b9b7df592', '--password-file', c.input('password-0.txt'), '--no-backup'])
      expect(r.status, r.stderr).toBe(0)
    },
    args: (c) => ['v1', 'auth', 'set-password', '--bolt-path', c.db, '--username', 'grafana', '--password-file', c.input('password-1.txt'), '--json'],
    given: [P[0]!, P[1]!],
    status: 0,
    check: (_r, c) => {
      for (const args of [['list'], ['list', '--json'], ['list', '--format', 'yaml'], ['set-inactive', '--username', 'grafana', '--yes'], ['set-active', '--username', 'grafana', '--json'], ['delete', '--username', 'grafana', '--yes', '--json']]) {
        const r = runCli(['v1', 'auth', ...args, '--bolt-path', c.db])
        expect(r.status, r.stderr).toBe(0)
        for (const out of [r.stdout, r.stderr]) {
          expect(out).not.toMatch(/\$2[aby]\$/)
          for (const pw of P) expect(out.includes(pw)).toBe(false)
        }
      }
    },
  },
  {name: 'v1 auth list (no logins)', command: 'v1 auth list', args: (c) => ['v1', 'auth', 'list', '--bolt-path', c.db, '--json'], status: 0},
  {name: 'v1 auth set-active, unknown', command: 'v1 auth set-active', args: (c) => ['v1', 'auth', 'set-active', '--bolt-path', c.db, '--username', 'nobody'], status: 5},
  {name: 'v1 auth set-inactive, unknown', command: 'v1 auth set-inactive', args: (c) => ['v1', 'auth', 'set-inactive', '--bolt-path', c.db, '--id', '0000000000001000', '--yes'], status: 5},
  {name: 'v1 auth delete, unknown', command: 'v1 auth delete', args: (c) => ['v1', 'auth', 'delete', '--bolt-path', c.db, '--username', 'nobody', '--yes'], status: 5},
  {name: 'org list --format yaml', command: 'org list', args: (c) => ['org', 'list', '--bolt-path', c.db, '--format', 'yaml'], status: 0},
  // the guard: its export holds the tokens (0600), its manifest and everything it prints none
  {
    name: 'guard run --plaintext-exports (the export\'s job)', command: 'guard run', args: (c) => ['guard', 'run', '--bolt-path', c.db, '--export-dir', c.out('exports'), '--plaintext-exports'], status: 0,
    check: (r, c) => {
      expect(r.stdout).toMatch(/^influx-recover guard: captured 2 raw token\(s\)/)
      const names = fs.readdirSync(c.out('exports'))
      const exported = names.find((n) => n.endsWith('.yaml'))!
      expect(fs.statSync(join(c.out('exports'), exported)).mode & 0o777).toBe(0o600)
      const text = fs.readFileSync(join(c.out('exports'), exported), 'utf8')
      for (const t of FILE_TOKENS) expect(text).toContain(t)
      const manifest = fs.readFileSync(join(c.out('exports'), names.find((n) => n.endsWith('.manifest.json'))!), 'utf8')
      for (const t of FILE_TOKENS) expect(manifest).not.toContain(t)
    },
  },
  {name: 'guard run, locked: exit 0, one line', command: 'guard run', locked: true, args: (c) => ['guard', 'run', '--bolt-path', c.db, '--export-dir', c.out('exports'), '--plaintext-exports'], status: 0, check: (r) => expect(r.stderr).toMatch(/^influx-recover guard: .* is locked/)},
  {name: 'guard install --plaintext-exports', command: 'guard install', args: (c) => ['guard', 'install', '--bolt-path', c.db, '--systemd-dir', c.out('systemd'), '--export-dir', c.out('exports'), '--plaintext-exports'], status: 0, prepare: (c) => fs.mkdirSync(c.out('systemd'))},
  {name: 'guard status --json (nothing captured: exit 1)', command: 'guard status', args: (c) => ['guard', 'status', '--bolt-path', c.db, '--systemd-dir', c.out('systemd'), '--export-dir', c.out('exports'), '--json'], status: 1, report: true},
  {name: 'guard uninstall (not installed)', command: 'guard uninstall', args: (c) => ['guard', 'uninstall', '--systemd-dir', c.out('systemd')], status: 0},
  {name: 'org create --owner --json', command: 'org create', args: (c) => ['org', 'create', '--bolt-path', c.db, '--name', 'secret-org', '--owner', 'testuser', '--json'], status: 0},
  {name: 'org members list', command: 'org members list', args: (c) => ['org', 'members', 'list', '--bolt-path', c.db, '--org', 'myorg'], status: 0},
  {name: 'org members add, already an owner', command: 'org members add', args: (c) => ['org', 'members', 'add', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--owner', '--dry-run'], status: 0},
  {name: 'org members remove, last owner', command: 'org members remove', args: (c) => ['org', 'members', 'remove', '--bolt-path', c.db, '--org', 'myorg', '--user', 'testuser', '--yes'], status: 1},
  {name: 'bucket list --format csv', command: 'bucket list', args: (c) => ['bucket', 'list', '--bolt-path', c.db, '--format', 'csv'], status: 0},
  {name: 'bucket repair-meta, nothing to do', command: 'bucket repair-meta', args: (c) => ['bucket', 'repair-meta', '--bolt-path', c.db, '--id', 'a4400ee87566e12a', '--json'], status: 0},
  // a locked file (influxd running): secrets read first, then exit 3
  {name: 'locked: auth create-operator --token-stdin', command: 'auth create-operator', locked: true, args: (c) => ['auth', 'create-operator', '--bolt-path', c.db, '--username', 'testuser', '--org', 'myorg', '--token-stdin', '--lock-timeout', '2'], input: `${T[16]}\n`, given: [T[16]!], status: 3},
  {name: 'locked: auth verify --token-stdin', command: 'auth verify', locked: true, args: (c) => ['auth', 'verify', '--bolt-path', c.db, '--token-stdin', '--lock-timeout', '2'], input: `${T[17]}\n`, given: [T[17]!], status: 3},
  {name: 'locked: user set-password --password-stdin', command: 'user set-password', locked: true, args: (c) => ['user', 'set-password', '--bolt-path', c.db, '--username', 'testuser', '--password-stdin', '--lock-timeout', '2'], input: `${P[7]}\n`, given: [P[7]!], status: 3},
  {name: 'locked: auth rotate --token-file', command: 'auth rotate', locked: true, args: (c) => ['auth', 'rotate', '--bolt-path', c.db, '--id', READ_ID, '--yes', '--token-file', c.input('token-18.txt'), '--lock-timeout', '2'], given: [T[18]!], status: 3},
]

interface Outcome {
  r: CliResult
  ctx: Ctx
  /** the new token a create/rotate printed (given or generated) */
  newToken?: string
  /** every file below the case's directory after the run (relative) */
  files: string[]
  audit: string
  /** argv + environment of the run, read from /proc while it waited for the lock (locked cases) */
  procSeen?: string
}

const outcomes = new Map<string, Outcome>()
let elapsedMs = 0

function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      out.push(relative(dir, p))
      if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return out.sort()
}

function resolveInput(input: string | undefined): string | undefined {
  if (input === undefined) return undefined
  return input.replace(/FILE_TOKEN_(\d)/g, (_m, i: string) => `${FILE_TOKENS[Number(i)]}\n`)
}

async function runCase(c: Case, i: number): Promise<Outcome> {
  const dir = join(base, `case-${String(i).padStart(2, '0')}`)
  fs.mkdirSync(join(dir, 'db'), {recursive: true})
  fs.mkdirSync(join(dir, 'out'))
  const db = copyInto(c.db === 'hashed' ? hashedFile : rawFile, join(dir, 'db'), 'influxd.bolt')
  const ctx: Ctx = {dir, db, out: (n) => join(dir, 'out', n), input: (n) => join(inDir, n)}
  c.prepare?.(ctx)
  const holder = c.locked ? await holdWithBbolt(db) : undefined
  let procSeen: string | undefined
  let pid: number | undefined
  let poll: NodeJS.Timeout | undefined
  if (holder) {
    procSeen = ''
    poll = setInterval(() => {
      if (pid === undefined) return
      try {
        procSeen += `${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')}\n${fs.readFileSync(`/proc/${pid}/environ`, 'utf8')}\n`
      } catch {
        // exited
      }
    }, 100)
  }
  let r: CliResult
  try {
    r = await runCliAsync(c.args(ctx), {input: resolveInput(c.input), cwd: join(dir, 'out'), onSpawn: (p) => (pid = p)})
  } finally {
    if (poll) clearInterval(poll)
    await holder?.release()
  }
  const auditPath = join(dir, 'db', AUDIT)
  const o: Outcome = {r, ctx, files: listFiles(dir), audit: fs.existsSync(auditPath) ? fs.readFileSync(auditPath, 'utf8') : '', procSeen}
  if (c.stdout === 'new-token') {
    const shapes = [...new Set(r.stdout.match(TOKEN_RE) ?? [])]
    o.newToken = c.given?.[0] ?? shapes[0]
  }
  return o
}

describe('secrets sweep over every command', () => {
  beforeAll(async () => {
    base = makeTempDir('ir-secrets-')
    inDir = join(base, 'in')
    fs.mkdirSync(inDir)
    rawFile = copyInto(FIXTURE, inDir, 'raw.bolt')
    ;({tokens: FILE_TOKENS, bcrypt: BCRYPT} = fileSecrets(rawFile))
    expect(FILE_TOKENS).toHaveLength(2)
    expect(BCRYPT).toHaveLength(1)
    copyInto(FIXTURE, inDir, 'other.bolt')
    // the hashed file: hashed by the tool without scrubbing, so plaintext remnants remain in free pages
    const hdir = join(base, 'hashed')
    fs.mkdirSync(hdir)
    hashedFile = copyInto(FIXTURE, hdir, 'influxd.bolt')
    const hu = runCli(['auth', 'hash-upgrade', '--bolt-path', hashedFile, '--skip-export', '--yes', '--no-scrub', '--no-backup'])
    expect(hu.status, hu.stderr).toBe(0)
    const exp = runCli(['auth', 'export', '--bolt-path', rawFile, '--output', join(inDir, 'export.yaml')])
    expect(exp.status, exp.stderr).toBe(0)
    const dump = runCli(['bolt', 'dump', rawFile])
    fs.writeFileSync(join(inDir, 'dump.jsonl'), dump.stdout)
    fs.writeFileSync(join(inDir, 'bad-dump.jsonl'), `${JSON.stringify({type: 'bucket', path: ['a'], sequence: 0})}\n${JSON.stringify({type: 'kv', path: ['a'], key: FILE_TOKENS[0]})}\n`)
    fs.writeFileSync(join(inDir, 'ops.jsonl'), `${JSON.stringify({op: 'put', path: ['usersv1'], key: 'k', value: 'v'})}\n`)
    fs.writeFileSync(join(inDir, 'bad-ops.jsonl'), `${JSON.stringify({op: 'put', path: ['no-such-bucket'], key: 'k', value: FILE_TOKENS[0]})}\n`)
    T.forEach((t, i) => fs.writeFileSync(join(inDir, `token-${i}.txt`), `${t}\n`, {mode: 0o600}))
    P.forEach((p, i) => fs.writeFileSync(join(inDir, `password-${i}.txt`), `${p}\n`, {mode: 0o600}))
    FILE_TOKENS.forEach((t, i) => fs.writeFileSync(join(inDir, `file-token-${i}.txt`), `${t}\n`, {mode: 0o600}))

    const start = performance.now()
    const all = await inPool(4, CASES.map((c, i) => () => runCase(c, i)))
    elapsedMs = performance.now() - start
    CASES.forEach((c, i) => outcomes.set(c.name, all[i]!))
  }, 600_000)

  afterAll(() => {
    if (base) removeDir(base)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const {r, ctx, files, audit, newToken, procSeen} = outcomes.get(c.name)!
    const show = `exit ${r.status}\nstdout: ${r.stdout.slice(0, 3000)}\nstderr: ${r.stderr}`
    expect(r.status, show).toBe(c.status)
    if (c.status !== 0 && !c.report) expect(errorLines(r.stderr).ok, show).toBe(true)
    c.check?.(r, ctx)

    const given = c.given ?? []
    const secrets = [...new Set([...FILE_TOKENS, ...BCRYPT, ...given, ...P, ...T, ...(newToken ? [newToken] : [])])]
    const leak = (where: string, text: string, allowed: string[] = []): void => {
      for (const s of secrets) {
        if (allowed.includes(s)) continue
        expect(text.includes(s), `${where} of "${c.name}" holds a secret (${s.slice(0, 6)}…)\n${show}`).toBe(false)
      }
    }
    // stderr, the audit log and every file name: never
    leak('stderr', r.stderr)
    leak('the audit log', audit)
    leak('the file names', files.join('\n'))
    // any token-shaped string on stderr or in the audit is a leak too (generated ones included)
    expect(r.stderr.match(TOKEN_RE), show).toBeNull()
    expect(audit.match(TOKEN_RE), audit).toBeNull()

    // stdout: only what the command is for
    switch (c.stdout) {
      case undefined:
        leak('stdout', r.stdout)
        expect(r.stdout.match(TOKEN_RE), show).toBeNull()
        break
      case 'file-tokens':
        for (const t of FILE_TOKENS) expect(r.stdout, show).toContain(t)
        leak('stdout', r.stdout, FILE_TOKENS)
        break
      case 'engine':
        leak('stdout', r.stdout, [...FILE_TOKENS, ...BCRYPT])
        break
      case 'new-token': {
        expect(newToken, show).toBeDefined()
        expect(count(r.stdout, newToken!), show).toBe(1)
        leak('stdout', r.stdout, [newToken!])
        // nothing else token-shaped: not the old value of a rotated token
        expect([...new Set(r.stdout.match(TOKEN_RE) ?? [])].filter((t) => t !== newToken), show).toEqual([])
        break
      }
    }

    // outputs made for tokens: 0600, hold the tokens; everything else created holds none in its name
    for (const out of c.outputs?.(ctx) ?? []) {
      expect(fs.statSync(out).mode & 0o777, out).toBe(0o600)
      const text = fs.readFileSync(out, 'utf8')
      expect(FILE_TOKENS.some((t) => text.includes(t)), out).toBe(true)
    }
    // a write's audit line, when there is one, holds fingerprints only
    if (audit !== '') for (const line of audit.trim().split('\n')) expect(JSON.parse(line)).not.toHaveProperty('token')
    // a run with the file held: its argv and environment never held the secret while it waited
    if (c.locked) {
      expect(procSeen!.length, 'the run was not seen in /proc').toBeGreaterThan(0)
      for (const s of given) expect(procSeen!.includes(s)).toBe(false)
    }
  })

  it('covers every command', async () => {
    const config = await Config.load(ROOT)
    const ids = config.commands.map((c) => c.id.replace(/:/g, ' ')).filter((id) => !id.startsWith('autocomplete') && id !== 'help')
    const covered = new Set(CASES.map((c) => c.command))
    expect(ids.filter((id) => !covered.has(id))).toEqual([])
    console.log(`secrets: ${CASES.length} runs over ${covered.size} commands in ${Math.round(elapsedMs)} ms`)
  })
})

describe('secrets never come from the command line', () => {
  let config: Config
  let commands: Config['commands']
  beforeAll(async () => {
    config = await Config.load(ROOT)
    commands = config.commands.filter((c) => !c.id.startsWith('autocomplete') && c.id !== 'help')
    expect(commands.length).toBeGreaterThanOrEqual(29)
  })

  it('no flag or argument takes a token or password value: only --*-stdin switches and --*-file paths', () => {
    const secretish = /token|passw|secret|credential/i
    const seen: string[] = []
    for (const cmd of commands) {
      for (const [name, flag] of Object.entries(cmd.flags)) {
        const names = [name, ...(flag.aliases ?? []), ...(flag.charAliases ?? []), ...(flag.char ? [flag.char] : [])]
        const about = `${names.join(' ')} ${flag.summary ?? ''} ${flag.description ?? ''}`
        if (!secretish.test(names.join(' '))) continue
        seen.push(`${cmd.id} --${name}`)
        if (flag.type === 'boolean') {
          // a switch: --token-stdin, --password-stdin, --create-hashed-index …
          expect(name, `${cmd.id} --${name}`).not.toMatch(/^(token|password)$/)
          continue
        }
        // takes a value: only a path of a file holding the secret
        expect(name, `${cmd.id} --${name} takes a value: ${about}`).toMatch(/-file$/)
        expect(flag.description ?? '', `${cmd.id} --${name}`).toMatch(/file/i)
      }
      for (const name of Object.keys(cmd.args)) expect(name, `${cmd.id} argument ${name}`).not.toMatch(secretish)
    }
    // the commands that take secrets do have their stdin and file inputs
    for (const [id, what] of [['auth:create-operator', 'token'], ['auth:create', 'token'], ['auth:rotate', 'token'], ['auth:verify', 'token'], ['user:create', 'password'], ['user:set-password', 'password'], ['user:update', 'password'], ['v1:auth:create', 'password'], ['v1:auth:set-password', 'password']] as const) {
      const cmd = commands.find((c) => c.id === id)!
      expect(cmd.flags[`${what}-stdin`]?.type, id).toBe('boolean')
      expect(cmd.flags[`${what}-file`]?.type, id).toBe('option')
    }
    expect(seen.length).toBeGreaterThanOrEqual(14)
  })

  it('parse errors do not repeat values (in-process, with oclif\'s own parser)', async () => {
    const flags = {'token-stdin': Flags.boolean(), 'token-file': Flags.string(), json: Flags.boolean()}
    const secret = newToken()
    for (const argv of [[`--token=${secret}`], ['--token', secret], [`-t${secret}`], [secret], ['--json', secret, secret], [`--token-stdin=${secret}`], [`--password=${secret}`, '--x']]) {
      let err: unknown
      try {
        await Parser.parse(argv, {flags, args: {file: Args.string({required: false})}, strict: true})
        await Parser.parse(argv, {flags, args: {}, strict: true})
      } catch (e) {
        err = e
      }
      expect(err, argv.join(' ')).toBeDefined()
      const rep = describeError(err)
      expect(rep.exitCode).toBe(2)
      expect(`${rep.message} ${rep.hint ?? ''}`, argv.join(' ')).not.toContain(secret.slice(0, 12))
    }
  })

  it('every command: --token/--password with a value and a stray argument are usage errors that do not echo it', async () => {
    // (a token may start with "-"; this one must not, so that it is taken as a word, not a flag)
    const secret = `A${newToken().slice(1)}`
    const pw = newPassword(99)
    const runs: {id: string; argv: string[]; status?: number}[] = []
    for (const cmd of commands) {
      const words = cmd.id.split(':')
      // guard run always exits 0 (it runs before influxd): one line on stderr instead of exit 2
      const status = cmd.id === 'guard:run' ? 0 : undefined
      runs.push({id: cmd.id, argv: [...words, `--token=${secret}`, '--password', pw], status})
      // a command without a positional argument: the secret as one (bolt commands take FILE there)
      if (Object.keys(cmd.args).length === 0) runs.push({id: cmd.id, argv: [...words, secret], status})
    }
    // a secret where a command name goes
    runs.push({id: '<secret>', argv: [secret, '--json']}, {id: 'auth <secret without "=">', argv: ['auth', secret.replace(/=+$/, '')]})
    // after a topic, a word holding "=" (every padded token) or starting with "-" is a flag to oclif:
    // it shows the topic's help (exit 0), nothing echoed
    runs.push({id: 'auth <secret>', argv: ['auth', secret], status: 0}, {id: 'auth -<secret>', argv: ['auth', `-${secret.slice(1)}`], status: 0})
    const start = performance.now()
    const results = await inPool(4, runs.map((run) => () => runCliAsync(run.argv)))
    console.log(`secrets on argv: ${runs.length} runs over ${commands.length} commands in ${Math.round(performance.now() - start)} ms`)
    runs.forEach((run, i) => {
      const r = results[i]!
      const show = `${run.id}: exit ${r.status}\n${r.stdout}${r.stderr}`
      expect(r.status, show).toBe(run.status ?? 2)
      if (r.status !== 0) expect(errorLines(r.stderr).ok, show).toBe(true)
      else if (run.id === 'guard:run') expect(r.stdout + r.stderr, show).toMatch(/^influx-recover guard: [^\n]*; nothing captured\n$/)
      else expect(r.stdout, show).toContain('influx-recover auth COMMAND')
      for (const s of [secret, secret.slice(0, 12), pw]) {
        expect(r.stderr.includes(s), show).toBe(false)
        expect(r.stdout.includes(s), show).toBe(false)
      }
    })
  }, 600_000)
})
