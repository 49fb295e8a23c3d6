import {Flags} from '@oclif/core'

import {BaseCommand, jsonFlag} from '../cli/base-command.js'
import {outputWidth} from '../cli/terminal.js'
import {renderTable} from '../platform/format.js'
import {boltFileNotFound, type Candidate, type CandidateReport, listCandidates, type LookedAt} from '../platform/locate.js'
import {describeInfluxdFile} from '../recovery/describe.js'

/** Describes a candidate file: its schema level (InfluxDB versions) and txid. */
const describeCandidate: (path: string) => Promise<string | undefined> = describeInfluxdFile

function lockedText(c: Candidate): string {
  if (c.locked === true) return 'yes (in use)'
  if (c.locked === false) return 'no'
  return `unknown${c.lockNote ? ` (${c.lockNote})` : ''}`
}

function lookedLine(l: LookedAt): string {
  if (l.path === '') return `  ${l.where}: ${l.note ?? 'nothing'}`
  return `  ${l.where}: ${l.path} (${l.found ? 'found' : (l.note ?? 'missing')})`
}

function humanReport(report: CandidateReport, maxWidth: number | undefined): string[] {
  const {used} = report
  const out: string[] = []
  const usedCand = report.candidates.find((c) => c.used)
  out.push(`influxd would use: ${used.path}`)
  out.push(`  because: ${used.source}`)
  if (usedCand) {
    out.push(`  state:   exists, ${usedCand.size} bytes, modified ${usedCand.mtime}, locked: ${lockedText(usedCand)}`)
  } else {
    out.push(`  state:   ${used.note ?? 'does not exist'}${used.status === 'missing' ? ' (influxd would create an empty one there; this tool never does)' : ''}`)
  }
  out.push('')
  if (report.candidates.length === 0) {
    out.push('No influxd.bolt found anywhere.')
  } else {
    out.push(`Candidates (${report.candidates.length}):`)
    const rows = report.candidates.map((c) => ({
      used: c.used ? '*' : '',
      path: c.path === c.realPath ? c.path : `${c.path} -> ${c.realPath}`,
      size: c.size,
      mtime: c.mtime,
      locked: lockedText(c),
      schema: c.schema ?? '',
      why: c.reasons.join('; '),
    }))
    const table = renderTable(
      [
        {key: 'used', header: 'USED'},
        {key: 'path', header: 'PATH'},
        {key: 'size', header: 'SIZE', align: 'right'},
        {key: 'mtime', header: 'MODIFIED'},
        {key: 'locked', header: 'LOCKED'},
        {key: 'schema', header: 'SCHEMA'},
        {key: 'why', header: 'FOUND AS'},
      ],
      rows,
      {maxWidth},
    )
    out.push(...table.trimEnd().split('\n'))
  }
  if (report.skipped.length > 0) {
    out.push('', 'Skipped:')
    for (const s of report.skipped) out.push(`  ${s.path}: ${s.note} [${s.reasons.join('; ')}]`)
  }
  out.push('', 'Looked at:')
  out.push(...report.looked.map(lookedLine))
  if (used.warnings.length > 0) {
    out.push('', 'Warnings:')
    out.push(...used.warnings.map((w) => `  ${w}`))
  }
  return out
}

export default class Locate extends BaseCommand {
  static override summary = 'Find influxd.bolt the way influxd does, and list every copy found'
  static override description = `Resolves the bolt file influxd would use, in influxd's order: --bolt-path, env INFLUXD_BOLT_PATH, bolt-path in influxd's config file (INFLUXD_CONFIG_PATH as a file or directory, else config.{json,toml,yaml,yml} in the working directory), the deb/rpm service environment (/etc/default/influxdb2 naming INFLUXD_BOLT_PATH or INFLUXD_CONFIG_PATH, usually /etc/influxdb/config.toml), then ~/.influxdbv2/influxd.bolt. Relative paths are relative to the working directory and "~" is not expanded, as in influxd.

Then lists every existing candidate among those and the usual places (/var/lib/influxdb, /var/lib/influxdb2, /root/.influxdbv2, /var/lib/influxdb/.influxdbv2) with size, modification time, what the file is, whether it is locked right now (a running influxd holds an exclusive lock), and which one would be used and why.

Read-only: nothing is ever created; the lock check is one non-blocking attempt, released at once. Exit 0 when the file that would be used exists, 5 when it does not (the message says everywhere it looked).`

  static override examples = [
    {description: 'Where is influxd.bolt on this machine?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON, for scripts', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'As the deb/rpm service sees it (its user, its config, working directory "/")', command: 'cd / && sudo -u influxdb INFLUXD_CONFIG_PATH=/etc/influxdb/config.toml <%= config.bin %> <%= command.id %>'},
    {description: 'Check a specific file and see the other copies', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb/influxd.bolt'},
  ]

  static override flags = {
    'bolt-path': Flags.string({
      description: 'the file a command would be given with --bolt-path: it is reported as the one used',
      helpValue: 'FILE',
    }),
    json: jsonFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Locate)
    this.jsonMode = flags.json
    const report = await listCandidates({boltPath: flags['bolt-path'], describe: describeCandidate})
    const {used} = report
    if (flags.json) {
      await this.printJson({
        used: {
          path: used.path,
          source: used.source,
          exists: used.exists,
          status: used.status,
          ...(used.note ? {note: used.note} : {}),
        },
        candidates: report.candidates,
        skipped: report.skipped,
        looked: report.looked,
        warnings: used.warnings,
      })
    } else {
      const maxWidth = outputWidth()
      await this.lines(humanReport(report, maxWidth))
    }
    if (!used.exists) {
      throw boltFileNotFound(
        used,
        report.candidates.map((c) => c.path),
        // the report (text or JSON) lists where it looked already
        [],
        'pass the file with --bolt-path FILE; if influxd runs as another user, in a container or as a service, run this command the same way (its user, working directory and INFLUXD_* variables)',
      )
    }
  }
}
