// etcd's limit on one request (--max-request-bytes) against a domain's bucket
// keys, on a real etcd started with a small limit (64 KiB) so that a few locks
// with 1 KiB value blocks reach it: a change whose bucket key would pass the
// limit is refused with one clear error (STORE_IO, exit 9, naming the bucket
// key and its size; nothing written), and a death whose buckets do not fit four
// to a commit is still brought up to date, fewer buckets at a time.
import {describe, expect, it} from 'vitest'
import {DlmError, EXIT} from '../../src/errors.js'
import type {Ctx} from '../../src/core/context.js'
import {initCluster} from '../../src/core/init.js'
import {listLocks, requestLockOp} from '../../src/core/locks.js'
import {markDead} from '../../src/core/nodes.js'
import {checkState} from '../../src/core/cluster-views.js'
import {systemClock} from '../../src/core/clock.js'
import {bucketOf} from '../../src/store/layout.js'
import {etcdStore} from '../../src/store/etcd/store.js'
import {ownEtcd} from './helpers/etcd-shared.js'
import {persistentLocksInOneTx} from './helpers/clusters.js'

const clock = systemClock({DLMCTL_CLOCK: '2026-01-01T00:00:00Z'})
const LIMIT = 64 * 1024
// Its own etcd: a smaller request limit.
const etcd = ownEtcd(1, {args: ['--max-request-bytes', String(LIMIT)]})
let n = 0

async function freshCluster(): Promise<Ctx> {
  const ctx: Ctx = {root: etcd().url(`lim${process.pid}-${n++}`), waitMs: 20_000, clock}
  await initCluster(ctx.root, {name: 'c', nodes: ['n1', 'n2', 'n3'], fs: [{name: 'fs1', members: ['n1', 'n2', 'n3']}], lvbSize: 1024, fenceCmd: null, fenceTimeoutMs: 1000}, clock)
  return ctx
}

/** `count` resource names that all hash to `bucket`. */
function namesIn(bucket: number, count: number): string[] {
  const out: string[] = []
  for (let i = 0; out.length < count; i++) if (bucketOf(`big/${i}`) === bucket) out.push(`big/${i}`)
  return out
}

const domainJson = async (ctx: Ctx) => JSON.parse((await etcdStore(ctx.root).readLatest('domains/fs1/domain.json')).toString('utf8'))

describe('a domain against etcd --max-request-bytes', () => {
  it('a lock whose bucket key would pass the limit: one clear error naming the bucket and its size, nothing written', async () => {
    const ctx = await freshCluster()
    const names = namesIn(7, 40)
    let refused: DlmError | undefined
    let granted = 0
    for (const resource of names) {
      try {
        await requestLockOp(ctx, {fs: 'fs1', resource, node: 'n1', mode: 'PR'})
        granted++
      } catch (e) {
        refused = e as DlmError
        break
      }
    }
    expect(refused).toBeInstanceOf(DlmError)
    // ~4 KiB a resource (two 1 KiB value blocks in hex): the limit falls a dozen or so locks in.
    expect(granted).toBeGreaterThan(5)
    expect(granted).toBeLessThan(20)
    expect(refused!.code).toBe('STORE_IO')
    expect(refused!.exitCode).toBe(EXIT.STORE_IO)
    expect(refused!.message).toMatch(/^this change to domain\.fs1 needs \d+ etcd operations and \d+ bytes in one transaction, more than etcd:\/\/\S+ accepts \(etcdserver: request is too large\); its largest key, domains\/fs1\/res\/07\.json, is \d+ bytes \(a bucket of the domain's resources, written whole: the domain has outgrown the request limit, see LIMITS ON ETCD in dlmctl-state\(5\)\); nothing was written: start etcd with a larger --max-request-bytes/)
    expect(refused!.message).not.toContain('\n')
    expect(refused!.detail).toMatchObject({tooLarge: true, largestKey: 'domains/fs1/res/07.json'})
    expect(refused!.detail!.largestBytes as number).toBeGreaterThan(LIMIT / 2)
    // Nothing of the refused request was written: the granted locks, and the counter, only.
    expect((await listLocks(ctx, {fs: 'fs1', resource: 'big/*'}, async () => ['fs1'])).locks).toHaveLength(granted)
    expect((await checkState(ctx)).ok).toBe(true)
  }, 60_000)

  it('a death whose buckets do not fit four to a commit is brought up to date fewer at a time', async () => {
    const ctx = await freshCluster()
    // n2 holds ~40 KiB in each of buckets 1-4: two fit one 64 KiB request, four do not.
    // One transaction a bucket (what requestLockOp does for each lock; ~40 KiB fits one request).
    for (const b of [1, 2, 3, 4]) await persistentLocksInOneTx(ctx, 'fs1', 'n2', 'EX', namesIn(b, 9))
    await markDead(ctx, 'n2', {reason: 'test', skipFence: true})
    const d = await domainJson(ctx)
    expect(d.change).toMatchObject({done: true})
    const orphans = (await listLocks(ctx, {fs: 'fs1', resource: 'big/*'}, async () => ['fs1'])).locks
    expect(orphans).toHaveLength(36)
    expect(orphans.every((l) => l.node === 'n2' && !l.valid)).toBe(true)
    const chk = await checkState(ctx)
    expect({ok: chk.ok, problems: chk.problems, warnings: chk.warnings}).toEqual({ok: true, problems: [], warnings: []})
  }, 120_000)
})
