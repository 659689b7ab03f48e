// On etcd, writers of one process that share a scope take turns (turns.ts):
// they never make each other lose a race. 6 flows × 5 lock requests on one
// domain, in this process: every commit's compare succeeds the first time,
// ids are all distinct, check clean. (Across processes etcd's compares still
// arbitrate: etcd-store.test.ts and conformance.test.ts.)
import {describe, expect, it} from 'vitest'
import type {Ctx} from '../../src/core/context.js'
import {initCluster} from '../../src/core/init.js'
import {requestLockOp} from '../../src/core/locks.js'
import {checkState} from '../../src/core/cluster-views.js'
import {systemClock} from '../../src/core/clock.js'
import {etcdStore} from '../../src/store/etcd/store.js'
import {sharedEtcd} from './helpers/etcd-shared.js'

const clock = systemClock({DLMCTL_CLOCK: '2026-01-01T00:00:00Z'})
const etcd = sharedEtcd()


describe('writers of one process on etcd', () => {
  it('take turns on a shared scope: no lost race, no duplicate id', async () => {
    const ctx: Ctx = {root: etcd.url('turns'), waitMs: 30_000, clock}
    await initCluster(ctx.root, {name: 'c', nodes: ['n1', 'n2'], fs: [{name: 'fs1', members: ['n1', 'n2']}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 1000}, clock)
    const client = etcdStore(ctx.root).client
    const txn = client.txn.bind(client)
    let lost = 0
    let commits = 0
    client.txn = async (...a: Parameters<typeof txn>) => {
      const r = await txn(...a)
      if (r.succeeded) commits++
      else lost++
      return r
    }
    try {
      const ids = (
        await Promise.all(
          Array.from({length: 6}, async (_, f) => {
            const out: number[] = []
            for (let i = 0; i < 5; i++) out.push((await requestLockOp(ctx, {fs: 'fs1', resource: `t/${f}/${i}`, node: 'n1', mode: 'PR'})).lockId)
            return out
          }),
        )
      ).flat()
      expect(new Set(ids).size).toBe(30)
      expect(commits).toBe(30)
      expect(lost).toBe(0)
    } finally {
      client.txn = txn
    }
    expect((await checkState(ctx)).ok).toBe(true)
  }, 60_000)
})
