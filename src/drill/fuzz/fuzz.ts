// dlmctl drill fuzz: N random drills (fast-check generates and shrinks them),
// each run through the real CLI and checked after every step (check.ts); on the
// first failure, shrink while it still fails, and write the minimal drill as an
// ordinary drill file. Same --seed and --runs: the same drills, byte for byte.
import {mkdir, writeFile} from 'node:fs/promises'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'
import {DlmError} from '../../errors.js'
import {FUZZ_CRASH_OPS} from '../../core/testing-aids.js'
import type {Resolver} from '../inproc.js'
import {runFuzzDrill, type FuzzFailure} from './check.js'
import {runDrills} from './pool.js'
import {CRASH_OPS, fuzzCaseArb, materialize, type CrashOp, type FuzzCase} from './gen.js'
import {commandOf, kindOf, type FuzzDrill} from './ops.js'
import {FUZZ_CLOCK, fuzzDrillYaml} from './yaml.js'

export const FUZZ_DEFAULTS = {
  runs: 200,
  steps: 30,
  /** Drills at once: one worker process per CPU. */
  workers: () => availableParallelism(),
}
/**
 * Shrinking runs a drill per candidate: after this many candidates it keeps the
 * smallest failing drill found so far (a count, not a time, so that the same
 * seed always gives the same file).
 */
export const SHRINK_BUDGET = 100
/** Every step kind the generator draws (for the coverage line). */
export const STEP_KINDS = ['request', 'convert', 'cancel', 'release', 'write', 'checkpoint', 'kill', 'join', 'attach', 'replay', 'validate', 'recover', 'parallel', 'crash', 'write --del', 'validate --force', 'detach', 'add', 'join --fs', 'heartbeat', 'check']

export interface FuzzOptions {
  seed: number
  runs: number
  steps: number
  out: string
  bin: string
  version: string
  resolver?: Resolver
  /** Commands crash steps may kill (default: all). */
  crashOps?: readonly CrashOp[]
  /** Shrink candidates to try (default SHRINK_BUDGET). */
  shrinkBudget?: number
  /** Drills run at once, each in a worker process of `bin` (default 1: one after the other, in this process). */
  workers?: number
  /** Called as each generated drill finishes (not during shrinking), with how many have. */
  onDrill?: (done: number, ok: boolean) => void
  /** Called after each shrink attempt that still fails. */
  onShrink?: (count: number) => void
}

export interface ListedDrill {
  index: number
  nodes: string[]
  fs: {name: string; members: string[]}[]
  steps: string[]
}

export interface FuzzReport {
  result: 'PASSED' | 'FAILED'
  seed: number
  runs: number
  maxSteps: number
  drills: number
  steps: number
  kinds: string[]
  durationMs: number
  /** The drills in the order they ran (not the shrink attempts). */
  generated: ListedDrill[]
  failure?: {
    drill: number
    path: string
    shrinks: number
    file: string
    steps: number
    failedStep: number
    rules: string[]
    messages: string[]
  }
}

/** DLMCTL_TEST_FUZZ_CRASH_OPS=request,write (or none; unset: all): the commands crash steps may kill. */
export function parseCrashOps(s: string | undefined): readonly CrashOp[] {
  if (s === undefined) return CRASH_OPS
  if (s === 'none') return []
  const list = s.split(',').map((x) => x.trim()).filter(Boolean)
  for (const x of list) if (!(CRASH_OPS as readonly string[]).includes(x)) throw new DlmError('USAGE', `${FUZZ_CRASH_OPS}: unknown command '${x}' (use ${CRASH_OPS.join(', ')} or none)`)
  return list as CrashOp[]
}

/** A seed for a run not given --seed: a new one each run (printed with the result). */
export const newSeed = (): number => (Date.now() ^ (process.pid << 8)) >>> 1

function listed(index: number, d: FuzzDrill): ListedDrill {
  return {
    index,
    nodes: d.cluster.nodes,
    fs: d.cluster.fs,
    steps: d.steps.map((s) => (s.kind === 'op' ? commandOf(s.op) : s.kind === 'parallel' ? `parallel: ${s.ops.map(commandOf).join(' & ')}` : `crash at ${s.at}: ${commandOf(s.op)}`)),
  }
}

/** The environment of a fuzz drill's commands: the drill's fixed clock, no state or crash point of the caller's. */
export function fuzzEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, DLMCTL_CLOCK: FUZZ_CLOCK}
  delete env.DLMCTL_STATE
  delete env.DLMCTL_CRASH_POINT
  return env
}

async function fastCheck(): Promise<typeof import('fast-check')> {
  const mod = (await import('fast-check')) as typeof import('fast-check') & {default?: typeof import('fast-check')}
  return ('assert' in mod && typeof mod.assert === 'function' ? mod : mod.default!) as typeof import('fast-check')
}

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now()
  const fc = await fastCheck()
  const exec = {bin: o.bin, resolver: o.resolver, env: fuzzEnv()}
  const crashOps = o.crashOps ?? CRASH_OPS
  const arb = fuzzCaseArb(fc, o.steps)
  // Drill i is the i-th case fast-check draws for this seed, whichever process runs it
  // and whatever else runs at the same time (fc.check draws the very same ones).
  const cases = fc.sample(arb, {seed: o.seed, numRuns: o.runs})
  const drills = cases.map((c) => materialize(c, crashOps))
  const failed = await runDrills(drills, {exec, workers: o.workers ?? 1, onDrill: o.onDrill})
  // What ran, as one process running them in order would have: up to the first failing drill.
  const ran = drills.slice(0, failed === undefined ? drills.length : failed + 1)
  const kinds = new Set(ran.flatMap((d) => d.steps.map(kindOf)))
  const base = {
    seed: o.seed,
    runs: o.runs,
    maxSteps: o.steps,
    drills: ran.length,
    steps: ran.reduce((n, d) => n + d.steps.length, 0),
    kinds: STEP_KINDS.filter((k) => kinds.has(k)),
    generated: ran.map((d, i) => listed(i + 1, d)),
  }
  if (failed === undefined) return {...base, result: 'PASSED', durationMs: Math.round(performance.now() - t0)}
  // Shrinking, in this process: fast-check replays the failing case by its path (its index) and
  // shrinks from there, exactly as it would have right after finding it.
  let shrinks = 0
  let tried = 0
  let replayed = false
  const property = fc.asyncProperty(arb, async (c: FuzzCase) => {
    if (!replayed) {
      replayed = true
      if (JSON.stringify(c) !== JSON.stringify(cases[failed])) throw new DlmError('INTERNAL', `drill fuzz: fast-check replayed another case than drill ${failed + 1} (seed ${o.seed})`)
      return false // it failed already
    }
    // Out of shrink budget: every further candidate counts as passing, which ends shrinking.
    if (++tried > (o.shrinkBudget ?? SHRINK_BUDGET)) return true
    const drill = materialize(c, crashOps)
    const r = drill.steps.length === 0 ? {ok: true} : await runFuzzDrill(drill, exec)
    if (!r.ok) o.onShrink?.(++shrinks)
    return r.ok
  })
  const details = await fc.check(property, {seed: o.seed, numRuns: o.runs, path: String(failed)})
  if (!details.counterexample) {
    const e = details.errorInstance as unknown as Error | undefined
    throw new DlmError('INTERNAL', `drill fuzz: a drill could not be run (seed ${o.seed}): ${e?.message ?? 'unknown error'}`)
  }
  // The shrunk case, run once more for its failure and the model's predictions.
  let best = details.counterexample[0] as FuzzCase
  let drill = materialize(best, crashOps)
  let r = await runFuzzDrill(drill, exec)
  if (r.ok || !r.failure) throw new DlmError('INTERNAL', `drill fuzz: the shrunk drill of seed ${o.seed} passed when run again (a flaky failure: run it again with the same --seed)`)
  // Then without each intent in turn, last first, while it still fails: fast-check's budget may
  // leave steps that the failure does not need. An intent that makes no step goes without a run.
  let removed = 0
  for (let i = best.intents.length - 1; i >= 0; i--) {
    const cand: FuzzCase = {...best, intents: best.intents.filter((_, j) => j !== i)}
    const d = materialize(cand, crashOps)
    if (d.steps.length === 0) continue
    const same = JSON.stringify(d) === JSON.stringify(drill)
    const rc = same ? r : await runFuzzDrill(d, exec)
    if (!rc.ok && rc.failure) {
      ;[best, drill, r] = [cand, d, rc]
      if (!same) {
        removed++
        o.onShrink?.(++shrinks)
      }
    }
  }
  const totalShrinks = details.numShrinks + removed
  const failure: FuzzFailure = r.failure!
  const file = join(o.out, `fuzz-${o.seed}.yaml`)
  const path = details.counterexamplePath ?? ''
  await mkdir(o.out, {recursive: true})
  const text = fuzzDrillYaml(drill, r.predictions, failure, {seed: o.seed, path, version: o.version, shrinks: totalShrinks, file})
  await writeFile(file, text)
  return {
    ...base,
    result: 'FAILED',
    durationMs: Math.round(performance.now() - t0),
    failure: {drill: failed + 1, path, shrinks: totalShrinks, file, steps: text.split('\n').filter((l) => l.startsWith('  - ')).length, failedStep: failure.step, rules: failure.rules, messages: failure.messages},
  }
}
