/**
 * An open bbolt file. One transaction at a time (this is a single-process
 * tool; other processes are kept out by the caller's flock). Each
 * transaction re-reads both metas from disk, so a failed commit can never
 * leave stale state in memory: the file is the only truth.
 */
import * as fs from 'node:fs'
import {BoltError, corrupt} from './errors.js'
import {PageFile, ioCall, realFileOps, type FileOps} from './file.js'
import {Freelist, readFreelistIds} from './freelist.js'
import {chooseMeta, decodeMeta, encodeMeta, type Meta, type MetaSlot} from './meta.js'
import {FREELIST_PAGE, LEAF_PAGE, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PAGE_HEADER_SIZE, writeU64} from './page.js'
import {Tx} from './tx.js'
import {rebuildFreeIds} from './walk.js'

export interface OpenOptions {
  readOnly?: boolean
  /** replaces the system calls (fault injection in tests) */
  fileOps?: FileOps
  /** bytes of decoded pages to keep (default 32 MiB) */
  cacheBytes?: number
  /** do not persist a freelist on commit (like Go's NoFreelistSync) */
  noFreelistSync?: boolean
  /**
   * an already-open descriptor of the file (opened read-write unless
   * readOnly) to use instead of opening `path`, which then only names it in
   * messages: the caller's lock and this engine see one file even if the
   * path changes meanwhile. The caller keeps it: close() leaves it open.
   */
  fd?: number
}

export interface CreateOptions {
  pageSize?: number
  fileOps?: FileOps
  mode?: number
}

export const DEFAULT_PAGE_SIZE = 4096

export class DB {
  readonly file: PageFile
  readonly pageSize: number
  metas: [MetaSlot, MetaSlot]
  private active: Meta
  private tx: Tx | null = null
  private closed = false

  private constructor(
    readonly path: string,
    private fd: number,
    readonly options: Required<Pick<OpenOptions, 'readOnly' | 'noFreelistSync'>> & OpenOptions,
    pageSize: number,
    metas: [MetaSlot, MetaSlot],
    active: Meta,
  ) {
    this.pageSize = pageSize
    this.metas = metas
    this.active = active
    this.file = new PageFile(fd, pageSize, options.fileOps ?? realFileOps, options.cacheBytes)
  }

  /** Opens an existing file. Never creates one. */
  static open(path: string, options: OpenOptions = {}): DB {
    const readOnly = options.readOnly ?? false
    const ops = options.fileOps ?? realFileOps
    // O_NONBLOCK: a FIFO must fail below, not hang the open.
    const flags = (readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR) | fs.constants.O_NONBLOCK
    const owned = options.fd === undefined
    const fd = options.fd ?? ioCall(`open ${path}`, () => fs.openSync(path, flags))
    try {
      const st = fs.fstatSync(fd)
      if (!st.isFile()) throw corrupt(`${path} is not a regular file`)
      const size = ioCall('stat', () => ops.size(fd))
      const {pageSize, metas, active} = readMetas(fd, ops, size, path)
      return new DB(path, fd, {...options, readOnly, noFreelistSync: options.noFreelistSync ?? false}, pageSize, metas, active)
    } catch (err) {
      if (owned) fs.closeSync(fd)
      throw err
    }
  }

  /**
   * Creates a new empty file with Go's initial layout (metas 0 and 1, an empty
   * freelist at page 2, an empty root leaf at page 3). Refuses to overwrite.
   */
  static create(path: string, options: CreateOptions & OpenOptions = {}): DB {
    const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE)
    const ops = options.fileOps ?? realFileOps
    const fd = ioCall(`create ${path}`, () => fs.openSync(path, 'wx+', options.mode ?? 0o600))
    try {
      const buf = Buffer.alloc(4 * pageSize)
      for (const slot of [0, 1]) {
        const meta: Meta = {pageSize, flags: 0, root: 3, rootSequence: 0n, freelist: 2, pgid: 4, txid: slot, checksum: 0n}
        encodeMeta(meta).copy(buf, slot * pageSize)
      }
      writeU64(buf, 2 * pageSize, 2)
      buf.writeUInt16LE(FREELIST_PAGE, 2 * pageSize + 8)
      writeU64(buf, 3 * pageSize, 3)
      buf.writeUInt16LE(LEAF_PAGE, 3 * pageSize + 8)
      ioCall('write', () => ops.write(fd, buf, 0))
      ioCall('fdatasync', () => ops.fdatasync(fd))
    } catch (err) {
      fs.closeSync(fd)
      fs.rmSync(path, {force: true})
      throw err
    }
    fs.closeSync(fd)
    return DB.open(path, options)
  }

  /**
   * Builds a new file in one transaction with no free pages: pages are
   * allocated from 2 upward and both metas point at the result. Used by load
   * and compact. Refuses to overwrite; removes the file if `fill` fails.
   */
  static build(path: string, fill: (tx: Tx) => void, options: CreateOptions & OpenOptions = {}): DB {
    const pageSize = checkPageSize(options.pageSize ?? DEFAULT_PAGE_SIZE)
    const ops = options.fileOps ?? realFileOps
    const fd = ioCall(`create ${path}`, () => fs.openSync(path, 'wx+', options.mode ?? 0o600))
    const empty: Meta = {pageSize, flags: 0, root: 0, rootSequence: 0n, freelist: null, pgid: 2, txid: 1, checksum: 0n}
    let db: DB | null = null
    try {
      const slot = (s: 0 | 1): MetaSlot => ({slot: s, meta: empty, problem: null, checksumOk: true})
      db = new DB(path, fd, {...options, readOnly: false, noFreelistSync: false}, pageSize, [slot(0), slot(1)], empty)
      const tx = new Tx(db, true, empty, new Freelist([]), true)
      db.tx = tx
      try {
        fill(tx)
        tx.commit()
      } catch (err) {
        tx.rollback()
        throw err
      }
      db.close()
    } catch (err) {
      if (db === null) fs.closeSync(fd)
      else db.close()
      fs.rmSync(path, {force: true})
      throw err
    }
    return DB.open(path, options)
  }

  get readOnly(): boolean { return this.options.readOnly }

  /** The meta of the last committed transaction. */
  meta(): Meta { return {...this.active} }

  begin(writable: boolean): Tx {
    if (this.closed) throw new BoltError('tx', 'database is closed')
    if (this.tx !== null) throw new BoltError('tx', 'another transaction is open')
    if (writable && this.readOnly) throw new BoltError('tx', 'database is open read-only')
    this.reloadMetas()
    let freelist: Freelist | null = null
    if (writable) {
      const m = this.active
      freelist = m.freelist !== null
        ? Freelist.read(this.file.page(m.freelist, m.pgid), m.pgid)
        : new Freelist(rebuildFreeIds({page: (id) => this.file.page(id, m.pgid)}, m.root, m.pgid))
    }
    const tx = new Tx(this, writable, this.active, freelist)
    this.tx = tx
    return tx
  }

  /** Runs fn in a read transaction. */
  view<T>(fn: (tx: Tx) => T): T {
    const tx = this.begin(false)
    try {
      return fn(tx)
    } finally {
      tx.rollback()
    }
  }

  /** Runs fn in a write transaction and commits; any error rolls back. */
  update<T>(fn: (tx: Tx) => T): T {
    const tx = this.begin(true)
    let result: T
    try {
      result = fn(tx)
    } catch (err) {
      tx.rollback()
      throw err
    }
    tx.commit()
    return result
  }

  /** Called by a transaction when it ends; `committed` is its meta after a successful commit. */
  txDone(tx: Tx, committed: Meta | null): void {
    if (this.tx === tx) this.tx = null
    if (committed !== null) this.active = {...committed}
  }

  /**
   * Ids of the pages the active meta does not use: the persisted freelist, or
   * every unreachable page when none is persisted. These pages still hold
   * whatever an earlier transaction wrote there (bbolt never clears them).
   */
  freePageIds(): number[] {
    if (this.closed) throw new BoltError('tx', 'database is closed')
    const m = this.active
    if (m.freelist !== null) return readFreelistIds(this.file.page(m.freelist, m.pgid), m.pgid)
    return rebuildFreeIds({page: (id) => this.file.page(id, m.pgid)}, m.root, m.pgid)
  }

  /**
   * Overwrites with zeros every page the newest state does not use, and the
   * file's tail past the high-water mark, so bytes of earlier transactions
   * (old records, old index keys) cannot be read back from the file.
   *
   * First the older meta slot gets a copy of the newest meta (as Tx.WriteTo
   * leaves files): from then on neither meta refers to the pages about to be
   * zeroed, so a crash at any point leaves a file that opens at the newest
   * state. Returns the number of pages zeroed.
   */
  scrubUnused(onStep?: (step: 'metas-aligned' | 'pages-zeroed') => void): {pagesZeroed: number; tailBytesZeroed: number} {
    if (this.closed) throw new BoltError('tx', 'database is closed')
    if (this.tx !== null) throw new BoltError('tx', 'cannot scrub while a transaction is open')
    if (this.readOnly) throw new BoltError('tx', 'database is open read-only')
    this.reloadMetas()
    const cur = this.active
    const ps = this.pageSize
    const newest = cur.txid % 2
    const older = 1 - newest
    // 1. both metas describe the newest tree (the copy keeps txid - 1 so the newest still wins)
    if (cur.txid === 0) throw new BoltError('tx', 'nothing committed yet')
    const copy = encodeMeta({...cur, txid: cur.txid - 1})
    writeU64(copy, 0, older)
    this.file.write(copy, older * ps)
    this.file.fdatasync()
    this.reloadMetas()
    onStep?.('metas-aligned')
    // 2. zero the free pages, in runs, then the tail
    const zero = Buffer.alloc(256 * ps)
    const ids = this.freePageIds()
    let pagesZeroed = 0
    for (let i = 0; i < ids.length; ) {
      let j = i + 1
      while (j < ids.length && ids[j] === ids[j - 1] + 1 && j - i < 256) j++
      this.file.write(zero.subarray(0, (j - i) * ps), ids[i] * ps)
      pagesZeroed += j - i
      i = j
    }
    onStep?.('pages-zeroed')
    let tailBytesZeroed = 0
    for (let pos = cur.pgid * ps; pos < this.file.fileSize; pos += zero.length) {
      const len = Math.min(zero.length, this.file.fileSize - pos)
      this.file.write(zero.subarray(0, len), pos)
      tailBytesZeroed += len
    }
    this.file.fdatasync()
    this.file.forgetAll()
    return {pagesZeroed, tailBytesZeroed}
  }

  /**
   * Undoes the last commit by copying the previous meta (the other slot,
   * txid - 1) over the newest one. Safe because a commit never writes to a
   * page reachable from the previous meta. Used when a verification after a
   * write fails. Returns the txid now active.
   */
  undoLastCommit(): number {
    if (this.tx !== null) throw new BoltError('tx', 'cannot undo while a transaction is open')
    if (this.readOnly) throw new BoltError('tx', 'database is open read-only')
    this.reloadMetas()
    const cur = this.active
    const other = this.metas.find((m) => m.problem === null && m.meta!.txid === cur.txid - 1)
    if (other === undefined) throw new BoltError('corrupt', `cannot undo txid ${cur.txid}: the previous meta (txid ${cur.txid - 1}) is not intact`)
    const buf = encodeMeta(other.meta!)
    // encodeMeta puts the header id at txid % 2; this copy lives in the newest slot.
    writeU64(buf, 0, cur.txid % 2)
    this.file.write(buf, (cur.txid % 2) * this.pageSize)
    this.file.fdatasync()
    this.file.forgetAll()
    this.reloadMetas()
    return this.active.txid
  }

  private reloadMetas(): void {
    const {metas, active} = readMetas(this.fd, this.file.ops, this.file.fileSize, this.path, this.pageSize)
    this.metas = metas
    this.active = active
  }

  close(): void {
    if (this.closed) return
    this.tx?.rollback()
    this.closed = true
    if (this.options.fd === undefined) fs.closeSync(this.fd)
  }
}

function checkPageSize(ps: number): number {
  if (!Number.isInteger(ps) || ps < MIN_PAGE_SIZE || ps > MAX_PAGE_SIZE || (ps & (ps - 1)) !== 0) {
    throw new BoltError('invalid', `page size must be a power of two from ${MIN_PAGE_SIZE} to ${MAX_PAGE_SIZE}, got ${ps}`)
  }
  return ps
}

/**
 * Finds the page size (from meta 0, else by probing for meta 1 at 512 << i),
 * decodes both metas and picks the active one by validity, then txid.
 */
function readMetas(fd: number, ops: FileOps, size: number, path: string, knownPageSize?: number): {pageSize: number; metas: [MetaSlot, MetaSlot]; active: Meta} {
  if (size < 2 * MIN_PAGE_SIZE) throw corrupt(`${path} is too small to be a bbolt file (${size} bytes)`)
  const read = (pos: number, len: number): Buffer => {
    const buf = Buffer.alloc(len)
    const n = ioCall('read', () => ops.read(fd, buf, pos))
    return buf.subarray(0, n)
  }
  let pageSize = knownPageSize
  if (pageSize === undefined) {
    const m0 = decodeMeta(read(0, PAGE_HEADER_SIZE + 64), 0, null)
    if (m0.problem === null) pageSize = m0.meta!.pageSize
    else {
      for (let ps = MIN_PAGE_SIZE; ps <= MAX_PAGE_SIZE; ps *= 2) {
        if (ps + PAGE_HEADER_SIZE + 64 > size) break
        const m1 = decodeMeta(read(ps, PAGE_HEADER_SIZE + 64), 1, null)
        if (m1.problem === null && m1.meta!.pageSize === ps) {
          pageSize = ps
          break
        }
      }
    }
    if (pageSize === undefined) {
      const why = m0.problem!.startsWith('invalid magic') ? 'not a bbolt file (bad magic in both meta pages)' : `both meta pages are invalid (meta 0: ${m0.problem})`
      throw corrupt(`${path}: ${why}`)
    }
  }
  const metas: [MetaSlot, MetaSlot] = [
    decodeMeta(read(0, pageSize), 0, size),
    decodeMeta(read(pageSize, pageSize), 1, size),
  ]
  for (const m of metas) {
    // a meta that claims another page size cannot describe this layout
    if (m.problem === null && m.meta!.pageSize !== pageSize) m.problem = `page size ${m.meta!.pageSize} differs from ${pageSize}`
  }
  const best = chooseMeta(metas)
  if (best === null) throw corrupt(`${path}: both meta pages are invalid (meta 0: ${metas[0].problem}; meta 1: ${metas[1].problem})`)
  return {pageSize, metas, active: best.meta!}
}
