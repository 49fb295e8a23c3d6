import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../../cli/base-command.js'
import {withDataFile} from '../../cli/data-file.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {check} from '../../bbolt/check.js'
import {appendScrubAudit} from '../../cli/write.js'
import {openAuditLog} from '../../platform/audit.js'
import {backupFile} from '../../platform/backup.js'
import {fileSha256, startFileSha256} from '../../platform/file-hash.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {plaintextCopies} from '../../recovery/doctor.js'
import {hashedTokenRemnants, scrub, type ScrubReport} from '../../recovery/hash-upgrade.js'

export default class AuthScrub extends BaseCommand {
  static override summary = 'Overwrite the unused pages of influxd.bolt with zeros so that no old plaintext token can be read from it'
  static override description = `For files whose tokens were hashed by influxd itself (or by "auth hash-upgrade --no-scrub"): bbolt never clears freed pages, so the plaintext of hashed tokens stays readable in them and under the previous meta page. This makes both meta pages point at the newest tree, zeroes every page it does not use and the file's tail, then searches the whole file for token-shaped strings whose hash is the hashedToken of a record: exit 0 when none is left, 6 when some remain.

The data in use is not changed. No backup is made unless --backup is given: a backup is a copy of exactly the plaintext this command removes. The lock is taken as for every write (exit 3 while influxd runs).`

  static override examples = [
    {description: 'After InfluxDB 2.9 hashed the tokens', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt'},
    {description: 'The file influxd would use, keeping a copy first (it still holds the plaintext: store it safely), with the result as JSON', command: '<%= config.bin %> <%= command.id %> --backup --backup-dir /root/influx-backups --json'},
  ]

  static override flags = {
    ...influxdFileFlags,
    backup: Flags.boolean({description: 'copy the file first (the copy keeps the plaintext remnants)', default: false}),
    'backup-dir': Flags.directory({description: 'directory for the backup copy [default: the file\'s own directory]', helpValue: 'DIR'}),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthScrub)
    this.jsonMode = flags.json
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const res = await withDataFile(path, {write: true, timeoutSec: flags['lock-timeout'], check: true, hashBefore: !flags.backup}, async (ctx) => {
      // the whole file passed the consistency check when it was opened (withDataFile's check, exit 4 otherwise)
      // checked before anything changes; the scrub changes the file's bytes, so it has its line
      const auditLog = openAuditLog(ctx.realPath)
      ctx.onClose(() => auditLog.close())
      const fd = ctx.lock.fd
      let backup: string | null = null
      let shaBefore: string | undefined
      if (flags.backup) {
        const b = await backupFile({fd, path, realPath: ctx.realPath}, {dir: flags['backup-dir'], label: 'pre-scrub'})
        backup = b.path
        shaBefore = b.sha256
        this.note(`backup: ${backup} (it holds the plaintext remnants)`)
      }
      shaBefore ??= ctx.shaBefore !== undefined ? await ctx.shaBefore.result.catch(() => fileSha256(fd)) : fileSha256(fd)
      const before = hashedTokenRemnants(ctx.db)
      const line = {
        command: 'auth scrub', flags: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== false)), fd, before: shaBefore, txidBefore: ctx.db.meta().txid,
      }
      let scrubbed: ScrubReport
      try {
        scrubbed = scrub(ctx.db)
      } catch (err) {
        const warning = await appendScrubAudit(auditLog, {...line, txidAfter: ctx.db.meta().txid, outcome: 'failed'})
        if (warning !== undefined) this.note(warning)
        throw err
      }
      // the line's hash of the file as scrubbed, beside the checks below (which only read)
      const hashAfter = startFileSha256(fd)
      let post: ReturnType<typeof check>
      let remnants: string[]
      try {
        post = check(ctx.db)
        remnants = post.ok ? hashedTokenRemnants(ctx.db) : []
      } finally {
        const warning = await appendScrubAudit(auditLog, {...line, txidAfter: ctx.db.meta().txid, outcome: 'ok', hashAfter})
        if (warning !== undefined) this.note(warning)
      }
      if (!post.ok) throw new RecoverError(`the file does not pass the consistency check after scrubbing: ${post.problems[0]}`, ExitCode.VERIFY_FAILED, backup ? `the backup is ${backup}` : undefined)
      return {backup, before, scrubbed, remnants}
    })
    const stillExposed = [...new Set([...(res.backup !== null ? [res.backup] : []), ...plaintextCopies(path)])]
    if (flags.json) await this.printJson({scrubbed: res.scrubbed, remnantsBefore: res.before, remnants: res.remnants, backup: res.backup, stillExposed})
    else {
      await this.lines([
        `scrubbed ${path}: ${res.scrubbed.pagesZeroed} unused page(s) and ${res.scrubbed.tailBytesZeroed} tail byte(s) zeroed; plaintext of ${res.before.length} hashed token(s) found before`,
        ...stillExposed.map((p) => `STILL EXPOSED: ${p} is a copy of the database (it may hold plaintext tokens)`),
      ])
    }
    if (res.remnants.length > 0) {
      throw new RecoverError(`the plaintext of ${res.remnants.length} hashed token(s) is still in ${path}: ${res.remnants.join(', ')}`, ExitCode.VERIFY_FAILED, 'a record that still holds its token next to its hash keeps it in use: "influx-recover auth hash-upgrade" removes it; otherwise compact the file into a new one ("influx-recover bolt compact") and check it with "influx-recover doctor"')
    }
  }
}
