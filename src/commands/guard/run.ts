import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {exportDirFlag, recipientFlags} from '../../cli/guard.js'
import {guardRunMain} from '../../cli/guard-run.js'
import {DEFAULT_EXPORT_DIR} from '../../platform/guard-exports.js'

export default class GuardRun extends BaseCommand {
  static override summary = 'Capture every raw token not yet in the newest export (what the drop-in runs before each influxd start)'
  static override description = `If influxd.bolt holds raw v2 tokens whose SHA-256 fingerprints are not all in the newest export of the export directory, writes a new export holding every raw token: <time>-<txid>.yaml.age (the "auth export" YAML, encrypted to the recipients; .yaml with --plaintext-exports), mode 0600, in a directory of mode 0700 created when missing, read back byte for byte, with a <time>-<txid>.manifest.json beside it (the fingerprints, count, txid and time, so that later runs and "guard status" need no key). Otherwise it writes nothing.

Made to run before influxd: it never creates or modifies the database (read-only, shared lock), waits at most 1 s for the lock, and ALWAYS exits 0: a problem (no database yet, locked, damaged, an unusable export directory or recipients file) is one line on stderr, which systemd writes to the journal; what it did is one line on stdout. It starts without the rest of the CLI and loads the age library only when it captures.`

  static override examples = [
    {description: 'By hand, with influxd stopped', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb/influxd.bolt --recipients-file /etc/influx-recover/recipients.txt'},
    {description: 'Into another directory', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --export-dir /exports --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'},
  ]

  static override flags = {
    'bolt-path': Flags.string({description: 'the influxd.bolt [default: found like influxd does]', helpValue: 'FILE'}),
    'export-dir': exportDirFlag(`where the exports go [default: ${DEFAULT_EXPORT_DIR}]`),
    ...recipientFlags,
    'plaintext-exports': Flags.boolean({description: 'write the export unencrypted (mode 0600)', default: false}),
  }

  async run(): Promise<void> {
    // bin/run.js normally runs guardRunMain before oclif loads; this is the same, for any other way in
    await guardRunMain(this.argv)
  }
}
