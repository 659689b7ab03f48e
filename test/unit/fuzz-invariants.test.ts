// The fuzzer's independent invariants (src/drill/fuzz/invariants.ts): each rule
// catches the state it forbids, and holds on states the rules allow.
import {describe, expect, it} from 'vitest'
import {checkInvariants, queueExit, type SeenLock, type SeenStatus} from '../../src/drill/fuzz/invariants.js'

let next = 1
function lock(p: Partial<SeenLock> & Pick<SeenLock, 'mode' | 'status'>): SeenLock {
  return {lockId: next++, domain: 'fs1', resource: 'r', node: 'n1', persistent: false, valid: true, invalidReasons: [], ...p}
}
const up: SeenStatus = {nodes: [{name: 'n1', state: 'up'}, {name: 'n2', state: 'up'}, {name: 'n3', state: 'up'}], domains: [{name: 'fs1', state: 'normal', deadNodes: [], members: ['n1', 'n2', 'n3']}]}
const rules = (locks: SeenLock[], status = up, previous?: SeenLock[]) => checkInvariants(locks, status, previous).map((v) => v.rule)

describe('granted modes are pairwise compatible', () => {
  it('PR beside CW is caught (either order), with the later lock as the witness', () => {
    const a = lock({mode: 'PR', status: 'granted'})
    const b = lock({mode: 'CW', status: 'granted', node: 'n2'})
    const v = checkInvariants([a, b], up)
    expect(v.map((x) => x.rule)).toEqual(['granted-compatible'])
    expect(v[0].absent).toEqual({lockId: b.lockId, mode: 'CW', status: 'granted'})
    expect(rules([lock({mode: 'CW', status: 'granted'}), lock({mode: 'PR', status: 'granted'})])).toEqual(['granted-compatible'])
  })
  it('a converting lock holds its granted mode: EX converting beside PR is caught', () => {
    expect(rules([lock({mode: 'PR', status: 'granted'}), lock({mode: 'EX', status: 'converting', requestedMode: 'NL'})])).toContain('granted-compatible')
  })
  it('every compatible pair of the matrix passes; different resources never conflict', () => {
    const ok: [string, string][] = [['NL', 'EX'], ['CR', 'PW'], ['CW', 'CW'], ['PR', 'PR'], ['CR', 'CW']]
    for (const [x, y] of ok) expect(rules([lock({mode: x, status: 'granted'}), lock({mode: y, status: 'granted', node: 'n2'})]), `${x}+${y}`).toEqual([])
    expect(rules([lock({mode: 'EX', status: 'granted'}), lock({mode: 'EX', status: 'granted', resource: 'other'})])).toEqual([])
  })
})

describe('queues', () => {
  it('a waiting head compatible with every holder and no conversion queued: not served', () => {
    expect(rules([lock({mode: 'PR', status: 'granted'}), lock({mode: 'CR', status: 'waiting', requestedMode: 'CR', node: 'n2'})])).toEqual(['queues-served'])
  })
  it('a waiting head behind a queued conversion is right to wait', () => {
    const locks = [lock({mode: 'PR', status: 'granted'}), lock({mode: 'PR', status: 'converting', requestedMode: 'EX', node: 'n2'}), lock({mode: 'CR', status: 'waiting', requestedMode: 'CR', node: 'n3'})]
    expect(rules(locks)).toEqual([])
  })
  it('a conversion compatible with every other holder that still waits: not served', () => {
    expect(rules([lock({mode: 'CR', status: 'granted'}), lock({mode: 'NL', status: 'converting', requestedMode: 'PR', node: 'n2'})])).toEqual(['queues-served'])
  })
  it('the wait queue in request order; FIFO grants between snapshots', () => {
    const g = lock({mode: 'EX', status: 'granted'})
    const w1 = lock({mode: 'EX', status: 'waiting', node: 'n2'})
    const w2 = lock({mode: 'EX', status: 'waiting', node: 'n3'})
    expect(rules([g, w2, w1])).toContain('fifo')
    // w2 granted while the earlier w1 still waits.
    const later = [{...w1}, {...w2, status: 'granted' as const}]
    expect(rules(later, up, [g, w1, w2])).toContain('fifo')
  })
  it('no grant past a conversion that still waits (convert queue first)', () => {
    const a = lock({mode: 'PR', status: 'granted'})
    const b = lock({mode: 'PR', status: 'converting', requestedMode: 'EX', node: 'n2'})
    const c = lock({mode: 'CR', status: 'waiting', node: 'n3'})
    expect(rules([a, b, {...c, status: 'granted'}], up, [a, b, c])).toEqual(['convert-queue-first'])
    // The conversion was granted first: then the request may follow.
    expect(rules([a, {...b, status: 'granted', mode: 'PR'}, {...c, status: 'granted'}], up, [a, b, c]).filter((r) => r === 'convert-queue-first')).toEqual([])
  })
})

describe('nodes, orphans and validity', () => {
  const recovering: SeenStatus = {nodes: [{name: 'n1', state: 'up'}, {name: 'n2', state: 'dead'}, {name: 'n3', state: 'recovered'}], domains: [{name: 'fs1', state: 'recovering', deadNodes: ['n2'], members: ['n1', 'n2', 'n3']}]}
  it('a lock of an unknown node', () => {
    expect(rules([lock({mode: 'NL', status: 'granted', node: 'ghost'})])).toEqual(['known-node'])
  })
  it('orphans only of dead nodes still to be recovered, granted and persistent', () => {
    const orphan = {mode: 'EX', status: 'granted' as const, node: 'n2', persistent: true, valid: false, invalidReasons: ['DOMAIN_RECOVERING', 'ORPHANED']}
    expect(rules([lock(orphan)], recovering)).toEqual([])
    expect(rules([lock({...orphan, persistent: false, invalidReasons: ['ORPHANED']})], recovering)).toEqual(['orphans-of-dead-nodes'])
    expect(rules([lock({...orphan, node: 'n3'})], recovering)).toEqual(['orphans-of-dead-nodes'])
    expect(rules([lock({...orphan, status: 'waiting'})], recovering)).toContain('orphans-of-dead-nodes')
    expect(rules([lock({...orphan, invalidReasons: ['DOMAIN_RECOVERING']})], recovering)).toEqual(['orphans-of-dead-nodes'])
    expect(rules([lock({mode: 'NL', status: 'granted', invalidReasons: ['ORPHANED'], valid: false})])).toEqual(['orphans-of-dead-nodes'])
  })
  it('every persistent lock is invalid while its domain recovers, and not for that reason after', () => {
    expect(rules([lock({mode: 'PR', status: 'granted', persistent: true})], recovering)).toEqual(['invalid-while-recovering'])
    expect(rules([lock({mode: 'PR', status: 'granted', persistent: true, valid: false, invalidReasons: ['DOMAIN_RECOVERING']})], recovering)).toEqual([])
    expect(rules([lock({mode: 'PR', status: 'granted', persistent: true, valid: false, invalidReasons: ['DOMAIN_RECOVERING']})])).toEqual(['valid-after-validate'])
  })
})

describe('members and recovering domains', () => {
  it('a lock of a node that does not mount the file system (a node added but not joined there)', () => {
    const withN4: SeenStatus = {...up, nodes: [...up.nodes, {name: 'n4', state: 'up'}]}
    const v = checkInvariants([lock({mode: 'PR', status: 'granted', node: 'n4'})], withN4)
    expect(v.map((x) => x.rule)).toEqual(['locks-of-members'])
    expect(v[0].absent).toMatchObject({lockId: expect.any(Number)})
    expect(rules([lock({mode: 'PR', status: 'granted', node: 'n3'})], withN4)).toEqual([])
  })
  it('a domain recovers exactly while it has dead nodes, those are dead, and every dead node has a domain to recover', () => {
    const n = (n2: string) => [{name: 'n1', state: 'up'}, {name: 'n2', state: n2}]
    const fs = (state: string, deadNodes: string[]) => [{name: 'fs1', state, deadNodes, members: ['n1', 'n2']}]
    expect(rules([], {nodes: n('dead'), domains: fs('recovering', ['n2'])})).toEqual([])
    expect(rules([], {nodes: n('recovered'), domains: fs('normal', [])})).toEqual([])
    // validate --force that leaves the domain recovering, or returns it to normal with a dead node in it:
    expect(rules([], {nodes: n('dead'), domains: fs('normal', ['n2'])})).toEqual(['domain-state'])
    expect(rules([], {nodes: n('recovered'), domains: fs('recovering', [])})).toEqual(['domain-state'])
    // a recovered (or up) node still in a domain's dead list; a dead node nobody recovers:
    expect(rules([], {nodes: n('recovered'), domains: fs('recovering', ['n2'])})).toEqual(['domain-state'])
    expect(rules([], {nodes: n('dead'), domains: fs('normal', [])})).toEqual(['domain-state'])
  })
})

describe('what a request or conversion must answer, by the literal table (the drill states it, not the model)', () => {
  const req = (mode: string, noqueue: boolean) => ({kind: 'request', fs: 'fs1', resource: 'r', node: 'n2', mode, persistent: false, noqueue}) as const
  const conv = (id: number, mode: string, noqueue = false) => ({kind: 'convert', fs: 'fs1', id, mode, noqueue}) as const
  it('--noqueue: refused (5) where the table forbids the grant, 0 where it allows it; without it always 0', () => {
    const pr = [lock({mode: 'PR', status: 'granted'})]
    expect(queueExit(pr, req('CW', true) as never)).toBe(5)
    expect(queueExit(pr, req('PR', true) as never)).toBe(0)
    expect(queueExit(pr, req('CW', false) as never)).toBe(0)
    // Nobody jumps a queue: a compatible --noqueue request behind a waiting one is refused.
    expect(queueExit([...pr, lock({mode: 'EX', status: 'waiting', node: 'n3'})], req('CR', true) as never)).toBe(5)
  })
  it('conversions: granted in place, NOTQUEUED, DEADLOCK with a queued conversion that waits on this mode; unknown where other rules decide', () => {
    const a = lock({mode: 'PR', status: 'granted'})
    const b = lock({mode: 'PR', status: 'granted', node: 'n2'})
    expect(queueExit([a, b], conv(a.lockId, 'CR') as never)).toBe(0)
    expect(queueExit([a, b], conv(a.lockId, 'CW', true) as never)).toBe(5)
    expect(queueExit([a, b], conv(a.lockId, 'EX') as never)).toBe(0)
    const bConverting = {...b, status: 'converting' as const, requestedMode: 'EX'}
    expect(queueExit([a, bConverting], conv(a.lockId, 'EX') as never)).toBe(5)
    expect(queueExit([a, bConverting], conv(bConverting.lockId, 'CR') as never)).toBeUndefined()
    expect(queueExit([a, b], {...conv(a.lockId, 'NL'), lvb: '01'} as never)).toBeUndefined()
  })
})
