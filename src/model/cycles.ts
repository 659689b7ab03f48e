// Deadlock cycles across the resources and nodes of one domain. Linux DLM
// detects only conversion deadlocks on one resource (refused here with
// DEADLOCK) and leaves the rest to the application; VMS cancels a victim.
// dlmctl only shows them: no victim is chosen.
//
// The wait-for graph has a vertex per lock and two kinds of edge:
//  - waits-on: a waiting or converting lock → each lock that blocks it on its
//    resource, by the rules that grant (blockers.ts);
//  - holds: a lock held (granted or converting) by a node → each other waiting or
//    converting lock of that node: a node does not let go of what it holds while
//    it waits ("n1 holds x and waits for y; n2 holds y and waits for x").
// A cycle is an elementary cycle of that graph (one that merely detours through
// more locks of another is left out). A dead node waits for nothing (its
// requests and conversions were withdrawn at its death), so its orphans have no
// "holds" edge and close no cycle; an orphan that also blocks a wait of a cycle is
// reported with it, as validate alone releases it.
import {directBlockers, type BlockReason} from './blockers.js'
import type {Lock, Resource} from './types.js'

export interface CycleEdge {
  from: number
  to: number
  kind: 'waits-on' | 'holds'
  /** For waits-on: why `to` blocks `from`. */
  reason?: BlockReason
}

export interface Cycle {
  /** Lock ids in cycle order, starting from the smallest; each waits on or is held with the next. */
  locks: number[]
  edges: CycleEdge[]
  /** Held by live nodes (granted or converting): releasing any one breaks the cycle. */
  release: number[]
  /** Waiting, or converting with its conversion on the cycle: cancelling any one breaks it. */
  cancel: number[]
  /** Orphans of dead nodes that also block a wait of the cycle: only validate releases them. */
  orphans: number[]
}

export interface CycleSearch {
  cycles: Cycle[]
  /** The search stopped at `limit` cycles. */
  truncated: boolean
}

interface Vertex {
  lock: Lock
  res: Resource
  status: 'granted' | 'converting' | 'waiting'
  out: CycleEdge[]
}

export interface CycleOptions {
  /** Is the node up? Locks of other nodes are orphans. */
  isUp: (node: string) => boolean
  /** Waits on these resources are by design (deadman, recovery) and join no cycle. */
  waitsByDesign?: (resource: string) => boolean
  /** Stop after this many cycles (default 1000). */
  limit?: number
}

/** Every elementary cycle of the domain's wait-for graph (`resources`: all of the domain's). */
export function findCycles(resources: Iterable<Resource>, opts: CycleOptions): CycleSearch {
  const limit = opts.limit ?? 1000
  const vertices = new Map<number, Vertex>()
  const vertex = (lock: Lock, res: Resource): Vertex => {
    let v = vertices.get(lock.id)
    if (!v) {
      const status = res.waitQueue.includes(lock) ? 'waiting' : res.convertQueue.includes(lock) ? 'converting' : 'granted'
      v = {lock, res, status, out: []}
      vertices.set(lock.id, v)
    }
    return v
  }
  const waitsOf = new Map<string, Vertex[]>()
  const orphanBlockers = new Map<number, number[]>()
  for (const res of resources) {
    if (res.convertQueue.length === 0 && res.waitQueue.length === 0) continue
    if (opts.waitsByDesign?.(res.name)) continue
    for (const w of [...res.convertQueue, ...res.waitQueue]) {
      const v = vertex(w, res)
      for (const b of directBlockers(res, w)) {
        vertex(b.lock, res)
        v.out.push({from: w.id, to: b.lock.id, kind: 'waits-on', reason: b.reason})
        if (!opts.isUp(b.lock.node)) orphanBlockers.set(w.id, [...(orphanBlockers.get(w.id) ?? []), b.lock.id])
      }
      if (opts.isUp(w.node)) waitsOf.set(w.node, [...(waitsOf.get(w.node) ?? []), v])
    }
  }
  // A held lock's node waits for everything else it waits on.
  for (const v of vertices.values()) {
    if (v.status === 'waiting' || !opts.isUp(v.lock.node)) continue
    for (const w of waitsOf.get(v.lock.node) ?? []) {
      // One edge per pair: a wait already there (a conversion ahead of its own node's) says it.
      if (w !== v && !v.out.some((e) => e.to === w.lock.id)) v.out.push({from: v.lock.id, to: w.lock.id, kind: 'holds'})
    }
  }
  const found = elementaryCycles(vertices, limit, (path, edges) => describe(path.map((id) => vertices.get(id)!), edges, orphanBlockers, opts.isUp))
  return {cycles: withoutDetours(found.cycles), truncated: found.truncated}
}

/**
 * A cycle whose locks include all of another's is the same deadlock taking a
 * detour (through a request queued ahead, FIFO): shown once, as the shorter.
 */
function withoutDetours(cycles: Cycle[]): Cycle[] {
  const sets = cycles.map((c) => new Set(c.locks))
  return cycles.filter((c, i) => !sets.some((other, j) => j !== i && other.size < sets[i].size && [...other].every((id) => sets[i].has(id))))
}

function describe(path: Vertex[], edges: CycleEdge[], orphanBlockers: Map<number, number[]>, isUp: (n: string) => boolean): Cycle {
  const release = path.filter((v) => v.status !== 'waiting' && isUp(v.lock.node)).map((v) => v.lock.id)
  // Cancelling withdraws a wait: it breaks the cycle when the cycle leaves that lock by its wait.
  const cancel = path.filter((v, i) => v.status !== 'granted' && edges[i].kind === 'waits-on').map((v) => v.lock.id)
  const orphans = [...new Set(path.flatMap((v) => orphanBlockers.get(v.lock.id) ?? []))].sort((a, b) => a - b)
  return {locks: path.map((v) => v.lock.id), edges, release: release.sort((a, b) => a - b), cancel: cancel.sort((a, b) => a - b), orphans}
}

/**
 * Elementary cycles by depth-first search from each vertex in id order, visiting
 * only larger ids (each cycle found once, from its smallest lock), within the
 * vertex's strongly connected component (nothing outside it can be on a cycle).
 */
function elementaryCycles(
  vertices: Map<number, Vertex>,
  limit: number,
  make: (path: number[], edges: CycleEdge[]) => Cycle,
): CycleSearch {
  const comp = components(vertices)
  const cycles: Cycle[] = []
  let truncated = false
  const ids = [...vertices.keys()].sort((a, b) => a - b)
  for (const start of ids) {
    if (truncated) break
    const path: number[] = [start]
    const edges: CycleEdge[] = []
    const onPath = new Set([start])
    const walk = (id: number): void => {
      for (const e of vertices.get(id)!.out) {
        if (truncated) return
        if (e.to === start) {
          if (cycles.length >= limit) {
            truncated = true
            return
          }
          cycles.push(make([...path], [...edges, e]))
        } else if (e.to > start && !onPath.has(e.to) && comp.get(e.to) === comp.get(start)) {
          path.push(e.to)
          edges.push(e)
          onPath.add(e.to)
          walk(e.to)
          onPath.delete(e.to)
          edges.pop()
          path.pop()
        }
      }
    }
    walk(start)
  }
  return {cycles, truncated}
}

/** Strongly connected components (Tarjan, iterative): vertex id → component number. */
function components(vertices: Map<number, Vertex>): Map<number, number> {
  const index = new Map<number, number>()
  const low = new Map<number, number>()
  const comp = new Map<number, number>()
  const stack: number[] = []
  const onStack = new Set<number>()
  let next = 0
  let count = 0
  for (const root of vertices.keys()) {
    if (index.has(root)) continue
    const work: {id: number; edge: number}[] = [{id: root, edge: 0}]
    index.set(root, next)
    low.set(root, next++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const top = work[work.length - 1]
      const out = vertices.get(top.id)!.out
      if (top.edge < out.length) {
        const to = out[top.edge++].to
        if (!index.has(to)) {
          index.set(to, next)
          low.set(to, next++)
          stack.push(to)
          onStack.add(to)
          work.push({id: to, edge: 0})
        } else if (onStack.has(to)) low.set(top.id, Math.min(low.get(top.id)!, index.get(to)!))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1].id
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!))
      }
      if (low.get(top.id) === index.get(top.id)) {
        let v: number
        do {
          v = stack.pop()!
          onStack.delete(v)
          comp.set(v, count)
        } while (v !== top.id)
        count++
      }
    }
  }
  return comp
}
