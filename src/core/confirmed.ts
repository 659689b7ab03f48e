// The destructive operations as confirmed: each runs only if what the operator
// was shown (the preview, the plan) and what a script expects (--expect-generation)
// still holds when it commits — else STATE_CHANGED (exit 5), nothing changed.
import {withView, scopes, type Ctx} from './context.js'
import {allOf, sameAsShown, stateChanged, stillAsSeen, type CommitGuard} from './guard.js'
import {markDead, staleNodes, type MarkDeadResult} from './nodes.js'
import {detachOp, findRecoveryId, validateOp} from './domains.js'
import {planRecovery, recover, type RecoverOptions} from './recover.js'

export interface Seen<P> {
  /** What was shown before the question, if one was asked. */
  preview?: P
  /** --expect-generation. */
  expectGeneration?: number
}

const expectGen = (n: number | undefined): CommitGuard | undefined =>
  n === undefined ? undefined : stillAsSeen({generation: n, source: `--expect-generation ${n}`})

/** What a mark-dead preview shows: per domain, its new epoch and the locks the death orphans, drops, withdraws and grants. */
const deathShown = (r: MarkDeadResult) => ({
  generation: r.generation,
  ...Object.fromEntries(
    r.domains.flatMap((d) => [
      [`${d.domain} epoch`, d.epoch],
      [`${d.domain} locks orphaned`, d.orphaned],
      [`${d.domain} locks dropped`, d.dropped],
      [`${d.domain} requests withdrawn`, d.withdrawn],
      [`${d.domain} locks granted`, d.granted],
    ]),
  ),
  domains: r.domains.map((d) => d.domain),
})

/** The node's heartbeat must still be the one shown (`node check`: a node that answered meanwhile is not stale). */
const heartbeatAsShown = (name: string, heartbeat: string): CommitGuard => ({
  async before(s) {
    const now = (await s.membership()).nodes.find((n) => n.name === name)?.heartbeat
    if (now !== heartbeat) throw stateChanged('the list you confirmed', [`${name} sent a heartbeat at ${now} (shown: ${heartbeat}): it is not stale`])
  },
})

export async function markDeadConfirmed(
  ctx: Ctx,
  name: string,
  seen: Seen<MarkDeadResult> & {heartbeat?: string},
  opts: {skipFence?: boolean; reason?: string; onFence?: (argv: string[], timeoutMs: number) => void},
): Promise<MarkDeadResult> {
  const guard = () =>
    allOf(
      expectGen(seen.expectGeneration),
      seen.preview && sameAsShown(seen.preview, deathShown),
      seen.heartbeat === undefined ? undefined : heartbeatAsShown(name, seen.heartbeat),
    )
  // Checked before fencing as well: a node is not powered off on a plan that no longer holds.
  const beforeFence = async () => {
    const g = guard()
    if (!g) return
    const now = await markDead(ctx, name, {dryRun: true})
    await withView(ctx, [scopes.membership], (s) => g.before!(s, [scopes.membership]))
    if (!now.alreadyDead) await g.after!(undefined as never, now)
  }
  return markDead({...ctx, guard: guard()}, name, {...opts, beforeFence})
}

/** A stale node: up, its heartbeat older than the timeout. */
export interface StaleNode {
  name: string
  heartbeat: string
}

/**
 * node check: the up nodes whose heartbeat is older than `timeout` (as the
 * operator wrote it; `timeoutMs` parsed), each marked dead once `confirm` agrees
 * (fencing included), unless its heartbeat changed meanwhile; with dryRun only
 * listed. The event log gives each death's reason: "heartbeat older than <timeout>".
 */
export async function markStaleDead(
  ctx: Ctx,
  timeout: {text: string; ms: number},
  opts: {dryRun?: boolean; confirm: (stale: StaleNode[]) => Promise<void>; skipFence?: boolean; onFence?: (argv: string[], timeoutMs: number) => void},
) {
  const stale = await staleNodes(ctx, timeout.ms)
  const markedDead: string[] = []
  if (stale.length > 0 && !opts.dryRun) {
    await opts.confirm(stale)
    for (const n of stale) {
      const r = await markDeadConfirmed(ctx, n.name, {heartbeat: n.heartbeat}, {skipFence: opts.skipFence, reason: `heartbeat older than ${timeout.text}`, onFence: opts.onFence})
      if (!r.alreadyDead) markedDead.push(n.name)
    }
  }
  return {timeoutMs: timeout.ms, stale, markedDead, dryRun: !!opts.dryRun}
}

export type ValidatePreview = Awaited<ReturnType<typeof validateOp>> & {planEpoch: number; abandoned: Abandoned[]}
export interface Abandoned {
  node: string
  transactions: number
  records: number
}

/** What validate --force would do, with what it abandons: per dead node, the committed transactions and records not replayed. */
export async function previewForcedValidate(ctx: Ctx, fs: string, id: number): Promise<ValidatePreview> {
  const v = await validateOp(ctx, fs, id, {force: true, dryRun: true})
  const plan = (await planRecovery(ctx, [fs])).domains[0]
  const abandoned = plan.journals.filter((j) => j.pendingRecords > 0).map((j) => ({node: j.node, transactions: j.pendingTransactions, records: j.pendingRecords}))
  return {...v, planEpoch: plan.epoch, abandoned}
}

const validateShown = (r: Record<string, unknown>) => ({
  result: r.result,
  'orphans released': r.releasedOrphans,
  'locks granted': r.granted,
  'nodes recovered': r.recoveredNodes,
})

export async function validateConfirmed(ctx: Ctx, fs: string, id: number, seen: Seen<ValidatePreview>, opts: {force?: boolean}) {
  const g = allOf(
    expectGen(seen.expectGeneration),
    seen.preview && stillAsSeen({epochs: {[fs]: seen.preview.planEpoch}, source: 'the plan you confirmed'}),
    seen.preview && sameAsShown(seen.preview as Record<string, unknown>, validateShown),
  )
  return validateOp({...ctx, guard: g}, fs, id, opts)
}

/** Detach recovery id `id` once `confirm` agrees; an unknown domain or id is said before asking. */
export async function detachConfirmed(ctx: Ctx, fs: string, id: number, seen: Seen<never>, opts: {confirm?: () => Promise<void>} = {}) {
  await findRecoveryId(ctx, fs, id)
  await opts.confirm?.()
  return detachOp({...ctx, guard: expectGen(seen.expectGeneration)}, fs, id)
}

export type RecoveryPlan = Awaited<ReturnType<typeof planRecovery>>

/** The parts of a recovery plan the operator confirmed: per domain, its epoch, dead nodes, the journals' pending records, the orphans. */
const planShown = (p: RecoveryPlan) =>
  Object.fromEntries(
    p.domains.flatMap((d) => [
      [`${d.name} epoch`, d.epoch],
      [`${d.name} dead nodes`, d.deadNodes],
      [`${d.name} records to replay`, d.journals.map((j) => `${j.node}:${j.pendingRecords}`)],
      [`${d.name} orphans to release`, d.orphans],
    ]),
  )

export async function recoverConfirmed(ctx: Ctx, names: string[], seen: Seen<RecoveryPlan>, opts: RecoverOptions) {
  // Checked up front as well: inside the recovery a refusal is one domain's FAILED, not the command's answer.
  const gen = expectGen(seen.expectGeneration)
  if (gen) await withView(ctx, [scopes.membership], (s) => gen.before!(s, [scopes.membership]))
  if (seen.preview) {
    // The plan again, just before acting; its epochs are then held to at each domain's first step.
    const now = await planRecovery(ctx, names, opts.as)
    await sameAsShown(seen.preview, planShown).after!(undefined as never, now)
  }
  const g = allOf(
    expectGen(seen.expectGeneration),
    seen.preview && stillAsSeen({epochs: Object.fromEntries(seen.preview.domains.map((d) => [d.name, d.epoch])), source: 'the plan you confirmed'}),
  )
  return recover({...ctx, guard: g}, names, opts)
}
