// One process of the concurrency conformance test (conformance.test.ts): COUNT
// request/release pairs through the core API, in this process (one OS process,
// many transactions: the race is between processes, as between operators), on
// a few shared resources in modes drawn from a seed, so that some requests wait
// and some releases let others through. Prints one JSON line: what it got.
// The processes start together: each prints "ready" once loaded and begins when
// a line arrives on its stdin (a slow start-up on a busy machine would otherwise
// let one finish before the next begins, and nothing would race).
//   node pairs.mjs <state> <worker> <count> <seed> [<resources>, default 4]
import {releaseLockOp, requestLockOp} from '../../../src/core/locks.js'
import {systemClock} from '../../../src/core/clock.js'
import {DlmError} from '../../../src/errors.js'
import type {Mode} from '../../../src/model/modes.js'

const [state, worker, count, seed, resources = '4'] = process.argv.slice(2)
const ctx = {root: state, waitMs: 120_000, clock: systemClock()}
const MODES: Mode[] = ['NL', 'CR', 'PR', 'PW', 'EX']
let x = Number(seed) * 7919 + Number(worker) * 104729 + 1
const rand = (n: number) => {
  // xorshift32: the same draws for the same seed
  x ^= x << 13
  x ^= x >>> 17
  x ^= x << 5
  return (x >>> 0) % n
}

const cpuMs = () => {
  const c = process.cpuUsage()
  return Math.round((c.user + c.system) / 1000)
}
process.stdout.write('ready\n')
await new Promise((go) => process.stdin.once('data', go))
process.stdin.destroy()
const out: {id: number; resource: string; mode: Mode; status: string; released: number; granted: number[]}[] = []
try {
  for (let i = 0; i < Number(count); i++) {
    const resource = `c/${rand(Number(resources))}`
    const mode = MODES[rand(MODES.length)]
    const node = Number(worker) % 2 ? 'n1' : 'n2'
    const lock = await requestLockOp(ctx, {fs: 'fs1', resource, node, mode})
    // A waiting request stays a moment before it is withdrawn: long enough for
    // another process's release to grant it (the race the test is about; 50 ms:
    // at 20 ms a small run on etcd, where a commit takes longer, let nothing through).
    if (lock.status === 'waiting') await new Promise((r) => setTimeout(r, 50))
    // A granted one is held a moment too: with request and release back to back, a
    // quick store let the processes take turns and nothing waited (seen: 0 of 120; on
    // etcd, with 5 ms, 1 of 80 in a run): 25 ms, longer than a commit takes.
    else await new Promise((r) => setTimeout(r, 25))
    const rel = await releaseLockOp(ctx, {fs: 'fs1', id: lock.lockId})
    out.push({id: lock.lockId, resource, mode, status: lock.status, released: rel.released.lockId, granted: rel.granted})
  }
  process.stdout.write(JSON.stringify({worker: Number(worker), pairs: out, cpuMs: cpuMs()}) + '\n')
} catch (e) {
  process.stdout.write(JSON.stringify({worker: Number(worker), pairs: out, cpuMs: cpuMs(), error: e instanceof DlmError ? `${e.code}: ${e.message}` : String(e)}) + '\n')
  process.exitCode = 1
}
// etcd keeps connections alive: end now that the answer is out.
process.exit()
