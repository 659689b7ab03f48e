// The order of events across the logs (events.jsonl and each domain's own log),
// independent of real time when the clock is fixed: every event's `at` is a
// hybrid logical clock — one more than the last `at` of every log the writing
// transaction holds the scope of, and at least the clock's reading (0 under a
// fixed DLMCTL_CLOCK). An event that happened after another under an
// overlapping scope always sorts after it; events of independent domains tie-
// break by log (file) order, so the merge is deterministic.
import {errnoOf, io} from '../store/io.js'

const TAIL = 64 * 1024
/** How much of an event log's end is enough to find its last event (Reader.tail). */
export const EVENT_TAIL = TAIL

/** `at` of the last complete line of an event log (0 when empty or missing). */
export async function lastEventAt(src: string | Buffer): Promise<number> {
  let tail: Buffer
  if (Buffer.isBuffer(src)) tail = src.subarray(Math.max(0, src.length - TAIL * 16))
  else {
    let fh
    try {
      fh = await io.open(src, 'r')
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return 0
      throw e
    }
    try {
      const size = (await io.fstat(fh)).size
      const n = Math.min(size, TAIL)
      tail = Buffer.alloc(n)
      await io.read(fh, tail, size - n)
    } finally {
      await io.close(fh)
    }
  }
  const lines = tail.toString('utf8').split('\n')
  // The last line is '' after a final newline; a torn one, or the first (maybe cut), is skipped.
  for (let i = lines.length - 2; i >= 1 || (i === 0 && tail.length < TAIL); i--) {
    try {
      const at = (JSON.parse(lines[i]) as {at?: unknown}).at
      if (typeof at === 'number' && Number.isFinite(at)) return at
    } catch {
      // not a whole event line: look at the one before
    }
  }
  return 0
}

/**
 * Give a transaction's events their `at`: the transaction's tick (one whole unit
 * after every event of `logs`, and not before the clock's reading), plus a
 * fraction for the order they were made in within it.
 */
export async function stampEvents(evs: {ev: {at: number}}[], logs: (string | Buffer)[]): Promise<void> {
  if (evs.length === 0) return
  let last = 0
  for (const l of logs) last = Math.max(last, await lastEventAt(l))
  const tick = Math.max(Math.floor(last) + 1, ...evs.map((e) => Math.floor(e.ev.at)))
  evs.forEach((e, i) => (e.ev.at = tick + Math.min(i, 1023) / 1024))
}
