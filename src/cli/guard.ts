/**
 * What the guard commands share: their flags, the `guard run` command line
 * they install, and the container recipes `guard install --print` prints.
 */
import * as path from 'node:path'

import {Flags} from '@oclif/core'

import {DEFAULT_EXPORT_DIR} from '../platform/guard-exports.js'
import {DEFAULT_UNIT} from '../platform/systemd.js'

export const unitFlag = Flags.string({description: 'the systemd service that starts influxd', default: DEFAULT_UNIT, helpValue: 'UNIT'})

export const systemdDirFlag = Flags.string({
  description: 'directory of the unit\'s drop-ins [default: INFLUX_RECOVER_SYSTEMD_DIR, else /etc/systemd/system]',
  helpValue: 'DIR',
})

export const exportDirFlag = (description: string) => Flags.string({description, helpValue: 'DIR'})

/** The guard's recipients: the same flags as the encrypted exports'. */
export {recipientFlags} from './encryption.js'

/** What the guard is told: which file, where the exports go, and to whom. */
export interface GuardTarget {
  boltPath: string
  exportDir: string
  recipients: string[]
  recipientsFiles: string[]
  plaintextExports: boolean
}

/** The arguments after `guard run` for a target. */
export function guardRunArgs(t: GuardTarget): string[] {
  return [
    'guard', 'run', '--bolt-path', t.boltPath, '--export-dir', t.exportDir,
    ...t.recipients.flatMap((r) => ['--recipient', r]),
    ...t.recipientsFiles.flatMap((f) => ['--recipients-file', f]),
    ...(t.plaintextExports ? ['--plaintext-exports'] : []),
  ]
}

/** A word for a POSIX shell: as is when it is plain, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export const CONTAINER_DEFAULTS = {
  image: 'node:20-slim',
  boltPath: '/var/lib/influxdb2/influxd.bolt',
  dockerExportDir: DEFAULT_EXPORT_DIR,
  container: 'influxdb',
  volume: 'data',
} as const

export interface ContainerRecipe {
  /** the image to run: with the default one the CLI comes from npm (npx), any other must have influx-recover on its PATH */
  image?: string
  /** the CLI's version, for npx */
  version: string
  /** database path inside the container */
  boltPath?: string
  /** docker: the host directory for exports; kubernetes: a directory inside the volume */
  exportDir?: string
  /** public keys, written into the command (those of recipients files too: the recipe stands alone) */
  recipients: string[]
  plaintextExports: boolean
  /** docker: the InfluxDB container whose volumes are used */
  container?: string
  /** kubernetes: the pod's volume holding the data */
  volume?: string
}

function cliWords(r: ContainerRecipe): string[] {
  const image = r.image ?? CONTAINER_DEFAULTS.image
  return image === CONTAINER_DEFAULTS.image ? ['npx', '--yes', `influx-recover@${r.version}`] : ['influx-recover']
}

/**
 * The one-shot capture for Docker: stop the InfluxDB container, run the guard
 * in a throw-away container on its volumes (the exports go to a host
 * directory), check that everything raw is captured, then change the tag.
 */
export function dockerRecipe(r: ContainerRecipe): string {
  const image = r.image ?? CONTAINER_DEFAULTS.image
  const container = r.container ?? CONTAINER_DEFAULTS.container
  const boltPath = r.boltPath ?? CONTAINER_DEFAULTS.boltPath
  const hostDir = r.exportDir ?? CONTAINER_DEFAULTS.dockerExportDir
  const mounts = ['--volumes-from', container, '-v', `${hostDir}:/exports`]
  const target = {boltPath, exportDir: '/exports', recipients: r.recipients, recipientsFiles: [], plaintextExports: r.plaintextExports}
  const run = ['docker', 'run', '--rm', ...mounts, image, ...cliWords(r), ...guardRunArgs(target)]
  const status = ['docker', 'run', '--rm', ...mounts, image, ...cliWords(r), 'guard', 'status', '--bolt-path', boltPath, '--export-dir', '/exports']
  return [
    `# Before changing the image tag of "${container}": capture every raw token from its volumes.`,
    ['docker', 'stop', container].map(shellWord).join(' '),
    run.map(shellWord).join(' '),
    '# exit 0: every raw token is captured; then change the tag and start the container again',
    status.map(shellWord).join(' '),
    '',
  ].join('\n')
}

/**
 * The same capture as an initContainer of the InfluxDB pod: it runs `guard
 * run` on the data volume before every start of influxd; the exports stay on
 * that volume.
 */
export function kubernetesRecipe(r: ContainerRecipe): string {
  const image = r.image ?? CONTAINER_DEFAULTS.image
  const volume = r.volume ?? CONTAINER_DEFAULTS.volume
  const boltPath = r.boltPath ?? CONTAINER_DEFAULTS.boltPath
  const mountPath = path.posix.dirname(boltPath)
  const exportDir = r.exportDir ?? path.posix.join(mountPath, 'influx-recover-exports')
  const target = {boltPath, exportDir, recipients: r.recipients, recipientsFiles: [], plaintextExports: r.plaintextExports}
  const command = [...cliWords(r), ...guardRunArgs(target)]
  const lines = [
    `# Add to the InfluxDB pod's spec (the influxdata/influxdb2 chart names its volume "${volume}").`,
    '# It runs before every start of influxd and captures every raw token not yet in the newest export.',
    'initContainers:',
    '  - name: influx-recover-guard',
    `    image: ${JSON.stringify(image)}`,
    `    command: [${command.map((w) => JSON.stringify(w)).join(', ')}]`,
  ]
  if (image === CONTAINER_DEFAULTS.image) {
    lines.push('    env:', '      - {name: HOME, value: /tmp}', '      - {name: npm_config_cache, value: /tmp/.npm}')
  }
  lines.push('    volumeMounts:', `      - {name: ${JSON.stringify(volume)}, mountPath: ${JSON.stringify(mountPath)}}`, '')
  return lines.join('\n')
}
