import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, writeFlags} from '../../cli/base-command.js'
import {influxdFileFlags} from '../../cli/influxd-file.js'
import {changeLines, tenantWrite} from '../../cli/tenant-write.js'
import {goDurationString} from '../../influxd/metadata.js'
import {type Column} from '../../platform/format.js'
import {parseBucketIDs, planRepair, repairMeta, verifyRepair, type RepairResult} from '../../recovery/bucket-meta.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'Bucket ID'},
  {key: 'name', header: 'Name'},
  {key: 'database', header: 'Database added'},
  {key: 'shardGroups', header: 'Shard group duration'},
]

export default class BucketRepairMeta extends BaseCommand {
  static override summary = 'Add the missing database of a bucket to meta.db (after "influxd recovery org create")'
  static override description = `influxd's storage layer creates a database in v1_tsm1_metadata/meta.db for every bucket (named by the bucket ID, retention policy autogen with the bucket's retention and shard-group duration); "influxd recovery org create" skips this, so influxd refuses writes to its _tasks and _monitoring buckets with "database not found". This command adds exactly the database influxd would have created (Index raised by one per database; every other byte of meta.db kept; a meta.db that is absent is first created as influxd does at start) and, when the bucket record says a shard-group duration of 0, sets it to the value influxd's own migrations backfill (NormalisedShardDuration: 1 day for 3 or 7 days' retention), leaving the rest of the record as it is.

Buckets that already have their database and a shard-group duration are left alone (exit 0, nothing written). Unknown bucket IDs exit 5; a database that exists but is damaged exits 1. Safe write: lock (exit 3 while influxd runs), schema gate (exit 4), verified backup unless --no-backup, one transaction, verification with undo (exit 6), audit line. "doctor" lists the buckets that need it.`

  static override examples = [
    {description: 'Repair both system buckets of an org made by "influxd recovery org create"', command: '<%= config.bin %> <%= command.id %> --id 0123456789abcdef --id fedcba9876543210'},
    {description: 'See what would be written', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0123456789abcdef --dry-run'},
  ]

  static override flags = {
    ...influxdFileFlags,
    id: Flags.string({char: 'i', description: 'ID of a bucket to repair (repeatable)', helpValue: 'ID', multiple: true, required: true}),
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BucketRepairMeta)
    this.jsonMode = flags.json
    const ids = parseBucketIDs(flags.id)
    let whole: string[] = []
    const done = await tenantWrite<RepairResult>({
      command: 'bucket repair-meta',
      flags,
      label: 'pre-repair-meta',
      summary: `add the missing database(s) of ${ids.length} bucket(s) to meta.db`,
      destructive: false,
      meta: true,
      prepare: (ctx, codec) => {
        const plan = ctx.db.view((tx) => planRepair(tx, codec!, ids))
        whole = plan.alreadyWhole
        return plan.todo.length > 0
      },
      apply: (tx, codec) => repairMeta(tx, codec!, {ids}),
      verify: (tx, r, codec) => verifyRepair(tx, codec!, r),
      ids: (r) => r.ids,
    }, (line) => this.note(line))
    if (done === null) {
      if (flags.json) await this.printJson({changed: false, alreadyWhole: whole})
      else await this.lines([`nothing to repair: ${whole.join(', ')} already ${whole.length === 1 ? 'has its' : 'have their'} database in meta.db and a shard-group duration`])
      return
    }
    const {path, outcome} = done
    const r = outcome.result
    if (flags.json) {
      await this.printJson({
        file: path, dryRun: outcome.dryRun, changed: true, buckets: r.buckets, alreadyWhole: r.alreadyWhole,
        metaIndex: r.meta === null ? null : {before: r.meta.indexBefore, after: r.meta.indexAfter}, changes: r.changes,
        txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
      return
    }
    await this.table(COLUMNS, r.buckets.map((b) => ({
      id: b.id, name: b.name,
      database: b.database === undefined ? 'no (had one)' : `autogen, ${b.database.duration === 0n ? 'infinite' : goDurationString(b.database.duration)}`,
      shardGroups: b.shardGroupDuration === undefined ? 'unchanged' : `0 -> ${goDurationString(b.shardGroupDuration.after)}`,
    })))
    if (r.alreadyWhole.length > 0) this.note(`note: already whole, left alone: ${r.alreadyWhole.join(', ')}`)
    if (outcome.dryRun) {
      await this.lines([`dry run: nothing was written to ${path}; the write would:`, ...changeLines(r.changes)])
      return
    }
    await this.lines([`repaired ${r.buckets.length} bucket(s) in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
  }
}
