// Proof of the store's all-or-nothing promise, in-process through the I/O seam
// (helpers/faultfs.ts), for every mutating command (helpers/scenarios.ts):
//   crash    — killed at a mutating I/O operation;
//   power    — the same, plus a power cut (unsynced data and directory entries lost);
//   ENOSPC / EIO — that one operation fails.
// After each: the next reader sees exactly the old or the new state (export),
// check is clean, and running the command again converges to what an
// uninterrupted run (and one more) gives. recover commits step by step: after a
// fault the reader must see a state that the uninterrupted run passes through
// (looked at before each of its operations), and a rerun must converge to the
// uninterrupted result, ids included (its event log aside).
//
// Bound: npm test tries, per command, kills at the commit point's neighbours
// (the op before the commit point: old state; the op after it: new state, rolled
// forward) and at the last op (the end of applying); power cuts at the op after the
// commit point (the commit record renamed, its directory not yet fsynced: the
// cut undoes it) and the one after that (the record durable: the next command
// rolls it forward); ENOSPC and EIO at 1 op each, at different ops (one early,
// one late). The commit point is the rename of the first commit record
// (commit/<txid>.json), or for a command that writes without one (init, a
// one-file convert) its last rename. `npm run test:full` (DLMCTL_TEST_FULL=1,
// run by .ci/run) adds, in every mode, the commit point itself, the first op of every kind (open, write,
// fsync, rename, unlink, mkdir, ...), evenly spaced ones, and the first and the
// last op at every distinct site: an op's kind and its path with ids, tx and
// bucket numbers blanked, so that a batch repeated 16 times counts once, first
// and last (about 1,500 runs).
// DLMCTL_FAULTS_FULL=1 tries every op of every command in every mode (over
// 10,000 runs: mark-dead rewrites every bucket; for an audit).
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DlmError} from '../../src/errors.js'
import {takeNotices} from '../../src/store/envfail.js'
import {runWithFaults, uninstallFaults, type Plan} from './helpers/faultfs.js'
import {SCENARIOS, checked, copyState, ctxOf, exported, scratch, type Scenario} from './helpers/scenarios.js'
import {FULL} from '../full.js'

const EVERY_OP = process.env.DLMCTL_FAULTS_FULL === '1'
const CAP = {crash: 4, power: 2, errno: 1}
/** Where npm test puts kills and power cuts: offsets from the commit point, and the last op. */
const AROUND = {crash: [-1, 1, 'last'] as (number | 'last')[], power: [1, 2]}

const tmp = scratch('faults')
afterAll(() => {
  uninstallFaults()
  tmp.done()
})

/** Where an op is, not which: its kind, and its path with every segment that holds a digit (ids, tx, lock numbers) and bucket names (hex) blanked. */
const siteOf = (kind: string, path: string) => `${kind} ${path.replace(/[^/.]*\d[^/.]*/g, '#').replace(/\/[0-9a-f]{2}\.json/g, '/#.json')}`

/** The commit point: the rename of the first commit record, or (no record: init, a one-file write) the last rename. */
function commitPoint(base: {kinds: string[]; paths: string[]}): number {
  const renames = base.kinds.flatMap((k, i) => (k === 'rename' ? [i] : []))
  const record = renames.find((i) => /\/commit\/[^/]+\.json$/.test(base.paths[i]))
  const c = record ?? renames.at(-1)
  if (c === undefined) throw new Error('no rename: no commit point')
  return c
}

/**
 * Which op indices to try: all of them under DLMCTL_FAULTS_FULL=1 or when there
 * are at most `cap`; else the ops `around` the commit point (offsets from it,
 * 'last' for the last op) that exist; without `around`, evenly spaced ones
 * (starting `shift` steps in, so that ENOSPC and EIO try different ops) up to
 * `cap`; under FULL also the first op of every kind, evenly spaced ones up to
 * `cap` more, and the first and last op at every site (siteOf).
 */
function samplePoints(base: {kinds: string[]; paths: string[]}, cap: number, opts: {around?: (number | 'last')[]; shift?: number} = {}): number[] {
  const {kinds} = base
  const n = kinds.length
  if (EVERY_OP || n <= cap) return [...Array(n).keys()]
  const pick = new Set<number>()
  const step = n / cap
  const spaced = () => {
    for (let i = 0; i < cap; i++) pick.add(Math.min(n - 1, Math.floor((i + (opts.shift ?? 0.5)) * step)))
  }
  if (opts.around) {
    const c = commitPoint(base)
    for (const d of opts.around) {
      const at = d === 'last' ? n - 1 : c + d
      if (at >= 0 && at < n) pick.add(at)
    }
  } else spaced()
  if (FULL) {
    pick.add(commitPoint(base))
    for (const k of new Set(kinds)) pick.add(kinds.indexOf(k))
    spaced()
    const sites = kinds.map((k, i) => siteOf(k, base.paths[i]))
    for (const s of new Set(sites)) pick.add(sites.indexOf(s)).add(sites.lastIndexOf(s))
  }
  return [...pick].sort((a, b) => a - b)
}

interface Base {
  dir: string
  old: string
  new: string
  new2: string
  /** Code of the error a second run gives, or null when it succeeds. */
  rerunCode: string | null
  kinds: string[]
  /** The path of each op (faultfs's report). */
  paths: string[]
  /** For a stepwise command: every state a reader could see while it ran uninterrupted. */
  steps: Set<string>
}

/**
 * Comparable across runs for a stepwise command: its event log depends on where
 * it stopped (a step redone logs again). A killed recover is carried on by the
 * rerun with its ids; one that failed on an error gave them back, and ids are
 * never reused: then the counters are left out too.
 */
function normalized(exp: string, failed: boolean): string {
  if (exp.startsWith('error:')) return exp
  const e = JSON.parse(exp) as {events: unknown; domains: {nextLockId?: number; nextAttachId?: number}[]}
  e.events = []
  if (failed)
    for (const d of e.domains) {
      delete d.nextLockId
      delete d.nextAttachId
    }
  return JSON.stringify(e)
}

const codeOf = (e: unknown): string => (e instanceof DlmError ? e.code : ((e as {code?: string})?.code ?? String(e)))

async function outcome(run: () => Promise<unknown>): Promise<string | null> {
  try {
    await run()
    return null
  } catch (e) {
    return codeOf(e)
  }
}

let seq = 0
function workDir(sc: Scenario, base: string): string {
  const dir = join(tmp.dir, `w${seq++}`)
  if (existsSync(base)) copyState(base, dir)
  return dir
}

/** Scenarios that start from the same set-up (helpers/scenarios.ts shares them: n2Wrote, n2DeadAttached, init) build it once, then copy it. */
const setups = new Map<Scenario['setup'], Promise<string>>()
function setUp(sc: Scenario): Promise<string> {
  let built = setups.get(sc.setup)
  if (!built) {
    const dir = join(tmp.dir, `setup-${setups.size}`)
    built = sc.setup(ctxOf(dir)).then(() => dir)
    setups.set(sc.setup, built)
  }
  return built
}

async function makeBase(sc: Scenario): Promise<Base> {
  const dir = join(tmp.dir, `base-${sc.name.replace(/\W+/g, '-')}`)
  if (sc.name !== 'init') copyState(await setUp(sc), dir)
  const old = await exported(ctxOf(dir))
  const w = workDir(sc, dir)
  // A stepwise command is looked at before each of its operations, when no writer holds the state.
  const steps = new Set<string>([old])
  const look = async () => {
    const e = await exported({...ctxOf(w), waitMs: 0}).catch(() => null)
    if (e && !e.startsWith('error: BUSY')) steps.add(e)
  }
  const counted = await runWithFaults({kind: 'none', before: sc.stepwise ? look : undefined}, () => sc.run(ctxOf(w)))
  expect(counted.error, `${sc.name} runs cleanly`).toBeUndefined()
  const neu = await exported(ctxOf(w))
  const rerunCode = await outcome(() => sc.run(ctxOf(w)))
  const new2 = await exported(ctxOf(w))
  expect(neu).not.toBe(old)
  takeNotices()
  steps.add(neu)
  return {dir, old, new: neu, new2, rerunCode, kinds: counted.kinds, paths: counted.paths, steps}
}

/** One faulted run and the three assertions; returns a description of what went wrong, or null. */
async function trial(sc: Scenario, base: Base, plan: Plan): Promise<string | null> {
  const where = `${sc.name}, ${plan.kind}${plan.kind === 'errno' ? ` ${plan.errno}` : ''} at op ${'at' in plan ? `${plan.at} (${base.kinds[plan.at]})` : ''}`
  const w = workDir(sc, base.dir)
  const ctx = ctxOf(w)
  const r = await runWithFaults(plan, () => sc.run(ctx))
  if (!r.hit) return `${where}: the op was never reached`
  const notices = takeNotices()
  const state = await exported(ctx)
  const sawOld = state === base.old
  const sawNew = state === base.new
  if (plan.kind === 'errno') {
    if (r.error !== undefined && codeOf(r.error) !== 'STORE_IO') return `${where}: failed with ${codeOf(r.error)} (${String(r.error)}), not STORE_IO`
    if (r.error !== undefined && !sc.stepwise && !sawOld) return `${where}: failed but the state is not the old one`
    if (r.error === undefined && !sawNew && !sc.stepwise) return `${where}: succeeded but the state is not the new one`
    if (r.error !== undefined && notices.length) return `${where}: failed and also warned that it committed`
  } else if (!sc.stepwise && !sawOld && !sawNew) return `${where}: neither the old nor the new state`
  // (After an error a stepwise command gives back what it holds, a step of its own: only kills are held to this.)
  if (sc.stepwise && plan.kind !== 'errno' && !base.steps.has(state)) return `${where}: not a state the uninterrupted run passes through (after one of its steps)`
  const chk = await checked(ctx)
  // Before init's commit point there is no cluster: check answers as on the old state (NO_STATE).
  const noCluster = sawOld && base.old.startsWith('error:')
  if (noCluster ? `error: ${chk.code}` !== base.old : !chk.ok) return `${where}: check is not clean: ${JSON.stringify(chk.problems)}`
  // Rerun without faults: converges.
  const again = await outcome(() => sc.run(ctx))
  const after = await exported(ctx)
  if (sc.stepwise) {
    if (again !== null) return `${where}: rerun failed with ${again}`
    const failed = plan.kind === 'errno' && r.error !== undefined
    if (normalized(after, failed) !== normalized(base.new, failed)) return `${where}: rerun did not converge to the uninterrupted result`
  } else if (sawOld) {
    if (again !== null) return `${where}: rerun from the old state failed with ${again}`
    if (after !== base.new) return `${where}: rerun from the old state did not reach the new state`
  } else {
    if (again !== base.rerunCode) return `${where}: rerun from the new state answered ${again}, an uninterrupted second run ${base.rerunCode}`
    if (after !== base.new2) return `${where}: rerun from the new state did not reach what a second run gives`
  }
  return null
}

describe.each(SCENARIOS.map((sc) => [sc.name, sc] as const))('%s under faults', (_name, sc) => {
  let base: Base
  beforeAll(async () => {
    base = await makeBase(sc)
  }, 60_000)

  it('killed at each mutating I/O operation: old or new state, check clean, rerun converges', async () => {
    const bad: string[] = []
    const points = samplePoints(base, CAP.crash, {around: AROUND.crash})
    for (const at of points) {
      const b = await trial(sc, base, {kind: 'crash', at})
      if (b) bad.push(b)
    }
    expect(bad).toEqual([])
    expect(points.length).toBeGreaterThan(0)
  }, FULL ? 1_800_000 : 120_000)

  it('power cut at each mutating I/O operation (unsynced data and directory entries lost): the same', async () => {
    const bad: string[] = []
    const points = samplePoints(base, CAP.power, {around: AROUND.power})
    for (const at of points) {
      const b = await trial(sc, base, {kind: 'power', at})
      if (b) bad.push(b)
    }
    expect(bad).toEqual([])
    expect(points.length).toBeGreaterThan(0)
  }, FULL ? 1_800_000 : 120_000)

  it.each(['ENOSPC', 'EIO'])('%s at each mutating I/O operation: STORE_IO (exit 9) and the old state, or success and the new one', async (errno) => {
    const bad: string[] = []
    for (const at of samplePoints(base, CAP.errno, {shift: errno === 'EIO' ? 0.9 : 0.3})) {
      const b = await trial(sc, base, {kind: 'errno', at, errno})
      if (b) bad.push(b)
    }
    expect(bad).toEqual([])
  }, FULL ? 1_800_000 : 120_000)
})
