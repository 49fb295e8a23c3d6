/**
 * Cursor over one bucket: a stack of (page or node, index) from the bucket's
 * root to a leaf. Reads see materialized nodes where a write transaction has
 * them and pages otherwise, so a cursor sees the transaction's own changes.
 * Empty leaves (possible after deletions) are skipped in both directions.
 *
 * The stack's frames are reused objects, so moving within a leaf or to the
 * next leaf allocates nothing but the returned entry.
 */
import type {Bucket} from './bucket.js'
import {BoltError, corrupt} from './errors.js'
import {AREA_BYTES, ReadArea} from './file.js'
import {BUCKET_LEAF_FLAG, ELEMENT_SIZE, LEAF_PAGE, PAGE_HEADER_SIZE, Page, compareBytes, u32} from './page.js'
import type {Node} from './node.js'

class Frame {
  page: Page | null = null
  node: Node | null = null
  /** page id (a node's source page; 0 for a new node or an inline bucket) */
  id = 0
  index = 0
  count = 0
  leaf = false
}

const EMPTY = Buffer.alloc(0)

/** Maximum tree depth we follow; a real file is far shallower. Guards loops in corrupt files. */
const MAX_DEPTH = 64

export interface Entry {
  key: Buffer
  /** null when the entry is a sub-bucket */
  value: Buffer | null
}

export interface CursorOptions {
  /**
   * false: keys and values are views into the engine's own buffers, not
   * copies: faster for bulk reads, but they must never be modified.
   * Default true.
   */
  copy?: boolean
  /**
   * true: a cursor for scans. It reads leaves in runs into a small buffer of
   * its own that it reuses as it moves, so first(), next() and the like
   * always copy (whatever `copy` says); the *View methods hand out the
   * bytes in place, valid only until the cursor moves. Default false.
   */
  scan?: boolean
}

/**
 * The entry under a cursor as byte ranges (no object per entry): the key is
 * keyBuf[keyStart, keyEnd), the value valueBuf[valueStart, valueEnd). One
 * object per cursor, overwritten when it moves; the bytes must not be
 * modified, and in a scan cursor are valid only until it moves.
 */
export interface EntryView {
  keyBuf: Buffer
  keyStart: number
  keyEnd: number
  /** null when the entry is a sub-bucket */
  valueBuf: Buffer | null
  valueStart: number
  valueEnd: number
}

export class Cursor {
  private readonly frames: Frame[] = []
  /** number of live frames in `frames` */
  private depth = 0
  private readonly copy: boolean
  /** a scan cursor's own read buffer (CursorOptions.scan) */
  private readonly area: ReadArea | null
  /** the depth of the first leaf this cursor met (0: none yet) */
  private leafDepth = 0
  private readonly view: EntryView = {keyBuf: EMPTY, keyStart: 0, keyEnd: 0, valueBuf: null, valueStart: 0, valueEnd: 0}
  /**
   * Leaves entered while moving in one direction (1 next, -1 prev). In a tree
   * no leaf is met twice in one sweep; in a damaged file whose branches share
   * a child (a DAG) it would be, and a full sweep could take exponential time.
   */
  private visited: Uint8Array | null = null
  /** the ids whose bits are set in `visited` */
  private readonly visitedIds: number[] = []
  private direction = 0

  /**
   * `internal`: the bucket's own lookup cursor (get, put, delete), whose
   * callers copy whatever they keep: it reads leaves through the
   * transaction's reused read area (Tx.leafPage).
   */
  constructor(readonly bucket: Bucket, options: CursorOptions = {}, private readonly internal = false) {
    this.area = options.scan === true ? new ReadArea(Math.max(AREA_BYTES, 4 * bucket.tx.pageSize), bucket.tx.pageSize, true) : null
    this.copy = this.area !== null || (options.copy ?? true)
  }

  // ---- the entry as byte ranges (EntryView); null at the end ----
  firstView(): EntryView | null {
    this.bucket.tx.assertOpen()
    this.toFirst()
    return this.fillView() ? this.view : null
  }

  lastView(): EntryView | null {
    this.bucket.tx.assertOpen()
    this.toLast()
    return this.fillView() ? this.view : null
  }

  seekView(key: Uint8Array): EntryView | null {
    this.bucket.tx.assertOpen()
    this.toKey(key)
    return this.fillView() ? this.view : null
  }

  nextView(): EntryView | null {
    return this.stepForward() && this.fillView() ? this.view : null
  }

  prevView(): EntryView | null {
    return this.stepBack() && this.fillView() ? this.view : null
  }

  /** Sets `view` to the element under the cursor; false when there is none. */
  private fillView(): boolean {
    if (this.depth === 0) return false
    const ref = this.frames[this.depth - 1]
    const i = ref.index
    if (i < 0 || i >= ref.count) return false
    const v = this.view
    if (ref.node !== null) {
      const ino = ref.node.inodes[i]
      v.keyBuf = ino.key
      v.keyStart = 0
      v.keyEnd = ino.key.length
      if ((ino.flags & BUCKET_LEAF_FLAG) !== 0) {
        v.valueBuf = null
        v.valueStart = v.valueEnd = 0
      } else {
        this.bucket.tx.exposed(ino.value!)
        v.valueBuf = ino.value
        v.valueStart = 0
        v.valueEnd = ino.value!.length
      }
      return true
    }
    // a leaf element: flags u32, pos u32 (from the element), ksize u32, vsize u32
    const buf = ref.page!.buf
    const o = PAGE_HEADER_SIZE + ELEMENT_SIZE * i
    const start = o + u32(buf, o + 4)
    const end = start + u32(buf, o + 8)
    v.keyBuf = buf
    v.keyStart = start
    v.keyEnd = end
    if ((u32(buf, o) & BUCKET_LEAF_FLAG) !== 0) {
      v.valueBuf = null
      v.valueStart = v.valueEnd = 0
    } else {
      v.valueBuf = buf
      v.valueStart = end
      v.valueEnd = end + u32(buf, o + 12)
    }
    return true
  }

  first(): Entry | null {
    this.bucket.tx.assertOpen()
    this.toFirst()
    return this.current()
  }

  last(): Entry | null {
    this.bucket.tx.assertOpen()
    this.toLast()
    return this.current()
  }

  private toFirst(): void {
    this.reset()
    this.pushPageNode(this.bucket.rootPgid(), 0)
    this.goToFirst()
    if (this.frames[this.depth - 1].count === 0) this.nextEntry()
  }

  private toLast(): void {
    this.reset()
    const ref = this.pushPageNode(this.bucket.rootPgid(), 0)
    ref.index = ref.count - 1
    this.goToLast()
    // the last leaf can be empty after deletions: step back to a real element
    if (this.frames[this.depth - 1].count === 0) this.prevEntry()
  }

  next(): Entry | null {
    return this.stepForward() ? this.current() : null
  }

  prev(): Entry | null {
    return this.stepBack() ? this.current() : null
  }

  /** Moves to the next element (fast path: it is in the same leaf); false when the cursor is not positioned. */
  private stepForward(): boolean {
    this.bucket.tx.assertOpen()
    if (this.depth === 0) return false
    const top = this.frames[this.depth - 1]
    if (top.index < top.count - 1 && top.index >= 0) top.index++
    else this.nextEntry()
    return true
  }

  private stepBack(): boolean {
    this.bucket.tx.assertOpen()
    if (this.depth === 0) return false
    const top = this.frames[this.depth - 1]
    if (top.index > 0 && top.index < top.count) top.index--
    else this.prevEntry()
    return true
  }

  /** Positions at the first key >= `key`. */
  seek(key: Uint8Array): Entry | null {
    this.bucket.tx.assertOpen()
    this.toKey(key)
    return this.current()
  }

  private toKey(key: Uint8Array): void {
    this.seekRaw(key)
    const ref = this.frames[this.depth - 1]
    if (ref.index >= ref.count) this.nextEntry()
  }

  /** Deletes the key under the cursor (not a bucket). */
  delete(): void {
    const e = this.current()
    if (e === null) return
    if (e.value === null) throw new BoltError('incompatible', 'cursor delete: the entry is a bucket')
    this.node().del(e.key)
  }

  /**
   * Opens the sub-bucket under the cursor from the entry itself (no second
   * seek, so it works even where a damaged file's key order would mislead one).
   */
  openBucket(): Bucket {
    const kv = this.currentRaw()
    if (kv === null || (kv.flags & BUCKET_LEAF_FLAG) === 0) throw new BoltError('incompatible', 'cursor is not on a bucket entry')
    // a scan cursor's buffer is reused: the child keeps its own copy of an inline image
    return this.bucket.openChild(kv.key, this.area !== null ? Buffer.from(kv.value) : kv.value)
  }

  /** Seeks without skipping past the end of a leaf (used by Bucket). */
  seekRaw(key: Uint8Array): void {
    if (this.internal && this.depth > 0) {
      // Lookups in key order mostly stay in one leaf. When the last one's leaf
      // node holds keys on both sides of `key`, a descent from the root ends
      // there too (in a tree whose keys are in order, as check verifies
      // before any write): it is not repeated.
      const top = this.frames[this.depth - 1]
      const n = top.node
      if (n !== null && top.leaf) {
        const inodes = n.inodes
        const count = inodes.length
        if (count > 0) {
          const first = inodes[0].key, last = inodes[count - 1].key
          if (compareBytes(first, 0, first.length, key) <= 0 && compareBytes(last, 0, last.length, key) >= 0) {
            top.count = count
            top.index = n.search(key)
            return
          }
        }
      }
    }
    this.reset()
    this.search(key, this.bucket.rootPgid())
  }

  /** The entry under the cursor including its leaf flags; null at the end. */
  currentRaw(): {key: Buffer; value: Buffer; flags: number} | null {
    if (this.depth === 0) return null
    const ref = this.frames[this.depth - 1]
    if (ref.index < 0 || ref.index >= ref.count) return null
    if (ref.node !== null) {
      const ino = ref.node.inodes[ref.index]
      if (!this.internal) this.bucket.tx.exposed(ino.value!)
      return {key: ino.key, value: ino.value!, flags: ino.flags}
    }
    const p = ref.page!
    return {key: p.leafKey(ref.index), value: p.leafValue(ref.index), flags: p.leafFlags(ref.index)}
  }

  /** The key under the cursor (a view), or null; no entry object is made. */
  currentKey(): Buffer | null {
    if (this.depth === 0) return null
    const ref = this.frames[this.depth - 1]
    if (ref.index < 0 || ref.index >= ref.count) return null
    return ref.node !== null ? ref.node.inodes[ref.index].key : ref.page!.leafKey(ref.index)
  }

  /** Whether the element under the cursor has exactly this key (compared in place, no view made). */
  atKey(key: Uint8Array): boolean {
    if (this.depth === 0) return false
    const ref = this.frames[this.depth - 1]
    const i = ref.index
    if (i < 0 || i >= ref.count) return false
    if (ref.node !== null) {
      const k = ref.node.inodes[i].key
      return k.length === key.length && compareBytes(k, 0, k.length, key) === 0
    }
    const p = ref.page!
    return p.leafKeySize(i) === key.length && p.compareKey(i, key) === 0
  }

  /** The leaf flags of the element under the cursor, or -1 when there is none. */
  currentFlags(): number {
    if (this.depth === 0) return -1
    const ref = this.frames[this.depth - 1]
    if (ref.index < 0 || ref.index >= ref.count) return -1
    return ref.node !== null ? ref.node.inodes[ref.index].flags : ref.page!.leafFlags(ref.index)
  }

  private current(): Entry | null {
    if (this.depth === 0) return null
    const ref = this.frames[this.depth - 1]
    const i = ref.index
    if (i < 0 || i >= ref.count) return null
    let key: Buffer, value: Buffer | null
    if (ref.node !== null) {
      const ino = ref.node.inodes[i]
      key = ino.key
      value = (ino.flags & BUCKET_LEAF_FLAG) !== 0 ? null : ino.value
    } else {
      // a leaf element: flags u32, pos u32 (from the element), ksize u32, vsize u32
      const buf = ref.page!.buf
      const o = PAGE_HEADER_SIZE + ELEMENT_SIZE * i
      const start = o + u32(buf, o + 4)
      const ksize = u32(buf, o + 8)
      key = buf.subarray(start, start + ksize)
      value = (u32(buf, o) & BUCKET_LEAF_FLAG) !== 0 ? null : buf.subarray(start + ksize, start + ksize + u32(buf, o + 12))
    }
    // Copies by default: callers may keep or modify what they get without touching pages or nodes.
    if (!this.copy) {
      if (ref.node !== null && value !== null) this.bucket.tx.exposed(value)
      return {key, value}
    }
    return {key: Buffer.from(key), value: value === null ? null : Buffer.from(value)}
  }

  private reset(): void {
    for (let i = 0; i < this.depth; i++) {
      const f = this.frames[i]
      f.page = null
      f.node = null
    }
    this.depth = 0
    this.direction = 0
  }

  /** `sweep`: stepping to the next (or previous) leaf, see PageFile.page */
  private pushPageNode(pgid: number, index: number, sweep = false): Frame {
    const depth = this.depth
    if (depth >= MAX_DEPTH) throw corrupt(`tree deeper than ${MAX_DEPTH} levels (cycle at page ${pgid}?)`)
    if (pgid !== 0) {
      for (let i = 0; i < depth; i++) {
        if (this.frames[i].id === pgid) throw corrupt(`page ${pgid} is its own ancestor (cycle in the tree)`)
      }
    }
    let f = this.frames[depth]
    if (f === undefined) {
      f = new Frame()
      this.frames.push(f)
    }
    const bucket = this.bucket
    const node = bucket.materialized(pgid)
    if (node !== null) {
      f.node = node
      f.page = null
      f.leaf = node.isLeaf
      f.count = node.inodes.length
    } else {
      // a scan cursor reads branches (above the depth where it met a leaf) the usual way: they
      // lie elsewhere in the file, and reading a run at each would throw away the leaves' run
      const page = this.internal ? bucket.leafPageOf(pgid)
        : this.area !== null && depth >= this.leafDepth ? bucket.scanPageOf(pgid, this.area) : bucket.pageOf(pgid, sweep)
      if (!page.isLeaf && !page.isBranch) throw corrupt(`page ${pgid}: expected a branch or leaf page`)
      f.page = page
      f.node = null
      f.leaf = page.flags === LEAF_PAGE
      if (f.leaf && this.leafDepth === 0) this.leafDepth = depth
      f.count = page.count
    }
    f.id = pgid
    f.index = index
    this.depth = depth + 1
    return f
  }

  private childPgid(ref: Frame): number {
    return ref.node !== null ? ref.node.inodes[ref.index].pgid : ref.page!.branchPgid(ref.index)
  }

  private goToFirst(sweep = false): void {
    for (;;) {
      const ref = this.frames[this.depth - 1]
      if (ref.leaf) break
      if (ref.count === 0) throw corrupt(`page ${ref.id}: empty branch page`)
      this.pushPageNode(this.childPgid(ref), 0, sweep)
    }
  }

  private goToLast(sweep = false): void {
    for (;;) {
      const ref = this.frames[this.depth - 1]
      if (ref.leaf) break
      if (ref.count === 0) throw corrupt(`page ${ref.id}: empty branch page`)
      const child = this.pushPageNode(this.childPgid(ref), 0, sweep)
      child.index = child.count - 1
    }
  }

  /** Records that a sweep in `direction` entered the leaf on top of the stack. */
  private enterLeaf(direction: number): void {
    const id = this.frames[this.depth - 1].id
    if (id === 0) return
    let seen = this.visited
    if (seen === null) {
      // one bit per page below the high-water mark (node ids are page ids too)
      seen = this.visited = new Uint8Array((this.bucket.tx.baseHwm >>> 3) + 1)
    }
    if (this.direction !== direction) {
      // a new sweep: clear only the bits the last one set
      for (const v of this.visitedIds) seen[v >>> 3] = 0
      this.visitedIds.length = 0
      this.direction = direction
    }
    const byte = id >>> 3, bit = 1 << (id & 7)
    if (byte >= seen.length) return // not a committed page: cannot be shared
    if ((seen[byte] & bit) !== 0) {
      throw corrupt(`page ${id} is reached twice in one pass (several branch elements point to it: the tree is damaged)`)
    }
    seen[byte] |= bit
    this.visitedIds.push(id)
  }

  /** Moves to the next element, skipping empty leaves; leaves the stack past the end when done. */
  private nextEntry(): void {
    for (;;) {
      let i = this.depth - 1
      for (; i >= 0; i--) {
        const ref = this.frames[i]
        if (ref.index < ref.count - 1) {
          ref.index++
          break
        }
      }
      if (i === -1) {
        // past the end: park on the last leaf beyond its last element
        const ref = this.frames[this.depth - 1]
        ref.index = ref.count
        return
      }
      if (i === this.depth - 1) return
      if (this.direction !== 1) this.enterLeaf(1) // the leaf being left counts in this sweep
      this.popTo(i + 1)
      this.goToFirst(true)
      this.enterLeaf(1)
      if (this.frames[this.depth - 1].count > 0) return
    }
  }

  private prevEntry(): void {
    for (;;) {
      let i = this.depth - 1
      for (; i >= 0; i--) {
        const ref = this.frames[i]
        if (ref.index > 0) {
          ref.index--
          break
        }
      }
      if (i === -1) {
        this.frames[this.depth - 1].index = -1
        return
      }
      if (i === this.depth - 1) return
      if (this.direction !== -1) this.enterLeaf(-1)
      this.popTo(i + 1)
      this.goToLast(true)
      this.enterLeaf(-1)
      if (this.frames[this.depth - 1].count > 0) return
    }
  }

  private popTo(depth: number): void {
    for (let i = depth; i < this.depth; i++) {
      const f = this.frames[i]
      f.page = null
      f.node = null
    }
    this.depth = depth
  }

  private search(key: Uint8Array, pgid: number): void {
    for (;;) {
      const ref = this.pushPageNode(pgid, 0)
      if (ref.leaf) {
        ref.index = ref.node !== null ? ref.node.search(key) : ref.page!.search(key)
        return
      }
      const n = ref.count
      if (n === 0) throw corrupt(`page ${pgid}: empty branch page`)
      let index: number
      let exact: boolean
      if (ref.node !== null) {
        index = ref.node.search(key)
        if (index < n) {
          const k = ref.node.inodes[index].key
          exact = k.length === key.length && compareBytes(k, 0, k.length, key) === 0
        } else {
          exact = false
        }
      } else {
        index = ref.page!.search(key)
        exact = index < n && ref.page!.compareKey(index, key) === 0
      }
      if (!exact && index > 0) index--
      if (index >= n) index = n - 1
      ref.index = index
      pgid = this.childPgid(ref)
    }
  }

  /** Materializes the path to the current leaf and returns the leaf node. */
  node(): Node {
    if (this.depth === 0) throw new BoltError('tx', 'cursor is not positioned')
    const top = this.frames[this.depth - 1]
    if (top.node !== null && top.leaf) return top.node
    const root = this.frames[0]
    // the stack already holds each page on the path: hand them over (node() checks the ids),
    // unless they are in a scan cursor's reused buffer
    const own = this.area === null
    let n = root.node
    if (n === null) n = this.bucket.node(root.page!.id, null, own ? root.page : null)
    for (let i = 0; i < this.depth - 1; i++) {
      n = n.childAt(this.frames[i].index, own ? this.frames[i + 1].page : null)
    }
    if (!n.isLeaf) throw corrupt('cursor path does not end in a leaf')
    if (this.internal) {
      // the bucket's own cursor goes on from the node (see seekRaw)
      top.node = n
      top.page = null
    }
    return n
  }
}
