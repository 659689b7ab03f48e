// npm run bench:etcd — the etcd backend's numbers (issue 12), in one run, as ONE
// JSON object on stdout (progress on stderr), on a local single-member etcd
// started here (Debian's etcd-server; fsync on, as in production):
// - `lock request` on etcd against the same request on a directory, interleaved
//   (ABBA), medians: target ratio ≤ 3;
// - `lock list fs1 --json` of a 100,000-lock domain: target < 3 s;
// - `node mark-dead n2` of a node holding 50,000 of them: target < 5 s.
// The 100,000 locks are made through the store, one transaction per bucket
// file (etcd takes at most 1.5 MiB per request), the same locks as bench:make.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {log, median, packageRoot, round, runNode} from './lib/stats.js'
import {BENCH_FS, BENCH_NODES, HEAVY_NODE, heavyResource, otherResource} from './lib/cluster.js'
import {systemClock} from '../src/core/clock.js'
import {withTx, scopes, type Ctx} from '../src/core/context.js'
import {initCluster} from '../src/core/init.js'
import {convertLock, requestLock} from '../src/model/resource.js'
import type {Mode} from '../src/model/modes.js'
import {bucketOf} from '../src/store/layout.js'
import {startEtcd} from '../test/unit/helpers/etcd.js'

const ROOT = packageRoot()
const RUN = join(ROOT, 'bin', 'run.js')
const BIG_LOCKS = Number(process.env.BENCH_ETCD_LOCKS ?? 100_000)
const BIG_NODE_LOCKS = Math.floor(BIG_LOCKS / 2)
const REQUEST_RUNS = 10
const LIST_RUNS = 3
const LVB_SIZE = 32
const OTHER_NODES = ['n1', 'n3', 'n4']
const OTHER_MODES: Mode[] = ['NL', 'CR', 'PR']

const cli = (state: string, ...args: string[]) => [RUN, ...args, '--state', state, '--wait', '60s']
const run = (state: string, ...args: string[]) => {
  const r = runNode(cli(state, ...args), {cwd: ROOT, capture: true})
  if (r.status !== 0) throw new Error(`dlmctl ${args.join(' ')} exited ${r.status}: ${(r.stderr.trim() || r.stdout.trim()).slice(0, 500)}`)
  return r
}
const spec = () => ({name: 'bench', nodes: BENCH_NODES, fs: [{name: BENCH_FS, members: BENCH_NODES}], lvbSize: LVB_SIZE, fenceCmd: null, fenceTimeoutMs: 30_000})

/** The bench:make locks (n2: persistent EX with a value block; the rest n1/n3/n4), one transaction per bucket. */
async function makeOnEtcd(url: string, locks: number, nodeLocks: number): Promise<void> {
  const clock = systemClock()
  await initCluster(url, spec(), clock, 30_000)
  const ctx: Ctx = {root: url, waitMs: 60_000, clock}
  type Want = {resource: string; node: string; mode: Mode; persistent: boolean; lvb?: string}
  const byBucket = new Map<number, Want[]>()
  const add = (w: Want) => {
    const b = bucketOf(w.resource)
    const l = byBucket.get(b)
    if (l) l.push(w)
    else byBucket.set(b, [w])
  }
  for (let i = 0; i < nodeLocks; i++) add({resource: heavyResource(i), node: HEAVY_NODE, mode: 'EX', persistent: true, lvb: (i + 1).toString(16).padStart(8, '0').padEnd(LVB_SIZE * 2, '0')})
  for (let j = 0; j < locks - nodeLocks; j++) {
    const node = OTHER_NODES[j % OTHER_NODES.length]
    add({resource: otherResource(node, j), node, mode: OTHER_MODES[Math.floor(j / OTHER_NODES.length) % OTHER_MODES.length], persistent: false})
  }
  for (const wants of byBucket.values()) {
    await withTx(ctx, [scopes.domain(BENCH_FS)], async (s) => {
      const d = await s.domain(BENCH_FS)
      for (const w of wants) {
        const res = await d.resourceForUpdate(w.resource)
        const lock = requestLock(res, {id: d.meta.nextLockId, node: w.node, mode: w.mode, persistent: w.persistent})
        if (w.lvb !== undefined) convertLock(res, lock.id, {mode: w.mode, lvb: w.lvb})
        d.meta.nextLockId += 1
        await d.indexSet(lock.id, res.name)
      }
      d.changed()
    })
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'dlmctl-bench-etcd-'))
  log('starting etcd')
  // fsync on: the figures an operator would see (the tests' servers skip it).
  const etcd = await startEtcd(1, {fsync: true})
  const out: Record<string, unknown> = {etcd: 'single member, loopback, fsync on'}
  let failed = false
  try {
    // 1. lock request: etcd vs directory, interleaved A B B A.
    log('lock request: etcd vs directory')
    const dir = join(tmp, 'small')
    const url = etcd.url('small')
    for (const st of [dir, url]) run(st, 'init', '--nodes', BENCH_NODES.join(','), '--fs', BENCH_FS)
    const times: Record<string, number[]> = {dir: [], etcd: []}
    for (let i = 0; i < REQUEST_RUNS; i++) {
      const order = i % 2 === 0 ? ['dir', 'etcd'] : ['etcd', 'dir']
      for (const which of order) times[which].push(run(which === 'dir' ? dir : url, 'lock', 'request', BENCH_FS, `r${i}`, '--node', 'n1', '--mode', 'PR').ms)
    }
    const ratio = median(times.etcd) / median(times.dir)
    out.lockRequest = {dirMs: round(median(times.dir)), etcdMs: round(median(times.etcd)), ratio: round(ratio, 2), target: '≤ 3', met: ratio <= 3}

    // 2. a 100,000-lock domain on etcd.
    log(`making ${BIG_LOCKS} locks on etcd (${BIG_NODE_LOCKS} held by ${HEAVY_NODE})`)
    const big = etcd.url('big')
    const t0 = performance.now()
    await makeOnEtcd(big, BIG_LOCKS, BIG_NODE_LOCKS)
    out.make = {locks: BIG_LOCKS, ms: round(performance.now() - t0)}
    log('lock list --json')
    const lists = Array.from({length: LIST_RUNS}, () => run(big, 'lock', 'list', BENCH_FS, '--json'))
    const n = (JSON.parse(lists[0].stdout) as {locks: unknown[]}).locks.length
    if (n !== BIG_LOCKS + 16) throw new Error(`lock list --json listed ${n} locks, expected ${BIG_LOCKS + 16}`)
    const listMs = median(lists.map((r) => r.ms))
    out.lockList = {locks: n, ms: round(listMs), target: '< 3000 ms', met: listMs < 3000}

    // 3. the death of the node holding half of them (once: it is not repeatable on the same state).
    log(`node mark-dead ${HEAVY_NODE}`)
    const dead = run(big, 'node', 'mark-dead', HEAVY_NODE, '--yes', '--json')
    const orphaned = (JSON.parse(dead.stdout) as {domains?: {orphaned?: unknown[]}[]}).domains?.[0]?.orphaned?.length
    out.markDead = {nodeLocks: BIG_NODE_LOCKS, orphaned, ms: round(dead.ms), target: '< 5000 ms', met: dead.ms < 5000}
    const check = JSON.parse(run(big, 'check', '--json').stdout) as {ok: boolean}
    out.checkAfter = check.ok
    if (!check.ok) failed = true
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e)
    failed = true
  } finally {
    await etcd.stop()
    rmSync(tmp, {recursive: true, force: true})
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n')
  process.exitCode = failed ? 1 : 0
}

void main()
