/**
 * A transaction. Read transactions see the meta that was active when they
 * began. A write transaction copies that meta with txid + 1, changes nodes
 * in memory, and at commit writes new pages only (copy-on-write) before it
 * writes the meta that makes them visible:
 *   grow file (+fsync) -> data pages sorted by id -> fdatasync -> meta at slot txid % 2 -> fdatasync.
 * Any failure before the meta write leaves the file at the previous txid.
 */
import {Bucket, describePath} from './bucket.js'
import type {DB} from './db.js'
import {BoltError} from './errors.js'
import {AREA_BYTES, ReadArea} from './file.js'
import {Freelist} from './freelist.js'
import {Node} from './node.js'
import {encodeMeta, type Meta} from './meta.js'
import {Page, writeU64} from './page.js'

/**
 * A page run allocated by this transaction. Its bytes are produced only when
 * the commit writes it (`fill` serializes into a zeroed staging buffer), so a
 * big commit does not hold a second copy of every node in memory.
 */
export interface DirtyPage {
  id: number
  /** number of pages in the run */
  count: number
  /** writes the page body (flags, count, elements); the header id and overflow are set by the tx */
  fill: (buf: Buffer, offset: number) => void
}

export interface TxStats {
  pagesWritten: number
  bytesWritten: number
  pagesFreed: number
}

const ALLOC_SIZE = 16 * 1024 * 1024
/** dirty pages are rendered into this much memory at a time and written together */
const STAGING_SIZE = 4 * 1024 * 1024
const COPY_SLAB_SIZE = 256 * 1024
const MAX_MMAP_STEP = 1 << 30

const alwaysReusable = (): boolean => true

/** Go's mmap sizing, used to size the file the way Go would grow it. */
function mmapSize(size: number, pageSize: number): number {
  for (let i = 15; i <= 30; i++) if (size <= 2 ** i) return 2 ** i
  let sz = size
  const rem = sz % MAX_MMAP_STEP
  if (rem > 0) sz += MAX_MMAP_STEP - rem
  if (sz % pageSize !== 0) sz = (Math.floor(sz / pageSize) + 1) * pageSize
  return sz
}

export class Tx {
  readonly meta: Meta
  readonly root: Bucket
  readonly pageSize: number
  /** high-water mark of the committed state this transaction started from */
  readonly baseHwm: number
  private pages = new Map<number, DirtyPage>()
  private copySlab: Buffer | null = null
  private area: ReadArea | null = null
  private areaNodes: Node[] = []
  private areaPinned = false
  private copyUsed = 0
  private closed = false
  readonly stats: TxStats = {pagesWritten: 0, bytesWritten: 0, pagesFreed: 0}

  constructor(
    readonly db: DB,
    readonly writable: boolean,
    meta: Meta,
    readonly freelist: Freelist | null,
    /** a freshly built file: the root bucket starts as an empty in-memory leaf */
    private readonly fresh = false,
  ) {
    this.meta = {...meta}
    this.pageSize = meta.pageSize
    this.baseHwm = meta.pgid
    if (writable) this.meta.txid += 1
    this.root = new Bucket(this, fresh ? 0 : meta.root, meta.rootSequence, null, [])
    if (fresh) {
      // Nothing on disk yet: the root bucket is an empty leaf that spill will place.
      const n = new Node(this.root)
      n.isLeaf = true
      this.root.rootNode = n
      this.root.nodes.set(0, n)
    }
  }

  get id(): number { return this.meta.txid }

  assertOpen(): void {
    if (this.closed) throw new BoltError('tx', 'transaction is closed')
  }

  // ---- top-level bucket API (the root bucket holds only buckets) ----
  bucket(name: Uint8Array): Bucket | undefined { return this.root.bucket(name) }
  createBucket(name: Uint8Array): Bucket { return this.root.createBucket(name) }
  createBucketIfNotExists(name: Uint8Array): Bucket { return this.root.createBucketIfNotExists(name) }
  deleteBucket(name: Uint8Array): void { this.root.deleteBucket(name) }
  cursor() { return this.root.cursor() }
  forEach(fn: (name: Buffer, bucket: Bucket) => void): void {
    this.root.forEach((k, v) => {
      if (v !== null) throw new BoltError('corrupt', `root bucket holds a plain key ${describePath([k])}`)
      fn(k, this.root.bucket(k)!)
    })
  }

  /** Opens a bucket by path of names; undefined when any part is missing. */
  bucketAt(path: Uint8Array[]): Bucket | undefined {
    let b: Bucket | undefined = this.root
    for (const name of path) {
      b = b.bucket(name)
      if (b === undefined) return undefined
    }
    return b
  }

  /** Reads a page: this transaction's own dirty page if it has one, else the committed page (`sweep`: see PageFile.page). */
  page(id: number, sweep = false): Page {
    const dirty = this.pages.get(id)
    if (dirty !== undefined) {
      const buf = this.render(dirty, Buffer.alloc(dirty.count * this.pageSize), 0)
      const h = Page.header(buf, id, `page ${id}`)
      return new Page(id, h.flags, h.count, h.overflow, buf)
    }
    return this.db.file.page(id, this.baseHwm, sweep)
  }

  /**
   * page() for the buckets' own lookups (get, put, delete): a leaf met in
   * file order may be a view into a reused read area (PageFile.areaPage),
   * valid until the next such read. Nodes read from it copy their keys and
   * are remembered, so the area is refilled in place only while none of
   * them still holds one of its values and no view of one went to a caller.
   */
  leafPage(id: number): Page {
    if (this.pages.size > 0) return this.page(id)
    const area = this.area ?? (this.area = new ReadArea(Math.max(AREA_BYTES, 4 * this.pageSize), this.pageSize))
    return this.db.file.areaPage(area, id, this.baseHwm, this.areaReusable)
  }

  /** page() for a scanning cursor: leaves are read in runs into the cursor's own area (PageFile.areaPage). */
  scanPage(id: number, area: ReadArea): Page {
    if (this.pages.size > 0) return this.page(id)
    return this.db.file.areaPage(area, id, this.baseHwm, alwaysReusable)
  }

  /** Whether p lies in the read area's current memory. */
  inArea(p: Page): boolean { return this.area !== null && this.area.holds(p.buf) }

  /** Records a node read from an area page (its values are views into the area). */
  areaNode(n: Node): void { this.areaNodes.push(n) }

  /** Called when a view of a node's value goes to a caller: the area's memory must then stay as it is. */
  exposed(v: Uint8Array): void {
    if (this.area !== null && this.area.holds(v)) this.areaPinned = true
  }

  private readonly areaReusable = (): boolean => {
    const memory = this.area!.buf.buffer
    let ok = !this.areaPinned
    for (let i = 0; ok && i < this.areaNodes.length; i++) {
      const inodes = this.areaNodes[i].inodes
      for (let j = 0; j < inodes.length; j++) {
        const v = inodes[j].value
        if (v !== null && v.buffer === memory) {
          ok = false
          break
        }
      }
    }
    // either way the area's next memory starts with no holders
    this.areaNodes = []
    this.areaPinned = false
    return ok
  }

  /**
   * Allocates a run of `count` pages: from the free list, else at the
   * high-water mark. `fill` produces its contents at write time.
   */
  allocate(count: number, fill: DirtyPage['fill']): number {
    const fl = this.freelist!
    let id = fl.allocate(count)
    if (id === 0) {
      id = this.meta.pgid
      this.meta.pgid += count
    }
    this.pages.set(id, {id, count, fill})
    return id
  }

  /** Serializes a dirty page into `buf` at `offset` (the region must be zeroed). */
  private render(p: DirtyPage, buf: Buffer, offset: number): Buffer {
    p.fill(buf, offset)
    writeU64(buf, offset, p.id)
    buf.writeUInt32LE(p.count - 1, offset + 12)
    return buf
  }

  /**
   * Copies a key or value for a put into memory this transaction owns. Small
   * ones share 256 KiB slabs: one buffer per put made bulk loads spend their
   * time creating buffers and collecting them.
   */
  copyBytes(src: Uint8Array): Buffer { return this.copyRange(src, 0, src.length) }

  /** copyBytes of src[start, end), without making a view of it first. */
  copyRange(src: Uint8Array, start: number, end: number): Buffer {
    const size = end - start
    if (size > COPY_SLAB_SIZE / 8) {
      const own = Buffer.allocUnsafe(size)
      own.set(src.subarray(start, end))
      return own
    }
    let slab = this.copySlab
    if (slab === null || this.copyUsed + size > slab.length) {
      slab = this.copySlab = Buffer.allocUnsafe(COPY_SLAB_SIZE)
      this.copyUsed = 0
    }
    const off = this.copyUsed
    if (size <= 32) {
      for (let i = 0; i < size; i++) slab[off + i] = src[start + i]
    } else {
      slab.set(src.subarray(start, end), off)
    }
    this.copyUsed = off + size
    return slab.subarray(off, off + size)
  }

  /** Releases a page run into pending: reusable only after this transaction commits. */
  freePage(id: number, overflow: number): void {
    this.freelist!.release(id, overflow)
    this.stats.pagesFreed += overflow + 1
  }

  commit(): void {
    this.assertOpen()
    if (!this.writable) throw new BoltError('tx', 'cannot commit a read-only transaction')
    const db = this.db
    let wrote = false
    try {
      this.root.rebalance()
      this.root.spill()
      this.meta.root = this.root.root

      if (this.meta.freelist !== null && !this.fresh) {
        const old = this.db.file.page(this.meta.freelist, this.baseHwm)
        this.freePage(old.id, old.overflow)
      }
      if (db.options.noFreelistSync) {
        this.meta.freelist = null
      } else {
        const fl = this.freelist!
        const count = Math.floor(fl.size() / this.pageSize) + 1
        let body: Buffer | null = null
        this.meta.freelist = this.allocate(count, (buf, off) => body!.copy(buf, off))
        // the list is final once its own pages are taken out of it
        body = Buffer.alloc(count * this.pageSize)
        fl.write(body)
      }
      if (this.meta.root >= this.meta.pgid) throw new BoltError('corrupt', `commit: root ${this.meta.root} is past the high-water mark`)

      // Grow the file when the high-water mark moved, sized like Go does.
      const file = db.file
      const needed = (this.meta.pgid + 1) * this.pageSize
      if (this.meta.pgid > this.baseHwm && needed > file.fileSize) {
        const datasz = mmapSize(Math.max(file.fileSize, needed), this.pageSize)
        wrote = true
        file.grow(datasz < ALLOC_SIZE ? datasz : needed + ALLOC_SIZE)
      }

      // Data pages, sorted by id, then one fdatasync.
      const dirty = [...this.pages.values()].sort((a, b) => a.id - b.id)
      const ids = new Set<number>()
      for (const p of dirty) for (let i = 0; i < p.count; i++) ids.add(p.id + i)
      file.forget(ids)
      wrote = true
      // Render runs of consecutive ids into one staging buffer and write each run at once.
      const ps = this.pageSize
      const staging = Buffer.alloc(STAGING_SIZE)
      let runStart = 0, used = 0
      const flush = (): void => {
        if (used === 0) return
        file.write(staging.subarray(0, used), runStart * ps)
        this.stats.pagesWritten += used / ps
        this.stats.bytesWritten += used
        used = 0
      }
      for (const p of dirty) {
        const size = p.count * ps
        if (used > 0 && (p.id !== runStart + used / ps || used + size > staging.length)) flush()
        if (size > staging.length) {
          file.write(this.render(p, Buffer.alloc(size), 0), p.id * ps)
          this.stats.pagesWritten += p.count
          this.stats.bytesWritten += size
          continue
        }
        if (used === 0) runStart = p.id
        staging.fill(0, used, used + size)
        this.render(p, staging, used)
        used += size
      }
      flush()
      this.pages.clear()
      file.fdatasync()

      // The meta makes it all visible.
      const metaPos = (this.meta.txid % 2) * this.pageSize
      const oldSlot = file.readAt(metaPos, this.pageSize)
      try {
        file.write(encodeMeta(this.meta), metaPos)
        if (this.fresh) {
          // A new file gets both slots valid (txid-1 in the other), as Tx.WriteTo does.
          const prev = encodeMeta({...this.meta, txid: this.meta.txid - 1})
          file.write(prev, ((this.meta.txid - 1) % 2) * this.pageSize)
        }
        file.fdatasync()
      } catch (err) {
        // The new meta may or may not have reached the disk: put the old slot
        // back so the file reads as the previous txid, as the caller is told.
        try {
          file.write(oldSlot, metaPos)
          file.fdatasync()
        } catch {
          // nothing more can be done; the error below is reported either way
        }
        throw err
      }
    } catch (err) {
      this.closed = true
      if (wrote) db.file.forgetAll()
      db.txDone(this, null)
      throw err
    }
    this.closed = true
    db.txDone(this, this.meta)
  }

  rollback(): void {
    if (this.closed) return
    this.closed = true
    this.pages.clear()
    this.db.txDone(this, null)
  }
}
