// The invariants of a resource's queues, written once: `dlmctl check` reports
// them for every stored resource, and the model's property tests assert them
// after every operation. Each message starts with what it is about.
import {compatible} from './modes.js'
import type {Resource} from './types.js'

const lvbPatterns = new Map<number, RegExp>()
/** A value block of lvbSize bytes in hex (one expression per size: check tests a million). */
function lvbPattern(lvbSize: number): RegExp {
  let re = lvbPatterns.get(lvbSize)
  if (!re) lvbPatterns.set(lvbSize, (re = new RegExp(`^[0-9a-f]{${lvbSize * 2}}$`)))
  return re
}

/** What is wrong with one resource's queues and value block (empty: nothing). */
export function resourceProblems(r: Resource, lvbSize: number): string[] {
  const out: string[] = []
  const holders = [...r.grantQueue, ...r.convertQueue]
  // Granted modes (a converting lock still holds its granted one) are pairwise compatible.
  for (let i = 0; i < holders.length; i++)
    for (let j = i + 1; j < holders.length; j++)
      if (!compatible(holders[i].mode, holders[j].mode)) {
        out.push(`${r.name}: granted locks ${holders[i].id} (${holders[i].mode}) and ${holders[j].id} (${holders[j].mode}) are incompatible`)
      }
  if (!lvbPattern(lvbSize).test(r.lvb)) out.push(`${r.name}: value block is not ${lvbSize} bytes`)
  // A requested mode exactly on the convert queue; a value to write only with a queued conversion.
  for (const l of [...r.grantQueue, ...r.convertQueue, ...r.waitQueue]) {
    if (r.convertQueue.includes(l) !== (l.requestedMode !== undefined)) out.push(`lock ${l.id}: requested mode and convert queue disagree`)
    if (l.writeLvb !== undefined && !r.convertQueue.includes(l)) out.push(`lock ${l.id}: a value block to write but no conversion queued`)
  }
  // Served: nothing left that could be granted now (the convert queue first, FIFO).
  const ch = r.convertQueue[0]
  if (ch?.requestedMode !== undefined && holders.every((h) => h === ch || compatible(ch.requestedMode!, h.mode))) {
    out.push(`${r.name}: conversion of lock ${ch.id} (${ch.mode}→${ch.requestedMode}) at the head of the queue is grantable`)
  }
  const wh = r.waitQueue[0]
  if (wh && r.convertQueue.length === 0 && holders.every((h) => compatible(wh.mode, h.mode))) {
    out.push(`${r.name}: request of lock ${wh.id} (${wh.mode}) at the head of the queue is grantable`)
  }
  // Waiters in request order: lock ids grow with requests.
  for (let i = 1; i < r.waitQueue.length; i++)
    if (r.waitQueue[i - 1].id >= r.waitQueue[i].id) out.push(`${r.name}: wait queue out of request order (lock ${r.waitQueue[i].id} after ${r.waitQueue[i - 1].id})`)
  // No conversion waits on the granted mode of one queued behind it: that is a
  // deadlock, which the conversion must have been refused with (DEADLOCK).
  for (let i = 0; i < r.convertQueue.length; i++)
    for (let j = i + 1; j < r.convertQueue.length; j++) {
      const [a, b] = [r.convertQueue[i], r.convertQueue[j]]
      if (a.requestedMode !== undefined && !compatible(a.requestedMode, b.mode)) {
        out.push(`${r.name}: conversion of lock ${a.id} (→${a.requestedMode}) waits on lock ${b.id} (${b.mode}) queued behind it: a deadlock`)
      }
    }
  return out
}
