/**
 * `v1 auth set-active` / `set-inactive`: the status and updatedAt of one v1
 * login; a login already in that status is left alone (exit 0).
 */
import type {AuthorizationStatus} from '../influxd/records.js'
import {peekV1, setV1Status, verifyV1} from '../recovery/v1-auth.js'
import {runRecordWrite, type WriteFlagValues} from './record-write.js'
import {V1AuthCommand, v1Document, v1Ref} from './v1-auth-command.js'

export abstract class V1StatusCommand extends V1AuthCommand {
  protected async changeStatus(flags: WriteFlagValues & Record<string, unknown> & {id?: string; username?: string}, status: AuthorizationStatus): Promise<void> {
    const ref = v1Ref(flags)
    const command = status === 'active' ? 'v1 auth set-active' : 'v1 auth set-inactive'
    let already: {id: string; username?: string} | undefined
    const done = await runRecordWrite({
      command,
      flags,
      label: status === 'active' ? 'pre-v1-activate' : 'pre-v1-deactivate',
      summary: status === 'active' ? `activate the v1 login ${flags.username ?? flags.id}` : `deactivate the v1 login ${flags.username ?? flags.id} (influxd refuses it until it is active again)`,
      destructive: status === 'inactive',
      canPrompt: true,
      prepare: (ctx) => {
        const cur = ctx.db.view((tx) => peekV1(tx, ref))
        if (cur.status !== status) return true
        already = cur
        return false
      },
      apply: (tx) => setV1Status(tx, {ref, status}),
      verify: (tx, r) => verifyV1(tx, r),
      audit: (r) => ({ids: r.ids}),
    }, (l) => this.note(l))
    if (done === null) {
      if (flags.json) await this.printJson({authorization: v1Document({id: already!.id, username: already!.username, status}), changed: false})
      else await this.lines([`v1 authorization ${already!.id} is already ${status}: nothing was written`])
      return
    }
    await this.printV1(done, command, flags.json, `v1 authorization ${done.outcome.result.auth.id} is ${status} now`)
  }
}
