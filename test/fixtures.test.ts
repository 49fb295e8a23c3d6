// The real fixtures: where the tests find them, and what a clone without them is told.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

import {describe, expect, it} from 'vitest'

import {FIXTURE_SOURCES, FIXTURES, missingFixtures} from './helpers/oracle.js'

describe('the real fixtures', () => {
  it('are where the tests look (../shared/fixtures/influxd or INFLUX_RECOVER_FIXTURES)', () => {
    expect(missingFixtures()).toBeUndefined()
    for (const [file] of FIXTURE_SOURCES) expect(fs.statSync(path.join(FIXTURES, file)).size).toBe(65536)
  })

  it('when missing, the message names each file, its upstream source and the variable', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ir-nofixtures-'))
    try {
      const m = missingFixtures(empty)!
      expect(m).toContain(empty)
      expect(m).toContain('influxd-v2.8-v2.9.bolt (influxdata/influxdb v2.9.1 cmd/influxd/recovery/testhelper/influxd.bolt.testdata)')
      expect(m).toContain('influxd-v2.1-v2.7.bolt (influxdata/influxdb v2.7.12 cmd/influxd/recovery/testhelper/influxd.bolt.testdata)')
      expect(m).toContain('INFLUX_RECOVER_FIXTURES')
    } finally {
      fs.rmSync(empty, {recursive: true})
    }
  })
})
