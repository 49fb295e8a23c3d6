/**
 * Reading input files (dumps, ops): whole-file reads for small inputs and a
 * synchronous line iterator for dumps, which can be large and are consumed
 * inside the engine's synchronous build callback.
 */
import * as fs from 'node:fs'
import {StringDecoder} from 'node:string_decoder'

import {ExitCode, NotFoundError, RecoverError} from '../errors.js'

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as {code: unknown}).code) : undefined
}

/** Opens an input file for reading; '-' is not accepted here. */
export function openInput(path: string, what: string): number {
  let fd: number
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`${what} not found: ${path}`)
    if (code === 'ELOOP') throw new NotFoundError(`${what} not found: ${path} is a symlink that cannot be resolved (loop)`)
    throw new RecoverError(`cannot open ${what} ${path}: ${(err as Error).message}`)
  }
  const st = fs.fstatSync(fd)
  if (!st.isFile()) {
    fs.closeSync(fd)
    throw new RecoverError(`${what} ${path} is not a regular file`, ExitCode.ERROR)
  }
  return fd
}

/** Reads a whole input as UTF-8 text; '-' reads stdin to its end. */
export async function readInputText(path: string, what: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  const fd = openInput(path, what)
  try {
    return fs.readFileSync(fd).toString('utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/** Lines of an open file, read in 1 MiB chunks (no trailing '\r', no final empty line). */
export function* linesOfFd(fd: number): Generator<string> {
  const buf = Buffer.alloc(1 << 20)
  const dec = new StringDecoder('utf8')
  let pending = ''
  let pos = 0
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos)
    if (n === 0) break
    pos += n
    pending += dec.write(buf.subarray(0, n))
    let nl: number
    let start = 0
    while ((nl = pending.indexOf('\n', start)) !== -1) {
      yield stripCr(pending.slice(start, nl))
      start = nl + 1
    }
    pending = pending.slice(start)
  }
  pending += dec.end()
  if (pending.length > 0) yield stripCr(pending)
}

/** Lines of a text already in memory. */
export function* linesOfText(text: string): Generator<string> {
  let start = 0
  let nl: number
  while ((nl = text.indexOf('\n', start)) !== -1) {
    yield stripCr(text.slice(start, nl))
    start = nl + 1
  }
  if (start < text.length) yield stripCr(text.slice(start))
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s
}
