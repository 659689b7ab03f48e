// What every operation needs: where the state is, how long to wait for it, the clock.
import {ClusterState} from './state.js'
import type {Clock} from './clock.js'
import {transact, view} from '../store/txdir.js'
import {SCOPE_MEMBERSHIP, domainScope} from '../store/layout.js'

export interface Ctx {
  root: string
  waitMs: number
  clock: Clock
}

export const scopes = {
  membership: SCOPE_MEMBERSHIP,
  domain: domainScope,
}

/** Run `fn` on the state under exclusive scope locks; what it changed is committed atomically. */
export async function withTx<T>(ctx: Ctx, scopeList: string[], fn: (s: ClusterState) => Promise<T>): Promise<T> {
  return transact({root: ctx.root, scopes: scopeList, waitMs: ctx.waitMs}, async (tx) => {
    const s = new ClusterState(tx, ctx.clock, ctx.root)
    const result = await fn(s)
    s.flush()
    return result
  })
}

/** Run `fn` on a consistent read-only view (shared locks; nothing on disk changes). */
export async function withView<T>(ctx: Ctx, scopeList: string[], fn: (s: ClusterState) => Promise<T>): Promise<T> {
  return view({root: ctx.root, scopes: scopeList, waitMs: ctx.waitMs}, (r) => fn(new ClusterState(r, ctx.clock, ctx.root)))
}
