/**
 * Text written straight into bytes, for outputs of hundreds of MB (`auth list
 * --json`): a JS string built from many parts is a tree that V8 copies once
 * to flatten it and once more to encode it; here each part is encoded once,
 * into a buffer that is handed to stdout whole when full.
 */
/** Buffer's own UTF-8 writer (what buf.write(s, offset, 'utf8') calls after checking its arguments; in Node since 0.x, untyped). */
interface Utf8Writable {
  utf8Write(s: string, offset: number): number
}

export class ByteWriter {
  buf: Buffer
  off = 0

  constructor(readonly chunkBytes = 128 << 10) {
    this.buf = Buffer.allocUnsafe(chunkBytes)
  }

  /** Room for n more bytes (a larger buffer, the bytes so far copied, when they do not fit). */
  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.chunkBytes, 2 * (this.off + n)))
    this.buf.copy(next, 0, 0, this.off)
    this.buf = next
  }

  bytes(b: Uint8Array): void {
    const n = b.length
    this.ensure(n)
    const buf = this.buf
    let off = this.off
    // a loop copies the short pieces faster than a call into the runtime does
    if (n <= 64) for (let i = 0; i < n; i++) buf[off++] = b[i]!
    else {
      buf.set(b, off)
      off += n
    }
    this.off = off
  }

  /** The bytes src[start, end). */
  range(src: Buffer, start: number, end: number): void {
    const n = end - start
    this.ensure(n)
    const buf = this.buf
    let off = this.off
    if (n <= 64) for (let i = start; i < end; i++) buf[off++] = src[i]!
    else off += src.copy(buf, off, start, end)
    this.off = off
  }

  /** A string, UTF-8 encoded. */
  text(s: string): void {
    this.ensure(3 * s.length)
    this.off += (this.buf as unknown as Utf8Writable).utf8Write(s, this.off)
  }

  /** The bytes written so far, viewing the writer's buffer: valid until the next write after reset(). */
  written(): Buffer {
    return this.buf.subarray(0, this.off)
  }

  /** Starts over in the same buffer (once what written() returned is no longer needed). */
  reset(): void {
    this.off = 0
  }
}
