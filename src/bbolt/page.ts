/**
 * Page layout: a 16-byte header (id u64, flags u16, count u16, overflow u32)
 * followed by the body. Branch and leaf elements are 16 bytes each and their
 * `pos` is measured from the element itself, not from the page start.
 * All numbers are little-endian (Go writes host order; x86_64/arm64 are LE).
 */
import {corrupt} from './errors.js'

export const PAGE_HEADER_SIZE = 16
export const ELEMENT_SIZE = 16 // branch and leaf elements are the same size
export const BUCKET_HEADER_SIZE = 16

export const BRANCH_PAGE = 0x01
export const LEAF_PAGE = 0x02
export const META_PAGE = 0x04
export const FREELIST_PAGE = 0x10

/** Leaf element flag: the value is a bucket header (plus inline page image). */
export const BUCKET_LEAF_FLAG = 0x01

export const MAX_KEY_SIZE = 32768
export const MAX_VALUE_SIZE = 0x7fffffff - 1
export const MIN_PAGE_SIZE = 512
export const MAX_PAGE_SIZE = 65536

/** Largest integer we accept for a page id, count or txid read from the file. */
const MAX_SAFE_HI = 0x1fffff // hi 32 bits of Number.MAX_SAFE_INTEGER

export function flagName(flags: number): string {
  switch (flags) {
    case BRANCH_PAGE: return 'branch'
    case LEAF_PAGE: return 'leaf'
    case META_PAGE: return 'meta'
    case FREELIST_PAGE: return 'freelist'
    default: return `unknown<0x${flags.toString(16)}>`
  }
}

/**
 * Byte-wise comparison of a[aStart, aStart+aLen) with b (bytes.Compare order:
 * a proper prefix sorts first). A plain loop: keys usually differ early, and
 * Buffer#compare's argument checks cost more than the comparison itself.
 */
export function compareBytes(a: Uint8Array, aStart: number, aLen: number, b: Uint8Array): number {
  const n = aLen < b.length ? aLen : b.length
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i] - b[i]
    if (d !== 0) return d
  }
  return aLen - b.length
}

/** Reads a u64 that must fit in a JS number (page ids, txids, counts). */
export function readU64(buf: Buffer, off: number, what: string): number {
  const lo = buf.readUInt32LE(off)
  const hi = buf.readUInt32LE(off + 4)
  if (hi > MAX_SAFE_HI) throw corrupt(`${what} is too large (0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')})`)
  return hi * 0x1_0000_0000 + lo
}

export function writeU64(buf: Buffer, off: number, v: number): void {
  buf.writeUInt32LE(v >>> 0, off)
  buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), off + 4)
}

/**
 * A page (or an overflow run of pages) as read from the file, or an inline
 * bucket's page image. Invariant: `buf` is never modified or recycled once a
 * Page exists, so nodes and cursors may keep views into it.
 */
export class Page {
  constructor(
    readonly id: number,
    readonly flags: number,
    readonly count: number,
    readonly overflow: number,
    /** the whole run: (overflow + 1) * pageSize bytes, or the inline image */
    readonly buf: Buffer,
  ) {}

  static header(buf: Buffer, expectedId: number | null, what: string): {id: number; flags: number; count: number; overflow: number} {
    if (buf.length < PAGE_HEADER_SIZE) throw corrupt(`${what}: truncated page header`)
    const id = readU64(buf, 0, `${what} header id`)
    if (expectedId !== null && id !== expectedId) {
      throw corrupt(`page ${expectedId}: header says it is page ${id}`)
    }
    return {id, flags: buf.readUInt16LE(8), count: buf.readUInt16LE(10), overflow: buf.readUInt32LE(12)}
  }

  get isLeaf(): boolean { return this.flags === LEAF_PAGE }
  get isBranch(): boolean { return this.flags === BRANCH_PAGE }

  // Element accessors. Bounds were checked by validateElements when the page
  // was loaded, so these do no checking of their own.
  elemOffset(i: number): number { return PAGE_HEADER_SIZE + ELEMENT_SIZE * i }

  leafFlags(i: number): number { return this.buf.readUInt32LE(this.elemOffset(i)) }
  leafKeyStart(i: number): number { const o = this.elemOffset(i); return o + this.buf.readUInt32LE(o + 4) }
  leafKeySize(i: number): number { return this.buf.readUInt32LE(this.elemOffset(i) + 8) }
  leafKey(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + this.buf.readUInt32LE(o + 4)
    return this.buf.subarray(start, start + this.buf.readUInt32LE(o + 8))
  }
  leafValue(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + this.buf.readUInt32LE(o + 4) + this.buf.readUInt32LE(o + 8)
    return this.buf.subarray(start, start + this.buf.readUInt32LE(o + 12))
  }

  branchKeyStart(i: number): number { const o = this.elemOffset(i); return o + this.buf.readUInt32LE(o) }
  branchKeySize(i: number): number { return this.buf.readUInt32LE(this.elemOffset(i) + 4) }
  branchKey(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + this.buf.readUInt32LE(o)
    return this.buf.subarray(start, start + this.buf.readUInt32LE(o + 4))
  }
  branchPgid(i: number): number {
    const o = this.elemOffset(i) + 8
    const hi = this.buf.readUInt32LE(o + 4)
    // checked in validateElements
    return hi * 0x1_0000_0000 + this.buf.readUInt32LE(o)
  }

  keyAt(i: number): Buffer { return this.flags === LEAF_PAGE ? this.leafKey(i) : this.branchKey(i) }

  /** Compares element i's key with `key` without allocating a view. */
  compareKey(i: number, key: Uint8Array): number {
    const o = this.elemOffset(i)
    let start: number, size: number
    if (this.flags === LEAF_PAGE) {
      start = o + this.buf.readUInt32LE(o + 4)
      size = this.buf.readUInt32LE(o + 8)
    } else {
      start = o + this.buf.readUInt32LE(o)
      size = this.buf.readUInt32LE(o + 4)
    }
    return compareBytes(this.buf, start, size, key)
  }

  /** Index of the first element whose key is >= key (count when none). */
  search(key: Uint8Array): number {
    let lo = 0, hi = this.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.compareKey(mid, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/**
 * Checks that the element array and every key/value of a branch or leaf page
 * lie inside the page run, and that branch children are plausible page ids.
 * Returns a description of the first problem, or null.
 */
export function elementProblem(p: Page): string | null {
  const size = p.buf.length
  const end = PAGE_HEADER_SIZE + ELEMENT_SIZE * p.count
  if (end > size) return `element array (${p.count} elements) runs past the page end`
  const b = p.buf
  for (let i = 0; i < p.count; i++) {
    const o = PAGE_HEADER_SIZE + ELEMENT_SIZE * i
    if (p.flags === LEAF_PAGE) {
      const pos = b.readUInt32LE(o + 4), ks = b.readUInt32LE(o + 8), vs = b.readUInt32LE(o + 12)
      const flags = b.readUInt32LE(o)
      if (flags !== 0 && flags !== BUCKET_LEAF_FLAG) return `leaf element ${i} has invalid flags 0x${flags.toString(16)}`
      if (o + pos + ks + vs > size) return `leaf element ${i} (pos ${pos}, ksize ${ks}, vsize ${vs}) runs past the page end`
    } else {
      const pos = b.readUInt32LE(o), ks = b.readUInt32LE(o + 4)
      if (o + pos + ks > size) return `branch element ${i} (pos ${pos}, ksize ${ks}) runs past the page end`
      if (b.readUInt32LE(o + 12) > MAX_SAFE_HI) return `branch element ${i} points to an impossible page id`
    }
  }
  return null
}
