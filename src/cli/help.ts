/**
 * oclif's help, with one change: the USAGE line names a negatable boolean
 * flag as `--[no-]backup`, as its FLAGS entry does (oclif's usage line shows
 * only `--backup`, so the two disagreed and `--no-backup` seemed not to exist).
 * Configured as the help class (package.json oclif.helpClass; bin/dev.mjs
 * points at this file).
 */
import {CommandHelp, Help} from '@oclif/core'

/** `usage` with every `--NAME` of a negatable boolean flag as `--[no-]NAME` (whole flag names only). */
export function negatableUsage(usage: string, negatable: readonly string[]): string {
  let out = usage
  for (const name of negatable) {
    out = out.replace(new RegExp(`(^|[\\s[(|])--${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s\\])|])`, 'g'), `$1--[no-]${name}`)
  }
  return out
}

class NegatableCommandHelp extends CommandHelp {
  protected override defaultUsage(): string {
    const negatable = Object.entries(this.command.flags ?? {})
      .filter(([, f]) => f.type === 'boolean' && f.allowNo === true && f.char === undefined && !f.hidden)
      .map(([name]) => name)
    return negatableUsage(super.defaultUsage(), negatable)
  }
}

export default class InfluxRecoverHelp extends Help {
  protected override CommandHelpClass = NegatableCommandHelp
}
