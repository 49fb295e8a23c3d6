import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {confirmSecretsOnTerminal} from '../../cli/prompt.js'
import {withDataFile} from '../../cli/data-file.js'
import {AUTHORIZATIONS} from '../../influxd/buckets.js'
import {requireBuckets} from '../../recovery/read-model.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {outputWidth} from '../../cli/terminal.js'
import {renderTable} from '../../platform/format.js'
import {EXPORT_FORMATS, exportSealed, exportToFile, exportToText, renderExport, type ExportDocument, type ExportFormat} from '../../recovery/export.js'
import {HASH_VARIANTS, type HashVariant} from '../../influxd/hashing.js'
import {escapeValues} from '../../platform/format.js'
import {collectCandidates, matchCandidates, rescueDocument, tokensInText, type CandidateSet} from '../../recovery/rescue.js'
import {encryptFlags, identityFlag, readInputFile, refuseBinaryToTerminal, seal, sealedNote, sealingFromFlags} from '../../cli/encryption.js'
import {ageFileKind} from '../../platform/age.js'
import * as fs from 'node:fs'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

export default class AuthRescue extends BaseCommand {
  static override summary = 'Recover plaintext tokens of hashed records from an older bolt file or a config file'
  static override description = `After influxd 2.9 hashed the tokens, their plaintext can still be found elsewhere: an older bolt file (a *.pre-v2.9.x-upgrade.backup, an "influx backup" bolt file, this tool's own backups; its records, its raw index and token-shaped strings anywhere in its bytes, free pages included) or a text file (influx CLI configs, a .env, a Telegraf config: 88-character tokens and the values of keys named like "token"). Each candidate is matched to the current database's records by hash (sha256 and sha512) or, for records still raw, by equality.

The matches are written to --output (a new file, mode 0600, never overwriting) or, with "--output -", to stdout, in the format and with the field names of "auth export" (--format yaml by default, json, csv or env; each token with id, description, userName, orgName, kind, status, token, fingerprint and hash, and the hashed records still missing under "notExportable"), which "auth restore-plaintext --from" reads. The output is parsed back and checked token by token before it is reported; a file is read back from disk. With --recipient/--recipients-file [--armor] it is an age file: its plaintext checked before it is encrypted, the file read back byte for byte. An age-encrypted --from file is decrypted in memory with --identity KEYFILE (exit 2 without); an encrypted bolt file is then searched byte by byte for token-shaped strings. Without --output only a summary is printed, never a token. Reports the hashed records recovered and those still missing. Read-only on both files. Exit 5 when no token was recovered.`

  static override examples = [
    {description: 'What can the pre-upgrade backup recover?', command: '<%= config.bin %> <%= command.id %> --from /var/lib/influxdb2/influxd.bolt.pre-v2.9.1-upgrade.backup'},
    {description: 'Save the recovered tokens (YAML, like auth export)', command: '<%= config.bin %> <%= command.id %> --from ~/.influxdbv2/configs --output rescued.yaml'},
    {description: 'From an encrypted export, saved encrypted', command: '<%= config.bin %> <%= command.id %> --from tokens.yaml.age --identity key.txt --output rescued.yaml.age --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'},
  ]

  static override flags = {
    from: Flags.string({description: 'the file to recover tokens from (an older bolt file or a text file)', helpValue: 'FILE', required: true}),
    output: Flags.string({char: 'o', description: 'write the recovered tokens here (new file, mode 0600), as "auth export" writes its file; "-" for stdout (on a terminal: asked first, or --yes)', helpValue: 'FILE'}),
    format: Flags.option({options: EXPORT_FORMATS, default: 'yaml' as const, description: 'format of the --output file, as for "auth export"'})(),
    variant: Flags.option({options: HASH_VARIANTS, default: 'sha256' as const, description: 'hash variant of the "hash" field (influxd 2.9 writes sha256)'})(),
    yes: Flags.boolean({char: 'y', description: 'with "--output -" on a terminal: print the tokens without asking', default: false}),
    identity: identityFlag,
    ...encryptFlags,
    ...influxdFileFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthRescue)
    this.jsonMode = flags.json
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const sealing = await sealingFromFlags(flags)
    if (sealing !== undefined && flags.output === undefined) throw new RecoverError('--recipient, --recipients-file and --armor encrypt the --output file: give --output FILE', ExitCode.USAGE)
    if (flags.output === '-' && flags.json) throw new RecoverError('--output - and --json both write to stdout', ExitCode.USAGE, 'write the tokens to a file with --output FILE')
    if (flags.output === '-') {
      refuseBinaryToTerminal(sealing)
      // encrypted output shows nothing secret; plaintext on a terminal is asked for first
      if (sealing === undefined) await confirmSecretsOnTerminal('the plaintext of the tokens recovered', {yes: flags.yes})
    }
    const set = await candidatesFrom(flags.from, flags.identity)
    const report = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, (ctx) => ctx.db.view((tx) => {
      requireBuckets(tx, AUTHORIZATIONS)
      return matchCandidates(tx, set.candidates)
    }))
    // on failure the notes become the error's hint: an error is one Error: line and one Hint: line
    if (report.found.length > 0) for (const n of set.notes) this.note(`note: ${n}`)
    const toStdout = flags.output === '-'
    if (flags.output !== undefined && report.found.length > 0) {
      // the shape and formats of auth export; every path proves what it writes (export.ts): the plaintext parsed back
      // and compared token by token (before it is sealed, when sealed), a file read back through its descriptor
      const format = flags.format as ExportFormat
      const doc = rescueDocument(report, flags.variant as HashVariant)
      const same = (): ExportDocument => doc
      if (sealing !== undefined) {
        const res = await exportSealed(toStdout ? null : flags.output, format, doc, same, (text) => seal(text, sealing), 'rescue output')
        if (toStdout) await this.write(res.sealed)
        else this.note(`wrote ${report.found.length} token(s) to ${flags.output} (mode 0600${sealedNote(sealing)}; read back byte for byte)`)
      } else if (toStdout) {
        const res = exportToText(format, doc, same)
        // as auth export: csv and env values with control characters are shown escaped on a terminal only
        const shown = process.stdout.isTTY === true && (format === 'csv' || format === 'env') ? renderExport(escapeValues(doc), format) : res.text
        await this.write(shown)
      } else {
        exportToFile(flags.output, format, doc, same, 'rescue output')
        this.note(`wrote ${report.found.length} token(s) to ${flags.output} (mode 0600, read back and checked): keep it secret, delete it when done`)
      }
    }
    const foundRows = report.found.map((f) => ({
      id: f.id, description: f.description, stored: f.tokenState === 'hashed' ? `hashed (${f.variant ?? '?'})` : 'raw',
      fingerprint: `sha256:${f.fingerprint.slice(0, 16)}`, where: f.where,
    }))
    const summary = `${flags.from} (${set.kind}): ${set.candidates.length} candidate(s); recovered ${report.found.filter((f) => f.tokenState === 'hashed').length} of ${report.hashedRecords} hashed record(s), ${report.missing.length} still missing`
    if (flags.json) {
      await this.printJson({
        file: path, from: flags.from, fromKind: set.kind, candidates: set.candidates.length, output: flags.output ?? null,
        hashedRecords: report.hashedRecords, found: foundRows, missing: report.missing,
      })
    } else {
      const out = toStdout ? (l: string) => this.note(l) : undefined
      const lines = [summary]
      if (foundRows.length > 0) {
        lines.push('recovered:', ...renderTable([{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'stored', header: 'Stored'}, {key: 'fingerprint', header: 'Fingerprint'}, {key: 'where', header: 'Found in'}], foundRows, {maxWidth: outputWidth()}).trimEnd().split('\n'))
      }
      if (report.missing.length > 0) {
        lines.push('still missing (hashed, no plaintext found):', ...renderTable([{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'status', header: 'Status'}, {key: 'userName', header: 'User'}, {key: 'orgName', header: 'Org'}], report.missing, {maxWidth: outputWidth()}).trimEnd().split('\n'))
      }
      if (out) for (const l of lines) out(l)
      else await this.lines(lines)
      if (flags.output === undefined && report.found.length > 0) this.note('no tokens were written: pass --output FILE to save them')
    }
    if (report.found.length === 0) {
      throw new RecoverError(`no token in ${flags.from} matches an authorization in ${path}`, ExitCode.NOT_FOUND, set.notes.length > 0 ? set.notes.join('; ') : undefined)
    }
  }
}

/**
 * The candidates of the --from file: as collectCandidates reads it, or, for
 * an age file, from its plaintext decrypted in memory (never written out): a
 * text as text, a bolt file byte by byte (token-shaped strings).
 */
async function candidatesFrom(from: string, identities: string[] | undefined): Promise<CandidateSet> {
  const head = Buffer.alloc(256)
  let n = 0
  try {
    const fd = fs.openSync(from, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
    try {
      if (fs.fstatSync(fd).isFile()) n = fs.readSync(fd, head, 0, head.length, 0)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // collectCandidates says what is wrong with the path
  }
  if (ageFileKind(head.subarray(0, n)) === null) return collectCandidates(from)
  const {bytes} = await readInputFile(from, identities)
  const bolt = bytes.length >= 20 && bytes.readUInt32LE(16) === 0xed0cdaed
  return {
    kind: bolt ? 'bolt' : 'text',
    candidates: tokensInText(bytes.toString(bolt ? 'latin1' : 'utf8'), `${from} (decrypted)`),
    notes: bolt ? [`${from} is an encrypted bolt file: only its bytes were searched (decrypt it to a file to read its records too)`] : [],
  }
}
