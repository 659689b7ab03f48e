// A writer that touches a few resources of a bucket parses only those; the file
// it writes must be exactly what reading the whole bucket and writing it gives.
import * as fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {LazyBucket} from '../../src/core/lazy-bucket.js'
import {bucketText} from '../../src/core/ordered.js'
import {applyChange} from '../../src/model/changes.js'
import {isIdle, newResource, releaseLock, requestLock} from '../../src/model/resource.js'
import type {LogicalChange, Resource} from '../../src/model/types.js'
import {bucketOf} from '../../src/store/layout.js'

const B = 7
const names = Array.from({length: 4000}, (_, i) => `r/${i}"\\x`).filter((n) => bucketOf(n) === B)
let nextId = 1

function resources(): Resource[] {
  nextId = 1
  return names
    .filter((_, i) => i % 2 === 0)
    .sort()
    .map((n, i) => {
      const r = newResource(n, 4)
      requestLock(r, {id: nextId++, node: i % 3 ? 'n1' : 'n2', mode: i % 4 ? 'PR' : 'EX', persistent: i % 5 === 0})
      return r
    })
}

const bytes = (text: string) => Buffer.from(text, 'utf8')
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

describe('LazyBucket', () => {
  it('has names that land in one bucket, with quotes and backslashes in them', () => {
    expect(names.length).toBeGreaterThan(8)
  })

  it.each([
    undefined,
    {seq: 3, kind: 'death', node: 'n2', done: false} as LogicalChange,
    {seq: 3, kind: 'death', node: 'n2', done: true} as LogicalChange,
  ])('changing, adding and emptying resources writes what the whole bucket gives (change %j)', (change) => {
    const rs = resources()
    const lz = LazyBucket.of('res/07.json', B, bytes(bucketText(2, rs)), change, 4)!
    expect(lz).not.toBeNull()
    // The same operations on the whole bucket, read and brought up to date.
    const behind = change && !change.done
    const whole = new Map(copy(rs).map((r) => [r.name, r]))
    if (behind) for (const r of [...whole.values()]) {
      applyChange(r, change)
      if (isIdle(r, 4)) whole.delete(r.name)
    }
    const ops = (get: (n: string) => Resource | undefined, put: (r: Resource) => void) => {
      const a = get(rs[1].name)!
      requestLock(a, {id: 900, node: 'n3', mode: 'NL', persistent: false})
      const gone = get(rs[2].name)
      if (gone) for (const l of [...gone.grantQueue]) releaseLock(gone, l.id)
      const fresh = newResource(names[1], 4)
      requestLock(fresh, {id: 901, node: 'n3', mode: 'EX', persistent: true})
      put(fresh)
      expect(get(names[3])).toBeUndefined()
    }
    ops((n) => lz.get(n), (r) => lz.put(r))
    ops((n) => whole.get(n), (r) => whole.set(r.name, r))
    const expected = [...whole.values()].filter((r) => !isIdle(r, 4)).sort((x, y) => (x.name < y.name ? -1 : 1))
    expect(lz.image().toString('utf8')).toBe(bucketText(behind ? 3 : 2, expected))
    expect([...lz.all().values()].filter((r) => !isIdle(r, 4)).sort((x, y) => (x.name < y.name ? -1 : 1))).toEqual(expected)
  })

  it('refuses files not in the line layout: one line, truncated', () => {
    const rs = resources()
    expect(LazyBucket.of('f', B, bytes(JSON.stringify({resources: rs}) + '\n'), undefined, 4)).toBeNull()
    const t = bucketText(0, rs)
    expect(LazyBucket.of('f', B, bytes(t.slice(0, t.length - 10)), undefined, 4)).toBeNull()
  })

  it('a damaged resource line is STATE_CORRUPT naming the file when it is read', () => {
    const rs = resources()
    const t = bucketText(0, rs).replace('"lvbValid":true', '"lvbValid":"yes"')
    const lz = LazyBucket.of('domains/fs1/res/07.json', B, bytes(t), undefined, 4)!
    expect(() => lz.get(rs[0].name)).toThrow(/domains\/fs1\/res\/07\.json/)
  })

  // Untouched lines are copied as runs of bytes and changed ones spliced between
  // them: any mix of kept, changed, emptied and new resources, names with
  // quotes and backslashes (JSON text ≠ name) and other punctuation, and buckets
  // behind a death or not, gives the bytes the whole bucket gives.
  const pool = ['a', '~', '{', '"', '\\', '}', 'z'].flatMap((c) => Array.from({length: 2500}, (_, i) => `p${c}/${i}`)).filter((n) => bucketOf(n) === B)
  const op = fc.record({name: fc.nat(pool.length - 1), kind: fc.constantFrom('request', 'release', 'read'), node: fc.constantFrom('n1', 'n2', 'n3')})
  it('splices any changes between untouched runs of bytes as the whole bucket writes them', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(pool.length - 1), {maxLength: 30}), fc.array(op, {maxLength: 12}), fc.constantFrom(undefined, {seq: 9, kind: 'death', node: 'n2', done: false} as LogicalChange), (initial, ops, change) => {
        let id = 1
        const rs = initial.map((i) => pool[i]).sort().map((n, k) => {
          const r = newResource(n, 4)
          requestLock(r, {id: id++, node: ['n1', 'n2', 'n3'][k % 3], mode: k % 2 ? 'PR' : 'EX', persistent: k % 4 === 0})
          return r
        })
        const lz = LazyBucket.of('f', B, bytes(bucketText(4, rs)), change, 4)!
        expect(lz).not.toBeNull()
        const whole = new Map(copy(rs).map((r) => [r.name, r]))
        if (change) for (const r of [...whole.values()]) {
          applyChange(r, change)
          if (isIdle(r, 4)) whole.delete(r.name)
        }
        for (const o of ops) {
          const name = pool[o.name]
          const steps = (r: Resource | undefined, put: (r: Resource) => void) => {
            if (o.kind === 'read') return
            if (o.kind === 'release') {
              if (r) for (const l of [...r.grantQueue, ...r.convertQueue, ...r.waitQueue]) releaseLock(r, l.id)
              return
            }
            if (!r) put((r = newResource(name, 4)))
            requestLock(r, {id: 1000 + id, node: o.node, mode: 'NL', persistent: false})
          }
          steps(lz.get(name), (r) => lz.put(r))
          steps(whole.get(name), (r) => whole.set(r.name, r))
          id++
        }
        const expected = [...whole.values()].filter((r) => !isIdle(r, 4)).sort((x, y) => (x.name < y.name ? -1 : 1))
        expect(lz.image().toString('utf8')).toBe(bucketText(change ? 9 : 4, expected))
      }),
      {seed: 14, numRuns: 300},
    )
  })

  it('reads empty bucket files, stamped or not, and writes them back', () => {
    for (const t of ['{"resources":[]}\n', '{"applied":5,"resources":[]}\n']) {
      const lz = LazyBucket.of('f', B, bytes(t), undefined, 4)!
      expect(lz.get(pool[0])).toBeUndefined()
      expect(lz.image().toString('utf8')).toBe(t)
    }
    expect(LazyBucket.of('f', B, bytes('{"resources":[]}'), undefined, 4)).toBeNull()
  })
})
