import {authWriteFlags} from '../../cli/auth-command.js'
import {UserAdminCommand, userRefFlags} from '../../cli/user-admin-command.js'
import {quotedName} from '../../recovery/name-rules.js'
import {setUserStatus} from '../../recovery/user-admin.js'

export default class UserActive extends UserAdminCommand {
  static override summary = 'Activate a user (its tokens and v1 logins work again)'
  static override description = `Sets the status of one user (named by --username or --id) to "active", as influxd's UpdateUser does: the usersv1 record is written again with the status, every other byte kept. Also the fix for users created by "influxd recovery user create", whose status is empty: influxd's v1 API (InfluxQL, Grafana, Telegraf's 1.x output) refuses their logins until it is exactly "active". A user that is already active is left alone (nothing written, exit 0).

Safe write: lock (exit 3 while influxd runs), verified backup unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. No confirmation is needed. An unknown user exits 5.`

  static override examples = [
    {description: 'Let a deactivated user in again', command: '<%= config.bin %> <%= command.id %> --username alice'},
    {description: 'Fix the empty status "influxd recovery user create" leaves, as JSON', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --username admin2 --json'},
  ]

  static override flags = {...userRefFlags, ...authWriteFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(UserActive)
    this.jsonMode = flags.json
    await this.runUserWrite({
      command: 'user active',
      flags,
      label: 'pre-user-activate',
      summary: (name) => `activate user ${quotedName(name)}`,
      destructive: false,
      apply: (tx, user) => setUserStatus(tx, {user, status: 'active'}),
      done: (r) => `user ${quotedName(r.user.name)} is active now`,
      unchanged: (r) => `user ${quotedName(r.user.name)} is already active: nothing was written`,
    })
  }
}
