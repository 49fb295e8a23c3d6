// Reading secrets (tokens, passwords) from stdin, from a file, or at a
// terminal prompt: unit tests of src/cli/secret-input.ts, in process.
import * as fs from 'node:fs'
import * as path from 'node:path'
import {PassThrough, Readable} from 'node:stream'
import {password as inquirerPassword} from '@inquirer/prompts'
import {render} from '@inquirer/testing'
import {afterAll, describe, expect, it} from 'vitest'

import {promptPassword, readSecret, secretFromFileText, secretFromStdinText, type PasswordPrompt} from '../../src/cli/secret-input.js'
import {ExitCode, NotFoundError, RecoverError, UsageError} from '../../src/errors.js'
import {makeTempDir, removeDir} from '../helpers/cli.js'

const tmp = makeTempDir('ir-secret-')
afterAll(() => removeDir(tmp))

const stdin = (...chunks: Array<string | Buffer>): Readable => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))

function secretFile(name: string, content: string | Buffer, mode = 0o600): string {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, content)
  fs.chmodSync(file, mode)
  return file
}

async function rejection(p: Promise<unknown>): Promise<RecoverError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(RecoverError)
    return err as RecoverError
  }
  throw new Error('expected a rejection')
}

describe('readSecret from stdin', () => {
  it('takes the first line without its line end (\\n or \\r\\n), or all of a text without one', async () => {
    expect(await readSecret({fromStdin: true, what: 'password', stdin: stdin('my_password\n')})).toBe('my_password')
    expect(await readSecret({fromStdin: true, what: 'password', stdin: stdin('my_password\r\n')})).toBe('my_password')
    expect(await readSecret({fromStdin: true, what: 'token', stdin: stdin('tok-', 'en==')})).toBe('tok-en==')
    // trailing empty lines are not a second secret
    expect(await readSecret({fromStdin: true, what: 'password', stdin: stdin('my_password\n\n\r\n')})).toBe('my_password')
  })

  it('keeps the line exactly: spaces, tabs, multi-byte characters split across chunks', async () => {
    expect(await readSecret({fromStdin: true, what: 'password', stdin: stdin('  two words\t \n')})).toBe('  two words\t ')
    const bytes = Buffer.from('pässwörd-日本\n')
    expect(await readSecret({fromStdin: true, what: 'password', stdin: stdin(bytes.subarray(0, 2), bytes.subarray(2, 13), bytes.subarray(13))})).toBe('pässwörd-日本')
  })

  it('refuses more than one non-empty line (exit 2)', async () => {
    const err = await rejection(readSecret({fromStdin: true, what: 'password', stdin: stdin('first\nsecond\n')}))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.exitCode).toBe(ExitCode.USAGE)
    expect(err.message).toBe('stdin holds 2 non-empty lines; --password-stdin expects the password alone on one line')
    expect(err.message).not.toContain('first')
    expect((await rejection(readSecret({fromStdin: true, what: 'token', stdin: stdin('a\r\n\r\nb')}))).message).toContain('--token-stdin')
  })

  it('refuses an empty secret (exit 2): empty stdin, an empty first line', async () => {
    for (const input of ['', '\n', '\r\n', '\nsecret-on-line-2\n']) {
      const err = await rejection(readSecret({fromStdin: true, what: 'password', stdin: stdin(input)}))
      expect(err).toBeInstanceOf(UsageError)
      expect(err.message).toBe('the password is empty')
    }
  })

  it('pure helpers: stdin text and file text', () => {
    expect(secretFromStdinText('x\n', 'token')).toBe('x')
    expect(secretFromFileText('x\n')).toBe('x')
    expect(secretFromFileText('x\r\n')).toBe('x')
    expect(secretFromFileText('x\n\n')).toBe('x\n')
    expect(secretFromFileText('x')).toBe('x')
  })
})

describe('readSecret from a file', () => {
  it('reads the content with one trailing newline removed; no warning for mode 0600', async () => {
    const warnings: string[] = []
    const warn = (l: string): void => void warnings.push(l)
    expect(await readSecret({fromStdin: false, file: secretFile('p1', 'from-a-file\n'), what: 'password', warn})).toBe('from-a-file')
    expect(await readSecret({fromStdin: false, file: secretFile('p2', 'crlf-file\r\n'), what: 'password', warn})).toBe('crlf-file')
    expect(await readSecret({fromStdin: false, file: secretFile('p3', 'no-newline'), what: 'token', warn})).toBe('no-newline')
    expect(warnings).toEqual([])
  })

  it('warns (stderr by default) when other users can read the file', async () => {
    for (const mode of [0o640, 0o604, 0o644]) {
      const warnings: string[] = []
      const file = secretFile(`open-${mode.toString(8)}`, 'readable-by-others\n', mode)
      expect(await readSecret({fromStdin: false, file, what: 'password', warn: (l) => void warnings.push(l)})).toBe('readable-by-others')
      expect(warnings).toEqual([`Warning: the password file ${file} can be read by other users (mode ${mode.toString(8)}); consider chmod 600 ${file}`])
      expect(warnings[0]).not.toContain('readable-by-others')
    }
  })

  it('a --token-file value that is really a token is never echoed (not found, too long a name, unopenable)', async () => {
    const token = 'Yp3RBvZs-Jm1a0_kQ8xWc2LnE7tUoHd5iGfA9rTq4bNvSjKwXyZlMeOpCuDhIgFbRaStUvWxYz0123456789ab=='
    const withSlash = 'abc/def+ghi=='
    for (const given of [token, withSlash, `${token}${'x'.repeat(300)}`]) {
      const err = await rejection(readSecret({fromStdin: false, file: given, what: 'token'}))
      expect(err.exitCode).toBe(ExitCode.NOT_FOUND)
      expect(`${err.message} ${err.hint ?? ''}`).not.toContain(given.slice(0, 10))
      expect(err.message).toBe('token file not found (the name given to --token-file is not shown, in case it is the token itself)')
    }
  })

  it('a missing file exits 5; a directory or an empty file exits 2', async () => {
    const missing = await rejection(readSecret({fromStdin: false, file: path.join(tmp, 'nope'), what: 'password'}))
    expect(missing).toBeInstanceOf(NotFoundError)
    expect(missing.exitCode).toBe(ExitCode.NOT_FOUND)
    // the name is not echoed: it may be the secret itself, typed where the file's name belongs
    expect(missing.message).toBe('password file not found (the name given to --password-file is not shown, in case it is the password itself)')
    expect(missing.hint).toBe('give the path of a file holding the password, or pipe the password in with --password-stdin')
    expect((await rejection(readSecret({fromStdin: false, file: path.join(tmp, 'nope', 'x'), what: 'token'}))).exitCode).toBe(ExitCode.NOT_FOUND)

    const dir = await rejection(readSecret({fromStdin: false, file: tmp, what: 'password'}))
    expect(dir.exitCode).toBe(ExitCode.USAGE)
    expect(dir.message).toContain('is not a regular file')

    for (const content of ['', '\n']) {
      const empty = await rejection(readSecret({fromStdin: false, file: secretFile('empty', content), what: 'token'}))
      expect(empty).toBeInstanceOf(UsageError)
      expect(empty.message).toBe('the token is empty')
    }
  })
})

describe('readSecret: which source', () => {
  it('both stdin and a file: exit 2, stdin untouched', async () => {
    const input = stdin('never-read\n')
    const err = await rejection(readSecret({fromStdin: true, file: secretFile('both', 'x\n'), what: 'token', stdin: input}))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toBe('give the token either with --token-stdin or with --token-file, not both')
    expect(input.readableEnded).toBe(false)
  })

  it('neither: undefined, and stdin is not read', async () => {
    const input = stdin('never-read\n')
    expect(await readSecret({fromStdin: false, what: 'password', stdin: input})).toBeUndefined()
    expect(input.readableEnded).toBe(false)
  })
})

describe('promptPassword', () => {
  /** A scripted prompt: records each call and answers from the list. */
  function scripted(answers: string[]): {prompt: PasswordPrompt; calls: Array<{message: string; mask: unknown; output: unknown; validate?: (v: string) => unknown}>} {
    const calls: Array<{message: string; mask: unknown; output: unknown; validate?: (v: string) => unknown}> = []
    const prompt = (async (config: {message: string; mask?: unknown; validate?: (v: string) => unknown}, context?: {output?: unknown}) => {
      calls.push({message: config.message, mask: config.mask, output: context?.output, validate: config.validate})
      const a = answers.shift()
      if (a === undefined) throw new Error('no more answers')
      return a
    }) as unknown as PasswordPrompt
    return {prompt, calls}
  }

  it('asks twice, masked, on stderr by default, and returns the password', async () => {
    const {prompt, calls} = scripted(['s3cret-pass', 's3cret-pass'])
    expect(await promptPassword({prompt, message: 'Password for alice'})).toBe('s3cret-pass')
    expect(calls.map((c) => c.message)).toEqual(['Password for alice', 'Confirm password'])
    expect(calls.every((c) => c.mask === '*' && c.output === process.stderr)).toBe(true)
  })

  it('the first prompt validates: empty refused, then the caller\'s rule', async () => {
    const {prompt, calls} = scripted(['long-enough', 'long-enough'])
    await promptPassword({prompt, validate: (v) => (v.length >= 8 ? true : 'too short')})
    const validate = calls[0]!.validate!
    expect(validate('')).toBe('the password cannot be empty')
    expect(validate('short')).toBe('too short')
    expect(validate('long-enough')).toBe(true)
  })

  it('a different confirmation is refused (exit 2)', async () => {
    const {prompt} = scripted(['first-answer', 'second-answer'])
    const err = await rejection(promptPassword({prompt}))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toBe('the two passwords do not match, nothing was written')
    expect(err.message).not.toContain('answer')
  })

  it('Ctrl-C at the prompt: cancelled (exit 1)', async () => {
    const prompt = (async () => {
      const e = new Error('User force closed the prompt with SIGINT')
      e.name = 'ExitPromptError'
      throw e
    }) as unknown as PasswordPrompt
    const err = await rejection(promptPassword({prompt}))
    expect(err.exitCode).toBe(ExitCode.ERROR)
    expect(err.message).toBe('cancelled: no password entered, nothing was written')
  })

  it('with the real @inquirer password prompt: typed text is masked and the validation message shown', async () => {
    const screens: string[] = []
    const typed = ['short', 'correct horse']
    let call = 0
    const driven = (async (config: Parameters<PasswordPrompt>[0]) => {
      const {answer, events, getScreen} = await render(inquirerPassword, config)
      if (call++ === 0) {
        events.type(typed[0]!)
        events.keypress('enter')
        await new Promise((r) => setTimeout(r, 20))
        screens.push(getScreen())
        for (let i = 0; i < typed[0]!.length; i++) events.keypress('backspace')
      }
      events.type(typed[1]!)
      screens.push(getScreen())
      events.keypress('enter')
      return answer
    }) as unknown as PasswordPrompt
    const out = new PassThrough()
    expect(await promptPassword({prompt: driven, output: out, validate: (v) => (v.length >= 8 ? true : 'passwords must be between 8 and 72 characters long')})).toBe('correct horse')
    expect(screens[0]).toContain('passwords must be between 8 and 72 characters long')
    for (const s of screens) {
      expect(s).not.toContain('short')
      expect(s).not.toContain('correct horse')
    }
    expect(screens.some((s) => s.includes('*************'))).toBe(true)
  })
})
