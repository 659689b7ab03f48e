// Fencing at mark-dead, end to end: the cluster's fence command runs without a
// shell, with a timeout, before the node is declared dead; when it fails nothing
// changes (exit 7) but the event log says so; --skip-fence declares it dead anyway.
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {cleanup, commandsInProcess, dlm, j, newCluster, ok, refusal, tempDir, tempDirsPerFile} from './helpers.js'

const strays: number[] = []
tempDirsPerFile()
// Runs with a time limit (the fence timeouts) are processes; the rest run here.
commandsInProcess()
afterAll(() => {
  // Processes our fence scripts started, should the product have left any behind.
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone, as it should be */
    }
  }
  cleanup()
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Everything that must not change when mark-dead is refused: export without its event log, status, locks. */
async function observable(state: string) {
  const [exp, status, locks] = await Promise.all([j(state, ['export']), j(state, ['status']), j(state, ['lock', 'list'])])
  const {events, ...rest} = exp
  return {exportWithoutEvents: rest, status, locks, eventCount: (events as unknown[]).length}
}

/** An executable script in a temporary directory. */
function script(body: string): {path: string; dir: string} {
  const dir = tempDir('fence', {forPrograms: true})
  const path = join(dir, 'fence.sh')
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return {path, dir}
}

/** A cluster with a persistent orphan-to-be (n2 holds EX on meta/a) and the given fence command. */
async function fencedCluster(fenceArgs: string[]) {
  const state = await newCluster(['--nodes', 'n1,n2,n3', '--fs', 'fs1', ...fenceArgs])
  await j(state, ['lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent'])
  return state
}

describe('fence command fails: nothing changes, exit 7, the event log says so', () => {
  it("--fence-cmd '/bin/false {node}'", async () => {
    const state = await fencedCluster(['--fence-cmd', '/bin/false {node}'])
    const before = await observable(state)

    const r = await dlm(state, ['node', 'mark-dead', 'n2', '--yes', '--json'])
    expect(r.exitCode).toBe(7)
    const err = r.json().error
    expect(err.code).toBe('FENCE_FAILED')
    expect(err.message).toMatch(/n2/)
    expect(err.message).toMatch(/NOT marked dead/)
    expect(err.argv).toEqual(['/bin/false', 'n2'])

    const after = await observable(state)
    expect(after.exportWithoutEvents).toEqual(before.exportWithoutEvents)
    expect(after.status).toEqual(before.status)
    expect(after.locks).toEqual(before.locks)
    expect(after.status.nodes.find((n: {name: string}) => n.name === 'n2').state).toBe('up')
    expect(after.eventCount).toBe(before.eventCount + 1)

    const ev = (await j(state, ['events'])).events
    expect(ev.at(-1)).toMatchObject({type: 'node.fence-failed', node: 'n2', argv: ['/bin/false', 'n2'], exitCode: 1, timedOut: false})
    expect(ev.some((e: {type: string}) => e.type === 'node.dead')).toBe(false)
    // Human output: exit 7 too, with the reason on stderr.
    const human = await dlm(state, ['node', 'mark-dead', 'n2', '--yes'])
    expect(human.exitCode).toBe(7)
    expect(human.stderr).toMatch(/fencing n2 failed/)
    await ok(state, ['check'])
  })

  it('--skip-fence declares the node dead anyway, and the events say fencing was skipped', async () => {
    const state = await fencedCluster(['--fence-cmd', '/bin/false {node}'])
    const r = await j(state, ['node', 'mark-dead', 'n2', '--yes', '--skip-fence'])
    expect(r).toMatchObject({node: 'n2', alreadyDead: false, fence: 'skipped'})
    expect(r.domains[0].orphaned).toHaveLength(1)
    const [st, ev] = await Promise.all([j(state, ['status']), j(state, ['events'])])
    expect(st.nodes.find((n: {name: string}) => n.name === 'n2').state).toBe('dead')
    const dead = ev.events.find((e: {type: string}) => e.type === 'node.dead')
    expect(dead).toMatchObject({node: 'n2', fence: 'skipped'})
    expect(ev.events.some((e: {type: string}) => e.type === 'node.fence-failed')).toBe(false) // it never ran
    const human = await ok(state, ['events'])
    expect(human.stdout).toMatch(/node\.dead .*fence=skipped/)
    await ok(state, ['check'])
  })
})

describe('fence command succeeds', () => {
  it('--fence-cmd "<true> {node}": exit 0, the node is dead, fenced', async () => {
    const truePath = ['/bin/true', '/usr/bin/true'].find(existsSync)!
    expect(truePath).toBeTruthy()
    const state = await fencedCluster(['--fence-cmd', `${truePath} {node}`])
    const r = await j(state, ['node', 'mark-dead', 'n2', '--yes'])
    expect(r).toMatchObject({node: 'n2', fence: 'ok', alreadyDead: false})
    const ev = (await j(state, ['events'])).events
    expect(ev.find((e: {type: string}) => e.type === 'node.dead')).toMatchObject({node: 'n2', fence: 'ok', fenceArgv: [truePath, 'n2']})
    expect((await j(state, ['status'])).nodes.find((n: {name: string}) => n.name === 'n2').state).toBe('dead')
    await ok(state, ['check'])
  })

  it('runs without a shell: {node} is substituted inside arguments, quoted words stay one argument', async () => {
    const s = script('for a in "$@"; do printf "[%s]\\n" "$a"; done > "$(dirname "$0")/args"')
    const state = await fencedCluster(['--fence-cmd', `${s.path} --victim={node} "two words" '$HOME;x' {node}`])
    await j(state, ['node', 'mark-dead', 'n2', '--yes'])
    expect(readFileSync(join(s.dir, 'args'), 'utf8')).toBe('[--victim=n2]\n[two words]\n[$HOME;x]\n[n2]\n')
  })
})

describe('a fence command that succeeds but leaves a background process', () => {
  it('its exit status decides, not when its inherited stderr closes', async () => {
    // A fence agent that powers the node off and leaves a helper running (which
    // inherits stderr): it exited 0 at once, so the node is fenced.
    const s = script('sleep 30 &\necho "$!" > "$(dirname "$0")/pids"\nexit 0')
    const state = await fencedCluster(['--fence-cmd', `${s.path} {node}`, '--fence-timeout', '3s'])
    const r = await dlm(state, ['node', 'mark-dead', 'n2', '--yes', '--json'], {timeoutMs: 20_000})
    strays.push(...readFileSync(join(s.dir, 'pids'), 'utf8').trim().split(' ').map(Number))
    expect(r.stdout).not.toMatch(/timed out/)
    expect(r.exitCode).toBe(0)
    expect(r.json()).toMatchObject({node: 'n2', fence: 'ok'})
    expect(r.ms).toBeLessThan(3000)
  })
})

describe('a hanging fence command times out', () => {
  it("--fence-timeout 500ms: exit 7 within seconds, 'timed out', the script and its children are killed", async () => {
    const s = script('sleep 30 &\necho "$$ $!" > "$(dirname "$0")/pids"\nwait')
    const state = await fencedCluster(['--fence-cmd', `${s.path} {node}`, '--fence-timeout', '500ms'])
    const before = await observable(state)

    const r = await dlm(state, ['node', 'mark-dead', 'n2', '--yes', '--json'], {timeoutMs: 20_000})
    const pids = readFileSync(join(s.dir, 'pids'), 'utf8').trim().split(' ').map(Number)
    strays.push(...pids)
    expect(r.exitCode).toBe(7)
    expect(r.ms).toBeLessThan(5000)
    const err = r.json().error
    expect(err.code).toBe('FENCE_FAILED')
    expect(err.timedOut).toBe(true)
    expect(err.message).toMatch(/timed out/)

    const after = await observable(state)
    expect(after.exportWithoutEvents).toEqual(before.exportWithoutEvents)
    expect(after.status).toEqual(before.status)
    expect(after.locks).toEqual(before.locks)
    const ev = (await j(state, ['events'])).events.at(-1)
    expect(ev).toMatchObject({type: 'node.fence-failed', node: 'n2', timedOut: true})
    expect(ev.message).toMatch(/timed out/)

    // The whole process group went: the script's shell and its sleep.
    const deadline = Date.now() + 3000
    while (pids.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50))
    expect(pids.filter(alive)).toEqual([])

    // A fence command that does not exist: exit 7 as well, nothing changed.
    const state2 = await fencedCluster(['--fence-cmd', `${join(s.dir, 'no-such-fence')} {node}`])
    const missing = await refusal(state2, ['node', 'mark-dead', 'n2', '--yes'], 7)
    expect(missing.code).toBe('FENCE_FAILED')
    expect((await j(state2, ['status'])).nodes.find((n: {name: string}) => n.name === 'n2').state).toBe('up')
  })
})
