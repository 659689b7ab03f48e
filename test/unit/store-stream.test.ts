// Listings that stream with bounded memory must give exactly what the whole
// in-memory listing gave: the same locks in the same order, the same bytes of
// JSON, and check the same problems.
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {beforeAll, describe, expect, it, onTestFinished} from 'vitest'
import {TEST_BASE, tempClusters, testClock} from './helpers/clusters.js'
import {makeCluster} from '../../bench/lib/cluster.js'
import type {Ctx} from '../../src/core/context.js'
import {canonicalJson, checkState, exportState, writeExport} from '../../src/core/cluster-views.js'
import {markDead} from '../../src/core/nodes.js'
import {listLocks, requestLockOp, streamLocks} from '../../src/core/locks.js'
import {writeJson, writeJsonList} from '../../src/render/json-stream.js'
import {writeExportResources} from '../../src/core/export-resources.js'
import type {Resource} from '../../src/model/types.js'
import {bucketOf} from '../../src/store/layout.js'

const newCluster = tempClusters('stream')

async function jsonOf(items: unknown[]): Promise<string> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await writeJsonList(out, 'locks', (async function* () {
    yield* items
  })())
  return Buffer.concat(chunks).toString('utf8')
}

describe('writeJsonList', () => {
  it.each([0, 1, 2, 2047, 2048, 2049, 5000])('%i items: the bytes of JSON.stringify(doc, null, 2)', async (n) => {
    const items = Array.from({length: n}, (_, i) => ({lockId: i, invalidReasons: i % 2 ? [] : ['ORPHANED'], nested: {s: 'a"\nb', e: {}}}))
    expect(await jsonOf(items)).toBe(JSON.stringify({locks: items}, null, 2) + '\n')
  })
  it('items of any shape (the hand-built item text): the bytes of JSON.stringify(doc, null, 2)', async () => {
    const items: unknown[] = [
      {}, {a: undefined}, {a: undefined, b: null}, {n: NaN, i: -Infinity, z: -0, f: 1.5e300, s: 'é\u2028"\\'},
      {f: () => 1, t: true, u: false}, {2: 'x', 1: 'y', k: [[]], e: [], o: {}, d: new Date(0), arr: [1, undefined, 'a', {b: [2]}]},
      [], [1, [2]], 'str', 3, null, undefined, true, new Date(1), {toJSON: () => ({x: 1})}, Object.create({inherited: 1}),
    ]
    for (const n of [1, items.length]) expect(await jsonOf(items.slice(0, n))).toBe(JSON.stringify({locks: items.slice(0, n)}, null, 2) + '\n')
    const many = Array.from({length: 4100}, (_, i) => items[i % items.length])
    expect(await jsonOf(many)).toBe(JSON.stringify({locks: many}, null, 2) + '\n')
  })
})

describe('writeJsonList of lock views (written byte by byte)', () => {
  const view = (i: number): Record<string, unknown> => ({
    lockId: i * 7919,
    domain: i % 5 ? 'fs1' : 'f"s\\1',
    resource: ['meta/k1', 'r/n1/2', 'é/ü', 'a\u2028b', 'tab\there', 'x'.repeat(200), '\u0000'][i % 7],
    node: `n${i % 4}`,
    mode: 'PR',
    status: ['granted', 'converting', 'waiting'][i % 3],
    ...(i % 3 ? {requestedMode: i % 6 === 1 ? undefined : 'EX'} : {}),
    persistent: i % 2 === 0,
    valid: i % 4 === 0,
    invalidReasons: [[], ['ORPHANED'], ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID']][i % 3],
    lvb: i % 2 ? '00'.repeat(32) : 'ab'.repeat(1024),
  })
  it('the bytes of JSON.stringify(doc, null, 2), mixed with items of other shapes, across buffer flushes', async () => {
    const items: unknown[] = Array.from({length: 9000}, (_, i) => view(i))
    // Not lock views: a key more, a key less, keys in another order, a field of another type.
    items.splice(10, 0, {...view(0), lockId: 0}, {...view(1), lockId: Number.MAX_SAFE_INTEGER}, {...view(2), lockId: -3}, {...view(1), extra: 1}, (({lvb: _l, ...v}) => v)(view(2)), {lvb: 'x', ...view(3)}, {...view(4), lockId: 1.5}, {...view(5), valid: 'yes'}, {...view(6), invalidReasons: [1]}, null, 7)
    expect(await jsonOf(items)).toBe(JSON.stringify({locks: items}, null, 2) + '\n')
    expect(await jsonOf(items.slice(0, 1))).toBe(JSON.stringify({locks: items.slice(0, 1)}, null, 2) + '\n')
  })
})

describe('writeJson', () => {
  const big = Array.from({length: 5000}, (_, i) => i)
  const names = Array.from({length: 4100}, (_, i) => `meta/"k${i}`)
  it.each([
    1, 'x', null, [], {}, {a: undefined, b: 1}, big,
    {node: 'n2', domains: [{domain: 'fs1', orphaned: big, names, empty: [], o: {x: [1, 2]}}, {domain: 'fs2', orphaned: []}], n: [big, [1]]},
    [[big]], {x: {y: {z: names}}},
    // Long arrays of numbers JSON prints otherwise (NaN, ±Infinity as null, -0 as 0), of strings that need escaping, and mixed.
    [...big.slice(0, 3000), NaN, -0, Infinity, 1.5e300], names.map((n, i) => (i % 97 ? n : `\u2028"\\\n${n}`)), [...big.slice(0, 2100), 'x', null, [1], {a: 1}, true],
  ])('%#: the bytes of JSON.stringify(value, null, 2), long arrays written piecewise', async (v) => {
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (c: Buffer) => chunks.push(c))
    await writeJson(out, v)
    expect(Buffer.concat(chunks).toString()).toBe(JSON.stringify(v, null, 2) + '\n')
  })
})

describe('a domain streamed in name order', () => {
  let ctx: Ctx
  const names: string[] = []
  beforeAll(async () => {
    ctx = await newCluster()
    for (let i = 0; i < 300; i++) {
      const name = `r/${(i * 7919) % 1000}`
      names.push(name)
      await requestLockOp(ctx, {fs: 'fs1', resource: name, node: i % 2 ? 'n1' : 'n2', mode: 'PR', persistent: i % 3 === 0})
    }
    // Some bucket files as older versions wrote them (one line) or out of order: read from memory.
    const dir = join(ctx.root, 'domains/fs1/res')
    readdirSync(dir).forEach((f, i) => {
      const data = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {resources: Resource[]}
      if (i % 3 === 0) writeFileSync(join(dir, f), JSON.stringify(data) + '\n')
      if (i % 3 === 1 && data.resources.length > 1) writeFileSync(join(dir, f), JSON.stringify({resources: data.resources.reverse()}) + '\n')
    })
  }, 60_000)

  it('every lock once, resources in name order, each in queue order', async () => {
    const {locks} = await listLocks(ctx, {fs: 'fs1'}, async () => ['fs1'])
    const resources = locks.map((l) => l.resource).filter((r) => r.startsWith('r/'))
    expect(resources).toEqual([...names].sort())
    expect(locks.map((l) => l.resource)).toEqual(locks.map((l) => l.resource).sort())
    expect(new Set(locks.map((l) => l.lockId)).size).toBe(locks.length)
  })

  it('the stream and the list agree, filters included', async () => {
    for (const f of [{fs: 'fs1'}, {fs: 'fs1', node: 'n2'}, {fs: 'fs1', resource: 'r/1*'}, {fs: 'fs1', resource: 'r/7'}, {}]) {
      const all = await listLocks(ctx, f, async () => ['fs1'])
      // Twice over the same stream (a table measures, then prints): the same both times.
      const streamed = await streamLocks(ctx, f, async () => ['fs1'], async (it) => {
        const passes: unknown[][] = [[], []]
        for (const p of passes) for await (const l of it) p.push(l)
        return passes
      })
      expect(streamed[0]).toEqual(all.locks)
      expect(streamed[1]).toEqual(all.locks)
    }
  })

  it('a damaged bucket fails the listing before the first lock', async () => {
    const f = join(ctx.root, 'domains/fs1/res', readdirSync(join(ctx.root, 'domains/fs1/res')).at(-1)!)
    const good = readFileSync(f)
    writeFileSync(f, good.subarray(0, good.length - 5))
    try {
      let produced = 0
      await expect(
        streamLocks(ctx, {fs: 'fs1'}, async () => ['fs1'], async (it) => {
          for await (const _ of it) produced++
        }),
      ).rejects.toMatchObject({code: 'STATE_CORRUPT'})
      expect(produced).toBe(0)
    } finally {
      writeFileSync(f, good)
    }
  })
})

async function exported(ctx: Ctx): Promise<string> {
  let out = ''
  await writeExport(ctx, async (t) => {
    out += typeof t === 'string' ? t : t.toString('utf8')
  })
  return out
}

describe('export streamed', () => {
  it('the same bytes as the whole document: empty domains, thousands of resources, a death', async () => {
    const empty = await newCluster()
    expect(await exported(empty)).toBe(canonicalJson(await exportState(empty)))
    // Thousands of resources in one transaction (bench's generator), not 2,100 commits: n2 holds 420 persistent EX with value blocks.
    const root = mkdtempSync(join(TEST_BASE, 'dlmctl-stream-'))
    onTestFinished(() => rmSync(root, {recursive: true, force: true}))
    await makeCluster({state: join(root, 'c'), locks: 2100, nodeLocks: 420}, testClock)
    const ctx: Ctx = {root: join(root, 'c'), waitMs: 5000, clock: testClock}
    expect(await exported(ctx)).toBe(canonicalJson(await exportState(ctx)))
    await markDead(ctx, 'n2', {skipFence: true})
    const whole = canonicalJson(await exportState(ctx))
    expect(await exported(ctx)).toBe(whole)
    expect(JSON.parse(whole).domains[0].resources.length).toBeGreaterThan(1000)
  }, 120_000)
})

describe('export resources written byte by byte', () => {
  it('the bytes canonicalJson prints at their depth, for resources of the stored shape and any other', async () => {
    const lock = (i: number): Record<string, unknown> => ({id: i, node: `n${i % 3}`, mode: 'PR', persistent: i % 2 === 0, lvb: i % 4 ? '00'.repeat(32) : 'ab'.repeat(1024), ...(i % 5 === 1 ? {requestedMode: 'EX'} : {}), ...(i % 7 === 1 ? {writeLvb: 'cd'} : {})})
    const res = (i: number): Record<string, unknown> => ({
      name: ['meta/k1', 'é/ü', 'a"b', 'tab\there', '\u2028', 'x'.repeat(200)][i % 6],
      lvb: '00'.repeat(32),
      lvbValid: i % 3 !== 0,
      persistent: i % 2 === 1,
      grantQueue: Array.from({length: i % 3}, (_, k) => lock(i * 10 + k)),
      convertQueue: i % 4 === 0 ? [{...lock(i), requestedMode: 'EX', writeLvb: undefined}] : [],
      waitQueue: Array.from({length: i % 2}, (_, k) => lock(i * 20 + k)),
    })
    const items: unknown[] = Array.from({length: 6000}, (_, i) => res(i))
    // Not of the stored shape: a key more or less, a field of another type, not an object.
    items.splice(5, 0, {...res(1), extra: [1]}, (({lvb: _l, ...r}) => r)(res(2)), {...res(3), grantQueue: [{...lock(1), extra: 1}]}, {...res(4), persistent: 1}, {...res(5), waitQueue: [{...lock(2), id: 0.5}]}, null, 'x')
    for (const list of [items, items.slice(0, 1), []]) {
      const chunks: Buffer[] = []
      await writeExportResources(list, async (c) => void chunks.push(c), canonicalJson)
      const doc = canonicalJson({domains: [{resources: list}]})
      // The array as it sits in the document (the value of "resources", at 6 spaces).
      const at = doc.indexOf('"resources": ') + '"resources": '.length
      expect(Buffer.concat(chunks).toString('utf8')).toBe(doc.slice(at, doc.length - '\n    }\n  ]\n}\n'.length))
    }
  })
})

describe('check with bounded memory still finds', () => {
  it('a lock id twice, a lock the index misses, an index entry for a lock that is not there', async () => {
    const ctx = await newCluster()
    const a = await requestLockOp(ctx, {fs: 'fs1', resource: 'x/a', node: 'n1', mode: 'PR'})
    const b = await requestLockOp(ctx, {fs: 'fs1', resource: 'x/b', node: 'n1', mode: 'PR'})
    expect((await checkState(ctx)).ok).toBe(true)
    // x/b's lock takes x/a's id; the index still names x/b for b's id.
    const dir = join(ctx.root, 'domains/fs1/res')
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8')
      if (text.includes('"x/b"')) writeFileSync(join(dir, f), text.replace(`"id":${b.lockId},`, `"id":${a.lockId},`))
    }
    const r = await checkState(ctx)
    expect(r.ok).toBe(false)
    const messages = r.problems.map((p) => p.message)
    expect(messages.some((m) => m === `lock id ${a.lockId} appears twice (x/a, x/b)` || m === `lock id ${a.lockId} appears twice (x/b, x/a)`)).toBe(true)
    expect(messages).toContain(`index names lock ${b.lockId} on x/b, which does not hold it`)
  })

  it('names out of order, or twice, in a bucket file in the line layout (writers find lines by binary search)', async () => {
    const ctx = await newCluster()
    const names = Array.from({length: 3000}, (_, i) => `y/${i}`).filter((n) => bucketOf(n) === bucketOf('y/0')).slice(0, 3)
    for (const n of names) await requestLockOp(ctx, {fs: 'fs1', resource: n, node: 'n1', mode: 'PR'})
    expect((await checkState(ctx)).ok).toBe(true)
    const file = join(ctx.root, 'domains/fs1/res', `${bucketOf('y/0').toString(16).padStart(2, '0')}.json`)
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n')
    // Lines 1..3 are the three resources (',' after all but the last).
    const body = lines.slice(1, 4).map((l) => l.replace(/,$/, ''))
    const sorted = [...names].sort()
    writeFileSync(file, [lines[0], [body[1], body[0], body[2]].join(',\n'), ...lines.slice(4)].join('\n'))
    expect((await checkState(ctx)).problems.map((p) => p.message)).toContain(`resource '${sorted[0]}' comes after '${sorted[1]}': names are not in order`)
    writeFileSync(file, [lines[0], [body[0], body[0], body[1], body[2]].join(',\n'), ...lines.slice(4)].join('\n'))
    expect((await checkState(ctx)).problems.map((p) => p.message)).toContain(`resource '${sorted[0]}' appears twice`)
  })
})
