// Every mutating command, in-process: a small cluster set up for it, and the
// command as the CLI calls the core (the command files are thin). Used by the
// crash-point, power-loss and error-injection suites (store-faults.test.ts).
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {systemClock} from '../../../src/core/clock.js'
import type {Ctx} from '../../../src/core/context.js'
import {attachOp, detachOp, validateOp} from '../../../src/core/domains.js'
import {fsCheckpoint, fsWrite} from '../../../src/core/fs.js'
import {initCluster, type InitSpec} from '../../../src/core/init.js'
import {canonicalJson, checkState, exportState} from '../../../src/core/cluster-views.js'
import {convertLockOp, releaseLockOp, requestLockOp} from '../../../src/core/locks.js'
import {addNode, heartbeat, joinNode, markDead, staleNodes} from '../../../src/core/nodes.js'
import {recover} from '../../../src/core/recover.js'
import {replayOp} from '../../../src/core/replay.js'
import {testClock, TEST_BASE} from './clusters.js'

export const SPEC: InitSpec = {name: 'c', nodes: ['n1', 'n2', 'n3'], fs: [{name: 'fs1', members: ['n1', 'n2', 'n3']}], lvbSize: 8, fenceCmd: null, fenceTimeoutMs: 30_000}

export interface Scenario {
  name: string
  /** Build the state the command starts from (root does not exist yet). */
  setup(ctx: Ctx): Promise<unknown>
  run(ctx: Ctx): Promise<unknown>
  /** recover commits step by step: a crash leaves the state after one of its steps. */
  stepwise?: boolean
}

const ctxOf = (root: string): Ctx => ({root, waitMs: 2000, clock: testClock})
const init = (ctx: Ctx) => initCluster(ctx.root, SPEC, testClock)
const skip = {skipFence: true, reason: 'test'}

/** n2 holds a persistent EX on meta/a and wrote a=1 through its journal. */
async function n2Wrote(ctx: Ctx) {
  await init(ctx)
  await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
  await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], [])
}
/** ... and died; n1 attached (id 1). */
async function n2DeadAttached(ctx: Ctx) {
  await n2Wrote(ctx)
  await markDead(ctx, 'n2', skip)
  await attachOp(ctx, 'fs1', 'n1')
}

export const SCENARIOS: Scenario[] = [
  {name: 'init', setup: async () => {}, run: init},
  {name: 'node add', setup: init, run: (ctx) => addNode(ctx, 'n4')},
  {
    name: 'node join',
    setup: async (ctx) => {
      await n2Wrote(ctx)
      await markDead(ctx, 'n2', skip)
      await recover(ctx, ['fs1'], {maxAttempts: 2})
    },
    run: (ctx) => joinNode(ctx, 'n2'),
  },
  {name: 'node mark-dead', setup: n2Wrote, run: (ctx) => markDead(ctx, 'n2', skip)},
  {
    name: 'node check',
    setup: async (ctx) => {
      await n2Wrote(ctx)
      const later = {...ctx, clock: systemClock({DLMCTL_CLOCK: '2026-01-01T01:00:00Z'})}
      await heartbeat(later, 'n1')
      await heartbeat(later, 'n3')
    },
    // What `node check --timeout 10m --yes --skip-fence` does.
    run: async (ctx) => {
      const later = {...ctx, clock: systemClock({DLMCTL_CLOCK: '2026-01-01T01:00:00Z'})}
      for (const n of await staleNodes(later, 600_000)) await markDead(later, n.name, skip)
    },
  },
  {
    name: 'domain attach',
    setup: async (ctx) => {
      await n2Wrote(ctx)
      await markDead(ctx, 'n2', skip)
    },
    run: (ctx) => attachOp(ctx, 'fs1', 'n1'),
  },
  {name: 'domain detach', setup: n2DeadAttached, run: (ctx) => detachOp(ctx, 'fs1', 1)},
  {name: 'lock request', setup: n2Wrote, run: (ctx) => requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR', persistent: true})},
  {
    name: 'lock convert',
    setup: async (ctx) => {
      await init(ctx)
      await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR', persistent: true})
    },
    run: async (ctx) => convertLockOp(ctx, {fs: 'fs1', id: await lastLockId(ctx), mode: 'EX'}),
  },
  {
    name: 'lock release',
    setup: async (ctx) => {
      await init(ctx)
      await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'EX', persistent: true})
      await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n3', mode: 'PR'})
    },
    run: async (ctx) => releaseLockOp(ctx, {fs: 'fs1', id: (await lastLockId(ctx)) - 1}),
  },
  {name: 'fs write', setup: n2Wrote, run: (ctx) => fsWrite(ctx, 'fs1', 'n2', [['a', '2']], [])},
  {name: 'fs checkpoint', setup: n2Wrote, run: (ctx) => fsCheckpoint(ctx, 'fs1', 'n2')},
  {name: 'replay', setup: n2DeadAttached, run: (ctx) => replayOp(ctx, 'fs1', 1)},
  {
    name: 'validate',
    setup: async (ctx) => {
      await n2DeadAttached(ctx)
      await replayOp(ctx, 'fs1', 1)
    },
    run: (ctx) => validateOp(ctx, 'fs1', 1),
  },
  {name: 'validate --force', setup: n2DeadAttached, run: (ctx) => validateOp(ctx, 'fs1', 1, {force: true})},
  {
    name: 'recover',
    setup: async (ctx) => {
      await n2Wrote(ctx)
      await markDead(ctx, 'n2', skip)
    },
    run: async (ctx) => {
      const r = await recover(ctx, ['fs1'], {maxAttempts: 2})
      // recover reports a failed domain in its result; the CLI turns it into the exit code.
      const failed = r.domains.find((d) => d.error)
      if (failed?.error) throw Object.assign(new Error(failed.error.message), failed.error)
      return r
    },
    stepwise: true,
  },
]

async function lastLockId(ctx: Ctx): Promise<number> {
  const e = (await exportState(ctx)) as {domains: {nextLockId: number}[]}
  return e.domains[0].nextLockId - 1
}

/** The state as a reader sees it: canonical export, or the error a reader gets (no cluster yet). */
export async function exported(ctx: Ctx): Promise<string> {
  try {
    return canonicalJson(await exportState(ctx))
  } catch (e) {
    return `error: ${(e as {code?: string}).code}`
  }
}

export async function checked(ctx: Ctx): Promise<{ok: boolean; problems: unknown[]; code?: string}> {
  try {
    const r = await checkState(ctx)
    return {ok: r.ok, problems: r.problems}
  } catch (e) {
    return {ok: false, problems: [String(e)], code: (e as {code?: string}).code}
  }
}

/** A fresh directory for a copy of a base state (tmpfs when there is one). */
export function scratch(prefix: string): {dir: string; done(): void} {
  const dir = mkdtempSync(join(TEST_BASE, `dlmctl-${prefix}-`))
  return {dir, done: () => rmSync(dir, {recursive: true, force: true})}
}

export function copyState(from: string, to: string): void {
  rmSync(to, {recursive: true, force: true})
  cpSync(from, to, {recursive: true})
}

export {ctxOf}
