#!/usr/bin/env -S node --import tsx --no-warnings
/*
 * Runs the TypeScript sources (src/) without building: commands found by the
 * pattern strategy of oclif in src/commands, the help and autocomplete plugins
 * from node_modules (bin/run.js runs the bundle instead).
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute, settings} from '@oclif/core'

// tsx (--import above) loads the TypeScript files: oclif need not map paths through tsconfig
settings.enableAutoTranspile = false

const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {
  ...pjson.oclif,
  commands: './src/commands',
  hooks: {command_not_found: './src/hooks/command-not-found.ts'},
  helpClass: './src/cli/help.ts',
  plugins: ['@oclif/plugin-help', '@oclif/plugin-autocomplete'],
}

await execute({development: true, loadOptions: {root, pjson}})
