// The rules for names this tool writes (a renamed user, a v1 user name):
// printable, no surrounding white space as Go's TrimSpace sees it, no
// control or invisible formatting characters, at most bbolt's key size.
import {describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/errors.js'
import {checkNewName, MAX_NAME_BYTES, nameProblem, quotedName} from '../../src/recovery/name-rules.js'

describe('nameProblem', () => {
  it('accepts ordinary names, inner spaces, non-ASCII letters and emoji', () => {
    for (const n of ['admin', 'grafana-ro', 'Jean Dupont', 'müller', '管理者', 'ops 🚀', 'a.b@c+d', "o'brien"]) expect(nameProblem(n), n).toBeUndefined()
  })

  it('refuses empty names and names with leading or trailing white space (Go unicode.IsSpace)', () => {
    expect(nameProblem('')).toBe('it is empty')
    for (const n of [' admin', 'admin ', '\u00a0admin', 'admin\u3000', '\u2003x']) expect(nameProblem(n), JSON.stringify(n)).toBe('it starts or ends with white space')
  })

  it('refuses control characters (C0, DEL, C1) and invisible formatting characters anywhere', () => {
    const cases: Array<[string, string]> = [
      ['a\tb', 'U+0009'], ['a\nb', 'U+000A'], ['a\u001b[2Jb', 'U+001B'], ['a\u007fb', 'U+007F'], ['a\u0085b', 'U+0085'],
      ['a\u200bb', 'U+200B'], ['a\u200fb', 'U+200F'], ['a\u202eb', 'U+202E'], ['a\u2066b', 'U+2066'], ['a\u2028b', 'U+2028'], ['\ufeffab', 'U+FEFF'], ['a\u061cb', 'U+061C'],
    ]
    for (const [n, cp] of cases) expect(nameProblem(n), JSON.stringify(n)).toBe(`it contains the control or invisible formatting character ${cp}`)
  })

  it(`refuses names longer than ${MAX_NAME_BYTES} bytes in UTF-8 (bbolt's largest key)`, () => {
    expect(nameProblem('x'.repeat(MAX_NAME_BYTES))).toBeUndefined()
    expect(nameProblem('é'.repeat(MAX_NAME_BYTES / 2 + 1))).toBe(`it is longer than ${MAX_NAME_BYTES} bytes`)
  })
})

describe('checkNewName and quotedName', () => {
  it('a refused name is a usage error (exit 2) whose message shows it escaped', () => {
    let err: unknown
    try {
      checkNewName('evil\u202etxt.exe', 'the v1 user name')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({exitCode: ExitCode.USAGE, message: 'the v1 user name "evil\\u202etxt.exe" cannot be used: it contains the control or invisible formatting character U+202E'})
    expect(quotedName('a\u0085\u001bb')).toBe('"a\\u0085\\u001bb"')
    expect(quotedName('plain')).toBe('"plain"')
  })
})
