// `lock blockers <fs> --cycles` and the deadlock part of `lock explain`: the
// cycles of a domain's wait-for graph (src/model/cycles.ts) as lock objects.
import {findCycles, type Cycle, type CycleEdge} from '../model/cycles.js'
import {DEADMAN_PREFIX, recoveryResource} from '../model/domain.js'
import {directBlockers} from '../model/blockers.js'
import {lockStatus} from '../model/resource.js'
import type {Membership, Resource} from '../model/types.js'
import {lockView, type LockView} from '../model/validity.js'
import {withView, scopes, type Ctx} from './context.js'
import type {DomainSession, FoundLock} from './domain-session.js'

export interface CycleView {
  /** The locks of the cycle in order: each waits on the next, or is held by the node whose next lock waits. */
  locks: LockView[]
  edges: CycleEdge[]
  nodes: string[]
  resources: string[]
  release: number[]
  cancel: number[]
  orphans: LockView[]
}

/** Waits that are part of the design, not of an application: deadman PRs and the recovery lock's waiters. */
function waitsByDesign(fs: string): (resource: string) => boolean {
  return (r) => r.startsWith(DEADMAN_PREFIX) || r === recoveryResource(fs)
}

function views(d: DomainSession, m: Membership, resources: Resource[], cycles: Cycle[]): CycleView[] {
  // Every lock of a cycle, and every orphan listed with one, is on a resource where something waits.
  const where = new Map<number, Resource>()
  if (cycles.length > 0) {
    for (const res of resources) {
      if (res.convertQueue.length === 0 && res.waitQueue.length === 0) continue
      for (const l of [...res.grantQueue, ...res.convertQueue, ...res.waitQueue]) where.set(l.id, res)
    }
  }
  const state = (node: string) => m.nodes.find((n) => n.name === node)?.state
  const view = (id: number): LockView => {
    const res = where.get(id)!
    const lock = [...res.grantQueue, ...res.convertQueue, ...res.waitQueue].find((l) => l.id === id)!
    return lockView(lock, res, d.meta, state(lock.node), lockStatus(res, lock))
  }
  return cycles.map((c) => {
    const locks = c.locks.map(view)
    return {
      locks,
      edges: c.edges,
      nodes: [...new Set(locks.map((l) => l.node))],
      resources: [...new Set(locks.map((l) => l.resource))],
      release: c.release,
      cancel: c.cancel,
      orphans: c.orphans.map(view),
    }
  })
}

async function search(d: DomainSession, m: Membership) {
  const up = new Set(m.nodes.filter((n) => n.state === 'up').map((n) => n.name))
  const resources = await d.allResources()
  const r = findCycles(resources, {isUp: (n) => up.has(n), waitsByDesign: waitsByDesign(d.name)})
  return {cycles: views(d, m, resources, r.cycles), truncated: r.truncated}
}

/** Every deadlock cycle of the domain. */
export async function cyclesOp(ctx: Ctx, fs: string): Promise<{domain: string; cycles: CycleView[]; truncated: boolean}> {
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    return {domain: fs, ...(await search(d, await s.membership()))}
  })
}

/**
 * The cycles through one lock. A granted lock that blocks nothing on its resource
 * has no edge into it and is on no cycle: then the domain is not read at all.
 */
export async function cyclesThrough(d: DomainSession, m: Membership, f: FoundLock): Promise<CycleView[]> {
  if (f.status === 'granted') {
    const blocksSomething = [...f.res.convertQueue, ...f.res.waitQueue].some((w) => directBlockers(f.res, w).some((b) => b.lock === f.lock))
    if (!blocksSomething || waitsByDesign(d.name)(f.res.name)) return []
  }
  const {cycles} = await search(d, m)
  return cycles.filter((c) => c.locks.some((l) => l.lockId === f.lock.id))
}
