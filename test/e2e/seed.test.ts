// The seed's story through the built CLI, with output snapshots (human output is
// plain text when stdout is not a terminal, and --json), plus the key facts
// asserted explicitly; and "read-only means read-only" on fixture copies.
import {describe, expect, test} from 'vitest'
import {FULL} from '../full.js'
import {HEAVY, commandsInProcess, copyFixture, dlmctl, dlmctlWith, stackLines, treeDigest, treeFiles, type RunResult} from './helpers.js'

type Lock = {
  lockId: number
  domain: string
  resource: string
  node: string
  mode: string
  status: string
  requestedMode?: string
  persistent: boolean
  valid: boolean
  invalidReasons: string[]
  lvb: string
}

/** Exit 0, nothing on stderr. */
function ok(r: RunResult): RunResult {
  expect({exit: r.exitCode, stderr: r.stderr}).toEqual({exit: 0, stderr: ''})
  return r
}

// The story, the fixture's facts and the read-only rule run in this process (the
// commands, from the sources; drill-fuzz.test.ts proves in-process runs answer as
// processes do). Under test:full the read-only test runs real processes at once
// instead (readers side by side, the same snapshots).
commandsInProcess()

const byId = (locks: Lock[], id: number) => locks.find((l) => l.lockId === id)

describe('the seed story: a persistent lock orphaned by a dead node, a second death, validate', () => {
  test('walks through request, death, orphan, deadman grants, MORE_RECOVERY, VALID', async () => {
    const s = copyFixture('basic')

    // n2 takes a persistent EX on metadata it is changing; n1 a persistent PR elsewhere.
    const a = ok(await dlmctl(s, 'lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent', '--json'))
    expect(a.json).toMatchSnapshot('request meta/a n2 EX --json')
    expect(a.json).toMatchObject({lockId: 10, domain: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', status: 'granted', persistent: true, valid: true, invalidReasons: []})
    const orphanId: number = a.json.lockId

    const b = ok(await dlmctl(s, 'lock', 'request', 'fs1', 'meta/b', '--node', 'n1', '--mode', 'PR', '--persistent'))
    expect(b.stdout).toMatchSnapshot('request meta/b n1 PR (human)')
    expect(b.stdout).toMatch(/^lock 11 on fs1:meta\/b .*granted, valid\n$/)

    // n2 dies.
    const dead = ok(await dlmctl(s, 'node', 'mark-dead', 'n2', '--yes'))
    expect(dead.stdout).toMatchSnapshot('mark-dead n2 (human)')
    expect(dead.stdout).toContain('n2 is dead (generation 2)')

    // A survivor's request for meta/a waits behind the orphan, and answers invalid.
    const w = ok(await dlmctl(s, 'lock', 'request', 'fs1', 'meta/a', '--node', 'n1', '--mode', 'PR', '--persistent', '--json'))
    expect(w.json).toMatchSnapshot('request meta/a n1 PR while recovering --json')
    expect(w.json).toMatchObject({lockId: 12, node: 'n1', mode: 'PR', status: 'waiting', requestedMode: 'PR', persistent: true, valid: false})
    expect(w.json.invalidReasons).toEqual(['DOMAIN_RECOVERING', 'VALNOTVALID'])
    const waiterId: number = w.json.lockId

    const list1 = ok(await dlmctl(s, 'lock', 'list', 'fs1', '--json'))
    expect(list1.json).toMatchSnapshot('lock list fs1 after n2 died --json')
    const locks1: Lock[] = list1.json.locks
    // The orphan stays granted, in its mode, invalid for every reason that applies.
    expect(byId(locks1, orphanId)).toMatchObject({node: 'n2', mode: 'EX', status: 'granted', persistent: true, valid: false})
    expect(byId(locks1, orphanId)!.invalidReasons).toEqual(['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'])
    // A survivor's persistent lock is invalid only because the domain recovers.
    expect(byId(locks1, 11)).toMatchObject({node: 'n1', status: 'granted', valid: false, invalidReasons: ['DOMAIN_RECOVERING']})
    // The survivors' deadman PRs on deadman/n2 are granted (that is how they learn of the death).
    const deadmanN2 = locks1.filter((l) => l.resource === 'deadman/n2')
    expect(deadmanN2.map((l) => [l.node, l.mode, l.status]).sort()).toEqual([
      ['n1', 'PR', 'granted'],
      ['n3', 'PR', 'granted'],
    ])
    // Nothing of n2 survives but its persistent lock.
    expect(locks1.filter((l) => l.node === 'n2').map((l) => l.lockId)).toEqual([orphanId])
    expect(locks1.filter((l) => !l.persistent).every((l) => !l.invalidReasons.includes('DOMAIN_RECOVERING'))).toBe(true)

    const list1h = ok(await dlmctl(s, 'lock', 'list', 'fs1'))
    expect(list1h.stdout).toMatchSnapshot('lock list fs1 after n2 died (human)')
    expect(list1h.stdout).toContain('n2 (orphan)')
    expect(list1h.stdout).not.toMatch(/\x1b\[/) // plain: no colour codes in a pipe

    const st1 = ok(await dlmctl(s, 'status', '--json'))
    expect(st1.json).toMatchSnapshot('status after n2 died --json')
    expect(st1.json.generation).toBe(2)
    expect(st1.json.nodes).toContainEqual(expect.objectContaining({name: 'n2', state: 'dead', incarnation: 1}))
    expect(st1.json.domains).toContainEqual(expect.objectContaining({name: 'fs1', state: 'recovering', epoch: 1, members: ['n1', 'n2', 'n3'], deadNodes: ['n2']}))
    expect(st1.json.domains).toContainEqual(expect.objectContaining({name: 'fs2', state: 'recovering', epoch: 1, members: ['n1', 'n2'], deadNodes: ['n2']}))

    // n1 attaches to fs1's recovery; then n3 dies too.
    const att1 = ok(await dlmctl(s, 'domain', 'attach', 'fs1', '--node', 'n1', '--json'))
    expect(att1.json).toMatchSnapshot('attach fs1 #1 --json')
    expect(att1.json).toMatchObject({id: 1, domain: 'fs1', epoch: 1})

    const dead3 = ok(await dlmctl(s, 'node', 'mark-dead', 'n3', '--yes', '--json'))
    expect(dead3.json).toMatchSnapshot('mark-dead n3 --json')
    expect(dead3.json).toMatchObject({node: 'n3', generation: 3, alreadyDead: false})
    expect(dead3.json.domains.map((d: {domain: string; epoch: number}) => [d.domain, d.epoch])).toEqual([['fs1', 2]])

    // validate answers MORE_RECOVERY (exit 3) and changes nothing.
    const exportBefore = ok(await dlmctl(s, 'export')).stdout
    const treeBefore = treeFiles(s)
    const v1 = await dlmctl(s, 'validate', 'fs1', '--id', String(att1.json.id), '--json')
    expect(v1.exitCode).toBe(3)
    expect(v1.stderr).toBe('')
    expect(v1.json).toMatchObject({domain: 'fs1', id: 1, result: 'MORE_RECOVERY'})
    expect(v1.json).toMatchSnapshot('validate fs1 --id 1 (MORE_RECOVERY) --json')
    const v1h = await dlmctl(s, 'validate', 'fs1', '--id', '1')
    expect(v1h.exitCode).toBe(3)
    expect(v1h.stdout).toMatchSnapshot('validate fs1 --id 1 (MORE_RECOVERY) human')
    expect(v1h.stdout).toContain('MORE_RECOVERY')
    expect(treeFiles(s)).toEqual(treeBefore)
    expect(ok(await dlmctl(s, 'export')).stdout).toBe(exportBefore)

    // Start again: attach, validate.
    const att2 = ok(await dlmctl(s, 'domain', 'attach', 'fs1', '--node', 'n1', '--json'))
    expect(att2.json).toMatchObject({id: 2, domain: 'fs1', epoch: 2})
    const v2 = ok(await dlmctl(s, 'validate', 'fs1', '--id', '2', '--json'))
    expect(v2.json).toMatchSnapshot('validate fs1 --id 2 (VALID) --json')
    expect(v2.json).toMatchObject({domain: 'fs1', id: 2, result: 'VALID', releasedOrphans: [orphanId]})
    expect(v2.json.replayedNodes).toEqual(['n2', 'n3'])
    expect(v2.json.granted).toContain(waiterId)

    const list2 = ok(await dlmctl(s, 'lock', 'list', 'fs1', '--json'))
    expect(list2.json).toMatchSnapshot('lock list fs1 after validate --json')
    const locks2: Lock[] = list2.json.locks
    expect(locks2.every((l) => l.valid && l.invalidReasons.length === 0)).toBe(true)
    expect(byId(locks2, orphanId)).toBeUndefined() // orphan released
    expect(byId(locks2, waiterId)).toMatchObject({status: 'granted', mode: 'PR', node: 'n1', valid: true}) // waiter granted
    expect(locks2.some((l) => l.node === 'n2' || l.node === 'n3')).toBe(false)
    expect(locks2.some((l) => l.resource === 'deadman/n2' || l.resource === 'deadman/n3')).toBe(false)
    const list2h = ok(await dlmctl(s, 'lock', 'list', 'fs1'))
    expect(list2h.stdout).toMatchSnapshot('lock list fs1 after validate (human)')

    // n2 also belonged to fs2: it is recovered once fs2 is validated too.
    const st2 = ok(await dlmctl(s, 'status', '--json'))
    expect(st2.json.nodes).toContainEqual(expect.objectContaining({name: 'n2', state: 'dead', incarnation: 1}))
    expect(st2.json.nodes).toContainEqual(expect.objectContaining({name: 'n3', state: 'recovered', incarnation: 1}))
    const att3 = ok(await dlmctl(s, 'domain', 'attach', 'fs2', '--node', 'n1', '--json'))
    expect(att3.json).toMatchObject({id: 1, domain: 'fs2', epoch: 1})
    const v3 = ok(await dlmctl(s, 'validate', 'fs2', '--id', '1'))
    expect(v3.stdout).toMatchSnapshot('validate fs2 --id 1 (human)')
    expect(v3.stdout).toMatch(/^VALID/)

    // From here on only read-only commands: the directory must not change.
    const endTree = treeFiles(s)
    const st3 = ok(await dlmctl(s, 'status', '--json'))
    expect(st3.json).toMatchSnapshot('status at the end --json')
    expect(st3.json.nodes.map(({name, state, incarnation, next}: {name: string; state: string; incarnation: number; next: string | null}) => ({name, state, incarnation, next}))).toEqual([
      {name: 'n1', state: 'up', incarnation: 1, next: null},
      {name: 'n2', state: 'recovered', incarnation: 1, next: 'dlmctl node join n2'},
      {name: 'n3', state: 'recovered', incarnation: 1, next: 'dlmctl node join n3'},
    ])
    expect(st3.json.domains.map((d: {name: string; state: string; deadNodes: string[]}) => [d.name, d.state, d.deadNodes])).toEqual([
      ['fs1', 'normal', []],
      ['fs2', 'normal', []],
    ])
    const st3h = ok(await dlmctl(s, 'status'))
    expect(st3h.stdout).toMatchSnapshot('status at the end (human)')
    expect(st3h.stdout).not.toContain('recovery needed')

    const all = ok(await dlmctl(s, 'lock', 'list', '--json'))
    expect(all.json.locks.length).toBeGreaterThan(0)
    expect(all.json.locks.filter((l: Lock) => !l.valid)).toEqual([])

    const ev = ok(await dlmctl(s, 'events', '--json'))
    expect(ev.json).toMatchSnapshot('events --json')
    // Under a fixed clock events are ordered causally, not by real time (dlmctl-events(1)):
    // fs2's attach depends only on fs2's log, so it ties with fs1's first attach (log order).
    expect(ev.json.events.map((e: {type: string; domain?: string}) => `${e.type}${e.domain ? ` ${e.domain}` : ''}`)).toEqual([
      'init',
      'domain.death fs1',
      'domain.death fs2',
      'node.dead',
      'domain.attach fs1',
      'domain.attach fs2',
      'domain.death fs1',
      'node.dead',
      'domain.attach fs1',
      'domain.validate fs1',
      'node.recovered',
      'domain.validate fs2',
      'node.recovered',
    ])

    const chk = ok(await dlmctl(s, 'check'))
    expect(chk.stdout).toMatchSnapshot('check (human)')
    expect(chk.stdout).toContain('consistent')

    expect(ok(await dlmctl(s, 'export')).stdout).toMatchSnapshot('export at the end')
    expect(treeFiles(s)).toEqual(endTree)
  }, HEAVY)
})

describe('read-only commands leave the state directory byte-identical', () => {
  const readOnly: string[][] = [
    ['status'],
    ['status', '--json'],
    ['lock', 'list'],
    ['lock', 'list', 'fs1', '--invalid', '--json'],
    ['node', 'list', '--json'],
    ['domain', 'list'],
    ['events'],
    ['export'],
    ['check', '--json'],
  ]

  test.each(['basic', 'seed-mid-recovery'])('on an untouched copy of fixture %s', async (fixture) => {
    const s = copyFixture(fixture)
    const before = treeFiles(s)
    const digest = treeDigest(s)
    const results = await Promise.all(readOnly.map((args) => dlmctlWith({process: FULL}, s, ...args)))
    results.forEach((r, i) => {
      expect({cmd: readOnly[i].join(' '), exit: r.exitCode, stderr: r.stderr}).toEqual({cmd: readOnly[i].join(' '), exit: 0, stderr: ''})
      expect(stackLines(r.stderr)).toEqual([])
    })
    expect(treeFiles(s)).toEqual(before)
    expect(treeDigest(s)).toBe(digest)
    // The whole picture of the fixture, as an operator sees it.
    if (fixture === 'seed-mid-recovery') {
      for (const [i, args] of readOnly.entries()) expect(results[i].stdout).toMatchSnapshot(`seed-mid-recovery: ${args.join(' ')}`)
    }
  })

  test('seed-mid-recovery holds what its make.sh says', async () => {
    const s = copyFixture('seed-mid-recovery')
    const [st, locks, domains] = await Promise.all([dlmctl(s, 'status', '--json'), dlmctl(s, 'lock', 'list', '--json'), dlmctl(s, 'domain', 'list', '--json')])
    expect(st.json.nodes.map((n: {name: string; state: string}) => `${n.name}:${n.state}`)).toEqual(['n1:up', 'n2:dead', 'n3:up'])
    const l: Lock[] = locks.json.locks
    expect(byId(l.filter((x) => x.domain === 'fs1'), 10)).toMatchObject({node: 'n2', mode: 'EX', status: 'granted', persistent: true, invalidReasons: ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID']})
    expect(byId(l.filter((x) => x.domain === 'fs1'), 12)).toMatchObject({node: 'n1', status: 'waiting', resource: 'meta/a'})
    expect(domains.json.domains.find((d: {name: string}) => d.name === 'fs1').attachments).toEqual([{id: 1, node: 'n1', epoch: 1}])
  })
})

describe('output that must tell the truth', () => {
  test('events --domain fs1 lists the attach events of fs1', async () => {
    // seed-mid-recovery has one attach in fs1 (recovery id 1, by n1).
    const s = copyFixture('seed-mid-recovery')
    const all = await dlmctl(s, 'events', '--json')
    const attach = all.json.events.filter((e: {type: string}) => e.type === 'domain.attach')
    expect(attach).toHaveLength(1)
    const fs1 = await dlmctl(s, 'events', '--domain', 'fs1', '--json')
    expect(fs1.exitCode).toBe(0)
    expect(fs1.json.events.map((e: {type: string}) => e.type)).toContain('domain.death')
    // An attach is an event of its domain: filtering by domain must not lose it.
    expect(fs1.json.events.map((e: {type: string}) => e.type)).toContain('domain.attach')
  })

  test("validate's human output does not call a node recovered while another domain still has to replay it", async () => {
    // n2 died in fs1 and fs2; validating fs1 alone leaves n2 dead (fs2 still recovering).
    const s = copyFixture('seed-mid-recovery')
    const v = await dlmctl(s, 'validate', 'fs1', '--id', '1')
    expect(v.exitCode).toBe(0)
    const st = await dlmctl(s, 'status', '--json')
    expect(st.json.nodes).toContainEqual(expect.objectContaining({name: 'n2', state: 'dead', incarnation: 1}))
    expect(v.stdout).toMatch(/^VALID/)
    expect(v.stdout).not.toMatch(/recovered[^\n]*\bn2\b/)
  })
})
