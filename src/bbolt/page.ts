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

/** Little-endian u32 without Buffer's argument checks (callers have checked bounds). */
export function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
}

/**
 * A little-endian u64 known to fit in a JS number (callers have checked). A
 * high word of 0 returns the low word itself: arithmetic with 2^32 makes a
 * double, and a double stored once in a field makes V8 box that field as a
 * heap number in every object of the same shape.
 */
export function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4)
  return hi === 0 ? u32(b, o) : hi * 0x1_0000_0000 + u32(b, o)
}

/** Reads a u64 that must fit in a JS number (page ids, txids, counts). */
export function readU64(buf: Buffer, off: number, what: string): number {
  const lo = buf.readUInt32LE(off)
  const hi = buf.readUInt32LE(off + 4)
  if (hi > MAX_SAFE_HI) throw corrupt(`${what} is too large (0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')})`)
  return hi === 0 ? lo : hi * 0x1_0000_0000 + lo
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

  leafFlags(i: number): number { return u32(this.buf, this.elemOffset(i)) }
  leafKeyStart(i: number): number { const o = this.elemOffset(i); return o + u32(this.buf, o + 4) }
  leafKeySize(i: number): number { return u32(this.buf, this.elemOffset(i) + 8) }
  leafKey(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + u32(this.buf, o + 4)
    return this.buf.subarray(start, start + u32(this.buf, o + 8))
  }
  leafValue(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + u32(this.buf, o + 4) + u32(this.buf, o + 8)
    return this.buf.subarray(start, start + u32(this.buf, o + 12))
  }

  branchKeyStart(i: number): number { const o = this.elemOffset(i); return o + u32(this.buf, o) }
  branchKeySize(i: number): number { return u32(this.buf, this.elemOffset(i) + 4) }
  branchKey(i: number): Buffer {
    const o = this.elemOffset(i)
    const start = o + u32(this.buf, o)
    return this.buf.subarray(start, start + u32(this.buf, o + 4))
  }
  branchPgid(i: number): number {
    // checked in validateElements
    return u64(this.buf, this.elemOffset(i) + 8)
  }

  keyAt(i: number): Buffer { return this.flags === LEAF_PAGE ? this.leafKey(i) : this.branchKey(i) }

  /** Compares element i's key with `key` without allocating a view. */
  compareKey(i: number, key: Uint8Array): number {
    const o = this.elemOffset(i)
    let start: number, size: number
    if (this.flags === LEAF_PAGE) {
      start = o + u32(this.buf, o + 4)
      size = u32(this.buf, o + 8)
    } else {
      start = o + u32(this.buf, o)
      size = u32(this.buf, o + 4)
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
  const count = p.count
  const end = PAGE_HEADER_SIZE + ELEMENT_SIZE * count
  if (end > size) return `element array (${count} elements) runs past the page end`
  const b = p.buf
  if (p.flags === LEAF_PAGE) {
    for (let i = 0, o = PAGE_HEADER_SIZE; i < count; i++, o += ELEMENT_SIZE) {
      const flags = u32(b, o), pos = u32(b, o + 4), ks = u32(b, o + 8), vs = u32(b, o + 12)
      if (flags !== 0 && flags !== BUCKET_LEAF_FLAG) return `leaf element ${i} has invalid flags 0x${flags.toString(16)}`
      if (o + pos + ks + vs > size) return `leaf element ${i} (pos ${pos}, ksize ${ks}, vsize ${vs}) runs past the page end`
    }
  } else {
    for (let i = 0, o = PAGE_HEADER_SIZE; i < count; i++, o += ELEMENT_SIZE) {
      const pos = u32(b, o), ks = u32(b, o + 4)
      if (o + pos + ks > size) return `branch element ${i} (pos ${pos}, ksize ${ks}) runs past the page end`
      if (u32(b, o + 12) > MAX_SAFE_HI) return `branch element ${i} points to an impossible page id`
    }
  }
  return null
}
