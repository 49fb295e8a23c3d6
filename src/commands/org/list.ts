import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {formatFlag, renderRows, type Column} from '../../platform/format.js'
import {influxdIdNameTable, orgRows} from '../../recovery/list.js'
import {readModel, requireBuckets} from '../../recovery/read-model.js'
import {ORGANIZATIONS} from '../../influxd/buckets.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'name', header: 'Name'},
  {key: 'description', header: 'Description'},
  {key: 'createdAt', header: 'Created'},
  {key: 'error', header: 'Error'},
]

export default class OrgList extends BaseCommand {
  static override summary = 'List the organizations in influxd.bolt'
  static override description = `Shows every organization with its ID, name, description and creation time. Read-only; exits 3 while influxd is running. --format influxd prints exactly what "influxd recovery org list" prints.`

  static override examples = [
    {description: 'Orgs of the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As YAML', command: '<%= config.bin %> <%= command.id %> --bolt-path ./influxd.bolt --format yaml'},
  ]

  static override flags = {...influxdFileFlags, format: formatFlag(), json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(OrgList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const rows = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => {
      requireBuckets(tx, ORGANIZATIONS)
      return orgRows(readModel(tx))
    }))
    if (format === 'influxd') await this.write(influxdIdNameTable(rows))
    else if (format === 'json') await this.printJson(rows)
    else {
      const cols = rows.some((r) => r.error) ? COLUMNS : COLUMNS.filter((c) => c.key !== 'error')
      if (format === 'table') await this.table(cols, rows, {wholeWith: '--format yaml or --json'})
      else await this.write(renderRows(format, cols, this.forStdout(rows.map((r) => ({...r})))))
    }
  }
}
