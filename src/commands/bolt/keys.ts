import {Flags} from '@oclif/core'

import {displayBytes, encodeBytes} from '../../bbolt/encoding.js'
import {BaseCommand, dataFileFlags, encodingFlag, fileArg, jsonFlag} from '../../cli/base-command.js'
import {resolveBucketPath} from '../../cli/bucket-path.js'
import {withDataFile} from '../../cli/data-file.js'

export default class BoltKeys extends BaseCommand {
  static override summary = 'List the keys of a bucket'
  static override description = `One key per line, in key order (sub-buckets are not listed; see "bolt buckets --bucket"). With the default utf8 encoding a key is printed as text when it is printable UTF-8, otherwise in its JSON form ({"base64": ...} or a quoted string with escapes).

A missing bucket exits 5.`

  static override examples = [
    {description: 'Keys of a top-level bucket', command: '<%= config.bin %> <%= command.id %> influxd.bolt --bucket authorizationsv1'},
    {description: 'A bucket whose name contains "/"', command: '<%= config.bin %> <%= command.id %> influxd.bolt --bucket templates/documents/content'},
    {description: 'Keys in hex, with value sizes, as JSON', command: '<%= config.bin %> <%= command.id %> demo.bolt --bucket binary --encoding hex --json'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    bucket: Flags.string({description: 'the bucket (path a/b/c)', helpValue: 'PATH', required: true}),
    encoding: encodingFlag,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltKeys)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const enc = flags.encoding
    const {bucketPath, keys} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: true}, ({db}) =>
      db.view((tx) => {
        const {path: p, bucket} = resolveBucketPath(tx, flags.bucket, enc)
        const out: {key: Buffer; size: number}[] = []
        bucket.forEach((k, v) => {
          if (v !== null) out.push({key: k, size: v.length})
        })
        return {bucketPath: p, keys: out}
      }),
    )
    if (flags.json) {
      await this.printJson({bucket: bucketPath.map((p) => encodeBytes(p, enc)), count: keys.length, keys: keys.map((k) => ({key: encodeBytes(k.key, enc), size: k.size}))})
      return
    }
    await this.lines(keys.map((k) => displayBytes(k.key, enc)))
  }
}
