// The loop of `events --follow`: every event so far, then each event as it is
// appended, until Ctrl-C or SIGTERM (which end it with status 0). Human: one
// line per event; --json: one JSON object per line (JSON Lines).
import {withView, type Ctx} from '../core/context.js'
import type {EventFilter} from '../core/eventfilter.js'
import {follower} from '../core/follow.js'
import {renderEventLine} from '../render/listing.js'
import {changeWake} from '../core/wake.js'

export async function runFollow(ctx: Ctx, f: EventFilter, o: {intervalMs: number; json: boolean}): Promise<void> {
  await withView(ctx, [], (s) => s.cluster()) // a state directory, or NO_STATE now rather than silence
  const wake = await changeWake(ctx)
  const fl = follower(ctx, f)
  let stopped = false
  const stop = () => {
    stopped = true
    wake.interrupt()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.on('SIGHUP', stop)
  // A reader that went away (| head) ends the follow quietly.
  process.stdout.on('error', stop)
  try {
    while (!stopped) {
      const evs = await fl.poll()
      if (evs.length) process.stdout.write(evs.map((e) => (o.json ? JSON.stringify(e) : renderEventLine(e))).join('\n') + '\n')
      await wake.wait(o.intervalMs)
    }
  } finally {
    wake.close()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    process.off('SIGHUP', stop)
  }
}
