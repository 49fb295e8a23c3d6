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
  if (opts.json) return NONE
  // the stream is looked at on first use: making process.stderr (a pipe's loads node:net) is
  // not free, and most runs never draw a bar
  let stream: NodeJS.WriteStream | undefined
  const tty = (): boolean => (stream ??= opts.stream ?? process.stderr).isTTY === true
  let last = 0
  let drawn = false
  return {
    update(done, total) {
      if (!tty()) return
      const now = Date.now()
      if (drawn && now - last < 100 && done < total) return
      last = now
      drawn = true
      const frac = total > 0 ? Math.min(1, done / total) : 1
      const fill = Math.round(frac * WIDTH)
      stream!.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}] ${Math.floor(frac * 100)}%`)
    },
    finish() {
      if (drawn) stream!.write('\r\x1b[K')
      drawn = false
    },
  }
}
