// The etcd backend in-process against a real etcd (the run's shared one): the same core
// operations as on a directory, optimistic transactions that lose a race run
// again from a fresh read (a stale writer never overwrites newer state), init
// claims the prefix, and an unreachable etcd is one clear error.
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {DlmError, EXIT} from '../../src/errors.js'
import {withTx, type Ctx} from '../../src/core/context.js'
import {initCluster} from '../../src/core/init.js'
import {checkState, exportState} from '../../src/core/cluster-views.js'
import {releaseLockOp, requestLockOp} from '../../src/core/locks.js'
import {requestLock} from '../../src/model/resource.js'
import {bucketOf} from '../../src/store/layout.js'
import {fsWrite} from '../../src/core/fs.js'
import {markDead} from '../../src/core/nodes.js'
import {systemClock} from '../../src/core/clock.js'
import {etcdStore} from '../../src/store/etcd/store.js'
import {claimOnEtcd} from '../../src/store/etcd/claim.js'
import type {Reader, Tx} from '../../src/store/txdir.js'
import {guardOf} from '../../src/store/contract.js'
import {freePort} from './helpers/etcd.js'
import {sharedEtcd} from './helpers/etcd-shared.js'
import {persistentLocksInOneTx} from './helpers/clusters.js'

const clock = systemClock({DLMCTL_CLOCK: '2026-01-01T00:00:00Z'})
const etcd = sharedEtcd()


async function freshCluster(): Promise<Ctx> {
  const ctx: Ctx = {root: etcd.url('t'), waitMs: 5000, clock}
  await initCluster(ctx.root, {name: 'c', nodes: ['n1', 'n2', 'n3'], fs: [{name: 'fs1', members: ['n1', 'n2', 'n3']}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 1000}, clock)
  return ctx
}

async function rejection(p: Promise<unknown>): Promise<DlmError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(DlmError)
  return e as DlmError
}

describe('etcd backend', () => {
  it('layout: each state file is one key with the same bytes as on a directory; an append-only file is its segments in order', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dlmctl-etcd-layout-')), 'c')
    try {
      const url = etcd.url('layout')
      for (const root of [dir, url]) {
        const ctx: Ctx = {root, waitMs: 5000, clock}
        await initCluster(root, {name: 'c', nodes: ['n1', 'n2'], fs: [{name: 'fs1', members: ['n1', 'n2']}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 1000}, clock)
        await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
        await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], [])
        await fsWrite(ctx, 'fs1', 'n2', [['a', '2']], [])
      }
      const st = etcdStore(url)
      const kvs = (await st.client.range(`${st.prefix}/`, {prefix: true})).kvs
      const keys = kvs.map((kv) => kv.key.slice(st.prefix.length + 1))
      // The directory's files (lock/ and commit/ are the directory's own machinery), each as etcd holds it.
      const files = treeFiles(dir).filter((f) => !/^(lock|commit)\//.test(f))
      expect(files.length).toBeGreaterThan(5)
      for (const f of files) {
        const segs = kvs.filter((kv) => kv.key.startsWith(`${st.prefix}/${f}/`))
        const onEtcd = f.endsWith('.jsonl') ? Buffer.concat(segs.map((kv) => kv.value)) : kvs.find((kv) => kv.key === `${st.prefix}/${f}`)?.value
        expect({f, bytes: onEtcd?.toString('utf8')}).toEqual({f, bytes: readFileSync(join(dir, f), 'utf8')})
      }
      // Two transactions appended to n2's journal: two segments, at offsets 0 and the first one's length.
      const journal = kvs.filter((kv) => kv.key.startsWith(`${st.prefix}/fs/fs1/journal/n2.jsonl/`))
      expect(journal.map((kv) => kv.key.slice(-12))).toEqual(['000000000000', String(journal[0].value.length).padStart(12, '0')])
      expect(keys).toEqual(expect.arrayContaining(['cluster.json', 'membership.json', 'domains/fs1/domain.json', 'scope/domain.fs1']))
    } finally {
      rmSync(dirname(dir), {recursive: true, force: true})
    }
  })

  it("an append-only file's tail: only its last segments, starting on a line, ending as the whole file does", async () => {
    const ctx = await freshCluster()
    const st = etcdStore(ctx.root)
    const rel = 'domains/fs1/events.jsonl'
    for (let i = 0; i < 40; i++) {
      await st.transact(['domain.fs1'], 5000, guardOf, async (tx) => {
        tx.append(rel, Array.from({length: 20}, (_, j) => JSON.stringify({type: 'filler', i, j, pad: 'x'.repeat(80)}) + '\n').join(''))
      })
    }
    const [whole, tail] = await st.view(5000, async (r) => [(await r.read(rel))!, await (r as Reader & {tail(rel: string, n: number): Promise<Buffer>}).tail(rel, 10_000)])
    expect(whole.length).toBeGreaterThan(60_000)
    expect(tail.length).toBeGreaterThanOrEqual(10_000)
    expect(tail.length).toBeLessThan(whole.length / 2)
    expect(whole.subarray(whole.length - tail.length).equals(tail)).toBe(true)
    expect(whole[whole.length - tail.length - 1]).toBe(0x0a) // it starts on a line
  })

  it('a stale writer: its commit compares fail, it runs again from a fresh read, nothing is lost', async () => {
    const ctx = await freshCluster()
    let attempts = 0
    const seen: number[] = []
    // A's first attempt reads, then (as if paused) lets B commit on the same domain before it commits.
    const a = await withTx(ctx, ['domain.fs1'], async (s) => {
      attempts++
      const d = await s.domain('fs1')
      const before = d.meta.nextLockId
      seen.push(before)
      if (attempts === 1) await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/b', node: 'n2', mode: 'EX'})
      s.event('stale-writer-test', {sawNextLockId: before}, 'fs1')
      return before
    })
    expect(attempts).toBe(2)
    // The retry read the state after B's commit (B's lock took an id).
    expect(seen).toEqual([seen[0], seen[0] + 1])
    const b = await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/c', node: 'n3', mode: 'EX'})
    expect(b.lockId).toBe(a)
    const evs = (await withTx(ctx, ['domain.fs1'], async (s) => s.readEvents())) as {type: string}[]
    expect(evs.filter((e) => e.type === 'stale-writer-test')).toHaveLength(1)
    const ex = (await exportState(ctx)) as {domains: {resources: {name: string}[]}[]}
    expect(ex.domains[0].resources.map((r) => r.name)).toEqual(expect.arrayContaining(['meta/b', 'meta/c']))
    expect((await checkState(ctx)).ok).toBe(true)
  })

  it("bucket keys are listed, not asked for one by one: a bucket made after the listing makes the stale writer's commit fail; it runs again and sees it", async () => {
    const ctx = await freshCluster()
    const st = etcdStore(ctx.root)
    const range = st.client.range.bind(st.client)
    const asked: string[] = []
    st.client.range = async (...a: Parameters<typeof range>) => {
      asked.push(a[0].slice(st.prefix.length + 1))
      return range(...a)
    }
    let attempts = 0
    try {
      await withTx(ctx, ['domain.fs1'], async (s) => {
        attempts++
        const d = await s.domain('fs1')
        // meta/z's bucket has no key yet: the listing says so, and the key is not read.
        const before = await d.resource('meta/z')
        if (attempts === 1) {
          expect(before).toBeUndefined()
          // Meanwhile another writer makes that bucket.
          await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/z', node: 'n2', mode: 'PR'})
        } else expect(before?.grantQueue.map((l) => l.node)).toEqual(['n2'])
        const res = await d.resourceForUpdate('meta/z')
        const lock = requestLock(res, {id: d.meta.nextLockId++, node: 'n1', mode: 'PR', persistent: false})
        await d.indexSet(lock.id, res.name)
        d.changed()
      })
      // The first attempt's listing at its revision did not see the bucket the other writer made:
      // its commit's compare on domain.fs1 failed, and the second attempt read the bucket.
      expect(attempts).toBe(2)
      const bucketKey = `domains/fs1/res/${bucketOf('meta/z').toString(16).padStart(2, '0')}.json`
      // Each attempt listed res/ (one range); only the second, which saw the bucket, read its key.
      expect(asked.filter((k) => k === 'domains/fs1/res/').length).toBeGreaterThanOrEqual(2)
      expect(asked.filter((k) => /^domains\/fs1\/res\/[0-9a-f]{2}\.json$/.test(k))).toEqual([bucketKey])
    } finally {
      st.client.range = range
    }
    const r = (await exportState(ctx)) as {domains: {resources: {name: string; grantQueue: {node: string}[]}[]}[]}
    expect(r.domains[0].resources.find((x) => x.name === 'meta/z')?.grantQueue.map((l) => l.node).sort()).toEqual(['n1', 'n2'])
    expect((await checkState(ctx)).ok).toBe(true)
  })

  it('writers racing on one domain: no lost or duplicated lock, check clean', async () => {
    const ctx = await freshCluster()
    const ids: number[] = []
    await Promise.all(
      [1, 2, 3, 4].map(async (w) => {
        for (let i = 0; i < 5; i++) {
          const l = await requestLockOp(ctx, {fs: 'fs1', resource: `r/${w}`, node: 'n1', mode: 'NL'})
          ids.push(l.lockId)
          if (i < 4) await releaseLockOp(ctx, {fs: 'fs1', id: l.lockId})
        }
      }),
    )
    expect(new Set(ids).size).toBe(20)
    const ex = (await exportState(ctx)) as {domains: {nextLockId: number; resources: {name: string; granted?: unknown[]}[]}[]}
    const left = ex.domains[0].resources.filter((r) => r.name.startsWith('r/')).map((r) => r.name).sort()
    expect(left).toEqual(['r/1', 'r/2', 'r/3', 'r/4'])
    expect(ex.domains[0].nextLockId).toBe(Math.max(...ids) + 1)
    expect((await checkState(ctx)).ok).toBe(true)
  })

  it('gives up with BUSY (exit 6) when it keeps losing past --wait', async () => {
    const ctx = {...(await freshCluster()), waitMs: 200}
    const e = await rejection(
      withTx(ctx, ['domain.fs1'], async (s) => {
        await s.domain('fs1')
        // Every attempt is overtaken by another writer before it commits.
        await requestLockOp({...ctx, waitMs: 5000}, {fs: 'fs1', resource: 'x', node: 'n1', mode: 'NL'})
        s.event('test', {}, 'fs1')
      }),
    )
    expect(e.exitCode).toBe(EXIT.BUSY)
    expect(e.message).toMatch(/domain\.fs1 busy on etcd:\/\/.*lost the race/)
  })

  it("a death touching more bucket files than one etcd request may hold commits as the store's logical change, then in batches", async () => {
    const ctx = await freshCluster()
    // 200 persistent locks of n2 on resources spread over more than 128 of the 256 bucket files,
    // made 50 to a transaction (what requestLockOp does, without 200 commits: the death is the point).
    for (let i = 0; i < 200; i += 50) await persistentLocksInOneTx(ctx, 'fs1', 'n2', 'EX', Array.from({length: 50}, (_, k) => `meta/k${i + k}`))
    const buckets = new Set(Array.from({length: 200}, (_, k) => bucketOf(`meta/k${k}`)))
    expect(buckets.size).toBeGreaterThan(128)
    const dead = await markDead(ctx, 'n2', {reason: 'test'})
    expect(dead.fence).toBe('none')
    const c = await checkState(ctx)
    expect({ok: c.ok, problems: c.problems}).toEqual({ok: true, problems: []})
    const ex = (await exportState(ctx)) as {domains: {resources: {name: string; grantQueue: {node: string}[]; lvbValid: boolean}[]}[]}
    const orphans = ex.domains[0].resources.filter((r) => r.name.startsWith('meta/k'))
    expect(orphans).toHaveLength(200)
    expect(orphans.every((r) => r.grantQueue.length === 1 && r.grantQueue[0].node === 'n2' && !r.lvbValid)).toBe(true)
  }, 60_000)

  it('a change bigger than one etcd request is refused whole (exit 9, naming the counts and the etcd limit); nothing written', async () => {
    const ctx = await freshCluster()
    const before = JSON.stringify(await exportState(ctx))
    const e = await rejection(
      withTx(ctx, ['domain.fs1'], async (s) => {
        const tx = s.io as Tx
        for (let i = 0; i < 200; i++) tx.write(`fs/fs1/spill/${i}.json`, '{}')
        s.event('too-big', {}, 'fs1')
      }),
    )
    expect(e.exitCode).toBe(EXIT.STORE_IO)
    expect(e.message).toMatch(/^this change to domain\.fs1 needs 202 etcd operations and \d+ bytes in one transaction, more than etcd:\/\/.* accepts \(etcdserver: too many operations in txn request\); nothing was written: start etcd with a larger --max-txn-ops \(default 128\) or --max-request-bytes$/)
    expect(JSON.stringify(await exportState(ctx))).toBe(before)
  })

  it("recover's claim: a second claimant waits, then BUSY naming the holder; free again once released", async () => {
    const ctx = await freshCluster()
    const st = etcdStore(ctx.root)
    const first = await claimOnEtcd(st, 'recover.fs1', 1000, {what: 'dlmctl recover fs1', since: '2026-01-01T00:00:00.000Z'})
    const t0 = Date.now()
    const e = await rejection(claimOnEtcd(st, 'recover.fs1', 300, {what: 'dlmctl recover fs1', since: 'later'}))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(e.exitCode).toBe(EXIT.BUSY)
    expect(e.message).toBe(`recover.fs1 is held by dlmctl recover fs1 (pid ${process.pid}, since 2026-01-01T00:00:00.000Z), still running after 0.3s (wait for it, or give a longer --wait)`)
    // Another domain's claim is independent.
    const other = await claimOnEtcd(st, 'recover.fs2', 300, {what: 'dlmctl recover fs2', since: 'now'})
    await other.release()
    // Released while a second one waits: the waiter gets it.
    const waiting = claimOnEtcd(st, 'recover.fs1', 5000, {what: 'dlmctl recover fs1', since: 'now'})
    await new Promise((r) => setTimeout(r, 100))
    await first.release()
    const second = await waiting
    expect(second.scopes).toEqual(['recover.fs1'])
    await second.release()
    // The claim keys are not state: a listing of the cluster's root does not show them.
    const names = await st.view(1000, (r) => r.list(''))
    expect(names).toEqual(['cluster.json', 'domains', 'events.jsonl', 'membership.json'])
  })

  it('init refuses a prefix that holds a cluster; a killed init is redone', async () => {
    const ctx = await freshCluster()
    const spec = {name: 'c', nodes: ['n1'], fs: [{name: 'fs1', members: ['n1']}], lvbSize: 32, fenceCmd: null, fenceTimeoutMs: 1000}
    const e = await rejection(initCluster(ctx.root, spec, clock))
    expect(e.code).toBe('NOT_EMPTY')
    expect(e.message).toBe(`${ctx.root} already holds a cluster (cluster.json); init refuses to overwrite it`)

    // Leftovers of an init killed before its commit point: the marker and some files.
    const url = etcd.url('killed')
    const st = etcdStore(url)
    await st.client.txn([], [{put: st.key('.dlmctl-init'), value: '1'}, {put: st.key('membership.json'), value: 'junk'}])
    await initCluster(url, spec, clock)
    const r = await withTx({root: url, waitMs: 1000, clock}, ['membership'], async (s) => (await s.membership()).nodes.map((x) => x.name))
    expect(r).toEqual(['n1'])
  })

  it('a command on a prefix with no cluster: NO_STATE naming it', async () => {
    const url = etcd.url('empty')
    const e = await rejection(exportState({root: url, waitMs: 1000, clock}))
    expect(e.code).toBe('NO_STATE')
    expect(e.message).toBe(`no cluster at ${url} (create one with: dlmctl init --state ${url})`)
  })

  it('unreachable etcd: STORE_UNREACHABLE (exit 9) naming every endpoint tried', async () => {
    const ports = await Promise.all([freePort(), freePort()])
    const url = `etcd://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}/c1`
    const e = await rejection(exportState({root: url, waitMs: 1000, clock}))
    expect(e.exitCode).toBe(EXIT.STORE_IO)
    expect(e.message).toBe(`etcd unreachable: tried 127.0.0.1:${ports[0]} (connection refused), 127.0.0.1:${ports[1]} (connection refused)`)
  })
})

/** Every file under `root`, relative, sorted. */
function treeFiles(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel))
    .flatMap((n) => (statSync(join(root, rel, n)).isDirectory() ? treeFiles(root, rel ? `${rel}/${n}` : n) : [rel ? `${rel}/${n}` : n]))
    .sort()
}
