/**
 * Finding and opening influxd.bolt for the InfluxDB commands: --bolt-path,
 * else resolved the way influxd does (INFLUXD_BOLT_PATH, its config file,
 * the package layout, ~/.influxdbv2/influxd.bolt). Never creates the file.
 */
import {Flags} from '@oclif/core'

import {requireBoltPath} from '../platform/locate.js'
import {locationWarnings} from '../platform/ownership.js'
import {lockTimeoutFlag} from './base-command.js'

export const influxdFileFlags = {
  'bolt-path': Flags.string({
    description: 'path of influxd.bolt [default: found like influxd does: INFLUXD_BOLT_PATH, its config file, the package layout, ~/.influxdbv2/influxd.bolt]',
    helpValue: 'FILE',
  }),
  'lock-timeout': lockTimeoutFlag,
}

export interface FoundFile {
  path: string
  /** how it was found, for messages and doctor */
  foundBy: string
}

/** The file to work on; exit 5 naming every place looked when there is none. */
export async function findInfluxdFile(boltPath: string | undefined): Promise<FoundFile> {
  const res = await requireBoltPath({boltPath})
  // on stderr, so --json output stays one document; the command still runs
  for (const w of locationWarnings(res.path, res.namedBy)) process.stderr.write(`${w}\n`)
  return {path: res.path, foundBy: res.source === 'flag' ? '--bolt-path' : res.source}
}
