// What every operation needs: where the state is, how long to wait for it, the clock.
import {ClusterState} from './state.js'
import type {Clock} from './clock.js'
import {transact, view} from '../store/txdir.js'
import {CLUSTER, DOMAINS, SCOPE_MEMBERSHIP, domainFile, domainOfScope, domainScope} from '../store/layout.js'
import {guardOf} from '../store/contract.js'
import {errnoOf, io} from '../store/io.js'
import {storeIoError} from '../store/envfail.js'
import {join} from 'node:path'
import {DlmError} from '../errors.js'
import type {CommitGuard} from './guard.js'
import {isEtcdState} from '../store/etcd/url.js'
import type {Reader, Tx} from '../store/txdir.js'
import {unknownFileSystem} from '../model/domain.js'

export interface Ctx {
  /** The state directory (absolute), or an etcd URL (etcd://HOST:PORT[,…]/PREFIX): see onEtcd. */
  root: string
  waitMs: number
  clock: Clock
  /** Checks that what the operator confirmed still holds, run inside each transaction (guard.ts). */
  guard?: CommitGuard
}

export const scopes = {
  membership: SCOPE_MEMBERSHIP,
  domain: domainScope,
}

/**
 * Before taking exclusive locks (which creates missing lock files): is this a
 * cluster, and do the named domains exist? A mistyped --state or file system
 * must leave nothing behind.
 */
async function requireScopesExist(root: string, scopeList: string[]): Promise<void> {
  const exists = (rel: string) =>
    io.stat(join(root, rel)).then(
      () => true,
      (e: unknown) => {
        if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return false
        throw storeIoError(e, root) ?? e
      },
    )
  if (!(await exists(CLUSTER))) {
    if (!(await exists('.'))) throw new DlmError('NO_STATE', `no state directory at ${root} (create one with: dlmctl init, or give --state)`)
    throw new DlmError('NO_STATE', `not a dlmctl state directory: no ${CLUSTER} in ${root} (create one with: dlmctl init)`)
  }
  for (const sc of scopeList) {
    const fs = domainOfScope(sc)
    if (fs === undefined) continue
    if (!(await exists(domainFile(fs)))) {
      throw unknownFileSystem(fs, (await io.readdir(join(root, DOMAINS)).catch(() => [] as string[])).sort())
    }
  }
}

/** The etcd backend when the state is an etcd URL (loaded only then: directory start-up is unchanged), else null. */
export async function onEtcd(ctx: Pick<Ctx, 'root'>) {
  if (!isEtcdState(ctx.root)) return null
  return (await import('../store/etcd/store.js')).etcdStore(ctx.root)
}

/** Run `fn` on the state under exclusive scope locks; what it changed is committed atomically. */
export async function withTx<T>(ctx: Ctx, scopeList: string[], fn: (s: ClusterState) => Promise<T>): Promise<T> {
  const etcd = await onEtcd(ctx)
  if (!etcd) await requireScopesExist(ctx.root, scopeList)
  const run = async (tx: Tx) => {
    const s = new ClusterState(tx, ctx.clock, ctx.root)
    await ctx.guard?.before?.(s, scopeList)
    const result = await fn(s)
    await ctx.guard?.after?.(s, result)
    await s.stampEvents(scopeList)
    s.flush()
    return result
  }
  if (etcd) return (await import('../store/etcd/turns.js')).inTurn(ctx.root, scopeList, () => etcd.transact(scopeList, ctx.waitMs, guardOf, run))
  return transact({root: ctx.root, scopes: scopeList, waitMs: ctx.waitMs, guardOf}, run)
}

/** Run `fn` on a consistent read-only view (shared locks; nothing on disk changes). */
export async function withView<T>(ctx: Ctx, scopeList: string[], fn: (s: ClusterState) => Promise<T>): Promise<T> {
  const etcd = await onEtcd(ctx)
  if (etcd) return etcd.view(ctx.waitMs, (r: Reader) => fn(new ClusterState(r, ctx.clock, ctx.root)))
  return view({root: ctx.root, scopes: scopeList, waitMs: ctx.waitMs}, (r) => fn(new ClusterState(r, ctx.clock, ctx.root)))
}
