// Temporary clusters for in-process tests of the core: one fs1 mounted by every
// node, a fixed clock, removed after the test file. tmpfs when there is one:
// these tests commit many small transactions.
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll} from 'vitest'
import {TEST_BASE} from '../../tmpbase.js'
import {systemClock} from '../../../src/core/clock.js'
import type {Ctx} from '../../../src/core/context.js'
import {initCluster} from '../../../src/core/init.js'

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
