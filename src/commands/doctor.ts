import {BoltError} from '../bbolt/errors.js'
import {BaseCommand, describeError, jsonFlag} from '../cli/base-command.js'
import {SCAN_CACHE_BYTES, withDataFile} from '../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags, type FoundFile} from '../cli/influxd-file.js'
import {progressBar} from '../cli/progress.js'
import {outputWidth, stdoutPaint, verdictColor, wrap} from '../cli/terminal.js'
import {ExitCode, RecoverError} from '../errors.js'
import {metaReader} from '../influxd/meta-reader.js'
import {displayWidth, escapeControls} from '../platform/format.js'
import {runDoctor, unopenableReport, type DoctorCheck, type DoctorReport} from '../recovery/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check an influxd.bolt file end to end and say what to do next'
  static override description = `One line per check, each PASS, WARN or FAIL: where the file was found, whether influxd holds it, the bbolt consistency check, the schema level and the InfluxDB versions it belongs to, the token hashing state, the consistency of the token indexes, tokens whose user or org is missing or inactive, whether an active operator token exists (with the command to create one when not), whether every bucket has its database in meta.db (with the command that adds a missing one), the v1 (InfluxQL) logins (their user name index, their users, passwords left behind by deletes), the guard (is a "guard install" drop-in guarding this file, and is every raw token in its newest export: a WARN on a 2.8+ file when not), copies of the database beside it that hold plaintext tokens, and plaintext of hashed tokens still readable in unused pages. Read-only. Exit 0 when nothing FAILs, 1 otherwise (also when the file is there but cannot be opened: not a bbolt file, damaged metas, a directory or FIFO, no permission); 3 when influxd holds the file, 5 when there is no file.`

  static override examples = [
    {description: 'Check the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check a copy, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /backup/influxd.bolt --json'},
  ]

  static override flags = {...influxdFileFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Doctor)
    this.jsonMode = flags.json
    let found: FoundFile | undefined
    let report: DoctorReport
    const bar = progressBar('doctor: searching the whole file for plaintext', {json: flags.json})
    try {
      found = await findInfluxdFile(flags['bolt-path'])
      const {path, foundBy} = found
      report = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], cacheBytes: SCAN_CACHE_BYTES}, ({db}) =>
        runDoctor({path, foundBy, db, metaReader, progress: (done, total) => bar.update(done, total)}))
    } catch (err) {
      // A file that is there but cannot be opened is a diagnosis (FAIL, exit 1);
      // a lock held by influxd (3) or a missing file (5) stay errors.
      const d = describeError(err)
      if (!(err instanceof RecoverError || err instanceof BoltError) || (d.exitCode !== ExitCode.CORRUPT && d.exitCode !== ExitCode.ERROR)) throw err
      report = unopenableReport(found?.path ?? flags['bolt-path'] ?? 'influxd.bolt', found?.foundBy ?? (flags['bolt-path'] === undefined ? 'the search influxd does' : '--bolt-path'), d.message, d.hint)
    } finally {
      bar.finish()
    }
    if (flags.json) await this.printJson(report)
    else {
      // fitted to the terminal (or COLUMNS) by wrapping at spaces, never by cutting: hints hold commands to run
      const width = outputWidth()
      const paint = stdoutPaint()
      const indent = ' '.repeat(16)
      // names, descriptions and paths in the messages are escaped before the verdict is painted
      const line = (c: DoctorCheck): string[] => {
        const [head, ...more] = wrap(escapeControls(c.message), width, `${c.verdict.padEnd(4)}  ${c.name.padEnd(9)} `, indent, displayWidth)
        const color = verdictColor(c.verdict)
        return [
          color ? paint(color, c.verdict) + head!.slice(c.verdict.length) : head!,
          ...more,
          ...(c.verdict !== 'PASS' ? (c.details ?? []).slice(0, 10).flatMap((d) => wrap(escapeControls(d), width, `${indent}- `, `${indent}  `, displayWidth)) : []),
          ...(c.hint ? wrap(escapeControls(c.hint), width, `${indent}next: `, `${indent}      `, displayWidth) : []),
        ]
      }
      await this.write(`${report.checks.flatMap(line).join('\n')}\n`)
    }
    if (!report.ok) this.exit(ExitCode.ERROR)
  }
}
