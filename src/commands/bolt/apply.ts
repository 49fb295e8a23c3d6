import {Flags} from '@oclif/core'

import {applyOps, expectedState, parseOps, verifyExpected, zeroCounts, type ApplySummary, type Op} from '../../bbolt/apply.js'
import {BaseCommand, dataFileFlags, encodingFlag, fileArg, jsonFlag, writeFlags} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {readInputText} from '../../cli/input.js'
import {performWrite} from '../../cli/write.js'

function countsText(s: ApplySummary): string {
  return Object.entries(s.counts)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')
}

export default class BoltApply extends BaseCommand {
  static override summary = 'Apply a batch of edits to a bbolt file in one transaction'
  static override description = `Reads operations, one JSON object per line:
  {"op":"put","path":[...],"key":K,"value":V}
  {"op":"delete","path":[...],"key":K}
  {"op":"create-bucket","path":[...]}        (path ends with the new bucket's name)
  {"op":"delete-bucket","path":[...]}
  {"op":"set-sequence","path":[...],"sequence":S}   (S up to 18446744073709551615, digits or a string)
Names, keys and values use --encoding (utf8 also accepts {"base64": ...} and {"hex": ...}).

Every line is validated before the file is opened (exit 2 naming the line). The file must pass the consistency check (else exit 4). All operations then run in ONE transaction: if any fails (missing bucket: exit 5; bucket already exists or key/bucket mix-up: exit 1) nothing is written. Before writing, a verified backup copy is made (unless --no-backup); after writing, the file is checked again and every operation's effect verified, and on failure the write is undone (exit 6).`

  static override examples = [
    {description: 'Apply edits, with a backup, without a prompt', command: '<%= config.bin %> <%= command.id %> influxd.bolt --ops edits.jsonl --yes'},
    {description: 'Only check that the batch would apply', command: '<%= config.bin %> <%= command.id %> influxd.bolt --ops edits.jsonl --dry-run'},
    {description: 'Operations from stdin, backup in another directory', command: '<%= config.bin %> <%= command.id %> --bolt-path influxd.bolt --ops - --yes --backup-dir /var/backups < edits.jsonl'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    ops: Flags.string({description: 'the operations (JSON Lines; "-" = stdin)', helpValue: 'FILE.jsonl', required: true}),
    encoding: encodingFlag,
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltApply)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const ops: Op[] = parseOps(await readInputText(flags.ops, 'ops file'), flags.encoding)
    if (ops.length === 0) {
      // Nothing to do: only make sure the file is a readable bbolt file; no commit, no backup.
      const txid = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: true}, ({db}) => db.meta().txid)
      if (flags.json) await this.printJson({file: path, dryRun: flags['dry-run'], operations: 0, counts: zeroCounts(), absentDeletes: 0, txidBefore: txid, txidAfter: txid, backup: null})
      else await this.lines([`0 operations in ${flags.ops}: nothing to do, nothing was written`])
      return
    }
    const expected = expectedState(ops)
    const outcome = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true}, (ctx) =>
      performWrite(
        ctx,
        {dryRun: flags['dry-run'], yes: flags.yes, backup: flags.backup, backupDir: flags['backup-dir'], canPrompt: flags.ops !== '-'},
        {
          label: 'pre-apply',
          summary: `apply ${ops.length} operation${ops.length === 1 ? '' : 's'}`,
          apply: (tx) => applyOps(tx, ops),
          verify: (tx) => verifyExpected(tx, expected),
        },
        (line) => this.note(line),
      ),
    )
    const s = outcome.result
    if (flags.json) {
      await this.printJson({
        file: path,
        dryRun: outcome.dryRun,
        operations: s.total,
        counts: s.counts,
        absentDeletes: s.absentDeletes,
        txidBefore: outcome.txidBefore,
        txidAfter: outcome.txidAfter,
        backup: outcome.backup,
      })
      return
    }
    const what = `${s.total} operation${s.total === 1 ? '' : 's'}${s.total > 0 ? ` (${countsText(s)})` : ''}`
    const absent = s.absentDeletes > 0 ? `; ${s.absentDeletes} deleted key(s) did not exist` : ''
    if (outcome.dryRun) await this.lines([`dry run: ${what} would apply cleanly to ${path}${absent}; nothing was written`])
    else await this.lines([`applied ${what} to ${path}: txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok${absent}`])
  }
}
