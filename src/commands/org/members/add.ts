import {Flags} from '@oclif/core'

import {jsonFlag, writeFlags} from '../../../cli/base-command.js'
import {influxdFileFlags} from '../../../cli/influxd-file.js'
import {MemberCommand, orgRef, orgRefFlags, userRef, userRefFlags} from '../../../cli/member-command.js'
import {tenantWrite} from '../../../cli/tenant-write.js'
import type {TenantRef} from '../../../recovery/tenants.js'
import {addMember, membership, verifyMember, type MemberWriteResult} from '../../../recovery/org-members.js'

export default class OrgMembersAdd extends MemberCommand {
  static override summary = 'Make a user a member (or with --owner, an owner) of an organization'
  static override description = `Writes the user resource mapping influxd writes for POST /api/v2/orgs/{id}/members (or /owners with --owner): {"userID","userType","mappingType":"user","resourceType":"orgs","resourceID"} under orgID+userID, and its userresourcemappingsbyuserindexv1 entry. A member can read the org's resources; an owner can also change them.

A user who already has the role: nothing is written (exit 0). A member made owner, or an owner made member, has the mapping rewritten (the bytes influxd writes for a remove and an add); making the org's last owner a member is refused unless --force. Unknown users or orgs exit 5. Safe write: lock (exit 3 while influxd runs), schema gate (exit 4), verified backup unless --no-backup, one transaction, verification with undo (exit 6), audit line. Making an owner a member needs --yes (or a confirmation on a terminal).`

  static override examples = [
    {description: 'Make user grafana a member of org myorg', command: '<%= config.bin %> <%= command.id %> --org myorg --user grafana'},
    {description: 'Make a user an owner again after the last owner left', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --org-id dd7cd2292f6e974a --user-id 08371db1dd8c8000 --owner'},
  ]

  static override flags = {
    ...influxdFileFlags,
    ...orgRefFlags,
    ...userRefFlags,
    owner: Flags.boolean({description: 'make the user an owner (default: a member)', default: false}),
    force: Flags.boolean({description: 'allow making the org\'s last owner a member', default: false}),
    ...writeFlags,
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(OrgMembersAdd)
    this.jsonMode = flags.json
    const user = userRef(flags)
    const role = flags.owner ? 'owner' : 'member'
    let org: TenantRef = {}
    let already: {org: {id: string; name: string}; user: {id: string; name: string}} | undefined
    let demote = false
    const done = await tenantWrite<MemberWriteResult>({
      command: 'org members add',
      flags,
      label: 'pre-member-add',
      summary: `make the user ${flags.user ?? flags['user-id']} ${flags.owner ? 'an owner' : 'a member'} of the org`,
      destructive: () => demote,
      prepare: async (ctx) => {
        org = await orgRef(ctx.db, flags)
        const st = ctx.db.view((tx) => membership(tx, org, user))
        if (st.role === role) {
          already = st
          return false
        }
        demote = st.role === 'owner'
        return true
      },
      apply: (tx) => addMember(tx, {org, user, owner: flags.owner, force: flags.force}),
      verify: (tx, r) => verifyMember(tx, r),
      ids: (r) => r.ids,
    }, (line) => this.note(line))
    if (done === null) {
      if (flags.json) await this.printJson({org: already!.org, user: already!.user, role, changed: false})
      else await this.lines([`${already!.user.name} is already ${flags.owner ? 'an owner' : 'a member'} of org ${already!.org.name}: nothing was written`])
      return
    }
    await this.printMemberResult(done.path, done.outcome, flags.json)
  }
}
