/**
 * The malformed-file corpus: damaged bbolt files (made by editing the bytes of
 * the real influxd fixtures and of Go-made files), bbolt-valid files with
 * influxd-level damage (made with our engine), and paths that are not files
 * at all. Used by test/reliability/corpus.test.ts and by
 * scripts/make-corpus.ts (which writes it into a directory for inspection).
 *
 * Every case says what kind of damage it carries, so the test knows what the
 * commands must do with it:
 *   - 'bolt'        the bbolt structure is broken (the Go oracle agrees);
 *   - 'recoverable' one meta page is bad, the other is valid (bbolt falls back);
 *   - 'influxd'     a valid bbolt file whose InfluxDB content is damaged;
 *   - 'fs'          not a regular readable file (directory, FIFO, ...).
 */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

import {DB} from '../../src/bbolt/index.js'
import {ORACLE_BIN, fixture} from '../helpers/oracle.js'

export type CaseKind = 'bolt' | 'recoverable' | 'influxd' | 'fs'

export interface CorpusCase {
  name: string
  kind: CaseKind
  what: string
  /** the undamaged file the case was made from (absent for fs cases without one and random bytes) */
  source?: string
  /** writes the case at `file` (which does not exist yet); `dir` is the case's own directory */
  make(file: string, dir: string): void
  /** true when the process reading the case must run under another uid to be denied (see unreadable) */
  needsOtherUid?: boolean
  /**
   * influxd itself leaves this state behind (deleting a user or an org keeps
   * its tokens): doctor warns (exit 0) rather than fails
   */
  doctorWarns?: boolean
  /**
   * with doctorWarns: the state also leaves no usable operator token (the
   * fixture's only one belongs to the user or org that is gone), so doctor's
   * operator check FAILs (exit 1) beside the WARN
   */
  operatorLost?: boolean
  /** bbolt damage confined to one top-level bucket's tree: readers that neither read nor check it may answer */
  damagedTree?: string
  /**
   * every page reads right, but one is lost (neither free nor in any tree): no
   * answer is wrong, and only a check of the whole file can see it, so a reader
   * that checks the buckets it reads may answer
   */
  lostPageOnly?: boolean
}

// ---------------------------------------------------------------- sources

export const SOURCES = {
  v28: fixture('influxd-v2.8-v2.9.bolt'),
  v21: fixture('influxd-v2.1-v2.7.bolt'),
} as const

const genCache = new Map<string, Buffer>()

/** A Go-made file (`oracle gen`), generated once per process into `scratch`. */
export function goFile(scratch: string, scenario: string): {path: string; bytes: Buffer} {
  const f = path.join(scratch, `go-${scenario}.bolt`)
  if (!genCache.has(f)) {
    if (!fs.existsSync(f)) {
      const r = spawnSync(ORACLE_BIN, ['gen', f, scenario, '7'], {encoding: 'utf8'})
      if (r.error || r.status !== 0) throw new Error(`oracle gen ${scenario} failed: ${r.error?.message ?? r.stderr}`)
    }
    genCache.set(f, fs.readFileSync(f))
  }
  return {path: f, bytes: genCache.get(f)!}
}

// ---------------------------------------------------------------- byte helpers (independent of src/bbolt)

const PAGE_HDR = 16
const F_BRANCH = 0x01
const F_LEAF = 0x02
const F_META = 0x04
const F_FREELIST = 0x10

function fnv64(b: Buffer, start: number, end: number): bigint {
  let h = 0xcbf29ce484222325n
  for (let i = start; i < end; i++) {
    h ^= BigInt(b[i])
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h
}

function pageSizeOf(b: Buffer): number {
  return b.readUInt32LE(24)
}

interface MetaView {
  slot: number
  root: number
  freelist: bigint
  hwm: number
  txid: bigint
}

function meta(b: Buffer, slot: number): MetaView {
  const o = slot === 0 ? 0 : pageSizeOf(b)
  return {slot, root: Number(b.readBigUInt64LE(o + 32)), freelist: b.readBigUInt64LE(o + 48), hwm: Number(b.readBigUInt64LE(o + 56)), txid: b.readBigUInt64LE(o + 64)}
}

function activeMeta(b: Buffer): MetaView {
  const m0 = meta(b, 0)
  const m1 = meta(b, 1)
  return m1.txid > m0.txid ? m1 : m0
}

type MetaField = 'magic' | 'version' | 'pageSize' | 'root' | 'freelist' | 'pgid' | 'txid' | 'checksum'
const META_OFF: Record<MetaField, [number, 4 | 8]> = {magic: [16, 4], version: [20, 4], pageSize: [24, 4], root: [32, 8], freelist: [48, 8], pgid: [56, 8], txid: [64, 8], checksum: [72, 8]}

/** Sets a field of one meta page; the checksum is recomputed unless `keepChecksum`. */
function setMeta(b: Buffer, slot: number, field: MetaField, value: number | bigint, keepChecksum = false, ps = pageSizeOf(b)): void {
  const o = slot === 0 ? 0 : ps
  const [off, size] = META_OFF[field]
  if (size === 4) b.writeUInt32LE(Number(value), o + off)
  else b.writeBigUInt64LE(BigInt(value), o + off)
  if (!keepChecksum && field !== 'checksum') b.writeBigUInt64LE(fnv64(b, o + 16, o + 72), o + 72)
}

function setBothMetas(b: Buffer, field: MetaField, value: number | bigint, keepChecksum = false): void {
  const ps = pageSizeOf(b) // before meta 0's own page size may change
  setMeta(b, 0, field, value, keepChecksum, ps)
  setMeta(b, 1, field, value, keepChecksum, ps)
}

function pageOff(b: Buffer, id: number): number {
  return id * pageSizeOf(b)
}

function pageFlags(b: Buffer, id: number): number {
  return b.readUInt16LE(pageOff(b, id) + 8)
}

function pageCount(b: Buffer, id: number): number {
  return b.readUInt16LE(pageOff(b, id) + 10)
}

/** Offset of element i of a branch or leaf page (16 bytes each). */
function elem(b: Buffer, id: number, i: number): number {
  return pageOff(b, id) + PAGE_HDR + i * 16
}

function branchChild(b: Buffer, id: number, i: number): number {
  return Number(b.readBigUInt64LE(elem(b, id, i) + 8))
}

function setBranchChild(b: Buffer, id: number, i: number, child: number | bigint): void {
  b.writeBigUInt64LE(BigInt(child), elem(b, id, i) + 8)
}

/** The pages of the tree rooted at `root` (the root bucket's by default) and the path down to its deepest leaf. */
function rootTree(b: Buffer, root = activeMeta(b).root): {branches: number[]; leaves: number[]; deepestPath: number[]} {
  const branches: number[] = []
  const leaves: number[] = []
  let deepestPath: number[] = []
  const walk = (id: number, trail: number[]): void => {
    const here = [...trail, id]
    if (pageFlags(b, id) === F_BRANCH) {
      branches.push(id)
      for (let i = 0; i < pageCount(b, id); i++) walk(branchChild(b, id, i), here)
    } else {
      leaves.push(id)
      if (here.length > deepestPath.length) deepestPath = here
    }
  }
  walk(root, [])
  return {branches, leaves, deepestPath}
}

/** The deepest tree among the top-level page-based buckets. */
function deepestBucketTree(b: Buffer): ReturnType<typeof rootTree> {
  let best: ReturnType<typeof rootTree> | undefined
  for (const leaf of rootTree(b).leaves) {
    for (const e of leafEntries(b, leaf)) {
      if (!e.bucket) continue
      const r = Number(b.readBigUInt64LE(e.vOff))
      if (r === 0) continue
      const t = rootTree(b, r)
      if (best === undefined || t.deepestPath.length > best.deepestPath.length) best = t
    }
  }
  if (best === undefined) throw new Error('no page-based bucket')
  return best
}

/** Leaf elements of a page: [offset of the element, key, value offset, vsize, flags]. */
function leafEntries(b: Buffer, id: number): Array<{e: number; key: string; vOff: number; vsize: number; bucket: boolean}> {
  const out = []
  for (let i = 0; i < pageCount(b, id); i++) {
    const e = elem(b, id, i)
    const pos = b.readUInt32LE(e + 4)
    const ksize = b.readUInt32LE(e + 8)
    const vsize = b.readUInt32LE(e + 12)
    out.push({e, key: b.subarray(e + pos, e + pos + ksize).toString('latin1'), vOff: e + pos + ksize, vsize, bucket: (b.readUInt32LE(e) & 1) === 1})
  }
  return out
}

/** The leaf page holding the root-bucket entry `name`, and that entry. */
function rootEntry(b: Buffer, name: string): {page: number; entry: ReturnType<typeof leafEntries>[number]} {
  for (const leaf of rootTree(b).leaves) {
    for (const entry of leafEntries(b, leaf)) if (entry.key === name) return {page: leaf, entry}
  }
  throw new Error(`no root bucket entry ${name}`)
}

/** Root page id of a page-based top-level bucket. */
function bucketRoot(b: Buffer, name: string): number {
  const {entry} = rootEntry(b, name)
  return Number(b.readBigUInt64LE(entry.vOff))
}

/** The first page (after the metas) with an overflow run. */
function firstOverflowPage(b: Buffer): number {
  const pages = Math.floor(b.length / pageSizeOf(b))
  for (let id = 2; id < pages; id++) {
    const o = pageOff(b, id)
    if (Number(b.readBigUInt64LE(o)) === id && pageFlags(b, id) === F_LEAF && b.readUInt32LE(o + 12) > 0) return id
  }
  throw new Error('no overflow page')
}

/** Deterministic pseudo-random bytes (xorshift32). */
function randomBytes(seed: number, n: number): Buffer {
  let x = seed >>> 0 || 1
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

// ---------------------------------------------------------------- case builders

/** A case made by editing a copy of `src` in memory. */
function edited(name: string, what: string, src: string, edit: (b: Buffer) => unknown, kind: CaseKind = 'bolt'): CorpusCase {
  return {
    name,
    kind,
    what,
    source: src,
    make(file) {
      const b = Buffer.from(fs.readFileSync(src))
      const r = edit(b)
      fs.writeFileSync(file, Buffer.isBuffer(r) ? r : b)
    },
  }
}

/** A case made by editing a Go-made file. */
function editedGo(scratch: string, scenario: string, name: string, what: string, edit: (b: Buffer) => unknown): CorpusCase {
  return {
    name,
    kind: 'bolt',
    what,
    get source() {
      return goFile(scratch, scenario).path
    },
    make(file) {
      const b = Buffer.from(goFile(scratch, scenario).bytes)
      const r = edit(b)
      fs.writeFileSync(file, Buffer.isBuffer(r) ? r : b)
    },
  }
}

/** A bbolt-valid copy of `src` changed through our engine, one write transaction. */
function viaEngine(name: string, what: string, src: string, change: (db: DB) => void): CorpusCase {
  return {
    name,
    kind: 'influxd',
    what,
    source: src,
    make(file) {
      fs.copyFileSync(src, file)
      fs.chmodSync(file, 0o600)
      const db = DB.open(file)
      try {
        change(db)
      } finally {
        db.close()
      }
    },
  }
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8')

/** Rewrites one authorization record's JSON text through `fn`. */
function editAuth(id: string, fn: (json: string) => string): (db: DB) => void {
  return (db) => db.update((tx) => {
    const b = tx.bucket(enc('authorizationsv1'))!
    const v = b.get(enc(id))
    if (v === undefined) throw new Error(`no authorization ${id}`)
    const next = fn(v.toString('utf8'))
    if (next === v.toString('utf8')) throw new Error(`edit of ${id} changed nothing`)
    b.put(enc(id), enc(next))
  })
}

const TOKEN_OP = '08371db24dcc8000'
const TOKEN_RO = '08371deae98c8000'
const USER = '08371db1dd8c8000'
const ORG = 'dd7cd2292f6e974a'

/**
 * Every case of the corpus. `scratch` is a directory for the Go-made sources
 * (generated on first use, reused afterwards).
 */
export function corpusCases(scratch: string): CorpusCase[] {
  const A = SOURCES.v28
  const B = SOURCES.v21
  const cases: CorpusCase[] = []
  const add = (c: CorpusCase): void => {
    cases.push(c)
  }

  // --- truncation (the 2.8 file: 4 KiB pages, high-water mark 12 = 49152 bytes)
  const cuts: Array<[number, string]> = [
    [1, 'one byte'],
    [100, 'inside meta 0 header'],
    [2048, 'inside meta 0, past the meta fields'],
    [4095, 'one byte short of meta 0'],
    [4096, 'meta 0 only (page boundary)'],
    [4097, 'one byte into meta 1'],
    [6000, 'inside meta 1'],
    [8191, 'one byte short of both metas'],
    [8192, 'both metas, no data page (page boundary)'],
    [12288, 'page boundary after page 2'],
    [14000, 'inside the authorizations leaf (page 3)'],
    [20480, 'page boundary after the freelist'],
    [30000, 'inside data page 7'],
    [36864, 'page boundary after the root branch'],
    [49151, 'one byte short of the high-water mark'],
  ]
  for (const [len, what] of cuts) add(edited(`trunc-${len}`, `2.8 file truncated to ${len} bytes: ${what}`, A, (b) => b.subarray(0, len)))
  add(edited('trunc-v21-24576', '2.1 file truncated at the page boundary before its root branch (page 9)', B, (b) => b.subarray(0, 24576)))
  add(edited('trunc-v21-40000', '2.1 file truncated inside page 9 (its root branch)', B, (b) => b.subarray(0, 40000)))
  add(editedGo(scratch, 'pagesize1024', 'trunc-ps1024-1023', 'Go-made 1 KiB-page file truncated one byte short of meta 0', (b) => b.subarray(0, 1023)))
  add(editedGo(scratch, 'pagesize1024', 'trunc-ps1024-half', 'Go-made 1 KiB-page file truncated to half its size, mid-page', (b) => b.subarray(0, Math.floor(b.length / 2) + 300)))
  add(editedGo(scratch, 'overflow', 'trunc-overflow-run', 'Go-made file truncated in the middle of an overflow run', (b) => {
    const id = firstOverflowPage(b)
    const ov = b.readUInt32LE(pageOff(b, id) + 12)
    return b.subarray(0, pageOff(b, id) + Math.ceil((ov + 1) / 2) * pageSizeOf(b) - 7)
  }))

  // --- not bbolt at all
  add({name: 'zero-length', kind: 'bolt', what: 'an empty file', make: (f) => fs.writeFileSync(f, Buffer.alloc(0))})
  add({name: 'random-100', kind: 'bolt', what: '100 random bytes', make: (f) => fs.writeFileSync(f, randomBytes(11, 100))})
  add({name: 'random-16k', kind: 'bolt', what: '16 KiB of random bytes', make: (f) => fs.writeFileSync(f, randomBytes(12, 16384))})
  add({name: 'random-70000', kind: 'bolt', what: '70,000 random bytes', make: (f) => fs.writeFileSync(f, randomBytes(13, 70000))})
  add({name: 'zeros-64k', kind: 'bolt', what: '64 KiB of zeros', make: (f) => fs.writeFileSync(f, Buffer.alloc(65536))})
  add({name: 'text-file', kind: 'bolt', what: 'a text file (a JSON Lines dump)', make: (f) => fs.writeFileSync(f, '{"type":"bucket","path":["YQ=="],"sequence":0}\n'.repeat(200))})
  add(edited('bad-magic', 'both metas with a wrong magic number (checksums left)', A, (b) => {
    b.writeUInt32LE(0xdeadbeef, 16)
    b.writeUInt32LE(0xdeadbeef, 4096 + 16)
  }))
  add(edited('bad-magic-fixed-checksum', 'both metas with a wrong magic number and matching checksums', A, (b) => setBothMetas(b, 'magic', 0x0badf00d)))
  add(edited('bad-version', 'both metas claim format version 3 (checksums fixed)', A, (b) => setBothMetas(b, 'version', 3)))
  add(edited('bad-page-size', 'both metas claim a page size of 1000 (checksums fixed)', A, (b) => setBothMetas(b, 'pageSize', 1000)))
  add(edited('page-size-64k', 'both metas claim 64 KiB pages in a 64 KiB file (checksums fixed)', A, (b) => setBothMetas(b, 'pageSize', 65536)))

  // --- meta checksums
  add(edited('checksum-one', 'the active meta (1) has a wrong checksum; meta 0 is valid (bbolt falls back to txid 130)', A, (b) => {
    b[4096 + 72] ^= 0xff
  }, 'recoverable'))
  add(edited('checksum-both', 'both metas have a wrong checksum', A, (b) => {
    b[72] ^= 0xff
    b[4096 + 72] ^= 0xff
  }))

  // --- meta pointers at or past the high-water mark, at the wrong kind of page
  add(edited('meta-root-at-hwm', 'both metas: root = 12 = the high-water mark', A, (b) => setBothMetas(b, 'root', 12)))
  add(edited('meta-root-huge', 'both metas: root = 2^40', A, (b) => setBothMetas(b, 'root', 1n << 40n)))
  add(edited('meta-root-is-meta', 'both metas: root = 0 (a meta page in the tree)', A, (b) => setBothMetas(b, 'root', 0)))
  add(edited('meta-root-is-freelist', 'both metas: root = 4 (the freelist where the root branch is expected)', A, (b) => setBothMetas(b, 'root', 4)))
  add(edited('meta-root-is-data-leaf', 'both metas: root = 3 (a leaf of plain keys where the root bucket is expected)', A, (b) => setBothMetas(b, 'root', 3)))
  add(edited('meta-freelist-at-hwm', 'both metas: freelist = 12 = the high-water mark', A, (b) => setBothMetas(b, 'freelist', 12)))
  add(edited('meta-freelist-huge', 'both metas: freelist = 2^50', A, (b) => setBothMetas(b, 'freelist', 1n << 50n)))
  add(edited('meta-freelist-is-leaf', 'both metas: freelist = 3 (a leaf where the freelist is expected)', A, (b) => setBothMetas(b, 'freelist', 3)))
  add(edited('meta-hwm-past-eof', 'both metas: high-water mark 100 in a 16-page file', A, (b) => setBothMetas(b, 'pgid', 100)))
  add(edited('meta-hwm-below-root', 'both metas: high-water mark 5 (the root branch 8 is past it)', A, (b) => setBothMetas(b, 'pgid', 5)))

  // --- branch elements (root branch of the 2.8 file: page 8 -> leaves 7, 2)
  add(edited('branch-child-at-hwm', 'root branch child = 12 = the high-water mark', A, (b) => setBranchChild(b, 8, 1, 12)))
  add(edited('branch-child-past-eof', 'root branch child = 40 (past the end of the file)', A, (b) => setBranchChild(b, 8, 1, 40)))
  add(edited('branch-child-huge', 'root branch child = 2^52', A, (b) => setBranchChild(b, 8, 0, 1n << 52n)))
  add(edited('branch-child-meta', 'root branch child = 1 (a meta page in the tree)', A, (b) => setBranchChild(b, 8, 1, 1)))
  add(edited('branch-child-freelist', 'root branch child = 4 (the freelist where a leaf is expected)', A, (b) => setBranchChild(b, 8, 1, 4)))
  add(edited('branch-self', 'root branch child = 8 (itself)', A, (b) => setBranchChild(b, 8, 1, 8)))
  add(edited('branch-dag', 'both root branch elements point at leaf 7 (a DAG)', A, (b) => setBranchChild(b, 8, 1, 7)))
  add(edited('v21-branch-child-at-hwm', '2.1 file: root branch (page 9) child = 12', B, (b) => setBranchChild(b, 9, 0, 12)))
  // Object.assign, not a spread: editedGo's source is a getter (the Go file is made on first use)
  add(Object.assign(editedGo(scratch, 'splits', 'branch-to-ancestor', 'Go-made depth-3 tree: a branch of depth 2 points back at its bucket\'s root branch', (b) => {
    const {deepestPath} = deepestBucketTree(b)
    if (deepestPath.length < 3) throw new Error('splits file is not deep enough')
    setBranchChild(b, deepestPath[1], 0, deepestPath[0])
  }), {damagedTree: 'splits'}))
  add(Object.assign(editedGo(scratch, 'splits', 'branch-dag-deep', 'Go-made depth-3 tree: every element of a bucket\'s root branch points at its first child (a DAG)', (b) => {
    const root = deepestBucketTree(b).deepestPath[0]
    const first = branchChild(b, root, 0)
    for (let i = 1; i < pageCount(b, root); i++) setBranchChild(b, root, i, first)
  }), {damagedTree: 'splits'}))

  // --- wrong page types
  add(edited('type-leaf-for-branch', 'root branch page 8 flagged as a leaf', A, (b) => b.writeUInt16LE(F_LEAF, pageOff(b, 8) + 8)))
  add(edited('type-branch-for-leaf', 'leaf 7 flagged as a branch', A, (b) => b.writeUInt16LE(F_BRANCH, pageOff(b, 7) + 8)))
  add(edited('type-meta-in-tree', 'leaf 7 flagged as a meta page', A, (b) => b.writeUInt16LE(F_META, pageOff(b, 7) + 8)))
  add({...edited('type-freelist-for-leaf', 'the authorizations leaf (page 3) flagged as a freelist', A, (b) => b.writeUInt16LE(F_FREELIST, pageOff(b, 3) + 8)), damagedTree: 'authorizationsv1'})
  add({...edited('type-zero', 'the migrations leaf (page 6) with flags 0', A, (b) => b.writeUInt16LE(0, pageOff(b, 6) + 8)), damagedTree: 'migrationsv1'})
  add({...edited('page-id-mismatch', 'the authorizations leaf (page 3) says it is page 5', A, (b) => b.writeBigUInt64LE(5n, pageOff(b, 3))), damagedTree: 'authorizationsv1'})

  // --- element counts, pos, ksize, vsize
  add(edited('count-huge-leaf', 'leaf 7 claims 65535 elements', A, (b) => b.writeUInt16LE(0xffff, pageOff(b, 7) + 10)))
  add(edited('count-zero-branch', 'root branch with 0 elements', A, (b) => b.writeUInt16LE(0, pageOff(b, 8) + 10)))
  add(edited('count-huge-branch', 'root branch claims 300 elements', A, (b) => b.writeUInt16LE(300, pageOff(b, 8) + 10)))
  add({...edited('leaf-pos-oob', 'authorizations leaf element 0: pos 0x00ffffff', A, (b) => b.writeUInt32LE(0xffffff, elem(b, 3, 0) + 4)), damagedTree: 'authorizationsv1'})
  add({...edited('leaf-ksize-oob', 'authorizations leaf element 1: ksize 0x7fffffff', A, (b) => b.writeUInt32LE(0x7fffffff, elem(b, 3, 1) + 8)), damagedTree: 'authorizationsv1'})
  add({...edited('leaf-vsize-oob', 'authorizations leaf element 1: vsize 100000 (past the page)', A, (b) => b.writeUInt32LE(100000, elem(b, 3, 1) + 12)), damagedTree: 'authorizationsv1'})
  add({...edited('leaf-ksize-zero', 'authorizations leaf element 0: empty key', A, (b) => b.writeUInt32LE(0, elem(b, 3, 0) + 8)), damagedTree: 'authorizationsv1'})
  add(edited('branch-pos-oob', 'root branch element 0: pos 5000 (past the page)', A, (b) => b.writeUInt32LE(5000, elem(b, 8, 0))))
  add(edited('branch-ksize-oob', 'root branch element 1: ksize 2^30', A, (b) => b.writeUInt32LE(1 << 30, elem(b, 8, 1) + 4)))
  add({...edited('keys-out-of-order', 'authorizations leaf: first key changed to sort after the second', A, (b) => {
    const e = leafEntries(b, 3)[0]
    b[e.vOff - e.key.length] = 'z'.charCodeAt(0)
  }), damagedTree: 'authorizationsv1'})
  add(edited('branch-key-mismatch', 'root branch: the second key no longer matches its child\'s first key', A, (b) => {
    const e = elem(b, 8, 1)
    b[e + b.readUInt32LE(e)] = 'a'.charCodeAt(0)
  }))

  // --- bucket values
  add({...edited('bucket-root-past-hwm', 'the authorizationsv1 bucket\'s root page = 40', A, (b) => b.writeBigUInt64LE(40n, rootEntry(b, 'authorizationsv1').entry.vOff)), damagedTree: 'authorizationsv1'})
  add({...edited('bucket-root-is-meta', 'the migrationsv1 bucket\'s root page = 0 (a meta page)', A, (b) => b.writeBigUInt64LE(0n, rootEntry(b, 'migrationsv1').entry.vOff)), damagedTree: 'migrationsv1'})
  add({...edited('bucket-value-short', 'the authorizationsv1 bucket value is 8 bytes (a bucket header is 16)', A, (b) => b.writeUInt32LE(8, rootEntry(b, 'authorizationsv1').entry.e + 12)), damagedTree: 'authorizationsv1'})
  add({...edited('inline-bucket-bad-flags', 'the inline usersv1 bucket\'s page image is flagged as a branch', A, (b) => {
    const {entry} = rootEntry(b, 'usersv1')
    b.writeUInt16LE(F_BRANCH, entry.vOff + 16 + 8)
  }), damagedTree: 'usersv1'})
  add({...edited('inline-bucket-count-oob', 'the inline usersv1 bucket\'s page image claims 500 elements', A, (b) => {
    const {entry} = rootEntry(b, 'usersv1')
    b.writeUInt16LE(500, entry.vOff + 16 + 10)
  }), damagedTree: 'usersv1'})

  // --- overflow
  add({...edited('overflow-past-eof', 'the authorizations leaf (page 3) claims an overflow run of 20 pages', A, (b) => b.writeUInt32LE(20, pageOff(b, 3) + 12)), damagedTree: 'authorizationsv1'})
  add(Object.assign(editedGo(scratch, 'overflow', 'overflow-huge', 'Go-made file: an overflow run of 2^31 pages', (b) => b.writeUInt32LE(0x80000000, pageOff(b, firstOverflowPage(b)) + 12)), {damagedTree: 'overflow'}))

  // --- freelist (the 2.8 file's active freelist is page 4: 5, 9, 10, 11)
  const fl = (b: Buffer): number => Number(activeMeta(b).freelist)
  add(edited('freelist-lists-meta', 'the freelist lists meta page 0', A, (b) => b.writeBigUInt64LE(0n, pageOff(b, fl(b)) + 16)))
  add({...edited('freelist-lists-live', 'the freelist lists page 3 (the live authorizations leaf)', A, (b) => b.writeBigUInt64LE(3n, pageOff(b, fl(b)) + 16)), damagedTree: 'authorizationsv1'})
  add(edited('freelist-past-hwm', 'the freelist lists page 50', A, (b) => b.writeBigUInt64LE(50n, pageOff(b, fl(b)) + 16 + 3 * 8)))
  add(edited('freelist-unsorted', 'the freelist ids are not ascending (11, 9, 10, 5)', A, (b) => {
    const o = pageOff(b, fl(b)) + 16
    b.writeBigUInt64LE(11n, o)
    b.writeBigUInt64LE(5n, o + 24)
  }))
  add(edited('freelist-count-big', 'the freelist count says 2000 (16,000 bytes in a 4 KiB page)', A, (b) => b.writeUInt16LE(2000, pageOff(b, fl(b)) + 10)))
  add(edited('freelist-ffff-huge-first', 'freelist count 0xFFFF with a first element of 2^40', A, (b) => {
    const o = pageOff(b, fl(b))
    b.writeUInt16LE(0xffff, o + 10)
    b.writeBigUInt64LE(1n << 40n, o + 16)
  }))
  add({...edited('freelist-ffff-short-first', 'freelist count 0xFFFF with a first element of 3: ids 9, 10, 11 (page 5 neither free nor used)', A, (b) => {
    const o = pageOff(b, fl(b))
    b.writeUInt16LE(0xffff, o + 10)
    // ids shifted one slot: [3][9][10][11]
    b.writeBigUInt64LE(3n, o + 16)
    b.writeBigUInt64LE(9n, o + 24)
    b.writeBigUInt64LE(10n, o + 32)
    b.writeBigUInt64LE(11n, o + 40)
  }), lostPageOnly: true})
  add(edited('v21-freelist-lists-meta', '2.1 file: its freelist (page 7) lists meta page 1', B, (b) => b.writeBigUInt64LE(1n, pageOff(b, fl(b)) + 16)))

  // --- influxd-level damage in valid bbolt files (our engine writes them)
  add(viaEngine('auth-invalid-json', 'an authorizationsv1 record that is not JSON (truncated)', A, editAuth(TOKEN_RO, (j) => j.slice(0, 40))))
  add(viaEngine('auth-binary-value', 'an authorizationsv1 record of binary bytes', A, (db) => db.update((tx) => tx.bucket(enc('authorizationsv1'))!.put(enc(TOKEN_RO), Buffer.from([0, 1, 2, 0xff, 0xfe])))))
  add(viaEngine('auth-id-15', 'an authorization whose id has 15 hex digits', A, editAuth(TOKEN_RO, (j) => j.replace(`"id":"${TOKEN_RO}"`, `"id":"${TOKEN_RO.slice(1)}"`))))
  add(viaEngine('auth-key-mismatch', 'an authorization stored under a key other than its id', A, (db) => db.update((tx) => {
    const b = tx.bucket(enc('authorizationsv1'))!
    const v = b.get(enc(TOKEN_RO))!
    b.delete(enc(TOKEN_RO))
    b.put(enc('0aaaaaaaaaaaaaaa'), v)
  })))
  add(viaEngine('auth-orgid-nonhex', 'an authorization whose orgID is not hex', A, editAuth(TOKEN_RO, (j) => j.replace(`"orgID":"${ORG}"`, '"orgID":"zz7cd2292f6e974a"'))))
  add(viaEngine('auth-userid-15', 'an authorization whose userID has 15 digits', A, editAuth(TOKEN_RO, (j) => j.replace(`"userID":"${USER}"`, `"userID":"${USER.slice(1)}"`))))
  add(viaEngine('auth-status-unknown', 'an authorization with status "paused"', A, editAuth(TOKEN_RO, (j) => j.replace('"status":"active"', '"status":"paused"'))))
  add(viaEngine('auth-permissions-invalid', 'the operator token\'s permissions are a string, not a list', A, editAuth(TOKEN_OP, (j) => j.replace(/"permissions":\[.*\],"createdAt"/, '"permissions":"all","createdAt"'))))
  add(viaEngine('auth-nested-bucket', 'authorizationsv1 holds a nested bucket where a record should be', A, (db) => db.update((tx) => {
    tx.bucket(enc('authorizationsv1'))!.createBucket(enc('0bbbbbbbbbbbbbbb'))
  })))
  add(viaEngine('token-index-dangling', 'a raw token index entry pointing at a non-existent authorization', A, (db) => db.update((tx) => {
    tx.bucket(enc('authorizationindexv1'))!.put(enc('dangling-token-value-'.padEnd(88, 'x')), enc('0ccccccccccccccc'))
  })))
  add(viaEngine('token-index-garbage-id', 'a raw token index entry whose value is not an id', A, (db) => db.update((tx) => {
    tx.bucket(enc('authorizationindexv1'))!.put(enc('garbage-id-token-'.padEnd(88, 'y')), Buffer.from([0xff, 0x00, 0x41]))
  })))
  add(viaEngine('hashed-index-dangling', 'a hashed index entry pointing nowhere', A, (db) => db.update((tx) => {
    tx.bucket(enc('authorizationhashedindexv1'))!.put(enc(`$influxdb2-sha256$${'A'.repeat(43)}=`), enc('0ddddddddddddddd'))
  })))
  add(viaEngine('hashed-token-malformed', 'an authorization with a hashedToken that is not a known hash', A, editAuth(TOKEN_RO, (j) => j.replace(/"token":"[^"]*"/, '"hashedToken":"$md5$not-a-hash"'))))
  add({...viaEngine('auth-user-missing', 'the user of every token is gone (usersv1 and userindexv1 entries deleted)', A, (db) => db.update((tx) => {
    tx.bucket(enc('usersv1'))!.delete(enc(USER))
    tx.bucket(enc('userindexv1'))!.delete(enc('testuser'))
  })), doctorWarns: true, operatorLost: true})
  add({...viaEngine('auth-org-missing', 'the org of every token is gone (organizationsv1 and organizationindexv1 entries deleted)', A, (db) => db.update((tx) => {
    tx.bucket(enc('organizationsv1'))!.delete(enc(ORG))
    tx.bucket(enc('organizationindexv1'))!.delete(enc('myorg'))
  })), doctorWarns: true, operatorLost: true})
  add(viaEngine('user-invalid-json', 'the only usersv1 record is not JSON', A, (db) => db.update((tx) => tx.bucket(enc('usersv1'))!.put(enc(USER), enc('{"id":')))))
  add(viaEngine('org-invalid-json', 'the only organizationsv1 record is not JSON', A, (db) => db.update((tx) => tx.bucket(enc('organizationsv1'))!.put(enc(ORG), enc('[1,2')))))
  add(viaEngine('authorizations-bucket-missing', 'no authorizationsv1 bucket', A, (db) => db.update((tx) => tx.deleteBucket(enc('authorizationsv1')))))
  add(viaEngine('users-bucket-missing', 'no usersv1 bucket', A, (db) => db.update((tx) => tx.deleteBucket(enc('usersv1')))))
  add(viaEngine('migrations-missing', 'no migrationsv1 bucket', A, (db) => db.update((tx) => tx.deleteBucket(enc('migrationsv1')))))
  add(viaEngine('meta-db-undecodable', 'v1_tsm1_metadata/meta.db is a truncated protobuf message influxd cannot load', A, (db) => db.update((tx) => tx.bucket(enc('v1_tsm1_metadata'))!.put(enc('meta.db'), Buffer.from([0x08, 0x00, 0x12])))))
  add(viaEngine('migration-unknown', 'migrationsv1 holds a 22nd migration no InfluxDB release knows', A, (db) => db.update((tx) => {
    tx.bucket(enc('migrationsv1'))!.put(enc('0000000000000016'), enc('{"id":"0000000000000016","name":"a migration from the future","started_at":"2030-01-01T00:00:00Z","finished_at":"2030-01-01T00:00:01Z"}'))
  })))
  add(viaEngine('migration-name-mismatch', 'migration 1 has a name influxd does not know', A, (db) => db.update((tx) => {
    tx.bucket(enc('migrationsv1'))!.put(enc('0000000000000001'), enc('{"id":"0000000000000001","name":"not the initial migration","started_at":"2021-09-28T12:55:25Z","finished_at":"2021-09-28T12:55:25Z"}'))
  })))
  add(viaEngine('v21-auth-invalid-json', '2.1 file: the operator token record is not JSON', B, editAuth(TOKEN_OP, (j) => `${j.slice(0, 100)}}}`)))

  // --- not a regular readable file
  add({name: 'directory', kind: 'fs', what: 'a directory', make: (f) => fs.mkdirSync(f)})
  add({name: 'fifo', kind: 'fs', what: 'a FIFO (nobody writing)', make: (f) => {
    const r = spawnSync('mkfifo', [f])
    if (r.status !== 0) throw new Error('mkfifo failed')
  }})
  add({name: 'unreadable', kind: 'fs', what: 'a valid file with mode 000 (read by a non-root uid)', source: A, needsOtherUid: true, make: (f) => {
    fs.copyFileSync(A, f)
    fs.chmodSync(f, 0o000)
  }})
  add({name: 'dangling-symlink', kind: 'fs', what: 'a symlink to a missing file', make: (f) => fs.symlinkSync(path.join(path.dirname(f), 'gone.bolt'), f)})
  add({name: 'missing', kind: 'fs', what: 'a path that does not exist', make: () => {}})
  add({name: 'symlink-loop', kind: 'fs', what: 'a symlink to itself', make: (f) => fs.symlinkSync(f, f)})

  const seen = new Set<string>()
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`duplicate corpus case ${c.name}`)
    seen.add(c.name)
  }
  return cases
}

/** Writes one case as `dir/<name>.bolt` (dir must exist); returns the path. */
export function writeCase(c: CorpusCase, dir: string, fileName = 'influxd.bolt'): string {
  const f = path.join(dir, fileName)
  c.make(f, dir)
  return f
}
