import {check, type CheckReport} from '../../bbolt/check.js'
import {BoltError} from '../../bbolt/errors.js'
import {BaseCommand, dataFileFlags, fileArg, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {ExitCode, RecoverError} from '../../errors.js'

export default class BoltCheck extends BaseCommand {
  static override summary = 'Check the consistency of a bbolt file'
  static override description = `Runs every rule of Go bbolt's tx.Check plus the stricter rules Go's writer relies on (page ids, exact page flags, key order, branch keys, inline buckets, freelist order), reading the file only (shared lock, read-only).

Exit 0 when the file is clean ("ok: ..." line; warnings such as one damaged meta page do not fail the check), 4 with every problem listed one per line on stdout.`

  static override examples = [
    {description: 'Check a file', command: '<%= config.bin %> <%= command.id %> /var/lib/influxdb/influxd.bolt'},
    {description: 'Same, as JSON ({ok, problems, warnings, stats})', command: '<%= config.bin %> <%= command.id %> --bolt-path influxd.bolt --json'},
    {description: 'Wait up to 5 s for a lock held by another process', command: '<%= config.bin %> <%= command.id %> influxd.bolt --lock-timeout 5'},
  ]

  static override args = fileArg
  static override flags = {...dataFileFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltCheck)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    let report: CheckReport
    try {
      report = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout']}, ({db}) => check(db))
    } catch (err) {
      // A file that cannot even be opened still gets a report in JSON mode.
      if (err instanceof BoltError && err.kind === 'corrupt') {
        if (flags.json) await this.printJson({ok: false, problems: [err.message], warnings: [], omitted: 0, stats: null})
        // (no "run bolt check" hint: this is bolt check)
        throw new RecoverError(err.message, ExitCode.CORRUPT)
      }
      throw err
    }
    const s = report.stats
    const count = report.problems.length + report.omitted
    if (flags.json) {
      await this.printJson({ok: report.ok, problems: report.problems, warnings: report.warnings, omitted: report.omitted, stats: s})
    } else {
      const lines: string[] = []
      if (report.ok) {
        lines.push(`ok: ${s.highWaterMark} pages (${s.reachablePages} reachable, ${s.freePages} free), ${s.buckets} buckets (${s.inlineBuckets} inline), ${s.keys} keys, txid ${s.txid}, meta ${s.activeMeta} active`)
      }
      for (const w of report.warnings) lines.push(`warning: ${w}`)
      for (const p of report.problems) lines.push(`problem: ${p}`)
      if (report.omitted > 0) lines.push(`problem: ... and ${report.omitted} more`)
      await this.lines(lines)
    }
    if (!report.ok) {
      throw new RecoverError(`${path}: ${count} problem${count === 1 ? '' : 's'} found`, ExitCode.CORRUPT, 'keep the file untouched; compact it into a new file or restore a backup')
    }
  }
}
