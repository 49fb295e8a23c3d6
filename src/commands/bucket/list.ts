import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {BUCKET_INDEX, BUCKETS, ORGANIZATION_INDEX, ORGANIZATIONS} from '../../influxd/buckets.js'
import {metaReader} from '../../influxd/meta-reader.js'
import {goDurationString, METADATA_BUCKET} from '../../influxd/metadata.js'
import {formatFlag, renderRows, type Column} from '../../platform/format.js'
import {bucketRows, type BucketRow} from '../../recovery/bucket-meta.js'
import {requireBuckets} from '../../recovery/read-model.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'name', header: 'Name'},
  {key: 'org', header: 'Org'},
  {key: 'type', header: 'Type'},
  {key: 'retention', header: 'Retention'},
  {key: 'shardGroups', header: 'Shard group duration'},
  {key: 'database', header: 'Database'},
  {key: 'error', header: 'Error'},
]

/** Columns with text durations (table, csv, influxd) or nanoseconds (yaml). */
function shown(r: BucketRow, text: boolean): Record<string, unknown> {
  const org = r.orgName ?? r.orgID
  if (!text) return {...r, org: org ?? null, retention: r.retentionPeriod ?? null, shardGroups: r.shardGroupDuration ?? null}
  return {
    ...r,
    org: org ?? '',
    retention: r.retentionPeriod === undefined ? '' : r.retentionPeriod === 0n ? 'infinite' : goDurationString(r.retentionPeriod),
    shardGroups: r.shardGroupDuration === undefined ? '' : r.shardGroupDuration === 0n ? '0 (not set)' : goDurationString(r.shardGroupDuration),
  }
}

export default class BucketList extends BaseCommand {
  static override summary = 'List the buckets in influxd.bolt, and whether each has its database in meta.db'
  static override description = `Shows every bucket (or one org's, read through bucketindexv1) with its ID, name, org, type (user or system), retention, shard-group duration and whether v1_tsm1_metadata/meta.db holds its database: "yes", "missing" (influxd refuses writes to the bucket with "database not found", as after "influxd recovery org create"; "bucket repair-meta --id ID" adds it), or what is wrong with it. Durations are Go durations in text (72h0m0s; retention 0 is infinite) and nanoseconds in --json and yaml. Read-only; exits 3 while influxd is running, 5 for an unknown --org.`

  static override examples = [
    {description: 'Every bucket of the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The buckets of org "myorg", as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path ./influxd.bolt --org myorg --json'},
  ]

  static override flags = {
    ...influxdFileFlags,
    org: Flags.string({char: 'o', description: 'only the buckets of the organization with this name [default: all]', helpValue: 'NAME', exclusive: ['org-id']}),
    'org-id': Flags.string({description: 'only the buckets of the organization with this ID', helpValue: 'ID', exclusive: ['org']}),
    format: formatFlag(),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BucketList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const org = flags['org-id'] !== undefined ? {id: flags['org-id']} : flags.org !== undefined ? {name: flags.org} : undefined
    const scope = [BUCKETS, BUCKET_INDEX, ORGANIZATIONS, ORGANIZATION_INDEX, METADATA_BUCKET]
    const {rows, meta} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: scope}}, ({db}) => db.view((tx) => {
      requireBuckets(tx, BUCKETS, ORGANIZATIONS)
      return bucketRows(tx, metaReader, {org})
    }))
    if (meta.state !== 'ok') this.note(`warning: ${meta.problem}`)
    const text = format === 'table' || format === 'csv' || format === 'influxd'
    const cols = rows.some((r) => r.error) ? COLUMNS : COLUMNS.filter((c) => c.key !== 'error')
    const out = rows.map((r) => shown(r, text))
    if (format === 'json') await this.printJson(rows)
    else if (format === 'table') await this.table(cols, out, {color: (key, t) => (key === 'database' && t !== 'yes' ? 'red' : undefined), wholeWith: '--format yaml or --json'})
    else await this.write(renderRows(format, cols, out))
    const missing = rows.filter((r) => r.database === 'missing')
    if (missing.length > 0 && format === 'table') {
      this.note(`${missing.length} bucket(s) without their database in meta.db: influxd refuses writes to them; add them with: influx-recover bucket repair-meta --bolt-path ${JSON.stringify(path)} ${missing.map((r) => `--id ${r.id}`).join(' ')}`)
    }
  }
}
