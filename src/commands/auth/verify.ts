import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {AUTHORIZATIONS} from '../../influxd/buckets.js'
import {requireBuckets} from '../../recovery/read-model.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {readSecret} from '../../cli/secret-input.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {statusColor} from '../../cli/terminal.js'
import {findToken} from '../../recovery/verify.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

export default class AuthVerify extends BaseCommand {
  static override summary = 'Tell which authorization a plaintext token belongs to (raw or hashed)'
  static override description = `Looks a token up the way influxd does (the raw index, then the hashed index under sha256 and sha512) and also by checking every record, so a token whose index entry is missing or stale is still found and the disagreement reported. Prints the ID, status, user, org, kind and how the token is stored (raw, or hashed with its variant); the token itself is never printed, only its SHA-256 fingerprint.

The token is read from stdin (--token-stdin) or a file (--token-file), never from the command line. Read-only. Exit 0 on a match, 5 when no authorization holds the token.`

  static override examples = [
    {description: 'Which token is this?', command: 'printf \'%s\\n\' "$INFLUX_TOKEN" | <%= config.bin %> <%= command.id %> --token-stdin'},
    {description: 'From a file, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --token-file ./token --json'},
  ]

  static override flags = {
    'token-stdin': Flags.boolean({description: 'read the token to look up from stdin (its first line)', default: false, exclusive: ['token-file']}),
    'token-file': Flags.string({description: 'read the token to look up from this file (one trailing newline removed)', helpValue: 'FILE', exclusive: ['token-stdin']}),
    ...influxdFileFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthVerify)
    this.jsonMode = flags.json
    const token = await readSecret({fromStdin: flags['token-stdin'], file: flags['token-file'], what: 'token', warn: (l) => this.note(l)})
    if (token === undefined) throw new UsageError('no token given', 'pass --token-stdin (and pipe the token) or --token-file FILE')
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const report = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, (ctx) => ctx.db.view((tx) => {
      requireBuckets(tx, AUTHORIZATIONS)
      return findToken(tx, token)
    }))
    const fp = `sha256:${report.fingerprint.slice(0, 16)}`
    if (flags.json) {
      await this.printJson({file: path, fingerprint: report.fingerprint, found: report.matches.length > 0, matches: report.matches, problems: report.problems})
    } else if (report.matches.length > 0) {
      await this.table(
        [
          {key: 'id', header: 'ID', minWidth: 16}, {key: 'description', header: 'Description'}, {key: 'status', header: 'Status'},
          {key: 'user', header: 'User'}, {key: 'org', header: 'Org'}, {key: 'kind', header: 'Kind'}, {key: 'stored', header: 'Stored'},
        ],
        report.matches.map((m) => ({
          ...m, user: m.userName ?? m.userID ?? '', org: m.orgName ?? m.orgID,
          stored: m.tokenState === 'hashed' ? `hashed (${m.variant ?? 'unknown variant'})` : 'raw',
        })),
        {color: (key, text) => (key === 'status' ? statusColor(text) : undefined)},
      )
    }
    if (report.matches.length === 0) {
      // a failure is one line: what the indexes say about the token goes into it
      const seen = report.problems.length > 0 ? ` (${report.problems.join('; ')})` : ''
      throw new NotFoundError(`no authorization in ${path} holds the token with fingerprint ${fp}${seen}`, 'check that the token is complete (no extra characters) and that this is the right influxd.bolt')
    }
    for (const p of report.problems) this.note(`warning: ${p}`)
    if (!flags.json) this.note(`token fingerprint ${fp}`)
  }
}
