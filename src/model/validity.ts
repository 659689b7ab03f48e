// Validity is derived, never stored: from the domain's state, the holder's
// state and the resource's value block.
import {lockStatus} from './resource.js'
import type {DomainMeta, Lock, LockStatus, NodeState, Resource} from './types.js'
import type {Mode} from './modes.js'

export type InvalidReason = 'DOMAIN_RECOVERING' | 'ORPHANED' | 'VALNOTVALID'

export function invalidReasons(
  lock: Lock,
  res: Resource,
  domain: DomainMeta,
  holderState: NodeState | undefined,
): InvalidReason[] {
  const reasons: InvalidReason[] = []
  // Every persistent lock of a recovering domain answers invalid until validate.
  if (lock.persistent && domain.state === 'recovering') reasons.push('DOMAIN_RECOVERING')
  // Only persistent locks outlive their holder, as orphans.
  if (holderState !== 'up') reasons.push('ORPHANED')
  if (!res.lvbValid) reasons.push('VALNOTVALID')
  return reasons
}

/** A lock as shown to operators and in --json (SPEC §2). */
export interface LockView {
  lockId: number
  domain: string
  resource: string
  node: string
  mode: Mode
  status: LockStatus
  requestedMode?: Mode
  persistent: boolean
  valid: boolean
  invalidReasons: InvalidReason[]
  lvb: string
}

export function lockView(
  lock: Lock,
  res: Resource,
  domain: DomainMeta,
  holderState: NodeState | undefined,
  status: LockStatus = lockStatus(res, lock),
): LockView {
  const reasons = invalidReasons(lock, res, domain, holderState)
  // Two literals (one shape each) rather than spreads: a listing makes a million of these.
  // A waiting request has read nothing yet: show what it would read now.
  if (status === 'granted') {
    return {lockId: lock.id, domain: domain.name, resource: res.name, node: lock.node, mode: lock.mode, status, persistent: lock.persistent, valid: reasons.length === 0, invalidReasons: reasons, lvb: lock.lvb}
  }
  const v: LockView = {
    lockId: lock.id,
    domain: domain.name,
    resource: res.name,
    node: lock.node,
    mode: lock.mode,
    status,
    requestedMode: status === 'converting' ? lock.requestedMode : lock.mode,
    persistent: lock.persistent,
    valid: reasons.length === 0,
    invalidReasons: reasons,
    lvb: status === 'waiting' ? res.lvb : lock.lvb,
  }
  return v
}
