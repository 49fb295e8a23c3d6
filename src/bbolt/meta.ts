/**
 * Meta pages 0 and 1: magic, version, page size, root bucket, freelist page,
 * high-water mark and txid, sealed by an FNV-1a-64 checksum of bytes 16..71.
 * The active meta is chosen by validity, then higher txid (never by slot
 * parity: Tx.WriteTo backups put txid T in page 0 and T-1 in page 1).
 */
import {fnv1a64} from './fnv.js'
import {MAX_PAGE_SIZE, META_PAGE, MIN_PAGE_SIZE, PAGE_HEADER_SIZE, readU64, writeU64} from './page.js'

export const MAGIC = 0xed0cdaed
export const VERSION = 2
/** meta.freelist when the freelist is not persisted (NoFreelistSync). */
export const NO_FREELIST = null

export interface Meta {
  pageSize: number
  flags: number
  root: number
  /** root bucket sequence; u64 */
  rootSequence: bigint
  /** freelist page id, or null for 0xFFFFFFFFFFFFFFFF (not persisted) */
  freelist: number | null
  /** high-water mark: number of pages in use */
  pgid: number
  txid: number
  checksum: bigint
}

export interface MetaSlot {
  slot: 0 | 1
  meta: Meta | null
  /** why the slot is not usable; null when valid */
  problem: string | null
  checksumOk: boolean
}

const M = PAGE_HEADER_SIZE

/** Decodes and validates the meta at the start of `buf` (one page). */
export function decodeMeta(buf: Buffer, slot: 0 | 1, fileSize: number | null): MetaSlot {
  const bad = (problem: string, meta: Meta | null = null, checksumOk = false): MetaSlot => ({slot, meta, problem, checksumOk})
  if (buf.length < M + 64) return bad('truncated')
  const magic = buf.readUInt32LE(M)
  if (magic !== MAGIC) return bad(`invalid magic 0x${magic.toString(16)}`)
  const version = buf.readUInt32LE(M + 4)
  if (version !== VERSION) return bad(`version mismatch (${version})`)
  const stored = buf.readBigUInt64LE(M + 56)
  const computed = fnv1a64(buf, M, M + 56)
  if (stored !== computed) return bad(`checksum error (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`)
  let meta: Meta
  try {
    const freelistHi = buf.readUInt32LE(M + 36), freelistLo = buf.readUInt32LE(M + 32)
    meta = {
      pageSize: buf.readUInt32LE(M + 8),
      flags: buf.readUInt32LE(M + 12),
      root: readU64(buf, M + 16, 'meta root'),
      rootSequence: buf.readBigUInt64LE(M + 24),
      freelist: freelistHi === 0xffffffff && freelistLo === 0xffffffff ? NO_FREELIST : readU64(buf, M + 32, 'meta freelist'),
      pgid: readU64(buf, M + 40, 'meta high-water mark'),
      txid: readU64(buf, M + 48, 'meta txid'),
      checksum: stored,
    }
  } catch (err) {
    return bad((err as Error).message, null, true)
  }
  const ps = meta.pageSize
  if (ps < MIN_PAGE_SIZE || ps > MAX_PAGE_SIZE || (ps & (ps - 1)) !== 0) return bad(`invalid page size ${ps}`, meta, true)
  const hdrFlags = buf.readUInt16LE(8)
  if (hdrFlags !== META_PAGE) return bad(`page flags 0x${hdrFlags.toString(16)} are not meta`, meta, true)
  if (meta.pgid < 3) return bad(`high-water mark ${meta.pgid} is too small`, meta, true)
  if (meta.root < 2 || meta.root >= meta.pgid) return bad(`root page ${meta.root} outside [2, ${meta.pgid})`, meta, true)
  if (meta.freelist !== null && (meta.freelist < 2 || meta.freelist >= meta.pgid)) {
    return bad(`freelist page ${meta.freelist} outside [2, ${meta.pgid})`, meta, true)
  }
  if (fileSize !== null && meta.pgid * ps > fileSize) {
    return bad(`file (${fileSize} bytes) is shorter than its high-water mark (${meta.pgid} pages of ${ps})`, meta, true)
  }
  return {slot, meta, problem: null, checksumOk: true}
}

/** Picks the valid meta with the higher txid; meta 0 wins a tie. */
export function chooseMeta(slots: MetaSlot[]): MetaSlot | null {
  let best: MetaSlot | null = null
  for (const s of slots) {
    if (s.problem !== null || s.meta === null) continue
    if (best === null || s.meta.txid > best.meta!.txid) best = s
  }
  return best
}

/** Writes a full meta page (slot = txid % 2) with a fresh checksum. */
export function encodeMeta(meta: Meta): Buffer {
  const buf = Buffer.alloc(meta.pageSize)
  writeU64(buf, 0, meta.txid % 2)
  buf.writeUInt16LE(META_PAGE, 8)
  buf.writeUInt32LE(MAGIC, M)
  buf.writeUInt32LE(VERSION, M + 4)
  buf.writeUInt32LE(meta.pageSize, M + 8)
  buf.writeUInt32LE(meta.flags, M + 12)
  writeU64(buf, M + 16, meta.root)
  buf.writeBigUInt64LE(meta.rootSequence, M + 24)
  if (meta.freelist === null) buf.writeBigUInt64LE(0xffffffffffffffffn, M + 32)
  else writeU64(buf, M + 32, meta.freelist)
  writeU64(buf, M + 40, meta.pgid)
  writeU64(buf, M + 48, meta.txid)
  buf.writeBigUInt64LE(fnv1a64(buf, M, M + 56), M + 56)
  return buf
}
