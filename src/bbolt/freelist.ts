/**
 * The free page set of a write transaction. `free` holds ids that committed
 * transactions released (allocatable now); `pending` holds ids released by
 * the current transaction, which must not be reused before it commits: a
 * crash before the meta write must find every page of the previous state
 * intact. Both are persisted together, sorted and unique, because after the
 * commit no reader can still need the pending pages.
 */
import {BoltError, corrupt} from './errors.js'
import {FREELIST_PAGE, PAGE_HEADER_SIZE, Page, readU64, writeU64} from './page.js'

export class Freelist {
  /** sorted ascending, unique; the live ids are free[head..] */
  private free: number[]
  /** ids before this index have been allocated (taking from the front is then O(1)) */
  private head = 0
  private pending: number[] = []
  /** every id in free or pending, for the double-free check */
  private known: Set<number>

  constructor(ids: number[]) {
    this.free = ids
    this.known = new Set(ids)
  }

  /** Decodes a freelist page; ids must be unique and inside [2, hwm). */
  static read(p: Page, hwm: number): Freelist {
    return new Freelist(readFreelistIds(p, hwm))
  }

  get freeCount(): number { return this.free.length - this.head }
  get pendingCount(): number { return this.pending.length }
  count(): number { return this.freeCount + this.pending.length }

  /** Bytes the persisted list needs (header, optional count word, ids). */
  size(): number {
    const n = this.count()
    return PAGE_HEADER_SIZE + 8 * (n >= 0xffff ? n + 1 : n)
  }

  isFree(id: number): boolean { return this.known.has(id) }

  /**
   * Takes the first run of `n` consecutive free ids (bbolt's array allocator),
   * or returns 0 when none exists. Pending ids are never candidates.
   */
  allocate(n: number): number {
    const ids = this.free
    let initial = 0, prev = 0
    for (let i = this.head; i < ids.length; i++) {
      const id = ids[i]
      if (prev === 0 || id - prev !== 1) initial = id
      if (id - initial + 1 === n) {
        const from = i - n + 1
        if (from === this.head) {
          this.head += n
          if (this.head > 1024 && this.head * 2 > ids.length) {
            this.free = ids.slice(this.head)
            this.head = 0
          }
        } else {
          ids.splice(from, n)
        }
        for (let k = 0; k < n; k++) this.known.delete(initial + k)
        return initial
      }
      prev = id
    }
    return 0
  }

  /** Releases a page run (id .. id+overflow) into pending. */
  release(id: number, overflow: number): void {
    if (id <= 1) throw new BoltError('corrupt', `cannot free page ${id}: pages 0 and 1 hold the metas`)
    for (let i = id; i <= id + overflow; i++) {
      if (this.known.has(i)) throw corrupt(`page ${i} is freed twice (the tree references a free page)`)
      this.known.add(i)
      this.pending.push(i)
    }
  }

  /** All ids to persist: free ∪ pending, sorted. */
  allIds(): number[] {
    const out = this.free.slice(this.head).concat(this.pending)
    out.sort((a, b) => a - b)
    return out
  }

  /** Writes the list into a page buffer (the header id is already set). */
  write(buf: Buffer): void {
    const ids = this.allIds()
    buf.writeUInt16LE(FREELIST_PAGE, 8)
    let off = PAGE_HEADER_SIZE
    if (ids.length >= 0xffff) {
      // the u16 count cannot hold it: 0xFFFF, then the real count as the first u64
      buf.writeUInt16LE(0xffff, 10)
      writeU64(buf, off, ids.length)
      off += 8
    } else {
      buf.writeUInt16LE(ids.length, 10)
    }
    for (const id of ids) {
      writeU64(buf, off, id)
      off += 8
    }
  }
}

/** Ids listed on a freelist page, validated: unique and in [2, hwm). */
export function readFreelistIds(p: Page, hwm: number): number[] {
  if (p.flags !== FREELIST_PAGE) throw corrupt(`page ${p.id}: expected a freelist page, found flags 0x${p.flags.toString(16)}`)
  let count = p.count
  let off = PAGE_HEADER_SIZE
  if (count === 0xffff) {
    count = readU64(p.buf, off, `freelist page ${p.id} count`)
    off += 8
  }
  if (off + count * 8 > p.buf.length) throw corrupt(`freelist page ${p.id}: ${count} ids do not fit in its ${p.overflow + 1} page(s)`)
  const ids = new Array<number>(count)
  for (let i = 0; i < count; i++, off += 8) {
    const id = readU64(p.buf, off, `freelist page ${p.id} entry`)
    if (id < 2 || id >= hwm) throw corrupt(`freelist page ${p.id} lists page ${id}, outside [2, ${hwm})`)
    ids[i] = id
  }
  ids.sort((a, b) => a - b)
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1]) throw corrupt(`freelist page ${p.id} lists page ${ids[i]} twice`)
  }
  return ids
}
