import {fileInfo, formatFileInfo} from '../../bbolt/info.js'
import {BaseCommand, dataFileFlags, fileArg, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {ExitCode, RecoverError} from '../../errors.js'

export default class BoltInfo extends BaseCommand {
  static override summary = 'Show the layout of a bbolt file: sizes, both meta pages, page and bucket counts'
  static override description = `Prints the file size and page size, both meta pages (txid, root page, freelist page or "none (not persisted)", high-water mark, checksum state; the active one is marked), the number of free, branch, leaf and overflow pages, buckets (inline ones too), keys and the deepest tree, and whether the consistency check passes. Read-only. Exits 4 after printing when the check finds problems.`

  static override examples = [
    {description: 'Summary of a file', command: '<%= config.bin %> <%= command.id %> influxd.bolt'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path influxd.bolt --json'},
  ]

  static override args = fileArg
  static override flags = {...dataFileFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltInfo)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const info = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout']}, ({db}) => fileInfo(db))
    if (flags.json) await this.printJson({file: path, ...info})
    else await this.lines(formatFileInfo(path, info))
    if (info.problems > 0) {
      // everything that could be read is printed above; the exit code still says the file is damaged
      throw new RecoverError(`${path}: the consistency check found ${info.problems} problem${info.problems === 1 ? '' : 's'}`, ExitCode.CORRUPT, 'run "influx-recover bolt check FILE" for the list')
    }
  }
}
