// "What you confirmed is what is done", in-process against the core: a death,
// a forced validate and a recovery run only if the preview or plan shown, and
// --expect-generation, still hold when they commit; otherwise STATE_CHANGED and
// nothing on disk changes.
import {describe, expect, it} from 'vitest'
import {markDeadConfirmed, previewForcedValidate, recoverConfirmed, validateConfirmed, detachConfirmed} from '../../src/core/confirmed.js'
import {attachOp, listDomains} from '../../src/core/domains.js'
import {requestLockOp} from '../../src/core/locks.js'
import {listNodes, markDead} from '../../src/core/nodes.js'
import {planRecovery} from '../../src/core/recover.js'
import {exportState} from '../../src/core/cluster-views.js'
import {DlmError} from '../../src/errors.js'
import {tempClusters} from './helpers/clusters.js'

const newCluster = tempClusters('confirmed')

async function refusal(p: Promise<unknown>): Promise<DlmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(DlmError)
  expect((e as DlmError).code).toBe('STATE_CHANGED')
  expect((e as DlmError).exitCode).toBe(5)
  return e as DlmError
}

const request = (ctx: Parameters<typeof requestLockOp>[0], resource: string, node: string, mode: 'PR' | 'EX', persistent = false) =>
  requestLockOp(ctx, {fs: 'fs1', resource, node, mode, persistent})

describe('mark-dead as previewed', () => {
  it('the same state: done', async () => {
    const ctx = await newCluster()
    await request(ctx, 'meta/a', 'n2', 'EX', true)
    const preview = await markDead(ctx, 'n2', {dryRun: true})
    const r = await markDeadConfirmed(ctx, 'n2', {preview}, {})
    expect(r.alreadyDead).toBe(false)
    expect(r.domains).toEqual(preview.domains)
  })

  it('a persistent lock taken after the preview: STATE_CHANGED naming the orphans, nothing changed', async () => {
    const ctx = await newCluster()
    const a = await request(ctx, 'meta/a', 'n2', 'EX', true)
    const preview = await markDead(ctx, 'n2', {dryRun: true})
    const b = await request(ctx, 'meta/b', 'n2', 'EX', true)
    const before = await exportState(ctx)
    const e = await refusal(markDeadConfirmed(ctx, 'n2', {preview}, {}))
    expect(e.message).toContain(`fs1 locks orphaned: now ${a.lockId}, ${b.lockId} (shown: ${a.lockId})`)
    expect(await exportState(ctx)).toEqual(before)
  })

  it('--expect-generation: the generation before the death must match', async () => {
    const ctx = await newCluster()
    const {generation} = await listNodes(ctx)
    const e = await refusal(markDeadConfirmed(ctx, 'n2', {expectGeneration: generation + 1}, {}))
    expect(e.message).toBe(`the state changed since --expect-generation ${generation + 1}: membership generation is ${generation}, not ${generation + 1}; nothing changed (look again and rerun)`)
    expect((await markDeadConfirmed(ctx, 'n2', {expectGeneration: generation}, {})).generation).toBe(generation + 1)
  })

  it('another death between preview and commit: the generation and epoch moved', async () => {
    const ctx = await newCluster()
    const preview = await markDead(ctx, 'n2', {dryRun: true})
    await markDead(ctx, 'n3')
    const e = await refusal(markDeadConfirmed(ctx, 'n2', {preview}, {}))
    expect(e.message).toMatch(/generation: now \d+ \(shown: \d+\)/)
    expect(e.message).toMatch(/fs1 epoch: now 2 \(shown: 1\)/)
  })
})

describe('validate --force as previewed', () => {
  it('names what it abandons; refuses when the epoch moved after the preview', async () => {
    const ctx = await newCluster()
    await markDead(ctx, 'n3')
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    const preview = await previewForcedValidate(ctx, 'fs1', id)
    expect(preview.abandoned).toEqual([]) // n3 wrote nothing
    await markDead(ctx, 'n2')
    await refusal(validateConfirmed(ctx, 'fs1', id, {preview}, {force: true}))
    expect((await listDomains(ctx, ['fs1'])).domains[0].state).toBe('recovering')
  })
})

describe('recover as planned', () => {
  it('refuses before anything changes when the plan moved; runs when it did not', async () => {
    const ctx = await newCluster()
    await request(ctx, 'meta/a', 'n3', 'EX', true)
    await markDead(ctx, 'n3')
    const plan = await planRecovery(ctx, ['fs1'])
    await markDead(ctx, 'n2')
    const before = await exportState(ctx)
    const e = await refusal(recoverConfirmed(ctx, ['fs1'], {preview: plan}, {maxAttempts: 3}))
    expect(e.message).toContain('fs1 dead nodes: now n2, n3 (shown: n3)')
    expect(await exportState(ctx)).toEqual(before)
    const again = await planRecovery(ctx, ['fs1'])
    const r = await recoverConfirmed(ctx, ['fs1'], {preview: again}, {maxAttempts: 3})
    expect(r.domains[0].result).toBe('RECOVERED')
  })
})

describe('domain detach with --expect-generation', () => {
  it('a stale generation refuses, the current one detaches', async () => {
    const ctx = await newCluster()
    await markDead(ctx, 'n3')
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    const {generation} = await listNodes(ctx)
    await refusal(detachConfirmed(ctx, 'fs1', id, {expectGeneration: generation - 1}))
    expect((await detachConfirmed(ctx, 'fs1', id, {expectGeneration: generation})).detached).toBe(true)
  })
})
