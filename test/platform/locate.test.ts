// Finding influxd.bolt like influxd does: config lookup (influxd-config.ts) and
// the resolution / candidate listing (locate.ts). Every filesystem root is a temp
// dir; the real /etc, /var/lib and home directories are never consulted.
import {execFileSync} from 'node:child_process'
import {promises as fsp} from 'node:fs'
import * as os from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, NotFoundError} from '../../src/errors.js'
import {
  boltPathFromConfig,
  findInfluxdConfig,
  goExt,
  oneDotXKeys,
  parseConfigText,
  parseEnvironmentFile,
  readEtcDefault,
  viperAbsPath,
} from '../../src/platform/influxd-config.js'
import {
  boltFileNotFound,
  describeBoltFile,
  influxdHome,
  listCandidates,
  type LocateOptions,
  probeLock,
  requireBoltPath,
  resolveBoltPath,
} from '../../src/platform/locate.js'
import {fixture} from '../helpers/oracle.js'
import {expectRecoverError, externalFlockAvailable, holdExternalFlock, makeTempDir, removeDir} from './helpers.js'

const FIXTURE = fixture('influxd-v2.8-v2.9.bolt')

let root: string
/** the working directory influxd would run in */
let cwd: string
let home: string
let etcDefault: string
let serviceCwd: string

/** Every path under root, with file sizes: compared before/after to prove nothing was created or changed. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      const st = await fsp.lstat(p)
      out.push(`${p} ${e.isDirectory() ? 'dir' : st.size}`)
      if (e.isDirectory()) await walk(p)
    }
  }
  await walk(dir)
  return out.sort()
}

async function write(p: string, text: string): Promise<string> {
  await fsp.mkdir(join(p, '..'), {recursive: true})
  await fsp.writeFile(p, text)
  return p
}

async function copyBolt(p: string): Promise<string> {
  await fsp.mkdir(join(p, '..'), {recursive: true})
  await fsp.copyFile(FIXTURE, p)
  await fsp.chmod(p, 0o600)
  return p
}

/** Options pointing every root into the temp dir. */
function opts(extra: Partial<LocateOptions> & {env?: Record<string, string | undefined>} = {}): LocateOptions {
  return {env: {}, cwd, home, etcDefault, serviceCwd, wellKnown: [], ...extra}
}

beforeEach(async () => {
  root = await makeTempDir('ir-locate-')
  cwd = join(root, 'cwd')
  home = join(root, 'home')
  serviceCwd = join(root, 'svc')
  etcDefault = join(root, 'etc/default/influxdb2')
  for (const d of [cwd, home, serviceCwd]) await fsp.mkdir(d, {recursive: true})
})
afterEach(async () => {
  await removeDir(root)
})

describe('influxd config lookup (viper rules)', () => {
  it('goExt is Go path.Ext', () => {
    expect(goExt('/etc/influxdb/config.toml')).toBe('.toml')
    expect(goExt('/etc/.toml')).toBe('.toml') // Node's extname says ""
    expect(goExt('/etc/influx.d/config')).toBe('')
    expect(goExt('dir')).toBe('')
    expect(goExt('a.')).toBe('.')
  })

  it('searches the cwd when INFLUXD_CONFIG_PATH is unset or empty', async () => {
    await write(join(cwd, 'config.toml'), 'bolt-path = "/data/influxd.bolt"\n')
    for (const env of [{}, {INFLUXD_CONFIG_PATH: ''}]) {
      const c = await findInfluxdConfig({env, cwd})
      expect(c.from).toBe('cwd')
      expect(c.mode).toBe('directory')
      expect(c.file).toBe(join(cwd, 'config.toml'))
      expect(c.format).toBe('toml')
      expect(c.boltPath).toEqual({value: '/data/influxd.bolt', key: 'bolt-path', resolved: '/data/influxd.bolt'})
      expect(c.problem).toBeUndefined()
      expect(c.probes.map((p) => [p.path, p.found])).toEqual([
        [join(cwd, 'config.json'), false],
        [join(cwd, 'config.toml'), true],
      ])
    }
  })

  it('takes json before toml before yaml before yml (viper SupportedExts order)', async () => {
    await write(join(cwd, 'config.yml'), 'bolt-path: /yml\n')
    expect((await findInfluxdConfig({env: {}, cwd})).boltPath?.value).toBe('/yml')
    await write(join(cwd, 'config.yaml'), 'bolt-path: /yaml\n')
    expect((await findInfluxdConfig({env: {}, cwd})).boltPath?.value).toBe('/yaml')
    await write(join(cwd, 'config.toml'), 'bolt-path = "/toml"\n')
    expect((await findInfluxdConfig({env: {}, cwd})).boltPath?.value).toBe('/toml')
    await write(join(cwd, 'config.json'), '{"bolt-path": "/json"}')
    expect((await findInfluxdConfig({env: {}, cwd})).boltPath?.value).toBe('/json')
  })

  it('skips a directory named config.json, like viper', async () => {
    await fsp.mkdir(join(cwd, 'config.json'))
    await write(join(cwd, 'config.yaml'), 'bolt-path: /y\n')
    const c = await findInfluxdConfig({env: {}, cwd})
    expect(c.file).toBe(join(cwd, 'config.yaml'))
    expect(c.probes[0]).toMatchObject({path: join(cwd, 'config.json'), found: false, note: expect.stringMatching(/directory/)})
  })

  it('INFLUXD_CONFIG_PATH as a directory (relative to the cwd)', async () => {
    await write(join(cwd, 'conf.d/config.json'), '{"bolt-path": "rel/influxd.bolt"}')
    const c = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: 'conf.d'}, cwd})
    expect(c.from).toBe('env INFLUXD_CONFIG_PATH')
    expect(c.mode).toBe('directory')
    expect(c.file).toBe(join(cwd, 'conf.d/config.json'))
    // a relative bolt-path is relative to influxd's working directory, not the config's
    expect(c.boltPath?.resolved).toBe(join(cwd, 'rel/influxd.bolt'))
  })

  it('INFLUXD_CONFIG_PATH as a file of each type, any name', async () => {
    const files = {
      'a.toml': '# comment\nbolt-path = "/t"\nengine-path = "/e"\n[storage]\nx = 1\n',
      'b.yaml': 'bolt-path: /y\nengine-path: /e\n',
      'c.YML': 'bolt-path: /yml\n', // the switch lower-cases the extension...
      'd.json': '{"engine-path": "/e", "bolt-path": "/j"}',
    }
    for (const [name, text] of Object.entries(files)) await write(join(root, name), text)
    expect((await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'a.toml')}, cwd})).boltPath?.value).toBe('/t')
    expect((await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'b.yaml')}, cwd})).boltPath?.value).toBe('/y')
    expect((await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'd.json')}, cwd})).boltPath?.value).toBe('/j')
    // ...but viper's type check is case-sensitive: influxd fails on config.YML
    const upper = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'c.YML')}, cwd})
    expect(upper.mode).toBe('file')
    expect(upper.boltPath).toBeUndefined()
    expect(upper.problem).toMatch(/unsupported config type "YML"/)
  })

  it('a missing config file is fine (influxd ignores it)', async () => {
    const c = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'nope/config.toml')}, cwd})
    expect(c.problem).toBeUndefined()
    expect(c.file).toBeUndefined()
    expect(c.probes).toEqual([{path: join(root, 'nope/config.toml'), found: false, note: expect.stringMatching(/does not exist/)}])
  })

  it('an unparsable config is reported, not thrown', async () => {
    const bad = {'config.toml': 'bolt-path = \n', 'config.json': '{"bolt-path": ', 'config.yaml': 'bolt-path: [\n', 'x.json': '[1,2]', 'y.yaml': '- a\n- b\n', 'z.yml': 'a: 1\na: 2\n'}
    for (const [name, text] of Object.entries(bad)) {
      const p = await write(join(root, 'bad', name), text)
      const c = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: p}, cwd})
      expect(c.file).toBe(p)
      expect(c.boltPath).toBeUndefined()
      expect(c.problem, name).toMatch(/^influxd would fail to start: .*(invalid (TOML|JSON|YAML)|not an object|not a mapping)/)
    }
  })

  it('keys are case-insensitive; bolt_path and nested keys are not bolt-path', async () => {
    expect(boltPathFromConfig(parseConfigText('Bolt-Path = "/x"', 'toml'))).toEqual({value: '/x', key: 'Bolt-Path'})
    expect(boltPathFromConfig(parseConfigText('BOLT-PATH: /x', 'yaml'))).toEqual({value: '/x', key: 'BOLT-PATH'})
    expect(boltPathFromConfig(parseConfigText('bolt_path = "/x"', 'toml'))).toEqual({note: expect.stringMatching(/has "bolt_path" but no "bolt-path"/)})
    expect(boltPathFromConfig(parseConfigText('[storage]\nbolt-path = "/x"', 'toml'))).toEqual({note: 'no bolt-path key'})
    const both = boltPathFromConfig(parseConfigText('{"BOLT-PATH": "/a", "bolt-path": "/b"}', 'json'))
    expect(both.value).toBe('/b')
    expect(both.note).toMatch(/random/)
  })

  it('converts values like cast.ToStringE; null and tables are ignored', () => {
    expect(boltPathFromConfig({'bolt-path': 42}).value).toBe('42')
    expect(boltPathFromConfig({'bolt-path': true}).value).toBe('true')
    expect(boltPathFromConfig({'bolt-path': null})).toMatchObject({key: 'bolt-path', note: expect.stringMatching(/null/)})
    expect(boltPathFromConfig({'bolt-path': ['/a']})).toMatchObject({note: expect.stringMatching(/list.*ignores/)})
    expect(boltPathFromConfig({'bolt-path': {a: 1}}).value).toBeUndefined()
    // JSON null at the top level is an empty config for Go
    expect(parseConfigText('null', 'json')).toEqual({})
    expect(parseConfigText('', 'yaml')).toEqual({})
    expect(parseConfigText('', 'toml')).toEqual({})
    expect(() => parseConfigText('', 'json')).toThrow(/invalid JSON/)
    expect(parseConfigText('n = 9223372036854775807', 'toml')).toEqual({n: 9223372036854775807n})
  })

  it('an empty bolt-path is a problem; "~" is not expanded', async () => {
    await write(join(cwd, 'config.yaml'), 'bolt-path: ""\n')
    expect((await findInfluxdConfig({env: {}, cwd})).problem).toMatch(/bolt-path to "".*fail/)
    await write(join(cwd, 'config.yaml'), 'bolt-path: ~/data/influxd.bolt\n')
    const c = await findInfluxdConfig({env: {}, cwd})
    expect(c.boltPath?.resolved).toBe(join(cwd, '~/data/influxd.bolt'))
    expect(c.notes.join(' ')).toMatch(/does not expand "~"/)
  })

  it('a 1.x config makes influxd refuse to start', async () => {
    expect(oneDotXKeys(parseConfigText('[meta]\ndir = "/m"\n[http]\nbind-address = ":8086"\n', 'toml'))).toEqual(['meta.dir', 'http.bind-address'])
    expect(oneDotXKeys(parseConfigText('Bind-Address: ":8088"\nreporting-disabled: true', 'yaml'))).toEqual(['bind-address'])
    expect(oneDotXKeys(parseConfigText('http-bind-address = ":8086"', 'toml'))).toEqual([])
    await write(join(cwd, 'config.toml'), 'bolt-path = "/x"\n[data]\ndir = "/d"\n')
    const c = await findInfluxdConfig({env: {}, cwd})
    expect(c.boltPath).toBeUndefined()
    expect(c.problem).toMatch(/1\.x config \(data\.dir\)/)
  })

  it('finds the other viper formats and a bare "config" file, and says so', async () => {
    await write(join(cwd, 'config.hcl'), 'bolt-path = "/h"\n')
    const hcl = await findInfluxdConfig({env: {}, cwd})
    expect(hcl.file).toBe(join(cwd, 'config.hcl'))
    expect(hcl.problem).toMatch(/hcl format.*does not read/)
    await fsp.rm(join(cwd, 'config.hcl'))
    await write(join(cwd, 'config'), 'bolt-path = "/h"\n')
    const bare = await findInfluxdConfig({env: {}, cwd})
    expect(bare.file).toBe(join(cwd, 'config'))
    expect(bare.problem).toMatch(/unsupported config type ""/)
  })

  it('never blocks on a FIFO named like a config file', async () => {
    execFileSync('mkfifo', [join(cwd, 'config.json')])
    const c = await findInfluxdConfig({env: {}, cwd})
    expect(c.file).toBe(join(cwd, 'config.json'))
    expect(c.problem).toMatch(/FIFO/)
    const f = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(cwd, 'config.json')}, cwd})
    expect(f.problem).toMatch(/FIFO/)
  })

  it('a directory named like a config file given as the file is a problem', async () => {
    await fsp.mkdir(join(root, 'dir.toml'))
    const c = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: join(root, 'dir.toml')}, cwd})
    expect(c.problem).toMatch(/directory.*fail to start/)
  })

  it('expands $HOME and $VAR/ in a config directory like viper absPathify', async () => {
    expect(viperAbsPath('$HOME/conf', {HOME: '/h'}, '/c')).toEqual({path: '/h/conf'})
    expect(viperAbsPath('$CONF_DIR/x', {CONF_DIR: '/etc/influx'}, '/c')).toEqual({path: '/etc/influx/x'})
    expect(viperAbsPath('rel', {}, '/c')).toEqual({path: '/c/rel'})
    expect(viperAbsPath('$NOSLASH', {}, '/c')).toEqual({error: expect.stringMatching(/crashes/)})
    await write(join(home, 'conf/config.yml'), 'bolt-path: /from-home\n')
    const c = await findInfluxdConfig({env: {INFLUXD_CONFIG_PATH: '$HOME/conf', HOME: home}, cwd})
    expect(c.boltPath?.value).toBe('/from-home')
  })

  it('parses /etc/default/influxdb2 like systemd and the shell', async () => {
    const text = [
      '# managed by the package',
      '; also a comment',
      'INFLUXD_CONFIG_PATH=/etc/influxdb/config.toml',
      'export INFLUXD_BOLT_PATH="/var/lib/influx db/influxd.bolt"  # trailing',
      "QUOTED='a # not a comment'",
      'UNQUOTED=value # comment',
      'ESC="say \\"hi\\""',
      'CONT=one\\',
      'two',
      'not a line',
      'INFLUXD_CONFIG_PATH=/override.toml',
    ].join('\n')
    expect(parseEnvironmentFile(text)).toEqual({
      INFLUXD_CONFIG_PATH: '/override.toml',
      INFLUXD_BOLT_PATH: '/var/lib/influx db/influxd.bolt',
      QUOTED: 'a # not a comment',
      UNQUOTED: 'value',
      ESC: 'say "hi"',
      CONT: 'onetwo',
    })
    expect(await readEtcDefault(join(root, 'missing'))).toEqual({path: join(root, 'missing'), exists: false, vars: {}})
    await write(etcDefault, 'INFLUXD_CONFIG_PATH=/etc/influxdb/config.toml\n')
    expect(await readEtcDefault(etcDefault)).toEqual({path: etcDefault, exists: true, vars: {INFLUXD_CONFIG_PATH: '/etc/influxdb/config.toml'}})
  })
})

describe('resolveBoltPath precedence', () => {
  it('default ~/.influxdbv2/influxd.bolt when nothing else is set, even when missing', async () => {
    const before = await tree(root)
    const r = await resolveBoltPath(opts())
    expect(r).toMatchObject({path: join(home, '.influxdbv2/influxd.bolt'), source: 'default ~/.influxdbv2/influxd.bolt', exists: false, status: 'missing'})
    expect(r.looked.map((l) => l.where)).toEqual(['env INFLUXD_BOLT_PATH', 'config (cwd)', 'config (cwd)', 'config (cwd)', 'config (cwd)', 'package layout', 'default'])
    expect(await tree(root)).toEqual(before)
  })

  it('each source beats the next: flag > env > config > package layout > default', async () => {
    const files = {
      flag: await copyBolt(join(root, 'flag/influxd.bolt')),
      env: await copyBolt(join(root, 'env/influxd.bolt')),
      config: await copyBolt(join(root, 'config/influxd.bolt')),
      pkg: await copyBolt(join(root, 'pkg/influxd.bolt')),
      def: await copyBolt(join(home, '.influxdbv2/influxd.bolt')),
    }
    await write(join(cwd, 'config.toml'), `bolt-path = "${files.config}"\n`)
    const svcConfig = await write(join(root, 'etc/influxdb/config.toml'), `bolt-path = "${files.pkg}"\n`)
    await write(etcDefault, `INFLUXD_CONFIG_PATH=${svcConfig}\n`)
    const before = await tree(root)

    const env = {INFLUXD_BOLT_PATH: files.env}
    expect(await resolveBoltPath(opts({boltPath: files.flag, env}))).toMatchObject({path: files.flag, source: 'flag', exists: true})
    expect(await resolveBoltPath(opts({env}))).toMatchObject({path: files.env, source: 'env INFLUXD_BOLT_PATH', exists: true})
    expect(await resolveBoltPath(opts({env: {INFLUXD_BOLT_PATH: ''}}))).toMatchObject({path: files.config, source: `config ${join(cwd, 'config.toml')}`})
    await fsp.rm(join(cwd, 'config.toml'))
    expect(await resolveBoltPath(opts())).toMatchObject({path: files.pkg, source: `package layout (${etcDefault} → ${svcConfig})`, exists: true})
    await fsp.rm(etcDefault)
    expect(await resolveBoltPath(opts())).toMatchObject({path: files.def, source: 'default ~/.influxdbv2/influxd.bolt', exists: true})
    expect((await tree(root)).length).toBe(before.length - 2)
  })

  it('a path named by env or config that does not exist is still the answer (and is not created)', async () => {
    await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    const missing = join(root, 'nowhere/influxd.bolt')
    const before = await tree(root)
    const r = await resolveBoltPath(opts({env: {INFLUXD_BOLT_PATH: missing}}))
    expect(r).toMatchObject({path: missing, source: 'env INFLUXD_BOLT_PATH', exists: false, status: 'missing', note: 'does not exist'})
    await write(join(cwd, 'config.json'), JSON.stringify({'bolt-path': 'sub/influxd.bolt'}))
    const c = await resolveBoltPath(opts())
    expect(c).toMatchObject({path: join(cwd, 'sub/influxd.bolt'), source: `config ${join(cwd, 'config.json')}`, exists: false})
    await fsp.rm(join(cwd, 'config.json'))
    expect(await tree(root)).toEqual(before)
  })

  it('a relative flag or env path is relative to the cwd; "~" is not expanded', async () => {
    expect((await resolveBoltPath(opts({boltPath: 'x/influxd.bolt'}))).path).toBe(join(cwd, 'x/influxd.bolt'))
    const r = await resolveBoltPath(opts({env: {INFLUXD_BOLT_PATH: '~/influxd.bolt'}}))
    expect(r.path).toBe(join(cwd, '~/influxd.bolt'))
    expect(r.warnings.join(' ')).toMatch(/does not expand/)
  })

  it('INFLUXD_CONFIG_PATH as a directory, and as a file with each format', async () => {
    const target = await copyBolt(join(root, 'data/influxd.bolt'))
    await write(join(root, 'etc-influxdb2/config.yaml'), `bolt-path: ${target}\n`)
    const dir = await resolveBoltPath(opts({env: {INFLUXD_CONFIG_PATH: join(root, 'etc-influxdb2')}}))
    expect(dir).toMatchObject({path: target, source: `config ${join(root, 'etc-influxdb2/config.yaml')}`, exists: true})
    expect(dir.looked.filter((l) => l.where === 'config (INFLUXD_CONFIG_PATH)').map((l) => l.found)).toEqual([false, false, true])
    for (const [name, text] of [
      ['c.json', JSON.stringify({'bolt-path': target})],
      ['c.toml', `bolt-path = "${target}"`],
      ['c.yml', `bolt-path: "${target}"`],
    ]) {
      const p = await write(join(root, name!), text!)
      expect(await resolveBoltPath(opts({env: {INFLUXD_CONFIG_PATH: p}}))).toMatchObject({path: target, source: `config ${p}`})
    }
  })

  it('an unparsable config is reported and the lookup goes on', async () => {
    await write(join(cwd, 'config.toml'), 'bolt-path = "unterminated\n')
    const r = await resolveBoltPath(opts())
    expect(r.source).toBe('default ~/.influxdbv2/influxd.bolt')
    expect(r.warnings).toEqual([expect.stringMatching(/^influxd would fail to start: .*config\.toml: invalid TOML/)])
    expect(r.looked.find((l) => l.path === join(cwd, 'config.toml'))).toMatchObject({found: true, note: expect.stringMatching(/invalid TOML/)})
  })

  it('a config without bolt-path falls through', async () => {
    await write(join(cwd, 'config.toml'), 'engine-path = "/e"\n')
    const r = await resolveBoltPath(opts())
    expect(r.source).toBe('default ~/.influxdbv2/influxd.bolt')
    expect(r.looked.find((l) => l.path === join(cwd, 'config.toml'))?.note).toMatch(/no bolt-path key/)
  })

  it('package layout: INFLUXD_BOLT_PATH in /etc/default/influxdb2 beats its config; relative paths resolve in the service cwd', async () => {
    const svcConfig = await write(join(root, 'etc/influxdb/config.toml'), 'bolt-path = "from-config.bolt"\n')
    await write(etcDefault, `INFLUXD_CONFIG_PATH="${svcConfig}"\n`)
    const r = await resolveBoltPath(opts())
    expect(r).toMatchObject({path: join(serviceCwd, 'from-config.bolt'), source: `package layout (${etcDefault} → ${svcConfig})`, exists: false})
    await write(etcDefault, `INFLUXD_CONFIG_PATH="${svcConfig}"\nINFLUXD_BOLT_PATH=/srv/influxd.bolt\n`)
    expect(await resolveBoltPath(opts())).toMatchObject({path: '/srv/influxd.bolt', source: `package layout (${etcDefault} → INFLUXD_BOLT_PATH)`})
  })

  it('package layout without a usable bolt-path falls through to the default', async () => {
    await write(etcDefault, '# nothing here\n')
    const r = await resolveBoltPath(opts())
    expect(r.source).toBe('default ~/.influxdbv2/influxd.bolt')
    expect(r.looked.find((l) => l.where === 'package layout')).toMatchObject({path: etcDefault, found: true})
    // without INFLUXD_CONFIG_PATH the service searches its own working directory
    expect(r.looked.filter((l) => l.where === 'package layout config').map((l) => l.path)).toContain(join(serviceCwd, 'config.toml'))
  })

  it('home is the passwd entry, not $HOME, unless injected', () => {
    expect(influxdHome({env: {HOME: '/elsewhere'}})).toBe(os.userInfo().homedir)
    expect(influxdHome({home: '/injected'})).toBe('/injected')
  })

  it('an empty --bolt-path is a usage error', async () => {
    await expectRecoverError(() => resolveBoltPath(opts({boltPath: ''})), ExitCode.USAGE)
  })
})

describe('requireBoltPath and the not-found error', () => {
  it('exit 5 naming every place looked when nothing exists', async () => {
    const before = await tree(root)
    const err = await expectRecoverError(() => requireBoltPath(opts({wellKnown: [{path: join(root, 'var/lib/influxdb/influxd.bolt'), why: 'package default'}]})), ExitCode.NOT_FOUND)
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.message).toMatch(/^no influxd\.bolt found; influxd would use .*home\/\.influxdbv2\/influxd\.bolt \(default ~\/\.influxdbv2\/influxd\.bolt\), which does not exist; looked at: /)
    for (const p of [join(cwd, 'config.json'), join(cwd, 'config.yml'), etcDefault, join(home, '.influxdbv2/influxd.bolt'), join(root, 'var/lib/influxdb/influxd.bolt')]) {
      expect(err.message).toContain(p)
    }
    expect(err.message).toContain('env INFLUXD_BOLT_PATH: not set')
    expect(err.hint).toMatch(/--bolt-path/)
    expect(await tree(root)).toEqual(before)
  })

  it('names a candidate found elsewhere in the hint', async () => {
    const other = await copyBolt(join(root, 'var/lib/influxdb/influxd.bolt'))
    const err = await expectRecoverError(() => requireBoltPath(opts({env: {INFLUXD_BOLT_PATH: join(root, 'gone.bolt')}, wellKnown: [{path: other, why: 'package default'}]})), ExitCode.NOT_FOUND)
    expect(err.message).toMatch(/^influxd would use .*gone\.bolt \(env INFLUXD_BOLT_PATH\), but it does not exist; looked at: /)
    expect(err.hint).toBe(`found elsewhere: ${other}; pass the right one with --bolt-path`)
  })

  it('returns the resolution when the file exists; a directory is exit 4; a missing --bolt-path exit 5', async () => {
    const f = await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    expect((await requireBoltPath(opts())).path).toBe(f)
    await fsp.mkdir(join(root, 'adir'))
    const dirErr = await expectRecoverError(() => requireBoltPath(opts({boltPath: join(root, 'adir')})), ExitCode.CORRUPT)
    expect(dirErr.message).toMatch(/adir \(--bolt-path\) is a directory, not a bbolt file/)
    const flagErr = await expectRecoverError(() => requireBoltPath(opts({boltPath: join(root, 'x.bolt')})), ExitCode.NOT_FOUND)
    expect(flagErr.message).toBe(`no such file: ${join(root, 'x.bolt')} (--bolt-path)`)
  })

  it('boltFileNotFound can take another hint', () => {
    const err = boltFileNotFound({path: '/x', source: 'flag', exists: false, status: 'missing', looked: [], warnings: []}, [], [], 'custom')
    expect(err.hint).toBe('custom')
  })
})

describe('listCandidates', () => {
  it('lists existing candidates with size, mtime, lock state and reasons; deduplicates by real path', async () => {
    const main = await copyBolt(join(root, 'var/lib/influxdb/influxd.bolt'))
    const link = join(root, 'var/lib/influxdb2/influxd.bolt')
    await fsp.mkdir(join(link, '..'), {recursive: true})
    await fsp.symlink(main, link)
    const def = await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    const mtime = new Date('2024-05-06T07:08:09.000Z')
    await fsp.utimes(def, mtime, mtime)
    const before = await tree(root)

    const r = await listCandidates(
      opts({
        env: {INFLUXD_BOLT_PATH: main},
        wellKnown: [
          {path: link, why: 'docker'},
          {path: main, why: 'package'},
          {path: join(root, 'nothing/influxd.bolt'), why: 'absent'},
        ],
      }),
    )
    expect(r.used).toMatchObject({path: main, source: 'env INFLUXD_BOLT_PATH', exists: true})
    expect(r.candidates).toEqual([
      {path: main, realPath: main, reasons: ['env INFLUXD_BOLT_PATH', 'docker', 'package'], size: 65536, mtime: expect.any(String), locked: false, used: true},
      {path: def, realPath: def, reasons: ['default ~/.influxdbv2/influxd.bolt'], size: 65536, mtime: '2024-05-06T07:08:09.000Z', locked: false, used: false},
    ])
    expect(r.skipped).toEqual([])
    expect(r.looked.find((l) => l.path === join(root, 'nothing/influxd.bolt'))).toMatchObject({where: 'absent', found: false})
    expect(await tree(root)).toEqual(before)
  })

  it('detects a file locked by another process (flock -x), and leaves the lock alone', async () => {
    const f = await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    const holder = await holdExternalFlock(f, 'x')
    try {
      const r = await listCandidates(opts())
      expect(r.candidates).toHaveLength(1)
      expect(r.candidates[0]).toMatchObject({path: f, locked: true, used: true})
      expect(await probeLock(f)).toMatchObject({locked: true})
      // the holder still has it
      expect(await externalFlockAvailable(f, 's')).toBe(false)
    } finally {
      await holder.release()
    }
    // and our probe released its own shared lock at once
    expect((await listCandidates(opts())).candidates[0]!.locked).toBe(false)
    expect(await externalFlockAvailable(f, 'x')).toBe(true)
  })

  it('a shared lock held elsewhere (a reader) is not "locked"', async () => {
    const f = await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    const holder = await holdExternalFlock(f, 's')
    try {
      expect(await probeLock(f)).toEqual({locked: false})
    } finally {
      await holder.release()
    }
  })

  it('skips directories and FIFOs with a note, without blocking or creating', async () => {
    await fsp.mkdir(join(home, '.influxdbv2/influxd.bolt'), {recursive: true})
    const fifo = join(root, 'fifo.bolt')
    execFileSync('mkfifo', [fifo])
    const before = await tree(root)
    const r = await listCandidates(opts({wellKnown: [{path: fifo, why: 'fifo'}]}))
    expect(r.candidates).toEqual([])
    expect(r.used).toMatchObject({status: 'directory', exists: false})
    expect(r.skipped).toEqual([
      {path: join(home, '.influxdbv2/influxd.bolt'), reasons: ['default ~/.influxdbv2/influxd.bolt'], note: 'is a directory, not a bbolt file (skipped)'},
      {path: fifo, reasons: ['fifo'], note: 'is a FIFO, not a bbolt file (skipped)'},
    ])
    expect(await probeLock(fifo)).toEqual({locked: null, note: 'not a regular file'})
    expect(await tree(root)).toEqual(before)
  })

  it('fills schema only through the describe callback', async () => {
    const f = await copyBolt(join(home, '.influxdbv2/influxd.bolt'))
    expect((await listCandidates(opts())).candidates[0]!.schema).toBeUndefined()
    const seen: string[] = []
    const r = await listCandidates(
      opts({
        describe: async (p) => {
          seen.push(p)
          return 'schema!'
        },
      }),
    )
    expect(seen).toEqual([f])
    expect(r.candidates[0]!.schema).toBe('schema!')
    const failing = await listCandidates(opts({describe: async () => Promise.reject(new Error('boom'))}))
    expect(failing.candidates[0]!.schema).toBe('boom')
  })

  it('lists the $HOME default of influxd recovery when $HOME is not the passwd home', async () => {
    const f = await copyBolt(join(root, 'envhome/.influxdbv2/influxd.bolt'))
    const r = await listCandidates(opts({env: {HOME: join(root, 'envhome')}}))
    expect(r.candidates.map((c) => [c.path, c.reasons])).toEqual([[f, ['influxd recovery default ($HOME/.influxdbv2/influxd.bolt)']]])
    expect(r.used.exists).toBe(false)
  })
})

describe('describeBoltFile', () => {
  it('reads the meta pages of a real influxd file, read-only', async () => {
    const f = await copyBolt(join(root, 'influxd.bolt'))
    const before = await tree(root)
    expect(await describeBoltFile(f)).toMatch(/^bbolt file, page size 4096, txid \d+$/)
    expect(await tree(root)).toEqual(before)
  })

  it('returns the error for a missing, non-bolt or special file, never creating or blocking', async () => {
    const before = await tree(root)
    expect(await describeBoltFile(join(root, 'missing.bolt'))).toMatch(/no such file/)
    expect(await tree(root)).toEqual(before)
    await write(join(root, 'text.bolt'), 'not a bolt file at all'.repeat(500))
    expect(await describeBoltFile(join(root, 'text.bolt'))).toMatch(/not a bbolt file/)
    execFileSync('mkfifo', [join(root, 'p.bolt')])
    expect(await describeBoltFile(join(root, 'p.bolt'))).toMatch(/FIFO/)
  })
})
