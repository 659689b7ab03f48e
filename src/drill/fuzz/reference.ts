// The reference run of a fuzz drill: the same operations applied in memory to
// the pure recovery core (src/model), with no store, no journal files and no
// processes. What dlmctl reports after each step must equal what this predicts.
// Every domain rule comes from the model's own functions (so the reference moves
// with the model); what is here is only the glue the core adds around them
// (who may act, which ids are consumed, what recover does step by step).
import {DlmError, StateCorrupt} from '../../errors.js'
import * as D from '../../model/domain.js'
import * as M from '../../model/membership.js'
import {applyMetaRecord, checkWrite, metaResource, type MetaKeys} from '../../model/metadata.js'
import {allLocks, cancelLock, convertLock, findLock, newResource, releaseLock, requestLock} from '../../model/resource.js'
import type {DomainMeta, Membership, Resource} from '../../model/types.js'
import {lockView, type LockView} from '../../model/validity.js'
import {parseDuration} from '../../util/duration.js'
import {CHECK_TIMEOUT, type FuzzCluster, type Op} from './ops.js'

const NOW = '2026-01-01T00:00:00.000Z'

export interface Journal {
  /** Committed transactions past the node's replay/checkpoint point, in order. */
  pending: {seq: number; key: string; value: string | null}[]
  /** A transaction whose commit record is torn sits at the end: nothing after it can be appended. */
  torn: boolean
}

export interface RefDomain {
  meta: DomainMeta
  resources: Map<string, Resource>
  keys: MetaKeys
  journals: Map<string, Journal>
  nextSeq: number
}

export interface Prediction {
  exit: number
  /** The error code when the command must fail. */
  code?: string
  /** Fields the command's JSON must hold (containment). */
  json?: Record<string, unknown>
}

export interface StatusView {
  generation: number
  nodes: {name: string; state: string; incarnation: number}[]
  domains: {name: string; state: string; epoch: number; members: string[]; deadNodes: string[]}[]
}

export class Reference {
  membership: Membership
  domains = new Map<string, RefDomain>()
  constructor(
    readonly cluster: FuzzCluster,
    readonly lvbSize = 32,
  ) {
    this.membership = M.newMembership(cluster.nodes, NOW)
    for (const f of cluster.fs) {
      const d: RefDomain = {meta: D.newDomain(f.name, f.members), resources: new Map(), keys: {}, journals: new Map(), nextSeq: 1}
      const joined: string[] = []
      for (const node of [...f.members].sort()) {
        D.joinDomain(d.meta, node, joined, (n) => this.res(d, n))
        joined.push(node)
      }
      this.domains.set(f.name, d)
    }
  }

  clone(): Reference {
    const r = Object.create(Reference.prototype) as Reference
    Object.assign(r, {cluster: this.cluster, lvbSize: this.lvbSize, membership: structuredClone(this.membership), domains: structuredClone(this.domains)})
    return r
  }

  private res(d: RefDomain, name: string): Resource {
    let r = d.resources.get(name)
    if (!r) d.resources.set(name, (r = newResource(name, this.lvbSize)))
    return r
  }

  private journal(d: RefDomain, node: string): Journal {
    let j = d.journals.get(node)
    if (!j) d.journals.set(node, (j = {pending: [], torn: false}))
    return j
  }

  private domain(fs: string): RefDomain {
    const d = this.domains.get(fs)
    if (!d) throw D.unknownFileSystem(fs, [...this.domains.keys()].sort())
    return d
  }

  nodeState(name: string) {
    return this.membership.nodes.find((n) => n.name === name)?.state
  }

  private view(d: RefDomain, res: Resource, id: number): LockView {
    const f = findLock(res, id)!
    return lockView(f.lock, res, d.meta, this.nodeState(f.lock.node), f.status)
  }

  /** The lock `id` of `fs`, and its resource. */
  find(fs: string, id: number) {
    const d = this.domain(fs)
    for (const res of d.resources.values()) {
      const f = findLock(res, id)
      if (f) return {d, res, ...f}
    }
    return undefined
  }

  /** Every lock, sorted by domain and id, as `lock list --json` shows it. */
  locks(): LockView[] {
    const out: LockView[] = []
    for (const [, d] of [...this.domains].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const res of d.resources.values()) for (const l of allLocks(res)) out.push(this.view(d, res, l.id))
    }
    return sortLocks(out)
  }

  status(): StatusView {
    return {
      generation: this.membership.generation,
      nodes: this.membership.nodes.map((n) => ({name: n.name, state: n.state, incarnation: n.incarnation})),
      domains: [...this.domains.values()]
        .map((d) => ({name: d.meta.name, state: d.meta.state, epoch: d.meta.epoch, members: [...d.meta.members], deadNodes: [...d.meta.deadNodes]}))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    }
  }

  /** Applied metadata of a file system: key → value (deleted keys absent). */
  metadata(fs: string): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, e] of Object.entries(this.domain(fs).keys)) if (e.value !== null) out[k] = e.value
    return out
  }

  /** Live recovery ids of a domain (for the generator). */
  attachments(fs: string) {
    return this.domain(fs).meta.attachments
  }

  /** Apply one operation; the prediction of its exit code and result. Refused operations change nothing. */
  apply(op: Op): Prediction {
    const before = this.clone()
    try {
      return this.applyUnchecked(op)
    } catch (e) {
      if (!(e instanceof DlmError)) throw e
      // A refusal commits nothing: go back to the state before the operation.
      Object.assign(this, {membership: before.membership, domains: before.domains})
      return {exit: e.exitCode, code: e.code}
    }
  }

  private ownLock(fs: string, id: number) {
    const f = this.find(fs, id)
    if (!f) throw D.unknownLock(id, fs)
    M.requireHolderUp(this.membership, f.d.meta, f.lock)
    return f
  }

  private applyUnchecked(op: Op): Prediction {
    switch (op.kind) {
      case 'request': {
        const d = this.domain(op.fs)
        M.requireUpMember(this.membership, d.meta, op.node)
        const res = this.res(d, op.resource)
        const lock = requestLock(res, {id: d.meta.nextLockId, node: op.node, mode: op.mode, persistent: op.persistent, noqueue: op.noqueue})
        d.meta.nextLockId += 1
        return {exit: 0, json: {...this.view(d, res, lock.id)}}
      }
      case 'convert':
      case 'cancel': {
        const f = this.ownLock(op.fs, op.id)
        const lvb = op.kind === 'convert' && op.lvb !== undefined ? op.lvb.padEnd(this.lvbSize * 2, '0') : undefined
        if (op.kind === 'cancel') {
          // --cancel withdraws a pending conversion, or a waiting request (then the lock is gone, shown as it was).
          const before = this.view(f.d, f.res, op.id)
          const c = cancelLock(f.res, op.id)
          const v = c.cancelled === 'request' ? before : this.view(f.d, f.res, op.id)
          return {exit: 0, json: {...v, cancelled: c.cancelled, granted: c.granted.map((l) => l.id)}}
        }
        convertLock(f.res, op.id, {mode: op.mode, noqueue: op.noqueue, lvb})
        return {exit: 0, json: {...this.view(f.d, f.res, op.id)}}
      }
      case 'release': {
        const f = this.ownLock(op.fs, op.id)
        const released = this.view(f.d, f.res, op.id)
        const queued = new Set([...f.res.convertQueue, ...f.res.waitQueue].map((l) => l.id))
        releaseLock(f.res, op.id, op.lvb === undefined ? undefined : op.lvb.padEnd(this.lvbSize * 2, '0'))
        const granted = f.res.grantQueue.filter((l) => queued.has(l.id)).map((l) => l.id)
        return {exit: 0, json: {released, granted, lvb: f.res.lvb}}
      }
      case 'write': {
        const d = this.domain(op.fs)
        M.requireUpMember(this.membership, d.meta, op.node)
        const n = M.findNode(this.membership, op.node)
        checkWrite(d.resources.get(metaResource(op.key)), d.meta, op.node, n.state, op.key)
        const j = this.journal(d, op.node)
        if (j.torn) throw new StateCorrupt(`journal of ${op.node}`, 'torn record')
        const seq = d.nextSeq
        d.nextSeq += 2 // one set record and the commit
        if (op.torn) j.torn = true
        else j.pending.push({seq, key: op.key, value: op.del ? null : op.value})
        return {exit: 0, json: {committed: !op.torn}}
      }
      case 'checkpoint': {
        const d = this.domain(op.fs)
        M.requireUpMember(this.membership, d.meta, op.node)
        const j = this.journal(d, op.node)
        const records = j.pending.length
        this.applyJournal(d, j)
        return {exit: 0, json: {records}}
      }
      case 'kill':
        return {exit: 0, json: {alreadyDead: this.kill(op.node)}}
      case 'join': {
        const before = M.findNode(this.membership, op.node).state
        M.rejoin(this.membership, op.node, NOW)
        const up = M.upNodes(this.membership)
        // Without --fs: the file systems it is a member of; with --fs (a new node's first join): those, and it becomes a member.
        const candidates = op.fs ? op.fs.map((f) => this.domain(f)) : [...this.domains.values()].filter((x) => x.meta.members.includes(op.node))
        const joined: string[] = []
        for (const d of candidates) {
          if (before === 'up' && d.resources.get(D.deadmanResource(op.node))?.grantQueue.some((l) => l.node === op.node)) continue
          const others = d.meta.members.filter((m) => m !== op.node && up.has(m))
          D.joinDomain(d.meta, op.node, others, (n) => this.res(d, n))
          // A node that comes back starts its journal after everything in it.
          d.journals.set(op.node, {pending: [], torn: false})
          joined.push(d.meta.name)
        }
        return {exit: 0, json: {node: {name: op.node, state: 'up'}, joined}}
      }
      case 'add': {
        const n = M.addNode(this.membership, op.node, NOW)
        return {exit: 0, json: {node: {name: n.name, state: n.state, incarnation: n.incarnation}, generation: this.membership.generation}}
      }
      case 'heartbeat': {
        const n = M.heartbeat(this.membership, op.node, NOW)
        return {exit: 0, json: {node: n.name, heartbeat: n.heartbeat}}
      }
      case 'check': {
        // Each stale up node goes through mark-dead, as `node check --yes` does.
        const stale = M.staleNodes(this.membership, NOW, parseDuration(CHECK_TIMEOUT, '--timeout')).map((n) => n.name)
        const markedDead = stale.filter((name) => !this.kill(name))
        return {exit: 0, json: {stale: stale.map((name) => ({name})), markedDead, dryRun: false}}
      }
      case 'detach': {
        const d = this.domain(op.fs)
        D.detach(d.meta, op.id)
        return {exit: 0, json: {domain: op.fs, id: op.id, detached: true}}
      }
      case 'attach': {
        const d = this.domain(op.fs)
        M.requireUpMember(this.membership, d.meta, op.node)
        const a = D.attach(d.meta, op.node)
        return {exit: 0, json: {id: a.id, epoch: a.epoch}}
      }
      case 'replay': {
        const d = this.domain(op.fs)
        if (D.epochMoved(d.meta, op.id)) return {exit: 3, json: {result: 'MORE_RECOVERY'}}
        for (const node of d.meta.deadNodes) this.applyJournal(d, this.journal(d, node))
        return {exit: 0, json: {result: 'DONE'}}
      }
      case 'validate': {
        const d = this.domain(op.fs)
        return this.validate(d, op.id, op.force)
      }
      case 'recover':
        return this.recover(this.domain(op.fs))
    }
  }

  /** A death (mark-dead); true when the node was not up (nothing happens). */
  private kill(name: string): boolean {
    const node = M.findNode(this.membership, name)
    if (node.state !== 'up') return true
    M.markDead(this.membership, name)
    const mine = [...this.domains.values()].filter((d) => d.meta.members.includes(name))
    for (const d of mine) D.applyDeath(d.meta, name, d.resources.values())
    // A node in no file system has nothing to recover.
    if (mine.length === 0) node.state = 'recovered'
    return false
  }

  private applyJournal(d: RefDomain, j: Journal) {
    for (const t of j.pending) applyMetaRecord(d.keys, t.value === null ? {seq: t.seq, tx: t.seq, op: 'del', key: t.key} : {seq: t.seq, tx: t.seq, op: 'set', key: t.key, value: t.value})
    j.pending = []
  }

  private validate(d: RefDomain, id: number, force = false): Prediction {
    const moved = D.epochMoved(d.meta, id)
    const unreplayed = moved ? [] : d.meta.deadNodes.filter((n) => this.journal(d, n).pending.length > 0)
    const v = D.validate(d.meta, id, d.resources.values(), {unreplayed, force})
    if (v.result === 'MORE_RECOVERY') return {exit: 3, json: {result: 'MORE_RECOVERY'}}
    // A forced validate abandons what the dead nodes' journals still held: it is never applied.
    for (const n of unreplayed) this.journal(d, n).pending = []
    M.settleRecovered(this.membership, [...this.domains.values()].map((x) => x.meta))
    return {exit: 0, json: {result: 'VALID', forced: v.forced}}
  }

  /** What `recover <fs>` does: the first up member runs it under EX on recovery/<fs>, attaches (or resumes), replays, validates. */
  private recover(d: RefDomain): Prediction {
    if (d.meta.state !== 'recovering') return {exit: 0, json: {domains: [{name: d.meta.name, result: 'RECOVERED'}]}}
    const up = M.upNodes(this.membership)
    const runner = d.meta.members.find((m) => up.has(m))
    if (!runner) return {exit: 5, json: {domains: [{name: d.meta.name, result: 'FAILED'}]}}
    // The recovery lock: EX for the runner, PR for every other up member (ids consumed, all dropped at the end).
    const waiters = d.meta.members.filter((m) => m !== runner && up.has(m))
    d.meta.nextLockId += 1 + waiters.length
    // The runner carries on with a recovery id it holds at the current epoch (as after a killed recover), else attaches.
    const a = d.meta.attachments.find((x) => x.node === runner && x.epoch === d.meta.epoch) ?? D.attach(d.meta, runner)
    for (const node of d.meta.deadNodes) this.applyJournal(d, this.journal(d, node))
    this.validate(d, a.id)
    d.meta.attachments = d.meta.attachments.filter((x) => x.id !== a.id)
    return {exit: 0, json: {domains: [{name: d.meta.name, result: 'RECOVERED'}]}}
  }
}

export function sortLocks<T extends {domain: string; lockId: number}>(locks: T[]): T[] {
  return [...locks].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.lockId - b.lockId))
}
