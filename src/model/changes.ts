// Whole-domain changes as logical records. A death or a validate changes every
// resource it concerns; instead of new images of every bucket, the domain keeps
// the last such change (what happened: its kind, the node, the nodes recovered)
// and each bucket is stamped with the last change applied to it. Bringing a
// resource up to date is the same pure per-resource rule the change ran with, so
// applying it late, virtually, or twice gives exactly the state it gave at once.
import {deadmanResource, deathOfResource, validateIntoSummary, type DeathSummary, type ValidateSummary} from './domain.js'
import type {DomainMeta, LogicalChange, Resource} from './types.js'

export type {LogicalChange} from './types.js'

/** The next logical change of the domain (sequence numbers start at 1, per domain). */
export function nextChange(domain: DomainMeta, what: {kind: 'death'; node: string} | {kind: 'validate'; dead: string[]}): LogicalChange {
  const seq = (domain.change?.seq ?? 0) + 1
  return what.kind === 'death' ? {seq, kind: 'death', node: what.node, done: false} : {seq, kind: 'validate', dead: [...what.dead], done: false}
}

/** A bucket stamped `applied` still lacks the domain's last change. */
export function bucketBehind(domain: DomainMeta, applied: number): boolean {
  const c = domain.change
  return c !== undefined && !c.done && applied < c.seq
}

/** Bring ONE resource up to date with `change`; what it did goes to `into` (or is dropped). */
export function applyChange(res: Resource, change: LogicalChange, into?: DeathSummary | ValidateSummary): void {
  if (change.kind === 'death') deathOfResource(res, change.node, (into as DeathSummary | undefined) ?? scratchDeath())
  else validateIntoSummary(res, new Set(change.dead), (into as ValidateSummary | undefined) ?? scratchValidate())
}

/**
 * A conservative test on a resource's JSON text: a resource whose JSON holds none
 * of these marks is one applyChange would leave exactly as it is, so a bucket can
 * be brought up to date without parsing the resources the change does not
 * concern. It follows the per-resource rules (deathOfResource, validateResource):
 * a death concerns the resources with a lock of the node; a validate those with a
 * lock of a recovered node, their deadman resources, and value blocks not valid.
 */
export function concernMarks(change: LogicalChange): string[] {
  if (change.kind === 'death') return [`"node":${JSON.stringify(change.node)}`]
  return ['"lvbValid":false', ...change.dead.flatMap((n) => [`"node":${JSON.stringify(n)}`, `"${deadmanResource(n)}`])]
}

/** Lock ids a change removed from resources (they leave the lock index too). */
export function removedIds(s: DeathSummary | ValidateSummary): number[] {
  return 'dropped' in s ? [...s.dropped, ...s.withdrawn] : [...s.releasedOrphans, ...s.cleanedDeadman]
}

const scratchDeath = (): DeathSummary => ({domain: '', node: '', epoch: 0, orphaned: [], dropped: [], withdrawn: [], conversionsWithdrawn: [], invalidatedResources: [], granted: []})
const scratchValidate = (): ValidateSummary => ({domain: '', id: 0, result: 'VALID', replayedNodes: [], releasedOrphans: [], cleanedDeadman: [], revalidatedResources: [], granted: [], forced: false, retiredIds: []})
