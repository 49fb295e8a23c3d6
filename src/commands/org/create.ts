import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag, addingWriteFlags} from '../../cli/base-command.js'
import {influxdFileFlags} from '../../cli/influxd-file.js'
import {changeLines, tenantWrite} from '../../cli/tenant-write.js'
import {goDurationString} from '../../influxd/metadata.js'
import {type Column} from '../../platform/format.js'
import {checkText, createOrg, verifyCreateOrg, type OrgCreateResult} from '../../recovery/org-write.js'

const ORG_COLUMNS: Column[] = [
  {key: 'id', header: 'ID'},
  {key: 'name', header: 'Name'},
  {key: 'description', header: 'Description'},
  {key: 'owner', header: 'Owner'},
]

const BUCKET_COLUMNS: Column[] = [
  {key: 'id', header: 'Bucket ID'},
  {key: 'name', header: 'Name'},
  {key: 'type', header: 'Type'},
  {key: 'retention', header: 'Retention'},
  {key: 'shardGroups', header: 'Shard group duration'},
  {key: 'database', header: 'Database'},
]

export default class OrgCreate extends BaseCommand {
  static override summary = 'Create an organization (with its system buckets and their databases) offline'
  static override description = `Writes what influxd's own org service writes on a running server, in one transaction: the organization {"id","name","description","createdAt","updatedAt"} (UTC) and its organizationindexv1 entry (the name trimmed), the system buckets _tasks (retention 3 days) and _monitoring (7 days) with a shard-group duration of 1 day and their bucketindexv1 entries, and a database per bucket in v1_tsm1_metadata/meta.db (retention policy autogen; every other byte of meta.db kept). IDs are random like influxd's (no byte 0x5C, 0x2C or 0x20). With --owner or --owner-id the user becomes the org's owner (mapping and by-user index entry).

"influxd recovery org create" writes no databases: its buckets cannot be written to ("database not found") until "bucket repair-meta" adds them.

The name must not be empty, must not have leading or trailing white space or control characters, and must not be taken (compared trimmed, as influxd does): a duplicate exits 1. An unknown owner exits 5. Safe write: exits 3 while influxd holds the file, refuses files whose schema this tool cannot write (exit 4) and files without v1_tsm1_metadata (exit 4), takes a verified backup first (unless --no-backup), checks the file afterwards and undoes the write on failure (exit 6), and appends a line to influx-recover.audit.jsonl beside the file. --dry-run shows every record and index entry it would write.`

  static override examples = [
    {description: 'Create org "acme" owned by user admin', command: '<%= config.bin %> <%= command.id %> --name acme --owner admin'},
    {description: 'With a description, on a given file, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt -n acme -d "production" --owner-id 08371db1dd8c8000 --json'},
    {description: 'Only show what would be written', command: '<%= config.bin %> <%= command.id %> --name acme --dry-run'},
  ]

  static override flags = {
    ...influxdFileFlags,
    name: Flags.string({char: 'n', description: 'name of the new organization (unique, compared trimmed)', helpValue: 'NAME', required: true}),
    description: Flags.string({char: 'd', description: 'description of the organization [default: empty]', helpValue: 'TEXT'}),
    owner: Flags.string({description: 'make the user with this name the owner [default: no owner]', helpValue: 'USERNAME', exclusive: ['owner-id']}),
    'owner-id': Flags.string({description: 'make the user with this ID the owner (instead of --owner)', helpValue: 'ID', exclusive: ['owner']}),
    ...addingWriteFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(OrgCreate)
    this.jsonMode = flags.json
    checkText('organization name', flags.name, {name: true})
    if (flags.description !== undefined) checkText('description', flags.description, {name: false})
    const owner = flags['owner-id'] !== undefined ? {id: flags['owner-id']} : flags.owner !== undefined ? {name: flags.owner} : undefined
    const done = await tenantWrite<OrgCreateResult>({
      command: 'org create',
      flags,
      label: 'pre-org-create',
      summary: `create org ${flags.name}`,
      destructive: false,
      meta: true,
      apply: (tx, codec) => createOrg(tx, {name: flags.name, description: flags.description, owner, codec: codec!}),
      verify: (tx, r, codec) => verifyCreateOrg(tx, codec!, r),
      ids: (r) => r.ids,
    }, (line) => this.note(line))
    const {path, outcome} = done!
    const r = outcome.result
    if (r.owner === undefined) this.note(`note: org ${r.org.name} has no owner; give it one with "influx-recover org members add --org-id ${r.org.id} --user NAME --owner"`)
    if (flags.json) {
      await this.printJson({
        file: path, dryRun: outcome.dryRun, org: r.org, owner: r.owner ?? null, buckets: r.buckets,
        metaIndex: {before: r.meta.indexBefore, after: r.meta.indexAfter}, changes: r.changes,
        txidBefore: outcome.txidBefore, txidAfter: outcome.txidAfter, backup: outcome.backup, auditLog: outcome.auditLog,
      })
      return
    }
    await this.record(ORG_COLUMNS, {...r.org, owner: r.owner ? `${r.owner.name} (${r.owner.id})` : ''})
    await this.table(BUCKET_COLUMNS, r.buckets.map((b) => ({
      ...b, retention: goDurationString(b.retentionPeriod), shardGroups: goDurationString(b.shardGroupDuration), database: 'yes (autogen)',
    })))
    if (outcome.dryRun) {
      await this.lines([`dry run: nothing was written to ${path}; the write would (with new IDs each run):`, ...changeLines(r.changes)])
      return
    }
    await this.lines([`created org ${r.org.name} in ${path} (txid ${outcome.txidBefore} -> ${outcome.txidAfter}, check ok)`])
  }
}
