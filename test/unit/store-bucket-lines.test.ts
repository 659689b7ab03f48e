// canonicalBucketLines lets a listing check a bucket file without parsing it. It
// must never take a file BucketSchema refuses (or one it reads differently); a
// file it does not take is read the ordinary way.
import {describe, expect, it} from 'vitest'
import {bucketText} from '../../src/core/ordered.js'
import {BucketSchema, canonicalBucketLines, parseJson} from '../../src/store/schema.js'
import {parseResourceLine} from '../../src/store/resource-line.js'
import type {Lock, Resource} from '../../src/model/types.js'
import {prng} from '../prng.js'

// The tests' one seeded PRNG (an LCG multiplied past 2^53 here lost its low bits: most queues came out empty).
const rng = prng(7)
const rnd = (n: number) => rng.int(n)
const pick = <T>(xs: readonly T[]): T => rng.pick(xs)
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
  return {name: `${pick(['meta/k', 'r/~{', 'deadman/n', 'a|b'])}${i}`, lvb: hex(), lvbValid: rnd(2) === 0, persistent: rnd(2) === 0, grantQueue: q(), convertQueue: q(), waitQueue: q()}
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

/** Every resource line of a file canonicalBucketLines took, read by parseResourceLine: the same JSON as JSON.parse gives (values and key order). */
function expectLinesReadAsParsed(text: string): void {
  const buf = Buffer.from(text, 'utf8')
  let lines = 0
  for (let at = buf.indexOf(10) + 1, nl = buf.indexOf(10, at); nl !== -1 && buf[at] === 0x7b; at = nl + 1, nl = buf.indexOf(10, at)) {
    const line = buf.toString('utf8', at, buf[nl - 1] === 0x2c ? nl - 1 : nl)
    expect(JSON.stringify(parseResourceLine(buf, at))).toBe(JSON.stringify(JSON.parse(line)))
    lines++
  }
  expect(lines).toBe(canonicalBucketLines(text)!.names.length)
}

describe('parseResourceLine', () => {
  it('reads every line dlmctl writes as JSON.parse does', () => {
    for (let k = 0; k < 50; k++) expectLinesReadAsParsed(bucketText(k % 3, Array.from({length: 1 + rnd(20)}, (_, i) => resource(i))))
  })

  it('reads every line canonicalBucketLines takes as JSON.parse does: hand-written field orders, repeated fields, damaged files it takes', () => {
    const variants = [
      '{"id":12,"node":"n1","mode":"PR","requestedMode":"EX","persistent":true,"lvb":"00"}',
      '{"id":1,"node":"n1","mode":"PR","requestedMode":"EX","persistent":false,"lvb":"","requestedMode":"CW","writeLvb":"ab"}',
      '{"id":3,"node":"node-7","mode":"NL","persistent":false,"lvb":"ab","writeLvb":"","writeLvb":"cd"}',
      '{"id":999999999999999,"node":"a","mode":"EX","persistent":true,"lvb":"0000","writeLvb":"ff","requestedMode":"NL"}',
    ]
    const res = (name: string, q: string[]) => `{"name":"${name}","lvb":"","lvbValid":false,"persistent":true,"grantQueue":[${q.join(',')}],"convertQueue":[${q.slice(1).join(',')}],"waitQueue":[${q[0]}]}`
    const text = `{"resources":[\n${[res('a', variants), res('b/~', variants.slice(2)), res('c!}', [variants[1]])].join(',\n')}\n]}\n`
    expect(canonicalBucketLines(text)).toBeDefined()
    expectLinesReadAsParsed(text)
    const good = bucketText(2, Array.from({length: 4}, (_, i) => resource(i)))
    const bytes = ['"', ',', '1', '0', 'a', 'e', 't', 'f']
    for (let k = 0; k < 3000; k++) {
      const at = rnd(good.length)
      const damaged = good.slice(0, at) + pick(bytes) + good.slice(at + 1)
      if (canonicalBucketLines(damaged)) expectLinesReadAsParsed(damaged)
    }
  })
})
