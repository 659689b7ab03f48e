// Deadlock cycles across resources and nodes (src/model/cycles.ts): cycles of
// length 2 and 3, with and without an orphan in them, on one resource, and what
// is not a cycle (chains, deadman waits, a dead node's withdrawn waits).
import {describe, expect, it} from 'vitest'
import {findCycles} from '../../src/model/cycles.js'
import {applyDeath, DEADMAN_PREFIX, joinDomain, newDomain} from '../../src/model/domain.js'
import type {Mode} from '../../src/model/modes.js'
import {convertLock, newResource, requestLock} from '../../src/model/resource.js'
import type {Lock, Resource} from '../../src/model/types.js'

function domain(nodes = ['n1', 'n2', 'n3', 'n4']) {
  const resources = new Map<string, Resource>()
  const dead = new Set<string>()
  const meta = newDomain('fs1', nodes)
  const get = (name: string) => {
    if (!resources.has(name)) resources.set(name, newResource(name, 4))
    return resources.get(name)!
  }
  let id = 1
  const req = (node: string, res: string, mode: Mode, persistent = false): Lock => requestLock(get(res), {id: id++, node, mode, persistent})
  const cycles = () =>
    findCycles(resources.values(), {isUp: (n) => !dead.has(n), waitsByDesign: (r) => r.startsWith(DEADMAN_PREFIX)})
  const die = (node: string) => {
    dead.add(node)
    return applyDeath(meta, node, resources.values())
  }
  return {resources, get, req, cycles, die, meta}
}

describe('deadlock cycles across resources', () => {
  it('length 2: n1 holds x and waits for y, n2 holds y and waits for x', () => {
    const {req, cycles} = domain()
    const x1 = req('n1', 'x', 'PR')
    const y2 = req('n2', 'y', 'PR')
    const y1 = req('n1', 'y', 'EX')
    const x2 = req('n2', 'x', 'EX')
    const r = cycles()
    expect(r.truncated).toBe(false)
    expect(r.cycles).toHaveLength(1)
    const [c] = r.cycles
    // from the smallest lock, following the edges
    expect(c.locks).toEqual([x1.id, y1.id, y2.id, x2.id])
    expect(c.edges.map((e) => [e.from, e.kind, e.to])).toEqual([
      [x1.id, 'holds', y1.id],
      [y1.id, 'waits-on', y2.id],
      [y2.id, 'holds', x2.id],
      [x2.id, 'waits-on', x1.id],
    ])
    expect(c.release).toEqual([x1.id, y2.id])
    expect(c.cancel).toEqual([y1.id, x2.id])
    expect(c.orphans).toEqual([])
  })

  it('length 3: n1 → n2 → n3 → n1 over x, y, z; one cycle, found once', () => {
    const {req, cycles} = domain()
    const x1 = req('n1', 'x', 'EX')
    const y2 = req('n2', 'y', 'EX')
    const z3 = req('n3', 'z', 'EX')
    const y1 = req('n1', 'y', 'PR')
    const z2 = req('n2', 'z', 'PR')
    const x3 = req('n3', 'x', 'PR')
    const r = cycles()
    expect(r.cycles).toHaveLength(1)
    expect(r.cycles[0].locks).toEqual([x1.id, y1.id, y2.id, z2.id, z3.id, x3.id])
    expect(r.cycles[0].release).toEqual([x1.id, y2.id, z3.id])
    expect(r.cycles[0].cancel).toEqual([y1.id, z2.id, x3.id])
  })

  it('a chain that does not close is no cycle; releasing one lock of a cycle breaks it', () => {
    const {req, cycles, get} = domain()
    req('n1', 'x', 'EX')
    const y2 = req('n2', 'y', 'EX')
    req('n1', 'y', 'PR') // n1 waits on n2
    req('n3', 'x', 'PR') // n3 waits on n1, holds nothing n2 wants
    expect(cycles().cycles).toEqual([])
    const x2 = req('n2', 'x', 'PR') // now n2 waits on n1 too: a cycle n1 ↔ n2
    // (also through n3's request queued ahead of x2: the same deadlock with a detour, shown once)
    expect(cycles().cycles).toHaveLength(1)
    expect(cycles().cycles[0].locks).toHaveLength(4)
    // n2 cancels its wait: gone
    get('x').waitQueue.splice(get('x').waitQueue.indexOf(x2), 1)
    expect(cycles().cycles).toEqual([])
    expect(y2.mode).toBe('EX')
  })

  it('a converting lock is both held and waiting: conversions across two resources', () => {
    const {req, cycles, get} = domain()
    const x1 = req('n1', 'x', 'PR')
    req('n2', 'x', 'PR')
    const y2 = req('n2', 'y', 'PR')
    req('n1', 'y', 'PR')
    convertLock(get('x'), x1.id, {mode: 'EX'}) // waits on n2's PR on x
    convertLock(get('y'), y2.id, {mode: 'EX'}) // waits on n1's PR on y
    const r = cycles()
    expect(r.cycles.length).toBeGreaterThan(0)
    for (const c of r.cycles) expect(new Set(c.locks.map((id) => id))).toContain(x1.id)
    // cancelling either conversion breaks a cycle that leaves it by its wait
    expect(r.cycles.some((c) => c.cancel.includes(x1.id) || c.cancel.includes(y2.id))).toBe(true)
  })

  it('on one resource too: a node waiting on a lock it holds itself (PR held, EX asked as a new request)', () => {
    const {req, cycles} = domain()
    const a = req('n1', 'x', 'PR')
    const b = req('n2', 'x', 'PR')
    const wa = req('n1', 'x', 'EX')
    const wb = req('n2', 'x', 'EX')
    // n1 ↔ n2 through both is the same deadlock as each node waiting on itself: shown as those
    expect(cycles().cycles.map((c) => c.locks)).toEqual([
      [a.id, wa.id],
      [b.id, wb.id],
    ])
  })

  it('deadman waits are by design and make no cycle (each member waits PR on the others\' EX)', () => {
    const {get, meta, cycles, resources} = domain(['n1', 'n2', 'n3'])
    const joined: string[] = []
    for (const n of ['n1', 'n2', 'n3']) {
      joinDomain(meta, n, joined, get)
      joined.push(n)
    }
    expect([...resources.values()].some((r) => r.waitQueue.length > 0)).toBe(true)
    expect(cycles().cycles).toEqual([])
    // the same graph without the exclusion would have them
    expect(findCycles(resources.values(), {isUp: () => true}).cycles.length).toBeGreaterThan(0)
  })

  it('stops at the limit and says so', () => {
    const d = domain()
    for (const n of ['n1', 'n2', 'n3', 'n4']) d.req(n, `own/${n}`, 'EX')
    // every node waits on every other node's resource: many cycles
    for (const n of ['n1', 'n2', 'n3', 'n4']) for (const m of ['n1', 'n2', 'n3', 'n4']) if (n !== m) d.req(n, `own/${m}`, 'PR')
    const all = findCycles(d.resources.values(), {isUp: () => true})
    expect(all.cycles.length).toBeGreaterThan(3)
    const few = findCycles(d.resources.values(), {isUp: () => true, limit: 3})
    expect(few.cycles.length).toBeLessThanOrEqual(3)
    expect(few.cycles.length).toBeGreaterThan(0)
    expect(few.truncated).toBe(true)
  })
})

describe('orphans and cycles', () => {
  it('length 2 with an orphan in it: the orphan also blocks a wait of the cycle; only validate releases it', () => {
    const {req, cycles, die} = domain()
    const orphan = req('n3', 'y', 'PR', true)
    req('n1', 'x', 'PR')
    req('n2', 'y', 'PR')
    req('n1', 'y', 'EX') // blocked by n2's PR and n3's PR
    req('n2', 'x', 'EX')
    die('n3')
    const r = cycles()
    expect(r.cycles).toHaveLength(1)
    expect(r.cycles[0].orphans).toEqual([orphan.id])
    // the orphan is no lock a live node can release
    expect(r.cycles[0].release).not.toContain(orphan.id)
  })

  it('length 3 with an orphan in it', () => {
    const {req, cycles, die} = domain()
    const orphan = req('n4', 'z', 'PR', true)
    req('n1', 'x', 'PR')
    req('n2', 'y', 'PR')
    req('n3', 'z', 'PR')
    req('n1', 'y', 'EX')
    req('n2', 'z', 'EX')
    req('n3', 'x', 'EX')
    die('n4')
    const r = cycles()
    expect(r.cycles).toHaveLength(1)
    expect(r.cycles[0].locks).toHaveLength(6)
    expect(r.cycles[0].orphans).toEqual([orphan.id])
  })

  it('a member of a cycle dies: its waits are withdrawn, the cycle is gone, the survivor waits on its orphan', () => {
    const {req, cycles, die, get} = domain()
    req('n1', 'x', 'PR', true)
    const y2 = req('n2', 'y', 'PR', true)
    const y1 = req('n1', 'y', 'EX', true)
    req('n2', 'x', 'EX', true)
    expect(cycles().cycles).toHaveLength(1)
    const s = die('n2')
    expect(s.orphaned).toContain(y2.id)
    expect(cycles().cycles).toEqual([])
    expect(get('y').waitQueue).toEqual([y1])
  })
})
