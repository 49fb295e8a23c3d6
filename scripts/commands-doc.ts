/**
 * The command list of docs/commands.md, made from the commands' own
 * summaries (what `--help` prints), between its two marker lines.
 * `npm run docs:commands` rewrites it; test/docs.test.ts checks it is current.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const COMMANDS_DOC = path.join(ROOT, 'docs/commands.md')
export const START = '<!-- commands: made by npm run docs:commands from each command\'s summary -->'
export const END = '<!-- commands: end -->'

function commandFiles(dir = path.join(ROOT, 'src/commands'), prefix: string[] = []): Array<[id: string, file: string]> {
  const out: Array<[string, string]> = []
  for (const e of fs.readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...commandFiles(path.join(dir, e.name), [...prefix, e.name]))
    else if (e.name.endsWith('.ts')) out.push([[...prefix, e.name.replace(/\.ts$/, '')].join(' '), path.join(dir, e.name)])
  }
  return out
}

/** The markdown table: one row per command, sorted by id, with its summary. */
export async function commandTable(): Promise<string> {
  const rows: string[] = ['| command | what it does |', '| --- | --- |']
  for (const [id, file] of commandFiles().sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const mod = (await import(pathToFileURL(file).href)) as {default: {summary?: string; hidden?: boolean}}
    if (mod.default.hidden) continue
    rows.push(`| \`${id}\` | ${(mod.default.summary ?? '').replaceAll('|', '\\|')} |`)
  }
  return rows.join('\n')
}

/** docs/commands.md with the table between the markers replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const i = doc.indexOf(START)
  const j = doc.indexOf(END)
  if (i < 0 || j < i) throw new Error(`${COMMANDS_DOC} has no ${START} … ${END} block`)
  return `${doc.slice(0, i + START.length)}\n\n${table}\n\n${doc.slice(j)}`
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  fs.writeFileSync(COMMANDS_DOC, withTable(fs.readFileSync(COMMANDS_DOC, 'utf8'), await commandTable()))
  console.log(`wrote the command list of ${COMMANDS_DOC}`)
}
