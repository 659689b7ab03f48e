// A writer that touches a few resources of a bucket parses only those; the file
// it writes must be exactly what reading the whole bucket and writing it gives.
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
    const text = bucketText(2, rs)
    const lz = LazyBucket.of('res/07.json', B, text, change, 4)!
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
    expect(lz.text()).toBe(bucketText(behind ? 3 : 2, expected))
    expect([...lz.all().values()].filter((r) => !isIdle(r, 4)).sort((x, y) => (x.name < y.name ? -1 : 1))).toEqual(expected)
  })

  it('refuses files it cannot read line by line: one line, names out of order, truncated', () => {
    const rs = resources()
    expect(LazyBucket.of('f', B, JSON.stringify({resources: rs}) + '\n', undefined, 4)).toBeNull()
    expect(LazyBucket.of('f', B, bucketText(0, [...rs].reverse()), undefined, 4)).toBeNull()
    const t = bucketText(0, rs)
    expect(LazyBucket.of('f', B, t.slice(0, t.length - 10), undefined, 4)).toBeNull()
  })

  it('a damaged resource line is STATE_CORRUPT naming the file when it is read', () => {
    const rs = resources()
    const t = bucketText(0, rs).replace('"lvbValid":true', '"lvbValid":"yes"')
    const lz = LazyBucket.of('domains/fs1/res/07.json', B, t, undefined, 4)!
    expect(() => lz.get(rs[0].name)).toThrow(/domains\/fs1\/res\/07\.json/)
  })
})
