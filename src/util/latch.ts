// A wake-up that is not lost: fire() before anyone waits is remembered, and the
// next wait() returns at once. Used by the change feeds of status --watch and
// events --follow (a poll timer on a directory, etcd's watch stream).

export interface Latch {
  /** Resolve at the next fire() (or at once if one came since the last wait), or after `ms` (none: no time-out). */
  wait(ms: number | undefined): Promise<void>
  fire(): void
}

export function latch(): Latch {
  let pending = false
  let wake: (() => void) | undefined
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const t = ms === undefined ? undefined : setTimeout(done, ms)
        function done() {
          if (t) clearTimeout(t)
          wake = undefined
          pending = false
          resolve()
        }
        if (pending) return done()
        wake = done
      }),
    fire: () => {
      pending = true
      wake?.()
    },
  }
}
