import UserSetPassword from './set-password.js'

/** `user update`: the name influxd's own recovery tool gives this command. */
export default class UserUpdate extends UserSetPassword {
  static override summary = 'Set a user\'s password (same as "user set-password"; influxd recovery\'s name)'
  static override description = `The same command as "user set-password", under the name "influxd recovery user update" uses, so its habits carry over (but the password never comes from the command line: influxd's --password flag is replaced by --password-stdin and --password-file).

${UserSetPassword.description ?? ''}`

  static override examples = [
    {description: 'New password for "admin", from stdin', command: 'printf \'%s\\n\' "$NEW_PASSWORD" | <%= config.bin %> <%= command.id %> --username admin --password-stdin'},
    {description: 'By user ID, typed twice at the prompt', command: '<%= config.bin %> <%= command.id %> --id 08371db1dd8c8000 --bolt-path ~/.influxdbv2/influxd.bolt'},
  ]
}
