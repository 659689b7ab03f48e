// The lock stream of a listing (streamLocks, core/locks.ts) may carry a resource's
// locks still as the bytes of its bucket line: `lock list --json` writes their views
// from those bytes (render/lock-view-lines.ts) instead of building a million objects.
import type {DomainMeta, LockStatus, NodeState} from '../model/types.js'
import type {ResourceLine} from '../store/resource-line.js'

/** What the views of a domain's locks depend on besides the locks, and which of them the listing keeps. */
export interface LineDomain {
  readonly meta: DomainMeta
  holderState(node: string): NodeState | undefined
  keep(node: string, status: LockStatus, valid: boolean): boolean
}

/** The locks of one resource of a domain, as its bucket line. */
export class LockLine {
  constructor(
    readonly line: ResourceLine,
    readonly domain: LineDomain,
  ) {}
}
