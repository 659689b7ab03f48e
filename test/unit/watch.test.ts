// The live view's change detection and re-reads, in-process against the core:
// a change anywhere moves the signature; nothing moves it while nothing
// changes; only the domains that moved are read again, and a heartbeat (which
// rewrites membership.json) does not re-read the locks, while a death does.
import {describe, expect, it} from 'vitest'
import {tempClusters} from './helpers/clusters.js'
import {requestLockOp} from '../../src/core/locks.js'
import {heartbeat, markDead} from '../../src/core/nodes.js'
import {watcher} from '../../src/core/watch.js'
import {initCluster} from '../../src/core/init.js'
import {testClock, TEST_BASE} from './helpers/clusters.js'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const makeCluster = tempClusters('watch')

describe('status --watch: what is read when', () => {
  it('the signature stays while nothing changes and moves on a lock request', async () => {
    const ctx = await makeCluster()
    const w = watcher(ctx)
    const s0 = await w.snapshot()
    expect(s0.domains[0].counts.locks).toBe(9) // deadman locks of three members
    const sig = await w.signature()
    expect(await w.signature()).toBe(sig)
    await w.snapshot() // reading changes nothing
    expect(await w.signature()).toBe(sig)
    await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'EX'})
    expect(await w.signature()).not.toBe(sig)
    const s1 = await w.snapshot()
    expect(s1.domains[0].counts).toMatchObject({locks: 10, granted: s0.domains[0].counts.granted + 1})
  })

  it('only the domain that moved is read again; a heartbeat re-reads no domain; a death re-reads them', async () => {
    const root = mkdtempSync(join(TEST_BASE, 'dlmctl-watch2-'))
    try {
      const nodes = ['n1', 'n2']
      await initCluster(root, {name: 'c', nodes, fs: [{name: 'fs1', members: nodes}, {name: 'fs2', members: nodes}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 30_000}, testClock)
      const ctx = {root, waitMs: 5000, clock: testClock}
      const w = watcher(ctx)
      const a = await w.snapshot()
      await requestLockOp(ctx, {fs: 'fs2', resource: 'r/1', node: 'n1', mode: 'EX', persistent: true})
      const b = await w.snapshot()
      expect(b.domains[0]).toBe(a.domains[0]) // fs1: the same object, not read again
      expect(b.domains[1]).not.toBe(a.domains[1])
      expect(b.domains[1].counts.locks).toBe(a.domains[1].counts.locks + 1)
      await heartbeat(ctx, 'n1')
      const c = await w.snapshot()
      expect(c.domains[0]).toBe(b.domains[0])
      expect(c.domains[1]).toBe(b.domains[1])
      await markDead(ctx, 'n1', {skipFence: true})
      const d = await w.snapshot()
      expect(d.domains[0]).not.toBe(c.domains[0])
      expect(d.domains[1]).toMatchObject({state: 'recovering', deadNodes: ['n1'], counts: {orphans: 1}})
      expect(d.events.at(-1)).toMatchObject({type: 'node.dead', node: 'n1'})
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})
