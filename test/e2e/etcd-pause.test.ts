// A recover paused (SIGSTOP) past its claim's lease on etcd while another
// recover of the same domain runs, then resumed (issue 12 item 2: no lease is
// relied on for safety). The lease is shortened to etcd's least (~2 s) by
// DLMCTL_TEST_CLAIM_TTL_S. The paused one stops just before its second commit
// (the attach, after its recovery lock was committed); the second recover takes
// the claim once the lease ran out, clears the first's recovery lock as a
// killed run's, and recovers the domain. Resumed, the first's stale write is
// refused by the compare; it runs again from a fresh read, finds the domain
// recovered and says so. Nothing lost: the same locks and data as after one
// plain recover, check clean.
import {describe, expect, test} from 'vitest'
import {commandsInProcess, dlmctl, resultOf, spawnDlmctl, stackLines, succeeded} from './helpers.js'
import {stopped} from '../unit/helpers/etcd.js'
import {sharedEtcd} from '../unit/helpers/etcd-shared.js'

const etcd = sharedEtcd()
// The set-up, the second recover and the look at the outcome run in this process (the same
// command code, no start-up each); the paused recover is a process of its own.
commandsInProcess()

/** A domain to recover: n2 held a persistent lock and wrote data, then died. */
async function deadNode(): Promise<string> {
  const url = etcd.url('pause')
  succeeded(await dlmctl(url, 'init', '--nodes', 'n1,n2,n3', '--fs', 'fs1', '--json'))
  succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent'))
  succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'meta/b', '--node', 'n1', '--mode', 'PR', '--persistent'))
  succeeded(await dlmctl(url, 'fs', 'write', 'fs1', '--node', 'n2', 'a=42'))
  succeeded(await dlmctl(url, 'node', 'mark-dead', 'n2', '--yes'))
  return url
}

/** What must come out of the recovery whoever ran it: the domain, its application locks, the data. */
async function outcome(url: string) {
  const st = succeeded(await dlmctl(url, 'status', '--json')).json
  const locks = succeeded(await dlmctl(url, 'lock', 'list', 'fs1', '--json')).json.locks as {resource: string; node: string; mode: string; status: string; persistent: boolean}[]
  return {
    domains: st.domains.map((d: {name: string; state: string}) => [d.name, d.state]),
    locks: locks.filter((l) => l.resource.startsWith('meta/')).map((l) => `${l.resource} ${l.node} ${l.mode} ${l.status} ${l.persistent}`).sort(),
    data: succeeded(await dlmctl(url, 'fs', 'read', 'fs1', 'a', '--raw', '--json')).json,
    check: succeeded(await dlmctl(url, 'check', '--json')).json.ok,
  }
}

describe('recover on etcd, paused past its lease', () => {
  test('resumed after another recover took over: its stale write is refused, it retries and reports the domain recovered; nothing lost, check clean', async () => {
    // What one plain recover leaves (n2's orphan released, n1's lock kept, n2's write
    // replayed, check clean): on etcd it is the same as on a directory, output for output,
    // in etcd.test.ts's seed story, which runs this set-up and recover (no second run here).
    const want = {
      domains: [['fs1', 'normal']],
      locks: ['meta/b n1 PR granted true'],
      data: {key: 'a', value: '42', valid: true, seq: 1, raw: true},
      check: true,
    }

    const url = await deadNode()
    const ttl = {DLMCTL_TEST_CLAIM_TTL_S: '2'}
    const first = spawnDlmctl(url, ['recover', 'fs1', '--yes', '--json', '--wait', '30s'], {
      env: {...ttl, DLMCTL_CRASH_POINT: 'commit.before-record#2', DLMCTL_CRASH_SIGNAL: 'SIGSTOP'},
      timeout: 60_000,
    })
    await stopped(first.pid!)
    // It holds the claim (a key on its lease) while stopped…
    const claimKey = `${new URL(url.replace('etcd:', 'http:')).pathname.slice(1)}/claim/recover.fs1`
    const held = await fetch(`http://${etcd.endpoint}/v3/kv/range`, {method: 'POST', body: JSON.stringify({key: Buffer.from(claimKey).toString('base64')})})
    expect(((await held.json()) as {kvs?: {lease?: string}[]}).kvs?.[0]?.lease).toMatch(/^[1-9]\d*$/)
    // …until its lease runs out: then a second recover takes the claim and runs.
    const second = await dlmctl(url, 'recover', 'fs1', '--yes', '--json', '--wait', '30s')
    succeeded(second)
    expect(second.json.domains[0]).toMatchObject({name: 'fs1', result: 'RECOVERED', replayedNodes: ['n2']})
    process.kill(first.pid!, 'SIGCONT')
    const r = resultOf(await first)
    expect(stackLines(r.stderr)).toEqual([])
    // Its attach, read before the pause, was refused; from a fresh read there is nothing left to do.
    succeeded(r)
    expect(r.json.domains[0]).toMatchObject({name: 'fs1', result: 'RECOVERED', replayedNodes: []})
    expect(await outcome(url)).toEqual(want)
  }, 90_000)
})
