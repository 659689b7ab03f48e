// The recovery procedure, per domain, as the seed describes it: the survivors
// pick one of them to run it (it takes EX on recovery/<fs>; the others wait on
// that resource); id = attach; replay every dead node's journal; validate(id);
// on MORE_RECOVERY (another member died) start again, a bounded number of times.
// Domains recover in parallel: each step takes only its own domain's lock. Every
// step is its own transaction and safe to rerun, so a recover killed at any point
// is finished by running it again; a second recover of a domain waits for the
// running one (its claim, recover.<fs>) and finds nothing left to do.
import {KILL_AFTER_ATTACH} from './testing-aids.js'
import {DlmError} from '../errors.js'
import {recoveryResource} from '../model/domain.js'
import {requireUpMember, upMembers, upNodes} from '../model/membership.js'
import {allLocks, removeLock, requestLock} from '../model/resource.js'
import type {Mode} from '../model/modes.js'
import {onEtcd, withTx, withView, scopes, type Ctx} from './context.js'
import type {DomainSession} from './domain-session.js'
import type {Resource} from '../model/types.js'
import {attachOp, validateOp} from './domains.js'
import {markDead} from './nodes.js'
import {replayOp} from './replay.js'
import {scanJournal} from '../journal/scan.js'
import {claim} from '../store/claim.js'
import {recoverScope} from '../store/layout.js'
import type {HeldLocks} from '../store/filelock.js'

export interface RecoverOptions {
  /** Run the recovery as this node (default: the first up member by name). */
  as?: string
  maxAttempts: number
  /** Testing aid (DLMCTL_KILL_AFTER_ATTACH): mark this node dead right after the first attach (a death during recovery). */
  killAfterAttach?: string
  onStep?: (fs: string, step: string) => void
  /** Records replayed so far in this domain's current attempt, and the share of its journal bytes scanned (for a progress line). */
  onReplayProgress?: (fs: string, records: number, fraction: number) => void
}

export interface DomainRecovery {
  name: string
  result: 'RECOVERED' | 'FAILED'
  attempts: number
  replayedNodes: string[]
  runner: string | null
  message?: string
  error?: {code: string; message: string; exitCode: number}
}

/** The file systems that are recovering (for --all and the interactive choice). */
export async function recoveringDomains(ctx: Ctx, all: string[]): Promise<{name: string; deadNodes: string[]}[]> {
  return withView(ctx, all.map(scopes.domain), async (s) =>
    (await s.allDomains()).filter((d) => d.meta.state === 'recovering').map((d) => ({name: d.name, deadNodes: d.meta.deadNodes})),
  )
}

/** The survivor that runs the recovery: --as if it is an up member, else the first up member. */
async function pickRunner(ctx: Ctx, fs: string, as?: string): Promise<{runner: string | null; recovering: boolean; dead: string[]}> {
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const m = await s.membership()
    if (as) requireUpMember(m, d.meta, as)
    const runner = as ?? upMembers(m, d.meta)[0] ?? null
    return {runner, recovering: d.meta.state === 'recovering', dead: d.meta.deadNodes}
  })
}

async function isUp(ctx: Ctx, node: string): Promise<boolean> {
  return withView(ctx, [scopes.membership], async (s) => upNodes(await s.membership()).has(node))
}

/** Drop every lock on recovery/<fs> and forget its value block (a dead runner's EX left it invalid). */
async function clearRecoveryResource(d: DomainSession, fs: string): Promise<Resource> {
  const res = await d.resourceForUpdate(recoveryResource(fs))
  for (const l of allLocks(res)) {
    removeLock(res, l)
    await d.indexDelete(l.id)
  }
  res.lvb = '0'.repeat(res.lvb.length)
  res.lvbValid = true
  return res
}

/**
 * Take the recovery lock: the runner holds EX on recovery/<fs>, the other up
 * members wait on it with PR. Locks left there by an interrupted recover are
 * dropped first (their process is gone; this rerun takes over).
 */
async function takeRecoveryLock(ctx: Ctx, fs: string, runner: string): Promise<void> {
  await withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const waiters = upMembers(await s.membership(), d.meta).filter((n) => n !== runner)
    const wanted: [string, Mode][] = [[runner, 'EX'], ...waiters.map((n): [string, Mode] => [n, 'PR'])]
    // A killed run of ours (we hold the claim) took exactly this lock: carry on with it,
    // so that the rerun converges to what one uninterrupted run leaves (ids included).
    const left = await d.resource(recoveryResource(fs))
    if (left && heldAsWanted(left, wanted)) return
    const res = await clearRecoveryResource(d, fs)
    for (const [node, mode] of wanted) {
      const lock = requestLock(res, {id: d.meta.nextLockId++, node, mode, persistent: false})
      await d.indexSet(lock.id, res.name)
    }
    d.changed()
    s.event('recover.start', {runner, waiting: waiters}, fs)
  })
}

/** The recovery lock as takeRecoveryLock leaves it for these locks: runner's EX granted, the others' PR waiting. */
function heldAsWanted(res: Resource, wanted: [string, Mode][]): boolean {
  const [[runner], ...waiters] = wanted
  const g = res.grantQueue
  return (
    res.lvbValid &&
    /^0*$/.test(res.lvb) &&
    res.convertQueue.length === 0 &&
    g.length === 1 &&
    g[0].node === runner &&
    g[0].mode === 'EX' &&
    !g[0].persistent &&
    res.waitQueue.length === waiters.length &&
    res.waitQueue.every((l, i) => l.node === waiters[i][0] && l.mode === 'PR' && !l.persistent)
  )
}

/**
 * The runner's recovery id: one a killed run of ours attached at the current
 * epoch (we hold the claim) is carried on with, else a new attach.
 */
async function attachOrResume(ctx: Ctx, fs: string, runner: string): Promise<{id: number; epoch: number}> {
  const left = await withView(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    return d.meta.attachments.find((a) => a.node === runner && a.epoch === d.meta.epoch)
  })
  return left ?? attachOp(ctx, fs, runner)
}

/** Release the recovery lock (the waiters are granted, then let go) and forget our recovery ids. */
async function finishRecovery(ctx: Ctx, fs: string, ids: number[], result: DomainRecovery) {
  await withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    await clearRecoveryResource(d, fs)
    d.meta.attachments = d.meta.attachments.filter((a) => !ids.includes(a.id))
    d.changed()
    s.event('recover.end', {result: result.result, attempts: result.attempts, replayedNodes: result.replayedNodes, runner: result.runner, ...(result.message ? {message: result.message} : {})}, fs)
  })
}

/**
 * Locks on recovery/<fs> while we hold the recover claim belong to a recover
 * that was killed (its claim went with it). In a domain left normal they are
 * dropped, so that nothing of its attempt stays behind; in one still
 * recovering, this run carries on with them (takeRecoveryLock). Its
 * attachments were retired by a validate, or are by the next one. Changes
 * nothing when there is nothing left.
 */
async function clearAbandonedRun(ctx: Ctx, fs: string): Promise<void> {
  const left = await withView(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const res = await d.resource(recoveryResource(fs))
    return d.meta.state === 'normal' && res ? allLocks(res).length > 0 || !res.lvbValid : false
  })
  if (!left) return
  await withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    await clearRecoveryResource(d, fs)
    d.changed()
  })
}

/**
 * One domain's recovery, start to end, under the domain's recover claim (a
 * kernel lock held for the whole procedure): a second recover of the same
 * domain waits for this one (up to --wait, then BUSY naming it) and then finds
 * nothing left to do; the procedure never runs twice at once.
 */
async function recoverOne(ctx: Ctx, fs: string, opts: RecoverOptions): Promise<DomainRecovery> {
  const out: DomainRecovery = {name: fs, result: 'FAILED', attempts: 0, replayedNodes: [], runner: null}
  let held: HeldLocks | undefined
  try {
    await pickRunner(ctx, fs, opts.as) // the domain exists, --as is usable: before creating any lock file
    // On etcd: a key held by a lease (store/etcd/claim.ts), loaded only there.
    const etcd = await onEtcd(ctx)
    held = etcd
      ? await (await import('../store/etcd/claim.js')).claimOnEtcd(etcd, recoverScope(fs), ctx.waitMs, {what: `dlmctl recover ${fs}`, since: ctx.clock.now()})
      : await claim(ctx.root, recoverScope(fs), ctx.waitMs, {what: `dlmctl recover ${fs}`, since: ctx.clock.now()})
  } catch (e) {
    if (!(e instanceof DlmError)) throw e
    return {...out, message: e.message, error: {code: e.code, message: e.message, exitCode: e.exitCode}}
  }
  try {
    return await recoverClaimed(ctx, fs, opts, out)
  } finally {
    await held.release()
  }
}

async function recoverClaimed(ctx: Ctx, fs: string, opts: RecoverOptions, out: DomainRecovery): Promise<DomainRecovery> {
  const step = (m: string) => opts.onStep?.(fs, m)
  const ids: number[] = []
  let locked = false
  try {
    await clearAbandonedRun(ctx, fs)
    const first = await pickRunner(ctx, fs, opts.as)
    if (!first.recovering) {
      return {...out, result: 'RECOVERED', message: 'nothing to recover'}
    }
    while (out.attempts < opts.maxAttempts) {
      out.attempts++
      // A survivor runs it: --as while it is up; if the runner itself died, another one takes over.
      const {runner, recovering} = await pickRunner(ctx, fs, opts.as && (await isUp(ctx, opts.as)) ? opts.as : undefined)
      if (!recovering) {
        out.result = 'RECOVERED' // a parallel recover finished it
        break
      }
      if (!runner) throw new DlmError('NODE_NOT_UP', `no member of ${fs} is up to run its recovery`)
      if (runner !== out.runner) {
        await takeRecoveryLock(ctx, fs, runner)
        locked = true
        out.runner = runner
      }
      const a = await attachOrResume(ctx, fs, runner)
      ids.push(a.id)
      step(`attempt ${out.attempts}: ${runner} attached (recovery id ${a.id}, epoch ${a.epoch})`)
      if (opts.killAfterAttach && out.attempts === 1) {
        await markDead(ctx, opts.killAfterAttach, {skipFence: true, reason: `recover with ${KILL_AFTER_ATTACH} (testing)`})
        step(`${opts.killAfterAttach} died during recovery`)
      }
      const r = await replayOp(ctx, fs, a.id, {onProgress: opts.onReplayProgress && ((n, f) => opts.onReplayProgress!(fs, n, f))})
      if (r.result === 'MORE_RECOVERY') {
        step('another member died during replay: starting again')
        continue
      }
      step(`replayed ${r.journals.map((j) => `${j.node} (${j.applied} records${j.stoppedAt ? `, stopped at ${j.stoppedAt.reason} offset ${j.stoppedAt.offset}` : ''})`).join(', ') || 'nothing'}`)
      const v = await validateOp(ctx, fs, a.id)
      if (v.result === 'MORE_RECOVERY') {
        step('another member died before validate: starting again')
        continue
      }
      out.result = 'RECOVERED'
      out.replayedNodes = 'replayedNodes' in v ? v.replayedNodes : []
      step(`validated: ${fs} is normal`)
      break
    }
    if (out.result !== 'RECOVERED') {
      out.message = `${fs} still recovering after ${out.attempts} attempt(s): members kept dying (raise --max-attempts, or run dlmctl recover ${fs} again)`
    }
  } catch (e) {
    if (!(e instanceof DlmError)) throw e
    out.result = 'FAILED'
    out.message = e.message
    out.error = {code: e.code, message: e.message, exitCode: e.exitCode}
  }
  if (locked || ids.length) await finishRecovery(ctx, fs, ids, out)
  return out
}

export async function recover(ctx: Ctx, domains: string[], opts: RecoverOptions): Promise<{domains: DomainRecovery[]}> {
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1) throw new DlmError('USAGE', '--max-attempts must be at least 1')
  const results = await Promise.all(domains.map((fs) => recoverOne(ctx, fs, opts)))
  return {domains: results}
}

/** What recover would do, changing nothing: runner, dead nodes, what their journals hold, orphans to release. */
export async function planRecovery(ctx: Ctx, domains: string[], as?: string) {
  const plans = []
  for (const fs of domains) {
    const {runner, recovering, dead} = await pickRunner(ctx, fs, as)
    const detail = await withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
      const d = await s.domain(fs)
      const journals = []
      for (const node of dead) {
        const p = await s.journalPoint(fs, node)
        const r = await scanJournal(await s.journalSource(fs, node), p.offset)
        journals.push({node, pendingTransactions: r.transactions, pendingRecords: r.committed, discarded: r.discarded, stoppedAt: r.stoppedAt})
      }
      const orphans = (await d.allResources()).flatMap((res) => res.grantQueue.filter((l) => dead.includes(l.node)).map((l) => l.id))
      return {journals, orphans, epoch: d.meta.epoch}
    })
    plans.push({name: fs, recovering, runner, deadNodes: dead, ...detail})
  }
  return {dryRun: true, domains: plans}
}
