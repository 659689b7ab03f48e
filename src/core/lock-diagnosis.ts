// Answers to "why is this lock stuck?" and "why is it not valid?", read-only.
import {blockTree, type BlockReason, type BlockTree} from '../model/blockers.js'
import {DEADMAN_PREFIX} from '../model/domain.js'
import {lockStatus} from '../model/resource.js'
import type {DomainMeta, Membership, Resource} from '../model/types.js'
import {invalidReasons, lockView, type InvalidReason, type LockView} from '../model/validity.js'
import {checkResource, parseLockId} from '../model/names.js'
import {cyclesOp, cyclesThrough} from './cycles.js'
import {usage} from '../errors.js'
import {writersOf} from '../model/lvb.js'
import {withView, scopes, type Ctx} from './context.js'
import type {EventRecord} from '../store/schema.js'

export interface BlockerNode {
  lock: LockView
  reason?: BlockReason
  /** The holder is dead: the lock is an orphan. */
  orphan: boolean
  /** validate releases it (an orphan of a node the domain is recovering). */
  goesAwayOnValidate: boolean
  blockedBy: BlockerNode[]
  repeated?: boolean
}

function toNodes(t: BlockTree, res: Resource, d: DomainMeta, m: Membership): BlockerNode {
  const state = m.nodes.find((n) => n.name === t.lock.node)?.state
  const orphan = state !== 'up'
  return {
    lock: lockView(t.lock, res, d, state, lockStatus(res, t.lock)),
    ...(t.reason ? {reason: t.reason} : {}),
    orphan,
    goesAwayOnValidate: orphan && d.deadNodes.includes(t.lock.node),
    blockedBy: t.blockedBy.map((b) => toNodes(b, res, d, m)),
    ...(t.repeated ? {repeated: true} : {}),
  }
}

/** Wait-for trees of a lock, of the blocked locks of a resource, or of every blocked lock of the domain. */
export async function blockersOp(ctx: Ctx, fs: string, target: {lockId?: number; resource?: string}) {
  if (target.resource) checkResource(target.resource)
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const m = await s.membership()
    const trees: BlockerNode[] = []
    if (target.lockId !== undefined) {
      const f = await d.findLock(target.lockId)
      trees.push(toNodes(blockTree(f.res, f.lock), f.res, d.meta, m))
    } else {
      // Survivors' PRs on each other's deadman resources wait by design: shown only when asked for by name.
      const resources = target.resource
        ? [await d.resource(target.resource)].filter((r): r is Resource => !!r)
        : (await d.allResources()).filter((r) => !r.name.startsWith(DEADMAN_PREFIX))
      for (const res of resources) for (const l of [...res.convertQueue, ...res.waitQueue]) trees.push(toNodes(blockTree(res, l), res, d.meta, m))
    }
    return {domain: fs, trees}
  })
}

/** What lock blockers is asked: the deadlock cycles of the domain, or wait-for trees (of a lock, a resource, or every blocked lock). */
export type BlockersQuery = {cycles: true} | {cycles?: false; lockId?: string; resource?: string}

/** lock blockers' arguments, checked: a lock id or --resource, not both; --cycles with neither. */
export function blockersQuery(q: {lockId?: string; resource?: string; cycles?: boolean}): BlockersQuery {
  if (q.lockId && q.resource) throw usage('give a lock id or --resource, not both')
  if (!q.cycles) return {cycles: false, lockId: q.lockId, resource: q.resource}
  if (q.lockId || q.resource) throw usage('--cycles looks at the whole domain: no lock id or --resource (lock explain <fs> <id> names the cycles of one lock)')
  return {cycles: true}
}

/** The answer to lock blockers: the domain's deadlock cycles, or the wait-for trees asked for. */
export async function lockBlockers(ctx: Ctx, fs: string, q: BlockersQuery) {
  if (q.cycles) return {kind: 'cycles' as const, result: await cyclesOp(ctx, fs)}
  return {kind: 'trees' as const, result: await blockersOp(ctx, fs, {lockId: q.lockId ? parseLockId(q.lockId) : undefined, resource: q.resource})}
}

export interface Explanation {
  reason: InvalidReason
  because: string
  deaths?: {node: string; generation?: number; time?: string; epoch?: number}[]
  fix: string
  /** VALNOTVALID: the granted PW/EX holders that may write the value block now. */
  writers?: {lockId: number; node: string; mode: string}[]
}

/** Why a lock is valid or not, in words and data, from the state and the event log. */
export async function explainOp(ctx: Ctx, fs: string, lockId: number) {
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const m = await s.membership()
    const f = await d.findLock(lockId)
    const holder = m.nodes.find((n) => n.name === f.lock.node)
    const view = lockView(f.lock, f.res, d.meta, holder?.state, f.status)
    const events = await s.readEvents()
    const deathOf = (node: string) => {
      const dead = [...events].reverse().find((e) => e.type === 'node.dead' && e.node === node)
      const inDomain = [...events].reverse().find((e: EventRecord) => e.type === 'domain.death' && e.node === node && e.domain === fs)
      return {
        node,
        ...(typeof dead?.generation === 'number' ? {generation: dead.generation} : {}),
        ...(dead ? {time: dead.time} : {}),
        ...(typeof inDomain?.epoch === 'number' ? {epoch: inDomain.epoch} : {}),
      }
    }
    const recoverCmd = `dlmctl recover ${fs} (attach, replay, validate)`
    const reasons: Explanation[] = invalidReasons(f.lock, f.res, d.meta, holder?.state).map((r) => {
      switch (r) {
        case 'DOMAIN_RECOVERING':
          return {
            reason: r,
            because: `${fs} is recovering (epoch ${d.meta.epoch}) since ${d.meta.deadNodes.join(', ')} died; every persistent lock in it answers invalid until validate`,
            deaths: d.meta.deadNodes.map(deathOf),
            fix: `replay ${d.meta.deadNodes.join(', ')}'s journal and validate: ${recoverCmd}`,
          }
        case 'ORPHANED':
          return {
            reason: r,
            because: `its holder ${f.lock.node} is ${holder?.state ?? 'unknown'}; the persistent lock stays granted as an orphan so no survivor touches what ${f.lock.node} was changing`,
            deaths: [deathOf(f.lock.node)],
            fix: d.meta.deadNodes.includes(f.lock.node) ? `validate releases it: ${recoverCmd}` : `dlmctl check (an orphan of a node ${fs} no longer recovers)`,
          }
        default: {
          const deaths = events.filter((e) => e.type === 'domain.death' && e.domain === fs)
          const named = deaths.filter((e) => Array.isArray(e.invalidatedResources) && e.invalidatedResources.includes(f.res.name))
          // A big death's event keeps only the first names: then it is the latest death whose list was cut.
          const last = named.at(-1) ?? deaths.filter((e) => e.truncated === true).at(-1)
          const writers = writersOf(f.res).filter((l) => m.nodes.find((n) => n.name === l.node)?.state === 'up')
          const now = writers.length
            ? `${writers.map((l) => `lock ${l.id} (${l.node}, ${l.mode})`).join(', ')} may write it now: dlmctl lock convert ${fs} <id> --mode <same or lower> --lvb <hex>, or lock release ${fs} <id> --lvb <hex>`
            : `no live node holds ${f.res.name} in PW or EX now: one takes PW or EX (it reads the value, not valid), then writes it: dlmctl lock convert ${fs} <id> --mode <same> --lvb <hex>`
          return {
            reason: r,
            because: `the value block of ${f.res.name} is not valid${last ? `: ${last.node} died holding it in PW or EX` : ''}; the last writer may have left it half written, so a reader must not trust it`,
            deaths: last ? [deathOf(String(last.node))] : [],
            fix: f.res.persistent
              ? `${f.res.name} is a persistent resource: validate zeroes its value block and makes it valid (readers re-read from disk): ${recoverCmd}; or a PW or EX holder writes it first: ${now}`
              : `${f.res.name} is not persistent, so validate leaves it alone: only a PW or EX holder writing it makes it valid; ${now}`,
            writers: writers.map((l) => ({lockId: l.id, node: l.node, mode: l.mode})),
          }
        }
      }
    })
    const waitingOn = f.status === 'granted' ? undefined : toNodes(blockTree(f.res, f.lock), f.res, d.meta, m).blockedBy
    const summary = view.valid
      ? `lock ${lockId} is valid: ${f.status} ${view.mode}${view.persistent ? ' (persistent)' : ''} on ${f.res.name}, ${fs} is ${d.meta.state}, holder ${f.lock.node} is up, value block valid`
      : `lock ${lockId} is NOT valid: ${reasons.map((r) => r.reason).join(', ')}`
    // Deadlocks across resources: waiting on each other, nothing will grant these locks by itself.
    const cycles = await cyclesThrough(d, m, f)
    return {domain: fs, lock: view, valid: view.valid, summary, reasons, ...(waitingOn ? {waitingOn} : {}), ...(cycles.length ? {cycles} : {})}
  })
}

