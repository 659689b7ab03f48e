// One process of the concurrency benchmark (bench/run.ts starts several at once).
//
//   node dist/bench/worker.js --state DIR --fs fs1 --node n1 --pairs 200 --tag w0 [--start-at EPOCH_MS]
//
// Loops request/release pairs in-process through the core operations
// (requestLockOp / releaseLockOp): each is a full store transaction under the
// domain's kernel scope lock, the same path `dlmctl lock request|release` takes,
// without paying a process start per operation. Resources are shared between
// workers (conc/0..7) and the modes NL/CR/PR are mutually compatible, so every
// request is granted at once while several processes read-modify-write the same
// bucket and index files: a lost update shows up as a missing or duplicated lock.
// Prints one JSON line on stdout: {tag, node, acquired, released, ids, errors, start, end}.
import {parseArgs} from 'node:util'
import {systemClock} from '../src/core/clock.js'
import type {Ctx} from '../src/core/context.js'
import {releaseLockOp, requestLockOp} from '../src/core/locks.js'
import type {Mode} from '../src/model/modes.js'

const {values} = parseArgs({
  options: {
    state: {type: 'string'},
    fs: {type: 'string', default: 'fs1'},
    node: {type: 'string'},
    pairs: {type: 'string', default: '200'},
    tag: {type: 'string', default: 'w'},
    'start-at': {type: 'string'},
  },
  strict: true,
})
if (!values.state || !values.node || !/^[0-9]+$/.test(values.pairs!)) {
  process.stderr.write('worker: needs --state DIR --node N [--pairs K]\n')
  process.exit(2)
}

const ctx: Ctx = {root: values.state, waitMs: 120_000, clock: systemClock()}
const fs = values.fs!
const node = values.node
const pairs = Number(values.pairs)
const MODES: Mode[] = ['NL', 'CR', 'PR']
const now = () => performance.timeOrigin + performance.now()

// Start together (after every worker has loaded), so the loops really overlap.
const startAt = Number(values['start-at'] ?? 0)
if (startAt > Date.now()) await new Promise((r) => setTimeout(r, startAt - Date.now()))

const ids: number[] = []
const errors: string[] = []
let acquired = 0
let released = 0
const start = now()
for (let i = 0; i < pairs; i++) {
  let id: number
  try {
    const lock = await requestLockOp(ctx, {fs, resource: `conc/${i % 8}`, node, mode: MODES[i % MODES.length]})
    if (lock.status !== 'granted') errors.push(`lock ${lock.lockId} is ${lock.status}`)
    id = lock.lockId
    ids.push(id)
    acquired++
  } catch (e) {
    errors.push(`request #${i}: ${(e as Error).message}`)
    continue
  }
  try {
    await releaseLockOp(ctx, {fs, id})
    released++
  } catch (e) {
    errors.push(`release ${id}: ${(e as Error).message}`)
  }
}
const end = now()
process.stdout.write(JSON.stringify({tag: values.tag, node, acquired, released, ids, errors, start, end}) + '\n')
