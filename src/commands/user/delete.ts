import {Flags} from '@oclif/core'

import {authWriteFlags} from '../../cli/auth-command.js'
import {UserAdminCommand, userRefFlags} from '../../cli/user-admin-command.js'
import {quotedName} from '../../recovery/name-rules.js'
import {deleteUser} from '../../recovery/user-admin.js'

export default class UserDelete extends UserAdminCommand {
  static override summary = 'Delete a user with its password and org memberships (and, with --force, its tokens)'
  static override description = `Removes one user from influxd.bolt while influxd is stopped, as influxd's tenant store does: the usersv1 record, its userindexv1 entry, its password, and every user resource mapping (org owner or member) with its by-user index entry.

influxd would keep the user's tokens, which then fail with 403 "User is inactive". This command refuses (exit 1) while the user owns tokens (API tokens or v1 logins) and lists them; with --force it deletes them too (records, raw or hashed index entries, v1 user names and passwords) and says which. It also refuses to delete the last owner of an org unless --force. When no users and no orgs are left, influxd offers its onboarding again: a note says so.

Destructive: asks for confirmation on a terminal, and needs --yes otherwise. Safe write: lock (exit 3 while influxd runs), verified backup unless --no-backup (the only way back), one transaction, verified afterwards (undone, exit 6 on failure), an audit line (with the fingerprints of deleted tokens, never a token). An unknown user exits 5.`

  static override examples = [
    {description: 'Delete a user who owns nothing any more', command: '<%= config.bin %> <%= command.id %> --username olduser --yes'},
    {description: 'See what would go, tokens included', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --username contractor --force --dry-run'},
    {description: 'Delete a user and its tokens, by ID, as JSON', command: '<%= config.bin %> <%= command.id %> --id 0a1b2c3d4e5f6071 --force --yes --json'},
  ]

  static override flags = {
    ...userRefFlags,
    force: Flags.boolean({description: 'also delete the user\'s tokens and v1 logins, and delete the last owner of an org', default: false}),
    ...authWriteFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(UserDelete)
    this.jsonMode = flags.json
    await this.runUserWrite({
      command: 'user delete',
      flags,
      label: 'pre-user-delete',
      summary: (name) => `delete user ${quotedName(name)}${flags.force ? ' and every token it owns' : ''}`,
      destructive: true,
      apply: (tx, user) => deleteUser(tx, {user, force: flags.force}),
      done: (r) => `deleted user ${quotedName(r.user.name)}`,
    })
  }
}
