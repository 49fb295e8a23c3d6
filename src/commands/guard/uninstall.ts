import * as path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {systemdDirFlag, unitFlag} from '../../cli/guard.js'
import {ExitCode, RecoverError} from '../../errors.js'
import {defaultExportDir} from '../../platform/guard-exports.js'
import {defaultSystemdDir, dropInPath, readDropIn, removeDropIn, unitName} from '../../platform/systemd.js'

export default class GuardUninstall extends BaseCommand {
  static override summary = 'Remove the guard\'s systemd drop-in (the exports are kept)'
  static override description = `Removes <systemd-dir>/<unit>.d/50-influx-recover-guard.conf (and the <unit>.d directory when nothing else is in it). A file there that "guard install" did not write is left alone (exit 1). The exports are never touched: it says where they are. Afterwards run "systemctl daemon-reload". Nothing installed: says so, exit 0.`

  static override examples = [
    {description: 'Remove the guard of influxdb.service', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --unit influxd.service --dry-run'},
  ]

  static override flags = {
    unit: unitFlag,
    'systemd-dir': systemdDirFlag,
    'dry-run': Flags.boolean({description: 'say what would be removed; remove nothing', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(GuardUninstall)
    const unit = unitName(flags.unit)
    const file = dropInPath(path.resolve(flags['systemd-dir'] ?? defaultSystemdDir()), unit)
    const d = readDropIn(file)
    if (d === undefined) {
      await this.lines([`not installed: there is no ${file} (nothing was removed)`])
      return
    }
    if (!d.ours) throw new RecoverError(`${file} was not written by influx-recover: refusing to remove it`, ExitCode.ERROR, 'remove it by hand if you mean to')
    const exports = d.exportDir ?? defaultExportDir()
    if (flags['dry-run']) {
      await this.lines([`would remove ${file} (nothing was removed); the exports in ${exports} would be kept`])
      return
    }
    removeDropIn(file)
    await this.lines([
      `removed ${file}: influxd starts without capturing tokens from now on`,
      `the exports are kept in ${exports}`,
      'next: systemctl daemon-reload',
    ])
  }
}
