import {Flags} from '@oclif/core'

import {authWriteFlags} from '../../cli/auth-command.js'
import {UserAdminCommand, userRefFlags} from '../../cli/user-admin-command.js'
import {quotedName} from '../../recovery/name-rules.js'
import {setUserStatus} from '../../recovery/user-admin.js'

export default class UserInactive extends UserAdminCommand {
  static override summary = 'Deactivate a user: influxd refuses all its tokens and v1 logins'
  static override description = `Sets the status of one user (named by --username or --id) to "inactive", as influxd's UpdateUser does: the usersv1 record is written again with the status, every other byte kept. influxd checks the user's status on every request, so all the user's API tokens (403 "User is inactive") and v1 logins stop working, without being changed; "user active" undoes it. The tokens affected are listed.

Refuses (exit 1) to deactivate the user who owns every active operator token (nobody could administer the instance any more), unless --force. A user that is already inactive is left alone (nothing written, exit 0).

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: lock (exit 3 while influxd runs), verified backup unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown user exits 5.`

  static override examples = [
    {description: 'Lock a departed user out (all tokens at once)', command: '<%= config.bin %> <%= command.id %> --username contractor --yes'},
    {description: 'See which tokens would stop working', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071 --dry-run'},
  ]

  static override flags = {
    ...userRefFlags,
    force: Flags.boolean({description: 'also deactivate the owner of the last active operator token', default: false}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(UserInactive)
    this.jsonMode = flags.json
    await this.runUserWrite({
      command: 'user inactive',
      flags,
      label: 'pre-user-deactivate',
      summary: (name) => `deactivate user ${quotedName(name)} (influxd refuses all its tokens)`,
      destructive: true,
      apply: (tx, user) => setUserStatus(tx, {user, status: 'inactive', force: flags.force}),
      done: (r) => `user ${quotedName(r.user.name)} is inactive now`,
      unchanged: (r) => `user ${quotedName(r.user.name)} is already inactive: nothing was written`,
    })
  }
}
