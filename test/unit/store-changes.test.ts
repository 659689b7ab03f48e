// Whole-domain changes (a death, a validate) commit a small logical record and
// bring the buckets up to date in batches afterwards. Stopped anywhere in
// between, every reader (views, check) and every writer must see exactly the
// state an uninterrupted run gives, and finishing twice must equal once.
import {cpSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {TEST_BASE, tempClusters} from './helpers/clusters.js'
import type {Ctx} from '../../src/core/context.js'
import {finishChange} from '../../src/core/changes.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {checkState, exportState} from '../../src/core/cluster-views.js'
import {convertLockOp, listLocks, releaseLockOp, requestLockOp} from '../../src/core/locks.js'
import {markDead} from '../../src/core/nodes.js'
import {applyChange, type LogicalChange} from '../../src/model/changes.js'
import type {Resource} from '../../src/model/types.js'
import {io} from '../../src/store/io.js'
import {FULL} from '../full.js'

const newCluster = tempClusters('changes')
// Resources of each kind. npm test: 10 (about 40 of the 256 buckets: three
// batches of BUCKET_BATCH, so stops land inside the logical commit, right after
// it, inside a batch and between batches); under FULL 40, spread over most of
// the 256 buckets (nine batches: later ones repeat the first ones).
const N = FULL ? 40 : 10

/** n2 holds every kind of lock a death and a validate treat differently. */
async function populate(ctx: Ctx): Promise<void> {
  const req = async (resource: string, node: string, mode: 'NL' | 'PR' | 'EX', persistent = false) => {
    const l = await requestLockOp(ctx, {fs: 'fs1', resource, node, mode, persistent})
    // A request only reads the value block: a granted EX holder writes it by converting to its own mode.
    if (mode === 'EX' && l.status === 'granted') await convertLockOp(ctx, {fs: 'fs1', id: l.lockId, mode: 'EX', lvb: 'ab'})
    return l
  }
  for (let i = 0; i < N; i++) {
    await req(`meta/p${i}`, 'n2', 'EX', true) // orphaned, value block invalid
    await req(`d/${i}`, 'n2', 'NL') // dropped
    await req(`w/${i}`, 'n1', 'EX')
    await req(`w/${i}`, 'n2', 'PR') // waiting: withdrawn
    await req(`q/${i}`, 'n2', 'EX')
    await req(`q/${i}`, 'n3', 'PR') // granted once n2's EX goes
    await req(`meta/p${i}`, 'n3', 'PR', true) // waits on the orphan until validate
  }
}

const copies: string[] = []
afterAll(() => {
  for (const c of copies.splice(0)) rmSync(c, {recursive: true, force: true})
})
const copy = (from: string): Ctx => {
  const root = mkdtempSync(join(TEST_BASE, 'dlmctl-changes-copy-'))
  copies.push(root)
  cpSync(from, root, {recursive: true})
  return {root, waitMs: 5000, clock: base.clock}
}

/** Run `f` with the n-th rename of the store failing (an interrupted command); restores the seam. */
async function failingAtRename<T>(n: number, f: () => Promise<T>): Promise<{threw: boolean}> {
  const rename = io.rename
  let count = 0
  io.rename = async (a, b) => {
    // Not an errno error: a stop, which nothing may turn into success with a warning.
    if (++count === n) throw new Error('injected: process stopped here')
    return rename(a, b)
  }
  try {
    await f()
    return {threw: false}
  } catch {
    return {threw: true}
  } finally {
    io.rename = rename
  }
}

async function renamesOf(f: () => Promise<unknown>): Promise<number> {
  const rename = io.rename
  let count = 0
  io.rename = async (a, b) => {
    count++
    return rename(a, b)
  }
  try {
    await f()
  } finally {
    io.rename = rename
  }
  return count
}

const views = async (ctx: Ctx) => ({
  export: await exportState(ctx),
  locks: await listLocks(ctx, {fs: 'fs1'}, async () => ['fs1']),
  invalid: await listLocks(ctx, {fs: 'fs1', invalid: true}, async () => ['fs1']),
  node2: await listLocks(ctx, {node: 'n2'}, async () => ['fs1']),
})

/** Every state file but the event logs (their ordering key is real time) and pending records. */
function stateFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), {withFileTypes: true})) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (r !== 'commit' && r !== 'lock') walk(r)
      } else if (!e.name.endsWith('events.jsonl') && !e.name.endsWith('.tmp')) out[r] = readFileSync(join(root, r), 'utf8')
    }
  }
  walk('')
  return out
}

const bucketStamps = (root: string) =>
  readdirSync(join(root, 'domains/fs1/res')).map((f) => (JSON.parse(readFileSync(join(root, 'domains/fs1/res', f), 'utf8')) as {applied?: number}).applied ?? 0)

let base: Ctx
beforeAll(async () => {
  base = await newCluster()
  await populate(base)
}, 60_000)

describe('a death committed as a logical record', () => {
  let whole: Ctx
  let wholeViews: Awaited<ReturnType<typeof views>>
  let renames = 0
  // What every stopped run is compared with, made once: the old state, and the
  // uninterrupted death followed by the same writer's request.
  let oldExport: unknown
  let ref: {request: unknown; views: Awaited<ReturnType<typeof views>>; files: Record<string, string>}
  beforeAll(async () => {
    oldExport = await exportState(base)
    whole = copy(base.root)
    renames = await renamesOf(() => markDead(whole, 'n2', {skipFence: true}))
    wholeViews = await views(whole)
    const r = copy(whole.root)
    const request = await requestLockOp(r, {fs: 'fs1', resource: 'w/3', node: 'n3', mode: 'NL'})
    ref = {request, views: await views(r), files: stateFiles(r.root)}
  }, 60_000)

  it('the uninterrupted death did what a death does, and rewrote the buckets stamped with it', async () => {
    const d = wholeViews.export.domains[0] as {change?: unknown; resources: Resource[]}
    expect(d.change).toBeUndefined() // not state: not exported
    const n2 = wholeViews.node2.locks
    expect(n2).toHaveLength(N)
    expect(n2.every((l) => l.persistent && l.invalidReasons.includes('ORPHANED') && l.invalidReasons.includes('VALNOTVALID'))).toBe(true)
    expect(wholeViews.locks.locks.filter((l) => l.resource.startsWith('q/') && l.node === 'n3' && l.status === 'granted')).toHaveLength(N)
    const meta = JSON.parse(readFileSync(join(whole.root, 'domains/fs1/domain.json'), 'utf8'))
    expect(meta.change).toEqual({seq: 1, kind: 'death', node: 'n2', done: true})
    expect(bucketStamps(whole.root).every((s) => s === 1)).toBe(true)
    expect((await checkState(whole)).ok).toBe(true)
    expect(renames).toBeGreaterThan(20)
  })

  const partial: number[] = []
  // Stopped at a sample of its renames: inside the logical commit, right after it, and between batches
  // (npm run test:full: a denser sample; later batches repeat the first ones).
  // Each point must be reached (npm test's death has about 50 renames, FULL's about 150).
  const points = FULL ? [1, 2, 3, 4, 6, 9, 14, 20, 40, 80] : [1, 2, 4, 9, 20, 40]
  it.each(points)('stopped at rename %i: views, check and writers see exactly the new state; finishing converges', async (k) => {
    expect(k).toBeLessThan(renames)
    const ctx = copy(base.root)
    const {threw} = await failingAtRename(k, () => markDead(ctx, 'n2', {skipFence: true}))
    expect(threw).toBe(true)
    const meta = JSON.parse(readFileSync(join(ctx.root, 'domains/fs1/domain.json'), 'utf8'))
    const committed = meta.change !== undefined || readdirSync(join(ctx.root, 'commit')).length > 0
    const v = await views(ctx)
    if (!committed) {
      expect(v.export).toEqual(oldExport)
      return
    }
    // Readers: exactly the new state, though buckets (and the index) still lag.
    if (bucketStamps(ctx.root).some((st) => st < 1)) partial.push(k)
    expect(v).toEqual(wholeViews)
    const chk = await checkState(ctx)
    expect(chk.problems).toEqual([])
    if (meta.change?.done === false) expect(chk.warnings.map((w) => w.message).join('\n')).toMatch(/death \(change 1\) is not yet applied to every bucket/)
    // A writer on a bucket still behind brings it up to date (and persists it).
    const a = await requestLockOp(ctx, {fs: 'fs1', resource: 'w/3', node: 'n3', mode: 'NL'})
    expect(a).toEqual(ref.request)
    // A lock the death dropped is unknown, not an inconsistency.
    const dropped = wholeViews.export.events.find((e) => e.type === 'domain.death') as unknown as {dropped: number[]}
    await expect(releaseLockOp(ctx, {fs: 'fs1', id: dropped.dropped[0]})).rejects.toMatchObject({code: 'UNKNOWN_LOCK'})
    expect(await views(ctx)).toEqual(ref.views)
    // The next whole-domain command finishes it; finishing again changes nothing.
    await finishChange(ctx, 'fs1')
    const once = stateFiles(ctx.root)
    await finishChange(ctx, 'fs1')
    expect(stateFiles(ctx.root)).toEqual(once)
    expect(once).toEqual(ref.files)
    expect((await checkState(ctx)).ok).toBe(true)
  })

  it('the sample stopped it after its commit with buckets still behind, more than once', () => {
    expect(partial.length).toBeGreaterThan(3)
  })
})

describe('a validate committed as a logical record', () => {
  let dead: Ctx
  let whole: Ctx
  let result: unknown
  let renames = 0
  let id = 0
  // Made once: the views before and after the uninterrupted validate, and after it plus a new death.
  let deadViews: Awaited<ReturnType<typeof views>>
  let wholeViews: Awaited<ReturnType<typeof views>>
  let ref: {views: Awaited<ReturnType<typeof views>>; files: Record<string, string>}
  beforeAll(async () => {
    dead = copy(base.root)
    await markDead(dead, 'n2', {skipFence: true})
    id = (await attachOp(dead, 'fs1', 'n1')).id
    deadViews = await views(dead)
    whole = copy(dead.root)
    renames = await renamesOf(async () => {
      result = await validateOp(whole, 'fs1', id)
    })
    wholeViews = await views(whole)
    const r = copy(whole.root)
    await markDead(r, 'n3', {skipFence: true})
    ref = {views: await views(r), files: stateFiles(r.root)}
  }, 60_000)

  it('the uninterrupted validate released the orphans and granted the waiters', async () => {
    expect(result).toMatchObject({result: 'VALID', replayedNodes: ['n2']})
    expect((result as {releasedOrphans: number[]}).releasedOrphans).toHaveLength(N)
    const locks = (await listLocks(whole, {fs: 'fs1', resource: 'meta/*'}, async () => ['fs1'])).locks
    expect(locks.filter((l) => l.node === 'n3' && l.status === 'granted' && l.valid)).toHaveLength(N)
    expect(bucketStamps(whole.root).filter((s) => s === 2).length).toBeGreaterThan(N)
  })

  it.each(FULL ? [2, 5, 12, 30] : [2, 12, 30])('stopped at rename %i: exactly the new state to every reader; finishing converges', async (k) => {
    expect(k).toBeLessThan(renames)
    const ctx = copy(dead.root)
    expect((await failingAtRename(k, () => validateOp(ctx, 'fs1', id))).threw).toBe(true)
    const meta = JSON.parse(readFileSync(join(ctx.root, 'domains/fs1/domain.json'), 'utf8'))
    if (meta.change.seq !== 2 && readdirSync(join(ctx.root, 'commit')).length === 0) {
      expect(await views(ctx)).toEqual(deadViews)
      return
    }
    expect(await views(ctx)).toEqual(wholeViews)
    expect((await checkState(ctx)).problems).toEqual([])
    // A new death first finishes the validate, then commits its own record.
    await markDead(ctx, 'n3', {skipFence: true})
    expect(await views(ctx)).toEqual(ref.views)
    expect(stateFiles(ctx.root)).toEqual(ref.files)
  })
})

describe('a small domain', () => {
  /** Bucket files that `f` opens (a missing one counts: it is an open that fails). */
  async function bucketReads(f: () => Promise<unknown>): Promise<string[]> {
    const readFile = io.readFile
    const read: string[] = []
    io.readFile = (path, ...rest) => {
      if (/\/res\/[0-9a-f]{2}\.json$/.test(path)) read.push(path.slice(path.lastIndexOf('/') + 1))
      return readFile(path, ...rest)
    }
    try {
      await f()
    } finally {
      io.readFile = readFile
    }
    return read
  }
  const files = (ctx: Ctx) => readdirSync(join(ctx.root, 'domains/fs1/res')).sort()

  it('a death and a validate write only the bucket files it has; listings, export and check open only those', async () => {
    const ctx = await newCluster()
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
    await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n3', mode: 'PR'})
    const before = files(ctx)
    // The three deadman resources, meta/a and r/1: a few of the 256.
    expect(before.length).toBeGreaterThan(2)
    expect(before.length).toBeLessThan(8)
    const reads = await bucketReads(async () => {
      await listLocks(ctx, {fs: 'fs1'}, async () => ['fs1'])
      await exportState(ctx)
      expect((await checkState(ctx)).ok).toBe(true)
    })
    expect([...new Set(reads)].sort()).toEqual(before)
    await markDead(ctx, 'n2', {skipFence: true})
    // Its resources' buckets are stamped with the death; no missing bucket was written, empty.
    expect(files(ctx)).toEqual(before)
    expect(bucketStamps(ctx.root).every((st) => st === 1)).toBe(true)
    const id = (await attachOp(ctx, 'fs1', 'n1')).id
    await validateOp(ctx, 'fs1', id)
    expect(files(ctx)).toEqual(before)
    const locks = (await listLocks(ctx, {fs: 'fs1'}, async () => ['fs1'])).locks
    // n2's EX on meta/a, an orphan until the validate, is gone; its deadman locks went at its death.
    expect(locks.filter((l) => !l.resource.startsWith('deadman/')).map((l) => [l.resource, l.node, l.status])).toEqual([['r/1', 'n3', 'granted']])
    expect(locks.some((l) => l.node === 'n2')).toBe(false)
    expect((await checkState(ctx)).ok).toBe(true)
    // A resource made after the death in a bucket that had no file is not behind it: the death does nothing to it.
    const late = await requestLockOp(ctx, {fs: 'fs1', resource: 'late/1', node: 'n3', mode: 'EX'})
    expect(files(ctx).length).toBe(before.length + 1)
    expect((await listLocks(ctx, {fs: 'fs1', resource: 'late/*'}, async () => ['fs1'])).locks).toMatchObject([{lockId: late.lockId, status: 'granted', valid: true}])
  })
})

describe('applying a change to one resource', () => {
  const res = (): Resource => ({
    name: 'r',
    lvb: 'ab'.padEnd(64, '0'),
    lvbValid: true,
    persistent: true,
    grantQueue: [
      {id: 1, node: 'n2', mode: 'EX', persistent: true, lvb: 'ab'.padEnd(64, '0')},
    ],
    convertQueue: [],
    waitQueue: [
      {id: 2, node: 'n2', mode: 'PR', persistent: false, lvb: '0'.repeat(64)},
      {id: 3, node: 'n3', mode: 'PR', persistent: true, lvb: '0'.repeat(64)},
    ],
  })
  it.each<LogicalChange>([
    {seq: 1, kind: 'death', node: 'n2', done: false},
    {seq: 2, kind: 'validate', dead: ['n2'], done: false},
  ])('twice is once: $kind', (change) => {
    // A validate follows the death it recovers from.
    const before = () => {
      const r = res()
      if (change.kind === 'validate') applyChange(r, {seq: 1, kind: 'death', node: 'n2', done: false})
      return r
    }
    const once = before()
    applyChange(once, change)
    const twice = before()
    applyChange(twice, change)
    applyChange(twice, change)
    expect(twice).toEqual(once)
    expect(once).not.toEqual(before())
  })
})
