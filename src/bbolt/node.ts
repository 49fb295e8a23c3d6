/**
 * In-memory copy of a branch or leaf page, materialized by a write
 * transaction on the path it modifies. Nodes are only split, merged and
 * written at commit (spill), exactly as bbolt does, because Go's writer relies
 * on the shape rules that follow from it: a branch key equals its child's
 * first key, nodes of <= 4 elements never split, small nodes merge.
 */
import type {Bucket} from './bucket.js'
import type {Tx} from './tx.js'
import {BoltError} from './errors.js'
import {BRANCH_PAGE, ELEMENT_SIZE, LEAF_PAGE, PAGE_HEADER_SIZE, Page, compareBytes, u32, u64} from './page.js'

export interface Inode {
  flags: number
  /** child page id (branch elements only) */
  pgid: number
  key: Buffer
  /** leaf value; null in branch elements */
  value: Buffer | null
}

const MIN_KEYS_PER_PAGE = 2

/** Little-endian u32 store without Buffer's argument checks. */
function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
  b[o + 2] = (v >>> 16) & 0xff
  b[o + 3] = v >>> 24
}

/** Copies src into dst at off; returns the offset after it. A loop beats a call for short keys. */
function put(dst: Uint8Array, off: number, src: Uint8Array): number {
  const n = src.length
  if (n <= 32) {
    for (let i = 0; i < n; i++) dst[off + i] = src[i]
  } else {
    dst.set(src, off)
  }
  return off + n
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, 0, a.length, b) === 0
}

export class Node {
  isLeaf = false
  unbalanced = false
  spilled = false
  /** the first key when the node was read: its key in the parent's element */
  key: Buffer | null = null
  /** the page this node was read from (0 = new, or an inline bucket's image) */
  pgid = 0
  /** overflow of the page it was read from, needed to free the whole run */
  overflow = 0
  parent: Node | null = null
  children: Node[] = []
  inodes: Inode[] = []

  constructor(readonly bucket: Bucket) {}

  root(): Node {
    let n: Node = this
    while (n.parent !== null) n = n.parent
    return n
  }

  minKeys(): number { return this.isLeaf ? 1 : 2 }

  size(): number {
    let sz = PAGE_HEADER_SIZE
    for (const ino of this.inodes) sz += ELEMENT_SIZE + ino.key.length + (ino.value === null ? 0 : ino.value.length)
    return sz
  }

  sizeLessThan(v: number): boolean {
    let sz = PAGE_HEADER_SIZE
    for (const ino of this.inodes) {
      sz += ELEMENT_SIZE + ino.key.length + (ino.value === null ? 0 : ino.value.length)
      if (sz >= v) return false
    }
    return true
  }

  /** Index of the first inode with key >= key. */
  search(key: Uint8Array): number {
    const inodes = this.inodes
    let lo = 0, hi = inodes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = inodes[mid].key
      if (compareBytes(k, 0, k.length, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  childAt(index: number, known: Page | null = null): Node {
    if (this.isLeaf) throw new BoltError('corrupt', `invalid childAt(${index}) on a leaf node`)
    return this.bucket.node(this.inodes[index].pgid, this, known)
  }

  childIndex(child: Node): number { return this.search(child.key!) }

  nextSibling(): Node | null {
    if (this.parent === null) return null
    const index = this.parent.childIndex(this)
    if (index >= this.parent.inodes.length - 1) return null
    return this.parent.childAt(index + 1)
  }

  prevSibling(): Node | null {
    if (this.parent === null) return null
    const index = this.parent.childIndex(this)
    if (index === 0) return null
    return this.parent.childAt(index - 1)
  }

  /**
   * Inserts or replaces the element found by `oldKey`. Keys and values are
   * stored as given: callers pass buffers they own (Bucket.put copies).
   */
  put(oldKey: Uint8Array, newKey: Buffer | null, value: Buffer | null, pgid: number, flags: number): void {
    if (newKey !== null && newKey.length === 0) throw new BoltError('invalid', 'put: zero-length key')
    const index = this.search(oldKey)
    const inodes = this.inodes
    let ino: Inode
    if (index < inodes.length && sameKey(inodes[index].key, oldKey)) {
      ino = inodes[index]
      // null: the element exists and keeps its key bytes
      if (newKey !== null) ino.key = newKey
    } else {
      // (newKey is null only when the caller saw the key stored; should the node not
      // find it, as in a file with misordered keys, the element is added as a copy)
      ino = {flags: 0, pgid: 0, key: newKey ?? Buffer.from(oldKey), value: null}
      inodes.splice(index, 0, ino)
    }
    ino.flags = flags
    ino.value = value
    ino.pgid = pgid
  }

  del(key: Uint8Array): void {
    const index = this.search(key)
    if (index >= this.inodes.length || !sameKey(this.inodes[index].key, key)) return
    this.inodes.splice(index, 1)
    this.unbalanced = true
  }

  /**
   * Loads the elements of a page. Keys and values are views into the page's
   * buffer, except that keys are copied by `keys` when given (the page is in
   * a reused read area: see Tx.leafPage).
   */
  read(p: Page, keys: Tx | null): void {
    this.pgid = p.id
    this.overflow = p.overflow
    const leaf = p.flags === LEAF_PAGE
    this.isLeaf = leaf
    const count = p.count
    const buf = p.buf
    const inodes = new Array<Inode>(count)
    // element bounds were checked when the page was loaded
    for (let i = 0, o = PAGE_HEADER_SIZE; i < count; i++, o += ELEMENT_SIZE) {
      let ino: Inode
      if (leaf) {
        const start = o + u32(buf, o + 4), ksize = u32(buf, o + 8)
        if (ksize === 0) throw new BoltError('corrupt', `page ${p.id}: element ${i} has an empty key`)
        const vstart = start + ksize
        ino = {flags: u32(buf, o), pgid: 0, key: keys === null ? buf.subarray(start, vstart) : keys.copyRange(buf, start, vstart), value: buf.subarray(vstart, vstart + u32(buf, o + 12))}
      } else {
        const start = o + u32(buf, o), ksize = u32(buf, o + 4)
        if (ksize === 0) throw new BoltError('corrupt', `page ${p.id}: element ${i} has an empty key`)
        ino = {flags: 0, pgid: u64(buf, o + 8), key: keys === null ? buf.subarray(start, start + ksize) : keys.copyRange(buf, start, start + ksize), value: null}
      }
      inodes[i] = ino
    }
    this.inodes = inodes
    this.key = count > 0 ? inodes[0].key : null
  }

  /**
   * Serializes the node into `buf` at `offset` (a page run, or an inline
   * bucket value after its 16-byte header). The page id is the caller's.
   * The region must be zeroed.
   */
  write(buf: Buffer, offset: number): void {
    const count = this.inodes.length
    if (count >= 0xffff) throw new BoltError('invalid', `node of ${count} elements cannot be written (page count is 16 bits)`)
    const inodes = this.inodes
    const leaf = this.isLeaf
    buf[offset + 8] = leaf ? LEAF_PAGE : BRANCH_PAGE
    buf[offset + 9] = 0
    buf[offset + 10] = count & 0xff
    buf[offset + 11] = count >>> 8
    let data = offset + PAGE_HEADER_SIZE + ELEMENT_SIZE * count
    for (let i = 0, el = offset + PAGE_HEADER_SIZE; i < count; i++, el += ELEMENT_SIZE) {
      const ino = inodes[i]
      const key = ino.key
      const pos = data - el
      if (leaf) {
        const value = ino.value!
        w32(buf, el, ino.flags)
        w32(buf, el + 4, pos)
        w32(buf, el + 8, key.length)
        w32(buf, el + 12, value.length)
        data = put(buf, data, key)
        data = put(buf, data, value)
      } else {
        w32(buf, el, pos)
        w32(buf, el + 4, key.length)
        w32(buf, el + 8, ino.pgid % 0x1_0000_0000)
        w32(buf, el + 12, Math.floor(ino.pgid / 0x1_0000_0000))
        data = put(buf, data, key)
      }
    }
  }

  /**
   * Splits the node into pieces that fit the page size, following bbolt's
   * splitTwo applied repeatedly to the remainder: a piece is cut only while
   * the remainder has more than 4 elements and is at least a page in size,
   * and each cut falls where the piece would pass pageSize * fillPercent.
   * Computed in one pass (slicing once per piece) so bulk loads stay linear.
   */
  split(pageSize: number): Node[] {
    const inodes = this.inodes
    const n = inodes.length
    const elsize = new Array<number>(n)
    let total = PAGE_HEADER_SIZE
    for (let i = 0; i < n; i++) {
      const ino = inodes[i]
      elsize[i] = ELEMENT_SIZE + ino.key.length + (ino.value === null ? 0 : ino.value.length)
      total += elsize[i]
    }
    const threshold = Math.floor(pageSize * this.bucket.fillPercentClamped())
    const cuts: number[] = []
    let start = 0
    let remaining = total // size of inodes[start..] including the header
    while (n - start > MIN_KEYS_PER_PAGE * 2 && remaining >= pageSize) {
      let sz = PAGE_HEADER_SIZE
      let index = start
      for (let i = start; i < n - MIN_KEYS_PER_PAGE; i++) {
        index = i
        if (i - start >= MIN_KEYS_PER_PAGE && sz + elsize[i] > threshold) break
        sz += elsize[i]
      }
      cuts.push(index)
      remaining -= sz - PAGE_HEADER_SIZE
      start = index
    }
    if (cuts.length === 0) return [this]

    if (this.parent === null) {
      const parent = new Node(this.bucket)
      parent.children.push(this)
      this.parent = parent
    }
    const nodes: Node[] = [this]
    const bounds = [0, ...cuts, n]
    for (let k = 1; k < bounds.length - 1; k++) {
      const next = new Node(this.bucket)
      next.isLeaf = this.isLeaf
      next.parent = this.parent
      next.inodes = inodes.slice(bounds[k], bounds[k + 1])
      this.parent.children.push(next)
      nodes.push(next)
    }
    this.inodes = inodes.slice(0, bounds[1])
    return nodes
  }

  /** Writes this node and its materialized descendants to new pages (commit). */
  spill(): void {
    if (this.spilled) return
    const tx = this.bucket.tx
    const pageSize = tx.pageSize
    // Children first, in key order. A child's spill may add siblings (splits),
    // so the length is re-read on every iteration.
    this.children.sort((a, b) => {
      const ka = a.inodes[0].key
      return compareBytes(ka, 0, ka.length, b.inodes[0].key)
    })
    for (let i = 0; i < this.children.length; i++) this.children[i].spill()
    this.children = []

    for (const node of this.split(pageSize)) {
      if (node.pgid > 0) {
        tx.freePage(node.pgid, node.overflow)
        node.pgid = 0
      }
      const count = Math.ceil(node.size() / pageSize)
      // The node is final once spilled: its bytes are produced when the commit writes them.
      node.pgid = tx.allocate(count, (buf, offset) => node.write(buf, offset))
      node.overflow = count - 1
      node.spilled = true
      if (node.parent !== null) {
        const first = node.inodes[0].key
        node.parent.put(node.key ?? first, first, null, node.pgid, 0)
        node.key = first
      }
    }
    // A root that split got a new parent: spill it too (it has no page yet).
    if (this.parent !== null && this.parent.pgid === 0) {
      this.children = []
      this.parent.spill()
    }
  }

  /** Merges or removes the node after deletions (bbolt's rebalance). */
  rebalance(): void {
    if (!this.unbalanced) return
    this.unbalanced = false
    const threshold = this.bucket.tx.pageSize / 4
    if (this.size() > threshold && this.inodes.length > this.minKeys()) return

    const bucket = this.bucket
    if (this.parent === null) {
      // A root branch with one child collapses into that child.
      if (!this.isLeaf && this.inodes.length === 1) {
        const child = bucket.node(this.inodes[0].pgid, this)
        this.isLeaf = child.isLeaf
        this.inodes = child.inodes
        this.children = child.children
        for (const ino of this.inodes) {
          const c = bucket.nodes.get(ino.pgid)
          if (c !== undefined) c.parent = this
        }
        child.parent = null
        bucket.nodes.delete(child.pgid)
        child.free()
      }
      return
    }

    const parent = this.parent
    if (this.inodes.length === 0) {
      parent.del(this.key!)
      parent.removeChild(this)
      bucket.nodes.delete(this.pgid)
      this.free()
      parent.rebalance()
      return
    }
    if (parent.inodes.length <= 1) throw new BoltError('corrupt', 'rebalance: parent must have at least 2 children')

    // The first child absorbs its right sibling; any other node goes into its left sibling.
    const first = parent.childIndex(this) === 0
    const left = first ? this : this.prevSibling()!
    const right = first ? this.nextSibling()! : this
    for (const ino of right.inodes) {
      const c = bucket.nodes.get(ino.pgid)
      if (c !== undefined && c !== right) {
        c.parent!.removeChild(c)
        c.parent = left
        left.children.push(c)
      }
    }
    left.inodes = left.inodes.concat(right.inodes)
    parent.del(right.key!)
    parent.removeChild(right)
    bucket.nodes.delete(right.pgid)
    right.free()
    parent.rebalance()
  }

  removeChild(target: Node): void {
    const i = this.children.indexOf(target)
    if (i >= 0) this.children.splice(i, 1)
  }

  /** Releases the node's original page run to the transaction's pending list. */
  free(): void {
    if (this.pgid !== 0) {
      this.bucket.tx.freePage(this.pgid, this.overflow)
      this.pgid = 0
    }
  }
}
