/**
 * Warnings about who else decides which database a run changes. A root run
 * started in /tmp reads influxd's config.* from the working directory, as
 * influxd would: another user's /tmp/config.toml can then point a root
 * `user set-password` at a file of that user's choosing. The command still
 * runs (it is what influxd would do), but stderr says so, one line each:
 *
 *  - a config file (or /etc/default/influxdb2) that chose the path is owned by
 *    a user other than root and the one running the command;
 *  - that file, or the database itself, sits in a world-writable directory
 *    where it is not protected by the sticky bit (no sticky bit, or the file is
 *    not owned by root or by the one running the command): anyone can replace
 *    it between two runs.
 *
 * A database owned by another user alone is not warned about: influxd's own
 * file belongs to its service account ("influxdb") and root runs on it are
 * the normal case; it is who chose the path, and who can swap it, that matter.
 */
import * as fs from 'node:fs'
import {dirname} from 'node:path'

import {describeUid, expectedOwner} from './side-file.js'

function trusted(uid: number): boolean {
  return uid === 0 || uid === expectedOwner()
}

/** Why anyone could replace `file`, or undefined when nobody but its owner, root and us can. */
function replaceableBy(file: string, st: fs.Stats): string | undefined {
  let dir: fs.Stats
  try {
    dir = fs.statSync(dirname(file))
  } catch {
    return undefined
  }
  if (process.platform === 'win32' || (dir.mode & 0o002) === 0) return undefined
  if ((dir.mode & 0o1000) === 0) return `sits in ${dirname(file)}, which every user can write to (no sticky bit): anyone can replace it`
  if (!trusted(st.uid)) return `sits in the world-writable directory ${dirname(file)} and belongs to ${describeUid(st.uid)}, who can replace it`
  return undefined
}

/**
 * The warnings for a database at `dbPath` whose path was named by the files
 * `namedBy` (config files; empty when the operator named it).
 */
export function locationWarnings(dbPath: string, namedBy: readonly string[] = []): string[] {
  const out: string[] = []
  let db: fs.Stats | undefined
  try {
    db = fs.statSync(dbPath)
  } catch {
    // a missing file is reported elsewhere
  }
  for (const cfg of namedBy) {
    let st: fs.Stats
    try {
      st = fs.statSync(cfg)
    } catch {
      continue
    }
    const dbOwner = db !== undefined && !trusted(db.uid) ? ` (owned by ${describeUid(db.uid)})` : ''
    if (!trusted(st.uid)) {
      out.push(`Warning: ${dbPath}${dbOwner} was chosen by ${cfg}, which belongs to ${describeUid(st.uid)}: that user decides which file this command works on; give the file with --bolt-path to choose it yourself`)
    } else {
      const why = replaceableBy(cfg, st)
      if (why !== undefined) out.push(`Warning: ${dbPath}${dbOwner} was chosen by ${cfg}, which ${why}; give the file with --bolt-path to choose it yourself`)
    }
  }
  if (db !== undefined) {
    let real = dbPath
    try {
      real = fs.realpathSync(dbPath)
    } catch {
      // keep the path given
    }
    const why = replaceableBy(real, db)
    if (why !== undefined) out.push(`Warning: the database ${real} ${why}; move it to a directory only its owner can write to`)
  }
  return out
}
