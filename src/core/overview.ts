// The cluster's shape in numbers, read inside a view: lock counts of a domain,
// the committed records each dead node's journal still holds past its replay
// point, the most blocked resources. status, metrics and the live view share it.
import {lockStatus, allLocks} from '../model/resource.js'
import type {Membership} from '../model/types.js'
import {lockView, type LockView} from '../model/validity.js'
import {scanJournal} from '../journal/scan.js'
import {BUCKETS, bucketDir, bucketFileName} from '../store/layout.js'
import type {ClusterState} from './state.js'
import type {DomainSession} from './domain-session.js'
import {countLocks, type LockCounts} from './summary.js'

/**
 * The bucket files a domain has (as the view sees them, pending commits included):
 * a small domain has a few of its 256, and status on a small cluster is a
 * start-up budget (SPEC §5), so the missing ones are not even opened.
 */
async function presentBuckets(s: ClusterState, d: DomainSession): Promise<number[]> {
  const names = new Set(await s.io.list(bucketDir(d.name)))
  const out: number[] = []
  for (let b = 0; b < BUCKETS; b++) if (names.has(bucketFileName(b))) out.push(b)
  return out
}

/** Every lock of a domain as it is shown, one at a time (each bucket read once). */
export async function* domainLockViews(s: ClusterState, d: DomainSession, m: Membership): AsyncGenerator<LockView> {
  const state = new Map(m.nodes.map((n) => [n.name, n.state]))
  const buckets = await presentBuckets(s, d)
  // Read concurrently (disk and parser overlap), then walk in bucket order.
  const all = await Promise.all(buckets.map((b) => d.resourcesInBucket(b)))
  for (const resources of all) {
    for (const res of resources) for (const lock of allLocks(res)) yield lockView(lock, res, d.meta, state.get(lock.node), lockStatus(res, lock))
  }
}

/** Lock views of a domain as a plain array (for the pure summaries). */
export async function domainLocks(s: ClusterState, d: DomainSession, m: Membership): Promise<LockView[]> {
  const out: LockView[] = []
  for await (const v of domainLockViews(s, d, m)) out.push(v)
  return out
}

export async function domainCounts(s: ClusterState, d: DomainSession, m: Membership): Promise<LockCounts> {
  return countLocks(await domainLocks(s, d, m))
}

/**
 * Committed set/del records of each dead node's journal past its replay point:
 * what replay still has to apply (what a forced validate would abandon).
 */
export async function unreplayedRecords(s: ClusterState, d: DomainSession): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const node of d.meta.deadNodes) {
    const p = await s.journalPoint(d.name, node)
    const r = await scanJournal(await s.journalSource(d.name, node), p.offset)
    out[node] = r.committed
  }
  return out
}
