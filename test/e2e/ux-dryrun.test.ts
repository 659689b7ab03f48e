// --dry-run changes nothing (every file byte-identical, `export` identical) and says
// what the real command would change: the same answer the real command then gives.
import {describe, expect, it} from 'vitest'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, run, tempDir} from './helpers.js'

tempDirsPerFile()
// What a dry run says and that it changes nothing are rules of the commands: in this process.
commandsInProcess()

/** Runs a dry run on `state` and checks that neither the files nor `export` moved; returns its JSON (and exit). */
async function dryRun(state: string, args: string[], exit = 0): Promise<any> {
  const files = treeFiles(state)
  const exp = await run(state, ['export'])
  expect(exp.exitCode, exp.stderr).toBe(0)
  const r = await run(state, [...args, '--dry-run', '--json'])
  expect(r.exitCode, r.stdout + r.stderr).toBe(exit)
  const after = await run(state, ['export'])
  expect(after.stdout).toBe(exp.stdout)
  expect(treeFiles(state)).toEqual(files)
  return JSON.parse(r.stdout)
}

const withoutDryRun = ({dryRun, ...rest}: any) => rest

describe.concurrent('--dry-run', () => {
  it('node mark-dead: lists the locks it would orphan, drop, withdraw and grant — exactly what mark-dead then does', async ({expect}) => {
    const [s, real] = [copyFixture('chain'), copyFixture('chain')]
    const [d, r] = await Promise.all([dryRun(s, ['node', 'mark-dead', 'n1']), json(real, ['node', 'mark-dead', 'n1', '--yes'])])
    expect(d.dryRun).toBe(true)
    expect(d.node).toBe('n1')
    const {lockId: n1Lock} = (await json(s, ['lock', 'list', 'fs1', '--node', 'n1', '--resource', 'meta/a'])).locks[0]
    expect(d.domains[0]).toMatchObject({domain: 'fs1', epoch: 2, orphaned: [n1Lock], conversionsWithdrawn: [n1Lock], invalidatedResources: ['deadman/n1']})
    expect(d.domains[0].dropped.length).toBeGreaterThan(0)
    expect(withoutDryRun(d)).toEqual(r)
    // and the human preview says the same in words
    const h = await run(s, ['node', 'mark-dead', 'n1', '--dry-run'])
    expect(h.stdout).toContain('marking n1 dead: 1 domain(s) will enter recovery')
    expect(h.stdout).toContain('1 persistent lock(s) will be orphaned, 2 dropped, 1 request(s) withdrawn')
  })

  it('node mark-dead --dry-run does not run the fence command; the real one does', async ({expect}) => {
    const base = tempDir('fence')
    const s = join(base, 'state')
    const fenced = join(base, 'fenced-n2')
    expect((await run(s, ['init', '--nodes', 'n1,n2', '--fs', 'fs1', '--fence-cmd', `touch ${join(base, 'fenced-{node}')}`])).exitCode).toBe(0)
    const d = await dryRun(s, ['node', 'mark-dead', 'n2'])
    expect(d.alreadyDead).toBe(false)
    expect(existsSync(fenced)).toBe(false)
    const r = await json(s, ['node', 'mark-dead', 'n2', '--yes'])
    expect(r.fence).toBe('ok')
    expect(existsSync(fenced)).toBe(true)
  })

  it('replay: the journals and records it would apply — what replay then applies', async ({expect}) => {
    const [s, real] = [copyFixture('recovering'), copyFixture('recovering')]
    const [d, r] = await Promise.all([dryRun(s, ['replay', 'fs1', '--id', '1']), json(real, ['replay', 'fs1', '--id', '1'])])
    expect(d).toMatchObject({dryRun: true, domain: 'fs1', result: 'DONE', changedKeys: 1, journals: [{node: 'n3', applied: 1, discarded: 0, stoppedAt: null}]})
    expect(withoutDryRun(d)).toEqual(r)
    expect((await json(real, ['fs', 'read', 'fs1', 'x', '--raw'])).value).toBe('2')
  })

  it('validate: the orphans it would release, the deadman locks it would clean, the locks it would grant — what validate then does', async ({expect}) => {
    const [s, real] = [copyFixture('recovering'), copyFixture('recovering')]
    await Promise.all([json(s, ['replay', 'fs1', '--id', '1']), json(real, ['replay', 'fs1', '--id', '1'])])
    const {locks} = await json(s, ['lock', 'list', 'fs1', '--resource', 'meta/x'])
    const orphan = locks.find((l: any) => l.node === 'n3').lockId
    const waiter = locks.find((l: any) => l.node === 'n1').lockId
    const d = await dryRun(s, ['validate', 'fs1', '--id', '1'])
    expect(d).toMatchObject({dryRun: true, domain: 'fs1', id: 1, result: 'VALID', replayedNodes: ['n3'], releasedOrphans: [orphan], granted: [waiter]})
    expect(d.cleanedDeadman.length).toBeGreaterThan(0)
    const r = await json(real, ['validate', 'fs1', '--id', '1'])
    expect(withoutDryRun(d)).toEqual(r)
    // without the replay, --force --dry-run neither asks (no terminal here, no --yes) nor changes anything
    expect(await dryRun(copyFixture('recovering'), ['validate', 'fs1', '--id', '1', '--force'])).toMatchObject({dryRun: true, result: 'VALID', forced: true})
  })

  it('recover: the runner, the journals to replay and the orphans to release, per domain — the real recover agrees', async ({expect}) => {
    const [s, real] = [copyFixture('recovering'), copyFixture('recovering')]
    const [d, r] = await Promise.all([dryRun(s, ['recover', 'fs1', 'fs2']), json(real, ['recover', 'fs1', 'fs2', '--yes'])])
    expect(d.dryRun).toBe(true)
    expect(d.domains).toMatchObject([
      {name: 'fs1', recovering: true, runner: 'n1', deadNodes: ['n3'], journals: [{node: 'n3', pendingTransactions: 1, pendingRecords: 1, stoppedAt: null}]},
      {name: 'fs2', recovering: true, runner: 'n1', deadNodes: ['n3'], journals: [{node: 'n3', pendingTransactions: 0}]},
    ])
    expect(d.domains.every((x: any) => x.orphans.length === 1)).toBe(true)
    expect(r.domains.map((x: any) => [x.name, x.result, x.runner, x.replayedNodes])).toEqual(
      d.domains.map((x: any) => [x.name, 'RECOVERED', x.runner, x.deadNodes]),
    )
  })

  it('node check: lists the stale nodes, marks none dead', async ({expect}) => {
    const s = copyFixture('recovering')
    const files = treeFiles(s)
    const r = await run(s, ['node', 'check', '--timeout', '10s', '--dry-run', '--json'], {env: {DLMCTL_CLOCK: '2026-01-02T00:00:00Z'}})
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({dryRun: true, markedDead: [], stale: [{name: 'n1'}, {name: 'n2'}]})
    expect(treeFiles(s)).toEqual(files)
  })
})
