/**
 * A progress bar for long operations: on stderr, only when stderr is a
 * terminal and the command does not print JSON. Redrawn at most every 100 ms
 * (and at the end), erased when done so the command's own output follows
 * cleanly; nothing at all is written otherwise.
 */
export interface Progress {
  update(done: number, total: number): void
  /** erases the bar */
  finish(): void
}

const WIDTH = 30
const NONE: Progress = {update() {}, finish() {}}

export function progressBar(label: string, opts: {json: boolean; stream?: NodeJS.WriteStream}): Progress {
  const stream = opts.stream ?? process.stderr
  if (opts.json || stream.isTTY !== true) return NONE
  let last = 0
  let drawn = false
  return {
    update(done, total) {
      const now = Date.now()
      if (drawn && now - last < 100 && done < total) return
      last = now
      drawn = true
      const frac = total > 0 ? Math.min(1, done / total) : 1
      const fill = Math.round(frac * WIDTH)
      stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}] ${Math.floor(frac * 100)}%`)
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}
