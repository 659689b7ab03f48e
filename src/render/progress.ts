// Progress for long work: one self-rewriting line on stderr, only on a terminal
// and never with --json, so pipes, JSON and snapshots never see it.
export interface Progress {
  update(text: string): void
  done(): void
}

const silent: Progress = {update() {}, done() {}}

export function progress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return silent
  let last = 0
  let shown = false
  return {
    update(text) {
      const now = Date.now()
      if (now - last < 80) return // at most ~12 redraws a second
      last = now
      shown = true
      process.stderr.write(`\r\x1b[2K${text}`)
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K')
    },
  }
}
