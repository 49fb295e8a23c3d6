import {Flags} from '@oclif/core'

import {describePath} from '../../bbolt/bucket.js'
import {encodeBytes, encodeBytesJson} from '../../bbolt/encoding.js'
import {BaseCommand, dataFileFlags, encodingFlag, fileArg, jsonFlag} from '../../cli/base-command.js'
import {decodeArg, resolveBucketPath} from '../../cli/bucket-path.js'
import {withDataFile} from '../../cli/data-file.js'
import {NotFoundError} from '../../errors.js'
import {escapeControls} from '../../platform/format.js'

export default class BoltGet extends BaseCommand {
  static override summary = 'Print the value of one key'
  static override description = `Prints the value in the chosen --encoding followed by a newline: with utf8 (the default) the text itself when it is valid UTF-8, otherwise {"base64": ...}. --raw writes the exact bytes and nothing else.

The --bucket path and the --key are read in the same --encoding (use hex or base64 for binary names). A missing bucket or key exits 5.`

  static override examples = [
    {description: 'A value as text', command: '<%= config.bin %> <%= command.id %> influxd.bolt --bucket authorizationsv1 --key 08371db24dcc8000'},
    {description: 'The exact bytes, into a file', command: '<%= config.bin %> <%= command.id %> demo.bolt --bucket blobs --key large --raw > large.bin'},
    {description: 'A binary key given in hex', command: '<%= config.bin %> <%= command.id %> demo.bolt --encoding hex --bucket 62696e617279 --key ff00fe01'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    bucket: Flags.string({description: 'the bucket holding the key (path a/b/c)', helpValue: 'PATH', required: true}),
    key: Flags.string({description: 'the key', helpValue: 'KEY', required: true}),
    encoding: encodingFlag,
    raw: Flags.boolean({description: 'write the value\'s exact bytes to stdout (no newline, no encoding)', default: false, exclusive: ['json']}),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltGet)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const enc = flags.encoding
    const key = decodeArg(flags.key, enc, '--key')
    const {bucketPath, value} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: true}, ({db}) =>
      db.view((tx) => {
        const {path: p, bucket} = resolveBucketPath(tx, flags.bucket, enc)
        const v = bucket.get(key)
        if (v === undefined) {
          const what = bucket.bucket(key) !== undefined ? 'is a bucket, not a key' : 'not found'
          throw new NotFoundError(`key ${JSON.stringify(flags.key)} ${what} in bucket ${describePath(p)}`, 'list the keys with "influx-recover bolt keys FILE --bucket PATH"')
        }
        return {bucketPath: p, value: v}
      }),
    )
    if (flags.raw) {
      await this.write(value)
      return
    }
    if (flags.json) {
      await this.printJson({bucket: bucketPath.map((p) => encodeBytes(p, enc)), key: encodeBytes(key, enc), value: encodeBytes(value, enc), size: value.length})
      return
    }
    const shown = encodeBytes(value, enc)
    const text = typeof shown === 'string' ? shown : encodeBytesJson(value, enc)
    // exact in a pipe (--raw for the bytes themselves); a terminal gets control and bidi characters escaped
    await this.write(`${process.stdout.isTTY === true ? escapeControls(text) : text}\n`)
  }
}
