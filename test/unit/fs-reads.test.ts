// What a node reads, and what checkpoint logs, around deaths and a forced validate.
import {describe, expect, it} from 'vitest'
import {tempClusters} from './helpers/clusters.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {fsCheckpoint, fsRead, fsWrite} from '../../src/core/fs.js'
import {events} from '../../src/core/cluster-views.js'
import {requestLockOp} from '../../src/core/locks.js'
import {joinNode, markDead} from '../../src/core/nodes.js'

const makeCluster = tempClusters('fsreads')
const cluster = () => makeCluster(['n1', 'n2'])

describe('fs reads and checkpoints', () => {
  it('the fs.checkpoint event logs the point before and after', async () => {
    const ctx = await cluster()
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n1', mode: 'EX', persistent: true})
    await fsWrite(ctx, 'fs1', 'n1', [['a', '1']], [])
    const c = await fsCheckpoint(ctx, 'fs1', 'n1')
    const ev = (await events(ctx, {type: 'fs.checkpoint'})).events
    expect(ev).toHaveLength(1)
    expect(ev[0]).toMatchObject({from: 0, to: c.checkpoint})
    expect(c.checkpoint).toBeGreaterThan(0)
  })

  it('after validate --force abandons a dead node\'s records, reads never see them, before or after it rejoins', async () => {
    const ctx = await cluster()
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
    await fsWrite(ctx, 'fs1', 'n2', [['a', 'old']], [])
    await fsCheckpoint(ctx, 'fs1', 'n2')
    await fsWrite(ctx, 'fs1', 'n2', [['a', 'abandoned']], [])
    await markDead(ctx, 'n2', {skipFence: true})
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    const v = await validateOp(ctx, 'fs1', id, {force: true})
    expect(v).toMatchObject({result: 'VALID', forced: true})
    // The orphan is gone: n1 can lock and read; the abandoned write is not there.
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n1', mode: 'PR', persistent: true})
    expect((await fsRead(ctx, 'fs1', 'a', {node: 'n1'})).value).toBe('old')
    await joinNode(ctx, 'n2')
    expect((await fsRead(ctx, 'fs1', 'a', {node: 'n1'})).value).toBe('old')
  })
})
