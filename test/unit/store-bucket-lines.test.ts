// canonicalBucketLines lets a listing check a bucket file without parsing it. It
// must never take a file BucketSchema refuses (or one it reads differently); a
// file it does not take is read the ordinary way.
import {describe, expect, it} from 'vitest'
import {bucketText} from '../../src/core/ordered.js'
import {BucketSchema, canonicalBucketLines, parseJson} from '../../src/store/schema.js'
import type {Lock, Resource} from '../../src/model/types.js'

let seed = 7
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n)
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]
const MODES = ['NL', 'CR', 'CW', 'PR', 'PW', 'EX'] as const
const hex = () => '0123456789abcdef'.repeat(2).slice(0, 2 * rnd(3)) + 'ab'.repeat(rnd(3))

function lock(id: number): Lock {
  const l: Lock = {id, node: pick(['n1', 'n2', 'node-7']), mode: pick(MODES), persistent: rnd(2) === 0, lvb: hex()}
  // The optional fields as the model adds them: after the others.
  if (rnd(4) === 0) l.requestedMode = pick(MODES)
  if (rnd(4) === 0) l.writeLvb = hex()
  return l
}

function resource(i: number): Resource {
  const q = () => Array.from({length: rnd(3)}, () => lock(1 + rnd(1e6)))
  return {name: `${pick(['meta/k', 'r/é', 'deadman/n', 'a b'])}${i}`, lvb: hex(), lvbValid: rnd(2) === 0, persistent: rnd(2) === 0, grantQueue: q(), convertQueue: q(), waitQueue: q()}
}

const namesOf = (text: string) => parseJson<{applied?: number; resources: Resource[]}>(BucketSchema, text, 'b.json')

describe('canonicalBucketLines', () => {
  it('takes the files dlmctl writes, with their stamp and names', () => {
    for (const n of [1, 2, 50]) {
      for (const applied of [0, 3]) {
        const resources = Array.from({length: n}, (_, i) => resource(i))
        const text = bucketText(applied, resources)
        expect(canonicalBucketLines(text)).toEqual({applied, names: resources.map((r) => r.name)})
      }
    }
  })

  it('never takes a file BucketSchema refuses or reads differently (10,000 damaged files)', () => {
    const good = bucketText(2, Array.from({length: 4}, (_, i) => resource(i)))
    const bytes = ['"', ',', '\\', '\n', '1', '0', 'x', 'A', ']', '}', '{', ' ', '-', 'e', '.', '\u0001', 't']
    let taken = 0
    for (let k = 0; k < 10_000; k++) {
      let text = good
      for (let j = 0, m = 1 + rnd(2); j < m; j++) {
        const at = rnd(text.length)
        const how = rnd(3)
        text = text.slice(0, at) + (how === 2 ? '' : pick(bytes)) + text.slice(how === 1 ? at : at + 1)
      }
      const got = canonicalBucketLines(text)
      if (!got) continue
      taken++
      const parsed = namesOf(text) // throws (fails the test) if the schema refuses it
      expect(got).toEqual({applied: parsed.applied ?? 0, names: parsed.resources.map((r) => r.name)})
    }
    expect(taken).toBeGreaterThan(100) // some damage keeps a valid file (a digit of an id, of a value block)
  })

  it.each([
    ['keys in another order', (t: string) => t.replace('"lvbValid":', '"x":0,"lvbValid":')],
    ['an escaped name', (t: string) => t.replace('"name":"', '"name":"\\u0041')],
    ['a number too big to be an id', (t: string) => t.replace(/"id":[0-9]+/, '"id":1' + '0'.repeat(400))],
    ['CRLF lines', (t: string) => t.replaceAll('\n', '\r\n')],
    ['no final newline', (t: string) => t.slice(0, -1)],
    ['a comma after the last resource', (t: string) => t.replace('}\n]}', '},\n]}')],
    ['stamp 0', (t: string) => t.replace('"applied":2', '"applied":0')],
  ])('leaves to the parser: %s', (_, damage) => {
    const text = damage(bucketText(2, [resource(1), resource(2)]))
    expect(canonicalBucketLines(text)).toBeUndefined()
  })
})
