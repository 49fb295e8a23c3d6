import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {influxdFileFlags} from '../../../cli/influxd-file.js'
import {runRecordWrite} from '../../../cli/record-write.js'
import {V1AuthCommand, v1Ref, v1RefFlags} from '../../../cli/v1-auth-command.js'
import {deleteV1Authorization, verifyV1} from '../../../recovery/v1-auth.js'

export default class V1AuthDelete extends V1AuthCommand {
  static override summary = 'Delete a v1 (InfluxQL / 1.x API) login with its password'
  static override description = `Removes one v1 login (named by --id or --username): its legacy/authorizationsv1 record, its user name index entry and its password. influxd's own delete leaves the password entry behind; this one removes it, and it also cleans up what such deletes left: with --id, a password whose login no longer exists; with --username, an index entry that leads to a missing login ("doctor" lists both). A record that cannot be decoded can be deleted too.

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: exits 3 while influxd holds the file, a verified backup first (unless --no-backup; the only way back), one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown ID or user name exits 5.`

  static override examples = [
    {description: 'Remove the login of a retired Grafana', command: '<%= config.bin %> <%= command.id %> --username grafana --yes'},
    {description: 'Remove a password left over by influxd ("doctor" names the ID)', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071 --yes'},
    {description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --username telegraf --dry-run'},
  ]

  static override flags = {...influxdFileFlags, ...v1RefFlags, ...writeFlags, json: jsonFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(V1AuthDelete)
    this.jsonMode = flags.json
    const ref = v1Ref(flags)
    const done = await runRecordWrite({
      command: 'v1 auth delete',
      flags,
      label: 'pre-v1-delete',
      summary: `delete the v1 login ${flags.username ?? flags.id} (clients using it can no longer log in)`,
      destructive: true,
      canPrompt: true,
      apply: (tx) => deleteV1Authorization(tx, {ref}),
      verify: (tx, r) => verifyV1(tx, r),
      audit: (r) => ({ids: r.ids}),
    }, (l) => this.note(l))
    if (done === null) return
    await this.printV1(done, 'v1 auth delete', flags.json, `deleted v1 authorization ${done.outcome.result.auth.id}`)
  }
}
