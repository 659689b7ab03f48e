// Membership operations: list, add, join, mark-dead (with fencing), heartbeat, check.
import {DlmError} from '../errors.js'
import {deadmanResource, deathOfResource, enterDeath, finishDeathSummary, joinDomain, joinNeeds, unknownFileSystem, type DeathSummary} from '../model/domain.js'
import {nextChange, removedIds} from '../model/changes.js'
import {changePending, finishAfterCommit, finishPending, requireIndexReadable, type ChangeEdits} from './changes.js'
import * as M from '../model/membership.js'
import {checkName} from '../model/names.js'
import type {NodeInfo} from '../model/types.js'
import {withTx, withView, scopes, type Ctx} from './context.js'
import {fenceArgv, runFence, type FenceResult} from './fence.js'
import type {ClusterState} from './state.js'
import type {DomainSession} from './domain-session.js'
import {journalTail} from '../journal/tail.js'

export interface NodeView {
  name: string
  state: NodeInfo['state']
  incarnation: number
  heartbeat: string
  domains: string[]
}

async function nodeViews(s: ClusterState): Promise<NodeView[]> {
  const m = await s.membership()
  const domains = await s.allDomains()
  return m.nodes.map((n) => ({
    name: n.name,
    state: n.state,
    incarnation: n.incarnation,
    heartbeat: n.heartbeat,
    domains: domains.filter((d) => d.meta.members.includes(n.name)).map((d) => d.name),
  }))
}

export async function listNodes(ctx: Ctx) {
  const domains = await domainsOf(ctx)
  return withView(ctx, [scopes.membership, ...domains.map(scopes.domain)], async (s) => ({
    generation: (await s.membership()).generation,
    nodes: await nodeViews(s),
  }))
}

/** Names of all domains (the set only changes at init). */
export async function domainsOf(ctx: Ctx): Promise<string[]> {
  return withView(ctx, [], async (s) => {
    await s.cluster()
    return s.domainNames()
  })
}

export async function addNode(ctx: Ctx, name: string) {
  checkName('node', name)
  return withTx(ctx, [scopes.membership], async (s) => {
    const m = await s.membership()
    const node = M.addNode(m, name, ctx.clock.now())
    s.membershipChanged()
    s.event('node.add', {node: name, generation: m.generation})
    return {node: {name: node.name, state: node.state, incarnation: node.incarnation}, generation: m.generation}
  })
}

/** Domains where `node` is a member, read without locks (members change only under the membership lock). */
async function memberDomains(ctx: Ctx, node: string): Promise<string[]> {
  return withView(ctx, [], async (s) => {
    const out: string[] = []
    for (const d of await s.allDomains()) if (d.meta.members.includes(node)) out.push(d.name)
    return out
  })
}

/** Join `node` into domains, taking deadman locks; the membership lock is held. */
async function joinInto(s: ClusterState, d: DomainSession, node: string, up: Set<string>) {
  const others = d.meta.members.filter((m) => m !== node && up.has(m))
  const res = new Map<string, Awaited<ReturnType<DomainSession['resourceForUpdate']>>>()
  for (const name of joinNeeds(d.meta, node, others)) res.set(name, await d.resourceForUpdate(name))
  const taken = joinDomain(d.meta, node, others, (n) => res.get(n)!)
  for (const {lock, resource} of taken) await d.indexSet(lock.id, resource)
  d.changed()
  s.event('domain.join', {node, deadmanLocks: taken.map((t) => t.lock.id)}, d.name)
  return taken.length
}

/**
 * A node that (re)joins a file system starts its journal after everything in it:
 * what is there was replayed, or abandoned by a forced validate. A torn last line
 * is completed so that new records begin on a line of their own.
 */
async function startNewJournal(s: ClusterState, fs: string, node: string) {
  const {size, torn} = await journalTail(await s.journalSource(fs, node))
  await s.journalPoint(fs, node)
  if (torn) s.appendJournal(fs, node, '\n')
  s.setJournalPoint(fs, node, size + (torn ? 1 : 0))
}

export async function joinNode(ctx: Ctx, name: string, fsList?: string[]) {
  fsList?.forEach((f) => checkName('file system', f))
  const all = await domainsOf(ctx)
  for (const f of fsList ?? []) {
    if (!all.includes(f)) throw unknownFileSystem(f, all)
  }
  const candidates = fsList ?? (await memberDomains(ctx, name))
  return withTx(ctx, [scopes.membership, ...candidates.map(scopes.domain)], async (s) => {
    const m = await s.membership()
    const before = M.findNode(m, name).state
    const rejoined = M.rejoin(m, name, ctx.clock.now())
    s.membershipChanged()
    const up = M.upNodes(m)
    const joined: string[] = []
    for (const fs of candidates) {
      const d = await s.domain(fs)
      // Already joined: it holds its own deadman EX there (a member that rejoined elsewhere may not).
      if (before === 'up' && (await d.resource(deadmanResource(name)))?.grantQueue.some((l) => l.node === name)) continue
      await joinInto(s, d, name, up)
      // Whatever its journal here holds is from an earlier mount: replayed, or abandoned.
      await startNewJournal(s, fs, name)
      joined.push(fs)
    }
    const node = M.findNode(m, name)
    s.event('node.join', {node: name, incarnation: node.incarnation, generation: m.generation, domains: joined})
    return {node: {name, state: node.state, incarnation: node.incarnation}, generation: m.generation, rejoined, joined}
  })
}

export interface MarkDeadResult {
  node: string
  generation: number
  alreadyDead: boolean
  fence: 'ok' | 'skipped' | 'none'
  /** The fence command that ran (argv, its exit status, how long it took), or null: not fenced by dlmctl. */
  fenced: {command: string[]; exit: number; ms: number} | null
  domains: DomainDeath[]
}

/** A death in one domain as reported (lock ids, not lock objects). */
export type DomainDeath = Omit<DeathSummary, 'granted' | 'node' | 'touched'> & {granted: number[]}

export async function markDead(
  ctx: Ctx,
  name: string,
  opts: {
    skipFence?: boolean
    reason?: string
    dryRun?: boolean
    /** Before fencing: a last check that what the operator confirmed still holds (a node is not fenced on a stale plan). */
    beforeFence?: () => Promise<void>
    /** The fence command is about to run (for a line on the terminal while it does). */
    onFence?: (argv: string[], timeoutMs: number) => void
  } = {},
): Promise<MarkDeadResult> {
  checkName('node', name)
  const pre = await withView(ctx, [scopes.membership], async (s) => ({
    cluster: await s.cluster(),
    node: M.findNode(await s.membership(), name),
  }))
  let fence: MarkDeadResult['fence'] = 'none'
  let fenceResult: FenceResult | undefined
  let fenced: MarkDeadResult['fenced'] = null
  if (pre.node.state === 'up' && !opts.dryRun) {
    if (pre.cluster.fenceCmd && !opts.skipFence) {
      await opts.beforeFence?.()
      opts.onFence?.(fenceArgv(pre.cluster.fenceCmd, name), pre.cluster.fenceTimeoutMs)
      const t0 = performance.now()
      fenceResult = await runFence(pre.cluster.fenceCmd, name, pre.cluster.fenceTimeoutMs)
      if (!fenceResult.ok) {
        const f = fenceResult
        await withTx(ctx, [scopes.membership], async (s) => {
          s.event('node.fence-failed', {node: name, argv: f.argv, exitCode: f.exitCode, signal: f.signal, timedOut: f.timedOut, message: f.message})
        })
        const how = f.timedOut ? f.message : f.exitCode !== null ? `exit ${f.exitCode}` : f.signal ? `signal ${f.signal}` : f.message
        throw new DlmError(
          'FENCE_FAILED',
          `fencing ${name} failed (${f.argv.join(' ')}: ${how}${f.message && !f.timedOut && f.exitCode !== null ? `: ${f.message}` : ''}); ${name} is NOT marked dead (use --skip-fence only if you have fenced it another way)`,
          {argv: f.argv, exitCode: f.exitCode, timedOut: f.timedOut},
        )
      }
      fence = 'ok'
      fenced = {command: fenceResult.argv, exit: fenceResult.exitCode ?? 0, ms: ctx.clock.fixed ? 0 : Math.round(performance.now() - t0)}
    } else if (pre.cluster.fenceCmd) fence = 'skipped'
  }
  for (let attempt = 0; ; attempt++) {
    const domains = await memberDomains(ctx, name)
    // Only the last whole-domain change is kept: one a crash left half applied is finished first.
    if (!opts.dryRun) await finishPending(ctx, domains)
    const removed = new Map<string, number[]>()
    const prepared = new Map<string, ChangeEdits>()
    const run = async (s: ClusterState) => {
      const m = await s.membership()
      const node = M.findNode(m, name)
      if (node.state !== 'up') {
        return {node: name, generation: m.generation, alreadyDead: true, fence, fenced, domains: []} as MarkDeadResult
      }
      const now = (await s.allDomains()).filter((d) => d.meta.members.includes(name)).map((d) => d.name)
      if (now.join() !== domains.join()) return null // a join raced us: take the right locks and retry
      if (!opts.dryRun && (await s.allDomains()).some((d) => now.includes(d.name) && changePending(d))) return null // a change landed meanwhile
      M.markDead(m, name)
      s.membershipChanged()
      const summaries: DomainDeath[] = []
      for (const fs of domains) {
        const d = await s.domain(fs)
        // The death's effect on every resource, for the report and the event; the
        // commit itself is the logical record, the buckets follow (finishChange).
        const change = nextChange(d.meta, {kind: 'death', node: name})
        const sum = enterDeath(d.meta, name)
        // Only the resources it concerns: the death does nothing to the others. What
        // each of their lines becomes is kept for bringing the buckets up to date.
        const edits = await d.takeConcerned(change, (res) => deathOfResource(res, name, sum))
        finishDeathSummary(sum)
        d.meta.change = change
        d.changed()
        removed.set(fs, removedIds(sum))
        prepared.set(fs, {seq: change.seq, buckets: edits})
        await requireIndexReadable(s, fs, removed.get(fs)!)
        const {granted, node: _n, ...rest} = sum
        const out = {...rest, granted: granted.map((l) => l.id)}
        s.event('domain.death', {node: name, ...out}, fs)
        summaries.push(out)
      }
      // A node in no domain has no journal to replay: it is recovered at once.
      if (domains.length === 0) node.state = 'recovered'
      s.event('node.dead', {
        node: name,
        generation: m.generation,
        incarnation: node.incarnation,
        fence,
        ...(fenceResult ? {fenceArgv: fenceResult.argv} : {}),
        ...(opts.reason ? {reason: opts.reason} : {}),
        domains,
      })
      return {node: name, generation: m.generation, alreadyDead: false, fence, fenced, domains: summaries} as MarkDeadResult
    }
    const scopeList = [scopes.membership, ...domains.map(scopes.domain)]
    const r = opts.dryRun ? await withView(ctx, scopeList, run) : await withTx(ctx, scopeList, run)
    if (r) {
      // Eagerly, in small commits; a crash here leaves a state every reader already sees whole.
      if (!opts.dryRun) for (const [fs, ids] of removed) await finishAfterCommit(ctx, fs, ids, prepared.get(fs))
      return r
    }
    if (attempt > 5) throw new DlmError('BUSY', `membership of ${name} kept changing; try again`)
  }
}

export async function heartbeat(ctx: Ctx, name: string) {
  checkName('node', name)
  return withTx(ctx, [scopes.membership], async (s) => {
    const n = M.heartbeat(await s.membership(), name, ctx.clock.now())
    s.membershipChanged()
    return {node: n.name, heartbeat: n.heartbeat}
  })
}

/** Up nodes whose heartbeat is older than the timeout (read-only). */
export async function staleNodes(ctx: Ctx, timeoutMs: number) {
  return withView(ctx, [scopes.membership], async (s) =>
    M.staleNodes(await s.membership(), ctx.clock.now(), timeoutMs).map((n) => ({name: n.name, heartbeat: n.heartbeat})),
  )
}
