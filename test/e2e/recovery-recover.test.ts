// `dlmctl recover` end to end: two domains recovered in parallel, a death during
// recovery (the DLMCTL_KILL_AFTER_ATTACH testing variable), the attempt bound,
// confirmation without a TTY, and rejoining afterwards. `check` after each.
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, copyState, tempDirsPerFile, dlm, j, newCluster, ok, refusal} from './helpers.js'

tempDirsPerFile()
commandsInProcess()

interface RecoverJson {
  domains: {name: string; result: 'RECOVERED' | 'FAILED'; attempts: number; replayedNodes: string[]; [k: string]: unknown}[]
}

/** A node writes key=value in fs under a persistent EX lock. */
async function write(state: string, fs: string, node: string, key: string, value: string) {
  await j(state, ['lock', 'request', fs, `meta/${key}`, '--node', node, '--mode', 'EX', '--persistent'])
  return j(state, ['fs', 'write', fs, '--node', node, `${key}=${value}`])
}

async function checkClean(state: string) {
  const c = await dlm(state, ['check', '--json'])
  expect(c.exitCode, c.stdout + c.stderr).toBe(0)
}

describe('recover --all over two domains with different dead nodes', () => {
  it('both RECOVERED, in parallel; the dead nodes rejoin with incarnation 2', async () => {
    const state = await newCluster(['--nodes', 'n1,n2,n3', '--fs', 'fs1:n1+n2,fs2:n1+n3'])
    await Promise.all([write(state, 'fs1', 'n2', 'a', 'from-n2'), write(state, 'fs2', 'n3', 'b', 'from-n3')])
    await j(state, ['node', 'mark-dead', 'n2', '--yes'])
    await j(state, ['node', 'mark-dead', 'n3', '--yes'])
    const st = await j(state, ['status'])
    expect(st.domains.map((d: {name: string; state: string; deadNodes: string[]}) => [d.name, d.state, d.deadNodes])).toEqual([
      ['fs1', 'recovering', ['n2']],
      ['fs2', 'recovering', ['n3']],
    ])

    // Without --yes and without a TTY: a usage error, and nothing changes.
    const before = await ok(state, ['export'])
    const noYes = await dlm(state, ['recover', '--all'])
    expect(noYes.exitCode).toBe(2)
    expect(noYes.stderr).toMatch(/--yes/)
    expect(noYes.stdout).toBe('')
    const noYesJson = await refusal(state, ['recover', 'fs1'], 2)
    expect(noYesJson.code).toBe('CONFIRMATION_REQUIRED')
    expect((await ok(state, ['export'])).stdout).toBe(before.stdout)

    const r = await j<RecoverJson>(state, ['recover', '--all', '--yes'])
    expect(Object.keys(r)).toEqual(['domains'])
    expect(r.domains).toHaveLength(2)
    const byName = Object.fromEntries(r.domains.map((d) => [d.name, d]))
    expect(byName.fs1).toMatchObject({name: 'fs1', result: 'RECOVERED', attempts: 1, replayedNodes: ['n2']})
    expect(byName.fs2).toMatchObject({name: 'fs2', result: 'RECOVERED', attempts: 1, replayedNodes: ['n3']})
    for (const d of r.domains) {
      expect(typeof d.attempts).toBe('number')
      expect(Array.isArray(d.replayedNodes)).toBe(true)
    }

    const [after, fs1, fs2] = await Promise.all([j(state, ['status']), j(state, ['fs', 'show', 'fs1']), j(state, ['fs', 'show', 'fs2'])])
    expect(after.domains.map((d: {state: string}) => d.state)).toEqual(['normal', 'normal'])
    expect(after.nodes).toEqual([
      expect.objectContaining({name: 'n1', state: 'up', incarnation: 1}),
      expect.objectContaining({name: 'n2', state: 'recovered', incarnation: 1}),
      expect.objectContaining({name: 'n3', state: 'recovered', incarnation: 1}),
    ])
    expect(fs1.keys).toEqual([{key: 'a', value: 'from-n2', seq: 1}])
    expect(fs2.keys).toEqual([{key: 'b', value: 'from-n3', seq: 1}])
    // No recovery lock or orphan is left behind.
    expect((await j(state, ['lock', 'list'])).locks.filter((l: {resource: string; node: string}) => l.resource.startsWith('recovery/') || l.node !== 'n1')).toEqual([])
    await checkClean(state)

    // Recovering again: nothing to do.
    expect(await j(state, ['recover', '--all', '--yes'])).toEqual({domains: []})

    const [j2, j3] = await Promise.all([j(state, ['node', 'join', 'n2']), j(state, ['node', 'join', 'n3'])])
    expect(j2.node).toEqual({name: 'n2', state: 'up', incarnation: 2})
    expect(j3.node).toEqual({name: 'n3', state: 'up', incarnation: 2})
    await checkClean(state)
  })
})

describe('a death during recovery', () => {
  // Built once through the CLI; each test works on its own copy.
  let built: string
  beforeAll(async () => {
    built = await newCluster(['--nodes', 'n1,n2,n3', '--fs', 'fs1'])
    await Promise.all([write(built, 'fs1', 'n2', 'a', 'from-n2'), write(built, 'fs1', 'n3', 'c', 'from-n3')])
    await j(built, ['node', 'mark-dead', 'n2', '--yes'])
  })
  const setup = async () => copyState(built)

  it('DLMCTL_KILL_AFTER_ATTACH=n3: MORE_RECOVERY once, then RECOVERED with attempts > 1 and both nodes replayed', async () => {
    const state = await setup()
    const run = await dlm(state, ['recover', 'fs1', '--yes', '--json'], {env: {DLMCTL_KILL_AFTER_ATTACH: 'n3'}})
    expect(run.exitCode, run.stderr).toBe(0)
    const r = run.json<RecoverJson>()
    expect(r.domains).toHaveLength(1)
    expect(r.domains[0]).toMatchObject({name: 'fs1', result: 'RECOVERED'})
    expect(r.domains[0].attempts).toBeGreaterThan(1)
    expect([...r.domains[0].replayedNodes].sort()).toEqual(['n2', 'n3'])
    const [fs, st] = await Promise.all([j(state, ['fs', 'show', 'fs1']), j(state, ['status'])])
    expect(fs.keys.map((k: {key: string; value: string}) => `${k.key}=${k.value}`)).toEqual(['a=from-n2', 'c=from-n3'])
    expect(st.domains[0]).toMatchObject({state: 'normal', epoch: 2, deadNodes: []})
    expect(st.nodes.map((n: {state: string}) => n.state)).toEqual(['up', 'recovered', 'recovered'])
    // The event log records the restart.
    const ev = await j(state, ['events'])
    const types = ev.events.map((e: {type: string}) => e.type)
    expect(types.filter((t: string) => t === 'domain.attach')).toHaveLength(r.domains[0].attempts)
    await checkClean(state)
    expect((await j(state, ['node', 'join', 'n3'])).node).toEqual({name: 'n3', state: 'up', incarnation: 2})
    await checkClean(state)
  })

  it('--max-attempts 1 with DLMCTL_KILL_AFTER_ATTACH: FAILED, exit 3; a dead node cannot join; a rerun finishes', async () => {
    const state = await setup()
    const r = await dlm(state, ['recover', 'fs1', '--yes', '--max-attempts', '1', '--json'], {env: {DLMCTL_KILL_AFTER_ATTACH: 'n3'}})
    expect(r.exitCode).toBe(3)
    const out = r.json<RecoverJson>()
    expect(out.domains).toEqual([expect.objectContaining({name: 'fs1', result: 'FAILED', attempts: 1, replayedNodes: []})])
    expect(out.domains[0].message).toMatch(/attempt/)
    const st = await j(state, ['status'])
    expect(st.domains[0]).toMatchObject({state: 'recovering', deadNodes: ['n2', 'n3']})
    await checkClean(state)

    // A dead node cannot rejoin: its journal is not replayed yet.
    const e = await refusal(state, ['node', 'join', 'n3'], 5)
    expect(e.message).toMatch(/n3/)
    expect((await j(state, ['status'])).nodes.find((n: {name: string}) => n.name === 'n3')).toMatchObject({name: 'n3', state: 'dead', incarnation: 1})

    // Running it again (without the kill) finishes the job.
    const again = await j<RecoverJson>(state, ['recover', 'fs1', '--yes'])
    expect(again.domains[0]).toMatchObject({result: 'RECOVERED', attempts: 1})
    expect([...again.domains[0].replayedNodes].sort()).toEqual(['n2', 'n3'])
    await checkClean(state)
    expect((await j(state, ['node', 'join', 'n3'])).node).toEqual({name: 'n3', state: 'up', incarnation: 2})
    await checkClean(state)
  })

  it('--kill-after-attach is no longer a flag: the testing aid is the environment variable', async () => {
    const state = await setup()
    const e = await refusal(state, ['recover', 'fs1', '--yes', '--kill-after-attach', 'n3'], 2)
    expect(e.message).toMatch(/kill-after-attach/)
  })

  it('usage errors exit 2: no file system and no TTY; an unknown file system', async () => {
    const state = await setup()
    const [none, unknown] = await Promise.all([refusal(state, ['recover', '--yes'], 2), refusal(state, ['recover', 'nosuch', '--yes'], 2)])
    expect(none.message).toMatch(/--all/)
    expect(unknown.message).toMatch(/nosuch/)
    expect((await j(state, ['status'])).domains[0].state).toBe('recovering')
    await checkClean(state)
  })

  it('two recovers of the same domain at once: both end RECOVERED, n2 replayed once, state consistent', async () => {
    const state = await setup()
    const [a, b] = await Promise.all([
      // Two processes really at once: the claim between them is what is tested.
      dlm(state, ['recover', 'fs1', '--yes', '--json'], {process: true}),
      dlm(state, ['recover', 'fs1', '--yes', '--as', 'n3', '--json'], {process: true}),
    ])
    expect([a.exitCode, b.exitCode]).toEqual([0, 0])
    const ra = a.json<RecoverJson>().domains[0]
    const rb = b.json<RecoverJson>().domains[0]
    expect([ra.result, rb.result]).toEqual(['RECOVERED', 'RECOVERED'])
    expect([...ra.replayedNodes, ...rb.replayedNodes]).toEqual(['n2'])
    const [st, fs, locks] = await Promise.all([j(state, ['status']), j(state, ['fs', 'show', 'fs1']), j(state, ['lock', 'list', 'fs1'])])
    expect(st.domains[0]).toMatchObject({state: 'normal', deadNodes: []})
    expect(fs.keys.map((k: {key: string; value: string}) => `${k.key}=${k.value}`)).toEqual(['a=from-n2'])
    expect(locks.locks.filter((l: {resource: string}) => l.resource.startsWith('recovery/'))).toEqual([])
    await checkClean(state)
  })
})
