// Drill expectations (SPEC §4): containment for expect.json, absence for
// expect.absent, and ${name.path} references with their types.
import {describe, expect, it} from 'vitest'
import {RefError, absentHolds, contains, lookup, substituteText, substituteValue} from '../../src/drill/match.js'

describe('contains(): objects', () => {
  it('matches when every named key matches; extra actual keys are fine', () => {
    expect(contains({a: 1}, {a: 1, b: 2, c: {d: 3}})).toBeUndefined()
    expect(contains({}, {a: 1})).toBeUndefined()
  })
  it('fails on a missing key, naming its path', () => {
    expect(contains({a: 1, b: 2}, {a: 1})).toEqual({path: '/b', message: 'missing'})
  })
  it('fails on a wrong value, naming the nested path and both values', () => {
    const m = contains({lock: {mode: 'EX', valid: true}}, {lock: {mode: 'PR', valid: true}})
    expect(m?.path).toBe('/lock/mode')
    expect(m?.message).toBe('expected "EX", got "PR"')
  })
  it('an object does not match a list, a scalar or null', () => {
    expect(contains({a: 1}, [{a: 1}])?.message).toMatch(/expected an object/)
    expect(contains({a: 1}, 'a')?.message).toMatch(/expected an object/)
    expect(contains({}, null)?.message).toMatch(/expected an object, got null/)
  })
  it('a key present with value null matches an expected null, a missing key does not', () => {
    expect(contains({value: null}, {value: null})).toBeUndefined()
    expect(contains({value: null}, {})).toEqual({path: '/value', message: 'missing'})
    expect(contains({value: null}, {value: 0})?.path).toBe('/value')
  })
})

describe('contains(): lists', () => {
  it('each expected item matches some actual item, in any order', () => {
    expect(contains([3, 1], [1, 2, 3])).toBeUndefined()
    expect(contains([{n: 'b'}, {n: 'a'}], [{n: 'a', x: 1}, {n: 'b', x: 2}])).toBeUndefined()
  })
  it('an empty expected list matches any list, and only a list', () => {
    expect(contains([], [])).toBeUndefined()
    expect(contains([], [1, 2])).toBeUndefined()
    expect(contains([], {})?.message).toMatch(/expected a list/)
    expect(contains([], 'x')?.message).toMatch(/expected a list/)
    expect(contains({locks: []}, {locks: null})?.path).toBe('/locks')
  })
  it('fails when an expected item matches nothing, naming its index and a candidate\'s mismatch', () => {
    const m = contains({locks: [{node: 'n1'}, {node: 'n9'}]}, {locks: [{node: 'n1', mode: 'PR'}, {node: 'n2', mode: 'PR'}]})
    expect(m?.path).toBe('/locks[1]')
    expect(m?.message).toBe('no item of 2 matches {"node":"n9"} (closest: /node expected "n9", got "n1")')
  })
  it('the "closest" candidate is the one that matched the most before failing (product bug: ranked by path string length)', () => {
    // The second lock has the right resource and only the wrong mode; the first
    // differs at once. The message must explain with the second one. Today the
    // candidates are ranked by the length of the mismatch path as a string, so
    // "/resource" (9 chars) beats "/mode" (5) and the unrelated lock is shown.
    const m = contains(
      [{resource: 'meta/a', mode: 'EX'}],
      [{resource: 'meta/zzz', mode: 'PR'}, {resource: 'meta/a', mode: 'PR'}],
    )
    expect(m?.message).toContain('closest: /mode expected "EX", got "PR"')
  })
  it('an expected item against an empty actual list says so', () => {
    const m = contains([{a: 1}], [])
    expect(m?.path).toBe('[0]')
    expect(m?.message).toBe('no item of 0 matches {"a":1}')
  })
  it('nested lists of objects match by containment at every level', () => {
    const actual = {
      domains: [
        {name: 'fs1', journals: [{node: 'n2', applied: 2, stoppedAt: null}, {node: 'n3', applied: 0, stoppedAt: null}]},
        {name: 'fs2', journals: []},
      ],
    }
    expect(contains({domains: [{name: 'fs1', journals: [{node: 'n3'}, {node: 'n2', applied: 2}]}]}, actual)).toBeUndefined()
    expect(contains({domains: [{journals: []}]}, actual)).toBeUndefined()
    const m = contains({domains: [{name: 'fs2', journals: [{node: 'n2'}]}]}, actual)
    expect(m?.path).toBe('/domains[0]')
    expect(m?.message).toContain('no item of 2 matches')
  })
  it('an actual item may satisfy several expected items (no one-to-one pairing)', () => {
    expect(contains([{a: 1}, {a: 1}], [{a: 1, b: 2}])).toBeUndefined()
  })
})

describe('contains(): scalars', () => {
  it('strict equality of strings, booleans, numbers and null', () => {
    expect(contains('EX', 'EX')).toBeUndefined()
    expect(contains(true, true)).toBeUndefined()
    expect(contains(null, null)).toBeUndefined()
    expect(contains(0, 0)).toBeUndefined()
    expect(contains(true, 'true')).toEqual({path: '/', message: 'expected true, got "true"'})
    expect(contains(false, 0)?.path).toBe('/')
    expect(contains(null, 'null')?.path).toBe('/')
    expect(contains(null, undefined)?.message).toBe('expected null, got nothing')
    expect(contains('', 0)).toBeDefined()
    expect(contains(0, '')).toBeDefined()
  })
  it('a number and the same number written as a string are equal, both ways', () => {
    expect(contains(7, '7')).toBeUndefined()
    expect(contains('7', 7)).toBeUndefined()
    expect(contains({lockId: '12'}, {lockId: 12})).toBeUndefined()
    expect(contains(7, '8')?.message).toBe('expected 7, got "8"')
  })
  it('long values are shortened in messages', () => {
    const m = contains('x', 'y'.repeat(1000))
    expect(m!.message.length).toBeLessThan(200)
    expect(m!.message).toContain('…')
  })
})

describe('absentHolds()', () => {
  const locks = {locks: [{node: 'n1', status: 'granted', mode: 'PR'}, {node: 'n2', status: 'granted', mode: 'EX'}]}
  it('holds when nothing matches', () => {
    expect(absentHolds({locks: [{node: 'n3'}]}, locks)).toBeUndefined()
    expect(absentHolds({locks: [{node: 'n2', status: 'waiting'}]}, locks)).toBeUndefined()
    expect(absentHolds({error: {code: 'X'}}, locks)).toBeUndefined() // key not there at all
    expect(absentHolds({locks: [{node: 'n1'}]}, {locks: []})).toBeUndefined()
  })
  it('fails naming what is present and the pattern it matches', () => {
    const m = absentHolds({locks: [{node: 'n2', status: 'granted'}]}, locks)
    expect(m?.path).toBe('/locks[0]')
    expect(m?.message).toBe('present: {"node":"n2","status":"granted","mode":"EX"} matches {"node":"n2","status":"granted"}')
  })
  it('each item of an absent list must be absent on its own', () => {
    const m = absentHolds({locks: [{node: 'n3'}, {mode: 'PR'}]}, locks)
    expect(m?.path).toBe('/locks[1]')
    expect(m?.message).toContain('"node":"n1"')
  })
  it('a scalar is absent when not equal (with the number/string rule)', () => {
    expect(absentHolds({result: 'VALID'}, {result: 'MORE_RECOVERY'})).toBeUndefined()
    expect(absentHolds({result: 'VALID'}, {result: 'VALID'})).toEqual({path: '/result', message: 'is "VALID"'})
    expect(absentHolds({id: 3}, {id: '3'})?.path).toBe('/id')
  })
  it('in a mapping, every named key is checked on its own', () => {
    expect(absentHolds({a: 1, b: 2}, {a: 1, b: 3})?.path).toBe('/a')
    expect(absentHolds({a: 9, b: 2}, {a: 1, b: 3})).toBeUndefined()
  })
})

describe('references: lookup, substituteText, substituteValue', () => {
  const results = new Map<string, unknown>([
    ['a', {lockId: 7, valid: true, lock: {mode: 'EX'}, name: 'meta/a', missing: null}],
    ['l', {locks: [{lockId: 11, node: 'n1'}, {lockId: 12, node: 'n2'}]}],
    ['rec', {id: 3, domain: 'fs1', epoch: 1}],
  ])
  it('a string that is exactly ${a.b} takes the value with its type', () => {
    expect(substituteValue('${a.lockId}', results)).toBe(7)
    expect(substituteValue('${a.valid}', results)).toBe(true)
    expect(substituteValue('${a.lock}', results)).toEqual({mode: 'EX'})
    expect(substituteValue('${a.missing}', results)).toBeNull()
    expect(substituteValue('${rec}', results)).toEqual({id: 3, domain: 'fs1', epoch: 1})
  })
  it('embedded references become text', () => {
    expect(substituteValue('id-${a.lockId}', results)).toBe('id-7')
    expect(substituteValue('${rec.domain}:${rec.id}', results)).toBe('fs1:3')
    expect(substituteValue('x ${a.lock}', results)).toBe('x {"mode":"EX"}')
    expect(substituteText('${a.lockId}', results)).toBe('7')
  })
  it('list indexes are numbers in the path', () => {
    expect(substituteValue('${l.locks.0.lockId}', results)).toBe(11)
    expect(substituteValue('${l.locks.1.node}', results)).toBe('n2')
    expect(substituteText('lock release fs1 ${l.locks.1.lockId}', results)).toBe('lock release fs1 12')
  })
  it('goes through lists and objects of an expectation, leaving non-strings alone', () => {
    const v = substituteValue({locks: [{lockId: '${a.lockId}', valid: false, n: 3, z: null}], s: '${rec.domain}'}, results)
    expect(v).toEqual({locks: [{lockId: 7, valid: false, n: 3, z: null}], s: 'fs1'})
  })
  it('an unknown name is a RefError naming it', () => {
    expect(() => substituteValue('${nope.id}', results)).toThrow(RefError)
    expect(() => lookup(results, 'nope.id')).toThrow(/'nope' has no remembered result/)
  })
  it('an unknown path is a RefError naming the missing part', () => {
    expect(() => substituteValue('${a.nothere}', results)).toThrow(RefError)
    expect(() => lookup(results, 'a.nothere')).toThrow(/no 'nothere' in the result of 'a'/)
    expect(() => lookup(results, 'l.locks.5.lockId')).toThrow(/no '5'/)
    expect(() => lookup(results, 'a.lockId.x')).toThrow(RefError)
    expect(() => lookup(results, 'a.missing.x')).toThrow(RefError)
    expect(() => substituteText('x ${l.locks.x}', results)).toThrow(RefError)
  })
})
