// hash-upgrade killed (SIGKILL, as a power cut) after the export, after the
// commit and during the scrub: the file is always consistent for Go, holds
// either the old or the hashed state, and doctor + auth scrub finish the job.
import * as fs from 'node:fs'
import * as path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {copyInto, makeTempDir, removeDir, runCli} from '../helpers/cli.js'
import {fixture, oracleCheck, oracleDump} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-interrupted-')
afterAll(() => removeDir(tmp))

const SRC = fixture('influxd-v2.8-v2.9.bolt')
const TOKENS = [
  'A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==',
  '4-pZrlm84u9uiMVrPBeITe46KxfdEnvTX5H2CZh38BtAsXX4O47b8QwZ9jHL_Cek2w-VbVfRxDpo0Mu8ORiqyQ==',
]
const holdsPlaintext = (file: string): boolean => TOKENS.some((t) => fs.readFileSync(file).includes(t))
const remnants = (file: string): string => JSON.parse(runCli(['doctor', '--bolt-path', file, '--json']).stdout).checks.find((c: {name: string}) => c.name === 'remnants').verdict

describe('an interrupted hash-upgrade', () => {
  const original = oracleDump(SRC)
  const cleanCopy = copyInto(SRC, tmp, 'clean.bolt')
  const ok = runCli(['auth', 'hash-upgrade', '--bolt-path', cleanCopy, '--export', path.join(tmp, 'clean.yaml'), '--yes', '--no-backup'])
  const hashed = oracleDump(cleanCopy)

  it('the uninterrupted run is the reference', () => {
    expect(ok.status).toBe(0)
    expect(hashed).not.toEqual(original)
    expect(holdsPlaintext(cleanCopy)).toBe(false)
  })

  for (const point of ['after-export', 'after-commit', 'scrub-metas-aligned', 'scrub-pages-zeroed']) {
    it(`killed ${point}: consistent, a known state, and recoverable`, () => {
      const dir = path.join(tmp, point)
      fs.mkdirSync(dir)
      const file = copyInto(SRC, dir, 'influxd.bolt')
      const exp = path.join(dir, 'tokens.yaml')
      const r = runCli(['auth', 'hash-upgrade', '--bolt-path', file, '--export', exp, '--yes', '--no-backup'], {env: {INFLUX_RECOVER_TEST_HOOKS: `crash-${point}`}})
      expect(r.status).toBe(-1) // killed by the signal
      oracleCheck(file)
      // the export was complete and checked before any write
      expect(fs.statSync(exp).mode & 0o777).toBe(0o600)
      for (const t of TOKENS) expect(fs.readFileSync(exp, 'utf8')).toContain(t)

      const dump = oracleDump(file)
      if (point === 'after-export') {
        expect(dump).toEqual(original)
        expect(remnants(file)).toBe('PASS') // nothing hashed yet
        return
      }
      expect(dump).toEqual(hashed)
      if (point !== 'scrub-pages-zeroed') {
        expect(holdsPlaintext(file)).toBe(true)
        expect(remnants(file)).toBe('FAIL') // doctor says the scrub is still needed
      }
      // the next run finishes the job (waits out the stale lock directory of the killed run)
      const s = runCli(['auth', 'scrub', '--bolt-path', file, '--lock-timeout', '15'])
      expect(s.status, s.stderr).toBe(0)
      expect(holdsPlaintext(file)).toBe(false)
      expect(remnants(file)).toBe('PASS')
      oracleCheck(file)
      expect(oracleDump(file)).toEqual(hashed)
    }, 60_000)
  }
})
