import {Flags} from '@oclif/core'

import {authWriteFlags} from '../../cli/auth-command.js'
import {UserAdminCommand, userRefFlags} from '../../cli/user-admin-command.js'
import {quotedName} from '../../recovery/name-rules.js'
import {renameUser} from '../../recovery/user-admin.js'

export default class UserRename extends UserAdminCommand {
  static override summary = 'Rename a user (the name it logs in with)'
  static override description = `Gives one user (named by --username or --id) a new name, as influxd's UpdateUser does, in one transaction: the usersv1 record is written again with the new name (every other byte kept), the old userindexv1 entry is deleted and the new one added. The ID, the password, the org memberships and the tokens stay; only the login name changes (token descriptions that mention the old name keep it).

The new name (--name, like "influx user update -n") must not be taken ("user with name X already exists", exit 1), must not be empty, start or end with white space, or contain control characters (exit 2). Renaming to the current name writes nothing.

Destructive (logins with the old name stop working): asks for confirmation on a terminal, and needs --yes otherwise. Safe write: lock (exit 3 while influxd runs), verified backup unless --no-backup, one transaction, verified afterwards (undone, exit 6 on failure), an audit line. An unknown user exits 5.`

  static override examples = [
    {description: 'Rename admin to ops-admin', command: '<%= config.bin %> <%= command.id %> --username admin --name ops-admin --yes'},
    {description: 'By ID, see the change first', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --id 0a1b2c3d4e5f6071 --name alice --dry-run'},
  ]

  static override flags = {
    ...userRefFlags,
    name: Flags.string({char: 'n', description: 'the new name', helpValue: 'NEW', required: true}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(UserRename)
    this.jsonMode = flags.json
    await this.runUserWrite({
      command: 'user rename',
      flags,
      label: 'pre-user-rename',
      summary: (name) => `rename user ${quotedName(name)} to ${quotedName(flags.name)}`,
      destructive: true,
      apply: (tx, user) => renameUser(tx, {user, name: flags.name}),
      done: (r) => `renamed user ${quotedName(r.previousName ?? '')} to ${quotedName(r.user.name)}`,
      unchanged: (r) => `user ${r.user.id} is already named ${quotedName(r.user.name)}: nothing was written`,
    })
  }
}
