// Invariants that hold whatever the model says, checked on what dlmctl reports
// (`lock list --json`, `status --json`). Written apart from src/model on purpose,
// with their own literal compatibility table and queue rules: a bug in the model
// shows up here instead of being copied into the reference run.
import type {Op} from './ops.js'

/** SPEC §1's matrix, written out again: may a lock in the row's mode be granted beside the column's? */
const COMPATIBLE: Record<string, Record<string, boolean>> = {
  NL: {NL: true, CR: true, CW: true, PR: true, PW: true, EX: true},
  CR: {NL: true, CR: true, CW: true, PR: true, PW: true, EX: false},
  CW: {NL: true, CR: true, CW: true, PR: false, PW: false, EX: false},
  PR: {NL: true, CR: true, CW: false, PR: true, PW: false, EX: false},
  PW: {NL: true, CR: true, CW: false, PR: false, PW: false, EX: false},
  EX: {NL: true, CR: false, CW: false, PR: false, PW: false, EX: false},
}

export interface SeenLock {
  lockId: number
  domain: string
  resource: string
  node: string
  mode: string
  status: 'granted' | 'converting' | 'waiting'
  requestedMode?: string
  persistent: boolean
  valid: boolean
  invalidReasons: string[]
}

export interface SeenStatus {
  nodes: {name: string; state: string}[]
  domains: {name: string; state: string; deadNodes: string[]; members: string[]}[]
}

/** One broken invariant: what, and the lock it is about (the witness a drill can check). */
export interface Violation {
  rule: string
  message: string
  domain?: string
  lockId?: number
  /** What the lock must not look like (for the drill's `absent`). */
  absent?: Record<string, unknown>
  /** What the lock must look like (for the drill's `json`). */
  want?: Record<string, unknown>
}

const key = (l: {domain: string; resource: string}) => `${l.domain}\u0000${l.resource}`

/** Every invariant on one snapshot, and FIFO against the previous snapshot. */
export function checkInvariants(locks: SeenLock[], status: SeenStatus, previous?: SeenLock[]): Violation[] {
  const out: Violation[] = []
  const nodeState = new Map(status.nodes.map((n) => [n.name, n.state]))
  const domainOf = new Map(status.domains.map((d) => [d.name, d]))
  const byResource = new Map<string, SeenLock[]>()
  for (const l of locks) {
    const list = byResource.get(key(l)) ?? []
    list.push(l)
    byResource.set(key(l), list)
  }
  // Who is dead and which domains recover agree: a domain recovers exactly while it has dead nodes
  // to replay; those are dead; and a dead node has a domain left to recover (else it is recovered).
  for (const d of status.domains) {
    if ((d.state === 'recovering') !== d.deadNodes.length > 0) out.push({rule: 'domain-state', message: `${d.name} is ${d.state} with dead nodes [${d.deadNodes.join(', ')}]: a domain recovers exactly while it has dead nodes to replay`, domain: d.name})
    for (const n of d.deadNodes) if (nodeState.get(n) !== 'dead') out.push({rule: 'domain-state', message: `${d.name} still recovers ${n}, which is ${nodeState.get(n) ?? 'unknown'}`, domain: d.name})
  }
  for (const n of status.nodes) {
    if (n.state === 'dead' && !status.domains.some((d) => d.deadNodes.includes(n.name))) out.push({rule: 'domain-state', message: `node ${n.name} is dead but no domain recovers it (it should be recovered)`})
  }
  for (const l of locks) {
    const state = nodeState.get(l.node)
    if (state !== undefined && domainOf.get(l.domain) && !domainOf.get(l.domain)!.members.includes(l.node)) {
      out.push({rule: 'locks-of-members', message: `lock ${l.lockId} in ${l.domain} is held by ${l.node}, which does not mount ${l.domain}`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId}})
    }
    const dom = domainOf.get(l.domain)
    if (state === undefined) out.push({rule: 'known-node', message: `lock ${l.lockId} in ${l.domain} is held by unknown node ${l.node}`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId}})
    if (state !== undefined && state !== 'up') {
      // Only a granted persistent lock outlives its holder, and only until its domain validates.
      if (!l.persistent || l.status !== 'granted' || !dom?.deadNodes.includes(l.node)) {
        out.push({rule: 'orphans-of-dead-nodes', message: `lock ${l.lockId} (${l.persistent ? 'persistent' : 'not persistent'}, ${l.status}) in ${l.domain} belongs to ${state} node ${l.node}: only granted persistent locks of a node still to be recovered stay`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId}})
      }
      if (!l.invalidReasons.includes('ORPHANED')) out.push({rule: 'orphans-of-dead-nodes', message: `lock ${l.lockId} of ${state} node ${l.node} is not shown ORPHANED`, domain: l.domain, lockId: l.lockId, want: {lockId: l.lockId, valid: false}})
    }
    if (state === 'up' && l.invalidReasons.includes('ORPHANED')) out.push({rule: 'orphans-of-dead-nodes', message: `lock ${l.lockId} of up node ${l.node} is shown ORPHANED`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId, invalidReasons: ['ORPHANED']}})
    if (dom) {
      const recovering = dom.state === 'recovering'
      if (l.persistent && recovering && (l.valid || !l.invalidReasons.includes('DOMAIN_RECOVERING'))) {
        out.push({rule: 'invalid-while-recovering', message: `persistent lock ${l.lockId} in recovering ${l.domain} is not shown invalid (DOMAIN_RECOVERING)`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId, valid: true}})
      }
      if (!recovering && l.invalidReasons.includes('DOMAIN_RECOVERING')) {
        out.push({rule: 'valid-after-validate', message: `lock ${l.lockId} in ${l.domain} says DOMAIN_RECOVERING but the domain is ${dom.state}`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId, invalidReasons: ['DOMAIN_RECOVERING']}})
      }
      if (!recovering && state === 'up' && l.persistent && l.invalidReasons.length === 0 && !l.valid) {
        out.push({rule: 'valid-after-validate', message: `lock ${l.lockId} has no reason to be invalid but is`, domain: l.domain, lockId: l.lockId, want: {lockId: l.lockId, valid: true}})
      }
    }
  }
  const before = new Map((previous ?? []).map((l) => [`${l.domain}\u0000${l.lockId}`, l]))
  /** Whether this step changed the lock (new, or another mode or status): the one a witness should name. */
  const changed = (l: SeenLock) => {
    const was = before.get(`${l.domain}\u0000${l.lockId}`)
    return !was || was.mode !== l.mode || was.status !== l.status
  }
  for (const list of byResource.values()) {
    const holders = list.filter((l) => l.status !== 'waiting')
    // Granted modes pairwise compatible (a converting lock holds its granted mode).
    for (let i = 0; i < holders.length; i++) {
      for (let j = i + 1; j < holders.length; j++) {
        const [a, b] = [holders[i], holders[j]]
        if (!COMPATIBLE[a.mode][b.mode]) {
          // The lock this step let in (granted or converted); else the later one.
          const later = changed(a) !== changed(b) ? (changed(a) ? a : b) : a.lockId > b.lockId ? a : b
          out.push({rule: 'granted-compatible', message: `${a.domain} ${a.resource}: lock ${a.lockId} (${a.mode}) and lock ${b.lockId} (${b.mode}) are granted together`, domain: a.domain, lockId: later.lockId, absent: {lockId: later.lockId, mode: later.mode, status: later.status}})
        }
      }
    }
    const converting = list.filter((l) => l.status === 'converting')
    const waiting = list.filter((l) => l.status === 'waiting')
    // The head of the convert queue waits only while incompatible with another holder.
    const ch = converting[0]
    if (ch && holders.every((h) => h === ch || COMPATIBLE[ch.requestedMode!][h.mode])) {
      out.push({rule: 'queues-served', message: `${ch.domain} ${ch.resource}: conversion of lock ${ch.lockId} to ${ch.requestedMode} is compatible with every holder but still waits`, domain: ch.domain, lockId: ch.lockId, absent: {lockId: ch.lockId, status: 'converting'}})
    }
    // The head of the wait queue waits only while a conversion is queued or it is incompatible.
    const wh = waiting[0]
    if (wh && converting.length === 0 && holders.every((h) => COMPATIBLE[wh.mode][h.mode])) {
      out.push({rule: 'queues-served', message: `${wh.domain} ${wh.resource}: request ${wh.lockId} (${wh.mode}) is compatible with every holder, no conversion is queued, and it still waits`, domain: wh.domain, lockId: wh.lockId, absent: {lockId: wh.lockId, status: 'waiting'}})
    }
    // The wait queue is in request order.
    for (let i = 1; i < waiting.length; i++) {
      if (waiting[i].lockId < waiting[i - 1].lockId) out.push({rule: 'fifo', message: `${wh.domain} ${wh.resource}: request ${waiting[i].lockId} queued behind the later ${waiting[i - 1].lockId}`, domain: wh.domain, lockId: waiting[i].lockId})
    }
  }
  // FIFO grants: no request is granted while an earlier request on the same resource still waits.
  if (previous) {
    const now = new Map(locks.map((l) => [`${l.domain}\u0000${l.lockId}`, l]))
    // The convert queue is served first: while a conversion that was already pending still waits,
    // no request (queued or new) is granted on that resource.
    for (const list of byResource.values()) {
      const stillConverting = list.find((l) => l.status === 'converting' && before.get(`${l.domain}\u0000${l.lockId}`)?.status === 'converting' && before.get(`${l.domain}\u0000${l.lockId}`)?.requestedMode === l.requestedMode)
      if (!stillConverting) continue
      for (const l of list) {
        const was = before.get(`${l.domain}\u0000${l.lockId}`)
        if (l.status === 'granted' && (!was || was.status === 'waiting')) {
          out.push({rule: 'convert-queue-first', message: `${l.domain} ${l.resource}: request ${l.lockId} (${l.mode}) was granted while the conversion of lock ${stillConverting.lockId} to ${stillConverting.requestedMode} still waits`, domain: l.domain, lockId: l.lockId, absent: {lockId: l.lockId, status: 'granted'}})
        }
      }
    }
    const waitingBefore = new Map<string, SeenLock[]>()
    for (const l of previous) if (l.status === 'waiting') waitingBefore.set(key(l), [...(waitingBefore.get(key(l)) ?? []), l])
    for (const list of waitingBefore.values()) {
      for (let i = 0; i < list.length; i++) {
        const later = now.get(`${list[i].domain}\u0000${list[i].lockId}`)
        if (later?.status !== 'granted') continue
        const earlier = list.slice(0, i).find((e) => now.get(`${e.domain}\u0000${e.lockId}`)?.status === 'waiting')
        if (earlier) out.push({rule: 'fifo', message: `${later.domain} ${later.resource}: request ${later.lockId} was granted while the earlier request ${earlier.lockId} still waits`, domain: later.domain, lockId: later.lockId, absent: {lockId: later.lockId, status: 'granted'}})
      }
    }
  }
  return out
}

/**
 * What a request or a conversion must answer by the literal table and the queue
 * rules alone, from the lock table just before it: 0 (granted, queued or waiting)
 * or 5 (refused: NOTQUEUED with --noqueue, or DEADLOCK with a queued conversion that
 * waits on this lock's mode). Undefined where other rules decide (a lock that is not
 * granted, a value block to write): those are the model's to predict.
 */
export function queueExit(before: SeenLock[], op: Op): number | undefined {
  const REFUSED = 5
  if (op.kind === 'request') {
    const on = before.filter((l) => l.domain === op.fs && l.resource === op.resource)
    const grantable = on.every((l) => l.status === 'granted' && COMPATIBLE[op.mode][l.mode])
    return grantable || !op.noqueue ? 0 : REFUSED
  }
  if (op.kind !== 'convert' || op.lvb !== undefined) return undefined
  const lock = before.find((l) => l.domain === op.fs && l.lockId === op.id)
  if (!lock || lock.status !== 'granted') return undefined
  const on = before.filter((l) => l.domain === lock.domain && l.resource === lock.resource && l !== lock)
  if (on.every((l) => l.status === 'waiting' || COMPATIBLE[op.mode][l.mode])) return 0
  if (op.noqueue) return REFUSED
  return on.some((l) => l.status === 'converting' && !COMPATIBLE[l.requestedMode!][lock.mode]) ? REFUSED : 0
}
