/**
 * A bucket: a B+tree of keys (or of sub-bucket entries) with a 16-byte header
 * {root page, sequence}. A bucket whose root is 0 is inline: its single leaf
 * is stored as a page image inside the parent's value. The root bucket (the
 * one the meta points to) is never inline.
 */
import {Cursor, type CursorOptions, type Entry} from './cursor.js'
import {BoltError, corrupt} from './errors.js'
import type {ReadArea} from './file.js'
import {Node} from './node.js'
import {BUCKET_HEADER_SIZE, BUCKET_LEAF_FLAG, ELEMENT_SIZE, LEAF_PAGE, MAX_KEY_SIZE, MAX_VALUE_SIZE, PAGE_HEADER_SIZE, Page, compareBytes, elementProblem, readU64, writeU64} from './page.js'
import type {Tx} from './tx.js'

export const DEFAULT_FILL_PERCENT = 0.5
const MIN_FILL_PERCENT = 0.1
const MAX_FILL_PERCENT = 1.0

/** Parses a bucket entry's value: header plus, when inline, its page image. */
export function decodeBucketValue(value: Buffer, where: string): {root: number; sequence: bigint; inline: Page | null} {
  if (value.length < BUCKET_HEADER_SIZE) throw corrupt(`${where}: bucket value of ${value.length} bytes is too short`)
  const root = readU64(value, 0, `${where}: bucket root`)
  const sequence = value.readBigUInt64LE(8)
  if (root !== 0) {
    if (value.length !== BUCKET_HEADER_SIZE) throw corrupt(`${where}: page-based bucket value must be 16 bytes, found ${value.length}`)
    return {root, sequence, inline: null}
  }
  const img = value.subarray(BUCKET_HEADER_SIZE)
  if (img.length < PAGE_HEADER_SIZE) throw corrupt(`${where}: inline bucket page image is truncated`)
  const h = Page.header(img, null, where)
  if (h.id !== 0 || h.flags !== LEAF_PAGE || h.overflow !== 0) {
    throw corrupt(`${where}: inline bucket page must have id 0, leaf flags and no overflow (id ${h.id}, flags 0x${h.flags.toString(16)}, overflow ${h.overflow})`)
  }
  const page = new Page(0, h.flags, h.count, 0, img)
  const problem = elementProblem(page)
  if (problem) throw corrupt(`${where}: inline bucket: ${problem}`)
  for (let i = 0; i < page.count; i++) {
    if ((page.leafFlags(i) & BUCKET_LEAF_FLAG) !== 0) throw corrupt(`${where}: inline bucket contains a sub-bucket`)
  }
  return {root, sequence, inline: page}
}

export interface PutOptions {
  /**
   * false: the value is stored as given, not copied (Go's Put contract): the
   * caller must not change its bytes until the transaction has ended.
   * Default true.
   */
  copy?: boolean
}

/** A Buffer over the same bytes (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, 0, a.length, b) === 0
}

function keyString(key: Uint8Array): string { return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1') }

export class Bucket {
  root: number
  sequence: bigint
  /** inline page image when root === 0 and not yet materialized */
  page: Page | null
  rootNode: Node | null = null
  /** materialized nodes by page id (write transactions only) */
  readonly nodes = new Map<number, Node>()
  /** open sub-buckets by name (write transactions only) */
  readonly buckets = new Map<string, Bucket>()
  fillPercent = DEFAULT_FILL_PERCENT
  /** cursor reused by get, put and delete (each repositions it from the root) */
  private seeker: Cursor | null = null

  constructor(readonly tx: Tx, root: number, sequence: bigint, page: Page | null, readonly path: Buffer[]) {
    this.root = root
    this.sequence = sequence
    this.page = page
  }

  get writable(): boolean { return this.tx.writable }

  fillPercentClamped(): number {
    return Math.min(MAX_FILL_PERCENT, Math.max(MIN_FILL_PERCENT, this.fillPercent))
  }

  cursor(options?: CursorOptions): Cursor {
    this.tx.assertOpen()
    return new Cursor(this, options)
  }

  rootPgid(): number { return this.root }

  /** The node for a page if the transaction materialized it, else the page. */
  pageNode(id: number): {page: Page | null; node: Node | null} {
    if (this.root === 0) {
      if (id !== 0) throw corrupt(`inline bucket refers to page ${id}`)
      if (this.rootNode !== null) return {page: null, node: this.rootNode}
      return {page: this.page, node: null}
    }
    const n = this.nodes.get(id)
    if (n !== undefined) return {page: null, node: n}
    return {page: this.tx.page(id), node: null}
  }

  /** The transaction's node for a page, or null when it reads the page itself. */
  materialized(id: number): Node | null {
    if (this.root === 0) {
      if (id !== 0) throw corrupt(`inline bucket refers to page ${id}`)
      return this.rootNode
    }
    if (this.nodes.size === 0) return null
    return this.nodes.get(id) ?? null
  }

  /** The stored page (the inline image for an inline bucket); call after materialized() found no node. */
  pageOf(id: number, sweep = false): Page {
    if (this.root === 0) {
      if (this.page === null) throw new BoltError('tx', `inline bucket ${describePath(this.path)} has neither a node nor a page`)
      return this.page
    }
    return this.tx.page(id, sweep)
  }

  /** pageOf() for the bucket's own lookups: leaves may come from the transaction's read area (Tx.leafPage). */
  leafPageOf(id: number): Page {
    if (this.root === 0) return this.pageOf(id)
    return this.tx.leafPage(id)
  }

  /** pageOf() for a scanning cursor (Tx.scanPage). */
  scanPageOf(id: number, area: ReadArea): Page {
    if (this.root === 0) return this.pageOf(id)
    return this.tx.scanPage(id, area)
  }

  /**
   * Materializes the node for a page (copy-on-write path). `known` is the
   * page when the caller already holds it (a cursor's stack), so it is not
   * looked up and validated a second time.
   */
  node(pgid: number, parent: Node | null, known: Page | null = null): Node {
    const cached = this.nodes.get(pgid)
    if (cached !== undefined) return cached
    const n = new Node(this)
    n.parent = parent
    if (parent === null) this.rootNode = n
    else parent.children.push(n)
    const p = this.page !== null && this.root === 0 ? this.page : known !== null && known.id === pgid ? known : this.tx.page(pgid)
    if (!p.isLeaf && !p.isBranch) throw corrupt(`page ${pgid}: expected a branch or leaf page`)
    if (this.tx.inArea(p)) {
      n.read(p, this.tx)
      this.tx.areaNode(n)
    } else {
      n.read(p, null)
    }
    this.nodes.set(pgid, n)
    return n
  }

  /** The reusable cursor positioned at the first key >= key (no skipping past a leaf's end). */
  private seekTo(key: Uint8Array): Cursor {
    this.tx.assertOpen()
    const c = this.seeker ?? (this.seeker = new Cursor(this, {}, true))
    c.seekRaw(key)
    return c
  }

  get(key: Uint8Array): Buffer | undefined {
    const c = this.seekTo(key)
    if (!c.atKey(key) || (c.currentFlags() & BUCKET_LEAF_FLAG) !== 0) return undefined
    return Buffer.from(c.currentRaw()!.value)
  }

  /** Opens a sub-bucket; undefined when missing (or when the key holds a value). */
  bucket(name: Uint8Array): Bucket | undefined {
    const cached = this.buckets.get(keyString(name))
    if (cached !== undefined) return cached
    const c = this.cursor()
    c.seekRaw(name)
    const kv = c.currentRaw()
    if (kv === null || !kv.key.equals(name) || (kv.flags & BUCKET_LEAF_FLAG) === 0) return undefined
    return this.openChild(kv.key, kv.value)
  }

  /** Opens the sub-bucket stored as (name, value) in this bucket; cached in write transactions. */
  openChild(name: Buffer, value: Buffer): Bucket {
    const cached = this.buckets.get(keyString(name))
    if (cached !== undefined) return cached
    const key = Buffer.from(name)
    const {root, sequence, inline} = decodeBucketValue(value, `bucket ${describePath([...this.path, key])}`)
    const child = new Bucket(this.tx, root, sequence, inline, [...this.path, key])
    if (this.tx.writable) this.buckets.set(keyString(key), child)
    return child
  }

  createBucket(name: Uint8Array): Bucket {
    this.assertWritable()
    if (name.length === 0) throw new BoltError('invalid', 'bucket name required')
    if (name.length > MAX_KEY_SIZE) throw new BoltError('invalid', 'bucket name too large')
    const c = this.cursor()
    c.seekRaw(name)
    const kv = c.currentRaw()
    if (kv !== null && kv.key.equals(name)) {
      if ((kv.flags & BUCKET_LEAF_FLAG) !== 0) throw new BoltError('exists', `bucket ${describePath([...this.path, Buffer.from(name)])} already exists`)
      throw new BoltError('incompatible', `${describePath([...this.path, Buffer.from(name)])} is a key, not a bucket`)
    }
    const key = Buffer.from(name)
    // A new bucket starts as an empty inline bucket: header (root 0, seq 0) + empty leaf image.
    const value = Buffer.alloc(BUCKET_HEADER_SIZE + PAGE_HEADER_SIZE)
    value.writeUInt16LE(LEAF_PAGE, BUCKET_HEADER_SIZE + 8)
    c.node().put(key, key, value, 0, BUCKET_LEAF_FLAG)
    // A bucket holding a sub-bucket can no longer be inline; stop reading the old image.
    this.page = null
    return this.bucket(key)!
  }

  createBucketIfNotExists(name: Uint8Array): Bucket {
    const existing = this.bucket(name)
    if (existing !== undefined) return existing
    return this.createBucket(name)
  }

  /** Deletes a sub-bucket and frees every page of its subtree. */
  deleteBucket(name: Uint8Array): void {
    this.assertWritable()
    const c = this.cursor()
    c.seekRaw(name)
    const kv = c.currentRaw()
    const full = describePath([...this.path, Buffer.from(name)])
    if (kv === null || !kv.key.equals(name)) throw new BoltError('not-found', `bucket ${full} not found`)
    if ((kv.flags & BUCKET_LEAF_FLAG) === 0) throw new BoltError('incompatible', `${full} is a key, not a bucket`)
    const child = this.bucket(name)!
    // Nested buckets first, so their pages are freed too.
    const subs: Buffer[] = []
    child.forEach((k, v) => { if (v === null) subs.push(k) })
    for (const s of subs) child.deleteBucket(s)
    this.buckets.delete(keyString(name))
    child.nodes.clear()
    child.rootNode = null
    child.freeAll()
    c.node().del(name)
  }

  put(key: Uint8Array, value: Uint8Array, options?: PutOptions): void {
    this.assertWritable()
    if (key.length === 0) throw new BoltError('invalid', 'key required')
    if (key.length > MAX_KEY_SIZE) throw new BoltError('invalid', `key too large (${key.length} > ${MAX_KEY_SIZE} bytes)`)
    if (value.length > MAX_VALUE_SIZE) throw new BoltError('invalid', 'value too large')
    const c = this.seekTo(key)
    const exists = c.atKey(key)
    if (exists && (c.currentFlags() & BUCKET_LEAF_FLAG) !== 0) {
      throw new BoltError('incompatible', `${describePath([...this.path, Buffer.from(key)])} is a bucket, not a key`)
    }
    // Copy what the caller gave: it may reuse its buffers before the commit
    // (unless it handed the value over). A key that is already stored keeps
    // its stored bytes (no copy).
    const stored = options?.copy === false ? asBuffer(value) : this.tx.copyBytes(value)
    c.node().put(key, exists ? null : this.tx.copyBytes(key), stored, 0, 0)
  }

  delete(key: Uint8Array): void {
    this.assertWritable()
    const c = this.seekTo(key)
    const kv = c.currentRaw()
    if (kv === null || !sameBytes(kv.key, key)) return
    if ((kv.flags & BUCKET_LEAF_FLAG) !== 0) throw new BoltError('incompatible', `${describePath([...this.path, Buffer.from(key)])} is a bucket, not a key`)
    c.node().del(key)
  }

  setSequence(v: bigint): void {
    this.assertWritable()
    if (v < 0n || v > 0xffffffffffffffffn) throw new BoltError('invalid', 'sequence must be a u64')
    // Materialize the root so the header is rewritten at commit.
    if (this.rootNode === null) this.node(this.root, null)
    this.sequence = v
  }

  nextSequence(): bigint {
    this.setSequence((this.sequence + 1n) & 0xffffffffffffffffn)
    return this.sequence
  }

  /** Calls fn for every entry in key order; value is null for sub-buckets. */
  forEach(fn: (key: Buffer, value: Buffer | null) => void, options?: CursorOptions): void {
    const c = this.cursor(options)
    for (let e: Entry | null = c.first(); e !== null; e = c.next()) fn(e.key, e.value)
  }

  private assertWritable(): void {
    this.tx.assertOpen()
    if (!this.tx.writable) throw new BoltError('tx', 'transaction is read-only')
  }

  // ---- commit-time machinery ----

  /** Merges nodes that shrank, here and in every open sub-bucket. */
  rebalance(): void {
    for (const n of this.nodes.values()) n.rebalance()
    for (const child of this.buckets.values()) child.rebalance()
  }

  /** Whether the bucket is small enough to be stored inside its parent's leaf. */
  inlineable(): boolean {
    const n = this.rootNode
    if (n === null || !n.isLeaf) return false
    let size = PAGE_HEADER_SIZE
    const max = this.tx.pageSize / 4
    for (const ino of n.inodes) {
      if ((ino.flags & BUCKET_LEAF_FLAG) !== 0) return false
      size += ELEMENT_SIZE + ino.key.length + ino.value!.length
      if (size > max) return false
    }
    return true
  }

  /** The bucket's value in its parent: header, and the page image when inline. */
  private encodeValue(inline: boolean): Buffer {
    if (!inline) {
      const v = Buffer.alloc(BUCKET_HEADER_SIZE)
      writeU64(v, 0, this.root)
      v.writeBigUInt64LE(this.sequence, 8)
      return v
    }
    const n = this.rootNode!
    const v = Buffer.alloc(BUCKET_HEADER_SIZE + n.size())
    // root 0; the page image keeps id 0 and overflow 0 (Go frees the id when it outgrows inline)
    v.writeBigUInt64LE(this.sequence, 8)
    n.write(v, BUCKET_HEADER_SIZE)
    return v
  }

  /** Writes materialized sub-buckets and then this bucket's nodes to new pages. */
  spill(): void {
    for (const [name, child] of this.buckets) {
      let value: Buffer
      if (child.inlineable()) {
        child.freeAll()
        value = child.encodeValue(true)
      } else {
        child.spill()
        value = child.encodeValue(false)
      }
      // untouched buckets keep their stored form
      if (child.rootNode === null) continue
      const key = Buffer.from(name, 'latin1')
      const c = this.cursor()
      c.seekRaw(key)
      const kv = c.currentRaw()
      if (kv === null || !kv.key.equals(key) || (kv.flags & BUCKET_LEAF_FLAG) === 0) {
        throw new BoltError('corrupt', `spill: bucket entry ${describePath([...this.path, key])} vanished`)
      }
      c.node().put(key, key, value, 0, BUCKET_LEAF_FLAG)
    }
    if (this.rootNode === null) return
    this.rootNode.spill()
    this.rootNode = this.rootNode.root()
    this.root = this.rootNode.pgid
  }

  /** Frees every page of this bucket's tree (nodes where materialized, pages otherwise). */
  freeAll(): void {
    if (this.root === 0) return
    this.forEachPageNode(this.root, 0)
    this.root = 0
  }

  private forEachPageNode(pgid: number, depth: number): void {
    if (depth > 64) throw corrupt(`bucket ${describePath(this.path)}: tree too deep (cycle?)`)
    const {page, node} = this.pageNode(pgid)
    if (page !== null) {
      this.tx.freePage(page.id, page.overflow)
      if (page.isBranch) for (let i = 0; i < page.count; i++) this.forEachPageNode(page.branchPgid(i), depth + 1)
    } else {
      const n = node!
      const children = n.isLeaf ? [] : n.inodes.map((i) => i.pgid)
      n.free()
      for (const c of children) this.forEachPageNode(c, depth + 1)
    }
  }
}

/** A bucket path for messages: names joined by '/', non-printable names in hex. */
export function describePath(path: Buffer[]): string {
  if (path.length === 0) return '(root)'
  return path.map((p) => (/^[\x20-\x7e]*$/.test(p.toString('latin1')) ? p.toString('latin1') : `0x${p.toString('hex')}`)).join('/')
}
