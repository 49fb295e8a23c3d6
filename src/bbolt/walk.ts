/**
 * Walks every page reachable from the root bucket: tree pages of every
 * page-based bucket, found through bucket entries in leaves. Used to rebuild
 * the free set of files written without a freelist (NoFreelistSync), where
 * free = every id in [2, hwm) that is not reachable.
 */
import {decodeBucketValue, describePath} from './bucket.js'
import {corrupt} from './errors.js'
import {BUCKET_LEAF_FLAG, type Page} from './page.js'

export interface PageSource {
  page(id: number): Page
}

/** Calls visit(page, bucketPath) once per reachable tree page; throws on cycles or double references. */
export function walkTree(src: PageSource, root: number, visit: (p: Page, path: Buffer[]) => void): void {
  const seen = new Set<number>()
  const walk = (pgid: number, path: Buffer[], depth: number): void => {
    if (depth > 64) throw corrupt(`bucket ${describePath(path)}: tree deeper than 64 levels`)
    if (seen.has(pgid)) throw corrupt(`page ${pgid} is referenced twice`)
    const p = src.page(pgid)
    for (let i = 0; i <= p.overflow; i++) seen.add(pgid + i)
    visit(p, path)
    if (p.isBranch) {
      for (let i = 0; i < p.count; i++) walk(p.branchPgid(i), path, depth + 1)
    } else if (p.isLeaf) {
      for (let i = 0; i < p.count; i++) {
        if ((p.leafFlags(i) & BUCKET_LEAF_FLAG) === 0) continue
        const name = p.leafKey(i)
        const sub = [...path, name]
        const {root: subRoot} = decodeBucketValue(p.leafValue(i), `bucket ${describePath(sub)}`)
        if (subRoot !== 0) walk(subRoot, sub, 0)
      }
    } else {
      throw corrupt(`page ${pgid}: expected a branch or leaf page`)
    }
  }
  walk(root, [], 0)
}

/** Free ids of a file without a persisted freelist: [2, hwm) minus everything reachable. */
export function rebuildFreeIds(src: PageSource, root: number, hwm: number): number[] {
  const used = new Uint8Array(hwm)
  walkTree(src, root, (p) => {
    for (let i = p.id; i <= p.id + p.overflow; i++) used[i] = 1
  })
  const free: number[] = []
  for (let id = 2; id < hwm; id++) if (used[id] === 0) free.push(id)
  return free
}
