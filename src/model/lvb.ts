// Lock value blocks as Linux DLM moves them (fs/dlm/lock.c, dlm_lvb_operations)
// and as VMS $ENQ/$DEQ do: when a lock is granted a mode, it either reads the
// resource's value block, writes it, or leaves it alone, by its granted mode
// before and the mode it is granted. Only a PW or EX holder writes, and only as it
// releases, converts down or converts to the same mode: an up-conversion and a new
// request read. A write happens when that grant happens (a queued conversion
// writes nothing until granted; a cancelled one never), and it makes the value
// valid again: the writer has just established it.
import {refused} from '../errors.js'
import {MODES, isWriteMode, type Mode} from './modes.js'
import type {Lock, Resource} from './types.js'

export type LvbOp = 'read' | 'write' | 'none'

/** What granting `to` to a lock that holds `from` does to the value block (`from` undefined: a new request). */
export function lvbOperation(from: Mode | undefined, to: Mode | 'release' | 'cancel'): LvbOp {
  if (to === 'cancel') return 'none'
  if (to === 'release') return from !== undefined && isWriteMode(from) ? 'write' : 'none'
  if (from === undefined) return 'read'
  // A writer writes on every conversion but PW→EX, which is an up-conversion and reads.
  if (isWriteMode(from)) return from === 'PW' && to === 'EX' ? 'read' : 'write'
  // NL, CR, CW, PR: up (or the same mode) reads, down leaves the value block alone.
  return MODES.indexOf(to) >= MODES.indexOf(from) ? 'read' : 'none'
}

/**
 * Apply an operation as the grant happens. `value` is the caller's value block
 * (`--lvb`): a write without one writes nothing (as a Linux caller without
 * DLM_LKF_VALBLK), and the lock keeps the value it had.
 */
export function applyLvb(res: Resource, lock: Lock, op: LvbOp, value?: string): void {
  if (op === 'read') lock.lvb = res.lvb
  else if (op === 'write' && value !== undefined) {
    res.lvb = value
    res.lvbValid = true
    lock.lvb = value
  }
}

/** Granted holders that may write the value block now (PW or EX), in queue order. */
export function writersOf(res: Resource): Lock[] {
  return [...res.grantQueue, ...res.convertQueue].filter((l) => isWriteMode(l.mode))
}

function whoWrites(res: Resource, except?: Lock): string {
  const w = writersOf(res).filter((l) => l !== except)
  if (w.length === 0) return `; no lock holds ${res.name} in PW or EX now: take one, then convert it to the same mode with --lvb`
  return `; it may be written by ${w.map((l) => `lock ${l.id} (${l.node}, ${l.mode})`).join(', ')}`
}

const RULE = 'only a granted PW or EX holder writes the value block, as it releases, converts down or converts to the same mode'

/**
 * LVB_NOT_WRITER: `--lvb` given where the value block is not written. `lock`
 * undefined: a new request. The message says which holder and mode may write.
 */
export function notWriter(res: Resource, lock: Lock | undefined, to: Mode | 'release', status?: 'granted' | 'converting' | 'waiting') {
  const detail = {resource: res.name, writers: writersOf(res).map((l) => ({lockId: l.id, node: l.node, mode: l.mode}))}
  let why: string
  if (!lock) why = `a new ${to} request only reads the value block of ${res.name}`
  else if (status === 'waiting') why = `lock ${lock.id} is waiting: it holds nothing and writes nothing`
  else if (isWriteMode(lock.mode)) {
    // Only PW→EX reaches here: an up-conversion reads.
    why = `lock ${lock.id} converting ${lock.mode}→${to} is an up-conversion, which only reads the value block; lock ${lock.id} writes it as it releases or converts to ${lock.mode} or lower (--mode ${lock.mode} --lvb …)`
    return refused('LVB_NOT_WRITER', `${why}; ${RULE}`, detail)
  } else why = `lock ${lock.id} holds ${lock.mode}`
  return refused('LVB_NOT_WRITER', `${why}: ${RULE}${whoWrites(res, lock)}`, detail)
}
