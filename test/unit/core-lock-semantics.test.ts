// Issue 9 through the core, in-process, on temporary clusters: value-block
// writes and refusals, validate's revalidated (zeroed) value blocks, --quecvt,
// cancel of a waiting request, cycles across resources (with and without an
// orphan), and lock explain of a lock in a cycle or on a value that is not valid.
import {describe, expect, it} from 'vitest'
import {cyclesOp} from '../../src/core/cycles.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {explainOp} from '../../src/core/lock-diagnosis.js'
import {convertLockOp, listLocks, releaseLockOp, requestLockOp} from '../../src/core/locks.js'
import {markDead} from '../../src/core/nodes.js'
import type {Ctx} from '../../src/core/context.js'
import {DlmError} from '../../src/errors.js'
import type {Mode} from '../../src/model/modes.js'
import {tempClusters} from './helpers/clusters.js'

const cluster = tempClusters('lvb')
const ZERO = '00'.repeat(32)
const pad = (hex: string) => hex.padEnd(64, '0')

async function refusal(p: Promise<unknown>): Promise<DlmError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(DlmError)
    return e as DlmError
  }
  throw new Error('expected a refusal')
}

const req = (ctx: Ctx, resource: string, node: string, mode: Mode, persistent = false) =>
  requestLockOp(ctx, {fs: 'fs1', resource, node, mode, persistent})
const ids = async (ctx: Ctx) => (await listLocks(ctx, {fs: 'fs1'}, async () => ['fs1'])).locks.filter((l) => !l.resource.startsWith('deadman/'))

describe('value blocks through the core', () => {
  it('a request with --lvb is refused and changes nothing; a writer converting to its own mode writes', async () => {
    const ctx = await cluster()
    const pw = await req(ctx, 'r', 'n1', 'PW')
    const before = await ids(ctx)
    const e = await refusal(requestLockOp(ctx, {fs: 'fs1', resource: 'r', node: 'n2', mode: 'EX', lvb: 'beef'}))
    expect(e.code).toBe('LVB_NOT_WRITER')
    expect(e.exitCode).toBe(5)
    expect(e.detail).toEqual({resource: 'r', writers: [{lockId: pw.lockId, node: 'n1', mode: 'PW'}]})
    expect(await ids(ctx)).toEqual(before) // no lock made, no id taken
    const w = await convertLockOp(ctx, {fs: 'fs1', id: pw.lockId, mode: 'PW', lvb: '0a0b'})
    expect(w.lvb).toBe(pad('0a0b'))
    const up = await refusal(convertLockOp(ctx, {fs: 'fs1', id: pw.lockId, mode: 'EX', lvb: 'ff'}))
    expect(up.code).toBe('LVB_NOT_WRITER')
    expect(up.message).toMatch(/up-conversion/)
    const r = await releaseLockOp(ctx, {fs: 'fs1', id: pw.lockId, lvb: '0c'})
    expect(r.lvb).toBe(pad('0c'))
  })

  it('validate zeroes the value block of the persistent resources it makes valid again and lists them as revalidated', async () => {
    const ctx = await cluster()
    const ex = await req(ctx, 'meta/a', 'n2', 'EX', true)
    await convertLockOp(ctx, {fs: 'fs1', id: ex.lockId, mode: 'EX', lvb: '07'})
    const pw = await req(ctx, 'plain', 'n2', 'PW')
    await convertLockOp(ctx, {fs: 'fs1', id: pw.lockId, mode: 'PW', lvb: '2a'})
    const reader = await req(ctx, 'meta/a', 'n1', 'PR', true)
    expect(reader.status).toBe('waiting')
    await markDead(ctx, 'n2', {skipFence: true})
    const a = await attachOp(ctx, 'fs1', 'n1')
    const v = await validateOp(ctx, 'fs1', a.id)
    expect(v).toMatchObject({result: 'VALID', revalidated: ['meta/a'], granted: [reader.lockId]})
    const locks = await ids(ctx)
    expect(locks.find((l) => l.lockId === reader.lockId)).toMatchObject({status: 'granted', valid: true, lvb: ZERO})
    // The non-persistent resource keeps the dead writer's value, not valid, until a writer writes it.
    const plainReader = await req(ctx, 'plain', 'n1', 'CR')
    expect(plainReader).toMatchObject({valid: false, invalidReasons: ['VALNOTVALID'], lvb: pad('2a')})
  })
})

describe('--quecvt and --cancel through the core', () => {
  it('--quecvt queues a grantable up-conversion behind the one already waiting', async () => {
    const ctx = await cluster()
    await req(ctx, 'r', 'n1', 'PR')
    const a = await req(ctx, 'r', 'n2', 'NL')
    const b = await req(ctx, 'r', 'n3', 'NL')
    expect((await convertLockOp(ctx, {fs: 'fs1', id: a.lockId, mode: 'EX'})).status).toBe('converting')
    const q = await convertLockOp(ctx, {fs: 'fs1', id: b.lockId, mode: 'CR', quecvt: true})
    expect(q).toMatchObject({status: 'converting', mode: 'NL', requestedMode: 'CR'})
    const e = await refusal(convertLockOp(ctx, {fs: 'fs1', id: a.lockId, mode: 'NL', quecvt: true, cancel: true}))
    expect(e.code).toBe('USAGE')
  })

  it('--cancel of a waiting request withdraws it (as release), says so, and serves the queue', async () => {
    const ctx = await cluster()
    await req(ctx, 'r', 'n1', 'PR')
    const w = await req(ctx, 'r', 'n2', 'EX')
    const behind = await req(ctx, 'r', 'n3', 'PR')
    expect(behind.status).toBe('waiting')
    const c = await convertLockOp(ctx, {fs: 'fs1', id: w.lockId, cancel: true})
    expect(c).toMatchObject({lockId: w.lockId, status: 'waiting', cancelled: 'request', granted: [behind.lockId]})
    const locks = await ids(ctx)
    expect(locks.map((l) => l.lockId)).not.toContain(w.lockId)
    // the lock index forgot it too: it is unknown now
    expect((await refusal(convertLockOp(ctx, {fs: 'fs1', id: w.lockId, cancel: true}))).code).toBe('UNKNOWN_LOCK')
  })
})

describe('cycles through the core', () => {
  it('length 2 across resources; lock explain of each lock in it says so and names the locks to release', async () => {
    const ctx = await cluster()
    const x1 = await req(ctx, 'x', 'n1', 'PR')
    const y2 = await req(ctx, 'y', 'n2', 'PR')
    const y1 = await req(ctx, 'y', 'n1', 'EX')
    const x2 = await req(ctx, 'x', 'n2', 'EX')
    const r = await cyclesOp(ctx, 'fs1')
    expect(r.cycles).toHaveLength(1)
    expect(r.cycles[0].locks.map((l) => l.lockId)).toEqual([x1.lockId, y1.lockId, y2.lockId, x2.lockId])
    expect(r.cycles[0]).toMatchObject({nodes: ['n1', 'n2'], resources: ['x', 'y'], release: [x1.lockId, y2.lockId], cancel: [y1.lockId, x2.lockId]})
    for (const id of [x1.lockId, y1.lockId]) {
      const e = await explainOp(ctx, 'fs1', id)
      expect(e.cycles?.map((c) => c.release)).toEqual([[x1.lockId, y2.lockId]])
    }
    // a lock on no cycle: no cycles field
    const z = await req(ctx, 'z', 'n3', 'PR')
    expect((await explainOp(ctx, 'fs1', z.lockId)).cycles).toBeUndefined()
  })

  it('length 3 with an orphan in it: the orphan is listed, validate alone releases it', async () => {
    const ctx = await cluster(['n1', 'n2', 'n3', 'n4'])
    const orphan = await req(ctx, 'z', 'n4', 'PR', true)
    await req(ctx, 'x', 'n1', 'PR')
    await req(ctx, 'y', 'n2', 'PR')
    await req(ctx, 'z', 'n3', 'PR')
    await req(ctx, 'y', 'n1', 'EX')
    const z2 = await req(ctx, 'z', 'n2', 'EX')
    await req(ctx, 'x', 'n3', 'EX')
    await markDead(ctx, 'n4', {skipFence: true})
    const r = await cyclesOp(ctx, 'fs1')
    expect(r.cycles).toHaveLength(1)
    expect(r.cycles[0].nodes).toEqual(['n1', 'n2', 'n3'])
    expect(r.cycles[0].orphans.map((l) => [l.lockId, l.node, l.invalidReasons])).toEqual([[orphan.lockId, 'n4', ['DOMAIN_RECOVERING', 'ORPHANED']]])
    const e = await explainOp(ctx, 'fs1', z2.lockId)
    expect(e.cycles?.[0].orphans.map((l) => l.lockId)).toEqual([orphan.lockId])
  })
})

describe('lock explain of a value that is not valid: why, and who can make it valid', () => {
  it('names the live PW/EX holders that may write it', async () => {
    const ctx = await cluster()
    const pw = await req(ctx, 'plain', 'n2', 'PW')
    await convertLockOp(ctx, {fs: 'fs1', id: pw.lockId, mode: 'PW', lvb: '2a'})
    const ex = await req(ctx, 'plain', 'n1', 'EX')
    await markDead(ctx, 'n2', {skipFence: true})
    const e = await explainOp(ctx, 'fs1', ex.lockId)
    const why = e.reasons.find((r) => r.reason === 'VALNOTVALID')!
    expect(why.because).toMatch(/n2 died holding it in PW or EX; the last writer may have left it half written/)
    expect(why.writers).toEqual([{lockId: ex.lockId, node: 'n1', mode: 'EX'}])
    expect(why.fix).toMatch(/not persistent, so validate leaves it alone/)
    expect(why.fix).toMatch(new RegExp(`lock ${ex.lockId} \\(n1, EX\\) may write it now`))
  })
})

describe('a lock whose holder is not up', () => {
  it('convert, cancel and release are refused (NODE_NOT_UP), an orphan pointing at validate', async () => {
    const ctx = await cluster()
    const orphan = await req(ctx, 'meta/o', 'n2', 'EX', true)
    const plain = await req(ctx, 'p', 'n2', 'PR')
    await markDead(ctx, 'n2', {skipFence: true})
    for (const op of [
      () => convertLockOp(ctx, {fs: 'fs1', id: orphan.lockId, mode: 'PR'}),
      () => convertLockOp(ctx, {fs: 'fs1', id: orphan.lockId, cancel: true}),
      () => releaseLockOp(ctx, {fs: 'fs1', id: orphan.lockId}),
    ]) {
      const e = await refusal(op())
      expect([e.code, e.message]).toEqual(['NODE_NOT_UP', `lock ${orphan.lockId} is held by dead node n2 (an orphan: validate releases it; dlmctl recover fs1)`])
    }
    // A death drops the node's other locks: nothing left to refuse.
    expect((await refusal(releaseLockOp(ctx, {fs: 'fs1', id: plain.lockId}))).code).toBe('UNKNOWN_LOCK')
  })
})
