// dlmctl on a three-member etcd cluster: a member killed in the middle of a run
// (the commands keep working on the two left), and members that stop answering
// (SIGSTOP: no refusal, no answer) → STORE_TIMEOUT (exit 6) within --wait,
// naming the endpoints tried, never a hang; and the client when only one member
// is left answering (no quorum): a clear time-out, then working again once a
// second member is back (moved here from etcd-client.test.ts: one three-member
// etcd for both files).
import {describe, expect, test} from 'vitest'
import {commandsInProcess, dlmctl, stackLines, succeeded} from './helpers.js'
import {stopped} from '../unit/helpers/etcd.js'
import {ownEtcd} from '../unit/helpers/etcd-shared.js'
import type {DlmError} from '../../src/errors.js'
import {EtcdClient} from '../../src/store/etcd/client.js'

// Its own etcd: three members, killed and paused.
const etcd = ownEtcd(3)
// The commands run in this process (the same command code and etcd client, no start-up each):
// what is tested is how they answer when members stop answering, not the process.
commandsInProcess()

describe('dlmctl on a three-member etcd', () => {
  test('a member stops answering (SIGSTOP) and then every member does: exit 6 within --wait, naming them', async () => {
    const url = etcd().url(`stop${process.pid}`)
    succeeded(await dlmctl(url, 'init', '--nodes', 'n1,n2', '--fs', 'fs1'))
    const [m0, m1, m2] = etcd().members
    m0.proc.kill('SIGSTOP')
    try {
      await stopped(m0.proc.pid!)
      // The first endpoint hangs: the next one answers within the same --wait.
      succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'a', '--node', 'n1', '--mode', 'PR', '--wait', '8s'))
      m1.proc.kill('SIGSTOP')
      m2.proc.kill('SIGSTOP')
      await stopped(m1.proc.pid!)
      await stopped(m2.proc.pid!)
      const t0 = Date.now()
      const r = await dlmctl(url, 'status', '--wait', '1s')
      const took = Date.now() - t0
      expect(r.exitCode).toBe(6)
      expect(r.stderr).toMatch(/^dlmctl: STORE_TIMEOUT: etcd did not answer in time: tried .*127\.0\.0\.1:\d+ .*\(try --wait\)\n$/)
      for (const m of etcd().members) expect(r.stderr).toContain(m.endpoint)
      expect(stackLines(r.stderr)).toEqual([])
      expect(took).toBeLessThan(6000) // --wait 1s, and some slack for a loaded machine
    } finally {
      for (const m of etcd().members) m.proc.kill('SIGCONT')
    }
  }, 60_000)

  test('a member killed in the middle of a run: the commands keep working on the two left, nothing lost', async () => {
    const url = etcd().url(`kill${process.pid}`)
    succeeded(await dlmctl(url, 'init', '--nodes', 'n1,n2', '--fs', 'fs1', '--wait', '20s'))
    const ids: number[] = []
    for (let i = 0; i < 6; i++) {
      if (i === 3) etcd().members[0].proc.kill('SIGKILL')
      const r = succeeded(await dlmctl(url, 'lock', 'request', 'fs1', `r${i}`, '--node', 'n1', '--mode', 'PR', '--json', '--wait', '20s'))
      ids.push(r.json.lockId)
    }
    expect(new Set(ids).size).toBe(6)
    const locks = succeeded(await dlmctl(url, 'lock', 'list', 'fs1', '--json', '--wait', '20s')).json.locks as {resource: string}[]
    expect(locks.map((l) => l.resource).filter((r) => /^r\d$/.test(r)).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'])
    expect(succeeded(await dlmctl(url, 'check', '--json', '--wait', '20s')).json.ok).toBe(true)
  }, 90_000)
  test('the client with one member left answering (no quorum): a write times out (exit 6) within its deadline; with a second member back it works', async () => {
    // The member the client talks to first is gone (killed by the test above; killed here if this runs alone).
    const m0 = etcd().members[0]
    if (m0.proc.exitCode === null && m0.proc.signalCode === null) {
      const gone = new Promise((r) => m0.proc.once('exit', r))
      m0.proc.kill('SIGKILL')
      await gone
    }
    const c = new EtcdClient(etcd().members.map((m) => m.endpoint), {requestTimeoutMs: 1000})
    try {
      const r1 = await c.txn([], [{put: 'm/b', value: '2'}], [], Date.now() + 15_000)
      expect(r1.succeeded).toBe(true)
      // Pause another one: 1 of 3 is no quorum, so writes must time out — clearly, within the deadline.
      etcd().members[1].proc.kill('SIGSTOP')
      await stopped(etcd().members[1].proc.pid!)
      const err = await c.txn([], [{put: 'm/c', value: '3'}], [], Date.now() + 3000).catch((e: unknown) => e)
      expect((err as DlmError).exitCode).toBe(6)
      etcd().members[1].proc.kill('SIGCONT')
      const r2 = await c.txn([], [{put: 'm/d', value: '4'}], [], Date.now() + 20_000)
      expect(r2.succeeded).toBe(true)
      const keys = (await c.range('m/', {prefix: true}, Date.now() + 10_000)).kvs.map((k) => k.key)
      expect(keys).toContain('m/b')
      expect(keys).toContain('m/d')
    } finally {
      etcd().members[1].proc.kill('SIGCONT')
      c.close()
    }
  }, 60_000)
})
