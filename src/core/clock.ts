// Time: DLMCTL_CLOCK (an ISO time) fixes "now" so output is byte-identical from
// run to run. `order()` is real time, the floor of an event's logical order
// (eventorder.ts); 0 under a fixed clock, so the order never depends on real time.
import {DlmError} from '../errors.js'

export interface Clock {
  now(): string
  order(): number
  /** True when DLMCTL_CLOCK fixes the time: durations are then reported as 0 (output stays byte-identical). */
  fixed?: boolean
}

export function systemClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const fixed = env.DLMCTL_CLOCK
  let now: () => string = () => new Date().toISOString()
  let isFixed = false
  if (fixed !== undefined && fixed !== '') {
    const t = Date.parse(fixed)
    if (Number.isNaN(t)) throw new DlmError('USAGE', `DLMCTL_CLOCK='${fixed}' is not an ISO time (e.g. 2026-01-01T00:00:00Z)`)
    const iso = new Date(t).toISOString()
    now = () => iso
    isFixed = true
  }
  const order = isFixed ? () => 0 : () => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000
  return {now, fixed: isFixed, order}
}
