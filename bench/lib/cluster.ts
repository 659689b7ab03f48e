// The benchmark cluster generator, shared by bench/make.ts (the command-line
// interface other tools use) and bench/run.ts. Everything goes through the
// store: initCluster creates the directory, then ONE transaction (withTx on the
// domain's scope) creates every lock with the model's requestLock, exactly the
// way `lock request` does, only without a process and a commit per lock.
import {resolve} from 'node:path'
import {usage} from '../../src/errors.js'
import {systemClock, type Clock} from '../../src/core/clock.js'
import {withTx, scopes, type Ctx} from '../../src/core/context.js'
import {initCluster} from '../../src/core/init.js'
import {requestLock} from '../../src/model/resource.js'
import type {Mode} from '../../src/model/modes.js'

export const BENCH_NODES = ['n1', 'n2', 'n3', 'n4']
export const BENCH_FS = 'fs1'
/** The node that holds the `--node-locks` persistent EX locks (the one the bench marks dead). */
export const HEAVY_NODE = 'n2'
const OTHER_NODES = ['n1', 'n3', 'n4']
const OTHER_MODES: Mode[] = ['NL', 'CR', 'PR']
const LVB_SIZE = 32

export interface MakeOptions {
  /** State directory to create (new or empty). */
  state: string
  /** Locks to create in fs1 (on top of the 16 deadman locks init takes for 4 members). */
  locks: number
  /** How many of them n2 holds (persistent EX, value block written). */
  nodeLocks: number
  /** Committed, not yet replayed journal records of a dead node (needs journals: not built yet). */
  records?: number
}

export interface MakeResult {
  state: string
  domain: string
  node: string
  replayNode: string | null
}

/** Resource names the generator uses (distinct per lock). */
export const heavyResource = (i: number) => `meta/k${i}`
export const otherResource = (node: string, i: number) => `r/${node}/${i}`

export function checkMakeOptions(o: MakeOptions): void {
  const count = (flag: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 0) throw usage(`${flag} must be a whole number ≥ 0 (got ${v})`)
  }
  if (!o.state) throw usage('--state DIR is required')
  count('--locks', o.locks)
  count('--node-locks', o.nodeLocks)
  if (o.nodeLocks > o.locks) throw usage(`--node-locks (${o.nodeLocks}) cannot exceed --locks (${o.locks})`)
  if (o.records !== undefined) {
    count('--records', o.records)
    if (!JOURNALS_BUILT) throw usage('--records needs file-system journals (not built yet)')
  }
}

export async function makeCluster(o: MakeOptions, clock: Clock = systemClock()): Promise<MakeResult> {
  checkMakeOptions(o)
  const root = resolve(o.state)
  await initCluster(
    root,
    {name: 'bench', nodes: BENCH_NODES, fs: [{name: BENCH_FS, members: BENCH_NODES}], lvbSize: LVB_SIZE, fenceCmd: null, fenceTimeoutMs: 30_000},
    clock,
  )
  const ctx: Ctx = {root, waitMs: 30_000, clock}
  await withTx(ctx, [scopes.domain(BENCH_FS)], async (s) => {
    const d = await s.domain(BENCH_FS)
    const take = async (resource: string, node: string, mode: Mode, persistent: boolean, lvb?: string) => {
      const res = await d.resourceForUpdate(resource)
      const lock = requestLock(res, {id: d.meta.nextLockId, node, mode, persistent, lvb})
      if (res.grantQueue[res.grantQueue.length - 1] !== lock) throw new Error(`generator: lock on ${resource} was not granted`)
      d.meta.nextLockId += 1
      await d.indexSet(lock.id, res.name)
    }
    // n2: persistent EX on meta/k<i>, each writing its value block, so that its
    // death leaves orphans and value blocks to invalidate.
    for (let i = 0; i < o.nodeLocks; i++) {
      await take(heavyResource(i), HEAVY_NODE, 'EX', true, (i + 1).toString(16).padStart(8, '0').padEnd(LVB_SIZE * 2, '0'))
    }
    // The rest: n1, n3, n4 in turn, each on its own resources, NL/CR/PR in turn.
    for (let j = 0; j < o.locks - o.nodeLocks; j++) {
      const node = OTHER_NODES[j % OTHER_NODES.length]
      await take(otherResource(node, j), node, OTHER_MODES[Math.floor(j / OTHER_NODES.length) % OTHER_MODES.length], false)
    }
    d.changed()
  })
  const replayNode = o.records !== undefined ? await addReplayJournal(ctx, o.records) : null
  return {state: root, domain: BENCH_FS, node: HEAVY_NODE, replayNode}
}

// =====================================================================
// JOURNALS — NOT BUILT YET. When file-system journals exist in src/:
//  1. set JOURNALS_BUILT = true;
//  2. implement addReplayJournal: through the store, have a node of fs1 other
//     than n2 (n4, say) take persistent EX on meta/k<key> locks, write `records`
//     committed records into its journal of fs1 (set records in transactions,
//     each closed by a commit record; write the journal file directly in large
//     appends rather than one transaction per record, or 1,000,000 records will
//     not be "fast"), leave its checkpoint at 0, then mark it dead (applyDeath in
//     one withTx, as `node mark-dead` does) so its journal awaits replay;
//  3. return that node's name (it becomes `replayNode` in the printed JSON).
// bench/run.ts has the matching placeholder for the `replay` measurement.
// =====================================================================
export const JOURNALS_BUILT = false

async function addReplayJournal(_ctx: Ctx, _records: number): Promise<string> {
  throw usage('--records needs file-system journals (not built yet)')
}
