/**
 * A memo keyed by a range of bytes, looked up without making a string of
 * them: `auth list --json` looks up 600,000 permission elements and 200,000
 * IDs by their stored bytes, and a string per lookup (made, hashed, then
 * collected) cost more than the rest of writing them.
 *
 * One entry per hash of the key (hashOf); an entry keeps a copy of its key
 * and is returned only when the bytes are equal, so a collision is a miss,
 * never a wrong value. Bounded in entries and in key bytes: full, it starts
 * over.
 */
export class BytesMemo<T> {
  private entries = new Map<number, {key: Buffer; value: T}>()
  private keyBytes = 0

  /**
   * limit: entries; byteLimit: the bytes of all keys kept; a key longer than
   * a sixteenth of it is not kept (values are the caller's to keep small:
   * a file of unusual records must not grow the memo past these).
   */
  constructor(private readonly limit = 4096, private readonly byteLimit = 4 << 20) {}

  /** The value stored for the bytes v[start, end), or undefined. */
  get(v: Buffer, start: number, end: number): T | undefined {
    const e = this.entries.get(hashOf(v, start, end))
    if (e === undefined) return undefined
    const key = e.key
    const n = end - start
    if (key.length !== n) return undefined
    // a loop compares short keys faster than a call into the runtime does
    if (n > 64) return v.compare(key, 0, n, start, end) === 0 ? e.value : undefined
    for (let k = 0; k < n; k++) if (key[k] !== v[start + k]) return undefined
    return e.value
  }

  /** Stores value for the bytes v[start, end) (a copy of them is kept). */
  set(v: Buffer, start: number, end: number, value: T): void {
    const n = end - start
    if (n > this.byteLimit / 16) return
    if (this.entries.size >= this.limit || this.keyBytes + n > this.byteLimit) {
      this.entries = new Map()
      this.keyBytes = 0
    }
    // a replaced entry's key stays counted until the next start over (an upper bound)
    this.entries.set(hashOf(v, start, end), {key: Buffer.from(v.subarray(start, end)), value})
    this.keyBytes += n
  }
}

/**
 * FNV-1a of the key's length, its first and last SAMPLE bytes (all of a
 * short key), as a small integer: a Map keyed by it stays on V8's fast
 * path. The hash only picks the entry; equality is checked on every byte.
 */
export function hashOf(v: Buffer, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193)
  if (end - start <= 2 * SAMPLE) {
    for (let k = start; k < end; k++) h = Math.imul(h ^ v[k]!, 0x01000193)
  } else {
    for (let k = start; k < start + SAMPLE; k++) h = Math.imul(h ^ v[k]!, 0x01000193)
    for (let k = end - SAMPLE; k < end; k++) h = Math.imul(h ^ v[k]!, 0x01000193)
  }
  return h & 0x3fffffff
}

const SAMPLE = 64
