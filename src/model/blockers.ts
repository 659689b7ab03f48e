// Who blocks a lock: the wait-for relation of one resource's queues, by the
// same rules that grant (resource.ts). A waiting or converting lock is blocked by
//  - granted holders whose mode is incompatible with the mode it asks for;
//  - for a conversion, the conversions ahead of it (the convert queue is FIFO);
//  - for a new request, every pending conversion (the wait queue is served only
//    when the convert queue is empty) and the requests ahead of it (FIFO).
import {compatible} from './modes.js'
import type {Lock, Resource} from './types.js'

export type BlockReason = 'incompatible' | 'conversion-ahead' | 'convert-queue' | 'queued-ahead'

export interface Blocker {
  lock: Lock
  reason: BlockReason
}

export function directBlockers(res: Resource, lock: Lock): Blocker[] {
  const ci = res.convertQueue.indexOf(lock)
  const wi = res.waitQueue.indexOf(lock)
  if (ci < 0 && wi < 0) return [] // granted: nothing blocks it
  const wants = ci >= 0 ? lock.requestedMode! : lock.mode
  const out: Blocker[] = []
  const seen = new Set<Lock>()
  const add = (l: Lock, reason: BlockReason) => {
    if (l === lock || seen.has(l)) return
    seen.add(l)
    out.push({lock: l, reason})
  }
  for (const h of [...res.grantQueue, ...res.convertQueue]) if (h !== lock && !compatible(wants, h.mode)) add(h, 'incompatible')
  if (ci >= 0) for (const c of res.convertQueue.slice(0, ci)) add(c, 'conversion-ahead')
  else {
    for (const c of res.convertQueue) add(c, 'convert-queue')
    for (const w of res.waitQueue.slice(0, wi)) add(w, 'queued-ahead')
  }
  return out
}

export interface BlockTree {
  lock: Lock
  reason?: BlockReason
  blockedBy: BlockTree[]
  /** Already shown higher in the tree (a cycle or a shared blocker): not expanded again. */
  repeated?: boolean
}

/** The wait-for tree under `lock`, each blocker expanded once. */
export function blockTree(res: Resource, lock: Lock, reason?: BlockReason, seen = new Set<Lock>()): BlockTree {
  if (seen.has(lock)) return {lock, reason, blockedBy: [], repeated: true}
  seen.add(lock)
  return {lock, reason, blockedBy: directBlockers(res, lock).map((b) => blockTree(res, b.lock, b.reason, seen))}
}
