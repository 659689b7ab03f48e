// Temporary clusters for in-process tests of the core: one fs1 mounted by every
// node, a fixed clock, removed after the test file. tmpfs when there is one:
// these tests commit many small transactions.
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll} from 'vitest'
import {TEST_BASE} from '../../tmpbase.js'
import {systemClock} from '../../../src/core/clock.js'
import {withTx, type Ctx} from '../../../src/core/context.js'
import {initCluster} from '../../../src/core/init.js'
import {requestLock} from '../../../src/model/resource.js'

export const testClock = systemClock({DLMCTL_CLOCK: '2026-01-01T00:00:00Z'})
export {TEST_BASE}

/** Call at the top level of a test file: returns a maker of fresh clusters. */
export function tempClusters(prefix: string): (nodes?: string[]) => Promise<Ctx> {
  const roots: string[] = []
  afterAll(() => {
    for (const r of roots) rmSync(r, {recursive: true, force: true})
  })
  return async (nodes = ['n1', 'n2', 'n3']) => {
    const root = mkdtempSync(join(TEST_BASE, `dlmctl-${prefix}-`))
    roots.push(root)
    await initCluster(root, {name: 'c', nodes, fs: [{name: 'fs1', members: nodes}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 30_000}, testClock)
    return {root, waitMs: 5000, clock: testClock}
  }
}

/**
 * Persistent locks of `node` on `resources`, granted in ONE transaction: the
 * steps of core/locks.ts requestLockOp for each (the next lock id, the request,
 * the lock index), for a test whose point is what comes after many locks, not
 * their commits one by one. Resources that would wait are not expected.
 */
export async function persistentLocksInOneTx(ctx: Ctx, fs: string, node: string, mode: 'EX' | 'PR', resources: string[]): Promise<void> {
  await withTx(ctx, [`domain.${fs}`], async (s) => {
    const d = await s.domain(fs)
    for (const resource of resources) {
      const res = await d.resourceForUpdate(resource)
      const lock = requestLock(res, {id: d.meta.nextLockId++, node, mode, persistent: true})
      await d.indexSet(lock.id, res.name)
    }
    d.changed()
  })
}
