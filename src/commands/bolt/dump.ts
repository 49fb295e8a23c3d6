import {Flags} from '@oclif/core'

import {dumpRecords, formatRecord} from '../../bbolt/dump.js'
import {BaseCommand, dataFileFlags, encodingFlag, fileArg, stdoutClosed} from '../../cli/base-command.js'
import {resolveBucketPath} from '../../cli/bucket-path.js'
import {withDataFile} from '../../cli/data-file.js'
import {jsonEscapeUnsafe} from '../../platform/format.js'

/** Output is sent in chunks of about this many characters. */
const CHUNK = 256 * 1024

export default class BoltDump extends BaseCommand {
  static override summary = 'Dump every bucket and key as JSON Lines'
  static override description = `Streams the file depth-first in key order, a bucket's record before its contents:
  {"type":"bucket","path":[...],"sequence":S}   (path ends with the bucket's own name)
  {"type":"kv","path":[...],"key":K,"value":V}
With --encoding base64 the output is byte-identical to the Go oracle's dump. "bolt load" turns a dump back into a file.`

  static override examples = [
    {description: 'Dump a whole file (text where possible)', command: '<%= config.bin %> <%= command.id %> influxd.bolt > influxd.jsonl'},
    {description: 'Exact bytes in base64, one bucket only', command: '<%= config.bin %> <%= command.id %> influxd.bolt --encoding base64 --bucket authorizationsv1'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    bucket: Flags.string({description: 'dump only this bucket (path a/b/c), its own record first [default: everything]', helpValue: 'PATH'}),
    encoding: encodingFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltDump)
    const path = this.dataFile(args.file, flags['bolt-path'])
    const enc = flags.encoding
    await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: true}, async ({db}) => {
      // A read transaction held across awaits: nothing else uses this DB meanwhile.
      const tx = db.begin(false)
      try {
        const start = flags.bucket === undefined ? [] : resolveBucketPath(tx, flags.bucket, enc).path
        let buf = ''
        for (const r of dumpRecords(tx, start)) {
          buf += `${formatRecord(r, enc)}\n`
          if (buf.length >= CHUNK) {
            await this.write(jsonEscapeUnsafe(buf))
            buf = ''
            if (stdoutClosed()) return
          }
        }
        if (buf.length > 0) await this.write(jsonEscapeUnsafe(buf))
      } finally {
        tx.rollback()
      }
    })
  }
}
