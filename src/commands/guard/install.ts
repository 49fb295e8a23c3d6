import * as fs from 'node:fs'
import * as path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {CONTAINER_DEFAULTS, dockerRecipe, exportDirFlag, guardRunArgs, kubernetesRecipe, recipientFlags, systemdDirFlag, unitFlag, type GuardTarget} from '../../cli/guard.js'
import {ExitCode, RecoverError, UsageError} from '../../errors.js'
import {gatherRecipients, validateRecipients} from '../../platform/age.js'
import {notABoltFile} from '../../platform/file-check.js'
import {checkExportDir, DEFAULT_EXPORT_DIR, defaultExportDir} from '../../platform/guard-exports.js'
import {resolveBoltPath} from '../../platform/locate.js'
import {cliInvocation, defaultSystemdDir, dropInPath, readDropIn, renderDropIn, unitName, writeDropIn} from '../../platform/systemd.js'

const PRINT_TARGETS = ['docker', 'kubernetes'] as const

/** Where package managers put unit files: to say when the unit named does not seem to exist. */
const UNIT_DIRS = ['/lib/systemd/system', '/usr/lib/systemd/system', '/run/systemd/system']

export default class GuardInstall extends BaseCommand {
  static override summary = 'Capture raw tokens automatically before every influxd start (systemd drop-in)'
  static override description = `Writes the systemd drop-in <systemd-dir>/<unit>.d/50-influx-recover-guard.conf with one line, "ExecStartPre=-+<this CLI> guard run --bolt-path … --export-dir … --recipient …": before every start of influxd (the start after "apt upgrade" too) "guard run" writes an encrypted export of every raw token not yet in the newest export. "-" means a failing guard never stops influxd; "+" runs it as root whatever User= the unit sets, so the exports stay root's (directory 0700, files 0600).

A recipient is required: --recipient age1… (repeatable, written into the line) or --recipients-file FILE (one key a line, read at every run; it must be root's and writable by nobody else). Plaintext exports only with --plaintext-exports, said explicitly. The database defaults to the one influxd would use; the export directory is created now (mode 0700).

Idempotent: the same call again changes nothing; other values replace the line. --dry-run prints the drop-in without writing. Afterwards run "systemctl daemon-reload" (and restart influxd to capture at once). "guard status" checks it; "guard uninstall" removes it.

--print docker|kubernetes prints the same capture for containers instead (nothing is written): a one-shot "docker run" on the InfluxDB container's volumes before changing the image tag, or an initContainer for the InfluxDB pod. With the default --image the CLI comes from npm through npx; any other image must have influx-recover on its PATH.`

  static override examples = [
    {description: 'Encrypt every capture to your age key (made with age-keygen)', command: '<%= config.bin %> <%= command.id %> --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'},
    {description: 'Keys from a file, another unit, see the drop-in first', command: '<%= config.bin %> <%= command.id %> --recipients-file /etc/influx-recover/recipients.txt --unit influxd.service --dry-run'},
    {description: 'The capture as a Kubernetes initContainer', command: '<%= config.bin %> <%= command.id %> --print kubernetes --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'},
  ]

  static override flags = {
    unit: unitFlag,
    'systemd-dir': systemdDirFlag,
    'bolt-path': Flags.string({description: 'the influxd.bolt to guard [default: found like influxd does; with --print: /var/lib/influxdb2/influxd.bolt in the container]', helpValue: 'FILE'}),
    'export-dir': exportDirFlag(`where the exports go [default: ${DEFAULT_EXPORT_DIR}; --print kubernetes: influx-recover-exports beside the database on its volume]`),
    ...recipientFlags,
    'plaintext-exports': Flags.boolean({description: 'write the exports unencrypted (mode 0600): only when you mean it', default: false}),
    'dry-run': Flags.boolean({description: 'print the drop-in and where it would go; write nothing', default: false}),
    print: Flags.option({options: PRINT_TARGETS, description: 'print the capture for docker or kubernetes instead of installing (nothing is written)'})(),
    image: Flags.string({description: `--print: the image to run the guard in (default ${CONTAINER_DEFAULTS.image}, with the CLI from npm)`, helpValue: 'IMAGE'}),
    container: Flags.string({description: `--print docker: the InfluxDB container whose volumes hold the data (default ${CONTAINER_DEFAULTS.container})`, helpValue: 'NAME'}),
    volume: Flags.string({description: `--print kubernetes: the pod's volume holding the data (default ${CONTAINER_DEFAULTS.volume})`, helpValue: 'NAME'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(GuardInstall)
    const recipientsFiles = (flags['recipients-file'] ?? []).map((f) => path.resolve(f))
    const plaintext = flags['plaintext-exports']
    if (plaintext && ((flags.recipient ?? []).length > 0 || recipientsFiles.length > 0)) throw new UsageError('--plaintext-exports and recipients exclude each other')
    if (!plaintext && (flags.recipient ?? []).length === 0 && recipientsFiles.length === 0) {
      throw new UsageError(
        'refusing to install a guard without a recipient: its exports would hold every token in plaintext',
        'give --recipient age1… (your key from "age-keygen") or --recipients-file FILE; or --plaintext-exports to accept plaintext files',
      )
    }
    // the run trusts the recipients file as root does: check it now, as it will
    const recipients = plaintext ? [] : gatherRecipients({recipient: flags.recipient, recipientsFile: recipientsFiles}, {trusted: true})
    if (!plaintext) await validateRecipients(recipients)

    if (flags.print !== undefined) {
      const recipe = {
        image: flags.image, version: this.config.version, boltPath: flags['bolt-path'], exportDir: flags['export-dir'],
        recipients: recipients.map((r) => r.key), plaintextExports: plaintext, container: flags.container, volume: flags.volume,
      }
      if (recipe.boltPath !== undefined && !path.posix.isAbsolute(recipe.boltPath)) throw new UsageError('--bolt-path must be an absolute path inside the container')
      await this.write(flags.print === 'docker' ? dockerRecipe(recipe) : kubernetesRecipe(recipe))
      return
    }
    for (const f of ['image', 'container', 'volume'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} goes with --print`)

    const unit = unitName(flags.unit)
    const systemdDir = path.resolve(flags['systemd-dir'] ?? defaultSystemdDir())
    let boltPath: string
    let exists: boolean
    if (flags['bolt-path'] !== undefined) {
      boltPath = path.resolve(flags['bolt-path'])
      exists = fs.existsSync(boltPath)
      // a file that is there must be one: a directory or FIFO is refused like by every command
      if (exists && !fs.statSync(boltPath).isFile()) throw notABoltFile(boltPath, fs.statSync(boltPath).isDirectory() ? 'a directory' : 'a special file')
    } else {
      const res = await resolveBoltPath()
      boltPath = path.resolve(res.path)
      exists = res.exists
    }
    const target: GuardTarget = {
      boltPath,
      exportDir: path.resolve(flags['export-dir'] ?? defaultExportDir()),
      // keys given on the command line go into the line; files are named, so editing one takes effect at the next start
      recipients: (flags.recipient ?? []).map((r) => r.trim()),
      recipientsFiles,
      plaintextExports: plaintext,
    }
    const argv = [...cliInvocation(), ...guardRunArgs(target)]
    const text = renderDropIn(unit, argv)
    const file = dropInPath(systemdDir, unit)
    const existing = readDropIn(file)
    if (existing !== undefined && !existing.ours) {
      throw new RecoverError(`${file} exists and was not written by influx-recover: refusing to replace it`, ExitCode.ERROR, 'move it away (or pick another --unit) and run this again')
    }
    if (flags['dry-run']) {
      await this.write(`# would write ${file} (nothing was written):\n${text}`)
      return
    }
    const unchanged = existing !== undefined && fs.readFileSync(file, 'utf8') === text
    if (!unchanged) writeDropIn(systemdDir, unit, text)
    const dir = checkExportDir(target.exportDir, {create: true})
    const how = plaintext ? 'in PLAINTEXT (--plaintext-exports)' : `encrypted to ${recipients.length} recipient(s)`
    const out = [
      unchanged ? `already installed, unchanged: ${file}` : `${existing !== undefined ? 'updated' : 'installed'} ${file}`,
      `before every start of ${unit}: raw tokens of ${boltPath} not yet captured go to ${target.exportDir}${dir.created ? ' (created, mode 0700)' : ''}, ${how}`,
    ]
    if (!exists) out.push(`note: there is no ${boltPath} yet; the guard captures once influxd has created it (check the path with "influx-recover locate")`)
    if (![systemdDir, ...UNIT_DIRS].some((d) => fs.existsSync(path.join(d, unit)))) out.push(`note: no unit file ${unit} found in ${[systemdDir, ...UNIT_DIRS].join(', ')}: is the service named differently (--unit)?`)
    if (!unchanged) out.push(`next: systemctl daemon-reload (then "systemctl restart ${unit}" captures at once; "influx-recover guard status" checks)`)
    await this.lines(out)
  }
}
