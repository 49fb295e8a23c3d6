import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, stringifyJson} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {AUTHORIZATIONS} from '../../influxd/buckets.js'
import {requireBuckets} from '../../recovery/read-model.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {outputWidth} from '../../cli/terminal.js'
import {renderTable} from '../../platform/format.js'
import {writeSecretFile} from '../../recovery/export.js'
import {collectCandidates, matchCandidates, rescueDocument} from '../../recovery/rescue.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

export default class AuthRescue extends BaseCommand {
  static override summary = 'Recover plaintext tokens of hashed records from an older bolt file or a config file'
  static override description = `After influxd 2.9 hashed the tokens, their plaintext can still be found elsewhere: an older bolt file (a *.pre-v2.9.x-upgrade.backup, an "influx backup" bolt file, this tool's own backups; its records, its raw index and token-shaped strings anywhere in its bytes, free pages included) or a text file (influx CLI configs, a .env, a Telegraf config: 88-character tokens and the values of keys named like "token"). Each candidate is matched to the current database's records by hash (sha256 and sha512) or, for records still raw, by equality.

The matches are written to --output (a new file, mode 0600, never overwriting; JSON that "auth restore-plaintext --from" reads) or, with "--output -", to stdout. Without --output only a summary is printed, never a token. Reports the hashed records recovered and those still missing. Read-only on both files. Exit 5 when no token was recovered.`

  static override examples = [
    {description: 'What can the pre-upgrade backup recover?', command: '<%= config.bin %> <%= command.id %> --from /var/lib/influxdb2/influxd.bolt.pre-v2.9.1-upgrade.backup'},
    {description: 'Save the recovered tokens', command: '<%= config.bin %> <%= command.id %> --from ~/.influxdbv2/configs --output rescued.json'},
  ]

  static override flags = {
    from: Flags.string({description: 'the file to recover tokens from (an older bolt file or a text file)', helpValue: 'FILE', required: true}),
    output: Flags.string({char: 'o', description: 'write the recovered tokens here (new file, mode 0600); "-" for stdout', helpValue: 'FILE'}),
    ...influxdFileFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthRescue)
    this.jsonMode = flags.json
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const set = collectCandidates(flags.from)
    const report = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, (ctx) => ctx.db.view((tx) => {
      requireBuckets(tx, AUTHORIZATIONS)
      return matchCandidates(tx, set.candidates)
    }))
    // on failure the notes become the error's hint: an error is one Error: line and one Hint: line
    if (report.found.length > 0) for (const n of set.notes) this.note(`note: ${n}`)
    const toStdout = flags.output === '-'
    if (toStdout && flags.json) throw new RecoverError('--output - and --json both write to stdout', ExitCode.USAGE, 'write the tokens to a file with --output FILE')
    if (flags.output !== undefined && report.found.length > 0) {
      const text = `${stringifyJson(rescueDocument(report.found), 2)}\n`
      if (toStdout) await this.write(text)
      else {
        writeSecretFile(flags.output, text, 'rescue output')
        this.note(`wrote ${report.found.length} token(s) to ${flags.output} (mode 0600): keep it secret, delete it when done`)
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
        lines.push('recovered:', renderTable([{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'stored', header: 'Stored'}, {key: 'fingerprint', header: 'Fingerprint'}, {key: 'where', header: 'Found in'}], foundRows, {maxWidth: outputWidth()}).trimEnd())
      }
      if (report.missing.length > 0) {
        lines.push('still missing (hashed, no plaintext found):', renderTable([{key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'status', header: 'Status'}, {key: 'userName', header: 'User'}, {key: 'orgName', header: 'Org'}], report.missing, {maxWidth: outputWidth()}).trimEnd())
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
