// The loop of `status --watch`. On a terminal: the alternate screen, redrawn
// in place when the state changes (or the terminal is resized), cursor hidden;
// q, Ctrl-C or SIGTERM restore the screen and the terminal's modes and exit 0.
// Off a terminal (or with --json): one JSON document per change, one per line.
import {watcher, type WatchSnapshot} from '../core/watch.js'
import type {Ctx} from '../core/context.js'
import {renderWatch} from '../render/watch.js'
import {changeWake} from '../core/wake.js'

const ENTER = '\x1b[?1049h\x1b[?25l'
const LEAVE = '\x1b[?25h\x1b[?1049l'

export async function runWatch(ctx: Ctx, o: {intervalMs: number; json: boolean}): Promise<void> {
  const tty = !o.json && !!process.stdout.isTTY
  const w = watcher(ctx)
  let last = ''
  let lastSnap: WatchSnapshot | undefined
  let stopped = false
  const wake = await changeWake(ctx)

  const draw = () => {
    if (!lastSnap) return
    const lines = renderWatch(lastSnap, process.stdout.columns || 80, process.stdout.rows || 24)
    process.stdout.write('\x1b[H' + lines.map((l) => l + '\x1b[K').join('\r\n') + '\x1b[J')
  }
  const show = (snap: WatchSnapshot) => {
    // The same state read twice (a signature moved without a real change) prints nothing.
    const {time: _t, ...content} = snap
    const key = JSON.stringify(content)
    if (key === last) return
    last = key
    lastSnap = snap
    if (tty) draw()
    else process.stdout.write(JSON.stringify(snap) + '\n')
  }

  const stop = () => {
    stopped = true
    wake.interrupt()
  }
  const onKey = (b: Buffer) => {
    const k = b.toString()
    if (k === 'q' || k === 'Q' || k.includes('\x03') || k.includes('\x04')) stop()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.on('SIGHUP', stop)
  // A reader that went away (| head -1) ends the watch quietly at the next change.
  process.stdout.on('error', stop)
  const rawIn = tty && !!process.stdin.isTTY
  if (tty) {
    process.stdout.write(ENTER)
    process.stdout.on('resize', draw)
    if (rawIn) {
      process.stdin.setRawMode(true)
      process.stdin.on('data', onKey)
      process.stdin.resume()
    }
  }
  try {
    let sig = await w.signature()
    show(await w.snapshot())
    while (!stopped) {
      await wake.wait(o.intervalMs)
      if (stopped) break
      const now = await w.signature()
      if (now === sig) continue
      sig = now
      show(await w.snapshot())
    }
  } finally {
    wake.close()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    process.off('SIGHUP', stop)
    if (tty) {
      process.stdout.off('resize', draw)
      if (rawIn) {
        process.stdin.off('data', onKey)
        process.stdin.setRawMode(false)
        process.stdin.pause()
      }
      process.stdout.write(LEAVE)
    }
  }
}
