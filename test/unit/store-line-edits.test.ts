// A bucket's new image as edits of its lines (line-edits.ts): what the command
// that commits a death records while it reads the bucket must give, applied
// right after the commit, exactly the bytes of the resources changed and written
// again — and nothing at all when the file is not the one it read.
import {describe, expect, it} from 'vitest'
import {bucketText} from '../../src/core/ordered.js'
import {LineEditor, applyLineEdits} from '../../src/store/line-edits.js'
import {concernedLines, markedLines, parseResourceLine} from '../../src/store/resource-line.js'
import {isIdle} from '../../src/model/resource.js'
import {deathOfResource, type DeathSummary} from '../../src/model/domain.js'
import type {Lock, Resource} from '../../src/model/types.js'

let seed = 11
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n)
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]
const MODES = ['NL', 'CR', 'PR', 'PW', 'EX'] as const
const LVB = 8

const lock = (id: number, node: string): Lock => ({id, node, mode: pick(MODES), persistent: rnd(2) === 0, lvb: '00'.repeat(LVB)})

function resource(i: number): Resource {
  const q = () => Array.from({length: rnd(3)}, () => lock(1 + rnd(1e6), pick(['n1', 'n2', 'n3'])))
  // A conversion names the mode it asks for.
  const converting = q().map((l) => ({...l, requestedMode: pick(MODES)}))
  return {name: `${pick(['meta/k', 'r/é', 'w/', 'a"b'])}${String(i).padStart(3, '0')}`, lvb: 'ab'.repeat(LVB), lvbValid: rnd(3) > 0, persistent: rnd(2) === 0, grantQueue: q(), convertQueue: converting, waitQueue: q()}
}

const summary = (): DeathSummary => ({domain: 'fs1', node: 'n2', epoch: 1, orphaned: [], dropped: [], withdrawn: [], conversionsWithdrawn: [], invalidatedResources: [], granted: []})

const death = (res: Resource) => deathOfResource(res, 'n2', summary())

/** A change (the death of n2) on a bucket file: its edits as takeConcerned records them, and the image written the long way. */
function deathOf(resources: Resource[], applied: number, change: (res: Resource) => void = death) {
  const bytes = Buffer.from(bucketText(applied, resources), 'utf8')
  const editor = new LineEditor(bytes, applied)
  const after: Resource[] = []
  for (const line of markedLines(bytes, ['"node":"n2"'])) {
    // As takeConcerned records them; the long way parses and writes the resource again.
    if (line.marked) editor.take(line.at, line.end, change, (res) => isIdle(res, LVB))
    const res = parseResourceLine(bytes, line.at)
    if (line.marked) change(res)
    if (!isIdle(res, LVB)) after.push(res)
  }
  return {bytes, edits: editor.done(), expected: bucketText(applied + 1, after)}
}

describe('line edits of a bucket file', () => {
  it('give the bytes of the changed resources written again (changed, dropped, kept; first, middle and last lines)', () => {
    let changed = 0
    for (let round = 0; round < 300; round++) {
      const n = 1 + rnd(12)
      const resources = Array.from({length: n}, (_, i) => resource(i)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      const applied = rnd(3)
      const {bytes, edits, expected} = deathOf(resources, applied)
      const image = applyLineEdits(bytes, edits, `{"applied":${applied + 1},"resources":[`)
      expect(image?.toString('utf8')).toBe(expected)
      if (edits.middles.length) changed++
    }
    expect(changed).toBeGreaterThan(200)
  })

  it('a change of head fields only (value block, its validity, persistence) or of nothing: the same bytes', () => {
    const changes: ((res: Resource) => void)[] = [
      (res) => (res.lvb = res.lvb.length ? '' : 'cd'.repeat(LVB)),
      (res) => (res.lvbValid = !res.lvbValid),
      (res) => (res.persistent = !res.persistent),
      (res) => {
        res.lvb = 'ef'
        res.persistent = !res.persistent
      },
      () => {},
    ]
    for (const change of changes) {
      for (let round = 0; round < 20; round++) {
        const resources = Array.from({length: 1 + rnd(8)}, (_, i) => resource(i)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        const {bytes, edits, expected} = deathOf(resources, 1, change)
        expect(applyLineEdits(bytes, edits, '{"applied":2,"resources":[')?.toString('utf8')).toBe(expected)
      }
    }
  })

  it('the concerned lines are the marked lines, each once, in order (one mark or several, several in a line)', () => {
    for (const marks of [['"node":"n2"'], ['"lvbValid":false', '"node":"n2"', '"node":"n3"'], ['"node":"n9"']]) {
      for (let round = 0; round < 50; round++) {
        const resources = Array.from({length: 1 + rnd(15)}, (_, i) => resource(i)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        const bytes = Buffer.from(bucketText(rnd(2), resources), 'utf8')
        const marked = [...markedLines(bytes, marks)].filter((l) => l.marked).map(({at, end}) => ({at, end}))
        expect([...concernedLines(bytes, marks)]).toEqual(marked)
      }
    }
  })

  it('a bucket whose every line goes is written empty', () => {
    const only: Resource = {name: 'd/1', lvb: '00'.repeat(LVB), lvbValid: true, persistent: false, grantQueue: [{id: 5, node: 'n2', mode: 'NL', persistent: false, lvb: '00'.repeat(LVB)}], convertQueue: [], waitQueue: []}
    const {bytes, edits, expected} = deathOf([only, {...only, name: 'd/2', grantQueue: [{...only.grantQueue[0], id: 6}]}], 2)
    expect(expected).toBe('{"applied":3,"resources":[]}\n')
    expect(applyLineEdits(bytes, edits, '{"applied":3,"resources":[')?.toString('utf8')).toBe(expected)
  })

  it('fit only the bytes they were made from', () => {
    const resources = Array.from({length: 20}, (_, i) => resource(i)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    resources[3].grantQueue.push(lock(77, 'n2'))
    const {bytes, edits} = deathOf(resources, 0)
    expect(edits.middles.length).toBeGreaterThan(0)
    // Another size: a file written since.
    expect(applyLineEdits(Buffer.concat([bytes, Buffer.from(' ')]), edits, '{"applied":1,"resources":[')).toBeUndefined()
    // The same size, an edited line's start moved.
    const at = edits.spans[0]
    const moved = Buffer.from(bytes)
    moved.copyWithin(at - 1, at, at + 1)
    moved[at] = 0x0a
    expect(applyLineEdits(moved, edits, '{"applied":1,"resources":[')).toBeUndefined()
  })
})
