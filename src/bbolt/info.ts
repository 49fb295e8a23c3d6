/**
 * A summary of a bbolt file: sizes, both meta pages, and page/bucket counts
 * (from the consistency check's walk). Engine-level: knows nothing of InfluxDB.
 */
import {check, type CheckReport, type CheckStats} from './check.js'
import type {DB} from './db.js'

export const NO_FREELIST_TEXT = 'none (not persisted)'

export interface MetaInfo {
  slot: 0 | 1
  /** usable: magic, version and checksum valid and fields consistent */
  valid: boolean
  active: boolean
  checksumOk: boolean
  problem: string | null
  txid: number | null
  root: number | null
  freelist: number | typeof NO_FREELIST_TEXT | null
  highWaterMark: number | null
  pageSize: number | null
}

/** The checker's statistics plus both metas as they are on disk. */
export interface FileInfo extends CheckStats {
  metas: MetaInfo[]
  /** number of problems the consistency check found (0 = clean) */
  problems: number
  warnings: string[]
}

export function fileInfo(db: DB, report: CheckReport = check(db)): FileInfo {
  const s = report.stats
  const metas: MetaInfo[] = db.metas.map((m) => {
    const meta = m.meta
    return {
      slot: m.slot,
      valid: m.problem === null,
      active: m.problem === null && m.slot === s.activeMeta,
      checksumOk: m.checksumOk,
      problem: m.problem,
      txid: meta?.txid ?? null,
      root: meta?.root ?? null,
      freelist: meta === null ? null : meta.freelist === null ? NO_FREELIST_TEXT : meta.freelist,
      highWaterMark: meta?.pgid ?? null,
      pageSize: meta?.pageSize ?? null,
    }
  })
  return {...s, metas, problems: report.problems.length + report.omitted, warnings: report.warnings}
}

/** Human-readable lines for fileInfo. */
export function formatFileInfo(path: string, info: FileInfo): string[] {
  const lines = [
    `file: ${path}`,
    `size: ${info.fileSize} bytes, page size ${info.pageSize}, ${Math.floor(info.fileSize / info.pageSize)} pages in the file`,
  ]
  for (const m of info.metas) {
    if (m.txid === null) {
      lines.push(`meta ${m.slot}: INVALID (${m.problem})`)
      continue
    }
    const state = m.valid ? 'checksum ok' : `INVALID: ${m.problem}`
    lines.push(`meta ${m.slot}: txid ${m.txid}, root ${m.root}, freelist ${m.freelist}, high-water mark ${m.highWaterMark}, ${state}${m.active ? '  [active]' : ''}`)
  }
  lines.push(`active meta: ${info.activeMeta} (txid ${info.txid})`)
  lines.push(`pages: high-water mark ${info.highWaterMark}; ${info.reachablePages} reachable (${info.branchPages} branch, ${info.leafPages} leaf, ${info.overflowPages} overflow, ${info.freelistPages} freelist), ${info.freePages} free`)
  lines.push(`buckets: ${info.buckets} (${info.inlineBuckets} inline), keys ${info.keys}, max depth ${info.maxDepth}`)
  for (const w of info.warnings) lines.push(`warning: ${w}`)
  lines.push(info.problems === 0 ? 'check: ok' : `check: ${info.problems} problem(s) (run "bolt check" for the list)`)
  return lines
}
