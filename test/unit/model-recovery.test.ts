// Recovery core (src/model/domain.ts, membership.ts, validity.ts) against SPEC §1:
// deadman locks, what a death does, validity reasons, attach/validate, membership,
// and the seed's whole story at model level.
import {describe, expect, it} from 'vitest'
import {
  applyDeath,
  attach,
  deadmanResource,
  detach,
  epochMoved,
  findAttachment,
  joinDomain,
  joinNeeds,
  newDomain,
  validate,
} from '../../src/model/domain.js'
import {
  addNode,
  findNode,
  heartbeat,
  markDead,
  newMembership,
  rejoin,
  requireUp,
  settleRecovered,
  staleNodes,
  upNodes,
} from '../../src/model/membership.js'
import {checkName} from '../../src/model/names.js'
import type {Mode} from '../../src/model/modes.js'
import {allLocks, convertLock, findLock, isIdle, lockStatus, newResource, releaseLock, requestLock} from '../../src/model/resource.js'
import type {DomainMeta, Lock, Membership, Resource} from '../../src/model/types.js'
import {invalidReasons, lockView} from '../../src/model/validity.js'
import {thrownDlmError} from './helpers/thrown.js'

const T0 = '2025-01-01T00:00:00.000Z'
const LVB = 32
const hex = (byte: string) => byte.repeat(LVB)

/** joinDomain's result items: a Lock, or {lock, resource}. */
const lockOfTaken = (t: unknown): Lock => ((t as {lock?: Lock}).lock ?? (t as Lock))

/** A domain with its resources, members joined one by one (as init does). */
class Dom {
  meta: DomainMeta
  resources = new Map<string, Resource>()
  constructor(
    readonly m: Membership,
    name: string,
    members: string[],
  ) {
    this.meta = newDomain(name, members)
    const joined: string[] = []
    for (const n of members) {
      joinDomain(this.meta, n, joined, this.get)
      joined.push(n)
    }
  }
  get = (name: string): Resource => {
    let r = this.resources.get(name)
    if (!r) {
      r = newResource(name, LVB)
      this.resources.set(name, r)
    }
    return r
  }
  /** With `lvb`: a granted PW/EX writer then writes it, converting to its own mode (a request only reads). */
  request(node: string, res: string, mode: Mode, opts: {persistent?: boolean; noqueue?: boolean; lvb?: string} = {}): Lock {
    const {lvb, ...rest} = opts
    const lock = requestLock(this.get(res), {id: this.meta.nextLockId++, node, mode, persistent: opts.persistent ?? false, ...rest})
    if (lvb !== undefined) convertLock(this.get(res), lock.id, {mode, lvb})
    return lock
  }
  resOf(lock: Lock): Resource {
    for (const r of this.resources.values()) if (allLocks(r).includes(lock)) return r
    throw new Error(`lock ${lock.id} is on no resource`)
  }
  has(lock: Lock): boolean {
    for (const r of this.resources.values()) if (allLocks(r).includes(lock)) return true
    return false
  }
  status(lock: Lock) {
    return lockStatus(this.resOf(lock), lock)
  }
  reasons(lock: Lock) {
    return invalidReasons(lock, this.resOf(lock), this.meta, this.m.nodes.find((n) => n.name === lock.node)?.state)
  }
  view(lock: Lock) {
    return lockView(lock, this.resOf(lock), this.meta, this.m.nodes.find((n) => n.name === lock.node)?.state)
  }
  locks(): Lock[] {
    return [...this.resources.values()].flatMap(allLocks)
  }
  die(node: string) {
    markDead(this.m, node)
    return applyDeath(this.meta, node, this.resources.values())
  }
  validate(id: number, opts: {unreplayed?: string[]; force?: boolean} = {}) {
    return validate(this.meta, id, this.resources.values(), opts)
  }
  snapshot() {
    return structuredClone({meta: this.meta, resources: [...this.resources.entries()], m: this.m})
  }
}

function cluster(nodes = ['n1', 'n2', 'n3'], members = nodes) {
  const m = newMembership(nodes, T0)
  return {m, d: new Dom(m, 'fs1', members)}
}

const ids = (locks: Lock[]) => locks.map((l) => l.id)

// ---------------------------------------------------------------------------

describe('joinDomain: deadman locks', () => {
  it('a lone node takes EX on its own deadman resource', () => {
    const m = newMembership(['n1'], T0)
    const d = new Dom(m, 'fs1', [])
    const taken = joinDomain(d.meta, 'n1', [], d.get).map(lockOfTaken)
    expect(taken).toHaveLength(1)
    expect(taken[0]).toMatchObject({id: 1, node: 'n1', mode: 'EX', persistent: false})
    expect(d.meta.members).toEqual(['n1'])
    expect(d.meta.nextLockId).toBe(2)
    const r = d.get('deadman/n1')
    expect(ids(r.grantQueue)).toEqual([1])
    expect(deadmanResource('n1')).toBe('deadman/n1')
  })

  it('the second node: its EX granted, PR requests queued both ways', () => {
    const m = newMembership(['n1', 'n2'], T0)
    const d = new Dom(m, 'fs1', ['n1'])
    expect(joinNeeds(d.meta, 'n2', ['n1', 'n2'])).toEqual(['deadman/n2', 'deadman/n1'])
    const taken = joinDomain(d.meta, 'n2', ['n1'], d.get).map(lockOfTaken)
    expect(taken.map((l) => [l.node, l.mode])).toEqual([
      ['n2', 'EX'],
      ['n2', 'PR'],
      ['n1', 'PR'],
    ])
    const [ex, n2OnN1, n1OnN2] = taken
    expect(d.resOf(ex).name).toBe('deadman/n2')
    expect(d.resOf(n2OnN1).name).toBe('deadman/n1')
    expect(d.resOf(n1OnN2).name).toBe('deadman/n2')
    expect(d.status(ex)).toBe('granted')
    expect(d.status(n2OnN1)).toBe('waiting')
    expect(d.status(n1OnN2)).toBe('waiting')
    expect(d.meta.members).toEqual(['n1', 'n2'])
  })

  it('three members: every deadman resource has its owner EX granted and a PR waiting from each other member', () => {
    const {d} = cluster()
    expect(d.meta.members).toEqual(['n1', 'n2', 'n3'])
    expect(d.locks()).toHaveLength(3 + 6)
    for (const owner of ['n1', 'n2', 'n3']) {
      const r = d.get(deadmanResource(owner))
      expect(r.grantQueue.map((l) => [l.node, l.mode])).toEqual([[owner, 'EX']])
      expect(r.convertQueue).toEqual([])
      expect(r.waitQueue.map((l) => l.mode)).toEqual(['PR', 'PR'])
      expect(r.waitQueue.map((l) => l.node).sort()).toEqual(['n1', 'n2', 'n3'].filter((n) => n !== owner))
    }
    // ids are unique, deterministic and come from the domain
    expect(ids(d.locks()).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(d.meta.nextLockId).toBe(10)
    // every deadman lock is valid in a normal domain
    for (const l of d.locks()) expect(d.view(l)).toMatchObject({valid: true, invalidReasons: []})
  })

  it('is deterministic', () => {
    const a = cluster().d.snapshot()
    const b = cluster().d.snapshot()
    expect(a).toEqual(b)
  })

  it('joining does not duplicate membership', () => {
    const {d} = cluster(['n1', 'n2'])
    joinDomain(d.meta, 'n2', [], d.get)
    expect(d.meta.members).toEqual(['n1', 'n2'])
  })
})

// ---------------------------------------------------------------------------

/** n1,n2,n3 in fs1, and a spread of n2's locks for the death tests. */
function deathScene() {
  const {m, d} = cluster()
  const L = {
    // meta/a: n2 persistent EX (orphan; invalidates), n1 waits for PR behind it
    aEx: d.request('n2', 'meta/a', 'EX', {persistent: true, lvb: hex('aa')}),
    aN1: d.request('n1', 'meta/a', 'PR', {persistent: true}),
    // data/b: n2 non-persistent PW (dropped; invalidates), n1's PR waits → granted on death
    bPw: d.request('n2', 'data/b', 'PW', {lvb: hex('bb')}),
    bN1: d.request('n1', 'data/b', 'PR'),
    // meta/c: n2 persistent PR (orphan; does not invalidate), n3 PR alongside
    cPr: d.request('n2', 'meta/c', 'PR', {persistent: true}),
    cN3: d.request('n3', 'meta/c', 'PR', {persistent: true}),
    // data/d: n2 non-persistent CR (dropped; does not invalidate)
    dCr: d.request('n2', 'data/d', 'CR'),
    // meta/e: n1 EX, n2 waits for PR (withdrawn)
    eN1: d.request('n1', 'meta/e', 'EX', {persistent: true}),
    eN2: d.request('n2', 'meta/e', 'PR', {persistent: true}),
    // meta/f: n1 PR and n2 persistent PR converting to EX (conversion withdrawn; orphan keeps PR)
    fN1: d.request('n1', 'meta/f', 'PR', {persistent: true}),
    fN2: d.request('n2', 'meta/f', 'PR', {persistent: true}),
    // data/g: n2 non-persistent PR converting to PW (withdrawn then dropped; no invalidation)
    gN2: d.request('n2', 'data/g', 'PR'),
    gN3: d.request('n3', 'data/g', 'PR'),
    // data/h: n1 EX non-persistent, unrelated to n2
    hN1: d.request('n1', 'data/h', 'EX'),
    // meta/i: n3 persistent PW, unrelated to n2
    iN3: d.request('n3', 'meta/i', 'PW', {persistent: true}),
  }
  convertLock(d.get('meta/f'), L.fN2.id, {mode: 'EX'})
  convertLock(d.get('data/g'), L.gN2.id, {mode: 'PW'})
  expect(d.status(L.fN2)).toBe('converting')
  expect(d.status(L.gN2)).toBe('converting')
  expect(d.status(L.aN1)).toBe('waiting')
  expect(d.status(L.bN1)).toBe('waiting')
  expect(d.status(L.eN2)).toBe('waiting')
  return {m, d, L}
}

describe('applyDeath: what a death does', () => {
  it('before any death everything is valid', () => {
    const {d} = deathScene()
    expect(d.meta.state).toBe('normal')
    for (const l of d.locks()) expect(d.reasons(l), `lock ${l.id}`).toEqual([])
  })

  it('epoch +1, recovering, deadNodes; membership dead and generation +1', () => {
    const {m, d} = deathScene()
    expect(m.generation).toBe(1)
    const s = d.die('n2')
    expect(s.node).toBe('n2')
    expect(s.domain).toBe('fs1')
    expect(s.epoch).toBe(1)
    expect(d.meta.epoch).toBe(1)
    expect(d.meta.state).toBe('recovering')
    expect(d.meta.deadNodes).toEqual(['n2'])
    expect(findNode(m, 'n2').state).toBe('dead')
    expect(m.generation).toBe(2)
  })

  it('persistent granted locks become orphans, non-persistent ones are dropped, waiters withdrawn', () => {
    const {d, L} = deathScene()
    const deadmanEx = d.get('deadman/n2').grantQueue[0]
    const n2Waiting = d.locks().filter((l) => l.node === 'n2' && d.status(l) === 'waiting')
    expect(n2Waiting.length).toBe(3) // meta/e + PRs on deadman/n1 and deadman/n3
    const s = d.die('n2')

    expect(s.orphaned).toEqual([L.aEx.id, L.cPr.id, L.fN2.id].sort((a, b) => a - b))
    expect(s.dropped).toEqual([deadmanEx.id, L.bPw.id, L.dCr.id, L.gN2.id].sort((a, b) => a - b))
    expect(s.withdrawn).toEqual(ids(n2Waiting).sort((a, b) => a - b))
    expect(s.conversionsWithdrawn).toEqual([L.fN2.id, L.gN2.id].sort((a, b) => a - b))

    // orphans stay granted in their granted mode
    expect(d.status(L.aEx)).toBe('granted')
    expect(L.aEx.mode).toBe('EX')
    expect(d.status(L.cPr)).toBe('granted')
    // a pending conversion is withdrawn: the orphan keeps its granted mode
    expect(d.status(L.fN2)).toBe('granted')
    expect(L.fN2.mode).toBe('PR')
    expect(L.fN2.requestedMode).toBeUndefined()
    // dropped and withdrawn locks are gone
    for (const l of [deadmanEx, L.bPw, L.dCr, L.gN2, ...n2Waiting]) expect(d.has(l), `lock ${l.id}`).toBe(false)
    // the only locks n2 still has are its orphans
    expect(ids(d.locks().filter((l) => l.node === 'n2')).sort((a, b) => a - b)).toEqual(s.orphaned)
  })

  it('value blocks become not valid only for resources the dead node held in PW/EX', () => {
    const {d} = deathScene()
    const s = d.die('n2')
    // n2 held data/b (PW), meta/a (EX) and its own deadman/n2 (EX); not meta/c, data/d (PR, CR),
    // nor meta/f (PR, its conversion to EX was only pending)
    expect(s.invalidatedResources).toEqual(['data/b', 'deadman/n2', 'meta/a'])
    for (const [name, r] of d.resources) expect(r.lvbValid, name).toBe(!['data/b', 'deadman/n2', 'meta/a'].includes(name))
    // the value itself is kept
    expect(d.get('meta/a').lvb).toBe(hex('aa'))
    expect(d.get('data/b').lvb).toBe(hex('bb'))
  })

  it('then the queues are served: survivors\' PR on deadman/<dead> granted, waiters unblocked by dropped locks granted', () => {
    const {d, L} = deathScene()
    const dm = d.get('deadman/n2')
    const survivorsPr = [...dm.waitQueue]
    expect(survivorsPr.map((l) => l.node).sort()).toEqual(['n1', 'n3'])
    const s = d.die('n2')
    expect(dm.grantQueue.map((l) => [l.node, l.mode]).sort()).toEqual([
      ['n1', 'PR'],
      ['n3', 'PR'],
    ])
    expect(dm.waitQueue).toEqual([])
    // data/b: n2's PW dropped → n1's PR granted, reading the (invalid) value
    expect(d.status(L.bN1)).toBe('granted')
    expect(L.bN1.lvb).toBe(hex('bb'))
    // meta/a: the orphan EX still blocks n1
    expect(d.status(L.aN1)).toBe('waiting')
    const grantedIds = ids(s.granted)
    expect(grantedIds).toEqual(expect.arrayContaining([...ids(survivorsPr), L.bN1.id]))
    expect(grantedIds).not.toContain(L.aN1.id)
    // deadman/n1 and deadman/n3: the PR of the other survivor still waits (their owners live)
    for (const owner of ['n1', 'n3']) {
      const r = d.get(deadmanResource(owner))
      expect(r.grantQueue.map((l) => [l.node, l.mode])).toEqual([[owner, 'EX']])
      expect(r.waitQueue.map((l) => l.node)).toEqual([owner === 'n1' ? 'n3' : 'n1'])
    }
  })

  it('a second death: epoch 2, both dead, the second node\'s deadman grant dropped, orphans kept', () => {
    const {m, d, L} = deathScene()
    d.die('n2')
    const dm2 = d.get('deadman/n2')
    const n3OnDm2 = dm2.grantQueue.find((l) => l.node === 'n3')!
    const n1OnDm3 = d.get('deadman/n3').waitQueue.find((l) => l.node === 'n1')!
    const s = d.die('n3')
    expect(s.epoch).toBe(2)
    expect(d.meta.epoch).toBe(2)
    expect(d.meta.state).toBe('recovering')
    expect(d.meta.deadNodes).toEqual(['n2', 'n3'])
    expect(m.generation).toBe(3)
    // n3's persistent locks are orphans, n3's non-persistent ones dropped
    expect(s.orphaned).toEqual([L.cN3.id, L.iN3.id].sort((a, b) => a - b))
    expect(s.dropped).toContain(n3OnDm2.id)
    expect(s.dropped).toContain(L.gN3.id)
    expect(s.invalidatedResources).toEqual(['deadman/n3', 'meta/i'])
    // n1 learns of n3's death through its PR on deadman/n3
    expect(d.status(n1OnDm3)).toBe('granted')
    expect(ids(s.granted)).toContain(n1OnDm3.id)
    // n2's orphans are untouched by n3's death
    for (const l of [L.aEx, L.cPr, L.fN2]) expect(d.status(l)).toBe('granted')
    expect(d.get('deadman/n2').grantQueue.map((l) => l.node)).toEqual(['n1'])
  })

  it('a node dead twice cannot be marked dead again (NODE_NOT_UP)', () => {
    const {m, d} = deathScene()
    d.die('n2')
    const e = thrownDlmError(() => markDead(m, 'n2'))
    expect(e.code).toBe('NODE_NOT_UP')
    expect(m.generation).toBe(2)
  })

  it('a death touches only the domains the node belonged to', () => {
    const m = newMembership(['n1', 'n2', 'n3'], T0)
    const fs1 = new Dom(m, 'fs1', ['n1', 'n2', 'n3'])
    const fs2 = new Dom(m, 'fs2', ['n1', 'n3'])
    const before2 = fs2.snapshot()
    markDead(m, 'n2')
    for (const dom of [fs1, fs2]) if (dom.meta.members.includes('n2')) applyDeath(dom.meta, 'n2', dom.resources.values())
    expect(fs1.meta.state).toBe('recovering')
    expect(fs2.meta).toEqual(before2.meta)
    expect([...fs2.resources.entries()]).toEqual(before2.resources)
    // fs2 keeps working
    const l = fs2.request('n1', 'meta/z', 'EX', {persistent: true})
    expect(fs2.view(l)).toMatchObject({status: 'granted', valid: true, invalidReasons: []})
  })
})

// ---------------------------------------------------------------------------

describe('validity reasons', () => {
  it('survivor persistent lock: DOMAIN_RECOVERING only; non-persistent survivor lock: valid', () => {
    const {d} = cluster()
    const p = d.request('n1', 'meta/x', 'PR', {persistent: true})
    const np = d.request('n3', 'data/y', 'EX')
    expect(d.reasons(p)).toEqual([])
    d.die('n2')
    expect(d.reasons(p)).toEqual(['DOMAIN_RECOVERING'])
    expect(d.view(p)).toMatchObject({valid: false, invalidReasons: ['DOMAIN_RECOVERING']})
    expect(d.reasons(np)).toEqual([])
    expect(d.view(np)).toMatchObject({valid: true, invalidReasons: []})
  })

  it('orphans: ORPHANED (+ DOMAIN_RECOVERING, + VALNOTVALID if it held PW/EX), exactly in SPEC order', () => {
    const {d, L} = deathScene()
    d.die('n2')
    expect(d.reasons(L.aEx)).toEqual(['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'])
    expect(d.reasons(L.cPr)).toEqual(['DOMAIN_RECOVERING', 'ORPHANED'])
    expect(d.reasons(L.fN2)).toEqual(['DOMAIN_RECOVERING', 'ORPHANED'])
  })

  it('VALNOTVALID on every lock of an invalidated resource, persistent or not, granted or waiting', () => {
    const {d, L} = deathScene()
    d.die('n2')
    expect(d.reasons(L.bN1)).toEqual(['VALNOTVALID']) // non-persistent survivor, data/b
    expect(d.reasons(L.aN1)).toEqual(['DOMAIN_RECOVERING', 'VALNOTVALID']) // waiting persistent on meta/a
    expect(d.reasons(L.cN3)).toEqual(['DOMAIN_RECOVERING'])
    expect(d.reasons(L.hN1)).toEqual([]) // unrelated non-persistent lock stays valid
  })

  it('a new persistent request in a recovering domain is queued or granted as usual but answers invalid', () => {
    const {d} = deathScene()
    d.die('n2')
    const g = d.request('n1', 'meta/new', 'EX', {persistent: true})
    expect(d.view(g)).toMatchObject({status: 'granted', valid: false, invalidReasons: ['DOMAIN_RECOVERING']})
    const w = d.request('n3', 'meta/new', 'PR', {persistent: true})
    expect(d.view(w)).toMatchObject({status: 'waiting', valid: false, invalidReasons: ['DOMAIN_RECOVERING']})
    const np = d.request('n3', 'data/new', 'EX')
    expect(d.view(np)).toMatchObject({status: 'granted', valid: true})
  })

  it('an orphan blocks an incompatible request (waits, or NOTQUEUED) and lets a compatible one through', () => {
    const {d, L} = deathScene()
    d.die('n2')
    // meta/c: orphan PR (and n3 PR): PR granted, EX waits
    const pr = d.request('n1', 'meta/c', 'PR', {persistent: true})
    expect(d.status(pr)).toBe('granted')
    const before = structuredClone(d.get('meta/c'))
    const e = thrownDlmError(() => d.request('n1', 'meta/c', 'EX', {persistent: true, noqueue: true}))
    expect(e.code).toBe('NOTQUEUED')
    expect(d.get('meta/c')).toEqual(before)
    const ex = d.request('n1', 'meta/c', 'EX', {persistent: true})
    expect(d.status(ex)).toBe('waiting')
    // meta/a: orphan EX blocks everything but NL (and queue order)
    expect(d.status(L.aN1)).toBe('waiting')
    expect(d.status(d.request('n3', 'meta/a', 'CR'))).toBe('waiting')
  })

  it('lockView: the JSON shape of SPEC §2', () => {
    const {d, L} = deathScene()
    d.die('n2')
    expect(d.view(L.aEx)).toEqual({
      lockId: L.aEx.id,
      domain: 'fs1',
      resource: 'meta/a',
      node: 'n2',
      mode: 'EX',
      status: 'granted',
      persistent: true,
      valid: false,
      invalidReasons: ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'],
      lvb: hex('aa'),
    })
    const w = d.view(L.aN1)
    expect(w).toMatchObject({status: 'waiting', mode: 'PR', requestedMode: 'PR', lvb: hex('aa')})
    const pr = d.request('n1', 'data/conv', 'PR')
    d.request('n3', 'data/conv', 'PR')
    convertLock(d.get('data/conv'), pr.id, {mode: 'EX'})
    expect(d.view(pr)).toMatchObject({status: 'converting', mode: 'PR', requestedMode: 'EX', valid: true})
    expect('requestedMode' in d.view(L.hN1)).toBe(false)
  })

  it('unknown holder state counts as ORPHANED', () => {
    const {d} = cluster()
    const l = d.request('ghost', 'data/q', 'NL')
    expect(invalidReasons(l, d.get('data/q'), d.meta, undefined)).toEqual(['ORPHANED'])
  })
})

// ---------------------------------------------------------------------------

describe('attach and validate', () => {
  it('attach records the epoch and hands out increasing ids', () => {
    const {d} = cluster()
    d.die('n2')
    const a1 = attach(d.meta, 'n1')
    const a2 = attach(d.meta, 'n3')
    expect(a1).toEqual({id: 1, node: 'n1', epoch: 1})
    expect(a2).toEqual({id: 2, node: 'n3', epoch: 1})
    expect(d.meta.attachments).toEqual([a1, a2])
    expect(findAttachment(d.meta, 2)).toEqual(a2)
    expect(epochMoved(d.meta, 1)).toBe(false)
    expect(detach(d.meta, 1)).toEqual(a1)
    expect(d.meta.attachments).toEqual([a2])
    // A detached id is retired, never reused: refused by the lock rules (exit 5), not unknown.
    expect(thrownDlmError(() => detach(d.meta, 1)).code).toBe('RECOVERY_ID_RETIRED')
    expect(thrownDlmError(() => detach(d.meta, 1)).exitCode).toBe(5)
    expect(thrownDlmError(() => detach(d.meta, 3)).code).toBe('UNKNOWN_RECOVERY_ID')
  })

  it('unknown recovery id → UNKNOWN_RECOVERY_ID (usage, exit 2), nothing changed', () => {
    const {d} = deathScene()
    d.die('n2')
    attach(d.meta, 'n1')
    const before = d.snapshot()
    const e = thrownDlmError(() => d.validate(7))
    expect(e.code).toBe('UNKNOWN_RECOVERY_ID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain('7')
    expect(e.message).toContain('1') // lists the known ids
    expect(d.snapshot()).toEqual(before)
    expect(thrownDlmError(() => epochMoved(d.meta, 99)).code).toBe('UNKNOWN_RECOVERY_ID')
  })

  it('MORE_RECOVERY when the epoch moved since attach, and nothing changes (deep-equal)', () => {
    const {d} = deathScene()
    d.die('n2')
    const a = attach(d.meta, 'n1')
    d.die('n3')
    expect(epochMoved(d.meta, a.id)).toBe(true)
    const before = d.snapshot()
    const v = d.validate(a.id)
    expect(v.result).toBe('MORE_RECOVERY')
    expect(v.releasedOrphans).toEqual([])
    expect(v.cleanedDeadman).toEqual([])
    expect(v.granted).toEqual([])
    expect(d.snapshot()).toEqual(before)
    // MORE_RECOVERY wins over REPLAY_INCOMPLETE: nothing to refuse when recovery must restart
    expect(d.validate(a.id, {unreplayed: ['n2']}).result).toBe('MORE_RECOVERY')
    expect(d.snapshot()).toEqual(before)
  })

  it('REPLAY_INCOMPLETE with unreplayed nodes unless forced; nothing changed when refused', () => {
    const {d} = deathScene()
    d.die('n2')
    const a = attach(d.meta, 'n1')
    const before = d.snapshot()
    const e = thrownDlmError(() => d.validate(a.id, {unreplayed: ['n2']}))
    expect(e.code).toBe('REPLAY_INCOMPLETE')
    expect(e.exitCode).toBe(5)
    expect(e.message).toContain('n2')
    expect(e.detail).toEqual({nodes: ['n2']})
    expect(d.snapshot()).toEqual(before)
    const v = d.validate(a.id, {unreplayed: ['n2'], force: true})
    expect(v.result).toBe('VALID')
    expect(v.forced).toBe(true)
    expect(d.meta.state).toBe('normal')
  })

  it('VALID: orphans released, blocked waiters granted, deadman cleaned, persistent value blocks re-validated, domain normal', () => {
    const {m, d, L} = deathScene()
    d.die('n2')
    const dm2 = d.get('deadman/n2')
    const deadmanPrs = ids(dm2.grantQueue)
    expect(deadmanPrs).toHaveLength(2)
    const a = attach(d.meta, 'n1')
    const v = d.validate(a.id)
    expect(v).toMatchObject({domain: 'fs1', id: a.id, result: 'VALID', forced: false, replayedNodes: ['n2']})
    expect(v.releasedOrphans).toEqual([L.aEx.id, L.cPr.id, L.fN2.id].sort((x, y) => x - y))
    for (const l of [L.aEx, L.cPr, L.fN2]) expect(d.has(l)).toBe(false)
    expect(d.locks().filter((l) => l.node === 'n2')).toEqual([])
    // waiters blocked by the orphans are granted (queues served)
    expect(d.status(L.aN1)).toBe('granted')
    expect(ids(v.granted)).toContain(L.aN1.id)
    // deadman resources of the dead node cleaned up
    expect(v.cleanedDeadman.sort((x, y) => x - y)).toEqual([...deadmanPrs].sort((x, y) => x - y))
    expect(allLocks(dm2)).toEqual([])
    // cleaned up entirely: nothing left worth keeping (the death had invalidated its value block)
    expect(isIdle(dm2, LVB)).toBe(true)
    // persistent value blocks valid again, non-persistent ones are not
    expect(v.revalidatedResources).toEqual(['meta/a'])
    expect(d.get('meta/a').lvbValid).toBe(true)
    // zeroed: the dead writer's value may be half written; a zero value block tells readers to re-read
    expect(d.get('meta/a').lvb).toBe('00'.repeat(LVB))
    expect(L.aN1.lvb).toBe('00'.repeat(LVB)) // granted after the zeroing: it reads zero
    expect(d.get('data/b').lvbValid).toBe(false)
    expect(d.get('data/b').lvb).toBe(hex('bb')) // not persistent: validate leaves it alone
    // the domain
    expect(d.meta.state).toBe('normal')
    expect(d.meta.deadNodes).toEqual([])
    expect(d.meta.epoch).toBe(1)
    // validity: every lock valid except those on the non-persistent invalid resource
    for (const l of d.locks()) {
      const r = d.resOf(l)
      expect(d.reasons(l), `lock ${l.id} on ${r.name}`).toEqual(r.name === 'data/b' ? ['VALNOTVALID'] : [])
    }
    // a PW/EX holder writing the value makes data/b valid again
    releaseLock(d.get('data/b'), L.bN1.id)
    const w = d.request('n1', 'data/b', 'PW')
    releaseLock(d.get('data/b'), w.id, hex('cc'))
    expect(d.get('data/b').lvbValid).toBe(true)
    // membership
    expect(settleRecovered(m, [d.meta])).toEqual(['n2'])
    expect(findNode(m, 'n2').state).toBe('recovered')
  })

  it('a persistent resource with no lock left is still re-validated', () => {
    const {d} = cluster()
    const l = d.request('n2', 'meta/lonely', 'PW', {persistent: true})
    d.die('n2')
    expect(d.get('meta/lonely').lvbValid).toBe(false)
    const v = d.validate(attach(d.meta, 'n1').id)
    expect(v.releasedOrphans).toEqual([l.id])
    expect(allLocks(d.get('meta/lonely'))).toEqual([])
    expect(d.get('meta/lonely').lvbValid).toBe(true)
    expect(v.revalidatedResources).toEqual(['meta/lonely'])
  })

  it('validate retires every recovery id it served: rerunning it with the same id is refused, nothing changed', () => {
    const {d} = deathScene()
    d.die('n2')
    const a = attach(d.meta, 'n1')
    const b = attach(d.meta, 'n3')
    expect(d.validate(a.id).retiredIds).toEqual([a.id, b.id])
    expect(d.meta.attachments).toEqual([])
    const before = d.snapshot()
    for (const id of [a.id, b.id]) {
      const e = thrownDlmError(() => d.validate(id))
      expect(e.code).toBe('RECOVERY_ID_RETIRED')
      expect(e.exitCode).toBe(5)
    }
    expect(d.snapshot()).toEqual(before)
  })

  it('a recovered node rejoins: incarnation + 1, fresh deadman locks', () => {
    const {m, d} = cluster()
    d.die('n2')
    d.validate(attach(d.meta, 'n1').id)
    settleRecovered(m, [d.meta])
    const gen = m.generation
    expect(rejoin(m, 'n2', '2025-01-01T00:01:00.000Z')).toBe(true)
    expect(findNode(m, 'n2')).toMatchObject({state: 'up', incarnation: 2, heartbeat: '2025-01-01T00:01:00.000Z'})
    expect(m.generation).toBe(gen + 1)
    const up = [...upNodes(m)].filter((n) => n !== 'n2' && d.meta.members.includes(n))
    const taken = joinDomain(d.meta, 'n2', up, d.get).map(lockOfTaken)
    expect(taken).toHaveLength(1 + 2 * 2)
    const dm2 = d.get('deadman/n2')
    expect(dm2.grantQueue.map((l) => [l.node, l.mode])).toEqual([['n2', 'EX']])
    expect(dm2.waitQueue.map((l) => l.node).sort()).toEqual(['n1', 'n3'])
    // n2 waits behind the survivors' own EX on their deadman resources
    for (const o of ['n1', 'n3']) expect(d.get(deadmanResource(o)).waitQueue.map((l) => l.node)).toContain('n2')
    // the new incarnation's deadman locks are valid: the old death left nothing behind
    for (const l of taken) expect(d.view(l), `lock ${l.id} on ${d.resOf(l).name}`).toMatchObject({valid: true, invalidReasons: []})
  })
})

// ---------------------------------------------------------------------------

describe('membership', () => {
  it('newMembership: generation 1, sorted unique up nodes at incarnation 1', () => {
    const m = newMembership(['n3', 'n1', 'n2', 'n1'], T0)
    expect(m).toEqual({
      generation: 1,
      nodes: ['n1', 'n2', 'n3'].map((name) => ({name, state: 'up', incarnation: 1, heartbeat: T0})),
    })
    expect([...upNodes(m)].sort()).toEqual(['n1', 'n2', 'n3'])
  })

  it('addNode: sorted, generation + 1; ALREADY_EXISTS; BAD_NAME', () => {
    const m = newMembership(['n1', 'n3'], T0)
    addNode(m, 'n2', T0)
    expect(m.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3'])
    expect(m.generation).toBe(2)
    expect(thrownDlmError(() => addNode(m, 'n2', T0)).code).toBe('ALREADY_EXISTS')
    expect(thrownDlmError(() => addNode(m, 'N4', T0)).code).toBe('BAD_NAME')
    expect(m.generation).toBe(2)
    expect(m.nodes).toHaveLength(3)
  })

  it('markDead: up → dead, generation + 1; a dead or recovered node cannot be marked dead', () => {
    const m = newMembership(['n1', 'n2'], T0)
    const n = markDead(m, 'n2')
    expect(n.state).toBe('dead')
    expect(m.generation).toBe(2)
    expect(thrownDlmError(() => markDead(m, 'n2')).code).toBe('NODE_NOT_UP')
    settleRecovered(m, [])
    expect(thrownDlmError(() => markDead(m, 'n2')).code).toBe('NODE_NOT_UP')
    expect(m.generation).toBe(2)
    expect(thrownDlmError(() => markDead(m, 'n9')).code).toBe('UNKNOWN_NODE')
  })

  it('rejoin: a dead node cannot rejoin (NODE_DEAD, nothing changed); recovered → up with incarnation + 1', () => {
    const m = newMembership(['n1', 'n2'], T0)
    markDead(m, 'n2')
    const before = structuredClone(m)
    const e = thrownDlmError(() => rejoin(m, 'n2', '2025-02-01T00:00:00.000Z'))
    expect(e.code).toBe('NODE_DEAD')
    expect(e.exitCode).toBe(5)
    expect(m).toEqual(before)
    // recovered once no domain still has it to recover
    const d = newDomain('fs1', ['n1', 'n2'])
    d.deadNodes = ['n2']
    expect(settleRecovered(m, [d])).toEqual([])
    expect(findNode(m, 'n2').state).toBe('dead')
    d.deadNodes = []
    expect(settleRecovered(m, [d])).toEqual(['n2'])
    expect(findNode(m, 'n2').state).toBe('recovered')
    expect(m.generation).toBe(2) // becoming recovered is not a membership change
    expect(rejoin(m, 'n2', '2025-02-01T00:00:00.000Z')).toBe(true)
    expect(findNode(m, 'n2')).toEqual({name: 'n2', state: 'up', incarnation: 2, heartbeat: '2025-02-01T00:00:00.000Z'})
    expect(m.generation).toBe(3)
    // dies and comes back again: incarnation 3, generation +1 per death and per join
    markDead(m, 'n2')
    settleRecovered(m, [])
    rejoin(m, 'n2', T0)
    expect(findNode(m, 'n2').incarnation).toBe(3)
    expect(m.generation).toBe(5)
  })

  it('rejoin of an up node changes no incarnation', () => {
    const m = newMembership(['n1'], T0)
    expect(rejoin(m, 'n1', '2025-03-01T00:00:00.000Z')).toBe(false)
    expect(findNode(m, 'n1')).toMatchObject({state: 'up', incarnation: 1, heartbeat: '2025-03-01T00:00:00.000Z'})
    expect(thrownDlmError(() => rejoin(m, 'zz', T0)).code).toBe('UNKNOWN_NODE')
  })

  it('settleRecovered: only dead nodes that no domain still lists; up and recovered untouched', () => {
    const m = newMembership(['a', 'b', 'c', 'd'], T0)
    markDead(m, 'b')
    markDead(m, 'c')
    markDead(m, 'd')
    const fs1 = newDomain('fs1', ['a', 'b', 'c'])
    const fs2 = newDomain('fs2', ['a', 'c'])
    fs1.deadNodes = ['b', 'c']
    fs2.deadNodes = ['c']
    expect(settleRecovered(m, [fs1, fs2])).toEqual(['d']) // d belongs to no domain
    fs1.deadNodes = []
    expect(settleRecovered(m, [fs1, fs2])).toEqual(['b']) // c still pending in fs2
    expect(findNode(m, 'c').state).toBe('dead')
    fs2.deadNodes = []
    expect(settleRecovered(m, [fs1, fs2])).toEqual(['c'])
    expect(settleRecovered(m, [fs1, fs2])).toEqual([])
    expect(m.nodes.map((n) => n.state)).toEqual(['up', 'recovered', 'recovered', 'recovered'])
  })

  it('staleNodes: up nodes whose heartbeat is older than the timeout', () => {
    const m = newMembership(['n1', 'n2', 'n3', 'n4'], T0)
    heartbeat(m, 'n2', '2025-01-01T00:00:05.000Z')
    heartbeat(m, 'n3', '2025-01-01T00:00:10.000Z')
    markDead(m, 'n4')
    const now = '2025-01-01T00:00:15.000Z'
    expect(staleNodes(m, now, 10_000).map((n) => n.name)).toEqual(['n1'])
    expect(staleNodes(m, now, 9_999).map((n) => n.name)).toEqual(['n1', 'n2'])
    expect(staleNodes(m, now, 60_000)).toEqual([])
    expect(thrownDlmError(() => heartbeat(m, 'n4', now)).code).toBe('NODE_NOT_UP')
  })

  it('checkName: the SPEC pattern ^[a-z][a-z0-9-]{0,31}$, BAD_NAME otherwise', () => {
    for (const good of ['a', 'n1', 'node-1', 'fs1', 'a-', 'a'.repeat(32), 'z9-9z']) {
      expect(checkName('node', good)).toBe(good)
    }
    for (const bad of ['', '1n', 'N1', 'nA', 'n_1', 'n.1', '-n', 'a'.repeat(33), '../etc', 'n/1', 'n 1', 'ñ', 'n1\n', ' n1']) {
      const e = thrownDlmError(() => checkName('node', bad))
      expect(e.code, JSON.stringify(bad)).toBe('BAD_NAME')
      expect(e.exitCode).toBe(2)
    }
    expect(thrownDlmError(() => checkName('file system', 'FS')).message).toContain('file system')
  })

  it('findNode: UNKNOWN_NODE naming the known nodes; a bad name is BAD_NAME', () => {
    const m = newMembership(['n1', 'n2', 'n3'], T0)
    expect(findNode(m, 'n2').name).toBe('n2')
    const e = thrownDlmError(() => findNode(m, 'n9'))
    expect(e.code).toBe('UNKNOWN_NODE')
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain('n9')
    expect(e.message).toContain('n1, n2, n3')
    expect(thrownDlmError(() => findNode(m, 'Bad!')).code).toBe('BAD_NAME')
    expect(thrownDlmError(() => findNode(newMembership([], T0), 'n1')).message).toContain('none')
  })

  it('requireUp: NODE_NOT_UP for dead and recovered nodes', () => {
    const m = newMembership(['n1', 'n2'], T0)
    expect(requireUp(m, 'n1').name).toBe('n1')
    markDead(m, 'n2')
    expect(thrownDlmError(() => requireUp(m, 'n2')).code).toBe('NODE_NOT_UP')
    settleRecovered(m, [])
    expect(thrownDlmError(() => requireUp(m, 'n2')).code).toBe('NODE_NOT_UP')
    expect([...upNodes(m)]).toEqual(['n1'])
  })
})

// ---------------------------------------------------------------------------

describe("the seed's story, at model level", () => {
  it('n2 dies holding meta/a, n3 dies between attach and validate, recovery restarts and completes', () => {
    const {m, d} = cluster()
    const dm = (n: string) => d.get(deadmanResource(n))

    // n2 holds persistent EX on meta/a; n1 and n3 hold persistent locks of their own
    const a = d.request('n2', 'meta/a', 'EX', {persistent: true, lvb: hex('a1')})
    const n1Own = d.request('n1', 'meta/b', 'PR', {persistent: true})
    const n3Own = d.request('n3', 'meta/c', 'PW', {persistent: true})
    const n1Plain = d.request('n1', 'data/x', 'CR')
    for (const l of [a, n1Own, n3Own, n1Plain]) expect(d.view(l)).toMatchObject({status: 'granted', valid: true})
    const n1OnDm2 = dm('n2').waitQueue.find((l) => l.node === 'n1')!
    const n3OnDm2 = dm('n2').waitQueue.find((l) => l.node === 'n3')!

    // n2 dies
    const death1 = d.die('n2')
    expect(m.generation).toBe(2)
    expect(d.meta).toMatchObject({state: 'recovering', epoch: 1, deadNodes: ['n2']})
    expect(death1.orphaned).toEqual([a.id])
    // the orphan stays granted and blocks n1's PR request
    expect(d.status(a)).toBe('granted')
    expect(d.reasons(a)).toEqual(['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'])
    const n1Wants = d.request('n1', 'meta/a', 'PR', {persistent: true})
    expect(d.status(n1Wants)).toBe('waiting')
    expect(d.reasons(n1Wants)).toEqual(['DOMAIN_RECOVERING', 'VALNOTVALID'])
    // survivors' persistent locks are invalid while recovering; the plain lock is not
    expect(d.reasons(n1Own)).toEqual(['DOMAIN_RECOVERING'])
    expect(d.reasons(n3Own)).toEqual(['DOMAIN_RECOVERING'])
    expect(d.reasons(n1Plain)).toEqual([])
    // survivors learned of the death: their PRs on deadman/n2 are granted
    expect(d.status(n1OnDm2)).toBe('granted')
    expect(d.status(n3OnDm2)).toBe('granted')
    expect(ids(death1.granted)).toEqual(expect.arrayContaining([n1OnDm2.id, n3OnDm2.id]))

    // n1 attaches
    const id1 = attach(d.meta, 'n1')
    expect(id1.epoch).toBe(1)

    // n3 dies before validate
    const n1OnDm3 = dm('n3').waitQueue.find((l) => l.node === 'n1')!
    const death2 = d.die('n3')
    expect(m.generation).toBe(3)
    expect(d.meta).toMatchObject({state: 'recovering', epoch: 2, deadNodes: ['n2', 'n3']})
    expect(death2.orphaned).toEqual([n3Own.id])
    expect(death2.invalidatedResources).toEqual(['deadman/n3', 'meta/c'])
    expect(d.status(n1OnDm3)).toBe('granted')
    expect(d.has(n3OnDm2)).toBe(false) // n3's non-persistent deadman PR dropped
    expect(d.reasons(n3Own)).toEqual(['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'])

    // validate with the old id: MORE_RECOVERY, nothing changes
    const before = d.snapshot()
    expect(d.validate(id1.id).result).toBe('MORE_RECOVERY')
    expect(d.snapshot()).toEqual(before)
    expect(d.meta.state).toBe('recovering')
    expect(d.reasons(a)).toContain('ORPHANED')

    // recovery starts over: attach again, validate → VALID
    const id2 = attach(d.meta, 'n1')
    expect(id2).toMatchObject({id: 2, epoch: 2})
    const v = d.validate(id2.id)
    expect(v.result).toBe('VALID')
    expect(v.replayedNodes).toEqual(['n2', 'n3'])
    expect(v.releasedOrphans).toEqual([a.id, n3Own.id].sort((x, y) => x - y))
    expect(v.revalidatedResources).toEqual(['meta/a', 'meta/c'])
    expect(d.meta).toMatchObject({state: 'normal', epoch: 2, deadNodes: []})

    // orphans released, n1's waiter granted (reading the zeroed value, not n2's: re-read from disk), everything valid
    expect(d.has(a)).toBe(false)
    expect(d.has(n3Own)).toBe(false)
    expect(d.status(n1Wants)).toBe('granted')
    expect(n1Wants.lvb).toBe('00'.repeat(LVB))
    expect(ids(v.granted)).toContain(n1Wants.id)
    for (const l of d.locks()) expect(d.view(l), `lock ${l.id}`).toMatchObject({valid: true, invalidReasons: []})
    // deadman resources of the dead are empty; only n1's own deadman EX remains there
    expect(allLocks(dm('n2'))).toEqual([])
    expect(allLocks(dm('n3'))).toEqual([])
    expect(dm('n1').grantQueue.map((l) => [l.node, l.mode])).toEqual([['n1', 'EX']])
    expect(d.locks().every((l) => l.node === 'n1')).toBe(true)

    // n2 and n3 become recovered; the generation does not move for that
    expect(settleRecovered(m, [d.meta]).sort()).toEqual(['n2', 'n3'])
    expect(m.nodes.map((n) => [n.name, n.state])).toEqual([
      ['n1', 'up'],
      ['n2', 'recovered'],
      ['n3', 'recovered'],
    ])
    expect(m.generation).toBe(3)
    expect(findLock(d.get('meta/a'), n1Wants.id)?.status).toBe('granted')
  })
})
