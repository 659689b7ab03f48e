// Log replay through the core (src/core/replay.ts), in process: replaying twice
// is replaying once; the replayed metadata is exactly "checkpointed state plus
// every committed transaction of the dead node, highest seq wins"; a replay
// killed part-way converges when rerun; another death means MORE_RECOVERY and
// nothing written.
import {spawnSync} from 'node:child_process'
import {appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {prng} from '../prng.js'
import {TEST_BASE} from '../tmpbase.js'
import {tempClusters} from './helpers/clusters.js'
import {systemClock} from '../../src/core/clock.js'
import type {Ctx} from '../../src/core/context.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {fsCheckpoint, fsRead, fsShow, fsWrite} from '../../src/core/fs.js'
import {checkState} from '../../src/core/cluster-views.js'
import {releaseLockOp, requestLockOp} from '../../src/core/locks.js'
import {markDead} from '../../src/core/nodes.js'
import {replayOp} from '../../src/core/replay.js'
import {encodeRecord} from '../../src/journal/format.js'
import {mergeEntry, type MetaKeys} from '../../src/model/metadata.js'

const PROJECT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(PROJECT, 'bin/run.js')
const clock = systemClock({DLMCTL_CLOCK: '2026-01-01T00:00:00Z'})
// tmpfs when there is one: these tests commit hundreds of small transactions.
const roots: string[] = []
afterAll(() => {
  for (const r of roots) rmSync(r, {recursive: true, force: true})
})

function newRoot(): string {
  const r = mkdtempSync(join(TEST_BASE, 'dlmctl-replay-'))
  roots.push(r)
  return r
}

const ctxOf = (root: string): Ctx => ({root, waitMs: 5000, clock})

const newCluster = tempClusters('replay')

/** A copy of a state directory (a second, independent cluster in the same state). */
function copyCluster(ctx: Ctx): Ctx {
  const root = newRoot()
  cpSync(ctx.root, root, {recursive: true})
  return ctxOf(root)
}

const journal = (ctx: Ctx, node: string) => join(ctx.root, 'fs/fs1/journal', `${node}.jsonl`)
const readOrNull = (p: string) => (existsSync(p) ? readFileSync(p) : null)

/** meta.json and every journal point file, as bytes (null when absent). */
function fsFiles(ctx: Ctx): Record<string, Buffer | null> {
  const dir = join(ctx.root, 'fs/fs1/journal')
  const out: Record<string, Buffer | null> = {'meta.json': readOrNull(join(ctx.root, 'fs/fs1/meta.json'))}
  for (const n of existsSync(dir) ? readdirSync(dir).sort() : []) if (n.endsWith('.point.json')) out[n] = readFileSync(join(dir, n))
  return out
}

/** The metadata as fs show reports it, as a MetaKeys map. */
async function metaKeys(ctx: Ctx): Promise<MetaKeys> {
  const out: MetaKeys = {}
  for (const k of (await fsShow(ctx, 'fs1')).keys) out[k.key] = {value: k.value, seq: k.seq}
  return out
}

const lockEx = (ctx: Ctx, node: string, key: string) => requestLockOp(ctx, {fs: 'fs1', resource: `meta/${key}`, node, mode: 'EX', persistent: true})

/**
 * n2 writes a history under persistent EX locks (checkpoint in the middle),
 * leaves an uncommitted transaction at its journal's tail and dies; n1 attaches.
 */
async function buildDeadWriter(): Promise<{ctx: Ctx; id: number; expected: MetaKeys}> {
  const ctx = await newCluster(['n1', 'n2', 'n3'])
  for (const k of ['a', 'b', 'c']) await lockEx(ctx, 'n2', k)
  await fsWrite(ctx, 'fs1', 'n2', [['a', '1'], ['b', '1']], []) // seq 1, 2 (+3 commit)
  await fsWrite(ctx, 'fs1', 'n2', [['c', '1']], []) // 4 (+5)
  await fsCheckpoint(ctx, 'fs1', 'n2')
  await fsWrite(ctx, 'fs1', 'n2', [['a', '2']], ['b']) // 6, 7 (+8)
  await fsWrite(ctx, 'fs1', 'n2', [['c', 'ünï ✓']], []) // 9 (+10)
  // A transaction whose commit never made it: replay must discard it.
  appendFileSync(journal(ctx, 'n2'), encodeRecord({seq: 11, tx: 11, op: 'set', key: 'a', value: 'never'}))
  await markDead(ctx, 'n2')
  const {id} = await attachOp(ctx, 'fs1', 'n1')
  const expected: MetaKeys = {a: {value: '2', seq: 6}, b: {value: null, seq: 7}, c: {value: 'ünï ✓', seq: 9}}
  return {ctx, id, expected}
}

// Built once per file; each test takes its own copy of it.
let built: Awaited<ReturnType<typeof buildDeadWriter>>
beforeAll(async () => {
  built = await buildDeadWriter()
}, 60_000)
/** A copy of the dead writer's cluster (see buildDeadWriter). */
async function deadWriter(): Promise<{ctx: Ctx; id: number; expected: MetaKeys}> {
  return {...built, ctx: copyCluster(built.ctx), expected: structuredClone(built.expected)}
}

describe('replay twice = replay once', () => {
  it('the second run applies nothing new; metadata and points are byte-identical', async () => {
    const {ctx, id, expected} = await deadWriter()
    const before = await metaKeys(ctx)
    expect(before).toEqual({a: {value: '1', seq: 1}, b: {value: '1', seq: 2}, c: {value: '1', seq: 4}}) // the checkpoint

    const first = await replayOp(ctx, 'fs1', id)
    expect(first.result).toBe('DONE')
    expect(first.journals).toHaveLength(1)
    expect(first.journals[0]).toMatchObject({node: 'n2', applied: 3, discarded: 1, stoppedAt: null})
    expect(first.changedKeys).toBe(3)
    expect(await metaKeys(ctx)).toEqual(expected)
    const once = fsFiles(ctx)
    expect(once['n2.point.json']).not.toBeNull()
    expect(JSON.parse(once['n2.point.json']!.toString()).offset).toBe(first.journals[0].to)

    const second = await replayOp(ctx, 'fs1', id)
    expect(second.result).toBe('DONE')
    expect(second.changedKeys).toBe(0)
    expect(second.journals[0]).toMatchObject({node: 'n2', applied: 0, from: first.journals[0].to, to: first.journals[0].to})
    expect(fsFiles(ctx)).toEqual(once)

    // And the domain validates (nothing left to replay), the survivor reads the replayed value.
    expect((await validateOp(ctx, 'fs1', id)).result).toBe('VALID')
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n1', mode: 'PR'})
    expect(await fsRead(ctx, 'fs1', 'a', {node: 'n1'})).toMatchObject({value: '2', seq: 6, valid: true})
    expect((await checkState(ctx)).problems).toEqual([])
  })

  it('two replays racing (parallel recovers) end where one replay ends', async () => {
    const {ctx, id, expected} = await deadWriter()
    const single = copyCluster(ctx)
    await replayOp(single, 'fs1', id)
    const [r1, r2] = await Promise.all([replayOp(ctx, 'fs1', id), replayOp(ctx, 'fs1', id)])
    expect([r1.result, r2.result]).toEqual(['DONE', 'DONE'])
    expect(r1.changedKeys + r2.changedKeys).toBe(3) // whoever commits second finds the keys already there
    expect(await metaKeys(ctx)).toEqual(expected)
    expect(fsFiles(ctx)).toEqual(fsFiles(single))
  })

  it('--dry-run reports what replay would do and writes nothing', async () => {
    const {ctx, id} = await deadWriter()
    const before = fsFiles(ctx)
    const dry = await replayOp(ctx, 'fs1', id, {dryRun: true})
    expect(dry).toMatchObject({result: 'DONE', changedKeys: 3, dryRun: true})
    expect(fsFiles(ctx)).toEqual(before)
    const real = await replayOp(ctx, 'fs1', id)
    expect(real.journals).toEqual(dry.journals)
  })
})

// ------------------------------------------------------------ property test

interface Written {
  node: string
  entries: {key: string; value: string | null; seq: number}[]
}

describe('property: replay = checkpointed state + every committed transaction of the dead node, highest seq wins', () => {
  it.each([1, 2026])('seed %i', async (seed) => {
    const r = prng(seed)
    const ctx = await newCluster(['n1', 'n2'])
    const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'w/x', 'q!~']
    const nodes = ['n1', 'n2']
    const held = new Map<string, {node: string; id: number}>() // key -> persistent EX lock
    const written: Written[] = []
    const checkpointed: MetaKeys = {} // my model of meta.json
    const applied = new Map<string, number>() // node -> how many of its transactions are checkpointed

    const checkpointModel = (node: string) => {
      const mine = written.filter((w) => w.node === node)
      for (const w of mine.slice(applied.get(node) ?? 0)) for (const e of w.entries) mergeEntry(checkpointed, e.key, e)
      applied.set(node, mine.length)
    }

    for (let step = 0; step < 20; step++) {
      const node = r.pick(nodes)
      const n = 1 + r.int(3)
      const keys = [...KEYS].sort(() => r.next() - 0.5).slice(0, n)
      for (const k of keys) {
        const h = held.get(k)
        if (h?.node === node) continue
        if (h) await releaseLockOp(ctx, {fs: 'fs1', id: h.id})
        const l = await lockEx(ctx, node, k)
        expect(l.status).toBe('granted')
        held.set(k, {node, id: l.lockId})
      }
      const sets: [string, string][] = []
      const dels: string[] = []
      for (const k of keys) {
        if (r.next() < 0.25) dels.push(k)
        else sets.push([k, `${node}-${step}-${r.int(1000)}`])
      }
      const res = await fsWrite(ctx, 'fs1', node, sets, dels)
      let seq = res.seqs[0]
      written.push({
        node,
        entries: [...sets.map(([key, value]) => ({key, value, seq: seq++})), ...dels.map((key) => ({key, value: null, seq: seq++}))],
      })
      if (r.next() < 0.2) {
        await fsCheckpoint(ctx, 'fs1', node)
        checkpointModel(node)
      }
    }
    // Sometimes the dead node was mid-transaction: an uncommitted tail with the highest seqs.
    if (r.next() < 0.5) {
      appendFileSync(journal(ctx, 'n2'), encodeRecord({seq: 100_000, tx: 100_000, op: 'set', key: 'k0', value: 'uncommitted'}))
    }
    expect(await metaKeys(ctx)).toEqual(checkpointed)

    await markDead(ctx, 'n2')
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    const rep = await replayOp(ctx, 'fs1', id)
    expect(rep.result).toBe('DONE')

    const expected: MetaKeys = structuredClone(checkpointed)
    for (const w of written.filter((x) => x.node === 'n2')) for (const e of w.entries) mergeEntry(expected, e.key, e)
    expect(await metaKeys(ctx)).toEqual(expected)
    // n1's uncheckpointed writes are its own journal's business, not replay's.
    expect(rep.journals.map((j) => j.node)).toEqual(['n2'])

    // After validate, n1 reads, for every key, the newest committed value of either node.
    expect((await validateOp(ctx, 'fs1', id)).result).toBe('VALID')
    const newest: MetaKeys = structuredClone(expected)
    for (const w of written) for (const e of w.entries) mergeEntry(newest, e.key, e)
    for (const k of Object.keys(newest)) {
      if (held.get(k)?.node !== 'n1') await requestLockOp(ctx, {fs: 'fs1', resource: `meta/${k}`, node: 'n1', mode: 'CR'})
      const got = await fsRead(ctx, 'fs1', k, {node: 'n1'})
      expect({key: k, value: got.value, seq: got.seq}).toEqual({key: k, ...newest[k]})
    }
  })
})

// ------------------------------------------------------------ killed part-way

describe('a replay killed part-way, then rerun, gives the uninterrupted result', () => {
  let base: Awaited<ReturnType<typeof deadWriter>>
  let want: {meta: MetaKeys; files: Record<string, Buffer | null>}
  beforeAll(async () => {
    base = await deadWriter()
    const reference = copyCluster(base.ctx)
    await replayOp(reference, 'fs1', base.id)
    want = {meta: await metaKeys(reference), files: fsFiles(reference)}
  })

  it('the uninterrupted reference (control)', () => {
    expect(want.meta).toEqual(base.expected)
    expect(want.files['n2.point.json']).not.toEqual(fsFiles(base.ctx)['n2.point.json'])
  })

  // Killed before its first apply and in the middle of applying (a real process: its
  // kernel locks dropped, its temps left). commit.apply#1 lies between the two;
  // store-faults.test.ts kills replay in process at its commit point's neighbours
  // (and at every site under FULL).
  it.each(['commit.after-record', 'commit.apply#2'])('DLMCTL_CRASH_POINT=%s', async (point) => {
    expect(existsSync(BIN), 'the CLI must be built (npm run -s build)').toBe(true)
    const ctx = copyCluster(base.ctx)
    const child = spawnSync(process.execPath, [BIN, 'replay', 'fs1', '--id', String(base.id), '--state', ctx.root, '--json'], {
      env: {...process.env, DLMCTL_CRASH_POINT: point, DLMCTL_CLOCK: '2026-01-01T00:00:00Z', NO_COLOR: '1'},
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(child.signal, `replay should die at ${point}: ${child.stderr}`).toBe('SIGKILL')
    expect(child.stdout).toBe('') // it died before answering
    expect(readdirSync(join(ctx.root, 'commit')).length).toBeGreaterThan(0) // a commit record is left behind

    const rerun = await replayOp(ctx, 'fs1', base.id)
    expect(rerun.result).toBe('DONE')
    expect(await metaKeys(ctx)).toEqual(want.meta)
    expect(fsFiles(ctx)).toEqual(want.files)
    const check = await checkState(ctx)
    expect(check.problems).toEqual([])
    expect(check.warnings).toEqual([])
    expect((await validateOp(ctx, 'fs1', base.id)).result).toBe('VALID')
  })
})

// ------------------------------------------------------------ MORE_RECOVERY

describe('MORE_RECOVERY when the epoch moved', () => {
  it('another member dies after attach: replay writes nothing', async () => {
    const {ctx, id} = await deadWriter()
    await markDead(ctx, 'n3')
    const before = fsFiles(ctx)
    expect(before['n2.point.json']).toBeDefined() // the checkpoint wrote it
    const r = await replayOp(ctx, 'fs1', id)
    expect(r).toMatchObject({domain: 'fs1', id, result: 'MORE_RECOVERY', journals: [], changedKeys: 0})
    expect(fsFiles(ctx)).toEqual(before)
    expect(await metaKeys(ctx)).toEqual({a: {value: '1', seq: 1}, b: {value: '1', seq: 2}, c: {value: '1', seq: 4}})
    expect((await validateOp(ctx, 'fs1', id)).result).toBe('MORE_RECOVERY')

    // Starting again with a new attach replays both dead nodes.
    const again = await attachOp(ctx, 'fs1', 'n1')
    const r2 = await replayOp(ctx, 'fs1', again.id)
    expect(r2.result).toBe('DONE')
    expect(r2.journals.map((j) => j.node).sort()).toEqual(['n2', 'n3'])
    expect((await validateOp(ctx, 'fs1', again.id)).result).toBe('VALID')
  })

  it('progress: records so far and the share of journal bytes scanned, without a second scan (recover shows its percent with --yes)', async () => {
    const {ctx, id} = await deadWriter()
    const block: string[] = []
    for (let k = 0; k < 7; k++) block.push(encodeRecord({seq: 1000 + k, tx: 1000, op: 'set', key: `bulk${k}`, value: 'v'}))
    block.push(encodeRecord({seq: 1007, tx: 1000, op: 'commit', n: 7}))
    appendFileSync(journal(ctx, 'n2'), block.join('').repeat(16_400)) // 131,200 lines: two progress calls
    const calls: [number, number][] = []
    const r = await replayOp(ctx, 'fs1', id, {onProgress: (records, fraction) => void calls.push([records, fraction])})
    expect(r.result).toBe('DONE')
    expect(calls).toHaveLength(2)
    // Lines of the same size: the byte share tracks the lines scanned (65,536 and 131,072 of 131,206).
    expect(calls[0][1]).toBeGreaterThan(0.49)
    expect(calls[0][1]).toBeLessThan(0.51)
    expect(calls[1][1]).toBeGreaterThan(0.99)
    expect(calls[1][1]).toBeLessThanOrEqual(1)
    // 7 of every 8 lines are set records of committed transactions.
    expect(Math.abs(calls[0][0] - (65_536 * 7) / 8)).toBeLessThan(10)
    expect(calls[1][0]).toBeGreaterThan(calls[0][0])
    expect(calls[1][0]).toBeLessThanOrEqual(r.journals[0].applied)
  })

  it('a death while the journal is being scanned is seen as replay goes (checked every 65536 records)', async () => {
    const {ctx, id} = await deadWriter()
    // 131,072+ more committed records in the dead node's journal: two epoch checks.
    // (One 8-line transaction repeated: replay does not need distinct seqs.)
    const block: string[] = []
    for (let k = 0; k < 7; k++) block.push(encodeRecord({seq: 1000 + k, tx: 1000, op: 'set', key: `bulk${k}`, value: 'v'}))
    block.push(encodeRecord({seq: 1007, tx: 1000, op: 'commit', n: 7}))
    appendFileSync(journal(ctx, 'n2'), block.join('').repeat(16_400))
    const before = fsFiles(ctx)
    let progress = 0
    const r = await replayOp(ctx, 'fs1', id, {
      onProgress: () => {
        progress++
        // Another member dies while replay is scanning: a separate process, which
        // must not wait for the replay (the scan holds no lock).
        if (progress === 1) {
          const md = spawnSync(process.execPath, [BIN, 'node', 'mark-dead', 'n3', '--yes', '--state', ctx.root], {encoding: 'utf8', timeout: 30_000})
          expect(md.status, md.stderr).toBe(0)
        }
      },
    })
    expect(r.result).toBe('MORE_RECOVERY')
    expect(progress).toBe(1) // stopped at the next check, not at the end of the journal
    expect(fsFiles(ctx)).toEqual(before)
  })
})
