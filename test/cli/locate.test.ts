// `influx-recover locate` end to end: HOME, the INFLUXD_* variables and the
// working directory point into temp dirs holding copies of a real influxd file.
// (The real /etc/default/influxdb2 and /var/lib paths are also consulted by the
// CLI; assertions only concern the files the tests create.)
import * as fs from 'node:fs'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {copyInto, errorLines, holdFlock, makeTempDir, removeDir, runCli, sha256} from '../helpers/cli.js'
import {fixture} from '../helpers/oracle.js'

const NEW = fixture('influxd-v2.8-v2.9.bolt')

interface LocateDoc {
  used: {path: string; source: string; exists: boolean; status: string; note?: string}
  candidates: {path: string; realPath: string; reasons: string[]; size: number; mtime: string; locked: boolean | null; schema?: string; used: boolean}[]
  skipped: {path: string; reasons: string[]; note: string}[]
  looked: {where: string; path: string; found: boolean; note?: string}[]
  warnings: string[]
}

let tmp: string
let home: string
let work: string

/** Every path under dir: compared before/after to prove nothing was created. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, {recursive: true}) as string[]).map((p) => path.join(dir, p)).sort()
}

function copyTo(dir: string): string {
  fs.mkdirSync(dir, {recursive: true})
  return copyInto(NEW, dir, 'influxd.bolt')
}

/** Runs locate with HOME and cwd in the temp dir; INFLUXD_* unset (empty = unset for influxd) unless given. */
function locate(args: string[], env: Record<string, string> = {}, cwd = work) {
  return runCli(['locate', ...args], {env: {HOME: home, INFLUXD_BOLT_PATH: '', INFLUXD_CONFIG_PATH: '', ...env}, cwd})
}

beforeEach(() => {
  tmp = makeTempDir('ir-locate-cli-')
  home = path.join(tmp, 'home')
  work = path.join(tmp, 'work')
  fs.mkdirSync(home)
  fs.mkdirSync(work)
})
afterEach(() => removeDir(tmp))

describe('locate --json', () => {
  it('uses INFLUXD_BOLT_PATH and also lists the $HOME copy influxd recovery would use', () => {
    const data = copyTo(path.join(tmp, 'data'))
    const homeCopy = copyTo(path.join(home, '.influxdbv2'))
    const before = tree(tmp)
    const digest = sha256(data)

    const r = locate(['--json'], {INFLUXD_BOLT_PATH: data})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const doc = JSON.parse(r.stdout) as LocateDoc
    expect(doc.used).toEqual({path: data, source: 'env INFLUXD_BOLT_PATH', exists: true, status: 'file'})
    const used = doc.candidates.find((c) => c.path === data)
    expect(used).toMatchObject({realPath: data, size: 65536, locked: false, used: true, reasons: ['env INFLUXD_BOLT_PATH']})
    expect(used!.schema).toMatch(/^InfluxDB 2.8 or later \(migration 21\), txid 131$/)
    expect(Number.isNaN(Date.parse(used!.mtime))).toBe(false)
    const other = doc.candidates.find((c) => c.path === homeCopy)
    expect(other).toMatchObject({used: false, locked: false, reasons: ['influxd recovery default ($HOME/.influxdbv2/influxd.bolt)']})
    expect(doc.candidates.filter((c) => c.used)).toHaveLength(1)
    expect(doc.looked[0]).toEqual({where: 'env INFLUXD_BOLT_PATH', path: data, found: true})

    expect(tree(tmp)).toEqual(before)
    expect(sha256(data)).toBe(digest)
  })

  it('reads bolt-path from config.yaml in the working directory, relative to it', () => {
    const data = copyTo(path.join(work, 'db'))
    fs.writeFileSync(path.join(work, 'config.yaml'), 'bolt-path: db/influxd.bolt\nengine-path: db/engine\n')
    const r = locate(['--json'])
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as LocateDoc
    expect(doc.used).toMatchObject({path: data, source: `config ${path.join(work, 'config.yaml')}`, exists: true})
    expect(doc.candidates.find((c) => c.used)?.path).toBe(data)
  })

  it('reads INFLUXD_CONFIG_PATH as a directory, and env beats it', () => {
    const viaConfig = copyTo(path.join(tmp, 'cfgdata'))
    const viaEnv = copyTo(path.join(tmp, 'envdata'))
    fs.mkdirSync(path.join(tmp, 'etc'))
    fs.writeFileSync(path.join(tmp, 'etc/config.json'), JSON.stringify({'bolt-path': viaConfig}))
    const r = locate(['--json'], {INFLUXD_CONFIG_PATH: path.join(tmp, 'etc')})
    expect(r.status, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as LocateDoc).used.source).toBe(`config ${path.join(tmp, 'etc/config.json')}`)
    const both = locate(['--json'], {INFLUXD_CONFIG_PATH: path.join(tmp, 'etc'), INFLUXD_BOLT_PATH: viaEnv})
    const doc = JSON.parse(both.stdout) as LocateDoc
    expect(doc.used.path).toBe(viaEnv)
    // the config's file is still listed as a candidate, with its reason
    expect(doc.candidates.find((c) => c.path === viaConfig)?.reasons).toEqual([`config ${path.join(tmp, 'etc/config.json')}`])
  })

  it('--bolt-path wins and is relative to the working directory', () => {
    const data = copyTo(work)
    const r = locate(['--json', '--bolt-path', 'influxd.bolt'], {INFLUXD_BOLT_PATH: path.join(tmp, 'elsewhere.bolt')})
    expect(r.status, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as LocateDoc).used).toEqual({path: data, source: 'flag', exists: true, status: 'file'})
  })

  it('reports a file held by a running influxd (flock -x) as locked, without waiting', async () => {
    const data = copyTo(path.join(tmp, 'data'))
    const holder = await holdFlock(data)
    try {
      const r = locate(['--json'], {INFLUXD_BOLT_PATH: data})
      expect(r.status, r.stderr).toBe(0)
      expect(r.ms).toBeLessThan(20_000)
      expect((JSON.parse(r.stdout) as LocateDoc).candidates.find((c) => c.path === data)).toMatchObject({locked: true, used: true})
    } finally {
      await holder.release()
    }
  })

  it('exit 5 when the file influxd would use does not exist; nothing is created', () => {
    const missing = path.join(tmp, 'missing/influxd.bolt')
    const before = tree(tmp)
    const r = locate(['--json'], {INFLUXD_BOLT_PATH: missing})
    expect(r.status).toBe(5)
    const doc = JSON.parse(r.stdout) as LocateDoc
    expect(doc.used).toEqual({path: missing, source: 'env INFLUXD_BOLT_PATH', exists: false, status: 'missing', note: 'does not exist'})
    const e = errorLines(r.stderr)
    expect(e.ok, r.stderr).toBe(true)
    expect(e.error).toMatch(/influxd would use .*missing\/influxd\.bolt \(env INFLUXD_BOLT_PATH\).*does not exist$/)
    // the document lists where it looked; the error line does not repeat it
    expect(e.error).not.toContain('looked at')
    expect(doc.looked.map((l) => l.path)).toContain(path.join(work, 'config.toml'))
    expect(fs.existsSync(path.dirname(missing))).toBe(false)
    expect(tree(tmp)).toEqual(before)
  })

  it('names a copy found elsewhere in the hint', () => {
    const homeCopy = copyTo(path.join(home, '.influxdbv2'))
    const r = locate([], {INFLUXD_BOLT_PATH: path.join(tmp, 'gone.bolt')})
    expect(r.status).toBe(5)
    expect(errorLines(r.stderr).hint).toContain(homeCopy)
  })

  it('reports an unparsable config as a warning instead of failing', () => {
    const data = copyTo(path.join(tmp, 'data'))
    fs.writeFileSync(path.join(work, 'config.toml'), 'bolt-path = "unterminated\n')
    const r = locate(['--json'], {INFLUXD_BOLT_PATH: data})
    expect(r.status, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout) as LocateDoc
    expect(doc.warnings).toEqual([expect.stringMatching(/^influxd would fail to start: .*config\.toml: invalid TOML/)])
  })
})

describe('locate (text)', () => {
  it('says which file would be used and why, lists candidates and where it looked', () => {
    const data = copyTo(path.join(tmp, 'data'))
    const r = locate([], {INFLUXD_BOLT_PATH: data})
    expect(r.status, r.stderr).toBe(0)
    const out = r.stdout
    expect(out).toContain(`influxd would use: ${data}\n  because: env INFLUXD_BOLT_PATH\n  state:   exists, 65536 bytes, modified `)
    expect(out).toMatch(/\nCandidates \(\d+\):\nUSED +PATH +SIZE +MODIFIED +LOCKED +SCHEMA +FOUND AS\n/)
    expect(out).toMatch(new RegExp(`\\n\\* +${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +65536 +\\S+ +no +InfluxDB 2\\.8 or later \\(migration 21\\), txid 131 +env INFLUXD_BOLT_PATH\\n`))
    expect(out).toContain('\nLooked at:\n  env INFLUXD_BOLT_PATH: ')
    expect(out).toContain(`  config (cwd): ${path.join(work, 'config.json')} (missing)`)
  })

  it('prints the "looked at" list once, also when it exits 5', () => {
    const r = locate([], {INFLUXD_BOLT_PATH: path.join(tmp, 'nope/influxd.bolt')})
    expect(r.status).toBe(5)
    const all = r.stdout + r.stderr
    expect(all.match(/looked at/gi)).toHaveLength(1)
    expect(all.split(path.join(work, 'config.json')).length - 1).toBe(1)
  })

  it('keeps the SCHEMA cell short when influxd holds the file', async () => {
    const data = copyTo(path.join(tmp, 'data'))
    const holder = await holdFlock(data)
    try {
      const r = runCli(['locate'], {env: {HOME: home, INFLUXD_BOLT_PATH: data, INFLUXD_CONFIG_PATH: '', COLUMNS: '500'}, cwd: work})
      expect(r.status, r.stderr).toBe(0)
      const row = r.stdout.split('\n').find((l) => l.startsWith('*'))!
      expect(row).toMatch(/ yes \(in use\) +not read \(in use\) +env INFLUXD_BOLT_PATH$/)
      expect(row.split(data).length - 1).toBe(1)
    } finally {
      await holder.release()
    }
  })

  it('explains a missing file without creating it', () => {
    const missing = path.join(tmp, 'nope/influxd.bolt')
    const r = locate([], {INFLUXD_BOLT_PATH: missing})
    expect(r.status).toBe(5)
    expect(r.stdout).toContain(`influxd would use: ${missing}\n  because: env INFLUXD_BOLT_PATH\n  state:   does not exist (influxd would create an empty one there; this tool never does)`)
    expect(errorLines(r.stderr).ok).toBe(true)
    expect(fs.existsSync(path.dirname(missing))).toBe(false)
  })

  it('has help with examples', () => {
    const r = runCli(['locate', '--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('EXAMPLES')
    expect(r.stdout).toContain('--bolt-path')
  })
})
