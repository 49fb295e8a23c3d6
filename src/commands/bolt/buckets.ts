import {Flags} from '@oclif/core'

import type {Bucket} from '../../bbolt/bucket.js'
import {displayBytes, encodeBytes} from '../../bbolt/encoding.js'
import {BaseCommand, dataFileFlags, encodingFlag, fileArg, jsonFlag} from '../../cli/base-command.js'
import {resolveBucketPath} from '../../cli/bucket-path.js'
import {withDataFile} from '../../cli/data-file.js'

interface Row {
  name: Buffer
  keys: number
  buckets: number
  sequence: bigint
  inline: boolean
}

function describeBucket(name: Buffer, b: Bucket): Row {
  let keys = 0
  let buckets = 0
  b.forEach((_k, v) => {
    if (v === null) buckets++
    else keys++
  })
  return {name, keys, buckets, sequence: b.sequence, inline: b.root === 0}
}

export default class BoltBuckets extends BaseCommand {
  static override summary = 'List the buckets at the top level or inside a bucket'
  static override description = `One line per bucket: its name, number of keys and of sub-buckets directly inside it, its sequence, and whether it is stored inline (inside its parent's page).

Bucket paths are names joined by "/". A name may itself contain "/" (influxd has a top-level bucket named "templates/documents/content"): paths are resolved against the file, taking the longest existing name at each level.`

  static override examples = [
    {description: 'Top-level buckets', command: '<%= config.bin %> <%= command.id %> influxd.bolt'},
    {description: 'Buckets inside a nested bucket', command: '<%= config.bin %> <%= command.id %> demo.bolt --bucket nested/level1'},
    {description: 'As JSON, names in hex', command: '<%= config.bin %> <%= command.id %> demo.bolt --json --encoding hex'},
  ]

  static override args = fileArg
  static override flags = {
    ...dataFileFlags,
    bucket: Flags.string({description: 'list the buckets inside this bucket (path a/b/c) [default: the top level]', helpValue: 'PATH'}),
    encoding: encodingFlag,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BoltBuckets)
    this.jsonMode = flags.json
    const path = this.dataFile(args.file, flags['bolt-path'])
    const enc = flags.encoding
    const {parent, rows} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: true}, ({db}) =>
      db.view((tx) => {
        const start = flags.bucket === undefined ? {path: [] as Buffer[], bucket: tx.root} : resolveBucketPath(tx, flags.bucket, enc)
        const out: Row[] = []
        start.bucket.forEach((k, v) => {
          if (v !== null) return
          const b = start.bucket.bucket(k)
          if (b !== undefined) out.push(describeBucket(k, b))
        })
        return {parent: start.path, rows: out}
      }),
    )
    if (flags.json) {
      await this.printJson({
        bucket: parent.length === 0 ? null : parent.map((p) => encodeBytes(p, enc)),
        buckets: rows.map((r) => ({name: encodeBytes(r.name, enc), keys: r.keys, buckets: r.buckets, sequence: r.sequence, inline: r.inline})),
      })
      return
    }
    if (rows.length === 0) {
      this.note('no buckets')
      return
    }
    const names = rows.map((r) => displayBytes(r.name, enc))
    const w = Math.max(4, ...names.map((n) => n.length))
    const lines = [`${'NAME'.padEnd(w)}  ${'KEYS'.padStart(6)}  ${'BUCKETS'.padStart(7)}  ${'SEQUENCE'.padStart(8)}  INLINE`]
    rows.forEach((r, i) => {
      lines.push(`${names[i].padEnd(w)}  ${String(r.keys).padStart(6)}  ${String(r.buckets).padStart(7)}  ${r.sequence.toString().padStart(8)}  ${r.inline ? 'yes' : 'no'}`)
    })
    await this.lines(lines)
  }
}
