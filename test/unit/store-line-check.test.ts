// The two scans a death or a validate makes of every bucket file before it parses
// anything (store/line-check.ts) give the same answers in the worker thread as in
// the command's own thread: per file, and for a whole death (its summary and every
// file it writes) with the worker and without.
import {cpSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it, onTestFinished, vi} from 'vitest'
import {TEST_BASE, testClock} from './helpers/clusters.js'
import {makeCluster} from '../../bench/lib/cluster.js'
import type {Ctx} from '../../src/core/context.js'
import {bucketText} from '../../src/core/ordered.js'
import {markDead} from '../../src/core/nodes.js'
import {newResource, requestLock} from '../../src/model/resource.js'
import type {Resource} from '../../src/model/types.js'
import {bucketOf} from '../../src/store/layout.js'
import {LineChecker, checkLines} from '../../src/store/line-check.js'

const B = 9
function resources(names: string[]): Resource[] {
  return [...names].sort().map((n, i) => {
    const r = newResource(n, 4)
    requestLock(r, {id: i + 1, node: ['n1', 'n2', 'n3'][i % 3], mode: i % 2 ? 'PR' : 'EX', persistent: i % 4 === 0})
    return r
  })
}
const inB = (prefix: string, n: number) => Array.from({length: 4000}, (_, i) => `${prefix}${i}`).filter((x) => bucketOf(x) === B).slice(0, n)

afterEach(() => {
  vi.restoreAllMocks()
  delete process.env.DLMCTL_TEST_LINE_CHECK_AT
})

describe('the scans of a bucket file in a worker', () => {
  it('answer what the same scans answer in this thread: files taken and refused (one not ASCII), one mark or several', async () => {
    const checker = LineChecker.start()
    // The worker is the bundle's (npm run bundle): without it this test fails, it does not skip.
    expect(checker, 'dist/line-check-worker.cjs').toBeDefined()
    onTestFinished(() => checker!.close())
    const files: string[] = [
      bucketText(3, resources(inB('r/', 40))),
      bucketText(0, resources(inB('~/!', 12))),
      // Not names the model allows (RESOURCE_NAME): refused.
      bucketText(0, resources(inB('é/ü', 3))),
      bucketText(0, resources([...inB('r/', 3), 'not-in-bucket-9'].filter((n) => n !== 'not-in-bucket-9' || bucketOf(n) !== B))),
      JSON.stringify({resources: resources(inB('r/', 3))}) + '\n',
      '{"resources":[]}\n',
      bucketText(2, resources(inB('r/', 5))).replace('"lvbValid":true', '"lvbValid":"yes"'),
    ]
    let taken = 0
    for (const text of files) {
      for (const marks of [['"node":"n2"'], ['"lvbValid":false', '"node":"n1"', '"deadman/n1']]) {
        // A view in the middle of a shared buffer, as the command reads into one.
        const shared = LineChecker.sharedBuffer(Buffer.byteLength(text) + 7)
        const bytes = shared.subarray(3, 3 + shared.write(text, 3))
        const here = checkLines(bytes, B, marks)
        expect(await checker!.check(bytes, B, marks)).toEqual(here)
        if (here && here.spans.length) taken++
      }
    }
    expect(taken).toBeGreaterThanOrEqual(4)
    // Closed (or dead), it answers no more: the command then scans in its own thread.
    checker!.close()
    await expect(checker!.check(LineChecker.sharedBuffer(8), B, [])).rejects.toThrow(/closed/)
  })

  it('a death with the worker and without: the same summary, the same files', async () => {
    const root = mkdtempSync(join(TEST_BASE, 'dlmctl-linecheck-'))
    onTestFinished(() => rmSync(root, {recursive: true, force: true}))
    await makeCluster({state: join(root, 'a'), locks: 3000, nodeLocks: 700}, testClock)
    cpSync(join(root, 'a'), join(root, 'b'), {recursive: true})
    const ctx = (dir: string): Ctx => ({root: join(root, dir), waitMs: 5000, clock: testClock})
    const start = vi.spyOn(LineChecker, 'start')
    const without = await markDead(ctx('a'), 'n2', {skipFence: true})
    expect(start).not.toHaveBeenCalled()
    process.env.DLMCTL_TEST_LINE_CHECK_AT = '0'
    const withWorker = await markDead(ctx('b'), 'n2', {skipFence: true})
    expect(start).toHaveBeenCalledTimes(1)
    expect(start.mock.results[0].value).toBeDefined()
    expect(JSON.stringify(withWorker)).toBe(JSON.stringify(without))
    expect(JSON.stringify(without)).toContain('"orphaned":[')
    for (const sub of ['domains/fs1/res', 'domains/fs1/locks']) {
      const names = readdirSync(join(root, 'a', sub)).sort()
      expect(readdirSync(join(root, 'b', sub)).sort()).toEqual(names)
      for (const f of names) expect(readFileSync(join(root, 'b', sub, f)).equals(readFileSync(join(root, 'a', sub, f))), `${sub}/${f}`).toBe(true)
    }
    expect(readFileSync(join(root, 'b', 'domains/fs1/domain.json'), 'utf8')).toBe(readFileSync(join(root, 'a', 'domains/fs1/domain.json'), 'utf8'))
  }, 60_000)
})
