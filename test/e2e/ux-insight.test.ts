// lock blockers / lock explain on the chain fixture:
//   n3's PR (waiting) ← n1's PR→EX (converting: the wait queue waits for the convert queue)
//                     ← n2's persistent PR (incompatible with EX; an orphan of dead n2 that validate releases)
// then the same questions after `recover fs1`.
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, chainIds, tempDirsPerFile, copyFixture, treeFiles, json, run, type ChainIds} from './helpers.js'

// Rules and output shapes: this file's pipe runs go through the commands in this process
// (helpers.ts commandsInProcess); terminals, other working directories and time limits still spawn.
commandsInProcess()

tempDirsPerFile()

/** A later "now": what explain says about the death must come from the event log, not the clock. */
const LATER = {DLMCTL_CLOCK: '2026-03-01T12:00:00Z'}

const shape = (t: any): any => ({
  lockId: t.lock.lockId,
  node: t.lock.node,
  mode: t.lock.mode,
  status: t.lock.status,
  ...(t.reason ? {reason: t.reason} : {}),
  orphan: t.orphan,
  goesAwayOnValidate: t.goesAwayOnValidate,
  blockedBy: t.blockedBy.map(shape),
})

describe('chain fixture, n2 dead, fs1 recovering', () => {
  let s: string
  let ids: ChainIds
  let before: Record<string, string>
  beforeAll(async () => {
    s = copyFixture('chain')
    ids = await chainIds(s)
    before = treeFiles(s)
  })

  it('lock blockers of n3’s request is the tree n3 (waiting) ← n1 (converting, convert-queue) ← n2’s orphan PR (incompatible)', async () => {
    const r = await json(s, ['lock', 'blockers', 'fs1', String(ids.waiting)])
    expect(r.domain).toBe('fs1')
    expect(r.trees).toHaveLength(1)
    expect(shape(r.trees[0])).toEqual({
      lockId: ids.waiting,
      node: 'n3',
      mode: 'PR',
      status: 'waiting',
      orphan: false,
      goesAwayOnValidate: false,
      blockedBy: [
        {
          lockId: ids.converting,
          node: 'n1',
          mode: 'PR',
          status: 'converting',
          reason: 'convert-queue',
          orphan: false,
          goesAwayOnValidate: false,
          blockedBy: [
            {lockId: ids.orphan, node: 'n2', mode: 'PR', status: 'granted', reason: 'incompatible', orphan: true, goesAwayOnValidate: true, blockedBy: []},
          ],
        },
      ],
    })
    expect(r.trees[0].blockedBy[0].lock.requestedMode).toBe('EX')
    expect(r.trees[0].blockedBy[0].blockedBy[0].lock).toMatchObject({valid: false, invalidReasons: ['DOMAIN_RECOVERING', 'ORPHANED'], persistent: true})
  })

  it('human blockers output (one lock, and the whole domain)', async () => {
    const [one, all] = await Promise.all([run(s, ['lock', 'blockers', 'fs1', String(ids.waiting)]), run(s, ['lock', 'blockers', 'fs1'])])
    expect(one.exitCode, one.stderr).toBe(0)
    expect(one.stdout).toContain(`ORPHAN of dead n2; released by validate`)
    expect(one.stdout).toMatchSnapshot()
    expect(all.exitCode).toBe(0)
    expect(all.stdout).toMatchSnapshot()
  })

  it('lock blockers of the domain: every blocked lock except the deadman ones (shown when asked for by name)', async () => {
    const [all, deadman] = await Promise.all([
      json(s, ['lock', 'blockers', 'fs1']),
      json(s, ['lock', 'blockers', 'fs1', '--resource', 'deadman/n1']),
    ])
    expect(all.trees.map((t: any) => t.lock.lockId).sort()).toEqual([ids.converting, ids.waiting].sort())
    const resources = (t: any): string[] => [t.lock.resource, ...t.blockedBy.flatMap(resources)]
    expect(all.trees.flatMap(resources).filter((r: string) => r.startsWith('deadman/'))).toEqual([])
    // The survivors' PRs on each other's deadman resources do wait, by design:
    expect(deadman.trees.length).toBeGreaterThan(0)
    expect(deadman.trees.every((t: any) => t.lock.resource === 'deadman/n1' && t.blockedBy[0].lock.node === 'n1')).toBe(true)
  })

  it('lock explain of the orphan: not valid, ORPHANED and DOMAIN_RECOVERING, the death of n2 from the event log, and the fix', async () => {
    const [r, events] = await Promise.all([json(s, ['lock', 'explain', 'fs1', String(ids.orphan)]), json(s, ['events'])])
    const dead = events.events.find((e: any) => e.type === 'node.dead' && e.node === 'n2')
    const death = events.events.find((e: any) => e.type === 'domain.death' && e.node === 'n2' && e.domain === 'fs1')
    expect(dead).toBeDefined()
    expect(r.valid).toBe(false)
    expect(r.lock).toMatchObject({lockId: ids.orphan, node: 'n2', status: 'granted', valid: false})
    expect(r.reasons.map((x: any) => x.reason).sort()).toEqual(['DOMAIN_RECOVERING', 'ORPHANED'])
    for (const x of r.reasons) {
      expect(x.deaths, x.reason).toEqual([{node: 'n2', generation: dead.generation, time: dead.time, epoch: death.epoch}])
      expect(x.fix, x.reason).toContain('dlmctl recover fs1')
    }
    // Asked later: the death's time is the logged one, not now.
    const later = await run(s, ['lock', 'explain', 'fs1', String(ids.orphan), '--json'], {env: LATER})
    expect(JSON.parse(later.stdout).reasons[0].deaths[0].time).toBe(dead.time)
    expect(dead.time).toBe('2026-01-01T00:00:00.000Z')
  })

  it('human explain output of the orphan and of n3’s waiting request', async () => {
    const [orphan, waiting] = await Promise.all([
      run(s, ['lock', 'explain', 'fs1', String(ids.orphan)]),
      run(s, ['lock', 'explain', 'fs1', String(ids.waiting)]),
    ])
    expect(orphan.exitCode).toBe(0)
    expect(orphan.stdout).toContain('death of n2, generation 2, domain epoch 1, at 2026-01-01T00:00:00.000Z')
    expect(orphan.stdout).toMatchSnapshot()
    expect(waiting.exitCode).toBe(0)
    expect(waiting.stdout).toMatch(/^lock \d+ is valid: waiting PR on meta\/a/)
    expect(waiting.stdout).toContain('waiting on:')
    expect(waiting.stdout).toMatchSnapshot()
  })

  it('blockers and explain changed nothing', () => {
    expect(treeFiles(s)).toEqual(before)
  })

  describe('after recover fs1 --yes', () => {
    beforeAll(async () => {
      const r = await json(s, ['recover', 'fs1', '--yes'])
      expect(r.domains).toMatchObject([{name: 'fs1', result: 'RECOVERED', replayedNodes: ['n2']}])
    })

    it('the orphan is gone: explain → exit 2 UNKNOWN_LOCK, one line', async () => {
      const [j, h] = await Promise.all([run(s, ['lock', 'explain', 'fs1', String(ids.orphan), '--json']), run(s, ['lock', 'explain', 'fs1', String(ids.orphan)])])
      expect(j.exitCode).toBe(2)
      expect(JSON.parse(j.stdout).error.code).toBe('UNKNOWN_LOCK')
      expect(h.exitCode).toBe(2)
      expect(h.stdout).toBe('')
      expect(h.stderr).toBe(`dlmctl: no lock ${ids.orphan} in domain fs1\n`)
    })

    it('n1’s conversion is granted (EX) and its lock is valid', async () => {
      const {locks} = await json(s, ['lock', 'list', 'fs1', '--resource', 'meta/a'])
      const n1 = locks.find((l: any) => l.lockId === ids.converting)
      expect(n1).toMatchObject({node: 'n1', mode: 'EX', status: 'granted', valid: true, invalidReasons: []})
      expect(n1.requestedMode).toBeUndefined()
      const e = await json(s, ['lock', 'explain', 'fs1', String(ids.converting)])
      expect(e.valid).toBe(true)
      expect(e.reasons).toEqual([])
      expect(e.summary).toMatch(/is valid: granted EX \(persistent\) on meta\/a, fs1 is normal/)
    })

    it('n3 now waits on n1’s EX: a live holder that validate does not release', async () => {
      const r = await json(s, ['lock', 'blockers', 'fs1', String(ids.waiting)])
      expect(shape(r.trees[0])).toEqual({
        lockId: ids.waiting,
        node: 'n3',
        mode: 'PR',
        status: 'waiting',
        orphan: false,
        goesAwayOnValidate: false,
        blockedBy: [{lockId: ids.converting, node: 'n1', mode: 'EX', status: 'granted', reason: 'incompatible', orphan: false, goesAwayOnValidate: false, blockedBy: []}],
      })
      const h = await run(s, ['lock', 'blockers', 'fs1', String(ids.waiting)])
      expect(h.stdout).toContain('held by live n1: it must release or convert')
      expect(h.stdout).not.toContain('released by validate')
      expect(h.stdout).not.toContain('ORPHAN')
    })
  })
})
