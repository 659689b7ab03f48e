// Writers of one process take turns on a scope (etcd backend only). Across
// processes etcd's compares arbitrate (optimistic: a lost race reruns); within
// one process, flows that share a scope (recover fs1 fs2 runs both domains at
// once, and both commit under membership) would only make each other lose
// races, and under load a long transaction could lose them until --wait (found:
// recover fs1 fs2 reported fs2 BUSY, 4 races lost in 10 s, to fs1's commits).
// On a directory the kernel's OFD locks make them take turns; this does the same
// here, FIFO per scope, the scopes taken in sorted order (no deadlock). It is
// not a lock for safety: the compares still decide every commit. A writer
// started inside another's turn (a test's stand-in for another process) does
// not queue: it races, as another process would.
import {AsyncLocalStorage} from 'node:async_hooks'

const tails = new Map<string, Promise<void>>()
const inside = new AsyncLocalStorage<true>()

/** Run fn once every earlier writer of this process on `state` that shares one of `scopes` has finished. */
export async function inTurn<T>(state: string, scopes: string[], fn: () => Promise<T>): Promise<T> {
  if (inside.getStore()) return fn()
  const releases: (() => void)[] = []
  try {
    for (const sc of [...new Set(scopes)].sort().map((s) => `${state}\0${s}`)) {
      const prev = tails.get(sc) ?? Promise.resolve()
      let done!: () => void
      const mine = new Promise<void>((r) => (done = r))
      const tail = prev.then(() => mine)
      tails.set(sc, tail)
      releases.push(() => {
        done()
        // The last in line leaves no entry behind.
        if (tails.get(sc) === tail) tails.delete(sc)
      })
      await prev
    }
    return await inside.run(true, fn)
  } finally {
    for (const r of releases) r()
  }
}
