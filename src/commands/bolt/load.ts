import {Flags} from '@oclif/core'

import {DB, DEFAULT_PAGE_SIZE} from '../../bbolt/db.js'
import {loadDump, parseDump, type LoadSummary} from '../../bbolt/dump.js'
import {BaseCommand, encodingFlag, jsonFlag} from '../../cli/base-command.js'
import {linesOfFd, linesOfText, openInput, readInputText} from '../../cli/input.js'
import {assertNewPath, createNewFile} from '../../cli/new-file.js'
import * as fs from 'node:fs'

export default class BoltLoad extends BaseCommand {
  static override summary = 'Create a new bbolt file from a dump'
  static override description = `Reads JSON Lines in the format of "bolt dump" (buckets with their sequences, keys and values) and writes them into a NEW file in one transaction: densely packed, no free pages. The output must not exist (never overwritten, exit 1). A malformed line exits 2 naming the line, and no output file is left behind: the file is built under a temporary name, checked, and only then given its name.`

  static override examples = [
    {description: 'Rebuild a file from its dump', command: '<%= config.bin %> <%= command.id %> --from influxd.jsonl --out influxd-new.bolt'},
    {description: 'A base64 dump, 8 KiB pages', command: '<%= config.bin %> <%= command.id %> --from dump.jsonl --encoding base64 --page-size 8192 --out new.bolt'},
  ]

  static override flags = {
    from: Flags.string({description: 'the dump to read (JSON Lines; "-" = stdin)', helpValue: 'FILE.jsonl', required: true}),
    out: Flags.string({description: 'the new bbolt file to create (must not exist)', helpValue: 'NEW.bolt', required: true}),
    encoding: encodingFlag,
    'page-size': Flags.integer({description: 'page size of the new file (power of two, 512 to 65536)', default: DEFAULT_PAGE_SIZE, helpValue: 'BYTES'}),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BoltLoad)
    this.jsonMode = flags.json
    const enc = flags.encoding
    assertNewPath(flags.out)
    let lines: Iterable<string>
    let fd: number | undefined
    if (flags.from === '-') lines = linesOfText(await readInputText('-', 'dump'))
    else {
      fd = openInput(flags.from, 'dump file')
      lines = linesOfFd(fd)
    }
    let built
    try {
      built = createNewFile<LoadSummary>(
        flags.out,
        (tmp) => {
          let summary: LoadSummary = {buckets: 0, keys: 0}
          const db = DB.build(tmp, (tx) => {
            summary = loadDump(parseDump(lines, enc), tx)
          }, {pageSize: flags['page-size']})
          return {db, result: summary}
        },
        (_db, summary, report) => {
          const out: string[] = []
          if (report.stats.buckets !== summary.buckets) out.push(`the new file has ${report.stats.buckets} buckets, the dump ${summary.buckets}`)
          if (report.stats.keys !== summary.keys) out.push(`the new file has ${report.stats.keys} keys, the dump ${summary.keys}`)
          return out
        },
      )
    } finally {
      if (fd !== undefined) fs.closeSync(fd)
    }
    const {result, report} = built
    const s = report.stats
    if (flags.json) {
      await this.printJson({out: flags.out, buckets: result.buckets, keys: result.keys, pageSize: s.pageSize, pages: s.highWaterMark, fileSize: fs.statSync(flags.out).size, freePages: s.freePages})
      return
    }
    await this.lines([`loaded ${result.buckets} buckets and ${result.keys} keys into ${flags.out} (${s.highWaterMark} pages of ${s.pageSize} bytes, check ok)`])
  }
}
