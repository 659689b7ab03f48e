// One resource's queues: grant, convert and wait, with the VAXcluster rules that
// OpenVMS and Linux DLM follow (fs/dlm/lock.c, _can_be_granted). Functions take
// the resource they change (the caller owns it) and never do I/O.
import {refused} from '../errors.js'
import {applyLvb, lvbOperation, notWriter} from './lvb.js'
import {MODES, compatible, type Mode} from './modes.js'
import type {Lock, LockStatus, Resource} from './types.js'

export function newResource(name: string, lvbSize: number): Resource {
  return {name, lvb: zeroLvb(lvbSize), lvbValid: true, persistent: false, grantQueue: [], convertQueue: [], waitQueue: []}
}

export function zeroLvb(size: number): string {
  return '0'.repeat(size * 2)
}

/** A resource with no locks and nothing worth remembering can be forgotten. */
export function isIdle(res: Resource, lvbSize: number): boolean {
  return (
    res.grantQueue.length === 0 &&
    res.convertQueue.length === 0 &&
    res.waitQueue.length === 0 &&
    !res.persistent &&
    res.lvbValid &&
    res.lvb === zeroLvb(lvbSize)
  )
}

export function lockStatus(res: Resource, lock: Lock): LockStatus {
  if (res.waitQueue.includes(lock)) return 'waiting'
  if (res.convertQueue.includes(lock)) return 'converting'
  return 'granted'
}

export function findLock(res: Resource, id: number): {lock: Lock; status: LockStatus} | undefined {
  for (const [queue, status] of [
    [res.grantQueue, 'granted'],
    [res.convertQueue, 'converting'],
    [res.waitQueue, 'waiting'],
  ] as const) {
    const lock = queue.find((l) => l.id === id)
    if (lock) return {lock, status}
  }
  return undefined
}

/** Every lock on the resource, granted first, then converting, then waiting. */
export function allLocks(res: Resource): Lock[] {
  return [...res.grantQueue, ...res.convertQueue, ...res.waitQueue]
}

/** Locks holding a granted mode (granted or converting), except `except`. */
function holders(res: Resource, except?: Lock): Lock[] {
  return [...res.grantQueue, ...res.convertQueue].filter((l) => l !== except)
}

function compatibleWithHolders(res: Resource, mode: Mode, except?: Lock): boolean {
  return holders(res, except).every((h) => compatible(mode, h.mode))
}

/** A queued lock is granted: a new request reads the value block, a conversion does what the table says (lvb.ts). */
function grant(res: Resource, lock: Lock): void {
  if (lock.requestedMode !== undefined) {
    const op = lvbOperation(lock.mode, lock.requestedMode)
    lock.mode = lock.requestedMode
    delete lock.requestedMode
    applyLvb(res, lock, op, lock.writeLvb)
  } else applyLvb(res, lock, 'read')
  // A value kept for this grant is spent (or, from a request of an older version, never written: requests only read).
  delete lock.writeLvb
}

export interface RequestSpec {
  id: number
  node: string
  mode: Mode
  persistent: boolean
  noqueue?: boolean
  /** A value block to write: always refused (LVB_NOT_WRITER), a new lock only reads. */
  lvb?: string
}

/** A new request: granted at once or queued at the end of the wait queue. */
export function requestLock(res: Resource, spec: RequestSpec): Lock {
  if (spec.lvb !== undefined) throw notWriter(res, undefined, spec.mode)
  const lock: Lock = {id: spec.id, node: spec.node, mode: spec.mode, persistent: spec.persistent, lvb: res.lvb}
  // No queue jumping: a new request is granted only if nobody is queued ahead of it.
  const grantable =
    res.convertQueue.length === 0 && res.waitQueue.length === 0 && compatibleWithHolders(res, spec.mode)
  if (!grantable && spec.noqueue) {
    // Refused: no lock was made, so the resource (and its persistent flag) is unchanged.
    throw refused('NOTQUEUED', `${spec.mode} on ${res.name} cannot be granted now and --noqueue was given`, {
      resource: res.name,
    })
  }
  if (spec.persistent) res.persistent = true
  if (grantable) {
    grant(res, lock)
    res.grantQueue.push(lock)
    return lock
  }
  res.waitQueue.push(lock)
  return lock
}

export interface ConvertSpec {
  mode: Mode
  noqueue?: boolean
  /** The value block to write, where the conversion writes (lvb.ts); refused elsewhere. */
  lvb?: string
  /** VMS LCK$M_QUECVT / Linux DLM_LKF_QUECVT: go behind the conversions already queued, even if grantable now. */
  quecvt?: boolean
}

/** `to` is not weaker than or equal to `from`: a conversion that may have to wait (the only kind QUECVT takes). */
export function isUpConversion(from: Mode, to: Mode): boolean {
  return to !== from && !MODES.every((o) => !compatible(from, o) || compatible(to, o))
}

/**
 * Convert a granted lock. Granted in place if compatible with every other holder
 * (so a down-conversion never waits) and, with QUECVT, no conversion is queued
 * ahead; otherwise queued on the convert queue keeping its granted mode, or
 * refused with NOTQUEUED / DEADLOCK. The value block moves as the grant happens.
 */
export function convertLock(res: Resource, id: number, spec: ConvertSpec): Lock {
  const found = findLock(res, id)
  if (!found) throw new Error(`lock ${id} not on ${res.name}`)
  const {lock, status} = found
  if (status === 'waiting') throw refused('NOT_GRANTED', `lock ${id} is still waiting; release it (or convert --cancel) to withdraw the request`)
  if (status === 'converting') {
    throw refused('CONVERSION_PENDING', `lock ${id} already waits to convert to ${lock.requestedMode} (use --cancel first)`)
  }
  if (spec.quecvt && !isUpConversion(lock.mode, spec.mode)) {
    throw refused('QUECVT_NOT_UP', `lock ${id} holds ${lock.mode}: --quecvt takes only a conversion to a stronger mode (${lock.mode}→${spec.mode} is granted at once without it)`)
  }
  const op = lvbOperation(lock.mode, spec.mode)
  if (spec.lvb !== undefined && op !== 'write') throw notWriter(res, lock, spec.mode, status)
  // QUECVT: grantable now only when no conversion waits ahead (going to the end of an empty queue is being granted).
  if (compatibleWithHolders(res, spec.mode, lock) && !(spec.quecvt && res.convertQueue.length > 0)) {
    applyLvb(res, lock, op, spec.lvb)
    lock.mode = spec.mode
    serve(res)
    return lock
  }
  if (spec.noqueue) {
    throw refused('NOTQUEUED', `lock ${id} cannot convert to ${spec.mode} now and --noqueue was given`, {resource: res.name})
  }
  // Queued, this conversion would wait behind every conversion already queued (the convert
  // queue is served FIFO): if one of those waits on this lock's granted mode, neither ever
  // finishes (Linux DLM's conversion_deadlock_detect).
  const cycle = res.convertQueue.find((other) => !compatible(other.requestedMode!, lock.mode))
  if (cycle) {
    throw refused(
      'DEADLOCK',
      `converting lock ${id} to ${spec.mode} would deadlock with lock ${cycle.id} (${cycle.mode}→${cycle.requestedMode}); lock ${id} keeps ${lock.mode}`,
      {resource: res.name, with: cycle.id},
    )
  }
  // Written when granted, not now (a writing conversion is always grantable at once, so this is for completeness).
  if (spec.lvb !== undefined) lock.writeLvb = spec.lvb
  res.grantQueue.splice(res.grantQueue.indexOf(lock), 1)
  lock.requestedMode = spec.mode
  res.convertQueue.push(lock)
  return lock
}

/**
 * Withdraw a pending conversion: the lock keeps its granted mode and writes nothing.
 * Returns the lock and the locks the withdrawal let through (served, in grant order).
 */
export function cancelConversion(res: Resource, id: number): {lock: Lock; granted: Lock[]} {
  const found = findLock(res, id)
  if (!found) throw new Error(`lock ${id} not on ${res.name}`)
  if (found.status !== 'converting') throw refused('NO_CONVERSION', `lock ${id} has no pending conversion to cancel`)
  const {lock} = found
  res.convertQueue.splice(res.convertQueue.indexOf(lock), 1)
  delete lock.requestedMode
  delete lock.writeLvb
  res.grantQueue.push(lock)
  return {lock, granted: serve(res)}
}

export interface Cancelled {
  lock: Lock
  /** `conversion`: the lock keeps its granted mode; `request`: a waiting request withdrawn, the lock is gone. */
  cancelled: 'conversion' | 'request'
  /** Locks the cancel let through, in grant order. */
  granted: Lock[]
}

/**
 * Cancel what a lock waits for, as $DEQ with LCK$M_CANCEL and Linux's dlm_unlock
 * with DLM_LKF_CANCEL: a pending conversion is withdrawn (the lock keeps its
 * granted mode); a waiting request is withdrawn, the same as releasing it. A
 * granted lock waits for nothing: NO_CONVERSION.
 */
export function cancelLock(res: Resource, id: number): Cancelled {
  const found = findLock(res, id)
  if (!found) throw new Error(`lock ${id} not on ${res.name}`)
  if (found.status === 'waiting') {
    removeLock(res, found.lock)
    delete found.lock.writeLvb
    return {lock: found.lock, cancelled: 'request', granted: serve(res)}
  }
  if (found.status === 'converting') {
    const {lock, granted} = cancelConversion(res, id)
    return {lock, cancelled: 'conversion', granted}
  }
  throw refused('NO_CONVERSION', `lock ${id} is granted ${found.lock.mode} and waits for nothing: nothing to cancel (lock release to release it)`)
}

/**
 * Release: withdraws a waiting request, drops a converting lock entirely, or
 * releases a granted one (a PW/EX holder may write the value block as it goes).
 * Returns the lock and the locks the release let through (served, in grant order).
 */
export function releaseLock(res: Resource, id: number, lvb?: string): {lock: Lock; granted: Lock[]} {
  const found = findLock(res, id)
  if (!found) throw new Error(`lock ${id} not on ${res.name}`)
  const {lock, status} = found
  if (lvb !== undefined) {
    if (status === 'waiting' || lvbOperation(lock.mode, 'release') !== 'write') throw notWriter(res, lock, 'release', status)
    applyLvb(res, lock, 'write', lvb)
  }
  removeLock(res, lock)
  return {lock, granted: serve(res)}
}

/** Take a lock off whichever queue holds it (no serving). */
export function removeLock(res: Resource, lock: Lock): void {
  for (const q of [res.grantQueue, res.convertQueue, res.waitQueue]) {
    const i = q.indexOf(lock)
    if (i >= 0) {
      q.splice(i, 1)
      return
    }
  }
}

/**
 * Serve the queues after anything that may unblock them: grant the head of the
 * convert queue while it is compatible with the other holders; then, only when
 * the convert queue is empty, the head of the wait queue while compatible. Stop
 * at the first that cannot be granted. Returns the locks granted, in order.
 */
export function serve(res: Resource): Lock[] {
  const granted: Lock[] = []
  for (;;) {
    const head = res.convertQueue[0]
    if (!head || !compatibleWithHolders(res, head.requestedMode!, head)) break
    res.convertQueue.shift()
    grant(res, head)
    res.grantQueue.push(head)
    granted.push(head)
  }
  if (res.convertQueue.length > 0) return granted
  for (;;) {
    const head = res.waitQueue[0]
    if (!head || !compatibleWithHolders(res, head.mode)) break
    res.waitQueue.shift()
    grant(res, head)
    res.grantQueue.push(head)
    granted.push(head)
  }
  return granted
}
