// The CLI contract on etcd (`--state etcd://…`), against the run's shared etcd
// (its own key prefixes): the seed's story gives the same JSON as on a directory, export
// is byte-identical after the same history, several processes on one domain
// lose and duplicate nothing, init refuses an existing cluster, and an
// unreachable etcd is one line with exit 9. (status --watch and events --follow on
// etcd: etcd-watch.test.ts.)
import {basename, join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {COVERING_DRILL, HEAVY, commandsInProcess, dlmctl, dlmctlWith, pMap, spawnDlmctl, resultOf, stackLines, tempDir, succeeded} from './helpers.js'
import {freePort, stopped} from '../unit/helpers/etcd.js'
import {sharedEtcd} from '../unit/helpers/etcd-shared.js'
import {FULL} from '../full.js'

const etcd = sharedEtcd()
// Single commands run in this process (the same command code, no start-up each);
// what is about processes (racing, paused, drills) spawns the binary.
commandsInProcess()

const INIT = ['init', '--nodes', 'n1,n2,n3', '--fs', 'fs1,fs2:n1+n2', '--json']

/** The seed's story, command by command; '' marks where the state's name is printed. */
const STORY: string[][] = [
  ['lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent', '--json'],
  ['lock', 'request', 'fs1', 'meta/b', '--node', 'n1', '--mode', 'PR', '--persistent', '--json'],
  ['fs', 'write', 'fs1', '--node', 'n2', 'a=42', '--json'],
  ['node', 'mark-dead', 'n2', '--yes', '--json'],
  ['lock', 'request', 'fs1', 'meta/a', '--node', 'n1', '--mode', 'PR', '--persistent', '--json'],
  ['lock', 'list', 'fs1', '--invalid', '--json'],
  ['lock', 'blockers', 'fs1', '--json'],
  ['recover', 'fs1', 'fs2', '--yes', '--json'],
  ['fs', 'read', 'fs1', 'a', '--raw', '--json'],
  ['lock', 'list', '--json'],
  ['status', '--json'],
  ['events', '--json'],
  ['check', '--json'],
]

async function walk(state: string): Promise<{outputs: unknown[]; exported: string}> {
  const init = succeeded(await dlmctl(state, ...INIT))
  const outputs: unknown[] = [{...init.json, state: '<state>'}]
  for (const args of STORY) {
    const r = await dlmctl(state, ...args)
    expect({args, exit: r.exitCode, stderr: r.stderr}).toEqual({args, exit: r.exitCode === 3 ? 3 : 0, stderr: ''})
    outputs.push(r.json)
  }
  const ex = succeeded(await dlmctl(state, 'export'))
  return {outputs, exported: ex.stdout}
}

describe('dlmctl on etcd', () => {
  test('the seed story gives the same JSON on etcd as on a directory, and export is byte-identical', async () => {
    const dir = join(tempDir(), 'c')
    const onDir = await walk(dir)
    const onEtcd = await walk(etcd.url('e2e'))
    for (let i = 0; i < onDir.outputs.length; i++) expect({step: i, out: onEtcd.outputs[i]}).toEqual({step: i, out: onDir.outputs[i]})
    expect(onEtcd.exported).toBe(onDir.exported)
    expect(onEtcd.exported).toContain('"meta/a"')
  }, 60_000)

  test(`${FULL ? '6 processes × 4' : '3 processes × 2'} requests (every other released) on one domain: no lost or duplicated lock, check clean`, async () => {
    const url = etcd.url('e2e')
    succeeded(await dlmctl(url, ...INIT))
    const next0: number = JSON.parse(succeeded(await dlmctl(url, 'export')).stdout).domains.find((d: {name: string}) => d.name === 'fs1').nextLockId
    // A small end-to-end proof that dlmctl processes race safely on etcd; the store's own
    // proof under load is conformance.test.ts (8 processes racing through the core). Three
    // processes at a time (9 runs of bin/run.js) race as surely as four; test:full runs 6 × 4.
    const N = FULL ? 6 : 3
    const K = FULL ? 4 : 2
    const worker = async (w: number) => {
      const ids: number[] = []
      // One process per request and per release: the processes race on the same domain keys.
      for (let i = 0; i < K; i++) {
        const r = resultOf(await spawnDlmctl(url, ['lock', 'request', 'fs1', `w/${w}/${i}`, '--node', 'n1', '--mode', 'EX', '--persistent', '--json', '--wait', '60s']))
        succeeded(r)
        ids.push(r.json.lockId)
        if (i % 2 === 0) succeeded(resultOf(await spawnDlmctl(url, ['lock', 'release', 'fs1', String(r.json.lockId), '--wait', '60s'])))
      }
      return ids
    }
    const all = (await Promise.all(Array.from({length: N}, (_, w) => worker(w)))).flat()
    // Every request got its own id, and the counter moved by exactly the number of requests.
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({length: N * K}, (_, i) => next0 + i))
    const ex = JSON.parse(succeeded(await dlmctl(url, 'export')).stdout)
    expect(ex.domains.find((d: {name: string}) => d.name === 'fs1').nextLockId).toBe(next0 + N * K)
    // Every release happened, every kept lock is there.
    const locks = succeeded(await dlmctl(url, 'lock', 'list', 'fs1', '--json')).json.locks as {lockId: number; resource: string}[]
    const kept = locks.filter((l) => l.resource.startsWith('w/')).map((l) => l.resource).sort()
    expect(kept).toEqual(Array.from({length: N}, (_, w) => Array.from({length: K}, (_, i) => `w/${w}/${i}`).filter((_, i) => i % 2 === 1)).flat().sort())
    expect(succeeded(await dlmctl(url, 'check', '--json')).json).toMatchObject({ok: true, problems: []})
  }, 120_000)

  test('a writer paused (SIGSTOP) just before its commit while another changes the domain: resumed, its stale write is refused and retried, nothing lost', async () => {
    const url = etcd.url('e2e')
    succeeded(await dlmctl(url, ...INIT))
    const paused = spawnDlmctl(url, ['lock', 'request', 'fs1', 'meta/p', '--node', 'n1', '--mode', 'EX', '--persistent', '--json', '--wait', '30s'], {
      env: {DLMCTL_CRASH_POINT: 'commit.before-record', DLMCTL_CRASH_SIGNAL: 'SIGSTOP'},
    })
    const pid = paused.pid!
    // Wait until it has stopped itself at its commit point.
    await stopped(pid)
    // Meanwhile another operator takes the next lock id and changes the same domain.
    const other = succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'meta/q', '--node', 'n2', '--mode', 'EX', '--persistent', '--json'))
    process.kill(pid, 'SIGCONT')
    const p = resultOf(await paused)
    succeeded(p)
    expect(p.json.lockId).not.toBe(other.json.lockId)
    const locks = succeeded(await dlmctl(url, 'lock', 'list', 'fs1', '--json')).json.locks as {lockId: number; resource: string}[]
    expect(locks.filter((l) => l.resource === 'meta/p' || l.resource === 'meta/q').map((l) => [l.resource, l.lockId]).sort()).toEqual([
      ['meta/p', p.json.lockId],
      ['meta/q', other.json.lockId],
    ])
    expect(succeeded(await dlmctl(url, 'check', '--json')).json.ok).toBe(true)
  }, 60_000)

  test('init twice on one prefix: the second is refused and changes nothing', async () => {
    const url = etcd.url('e2e')
    succeeded(await dlmctl(url, ...INIT))
    const before = succeeded(await dlmctl(url, 'export')).stdout
    const again = await dlmctl(url, 'init', '--nodes', 'n9')
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toBe(`dlmctl: ${url} already holds a cluster (cluster.json); init refuses to overwrite it\n`)
    expect(succeeded(await dlmctl(url, 'export')).stdout).toBe(before)
  })

  test('an unreachable etcd: one line naming the endpoints, exit 9, no stack', async () => {
    const port = await freePort()
    const r = await dlmctl(`etcd://127.0.0.1:${port}/c1`, 'status')
    expect(r.exitCode).toBe(9)
    expect(r.stderr).toBe(`dlmctl: etcd unreachable: tried 127.0.0.1:${port} (connection refused)\n`)
    expect(stackLines(r.stderr)).toEqual([])
    const j = await dlmctl(`etcd://127.0.0.1:${port}/c1`, 'status', '--json')
    expect(j.exitCode).toBe(9)
    expect(j.json.error.code).toBe('STORE_UNREACHABLE')
  })

  test(`${FULL ? 'every bundled drill and the covering drill' : 'the covering drill (every command and kind of step the bundled drills run)'} pass on etcd (drill run --state etcd://…)`, async () => {
    // Each drill costs etcd as much CPU again as its own: npm test runs the covering drill, npm run test:full all
    // (listed by drill list, a process: its bundled drills are found from the built CLI; drill-e2e.test.ts tests the list).
    let chosen = [COVERING_DRILL]
    if (FULL) {
      const list = succeeded(await dlmctlWith({process: true}, tempDir(), 'drill', 'list', '--json')).json
      const files: string[] = list.drills.map((d: {file: string}) => d.file)
      expect(files.map((f) => basename(f))).toContain('seed-story.yaml')
      chosen = [...files, COVERING_DRILL]
    }
    // Two at a time (each on its own prefix): a drill spends much of its time waiting on etcd.
    const runs = await pMap(chosen, 2, async (file) => ({file, r: await dlmctlWith({process: true, timeout: HEAVY}, tempDir(), 'drill', 'run', file, '--state', etcd.url('e2e'), '--json')}))
    for (const {file, r} of runs) expect({file, exit: r.exitCode, failed: r.json.steps?.filter((s: {ok: boolean}) => !s.ok)}).toEqual({file, exit: 0, failed: []})
  }, 2 * HEAVY)

  test('a bad etcd URL is a usage error (exit 2) naming the form expected', async () => {
    const r = await dlmctl('etcd://127.0.0.1/c1', 'status')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/^dlmctl: --state "etcd:\/\/127\.0\.0\.1\/c1" is not an etcd URL: endpoint "127\.0\.0\.1" is not HOST:PORT \(expected etcd:\/\/HOST:PORT\[,HOST:PORT…\]\/PREFIX\)\n$/)
  })
})
