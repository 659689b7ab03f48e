// The etcd v3 JSON-gateway client against real etcd servers (Debian's
// etcd-server, started by the tests on loopback). These fail when etcd cannot
// start: the backend is only as good as this client.
import {createServer, type Server, type Socket} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DlmError, EXIT} from '../../src/errors.js'
import {EtcdClient, prefixEnd, type WatchEvent} from '../../src/store/etcd/client.js'
import {parseEtcdUrl} from '../../src/store/etcd/url.js'
import {ownEtcd} from './helpers/etcd-shared.js'

describe('etcd URL', () => {
  it('takes one or several endpoints and a prefix', () => {
    expect(parseEtcdUrl('etcd://127.0.0.1:2379/c1')).toEqual({endpoints: ['127.0.0.1:2379'], prefix: 'c1'})
    expect(parseEtcdUrl('etcd://a:1,b.example:2,[::1]:3/clusters/prod/')).toEqual({
      endpoints: ['a:1', 'b.example:2', '[::1]:3'],
      prefix: 'clusters/prod',
    })
  })
  it.each([
    ['etcd://127.0.0.1:2379', 'no /PREFIX'],
    ['etcd://127.0.0.1:2379/', 'PREFIX is empty'],
    ['etcd:///c1', 'no endpoint'],
    ['etcd://127.0.0.1/c1', 'is not HOST:PORT'],
    ['etcd://h:99999/c1', 'out of range'],
    ['etcd://h:1/a//b', 'prefix segment ""'],
    ['etcd://h:1/a/../b', 'prefix segment ".."'],
    ['etcd://h:1/a b', 'prefix segment "a b"'],
  ])('refuses %s (%s)', (url, why) => {
    let err: unknown
    try {
      parseEtcdUrl(url)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(DlmError)
    expect((err as DlmError).exitCode).toBe(EXIT.USAGE)
    expect((err as DlmError).message).toContain(why)
  })
  it('prefixEnd is the first key after the prefix', () => {
    expect(prefixEnd('a/').toString()).toBe('a0')
    expect([...prefixEnd('a\xff')]).toEqual([0x61, 0xc3, 0xc0]) // UTF-8 of ÿ is c3 bf: bf + 1
  })
})

describe('etcd client on a real server', () => {
  // Its own etcd: these tests write keys outside any cluster prefix.
  const etcd = ownEtcd(1)
  let client: EtcdClient
  beforeAll(() => {
    client = new EtcdClient(etcd().members.map((m) => m.endpoint))
  })
  afterAll(() => client?.close())

  it('txn puts and range reads back, with revisions', async () => {
    const t = await client.txn([{key: 't/a', modRevision: 0}], [{put: 't/a', value: 'one'}, {put: 't/b', value: Buffer.from([0, 1, 2])}])
    expect(t.succeeded).toBe(true)
    const r = await client.range('t/', {prefix: true})
    expect(r.kvs.map((k) => [k.key, k.value.toString('hex')])).toEqual([
      ['t/a', Buffer.from('one').toString('hex')],
      ['t/b', '000102'],
    ])
    expect(r.kvs[0].modRevision).toBe(t.revision)
    expect(r.revision).toBe(t.revision)
  })

  it('a compare on a stale mod revision fails and changes nothing', async () => {
    const first = await client.txn([], [{put: 'c/k', value: 'v1'}])
    const stale = first.revision
    await client.txn([{key: 'c/k', modRevision: stale}], [{put: 'c/k', value: 'v2'}])
    const lost = await client.txn([{key: 'c/k', modRevision: stale}], [{put: 'c/k', value: 'v3'}], [{get: 'c/k'}])
    expect(lost.succeeded).toBe(false)
    expect(lost.gets[0][0].value.toString()).toBe('v2')
    // "must not exist" (0) fails on an existing key
    expect((await client.txn([{key: 'c/k', modRevision: 0}], [{put: 'c/k', value: 'v4'}])).succeeded).toBe(false)
    expect((await client.range('c/k')).kvs[0].value.toString()).toBe('v2')
  })

  it('scan pages through a prefix at one revision', async () => {
    const ops = []
    for (let i = 0; i < 120; i++) ops.push({put: `s/${String(i).padStart(4, '0')}`, value: String(i)})
    await client.txn([], ops.slice(0, 100))
    await client.txn([], ops.slice(100))
    const pages: number[] = []
    const seen: string[] = []
    const it = client.scan('s/', 50)
    let first = true
    for await (const page of it) {
      pages.push(page.length)
      seen.push(...page.map((k) => k.key))
      if (first) {
        // Written after the scan began: not in this snapshot.
        await client.txn([], [{put: 's/0000a', value: 'late'}, {del: 's/0119'}])
        first = false
      }
    }
    expect(pages).toEqual([50, 50, 20])
    expect(seen).toHaveLength(120)
    expect(seen).toContain('s/0119')
    expect(seen).not.toContain('s/0000a')
    expect([...seen].sort()).toEqual(seen)
  })

  it('watch sees puts and deletes under a prefix', async () => {
    const start = (await client.range('w/', {prefix: true})).revision + 1
    const got: WatchEvent[] = []
    const ac = new AbortController()
    const watching = client.watch('w/', start, (evs) => got.push(...evs), ac.signal)
    await client.txn([], [{put: 'w/1', value: 'a'}])
    await client.txn([], [{del: 'w/1'}])
    await client.txn([], [{put: 'x/outside', value: 'b'}])
    const until = Date.now() + 5000
    while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    ac.abort()
    await watching
    expect(got.map((e) => [e.type, e.kv.key])).toEqual([
      ['PUT', 'w/1'],
      ['DELETE', 'w/1'],
    ])
  })

  it('a watch from a compacted revision is cancelled by etcd: it rejects, it does not hang', async () => {
    const first = (await client.txn([], [{put: 'c/1', value: 'a'}])).revision
    const last = (await client.txn([], [{put: 'c/1', value: 'b'}])).revision
    const r = await fetch(`http://${etcd().members[0].endpoint}/v3/kv/compaction`, {method: 'POST', body: JSON.stringify({revision: String(last)})})
    expect(r.ok).toBe(true)
    const ac = new AbortController()
    const t = setTimeout(() => ac.abort(), 5000)
    await expect(client.watch('c/', first, () => {}, ac.signal)).rejects.toThrow(/cancelled/)
    clearTimeout(t)
  })

  it('leases: a key put with a lease goes when the lease is revoked', async () => {
    const id = await client.leaseGrant(30)
    await client.txn([], [{put: 'l/k', value: 'held', lease: id}])
    expect(await client.leaseKeepAlive(id)).toBeGreaterThan(0)
    expect((await client.range('l/k')).kvs[0].lease).toBe(id)
    await client.leaseRevoke(id)
    expect((await client.range('l/k')).kvs).toEqual([])
    expect(await client.leaseKeepAlive(id)).toBe(0)
  })

  it('an error etcd answers (too many operations in one txn) is not retried as a dead member', async () => {
    const ops = Array.from({length: 200}, (_, i) => ({put: `big/${i}`, value: 'x'}))
    await expect(client.txn([], ops)).rejects.toThrow(/too many operations/)
  })
})

describe('etcd client when etcd is not there', () => {
  let silent: Server
  let silentPort = 0
  const sockets: Socket[] = []
  beforeAll(async () => {
    // Accepts connections and never answers: a stopped or partitioned member.
    silent = createServer((sock) => sockets.push(sock))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const a = silent.address()
    silentPort = typeof a === 'object' && a ? a.port : 0
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
  })

  it('every endpoint refusing: STORE_UNREACHABLE (exit 9) at once, naming each endpoint', async () => {
    const c = new EtcdClient(['127.0.0.1:1', '127.0.0.1:2'])
    const t0 = Date.now()
    const err = await c.range('x', {}, Date.now() + 10_000).catch((e: unknown) => e)
    c.close()
    expect(err).toBeInstanceOf(DlmError)
    expect((err as DlmError).code).toBe('STORE_UNREACHABLE')
    expect((err as DlmError).exitCode).toBe(9)
    expect((err as DlmError).message).toBe('etcd unreachable: tried 127.0.0.1:1 (connection refused), 127.0.0.1:2 (connection refused)')
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('no answer before the deadline: STORE_TIMEOUT (exit 6), never past the deadline', async () => {
    const c = new EtcdClient([`127.0.0.1:${silentPort}`], {requestTimeoutMs: 300})
    const t0 = Date.now()
    const err = await c.range('x', {}, Date.now() + 700).catch((e: unknown) => e)
    c.close()
    const took = Date.now() - t0
    expect((err as DlmError).code).toBe('STORE_TIMEOUT')
    expect((err as DlmError).exitCode).toBe(6)
    expect((err as DlmError).message).toContain(`127.0.0.1:${silentPort} (no answer in`)
    expect(took).toBeGreaterThanOrEqual(600)
    expect(took).toBeLessThan(1500)
  })
})

// The client on a three-member cluster (a member killed, then no quorum): etcd-cluster.test.ts,
// on that file's three-member etcd.
