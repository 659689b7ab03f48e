// The benchmark cluster generator, shared by bench/make.ts (the command-line
// interface other tools use) and bench/run.ts. Everything goes through the
// store: initCluster creates the directory, then ONE transaction (withTx on the
// domain's scope) creates every lock with the model's requestLock, exactly the
// way `lock request` does, only without a process and a commit per lock.
import {dirname, join, resolve} from 'node:path'
import {mkdir, open} from 'node:fs/promises'
import {encodeRecord} from '../../src/journal/format.js'
import {metaResource} from '../../src/model/metadata.js'
import {markDead} from '../../src/core/nodes.js'
import {fsyncDir} from '../../src/store/durable.js'
import {journalFile} from '../../src/store/layout.js'
import {usage} from '../../src/errors.js'
import {systemClock, type Clock} from '../../src/core/clock.js'
import {withTx, scopes, type Ctx} from '../../src/core/context.js'
import {initCluster} from '../../src/core/init.js'
import {convertLock, requestLock} from '../../src/model/resource.js'
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
  /** Committed, not yet replayed journal records of a dead node (n4). */
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
      const lock = requestLock(res, {id: d.meta.nextLockId, node, mode, persistent})
      if (res.grantQueue[res.grantQueue.length - 1] !== lock) throw new Error(`generator: lock on ${resource} was not granted`)
      // A request only reads the value block: the granted PW/EX holder writes it, converting to its own mode.
      if (lvb !== undefined) convertLock(res, lock.id, {mode, lvb})
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
// --records R: node REPLAY_NODE writes R committed set records (transactions of
// RECORDS_PER_TX sets and a commit) over REPLAY_KEYS keys of fs1, under persistent
// EX locks on meta/<key>, never checkpointed; then it dies (the real mark-dead),
// so its journal awaits replay. The journal is appended in large durable writes:
// one transaction through the store per record would take hours for 1,000,000.
// =====================================================================
export const JOURNALS_BUILT = true
export const REPLAY_NODE = 'n4'
const REPLAY_KEYS = 10_000
const RECORDS_PER_TX = 4
/** Keys of the replayed journal: apart from n2's meta/k<i> locks, so --records combines with --node-locks. */
export const replayKey = (i: number) => `j${i % REPLAY_KEYS}`

async function addReplayJournal(ctx: Ctx, records: number): Promise<string> {
  const keys = Math.min(REPLAY_KEYS, Math.max(records, 1))
  let nextSeq = 1
  await withTx(ctx, [scopes.domain(BENCH_FS)], async (s) => {
    const d = await s.domain(BENCH_FS)
    for (let k = 0; k < keys; k++) {
      const res = await d.resourceForUpdate(metaResource(replayKey(k)))
      const lock = requestLock(res, {id: d.meta.nextLockId, node: REPLAY_NODE, mode: 'EX', persistent: true})
      if (res.grantQueue[res.grantQueue.length - 1] !== lock) throw new Error(`generator: ${res.name} was not granted to ${REPLAY_NODE}`)
      d.meta.nextLockId += 1
      await d.indexSet(lock.id, res.name)
    }
    nextSeq = d.meta.nextSeq ?? 1
    d.meta.nextSeq = nextSeq + records + Math.ceil(records / RECORDS_PER_TX)
    d.changed()
  })
  // The journal: encoded records, appended in ~8 MiB pieces, fsynced, directory fsynced.
  const path = join(ctx.root, journalFile(BENCH_FS, REPLAY_NODE))
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  const fh = await open(path, 'a', 0o600)
  try {
    let seq = nextSeq
    let written = 0
    let chunk: string[] = []
    let chunkBytes = 0
    while (written < records) {
      const tx = seq
      const n = Math.min(RECORDS_PER_TX, records - written)
      for (let i = 0; i < n; i++) {
        const line = encodeRecord({seq: seq++, tx, op: 'set', key: replayKey(written + i), value: `v${tx}-${i}`})
        chunk.push(line)
        chunkBytes += line.length
      }
      chunk.push(encodeRecord({seq: seq++, tx, op: 'commit', n}))
      written += n
      if (chunkBytes > 8 << 20) {
        await fh.write(chunk.join(''))
        chunk = []
        chunkBytes = 0
      }
    }
    if (chunk.length) await fh.write(chunk.join(''))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fsyncDir(dirname(path))
  await markDead(ctx, REPLAY_NODE, {skipFence: true, reason: 'bench generator: --records'})
  return REPLAY_NODE
}
