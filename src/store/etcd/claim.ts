// recover's claim on etcd: the key `<prefix>/claim/<scope>`, created only if
// absent (a Txn comparing it absent), attached to a lease the holder keeps
// alive while it runs. A second recover waits for it (up to --wait, then BUSY
// naming the holder), as on a directory; a holder that dies loses it when its
// lease runs out (claimTtlS). The claim only makes a second recover wait: it
// protects no state. Every change is still its own Txn guarded by compares,
// so a holder paused past its lease cannot overwrite what others wrote since.
import {DlmError} from '../../errors.js'
import type {HeldLocks} from '../filelock.js'
import type {ClaimNote} from '../claim.js'
import type {EtcdStore} from './store.js'
import {claimKey} from '../layout.js'

/** The claim's lease, in seconds: 10, or DLMCTL_TEST_CLAIM_TTL_S for tests of a holder paused past it (etcd grants at least ~2). */
export function claimTtlS(env: NodeJS.ProcessEnv = process.env): number {
  const t = Number(env.DLMCTL_TEST_CLAIM_TTL_S)
  return Number.isInteger(t) && t > 0 ? t : 10
}

export async function claimOnEtcd(store: EtcdStore, scope: string, waitMs: number, note: Omit<ClaimNote, 'pid'>): Promise<HeldLocks> {
  const key = store.key(claimKey(scope))
  const deadline = Date.now() + waitMs
  // Each request must be answered within --wait; the waiting for the holder, in all, too.
  const answer = () => Date.now() + waitMs
  const ttl = claimTtlS()
  const lease = await store.client.leaseGrant(ttl, answer())
  let delay = 20
  try {
    for (;;) {
      const r = await store.client.txn([{key, modRevision: 0}], [{put: key, value: JSON.stringify({pid: process.pid, ...note}), lease}], [{get: key}], answer())
      if (r.succeeded) break
      const left = deadline - Date.now()
      if (left <= 0) {
        let h: ClaimNote | null = null
        try {
          h = JSON.parse(r.gets[0]?.[0]?.value.toString('utf8') ?? 'null') as ClaimNote | null
        } catch {
          // not a note: name no holder
        }
        const who = h && typeof h.pid === 'number' ? `${h.what} (pid ${h.pid}, since ${h.since})` : 'another dlmctl'
        throw new DlmError('BUSY', `${scope} is held by ${who}, still running after ${waitMs / 1000}s (wait for it, or give a longer --wait)`, {
          scope,
          ...(h ? {holder: h} : {}),
        })
      }
      await new Promise((res) => setTimeout(res, Math.min(left, delay)))
      delay = Math.min(delay * 2, 500)
    }
  } catch (e) {
    await store.client.leaseRevoke(lease).catch(() => {})
    throw e
  }
  // Kept alive at a third of its life; unref'd: it never keeps the process up.
  const timer = setInterval(() => void store.client.leaseKeepAlive(lease).catch(() => {}), (ttl * 1000) / 3)
  timer.unref()
  let held = true
  return {
    scopes: [scope],
    async release() {
      if (!held) return
      held = false
      clearInterval(timer)
      // Revoking the lease deletes the key; if etcd is gone, the lease runs out by itself.
      await store.client.leaseRevoke(lease).catch(() => {})
    },
  }
}
