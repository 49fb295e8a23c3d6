import {BaseCommand, jsonFlag} from '../cli/base-command.js'
import {withDataFile} from '../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../cli/influxd-file.js'
import {outputWidth, stdoutPaint, verdictColor, wrap} from '../cli/terminal.js'
import {ExitCode} from '../errors.js'
import {displayWidth} from '../platform/format.js'
import {runDoctor, type DoctorCheck} from '../recovery/doctor.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check an influxd.bolt file end to end and say what to do next'
  static override description = `One line per check, each PASS, WARN or FAIL: where the file was found, whether influxd holds it, the bbolt consistency check, the schema level and the InfluxDB versions it belongs to, the token hashing state, the consistency of the token indexes, tokens whose user or org is missing or inactive, whether an active operator token exists (with the command to create one when not), copies of the database beside it that hold plaintext tokens, and plaintext of hashed tokens still readable in unused pages. Read-only. Exit 0 when nothing FAILs, 1 otherwise (3 when influxd holds the file).`

  static override examples = [
    {description: 'Check the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check a copy, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /backup/influxd.bolt --json'},
  ]

  static override flags = {...influxdFileFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Doctor)
    this.jsonMode = flags.json
    const found = await findInfluxdFile(flags['bolt-path'])
    const report = await withDataFile(found.path, {write: false, timeoutSec: flags['lock-timeout']}, ({db}) => runDoctor({path: found.path, foundBy: found.foundBy, db}))
    if (flags.json) await this.printJson(report)
    else {
      // fitted to the terminal (or COLUMNS) by wrapping at spaces, never by cutting: hints hold commands to run
      const width = outputWidth()
      const paint = stdoutPaint()
      const indent = ' '.repeat(16)
      const line = (c: DoctorCheck): string[] => {
        const [head, ...more] = wrap(c.message, width, `${c.verdict.padEnd(4)}  ${c.name.padEnd(9)} `, indent, displayWidth)
        const color = verdictColor(c.verdict)
        return [
          color ? paint(color, c.verdict) + head!.slice(c.verdict.length) : head!,
          ...more,
          ...(c.verdict !== 'PASS' ? (c.details ?? []).slice(0, 10).flatMap((d) => wrap(d, width, `${indent}- `, `${indent}  `, displayWidth)) : []),
          ...(c.hint ? wrap(c.hint, width, `${indent}next: `, `${indent}      `, displayWidth) : []),
        ]
      }
      await this.lines(report.checks.flatMap(line))
    }
    if (!report.ok) this.exit(ExitCode.ERROR)
  }
}
