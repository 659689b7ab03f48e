// Domain operations: list, attach, detach, validate.
import {requireUpMember, settleRecovered} from '../model/membership.js'
import {checkName} from '../model/names.js'
import * as D from '../model/domain.js'
import {withTx, withView, scopes, type Ctx} from './context.js'
import {unreplayedNodes} from './replay.js'
import type {ClusterState} from './state.js'
import type {DomainSession} from './domain-session.js'
import {nextChange, removedIds} from '../model/changes.js'
import {changePending, finishAfterCommit, finishChange, requireIndexReadable} from './changes.js'

export function domainSummary(d: DomainSession['meta']) {
  return {name: d.name, state: d.state, epoch: d.epoch, members: d.members, deadNodes: d.deadNodes}
}

export async function listDomains(ctx: Ctx, names: string[]) {
  return withView(ctx, names.map(scopes.domain), async (s) => ({
    domains: (await s.allDomains()).map((d) => ({...domainSummary(d.meta), attachments: d.meta.attachments})),
  }))
}

export async function attachOp(ctx: Ctx, fs: string, node: string) {
  checkName('node', node)
  return withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    requireUpMember(await s.membership(), d.meta, node)
    const a = D.attach(d.meta, node)
    d.changed()
    s.event('domain.attach', {node, id: a.id, epoch: a.epoch}, fs)
    return {id: a.id, domain: fs, epoch: a.epoch, node}
  })
}

/** The attachment behind a recovery id (read-only), or UNKNOWN_DOMAIN / UNKNOWN_RECOVERY_ID. */
export async function findRecoveryId(ctx: Ctx, fs: string, id: number) {
  return withView(ctx, [scopes.domain(fs)], async (s) => D.findAttachment((await s.domain(fs)).meta, id))
}

export async function detachOp(ctx: Ctx, fs: string, id: number) {
  return withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const a = D.detach(d.meta, id)
    d.changed()
    s.event('domain.detach', {id, node: a.node, epoch: a.epoch}, fs)
    return {domain: fs, id, detached: true}
  })
}

export async function validateOp(ctx: Ctx, fs: string, id: number, opts: {force?: boolean; dryRun?: boolean} = {}) {
  let removed: number[] | undefined
  const run = async (s: ClusterState) => {
    const d = await s.domain(fs)
    if (!opts.dryRun && changePending(d)) return null // finish the last change first (only the last is kept)
    const unreplayed = D.epochMoved(d.meta, id) ? [] : await unreplayedNodes(s, d)
    const v = D.beginValidate(d.meta, id, {unreplayed, force: opts.force})
    if (v.result === 'MORE_RECOVERY') {
      return {domain: fs, id, result: v.result, epoch: d.meta.epoch, attachedEpoch: d.meta.attachments.find((a) => a.id === id)!.epoch}
    }
    // The validate's effect on every resource, for the report and the event; the commit
    // itself is the logical record, the buckets follow (finishChange).
    const dead = new Set(d.meta.deadNodes)
    for await (const {resources} of d.scanBuckets()) for (const res of resources) D.validateIntoSummary(res, dead, v)
    const change = nextChange(d.meta, {kind: 'validate', dead: [...d.meta.deadNodes]})
    D.endValidate(d.meta, v)
    d.meta.change = change
    removed = removedIds(v)
    await requireIndexReadable(s, fs, removed)
    const granted = v.granted.map((l) => l.id)
    d.changed()
    const m = await s.membership()
    const others = (await s.allDomains()).map((x) => x.meta)
    const recovered = settleRecovered(m, others)
    if (recovered.length) s.membershipChanged()
    const {granted: _g, ...rest} = v
    s.event('domain.validate', {...rest, granted, forced: v.forced, ...(v.forced ? {unreplayed} : {})}, fs)
    if (recovered.length) s.event('node.recovered', {nodes: recovered, generation: m.generation})
    return {
      domain: fs,
      id,
      result: v.result,
      replayedNodes: v.replayedNodes,
      releasedOrphans: v.releasedOrphans,
      cleanedDeadman: v.cleanedDeadman,
      revalidated: v.revalidatedResources,
      granted,
      recoveredNodes: recovered,
      forced: v.forced,
    }
  }
  // Validate reads every domain's dead nodes to settle node states: those only
  // change under the membership lock, which it holds.
  const scopeList = [scopes.membership, scopes.domain(fs)]
  if (opts.dryRun) return (await withView(ctx, scopeList, run))!
  for (;;) {
    await finishChange(ctx, fs)
    const r = await withTx(ctx, scopeList, run)
    if (!r) continue
    // Eagerly, in small commits; a crash here leaves a state every reader already sees whole.
    if (removed) await finishAfterCommit(ctx, fs, removed)
    return r
  }
}
