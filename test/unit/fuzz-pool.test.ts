// drill fuzz's worker processes (pool.ts), with a stand-in for the binary that
// answers each drill after a delay the drill names, failing the drills it is told
// to: answers come back out of order, and the lowest failing index must win.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import type {FuzzDrill} from '../../src/drill/fuzz/ops.js'
import {runDrills} from '../../src/drill/fuzz/pool.js'
import {TEST_BASE} from '../tmpbase.js'

const dir = mkdtempSync(join(TEST_BASE, 'dlmctl-fuzz-pool-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const log = join(dir, 'started.log')

// The stand-in: `drill fuzz --worker` is all it answers to. A drill's first node names
// how long it takes (ms), a node `bad` makes it fail, `die` ends the worker mid-drill,
// `quit` right after answering.
const bin = join(dir, 'run.mjs')
writeFileSync(
  bin,
  `import {appendFileSync} from 'node:fs'
if (process.argv.slice(2).join(' ') !== 'drill fuzz --worker') process.exit(2)
process.on('message', ({index, drill}) => {
  appendFileSync(${JSON.stringify(log)}, index + '\\n')
  if (drill.cluster.nodes.includes('die')) process.exit(7)
  setTimeout(() => {
    process.send({index, ok: !drill.cluster.nodes.includes('bad')})
    if (drill.cluster.nodes.includes('quit')) process.exit(0)
  }, Number(drill.cluster.nodes[0]))
})
`,
)
const drill = (ms: number, ...more: string[]): FuzzDrill => ({cluster: {nodes: [String(ms), ...more], fs: []}, steps: [{kind: 'op', op: {kind: 'check'}}]})
const exec = {bin, env: {}}
const started = () => readFileSync(log, 'utf8').trim().split('\n').map(Number)

describe('drills in worker processes', () => {
  it('all hold: every drill runs once, and each finishing one is counted', {timeout: 30_000}, async () => {
    writeFileSync(log, '')
    const done: number[] = []
    const drills = Array.from({length: 9}, (_, i) => drill((i * 7) % 5))
    expect(await runDrills(drills, {exec, workers: 3, onDrill: (n) => done.push(n)})).toBeUndefined()
    expect(started().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(done).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('the lowest failing drill wins, though a later one failed first; nothing after a known failure starts', {timeout: 30_000}, async () => {
    writeFileSync(log, '')
    // Two workers: one runs drill 2 (index 1), slow, failing; the other drill 1, then drill 3, which fails at once.
    const drills = [drill(5), drill(600, 'bad'), drill(1, 'bad'), ...Array.from({length: 7}, () => drill(5))]
    expect(await runDrills(drills, {exec, workers: 2})).toBe(1)
    // Once drill 3 had failed, no later one started.
    expect(started().sort((a, b) => a - b)).toEqual([0, 1, 2])
  })

  it('a worker that ends in the middle of a drill is an internal error naming the drill', {timeout: 30_000}, async () => {
    writeFileSync(log, '')
    await expect(runDrills([drill(5), drill(5, 'die'), drill(5)], {exec, workers: 2})).rejects.toMatchObject({code: 'INTERNAL', message: expect.stringMatching(/worker running drill 2 ended \(exit 7\)/)})
  })

  it('workers that end between drills: an internal error, not a run that skipped drills', {timeout: 30_000}, async () => {
    writeFileSync(log, '')
    await expect(runDrills([drill(5, 'quit'), drill(5, 'quit'), drill(5), drill(5)], {exec, workers: 2})).rejects.toMatchObject({code: 'INTERNAL'})
  })
})
