import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {statusColor} from '../../cli/terminal.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {formatFlag, renderRows, type Column} from '../../platform/format.js'
import {influxdIdNameTable, userRows} from '../../recovery/list.js'
import {readModel, requireBuckets} from '../../recovery/read-model.js'
import {USERS} from '../../influxd/buckets.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'name', header: 'Name'},
  {key: 'status', header: 'Status'},
  {key: 'hasPassword', header: 'Password'},
  {key: 'error', header: 'Error'},
]

export default class UserList extends BaseCommand {
  static override summary = 'List the users in influxd.bolt'
  static override description = `Shows every user with its ID, name, status (influxd recovery's own "user create" leaves it empty, which the v1 API refuses) and whether it has a password. Read-only; exits 3 while influxd is running. --format influxd prints exactly what "influxd recovery user list" prints.`

  static override examples = [
    {description: 'Users of the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path ./influxd.bolt --json'},
  ]

  static override flags = {...influxdFileFlags, format: formatFlag(), json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(UserList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const rows = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => {
      requireBuckets(tx, USERS)
      return userRows(readModel(tx))
    }))
    if (format === 'influxd') await this.write(influxdIdNameTable(rows))
    else if (format === 'json') await this.printJson(rows)
    else {
      const cols = rows.some((r) => r.error) ? COLUMNS : COLUMNS.filter((c) => c.key !== 'error')
      const shown = rows.map((r) => ({...r, hasPassword: format === 'table' ? (r.hasPassword ? 'yes' : 'no') : r.hasPassword}))
      if (format === 'table') await this.table(cols, shown, {color: (key, text) => (key === 'status' ? statusColor(text) : undefined), wholeWith: '--format yaml or --json'})
      else await this.write(renderRows(format, cols, this.forStdout(shown)))
    }
  }
}
