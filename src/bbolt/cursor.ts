/**
 * Cursor over one bucket: a stack of (page or node, index) from the bucket's
 * root to a leaf. Reads see materialized nodes where a write transaction has
 * them and pages otherwise, so a cursor sees the transaction's own changes.
 * Empty leaves (possible after deletions) are skipped in both directions.
 */
import type {Bucket} from './bucket.js'
import {BoltError, corrupt} from './errors.js'
import {BUCKET_LEAF_FLAG, Page} from './page.js'
import type {Node} from './node.js'

interface ElemRef {
  page: Page | null
  node: Node | null
  index: number
}

/** Maximum tree depth we follow; a real file is far shallower. Guards loops in corrupt files. */
const MAX_DEPTH = 64

export interface Entry {
  key: Buffer
  /** null when the entry is a sub-bucket */
  value: Buffer | null
}

function isLeaf(r: ElemRef): boolean { return r.node !== null ? r.node.isLeaf : r.page!.isLeaf }
function count(r: ElemRef): number { return r.node !== null ? r.node.inodes.length : r.page!.count }

export interface CursorOptions {
  /**
   * false: keys and values are views into the engine's own buffers, not
   * copies: faster for bulk reads, but they must never be modified.
   * Default true.
   */
  copy?: boolean
}

export class Cursor {
  private stack: ElemRef[] = []
  private readonly copy: boolean

  constructor(readonly bucket: Bucket, options: CursorOptions = {}) {
    this.copy = options.copy ?? true
  }

  first(): Entry | null {
    this.bucket.tx.assertOpen()
    this.stack = []
    this.pushPageNode(this.bucket.rootPgid(), 0)
    this.goToFirst()
    if (count(this.top()) === 0) this.nextEntry()
    return this.current()
  }

  last(): Entry | null {
    this.bucket.tx.assertOpen()
    this.stack = []
    const ref = this.pushPageNode(this.bucket.rootPgid(), 0)
    ref.index = count(ref) - 1
    this.goToLast()
    // the last leaf can be empty after deletions: step back to a real element
    if (count(this.top()) === 0) this.prevEntry()
    return this.current()
  }

  next(): Entry | null {
    this.bucket.tx.assertOpen()
    if (this.stack.length === 0) return null
    this.nextEntry()
    return this.current()
  }

  prev(): Entry | null {
    this.bucket.tx.assertOpen()
    if (this.stack.length === 0) return null
    this.prevEntry()
    return this.current()
  }

  /** Positions at the first key >= `key`. */
  seek(key: Uint8Array): Entry | null {
    this.bucket.tx.assertOpen()
    this.seekRaw(key)
    const ref = this.top()
    if (ref.index >= count(ref)) this.nextEntry()
    return this.current()
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
    return this.bucket.openChild(kv.key, kv.value)
  }

  /** Seeks without skipping past the end of a leaf (used by Bucket). */
  seekRaw(key: Uint8Array): void {
    this.stack = []
    this.search(key, this.bucket.rootPgid())
  }

  /** The entry under the cursor including its leaf flags; null at the end. */
  currentRaw(): {key: Buffer; value: Buffer; flags: number} | null {
    if (this.stack.length === 0) return null
    const ref = this.top()
    if (ref.index < 0 || ref.index >= count(ref)) return null
    if (ref.node !== null) {
      const ino = ref.node.inodes[ref.index]
      return {key: ino.key, value: ino.value!, flags: ino.flags}
    }
    const p = ref.page!
    return {key: p.leafKey(ref.index), value: p.leafValue(ref.index), flags: p.leafFlags(ref.index)}
  }

  private current(): Entry | null {
    if (this.stack.length === 0) return null
    const ref = this.stack[this.stack.length - 1]
    const i = ref.index
    let key: Buffer, value: Buffer | null
    if (ref.node !== null) {
      if (i < 0 || i >= ref.node.inodes.length) return null
      const ino = ref.node.inodes[i]
      key = ino.key
      value = (ino.flags & BUCKET_LEAF_FLAG) !== 0 ? null : ino.value
    } else {
      const p = ref.page!
      if (i < 0 || i >= p.count) return null
      key = p.leafKey(i)
      value = (p.leafFlags(i) & BUCKET_LEAF_FLAG) !== 0 ? null : p.leafValue(i)
    }
    // Copies by default: callers may keep or modify what they get without touching pages or nodes.
    if (!this.copy) return {key, value}
    return {key: Buffer.from(key), value: value === null ? null : Buffer.from(value)}
  }

  private top(): ElemRef { return this.stack[this.stack.length - 1] }

  private pushPageNode(pgid: number, index: number): ElemRef {
    if (this.stack.length >= MAX_DEPTH) throw corrupt(`tree deeper than ${MAX_DEPTH} levels (cycle at page ${pgid}?)`)
    for (const r of this.stack) {
      const id = r.node !== null ? r.node.pgid : r.page!.id
      if (id === pgid && pgid !== 0) throw corrupt(`page ${pgid} is its own ancestor (cycle in the tree)`)
    }
    const {page, node} = this.bucket.pageNode(pgid)
    if (page !== null && !page.isLeaf && !page.isBranch) throw corrupt(`page ${pgid}: expected a branch or leaf page`)
    const ref: ElemRef = {page, node, index}
    this.stack.push(ref)
    return ref
  }

  private childPgid(ref: ElemRef): number {
    return ref.node !== null ? ref.node.inodes[ref.index].pgid : ref.page!.branchPgid(ref.index)
  }

  private goToFirst(): void {
    for (;;) {
      const ref = this.top()
      if (isLeaf(ref)) break
      if (count(ref) === 0) throw corrupt(`page ${ref.page?.id ?? ref.node!.pgid}: empty branch page`)
      this.pushPageNode(this.childPgid(ref), 0)
    }
  }

  private goToLast(): void {
    for (;;) {
      const ref = this.top()
      if (isLeaf(ref)) break
      if (count(ref) === 0) throw corrupt(`page ${ref.page?.id ?? ref.node!.pgid}: empty branch page`)
      const child = this.pushPageNode(this.childPgid(ref), 0)
      child.index = count(child) - 1
    }
  }

  /** Moves to the next element, skipping empty leaves; leaves the stack past the end when done. */
  private nextEntry(): void {
    for (;;) {
      let i = this.stack.length - 1
      for (; i >= 0; i--) {
        const ref = this.stack[i]
        if (ref.index < count(ref) - 1) {
          ref.index++
          break
        }
      }
      if (i === -1) {
        // past the end: park on the last leaf beyond its last element
        const ref = this.top()
        ref.index = count(ref)
        return
      }
      this.stack.length = i + 1
      this.goToFirst()
      if (count(this.top()) > 0) return
    }
  }

  private prevEntry(): void {
    for (;;) {
      let i = this.stack.length - 1
      for (; i >= 0; i--) {
        const ref = this.stack[i]
        if (ref.index > 0) {
          ref.index--
          break
        }
      }
      if (i === -1) {
        this.top().index = -1
        return
      }
      this.stack.length = i + 1
      this.goToLast()
      if (count(this.top()) > 0) return
    }
  }

  private search(key: Uint8Array, pgid: number): void {
    for (;;) {
      const ref = this.pushPageNode(pgid, 0)
      if (isLeaf(ref)) {
        ref.index = ref.node !== null ? ref.node.search(key) : ref.page!.search(key)
        return
      }
      const n = count(ref)
      if (n === 0) throw corrupt(`page ${pgid}: empty branch page`)
      let index: number
      let exact: boolean
      if (ref.node !== null) {
        index = ref.node.search(key)
        exact = index < n && ref.node.inodes[index].key.equals(key)
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
    if (this.stack.length === 0) throw new BoltError('tx', 'cursor is not positioned')
    const top = this.top()
    if (top.node !== null && isLeaf(top)) return top.node
    let n = this.stack[0].node
    if (n === null) n = this.bucket.node(this.stack[0].page!.id, null)
    for (let i = 0; i < this.stack.length - 1; i++) {
      n = n.childAt(this.stack[i].index)
    }
    if (!n.isLeaf) throw corrupt('cursor path does not end in a leaf')
    return n
  }
}
