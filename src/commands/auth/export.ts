import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {confirmSecretsOnTerminal} from '../../cli/prompt.js'
import {escapeValues} from '../../platform/format.js'
import {withDataFile} from '../../cli/data-file.js'
import {AUTHORIZATIONS} from '../../influxd/buckets.js'
import {requireBuckets} from '../../recovery/read-model.js'
import {findInfluxdFile, influxdFileFlags} from '../../cli/influxd-file.js'
import {HASH_VARIANTS, type HashVariant} from '../../influxd/hashing.js'
import {collectExport, EXPORT_FORMATS, exportSealed, exportToFile, exportToText, renderExport, type ExportFormat, type ExportResult} from '../../recovery/export.js'
import {encryptFlags, refuseBinaryToTerminal, seal, sealedNote, sealingFromFlags} from '../../cli/encryption.js'
import {AUTH_TENANT_BUCKETS} from '../../influxd/buckets.js'

export default class AuthExport extends BaseCommand {
  static override summary = 'Save the plaintext of every raw token to a new file (before InfluxDB 2.9 hashes them)'
  static override description = `Writes every v2 API token stored raw in influxd.bolt to a new file: id, description, userName, orgName, kind, status, token, fingerprint (SHA-256 of the token, hex) and hash (the exact "$influxdb2-sha256$…" string InfluxDB 2.9 stores; --variant sha512 for the other variant). Tokens stored only hashed cannot be exported: yaml and json list them under "notExportable" with the reason, csv gives them a row with exportable=false and no token, env a comment line.

Formats: yaml (default), json, csv (one header line, RFC 4180), env (INFLUX_TOKEN_<ID>=token lines, each after a comment naming the token).

The file is created exclusively with mode 0600 (an existing file is never overwritten: exit 1), fsynced with its directory, then read back and checked token by token against the database; only then is success reported. If the check fails the file is deleted and the command exits 6. "--output -" prints to stdout instead (checked the same way before printing); on a terminal it first asks (or needs --yes), and values holding control characters are shown escaped there (a pipe gets them exact). The database is only read (shared lock).

Encrypted: with --recipient age1… (repeatable) or --recipients-file FILE the file is an age file (binary; --armor for PEM-style text) whose plaintext is exactly the export above, decryptable with the stock age tool ("age -d -i KEYFILE FILE") and read by "auth restore-plaintext --identity". The plaintext is checked against the database before it is encrypted; the written file is read back and compared byte for byte.`

  static override examples = [
    {description: 'Capture every token before upgrading to InfluxDB 2.9', command: '<%= config.bin %> <%= command.id %> --output /root/influx-tokens.yaml'},
    {description: 'As environment variables', command: '<%= config.bin %> <%= command.id %> --bolt-path /var/lib/influxdb2/influxd.bolt --output tokens.env --format env'},
    {description: 'Encrypted to your age key: nothing readable left lying around', command: '<%= config.bin %> <%= command.id %> --output tokens.yaml.age --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'},
  ]

  static override flags = {
    ...influxdFileFlags,
    output: Flags.string({char: 'o', description: 'the new file to write ("-" for stdout); never overwritten', helpValue: 'FILE', required: true}),
    format: Flags.option({options: EXPORT_FORMATS, default: 'yaml' as const, description: 'file format'})(),
    variant: Flags.option({options: HASH_VARIANTS, default: 'sha256' as const, description: 'hash variant of the "hash" field (influxd 2.9 writes sha256)'})(),
    ...encryptFlags,
    yes: Flags.boolean({char: 'y', description: 'with "--output -" on a terminal: print the tokens without asking', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthExport)
    const {path} = await findInfluxdFile(flags['bolt-path'])
    const format = flags.format as ExportFormat
    const variant = flags.variant as HashVariant
    const sealing = await sealingFromFlags(flags)
    if (flags.output === '-') {
      refuseBinaryToTerminal(sealing)
      // encrypted output shows nothing secret; plaintext on a terminal is asked for first
      if (sealing === undefined) await confirmSecretsOnTerminal('the plaintext of every raw token', {yes: flags.yes})
    }
    const res: ExportResult & {sealed?: Buffer} = await withDataFile(path, {write: false, timeoutSec: flags['lock-timeout'], check: {topLevel: AUTH_TENANT_BUCKETS}}, async ({db}) => {
      db.view((tx) => requireBuckets(tx, AUTHORIZATIONS))
      const current = () => db.view((tx) => collectExport(tx, variant))
      if (sealing !== undefined) return exportSealed(flags.output === '-' ? null : flags.output, format, current(), current, (text) => seal(text, sealing))
      return flags.output === '-' ? exportToText(format, current(), current) : exportToFile(flags.output, format, current(), current)
    })
    if (res.path === null) {
      if (res.sealed !== undefined) {
        await this.write(res.sealed)
        return
      }
      // json and yaml write control and bidi characters as \u escapes; csv fields and env values hold them raw,
      // which is right for files and pipes: on a terminal a person sees them escaped
      const shown = process.stdout.isTTY === true && (format === 'csv' || format === 'env') ? renderExport(escapeValues(res.doc), format) : res.text
      await this.write(shown)
      if (shown !== res.text) this.note('note: values holding control or bidi characters are shown escaped on a terminal; --output FILE (or a pipe) keeps them exact')
      return
    }
    this.note(`exported ${res.doc.exported.length} token(s) to ${res.path} (mode 0600, checked against the database${sealedNote(sealing)}${sealing ? '; read back byte for byte' : ''})`)
    if (res.doc.notExportable.length > 0) this.note(`${res.doc.notExportable.length} token(s) not exportable (stored hashed or without a token): ${res.doc.notExportable.map((n) => n.id).join(', ')}`)
    this.note(sealing ? `only the holders of the recipients' keys can read it: "age -d -i KEYFILE ${res.path}"` : 'keep this file somewhere safe: it holds the plaintext of every token it lists')
  }
}
