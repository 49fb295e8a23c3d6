/**
 * Consistency check: every rule of Go's tx.Check plus the stricter rules Go's
 * writer depends on but no checker enforces (page id = position, exactly one
 * flag value, key order inside pages and across the tree, branch key equal to
 * the child's first key, inline image id 0, freelist sorted and unique).
 * It reads pages itself (not through the cache) and reports every problem.
 */
import {decodeBucketValue, describePath} from './bucket.js'
import type {DB} from './db.js'
import {BoltError} from './errors.js'
import {BRANCH_PAGE, BUCKET_LEAF_FLAG, FREELIST_PAGE, LEAF_PAGE, Page, elementProblem, flagName, readU64} from './page.js'

export interface CheckStats {
  pageSize: number
  fileSize: number
  txid: number
  activeMeta: 0 | 1
  highWaterMark: number
  reachablePages: number
  freePages: number
  branchPages: number
  leafPages: number
  overflowPages: number
  freelistPages: number
  buckets: number
  inlineBuckets: number
  keys: number
  /** deepest tree among all buckets (1 = a single leaf) */
  maxDepth: number
}

export interface CheckOptions {
  /**
   * Check only the top-level buckets this accepts (and everything under them),
   * plus the metas, the root bucket's pages and the freelist. Every rule still
   * holds for what is walked, except "unreachable and not freed", which needs
   * the whole tree. For readers that touch a few buckets of a big file.
   */
  topLevel?: (name: Buffer) => boolean
}

/** The failure of a streamed check (checkStreamed): the first problem met, as check words it. */
export class CheckProblem extends BoltError {
  constructor(message: string) {
    super('corrupt', message)
    this.name = 'CheckProblem'
  }
}

/** A key of the streamed bucket; both buffers view into a page valid only until the next entry is asked for. */
export interface CheckedEntry {
  key: Buffer
  /** null for a nested bucket */
  value: Buffer | null
}

export interface StreamedCheck {
  /** the check of everything in scope except the streamed bucket's own pages */
  report: CheckReport
  /**
   * The streamed bucket's entries in key order, each page checked by every
   * rule check applies (with the state of the first pass: pages seen, pages
   * freed) before any of its entries is handed out; throws a CheckProblem at
   * the first problem. Call it once, only when the report is ok. Undefined
   * when there is no such top-level bucket.
   */
  entries: (() => Generator<CheckedEntry>) | undefined
}

export interface CheckReport {
  ok: boolean
  problems: string[]
  /** findings that Go tolerates (e.g. one damaged meta page) */
  warnings: string[]
  /** problems not listed because of the cap */
  omitted: number
  stats: CheckStats
  /** true when only some top-level buckets were walked (CheckOptions.topLevel); stats then cover those */
  scoped: boolean
}

const MAX_LISTED = 1000
/** page runs up to this size are read into a reused buffer; larger ones get their own */
const MAX_REUSED_RUN = 1 << 20
/** the read-ahead window of a tree level (see fromWindow) */
const MAX_WINDOW_BYTES = 256 << 10

export function check(db: DB, opts: CheckOptions = {}): CheckReport {
  return runCheck(db, opts, true)
}

/** For tests: the same check with every page read into a buffer of its own. Its report must equal check's. */
export function checkWithoutReuse(db: DB, opts: CheckOptions = {}): CheckReport {
  return runCheck(db, opts, false)
}

/**
 * The check of a reader that reads one top-level bucket whole (`auth list`
 * reads every token): everything check(db, opts) covers except that bucket's
 * pages is checked first, and that bucket's pages are checked as the reader
 * walks them (the same rules, the same pass state), so the bucket is read
 * once instead of twice. The same problems are found; only those of the
 * streamed bucket are found when its entries reach them, after the entries
 * before them were handed out.
 */
export function checkStreamed(db: DB, opts: CheckOptions & {streamed: Buffer}): StreamedCheck {
  const state = runCheckState(db, opts, true, opts.streamed)
  const found = state.streamedBucket
  if (found === undefined) return {report: state.report, entries: undefined}
  return {
    report: state.report,
    entries: function* () {
      state.failFast()
      if (found.inline !== null) {
        yield* leafEntries(found.inline)
        return
      }
      for (const p of state.walk(found.root, [opts.streamed], true)) yield* leafEntries(p)
    },
  }
}

function* leafEntries(p: Page): Generator<CheckedEntry> {
  for (let i = 0; i < p.count; i++) {
    yield {key: p.leafKey(i), value: (p.leafFlags(i) & BUCKET_LEAF_FLAG) === 0 ? p.leafValue(i) : null}
  }
}

function runCheck(db: DB, opts: CheckOptions, reuse: boolean): CheckReport {
  return runCheckState(db, opts, reuse, undefined).report
}

interface CheckState {
  report: CheckReport
  /** the streamed top-level bucket's value, when the root bucket names it */
  streamedBucket: {root: number; inline: Page | null} | undefined
  /** from now on a problem throws a CheckProblem instead of being listed */
  failFast(): void
  /** walks a bucket's tree, checking each page; with `leaves`, yields each checked leaf of that bucket (not of nested ones) */
  walk(rootPgid: number, path: Buffer[], leaves: boolean): Generator<Page>
}

function runCheckState(db: DB, opts: CheckOptions, reuse: boolean, streamed: Buffer | undefined): CheckState {
  const problems: string[] = []
  const warnings: string[] = []
  let omitted = 0
  let failFast = false
  const problem = (msg: string): void => {
    if (failFast) throw new CheckProblem(msg)
    if (problems.length < MAX_LISTED) problems.push(msg)
    else omitted++
  }
  let streamedBucket: CheckState['streamedBucket']

  const meta = db.meta()
  const ps = db.pageSize
  const hwm = meta.pgid
  const activeSlot = db.metas.find((m) => m.problem === null && m.meta!.txid === meta.txid)?.slot ?? 0
  const stats: CheckStats = {
    pageSize: ps, fileSize: db.file.fileSize, txid: meta.txid, activeMeta: activeSlot, highWaterMark: hwm,
    reachablePages: 0, freePages: 0, branchPages: 0, leafPages: 0, overflowPages: 0, freelistPages: 0,
    buckets: 0, inlineBuckets: 0, keys: 0, maxDepth: 0,
  }
  for (const m of db.metas) {
    if (m.problem !== null) warnings.push(`meta ${m.slot}: ${m.problem} (the other meta is used)`)
  }

  // 0 = unseen, 1 = reachable
  const reachable = new Uint8Array(hwm)
  reachable[0] = 1
  if (hwm > 1) reachable[1] = 1
  const free = new Uint8Array(hwm)

  // Tree pages are read into one buffer per bucket nesting level, reused for
  // the level's next page: allocating every page of a big file left the
  // collector hundreds of MB to free and raised the peak RSS. A branch is
  // copied (its keys bound the children still on the stack); a sub-bucket is
  // walked with the next level's buffer, so the leaf naming it (and the path
  // keys viewing into it) stay intact until the leaf is done. These Pages
  // never leave the checker (the engine's own never have their bytes reused).
  const scratch: Buffer[] = []
  const bufferFor = (level: number | null, size: number): Buffer => {
    if (level === null || !reuse || size > MAX_REUSED_RUN) return Buffer.allocUnsafe(size)
    let b = scratch[level]
    if (b === undefined || b.length < size) {
      b = Buffer.allocUnsafe(size)
      scratch[level] = b
    }
    return b.subarray(0, size)
  }
  // Read-ahead: a tree page is read with the pages after it, into a window
  // per level, and the next pages asked for at that level are served from it
  // while they fall inside. Go's writer and ours lay a bucket's leaves out
  // mostly in key order, so a walk asks for pages in ascending runs: one read
  // of 64 pages instead of 64 reads (a 1.67 GiB file is 440,000 pages). The
  // window doubles while the walk uses all of it and runs on past its end,
  // and halves when less than half of it served, so scattered trees do not
  // copy 256 KiB for a page.
  // A window's pages are used like the level's scratch buffer: only until
  // the level's next page is read.
  const windows: Array<{buf: Buffer; start: number; end: number; pages: number; served: number}> = []
  const MAX_WINDOW_PAGES = Math.max(1, Math.floor(MAX_WINDOW_BYTES / ps))
  const fromWindow = (id: number, level: number): Buffer | null => {
    let w = windows[level]
    if (w === undefined) {
      w = {buf: Buffer.allocUnsafe(MAX_WINDOW_PAGES * ps), start: 0, end: 0, pages: 1, served: 0}
      windows[level] = w
    }
    if (id >= w.start && id < w.end) {
      w.served++
      return w.buf.subarray((id - w.start) * ps, (id - w.start + 1) * ps)
    }
    // grow while the window is used up (the walk runs on past its end), keep
    // its size while at least half of it served, halve it otherwise
    if (id === w.end && w.end > 0 && w.served + 1 >= w.pages) w.pages = Math.min(MAX_WINDOW_PAGES, w.pages * 2)
    else if (2 * (w.served + 1) < w.pages) w.pages = Math.max(1, w.pages >> 1)
    const n = db.file.readInto(w.buf.subarray(0, w.pages * ps), id * ps)
    w.start = id
    w.end = id + Math.floor(n / ps)
    w.served = 0
    return n < ps ? null : w.buf.subarray(0, ps)
  }
  /** `level` null: a buffer of its own (the freelist); `ahead`: through the level's window */
  const readRun = (id: number, level: number | null, ahead = false): Page | null => {
    let first: Buffer | null
    if (level !== null && reuse && ahead) first = fromWindow(id, level)
    else {
      first = bufferFor(level, ps)
      if (db.file.readInto(first, id * ps) < ps) first = null
    }
    if (first === null) {
      problem(`page ${id}: lies past the end of the file`)
      return null
    }
    const headerId = readU64Safe(first, 0)
    if (headerId !== id) problem(`page ${id}: header id is ${headerId ?? 'too large'} (must equal its position)`)
    const flags = first.readUInt16LE(8), count = first.readUInt16LE(10), overflow = first.readUInt32LE(12)
    if (id + overflow >= hwm) {
      problem(`page ${id}: overflow run of ${overflow} pages passes the high-water mark ${hwm}`)
      return null
    }
    let buf = first
    const w = level !== null && reuse && ahead ? windows[level] : undefined
    if (overflow > 0 && w !== undefined && id + overflow < w.end) {
      // the run is in the window already
      buf = w.buf.subarray((id - w.start) * ps, (id - w.start + overflow + 1) * ps)
      w.served += overflow
    } else if (overflow > 0) {
      // the whole run again: `first` may be the start of the same buffer
      buf = bufferFor(level, (overflow + 1) * ps)
      if (db.file.readInto(buf, id * ps) < buf.length) {
        problem(`page ${id}: overflow run lies past the end of the file`)
        return null
      }
    }
    return new Page(id, flags, count, overflow, buf)
  }

  // ---- freelist ----
  if (meta.freelist !== null) {
    const fp = readRun(meta.freelist, null)
    if (fp !== null) {
      for (let i = fp.id; i <= fp.id + fp.overflow; i++) reachable[i] = 1
      stats.freelistPages = fp.overflow + 1
      if (fp.flags !== FREELIST_PAGE) problem(`page ${fp.id}: freelist page has flags 0x${fp.flags.toString(16)} (${flagName(fp.flags)})`)
      else checkFreelist(fp, hwm, free, problem)
    }
  }

  // ---- trees ----
  interface Frame { pgid: number; path: Buffer[]; lo: Buffer | null; hi: Buffer | null; first: Buffer | null; depth: number; isRoot: boolean }
  const walkBucket = function* (rootPgid: number, path: Buffer[], leaves: boolean): Generator<Page> {
    const level = path.length
    // the depth of the bucket's leaves, once one is met: only leaves are read
    // ahead (a B+tree's leaves lie at one depth; branches are few and far
    // from them in the file, a window read for one would be wasted)
    let leafDepth = 0
    // explicit stack: a corrupt file must not overflow the JS stack
    const stack: Frame[] = [{pgid: rootPgid, path, lo: null, hi: null, first: null, depth: 1, isRoot: true}]
    while (stack.length > 0) {
      const f = stack.pop()!
      const where = `page ${f.pgid} (bucket ${describePath(f.path)})`
      if (f.pgid < 2 || f.pgid >= hwm) {
        problem(`${where}: out of bounds (high-water mark ${hwm})`)
        continue
      }
      if (reachable[f.pgid] === 1) {
        problem(`${where}: multiple references`)
        continue
      }
      const p = readRun(f.pgid, level, f.depth === leafDepth)
      if (p !== null && p.flags === LEAF_PAGE && leafDepth === 0) leafDepth = f.depth
      if (p === null) {
        reachable[f.pgid] = 1
        continue
      }
      let multiple = false
      for (let i = p.id; i <= p.id + p.overflow; i++) {
        if (reachable[i] === 1) multiple = true
        reachable[i] = 1
        if (free[i] === 1) problem(`page ${i}: reachable and freed (${where})`)
      }
      if (multiple) problem(`${where}: overflow run overlaps another referenced page`)
      if (p.flags !== BRANCH_PAGE && p.flags !== LEAF_PAGE) {
        problem(`${where}: invalid type ${flagName(p.flags)} for a tree page`)
        continue
      }
      stats.overflowPages += p.overflow
      stats.maxDepth = Math.max(stats.maxDepth, f.depth)
      const bad = elementProblem(p)
      if (bad !== null) {
        problem(`${where}: ${bad}`)
        continue
      }
      if (p.count === 0 && (p.flags === BRANCH_PAGE || !f.isRoot)) problem(`${where}: empty ${flagName(p.flags)} page`)
      checkKeys(p, f, where, problem)
      if (p.flags === BRANCH_PAGE) {
        stats.branchPages++
        const b = reuse ? new Page(p.id, p.flags, p.count, p.overflow, Buffer.from(p.buf)) : p
        const children: Frame[] = []
        for (let i = 0; i < b.count; i++) {
          const key = b.branchKey(i)
          children.push({pgid: b.branchPgid(i), path: f.path, lo: key, hi: i + 1 < b.count ? b.branchKey(i + 1) : f.hi, first: key, depth: f.depth + 1, isRoot: false})
        }
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
        continue
      }
      stats.leafPages++
      for (let i = 0; i < p.count; i++) {
        const key = p.leafKey(i)
        if ((p.leafFlags(i) & BUCKET_LEAF_FLAG) === 0) {
          if (f.path.length === 0) problem(`${where}: the root bucket holds a plain key ${describePath([key])}`)
          stats.keys++
          continue
        }
        if (f.path.length === 0 && opts.topLevel !== undefined && !opts.topLevel(key)) continue
        const isStreamed = f.path.length === 0 && streamed !== undefined && key.equals(streamed)
        const sub = [...f.path, key]
        stats.buckets++
        let decoded
        try {
          decoded = decodeBucketValue(p.leafValue(i), `bucket ${describePath(sub)}`)
        } catch (err) {
          problem(err instanceof BoltError ? err.message : String(err))
          continue
        }
        if (decoded.inline !== null) {
          stats.inlineBuckets++
          const img = decoded.inline
          checkKeys(img, {lo: null, hi: null, first: null}, `inline bucket ${describePath(sub)}`, problem)
          stats.keys += img.count
          // an inline image lives in the root leaf's bytes: a copy outlives the walk
          if (isStreamed) streamedBucket = {root: 0, inline: new Page(img.id, img.flags, img.count, img.overflow, Buffer.from(img.buf))}
        } else if (isStreamed) {
          // walked when the reader asks for its entries (checkStreamed)
          streamedBucket = {root: decoded.root, inline: null}
        } else {
          for (const _ of walkBucket(decoded.root, sub, false)) { /* checked as walked */ }
        }
      }
      // every entry of the leaf checked (and its nested buckets walked) before it is handed out
      if (leaves) yield p
    }
  }
  for (const _ of walkBucket(meta.root, [], false)) { /* checked as walked */ }

  // Without a persisted freelist (NoFreelistSync) free means unreachable, as Go rebuilds it.
  if (meta.freelist === null) {
    warnings.push('freelist is not persisted (NoFreelistSync): free pages are the unreachable ones')
    for (let id = 2; id < hwm; id++) if (reachable[id] === 0) free[id] = 1
  }
  for (let id = 2; id < hwm; id++) {
    if (reachable[id] === 1) stats.reachablePages++
    if (free[id] === 1) stats.freePages++
    if (reachable[id] === 0 && free[id] === 0 && opts.topLevel === undefined && streamed === undefined) problem(`page ${id}: unreachable and not freed`)
  }
  stats.reachablePages += Math.min(2, hwm)
  const report = {ok: problems.length === 0 && omitted === 0, problems, warnings, omitted, stats, scoped: opts.topLevel !== undefined}
  return {
    report,
    streamedBucket,
    failFast: () => void (failFast = true),
    walk: walkBucket,
  }
}

function readU64Safe(buf: Buffer, off: number): number | null {
  try {
    return readU64(buf, off, 'id')
  } catch {
    return null
  }
}

function checkFreelist(fp: Page, hwm: number, free: Uint8Array, problem: (m: string) => void): void {
  let count = fp.count
  let off = 16
  if (count === 0xffff) {
    const real = readU64Safe(fp.buf, off)
    if (real === null) {
      problem(`page ${fp.id}: freelist count is impossible`)
      return
    }
    count = real
    off += 8
  }
  if (off + count * 8 > fp.buf.length) {
    problem(`page ${fp.id}: freelist of ${count} ids does not fit in ${fp.overflow + 1} page(s)`)
    return
  }
  let prev = -1
  for (let i = 0; i < count; i++, off += 8) {
    const id = readU64Safe(fp.buf, off)
    if (id === null || id < 2 || id >= hwm) {
      problem(`page ${fp.id}: freelist lists page ${id ?? 'too large'}, outside [2, ${hwm})`)
      continue
    }
    if (id <= prev) problem(`page ${fp.id}: freelist is not sorted and unique at page ${id}`)
    prev = id
    if (free[id] === 1) problem(`page ${id}: already freed (listed twice)`)
    if (id >= fp.id && id <= fp.id + fp.overflow) problem(`page ${id}: the freelist lists its own page`)
    free[id] = 1
  }
}

function checkKeys(p: Page, f: {lo: Buffer | null; hi: Buffer | null; first: Buffer | null}, where: string, problem: (m: string) => void): void {
  let prev: Buffer | null = null
  for (let i = 0; i < p.count; i++) {
    const key = p.keyAt(i)
    if (key.length === 0) problem(`${where}: element ${i} has an empty key`)
    if (prev !== null && Buffer.compare(prev, key) >= 0) problem(`${where}: key ${i} (0x${key.toString('hex')}) is not greater than the previous key`)
    if (f.lo !== null && Buffer.compare(key, f.lo) < 0) problem(`${where}: key ${i} sorts before its branch key`)
    if (f.hi !== null && Buffer.compare(key, f.hi) >= 0) problem(`${where}: key ${i} is not below the next branch key`)
    prev = key
  }
  if (f.first !== null && p.count > 0 && !p.keyAt(0).equals(f.first)) {
    problem(`${where}: first key 0x${p.keyAt(0).toString('hex')} differs from its branch key 0x${f.first.toString('hex')}`)
  }
}
