import {BaseCommand, jsonFlag} from '../../../cli/base-command.js'
import {withDataFile} from '../../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../../cli/influxd-file.js'
import {orgRef, orgRefFlags} from '../../../cli/member-command.js'
import {statusColor} from '../../../cli/terminal.js'
import {ORGANIZATION_INDEX, ORGANIZATIONS, URMS, USER_INDEX, USERS} from '../../../influxd/buckets.js'
import {formatFlag, renderRows, type Column} from '../../../platform/format.js'
import {listMembers} from '../../../recovery/org-members.js'
import {requireBuckets} from '../../../recovery/read-model.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'name', header: 'Name'},
  {key: 'role', header: 'User Type'},
  {key: 'status', header: 'Status'},
  {key: 'error', header: 'Error'},
]

export default class OrgMembersList extends BaseCommand {
  static override summary = 'List the owners and members of an organization'
  static override description = `Shows the users mapped to the organization, owners first then members (the columns of "influx org members list": ID, Name, User Type, Status), read from the org's user resource mappings by key. A mapping whose user does not exist is shown with the reason. Read-only; exits 3 while influxd is running, 5 for an unknown org.`

  static override examples = [
    {description: 'Members of org "myorg"', command: '<%= config.bin %> <%= command.id %> --org myorg'},
    {description: 'By org ID, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path ./influxd.bolt --org-id dd7cd2292f6e974a --json'},
  ]

  static override flags = {...influxdFileFlags, ...orgRefFlags, format: formatFlag(), json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(OrgMembersList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const {members} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: [ORGANIZATIONS, ORGANIZATION_INDEX, USERS, USER_INDEX, URMS]}}, async ({db}) => {
      const org = await orgRef(db, flags)
      return db.view((tx) => {
        requireBuckets(tx, ORGANIZATIONS, URMS, USERS)
        return listMembers(tx, org)
      })
    })
    if (format === 'json') await this.printJson(members)
    else {
      const cols = members.some((r) => r.error) ? COLUMNS : COLUMNS.filter((c) => c.key !== 'error')
      if (format === 'table') await this.table(cols, members, {color: (key, text) => (key === 'status' ? statusColor(text) : undefined), wholeWith: '--format yaml or --json'})
      else await this.write(renderRows(format, cols, members))
    }
  }
}
