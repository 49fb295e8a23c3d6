import {Flags} from '@oclif/core'

import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {influxdFileFlags} from '../../../cli/influxd-file.js'
import {MemberCommand, orgRef, orgRefFlags, userRef, userRefFlags} from '../../../cli/member-command.js'
import {tenantWrite} from '../../../cli/tenant-write.js'
import type {TenantRef} from '../../../recovery/tenants.js'
import {removeMember, verifyMember, type MemberWriteResult} from '../../../recovery/org-members.js'

export default class OrgMembersRemove extends MemberCommand {
  static override summary = 'Remove a user (member or owner) from an organization'
  static override description = `Deletes the user's mapping to the organization (member or owner) and its userresourcemappingsbyuserindexv1 entry, as influxd does for DELETE /api/v2/orgs/{id}/members/{userID}. The user, its tokens and its other mappings stay.

Removing the org's last owner (the last owner mapping whose user exists) is refused unless --force. A user who is not mapped to the org exits 5. Destructive: needs --yes (or a confirmation on a terminal). Safe write: lock (exit 3 while influxd runs), schema gate (exit 4), verified backup unless --no-backup, one transaction, verification with undo (exit 6), audit line.`

  static override examples = [
    {description: 'Remove user grafana from org myorg', command: '<%= config.bin %> <%= command.id %> --org myorg --user grafana --yes'},
    {description: 'See what would be removed, by IDs', command: '<%= config.bin %> <%= command.id %> --org-id dd7cd2292f6e974a --user-id 08371db1dd8c8000 --dry-run'},
  ]

  static override flags = {
    ...influxdFileFlags,
    ...orgRefFlags,
    ...userRefFlags,
    force: Flags.boolean({description: 'allow removing the org\'s last owner', default: false}),
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(OrgMembersRemove)
    this.jsonMode = flags.json
    const user = userRef(flags)
    let org: TenantRef = {}
    const done = await tenantWrite<MemberWriteResult>({
      command: 'org members remove',
      flags,
      label: 'pre-member-remove',
      summary: `remove the user ${flags.user ?? flags['user-id']} from the org`,
      destructive: true,
      prepare: async (ctx) => {
        org = await orgRef(ctx.db, flags)
      },
      apply: (tx) => removeMember(tx, {org, user, force: flags.force}),
      verify: (tx, r) => verifyMember(tx, r),
      ids: (r) => r.ids,
    }, (line) => this.note(line))
    await this.printMemberResult(done!.path, done!.outcome, flags.json)
  }
}
