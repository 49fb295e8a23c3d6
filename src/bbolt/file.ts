/**
 * The data file: positioned reads and writes through a replaceable FileOps
 * (so tests can inject I/O faults), plus a bounded cache of decoded pages.
 * The file is never read whole: a page is read when a transaction needs it.
 */
import * as fs from 'node:fs'
import {BoltError, corrupt} from './errors.js'
import {BRANCH_PAGE, FREELIST_PAGE, LEAF_PAGE, Page, elementProblem, u32} from './page.js'

/** The system calls the engine makes; replaceable for fault injection. */
export interface FileOps {
  read(fd: number, buf: Buffer, position: number): number
  write(fd: number, buf: Buffer, position: number): void
  fdatasync(fd: number): void
  fsync(fd: number): void
  ftruncate(fd: number, size: number): void
  size(fd: number): number
}

export const realFileOps: FileOps = {
  read(fd, buf, position) {
    let done = 0
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  },
  write(fd, buf, position) {
    let done = 0
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done)
  },
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  fsync: (fd) => fs.fsyncSync(fd),
  ftruncate: (fd, size) => fs.ftruncateSync(fd, size),
  size: (fd) => fs.fstatSync(fd).size,
}

/** Wraps an OS error so it leaves the engine as a BoltError of kind 'io'. */
export function ioCall<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof BoltError) throw err
    const e = err as NodeJS.ErrnoException
    // Node's messages already start with the code ("ENOSPC: no space left on device, write")
    const code = e.code && !e.message.startsWith(`${e.code}:`) ? `${e.code} ` : ''
    throw new BoltError('io', `${what}: ${code}${e.message}`, {cause: err})
  }
}

const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
/**
 * bytes read at once when pages are being scanned in order: a window small
 * enough to die young (1 MiB ones outlived two scavenges and were promoted,
 * ~8 MB more peak RSS in auth list), and where the leaves are only partly in
 * order less of each is read for nothing
 */
const READ_AHEAD_BYTES = 64 * 1024
/** size of a ReadArea: small enough to stay in the CPU's cache while it is reused */
export const AREA_BYTES = 256 * 1024

/**
 * Checks a page's header: its id, a branch, leaf or freelist type, and an
 * overflow run below the high-water mark. Returns the overflow.
 */
function checkHeader(id: number, buf: Buffer, hwm: number): number {
  // header: id u64, flags u16, count u16, overflow u32
  const lo = u32(buf, 0), hi = u32(buf, 4)
  if (lo !== id % 0x1_0000_0000 || hi !== Math.floor(id / 0x1_0000_0000)) Page.header(buf, id, `page ${id}`) // throws with the details
  const flags = buf[8] | (buf[9] << 8)
  if (flags !== BRANCH_PAGE && flags !== LEAF_PAGE && flags !== FREELIST_PAGE) {
    throw corrupt(`page ${id}: unexpected page type 0x${flags.toString(16)}`)
  }
  const overflow = u32(buf, 12)
  if (id + overflow >= hwm) throw corrupt(`page ${id}: overflow run of ${overflow} pages passes the high-water mark ${hwm}`)
  return overflow
}

/** A page over its whole run (header already checked), with its element bounds checked. */
function checkedPage(id: number, buf: Buffer, overflow: number): Page {
  const flags = buf[8] | (buf[9] << 8)
  const p = new Page(id, flags, buf[10] | (buf[11] << 8), overflow, buf)
  if (flags !== FREELIST_PAGE) {
    const problem = elementProblem(p)
    if (problem) throw corrupt(`page ${id}: ${problem}`)
  }
  return p
}

/** A reused read buffer for PageFile.areaPage: pages start .. start+count-1. */
export class ReadArea {
  buf: Buffer
  start = 0
  count = 0
  /** the last page asked for that the area did not hold */
  lastMiss = -2
  /** the decoded leaves of the run, by id - start */
  readonly pages: Array<Page | null>
  /** a view of each page-sized slot, made once per memory (not once per page read) */
  slots: Buffer[] = []

  /** eager: every miss reads a run into the area (a scan), not only one right after the last */
  constructor(readonly bytes: number, readonly pageSize: number, readonly eager = false) {
    // its own memory (not a slice of Node's pool), so holders can be recognized by .buffer
    this.buf = Buffer.allocUnsafeSlow(bytes)
    this.pages = new Array<Page | null>(bytes / pageSize).fill(null)
    this.makeSlots()
  }

  /** Whether `b` is a view into the current memory. */
  holds(b: Uint8Array): boolean { return b.buffer === this.buf.buffer }

  /** New memory: the old stays valid for whoever still holds views of it. */
  renew(): void {
    this.buf = Buffer.allocUnsafeSlow(this.bytes)
    this.makeSlots()
  }

  private makeSlots(): void {
    const ps = this.pageSize
    this.slots = Array.from({length: this.bytes / ps}, (_, k) => this.buf.subarray(k * ps, (k + 1) * ps))
  }

  fill(start: number, count: number): void {
    this.start = start
    this.count = count
    this.pages.fill(null)
  }
}

export class PageFile {
  fileSize: number
  /**
   * Two-generation cache: new pages go to `young`; when it is full it becomes
   * `old` and the previous `old` is dropped. A hit in `old` moves the page back
   * to `young`. Constant time per access, unlike evicting one entry at a time
   * from a Map, whose iteration has to skip every deleted slot.
   */
  private young = new Map<number, Page>()
  private old = new Map<number, Page>()
  /** the last read-ahead window */
  private window: {start: number; count: number; buf: Buffer} | null = null
  private lastMiss = -2
  /** whether readPageBytes served the last page from a read-ahead window (a scan) */
  private scanned = false
  private cacheBytes = 0

  constructor(
    readonly fd: number,
    readonly pageSize: number,
    readonly ops: FileOps,
    private readonly cacheLimit = DEFAULT_CACHE_BYTES,
  ) {
    this.fileSize = ioCall('stat', () => ops.size(fd))
  }

  /** Raw bytes at a position (used for metas). */
  readAt(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length)
    const n = ioCall('read', () => this.ops.read(this.fd, buf, position))
    return n === length ? buf : buf.subarray(0, n)
  }

  /** Fills `buf` from a position (the checker's reused buffers); returns the bytes read, short at the end of the file. */
  readInto(buf: Buffer, position: number): number {
    return ioCall('read', () => this.ops.read(this.fd, buf, position))
  }

  /**
   * Reads a branch, leaf or freelist page (with its overflow run) that must lie
   * below `hwm`. Header id, flags and element bounds are verified before the
   * page is handed out, so callers never see out-of-range offsets. `sweep`:
   * a cursor stepping to the next leaf in key order, which it will not come
   * back to; such a leaf is not cached.
   */
  page(id: number, hwm: number, sweep = false): Page {
    const hit = this.cached(id)
    if (hit !== null) return hit
    if (id < 2 || id >= hwm) throw corrupt(`page ${id} is out of bounds (high-water mark ${hwm})`)
    const ps = this.pageSize
    const first = this.readPageBytes(id, hwm)
    if (first.length < ps) throw corrupt(`page ${id} lies past the end of the file`)
    const overflow = checkHeader(id, first, hwm)
    let buf = first
    if (overflow > 0) {
      buf = Buffer.alloc((overflow + 1) * ps)
      first.copy(buf)
      const rest = buf.subarray(ps)
      const n = ioCall('read', () => this.ops.read(this.fd, rest, (id + 1) * ps))
      if (n < rest.length) throw corrupt(`page ${id}: overflow run lies past the end of the file`)
    }
    const p = checkedPage(id, buf, overflow)
    // Scan resistance: pages met by a sequential scan are not cached (they are
    // rarely read again, and caching them kept 32 MiB of read-ahead windows
    // alive for the collector to trace and the kernel to fault in), nor are
    // leaves a cursor sweeps through: a cached page lives long enough to be
    // promoted, so every leaf of a sweep became old-generation garbage that
    // raised the peak RSS. Branches and the leaves of seeks are cached.
    if (!this.scanned && !(sweep && p.flags === LEAF_PAGE)) this.remember(p)
    return p
  }

  private cached(id: number): Page | null {
    const hit = this.young.get(id)
    if (hit !== undefined) return hit
    const older = this.old.get(id)
    if (older !== undefined) {
      this.old.delete(id)
      this.remember(older)
      return older
    }
    return null
  }

  /**
   * Like page(), but a leaf met in file order is read ahead into `area`, a
   * buffer that is reused: the page handed out is valid only until the area
   * is refilled, and `reusable()` decides whether it may be (else the area
   * gets new memory and the old stays with whoever holds it). Reading into
   * memory already in use spares the kernel faulting in fresh memory for
   * every page, the main cost of a write transaction that walks a big tree
   * in order. Other pages, and leaves met out of order, go through page().
   */
  areaPage(area: ReadArea, id: number, hwm: number, reusable: () => boolean): Page {
    if (id >= area.start && id < area.start + area.count) {
      const p = area.pages[id - area.start] ?? this.fromArea(area, id, hwm)
      if (p !== null) return p
      return this.page(id, hwm)
    }
    const hit = this.cached(id)
    if (hit !== null) return hit
    const sequential = area.eager || id === area.lastMiss + 1 || (area.count > 0 && id === area.start + area.count)
    area.lastMiss = id
    if (!sequential || id < 2 || id >= hwm) return this.page(id, hwm)
    if (area.count > 0 && !reusable()) area.renew()
    const ps = this.pageSize
    const count = Math.min(area.buf.length / ps, hwm - id)
    const n = ioCall('read', () => this.ops.read(this.fd, area.buf.subarray(0, count * ps), id * ps))
    area.fill(id, Math.floor(n / ps))
    return (area.count > 0 ? this.fromArea(area, id, hwm) : null) ?? this.page(id, hwm)
  }

  /** The leaf `id` of the area's run, validated; null when it is not a leaf or its run leaves the area. */
  private fromArea(area: ReadArea, id: number, hwm: number): Page | null {
    const ps = this.pageSize
    const off = (id - area.start) * ps
    const b = area.buf
    const overflow = u32(b, off + 12)
    if ((b[off + 8] | (b[off + 9] << 8)) !== LEAF_PAGE || id + overflow >= area.start + area.count) return null
    const run = overflow === 0 ? area.slots[id - area.start] : b.subarray(off, off + (overflow + 1) * ps)
    const p = checkedPage(id, run, checkHeader(id, run, hwm))
    area.pages[id - area.start] = p
    return p
  }

  /**
   * One page's bytes. A miss right after the previous one (a scan over pages
   * allocated in order) reads ahead a window of pages in one call; the pages
   * are views into that window, which is never written to afterwards.
   */
  private readPageBytes(id: number, hwm: number): Buffer {
    const ps = this.pageSize
    const w = this.window
    if (w !== null && id >= w.start && id < w.start + w.count) {
      this.lastMiss = id
      this.scanned = true
      return w.buf.subarray((id - w.start) * ps, (id - w.start + 1) * ps)
    }
    const sequential = id === this.lastMiss + 1
    this.lastMiss = id
    this.scanned = sequential
    if (!sequential) return this.readAt(id * ps, ps)
    const count = Math.max(1, Math.min(READ_AHEAD_BYTES / ps, hwm - id))
    const buf = this.readAt(id * ps, count * ps)
    const got = Math.floor(buf.length / ps)
    if (got === 0) return buf
    this.window = {start: id, count: got, buf}
    return buf.subarray(0, ps)
  }

  private remember(p: Page): void {
    if (this.cacheBytes + p.buf.length > this.cacheLimit / 2 && this.young.size > 0) {
      this.old = this.young
      this.young = new Map()
      this.cacheBytes = 0
    }
    this.young.set(p.id, p)
    this.cacheBytes += p.buf.length
  }

  /** Bytes of pages the cache holds now. */
  cachedBytes(): number {
    let n = 0
    for (const gen of [this.young, this.old]) for (const p of gen.values()) n += p.buf.length
    return n
  }

  /** Drops every cached page whose run overlaps one of `ids`: they are about to be rewritten. */
  forget(ids: Set<number>): void {
    this.window = null
    if (ids.size === 0) return
    for (const gen of [this.young, this.old]) {
      for (const [id, p] of gen) {
        for (let i = id; i <= id + p.overflow; i++) {
          if (ids.has(i)) {
            gen.delete(id)
            break
          }
        }
      }
    }
  }

  /** Forgets everything (after a failed commit the disk may differ from memory). */
  forgetAll(): void {
    this.window = null
    this.young = new Map()
    this.old = new Map()
    this.cacheBytes = 0
  }

  write(buf: Buffer, position: number): void {
    ioCall('write', () => this.ops.write(this.fd, buf, position))
    if (position + buf.length > this.fileSize) this.fileSize = position + buf.length
  }

  fdatasync(): void { ioCall('fdatasync', () => this.ops.fdatasync(this.fd)) }

  /** Extends the file to `size` bytes and makes the new size durable. */
  grow(size: number): void {
    if (size <= this.fileSize) return
    ioCall('grow', () => this.ops.ftruncate(this.fd, size))
    this.fileSize = size
    ioCall('fsync', () => this.ops.fsync(this.fd))
  }
}
