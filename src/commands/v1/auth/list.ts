import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../../cli/base-command.js'
import {withDataFile} from '../../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../../cli/influxd-file.js'
import {statusColor} from '../../../cli/terminal.js'
import {V1_COLUMNS, v1Document, v1Row} from '../../../cli/v1-auth-command.js'
import {AUTH_TENANT_BUCKETS, LEGACY_AUTHORIZATIONS} from '../../../influxd/buckets.js'
import {formatFlag, renderCSV, renderYAML} from '../../../platform/format.js'
import {requireBuckets} from '../../../recovery/read-model.js'
import {listV1Authorizations, type V1ListFilter} from '../../../recovery/v1-auth.js'

export default class V1AuthList extends BaseCommand {
  static override summary = 'List the v1 (InfluxQL / 1.x API) logins in influxd.bolt'
  static override description = `Reads legacy/authorizationsv1, the user name + password logins of InfluxDB's 1.x-compatible API (Grafana's InfluxQL data source, Telegraf's influxdb output, "influx v1 shell"), and shows each with its ID, user name, description, status, the v2 user and org it acts for, whether a password is set, and its permissions (as influxd prints them: read:orgs/ORG/buckets/BUCKET). The password is never shown (only a bcrypt hash is stored).

Filters as "influx v1 auth list": --id, --username (the v1 user name), --user/--user-id (the v2 user), --org/--org-id. A filter that names something the file does not have exits 5 and lists what exists. Records that cannot be decoded are listed with an error. Read-only; exits 3 while influxd is running.`

  static override examples = [
    {description: 'Every v1 login of the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The login Grafana uses, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --username grafana --json'},
    {description: 'The logins of one org, as CSV', command: '<%= config.bin %> <%= command.id %> --org myorg --format csv'},
  ]

  static override flags = {
    ...influxdFileFlags,
    id: Flags.string({char: 'i', description: 'only the v1 authorization with this ID', helpValue: 'ID'}),
    username: Flags.string({description: 'only the v1 authorization with this v1 user name', helpValue: 'NAME'}),
    user: Flags.string({char: 'u', description: 'only the logins of the v2 user with this name', helpValue: 'NAME', exclusive: ['user-id']}),
    'user-id': Flags.string({description: 'only the logins of the v2 user with this ID', helpValue: 'ID', exclusive: ['user']}),
    org: Flags.string({char: 'o', description: 'only the logins of the org with this name', helpValue: 'NAME', exclusive: ['org-id']}),
    'org-id': Flags.string({description: 'only the logins of the org with this ID', helpValue: 'ID', exclusive: ['org']}),
    format: formatFlag({allowed: ['table', 'json', 'yaml', 'csv']}),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const filter: V1ListFilter = {
      ...(flags.id !== undefined ? {id: flags.id} : {}),
      ...(flags.username !== undefined ? {username: flags.username} : {}),
      ...(flags.user !== undefined ? {user: {name: flags.user}} : flags['user-id'] !== undefined ? {user: {id: flags['user-id']}} : {}),
      ...(flags.org !== undefined ? {org: {name: flags.org}} : flags['org-id'] !== undefined ? {org: {id: flags['org-id']}} : {}),
    }
    const views = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, ({db}) => db.view((tx) => {
      requireBuckets(tx, LEGACY_AUTHORIZATIONS)
      return listV1Authorizations(tx, filter)
    }))
    switch (format) {
      case 'json':
        await this.printJson(views.map(v1Document))
        break
      case 'yaml':
        await this.write(renderYAML(views.map(v1Document)))
        break
      case 'csv':
        await this.write(renderCSV([...V1_COLUMNS, {key: 'userID'}, {key: 'orgID'}, {key: 'createdAt'}, {key: 'updatedAt'}, {key: 'error'}],
          views.map((v) => ({...v1Row(v), userID: v.userID, orgID: v.orgID, createdAt: v.createdAt, updatedAt: v.updatedAt, error: v.error}))))
        break
      default:
        if (views.length === 0) {
          this.note(Object.keys(filter).length === 0 ? 'the file has no v1 authorizations ("v1 auth create" adds one)' : 'no v1 authorization matches')
          return
        }
        await this.table(V1_COLUMNS, views.map(v1Row), {
          color: (key, text) => (key === 'status' ? statusColor(text) : undefined),
          wholeWith: '--format yaml or --json',
        })
    }
  }
}
