// `lock list --json` writes the views of a checked bucket line's locks from the
// line's bytes (render/lock-view-lines.ts). Whatever the lines hold, the bytes must
// be those of lockView's objects through JSON.stringify, and the listing the same
// document as the one built from parsed resources.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {TEST_BASE, tempClusters} from './helpers/clusters.js'
import {prng} from '../prng.js'
import {bucketText, mergeRuns, type Run} from '../../src/core/ordered.js'
import {LockLine, type LineDomain} from '../../src/core/lock-line.js'
import {convertLockOp, listLocks, requestLockOp, streamLocks, type ListFilter} from '../../src/core/locks.js'
import {markDead} from '../../src/core/nodes.js'
import {allLocks, lockStatus} from '../../src/model/resource.js'
import type {DomainMeta, Lock, NodeState, Resource} from '../../src/model/types.js'
import {lockView} from '../../src/model/validity.js'
import {writeJsonList} from '../../src/render/json-stream.js'
import {canonicalBucketLines} from '../../src/store/schema.js'
import {ResourceLine, resourceLineAt} from '../../src/store/resource-line.js'

const rng = prng(11)
const rnd = rng.int
const pick = rng.pick
const MODES = ['NL', 'CR', 'CW', 'PR', 'PW', 'EX'] as const
const NODES = ['n1', 'n2', 'node-7', 'ghost'] // ghost: not a member of the cluster
const hex = () => ['', '00', 'ab'.repeat(rnd(40)), '0123456789abcdef'.repeat(4)][rnd(4)]

function lock(id: number): Lock {
  const l: Lock = {id, node: pick(NODES), mode: pick(MODES), persistent: rnd(2) === 0, lvb: hex()}
  if (rnd(3) === 0) l.requestedMode = pick(MODES)
  if (rnd(4) === 0) l.writeLvb = hex()
  return l
}

const NAMES = ['meta/k', 'r/~', 'a!b', 'x{y', 'deadman/n', 'c}', "u'|", 'q'.repeat(70)]
function resource(i: number): Resource {
  const q = () => Array.from({length: rnd(4)}, () => lock(1 + rnd(1e12)))
  return {name: `${pick(NAMES)}${i}`, lvb: hex(), lvbValid: rnd(2) === 0, persistent: rnd(2) === 0, grantQueue: q(), convertQueue: q(), waitQueue: q()}
}

async function written(items: Iterable<unknown>): Promise<string> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await writeJsonList(out, 'locks', items)
  return Buffer.concat(chunks).toString('utf8')
}

/** Every line of a bucket file, as LockLines of the domain. */
function lockLines(text: string, domain: LineDomain): LockLine[] {
  expect(canonicalBucketLines(text)).toBeDefined()
  const buf = Buffer.from(text, 'utf8')
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
  const out: LockLine[] = []
  for (let at = buf.indexOf(10) + 1; buf[at] === 0x7b; at = buf.indexOf(10, at) + 1) out.push(new LockLine(resourceLineAt(buf, view, at), domain))
  return out
}

describe('lock views written from bucket lines', () => {
  const states: Record<string, NodeState> = {n1: 'up', n2: 'dead', 'node-7': 'recovered'}
  const meta = (state: DomainMeta['state'], name = 'fs1'): DomainMeta => ({name, members: ['n1', 'n2', 'node-7'], state, epoch: 3, deadNodes: state === 'recovering' ? ['n2'] : [], attachments: [], nextLockId: 1e13, nextAttachId: 1})
  const filters: [string, (node: string, status: string, valid: boolean) => boolean][] = [
    ['every lock', () => true],
    ['one holder', (node) => node === 'n2'],
    ['not valid', (_n, _s, valid) => !valid],
    ['waiting or converting', (_n, status) => status !== 'granted'],
  ]

  it.each(filters)('the bytes of lockView through JSON.stringify, any line, any domain: %s', async (_, keep) => {
    for (const m of [meta('normal'), meta('recovering'), meta('normal', 'f"s\\1'), meta('recovering', 'fs-é')]) {
      const domain: LineDomain = {meta: m, holderState: (node) => states[node], keep}
      const resources = Array.from({length: 400}, (_, i) => resource(i))
      const views = resources.flatMap((r) => allLocks(r).map((l) => lockView(l, r, m, states[l.node], lockStatus(r, l))).filter((v) => keep(v.node, v.status, v.valid)))
      const lines = lockLines(bucketText(rnd(2) * 5, resources), domain)
      expect(await written(lines)).toBe(JSON.stringify({locks: views}, null, 2) + '\n')
      // Mixed with views as objects, and other items, across buffer flushes.
      const mixed: unknown[] = []
      lines.forEach((l, i) => mixed.push(l, ...(i % 3 ? [] : [views[i % views.length], {other: i}])))
      const expected = mixed.flatMap((x) => (x instanceof LockLine ? views.filter((v) => v.resource === x.line.name) : [x]))
      expect(await written(mixed)).toBe(JSON.stringify({locks: expected}, null, 2) + '\n')
    }
  })

  it('lines with keys repeated or in other orders (as canonicalBucketLines takes them): JSON.parse values', async () => {
    const variants = [
      '{"id":12,"node":"n1","mode":"PR","requestedMode":"EX","persistent":true,"lvb":"00"}',
      '{"id":1,"node":"n1","mode":"PR","requestedMode":"EX","persistent":false,"lvb":"","requestedMode":"CW","writeLvb":"ab"}',
      '{"id":3,"node":"node-7","mode":"NL","persistent":false,"lvb":"ab","writeLvb":"","writeLvb":"cd"}',
      '{"id":999999999999999,"node":"n2","mode":"EX","persistent":true,"lvb":"0000","writeLvb":"ff","requestedMode":"NL"}',
    ]
    const res = (name: string, q: string[]) => `{"name":"${name}","lvb":"abab","lvbValid":false,"persistent":true,"grantQueue":[${q.join(',')}],"convertQueue":[${q.slice(1).join(',')}],"waitQueue":[${q[0]}]}`
    const text = `{"resources":[\n${[res('a', variants), res('b/~', variants.slice(2)), res('c!}', [variants[1]])].join(',\n')}\n]}\n`
    const m = meta('recovering')
    const domain: LineDomain = {meta: m, holderState: (node) => states[node], keep: () => true}
    const parsed = (JSON.parse(text) as {resources: Resource[]}).resources
    const views = parsed.flatMap((r) => allLocks(r).map((l) => lockView(l, r, m, states[l.node], lockStatus(r, l))))
    expect(await written(lockLines(text, domain))).toBe(JSON.stringify({locks: views}, null, 2) + '\n')
  })
})

const newCluster = tempClusters('view-lines')

describe('lock list --json from bucket lines', () => {
  it('the same document as from parsed resources: waits, conversions, value blocks, a death, filters', async () => {
    const ctx = await newCluster()
    const fs = 'fs1'
    // 60 resources over three prefixes (120 before: the same kinds of lines, twice over).
    for (let i = 0; i < 60; i++) {
      const resource = `${['r/', 'z~/', 'meta/k'][i % 3]}${i % 20}`
      const node = ['n1', 'n2', 'n3'][i % 3]
      const v = await requestLockOp(ctx, {fs, resource, node, mode: i % 5 === 0 ? 'EX' : 'PR', persistent: i % 2 === 0})
      // A value block written (EX converted to EX with one), a conversion that waits.
      if (v.mode === 'EX' && v.status === 'granted') await convertLockOp(ctx, {fs, id: v.lockId, mode: 'EX', lvb: 'abcd'})
      else if (i % 11 === 0 && v.status === 'granted') await convertLockOp(ctx, {fs, id: v.lockId, mode: 'EX'})
    }
    const document = async (f: ListFilter) => {
      let lines = 0
      const text = await streamLocks(
        ctx,
        f,
        async () => [fs],
        (locks) => {
          const counted = (function* () {
            for (const l of locks) {
              if (l instanceof LockLine) lines++
              yield l
            }
          })()
          return written(counted)
        },
        {lines: true},
      )
      return {text, lines}
    }
    const filters: ListFilter[] = [{}, {fs}, {node: 'n2'}, {invalid: true}, {waiting: true}, {resource: 'z~/*'}, {resource: 'r/3'}]
    const check = async (wantLines: boolean) => {
      for (const f of filters) {
        const {text, lines} = await document(f)
        expect(text).toBe(JSON.stringify({locks: (await listLocks(ctx, f, async () => [fs])).locks}, null, 2) + '\n')
        if (wantLines && !f.resource?.startsWith('r/3')) expect(lines).toBeGreaterThan(0)
      }
    }
    await check(true)
    // After a death, before its change reaches the bucket files: they are behind, parsed and brought up to date.
    await markDead(ctx, 'n2', {skipFence: true})
    await check(false)
  }, 60_000)
})

describe('runs merged from bucket files', () => {
  it('lines longer than a read, as lines or parsed, names ASCII or not: the resources of the files, in the order of strings', () => {
    const dir = mkdtempSync(join(TEST_BASE, 'dlmctl-runs-'))
    // ASCII names compare by bytes; others as strings (UTF-16: \u{1f600} sorts before \uffee, its UTF-8 after).
    const names = ['r/', 'r/a', 'r/a~', 'r/ab', 'r/\u007f', 'r/é', 'r/\uffee', 'r/\u{1f600}', 'r/\u{1f600}a', 'rr', 'r', 'R']
    try {
      const files = [0, 1, 2].map((f) => {
        const resources = Array.from({length: 30}, (_, i) => ({...resource(i), name: `${names[(i * 3 + f) % names.length]}${Math.floor((i * 3 + f) / names.length)}`}))
        resources.sort((a, b) => (a.name < b.name ? -1 : 1))
        // Lines of 100 KiB and more (the reads are of 64 KiB).
        resources[5].lvb = 'ab'.repeat(50_000 + f)
        resources[6].grantQueue = Array.from({length: 2000}, (_, k) => lock(k + 1))
        const path = join(dir, `${f}.json`)
        writeFileSync(path, bucketText(0, resources))
        return {path, resources}
      })
      const all = files.flatMap((f) => f.resources).sort((a, b) => (a.name < b.name ? -1 : 1))
      const runs: Run[] = files.map((f) => ({kind: 'file', path: f.path, lvbSize: 32, checked: true}))
      expect([...mergeRuns(runs)]).toEqual(all)
      // A line is read before the merge's next step (its bytes are the run's).
      const lines: Resource[] = []
      for (const x of mergeRuns(runs, true)) lines.push(x instanceof ResourceLine ? x.parse() : x)
      expect(lines).toEqual(all)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
