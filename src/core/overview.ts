// The cluster's shape in numbers, read inside a view: lock counts of a domain,
// the committed records each dead node's journal still holds past its replay
// point, the most blocked resources. status, metrics and the live view share it.
import {join} from 'node:path'
import {lockStatus, allLocks} from '../model/resource.js'
import type {Membership} from '../model/types.js'
import {lockView, type LockView} from '../model/validity.js'
import {scanJournal} from '../journal/scan.js'
import {journalFile} from '../store/layout.js'
import type {ClusterState, DomainSession} from './state.js'
import {countLocks, type LockCounts} from './summary.js'

/** Every lock of a domain as it is shown, one at a time (the buckets are read once). */
export async function* domainLockViews(d: DomainSession, m: Membership): AsyncGenerator<LockView> {
  const state = new Map(m.nodes.map((n) => [n.name, n.state]))
  for (const res of await d.allResources({sorted: false})) {
    for (const lock of allLocks(res)) yield lockView(lock, res, d.meta, state.get(lock.node), lockStatus(res, lock))
  }
}

/** Lock views of a domain as a plain array (for the pure summaries). */
export async function domainLocks(d: DomainSession, m: Membership): Promise<LockView[]> {
  const out: LockView[] = []
  for await (const v of domainLockViews(d, m)) out.push(v)
  return out
}

export async function domainCounts(d: DomainSession, m: Membership): Promise<LockCounts> {
  return countLocks(await domainLocks(d, m))
}

/**
 * Committed set/del records of each dead node's journal past its replay point:
 * what replay still has to apply (what a forced validate would abandon).
 */
export async function unreplayedRecords(s: ClusterState, d: DomainSession): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const node of d.meta.deadNodes) {
    const p = await s.journalPoint(d.name, node)
    const r = await scanJournal(join(s.root, journalFile(d.name, node)), p.offset)
    out[node] = r.committed
  }
  return out
}
