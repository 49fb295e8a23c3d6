/**
 * Ctrl-C (SIGINT) and SIGTERM while something is half done: an unfinished
 * backup or a write not yet committed. While at least one cleanup is
 * registered, such a signal runs the cleanups (newest first, synchronously),
 * prints one line saying what was undone, and exits 130 (SIGINT) or 143
 * (SIGTERM), the codes a shell reports for them. process.exit runs the exit
 * hooks too, so proper-lockfile's lock directory is removed as well; the
 * kernel drops the flock with the process.
 *
 * Outside such a stretch the default stays: the process dies by the signal
 * (signal-exit, which proper-lockfile installs, still removes the lock
 * directory). A commit is synchronous, so no handler can run in the middle
 * of one: a signal that arrives during it is handled after it, when the
 * write's own cleanup has been unregistered.
 */
const SIGNALS = {SIGINT: 130, SIGTERM: 143} as const
type Sig = keyof typeof SIGNALS

interface Cleanup {
  /** undoes what is half done; returns a few words for the message, e.g. "the unfinished backup X was removed" */
  run: () => string | undefined
}

const cleanups: Cleanup[] = []
const listeners = new Map<Sig, () => void>()

function onSignal(sig: Sig): void {
  const said: string[] = []
  for (const c of cleanups.splice(0).reverse()) {
    try {
      const s = c.run()
      if (s) said.push(s)
    } catch {
      // a cleanup that fails must not keep the process alive
    }
  }
  process.stderr.write(`Error: interrupted by ${sig}${said.length > 0 ? `; ${said.join('; ')}` : ''}\n`)
  process.exit(SIGNALS[sig])
}

function install(): void {
  for (const sig of Object.keys(SIGNALS) as Sig[]) {
    const l = (): void => onSignal(sig)
    listeners.set(sig, l)
    process.on(sig, l)
  }
}

function uninstall(): void {
  for (const [sig, l] of listeners) process.removeListener(sig, l)
  listeners.clear()
}

/**
 * Registers a cleanup for SIGINT/SIGTERM; call the returned function once
 * the stretch it protects is over (idempotent).
 */
export function onInterrupt(run: () => string | undefined): () => void {
  const c: Cleanup = {run}
  if (cleanups.length === 0 && listeners.size === 0) install()
  cleanups.push(c)
  let done = false
  return () => {
    if (done) return
    done = true
    const i = cleanups.indexOf(c)
    if (i !== -1) cleanups.splice(i, 1)
    if (cleanups.length === 0) uninstall()
  }
}
