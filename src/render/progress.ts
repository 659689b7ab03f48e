// Progress for long work: one self-rewriting line on stderr, only on a terminal
// and never with --json, so pipes, JSON and snapshots never see it. Nothing is
// drawn for work that ends within DELAY_MS: quick commands stay quiet.
export interface Progress {
  update(text: string): void
  done(): void
}

const DELAY_MS = 300
const silent: Progress = {update() {}, done() {}}

export function progress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return silent
  const started = Date.now()
  let last = 0
  let shown = false
  let pending = ''
  const draw = () => {
    shown = true
    last = Date.now()
    process.stderr.write(`\r\x1b[2K${pending}`)
  }
  // Draw the latest text once the work has lasted DELAY_MS, even if no update comes.
  const timer = setTimeout(draw, DELAY_MS)
  timer.unref()
  return {
    update(text) {
      pending = text
      const now = Date.now()
      if (now - started < DELAY_MS || now - last < 80) return // quiet at first, then ~12 redraws a second
      draw()
    },
    done() {
      clearTimeout(timer)
      if (shown) process.stderr.write('\r\x1b[2K')
    },
  }
}

/** Run `work` with `text` as its progress line meanwhile (when `enabled`, as progress). */
export async function withProgress<T>(enabled: boolean, text: string, work: () => Promise<T>): Promise<T> {
  const bar = progress(enabled)
  bar.update(text)
  return work().finally(() => bar.done())
}

/** check, while it reads every file; `state` names the state (a directory, or etcd). */
export const checkProgress = (state: string) => `checking every file of the ${state}…`

/** lock list, while it reads the locks (of one file system, else of all). */
export const lockListProgress = (fs: string | undefined) => `reading the locks of ${fs ?? 'every domain'}…`
