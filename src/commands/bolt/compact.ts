import {Flags} from '@oclif/core'
import * as fs from 'node:fs'

import {check} from '../../bbolt/check.js'
import {compactTo, type CopySummary} from '../../bbolt/compact.js'
import {BaseCommand, dataFileFlags, fileArg, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {createNewFile} from '../../cli/new-file.js'
import {ExitCode, RecoverError} from '../../errors.js'

export default class BoltCompact extends BaseCommand {
  static override summary = 'Copy a bbolt file into a new, compact file'
  static override description = `Copies every bucket (recursively, with its sequence) and every key into a NEW file written in one transaction with the same page size: no free pages, densely packed trees. The source is only read (shared lock). The output must not exist (never overwritten, exit 1); it is built under a temporary name, checked, compared with the source (bucket and key counts, no free pages), and only then given its name. A source that does not pass the consistency check is refused (exit 4).`

  static override examples = [
    {description: 'Compact a file', command: '<%= config.bin %> <%= command.id %> influxd.bolt --out influxd-compact.bolt'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path influxd.bolt --out small.bolt --json'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    out: Flags.string({description: 'the new bbolt file to create (must not exist)', helpValue: 'NEW.bolt', required: true}),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltCompact)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const res = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout']}, ({db}) => {
      const src = check(db)
      if (!src.ok) {
        throw new RecoverError(`refusing to compact: ${path} does not pass the consistency check (${src.problems.length + src.omitted} problems, first: ${src.problems[0]})`, ExitCode.CORRUPT, 'run "influx-recover bolt check FILE" for the list; "bolt dump" may still read parts of it')
      }
      const tx = db.begin(false)
      try {
        const built = createNewFile<CopySummary>(
          flags.out,
          (tmp) => {
            const {db: out, summary} = compactTo(tx, tmp)
            return {db: out, result: summary}
          },
          (_out, summary, report) => {
            const problems: string[] = []
            const a = src.stats, b = report.stats
            if (b.buckets !== a.buckets || summary.buckets !== a.buckets) problems.push(`the new file has ${b.buckets} buckets, the source ${a.buckets}`)
            if (b.keys !== a.keys || summary.keys !== a.keys) problems.push(`the new file has ${b.keys} keys, the source ${a.keys}`)
            if (b.freePages !== 0) problems.push(`the new file has ${b.freePages} free pages`)
            return problems
          },
        )
        return {src: src.stats, ...built}
      } finally {
        tx.rollback()
      }
    })
    const outSize = fs.statSync(flags.out).size
    const s = res.report.stats
    if (flags.json) {
      await this.printJson({
        file: path,
        out: flags.out,
        buckets: res.result.buckets,
        keys: res.result.keys,
        before: {fileSize: res.src.fileSize, pages: res.src.highWaterMark, freePages: res.src.freePages},
        after: {fileSize: outSize, pages: s.highWaterMark, freePages: s.freePages},
      })
      return
    }
    await this.lines([
      `compacted ${path} into ${flags.out}: ${res.result.buckets} buckets, ${res.result.keys} keys`,
      `before: ${res.src.fileSize} bytes, ${res.src.highWaterMark} pages (${res.src.freePages} free); after: ${outSize} bytes, ${s.highWaterMark} pages (${s.freePages} free), check ok`,
    ])
  }
}
