import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {statusColor} from '../../cli/terminal.js'
import {SCAN_CACHE_BYTES, withDataFile} from '../../cli/data-file.js'
import {AUTHORIZATIONS, ORGANIZATIONS, USERS} from '../../influxd/buckets.js'
import {requireBuckets} from '../../recovery/read-model.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {formatFlag, renderCSV, renderTable, renderYAML, type Column} from '../../platform/format.js'
import {authDocument, eachAuthJsonItem, writeAuthJsonItem} from '../../recovery/auth-json.js'
import {checkAuthFilter, influxdAuthTable, listAuthorizations, type AuthRow} from '../../recovery/list.js'

const COLUMNS: Column[] = [
  {key: 'id', header: 'ID', minWidth: 16},
  {key: 'description', header: 'Description', minWidth: 8},
  {key: 'user', header: 'User'},
  {key: 'org', header: 'Org'},
  {key: 'kind', header: 'Kind'},
  {key: 'status', header: 'Status'},
  // left out when the table is too wide: the Token column says raw (the value), hashed or none too
  {key: 'tokenState', header: 'Token state', optional: true},
  // a shortened token only identifies it (--format yaml or --json gives it whole): the description keeps the room
  {key: 'token', header: 'Token', minWidth: 10, shrinkFirst: true},
]

const document = authDocument

/** What the listing reads (tokens, and the names of their users and orgs): the buckets its consistency check covers. */
const LISTED_BUCKETS = [AUTHORIZATIONS, USERS, ORGANIZATIONS]

function tableRow(r: AuthRow, redact: boolean): Record<string, unknown> {
  if (r.error) return {id: r.id, description: `(cannot decode: ${r.error})`}
  const token = r.tokenState === 'raw' ? (redact ? '(redacted)' : r.token) : r.tokenState === 'hashed' ? `(hashed, ${r.hashVariant})` : '(none)'
  return {id: r.id, description: r.description, user: r.userName ?? r.userID ?? '', org: r.orgName ?? r.orgID ?? '', kind: r.kind, status: r.status, tokenState: r.tokenState, token}
}

export default class AuthList extends BaseCommand {
  static override summary = 'List every API token in influxd.bolt: whose it is, what it can do, raw or hashed'
  static override description = `Reads authorizationsv1 and shows each token with its user, org, kind (operator, all-access or custom, by comparing permission sets), status, whether it is stored raw or hashed, and the token itself when it is stored raw. Works on files of every InfluxDB 2.x version (also the 2.1–2.7 ones that influxd 2.9's own "recovery auth list" cannot read). Read-only: takes a shared lock and changes nothing; exits 3 while influxd is running.

--format influxd prints exactly the table "influxd recovery auth list" prints. Records that cannot be decoded are listed with an error, not dropped.`

  static override examples = [
    {description: 'All tokens of the file influxd would use', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Operator tokens as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --operator --json'},
    {description: 'Tokens of one user, without their values, as CSV', command: '<%= config.bin %> <%= command.id %> --user admin --redact --format csv'},
  ]

  static override flags = {
    ...influxdFileFlags,
    id: Flags.string({description: 'only the token with this ID (exit 2 when it is not an ID, 5 when no token has it)', helpValue: 'ID'}),
    user: Flags.string({description: 'only tokens of the user with this name (exit 5 naming the users when there is no such user)', helpValue: 'NAME'}),
    org: Flags.string({description: 'only tokens of the org with this name (exit 5 naming the orgs when there is no such org)', helpValue: 'NAME'}),
    operator: Flags.boolean({description: 'only operator tokens', default: false}),
    redact: Flags.boolean({description: 'do not print token values', default: false}),
    format: formatFlag(),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthList)
    const format = flags.json ? 'json' : flags.format
    this.jsonMode = format === 'json'
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const filter = {id: flags.id, user: flags.user, org: flags.org, operator: flags.operator}
    // The token bucket is checked as the listing reads it, except with --id:
    // the ID is looked up in it before the listing starts, so it is checked first
    const streamed = flags.id === undefined ? AUTHORIZATIONS : undefined
    const opened = {write: false, timeoutSec: flags['lock-timeout'], cacheBytes: SCAN_CACHE_BYTES, check: {topLevel: LISTED_BUCKETS, streamed}}
    if (format === 'json') {
      // streamed: one token at a time from the read transaction to stdout
      // the token bucket checked as it is read (ctx.streamed): a damaged page
      // met on the way stops the listing with exit 4, its array left unclosed
      await withDataFile(path, opened, async ({db, streamed}) => {
        const tx = db.begin(false)
        try {
          requireBuckets(tx, AUTHORIZATIONS)
          await this.printJsonArrayBytes(eachAuthJsonItem(tx, checkAuthFilter(tx, filter), {redact: flags.redact, entries: streamed?.()}), writeAuthJsonItem, (r) => this.jsonElement(document(r as AuthRow)))
        } finally {
          tx.rollback()
        }
      })
      return
    }
    const rows = await withDataFile(path, opened, ({db, streamed}) =>
      db.view((tx) => {
        requireBuckets(tx, AUTHORIZATIONS)
        return listAuthorizations(tx, checkAuthFilter(tx, filter), {redact: flags.redact, entries: streamed?.()})
      }))
    switch (format) {
      case 'yaml':
        await this.write(renderYAML(this.forStdout(rows.map(document))))
        break
      case 'csv':
        await this.write(renderCSV([...COLUMNS, {key: 'userID'}, {key: 'orgID'}, {key: 'createdAt'}, {key: 'updatedAt'}, {key: 'error'}],
          this.forStdout(rows.map((r) => ({...tableRow(r, flags.redact), token: r.token ?? '', userID: r.userID, orgID: r.orgID, createdAt: r.createdAt, updatedAt: r.updatedAt, error: r.error})))))
        break
      case 'influxd':
        await this.write(influxdAuthTable(flags.redact ? rows.map((r) => ({...r, token: undefined, tokenState: r.tokenState === 'raw' ? 'hashed' : r.tokenState})) : rows))
        break
      default:
        await this.table(COLUMNS, rows.map((r) => tableRow(r, flags.redact)), {
          color: (key, text) => (key === 'status' ? statusColor(text) : undefined),
          wholeWith: '--format yaml or --json',
        })
    }
  }
}
