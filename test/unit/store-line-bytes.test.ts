// canonicalBucketBytes checks a bucket file's bytes by the grammar
// canonicalBucketLines checks its text with: it must take every ASCII file
// dlmctl writes with the same answer, and never take a file the expression
// refuses (what it does not take is checked the ordinary way).
import * as fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {bucketText} from '../../src/core/ordered.js'
import {ID, ID_MAX_DIGITS, NODE_NAME, NODE_NAME_MAX, RESOURCE_NAME, RESOURCE_NAME_MAX} from '../../src/model/names.js'
import {BucketSchema, canonicalBucketLines, parseJson} from '../../src/store/schema.js'
import {canonicalBucketBytes} from '../../src/store/line-bytes.js'
import type {Lock, Resource} from '../../src/model/types.js'

let seed = 23
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n)
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]
const MODES = ['NL', 'CR', 'CW', 'PR', 'PW', 'EX'] as const
const hex = () => '0123456789abcdef'.repeat(2).slice(0, 2 * rnd(3)) + 'ab'.repeat(rnd(3))

function lock(): Lock {
  const l: Lock = {id: pick([1, 9, 10, 123456, 999999999999999, 1 + rnd(1e6)]), node: pick(['n1', 'n2', 'node-7', 'a', 'z'.repeat(32)]), mode: pick(MODES), persistent: rnd(2) === 0, lvb: hex()}
  if (rnd(4) === 0) l.requestedMode = pick(MODES)
  if (rnd(4) === 0) l.writeLvb = hex()
  return l
}

function resource(i: number, names = ['meta/k', 'deadman/n', 'a~b', 'x']): Resource {
  const q = () => Array.from({length: rnd(3)}, lock)
  return {name: `${pick(names)}${i}`, lvb: hex(), lvbValid: rnd(2) === 0, persistent: rnd(2) === 0, grantQueue: q(), convertQueue: q(), waitQueue: q()}
}

const both = (text: string) => ({bytes: canonicalBucketBytes(Buffer.from(text, 'utf8')), text: canonicalBucketLines(text)})

describe('canonicalBucketBytes', () => {
  it('takes the ASCII files dlmctl writes, with their stamp and names, as canonicalBucketLines does', () => {
    for (let k = 0; k < 300; k++) {
      const text = bucketText(pick([0, 1, 7, 123456789012345]), Array.from({length: 1 + rnd(30)}, (_, i) => resource(i)))
      const got = both(text)
      expect(got.text).toBeDefined()
      expect(got.bytes).toEqual(got.text)
    }
  })

  it('leaves non-ASCII files, empty ones and other layouts to the ordinary check', () => {
    expect(canonicalBucketBytes(Buffer.from(bucketText(1, [resource(1, ['r/é'])]), 'utf8'))).toBeUndefined()
    expect(canonicalBucketBytes(Buffer.from('{"resources":[]}\n'))).toBeUndefined()
    expect(canonicalBucketBytes(Buffer.from('{"applied":3,"resources":[]}\n'))).toBeUndefined()
    expect(canonicalBucketBytes(Buffer.from(JSON.stringify({resources: [resource(1)]}) + '\n'))).toBeUndefined()
  })

  it('never takes a file canonicalBucketLines refuses, nor answers otherwise (30,000 damaged files)', () => {
    const chars = ['"', ',', '\\', '\n', '1', '0', '9', 'x', 'A', ']', '[', '}', '{', ' ', '-', 'e', 'a', 'f', 't', 'r', '\u0001', 'é', ':']
    let taken = 0
    let refused = 0
    for (let k = 0; k < 30_000; k++) {
      let text = bucketText(pick([0, 2]), Array.from({length: 1 + rnd(4)}, (_, i) => resource(i)))
      for (let j = 0, m = 1 + rnd(3); j < m; j++) {
        const at = rnd(text.length)
        const how = rnd(4)
        if (how === 3) {
          // A piece of the file again elsewhere (a repeated field, a repeated lock).
          const from = rnd(text.length)
          text = text.slice(0, at) + text.slice(from, from + 1 + rnd(40)) + text.slice(at)
        } else text = text.slice(0, at) + (how === 2 ? '' : pick(chars)) + text.slice(how === 1 ? at : at + 1)
      }
      const got = both(text)
      if (got.bytes) {
        taken++
        expect(got.text).toEqual(got.bytes)
      } else if (!got.text) refused++
    }
    // Damage that keeps a valid file (a digit of an id, of a value block) is taken; most is refused.
    expect(taken).toBeGreaterThan(100)
    expect(refused).toBeGreaterThan(10_000)
  })

  it.each([
    ['keys in another order', (t: string) => t.replace('"lvbValid":', '"x":0,"lvbValid":')],
    ['an escaped name', (t: string) => t.replace('"name":"', '"name":"\\u0041')],
    ['an id of 16 digits', (t: string) => t.replace(/"id":[0-9]+/, '"id":1' + '0'.repeat(15))],
    ['an id 0', (t: string) => t.replace(/"id":[0-9]+/, '"id":0')],
    ['a node name of 33 characters', (t: string) => t.replace(/"node":"[^"]+"/, `"node":"${'n'.repeat(33)}"`)],
    ['a value block of odd length', (t: string) => t.replace('"lvb":"', '"lvb":"a')],
    ['a third optional lock field', (t: string) => t.replace(/"lvb":"([0-9a-f]*)"\}/, '"lvb":"$1","writeLvb":"","writeLvb":"","writeLvb":""}')],
    ['CRLF lines', (t: string) => t.replaceAll('\n', '\r\n')],
    ['no final newline', (t: string) => t.slice(0, -1)],
    ['a comma after the last resource', (t: string) => t.replace('}\n]}', '},\n]}')],
    ['no comma between resources', (t: string) => t.replace('},\n{', '}\n{')],
    ['stamp 0', (t: string) => t.replace('"applied":2', '"applied":0')],
    ['an empty name', (t: string) => t.replace(/"name":"[^"]+"/, '"name":""')],
  ])('leaves to the ordinary check: %s', (_, damage) => {
    const plain: Lock = {id: 12, node: 'n1', mode: 'PR', persistent: true, lvb: 'ab'}
    const good = bucketText(2, [{...resource(1), grantQueue: [plain]}, {...resource(2), grantQueue: [plain]}])
    const text = damage(good)
    expect(text).not.toBe(good)
    expect(canonicalBucketBytes(Buffer.from(text, 'utf8'))).toBeUndefined()
  })
})

describe('canonicalBucketBytes and the naming rules (model/names.ts)', () => {
  const plain: Lock = {id: 12, node: 'n1', mode: 'PR', persistent: true, lvb: 'ab'}
  const good = bucketText(0, [{name: 'r', lvb: 'ab', lvbValid: true, persistent: false, grantQueue: [plain], convertQueue: [], waitQueue: []}])
  const taken = (text: string) => {
    const bytes = canonicalBucketBytes(Buffer.from(text, 'utf8')) !== undefined
    // The expression answers the same (the byte walk is narrower only on non-ASCII files).
    expect(canonicalBucketLines(text) !== undefined).toBe(bytes)
    return bytes
  }
  const chars = (alphabet: string, minLength: number, maxLength: number) => fc.string({unit: fc.constantFrom(...alphabet), minLength, maxLength})
  /** Any text of these characters, and text of the rule's characters around its longest. */
  const around = (alphabet: string, first: string, rest: string, max: number) =>
    fc.oneof(chars(alphabet, 0, max + 3), fc.tuple(chars(first, 1, 1), chars(rest, max - 2, max)).map(([a, b]) => a + b))

  it('a lock holder is taken exactly when NODE_NAME takes the name', () => {
    const names = fc.oneof(around('az09-A_. ', 'az', 'az09-', NODE_NAME_MAX), fc.stringMatching(NODE_NAME))
    fc.assert(
      fc.property(names, (name) => {
        const t = good.replace('"node":"n1"', `"node":"${name}"`)
        expect(t === good || taken(good)).toBe(true)
        expect(taken(t)).toBe(NODE_NAME.test(name))
      }),
      {numRuns: 3000},
    )
  })

  it('a lock id and the stamp are taken exactly when ID takes them', () => {
    const ids = fc.oneof(around('0123456789-a.', '0123456789', '0123456789', ID_MAX_DIGITS), fc.stringMatching(ID))
    fc.assert(
      fc.property(ids, fc.boolean(), (id, stamp) => {
        const t = stamp ? good.replace('{"resources"', `{"applied":${id},"resources"`) : good.replace('"id":12,', `"id":${id},`)
        expect(taken(t)).toBe(ID.test(id))
      }),
      {numRuns: 3000},
    )
  })

  it('a resource name is taken exactly when RESOURCE_NAME takes it and JSON writes it as it is; BucketSchema takes exactly what RESOURCE_NAME takes', () => {
    const names = fc.oneof(around(' !az~"\\\x7f\x1fé\u2028', '!az~', '!az~', RESOURCE_NAME_MAX), fc.stringMatching(RESOURCE_NAME))
    const schemaTakes = (t: string) => {
      try {
        return parseJson(BucketSchema, t, 'b.json') !== undefined
      } catch {
        return false
      }
    }
    fc.assert(
      fc.property(names, (name) => {
        const t = bucketText(0, [{name, lvb: 'ab', lvbValid: true, persistent: false, grantQueue: [plain], convertQueue: [], waitQueue: []}])
        expect(taken(t)).toBe(RESOURCE_NAME.test(name) && !/["\\]/.test(name))
        expect(schemaTakes(t)).toBe(RESOURCE_NAME.test(name))
      }),
      {numRuns: 3000},
    )
  })
})
