// drill fuzz as the operator runs it: the --junit report (tried before any drill
// runs, written after), the progress line on a terminal, the report (and what
// failed, on stderr) and the exit status. A worker process (--worker, started by
// a fuzz run) only runs the drills it is sent.
import {writeFile} from 'node:fs/promises'
import {FUZZ_DEFAULTS, fuzz, fuzzEnv, newSeed, parseCrashOps} from '../drill/fuzz/fuzz.js'
import {fuzzJunit} from '../drill/fuzz/junit.js'
import {fuzzWorker} from '../drill/fuzz/pool.js'
import {bundleResolver} from '../drill/inproc.js'
import {FUZZ_CRASH_OPS, testingAid} from '../core/testing-aids.js'
import {startJunit} from '../drill/junit.js'
import {fuzzDrillProgress, fuzzShrinkProgress, renderFuzzFailure, renderFuzzLine} from '../render/fuzz.js'
import {progress} from '../render/progress.js'
import type {RunContext} from './define.js'
import {exitOf} from './exit.js'
import {dlmctlVersion} from './main.js'

export interface FuzzFlags {
  seed?: number
  runs: number
  steps: number
  out: string
  junit?: string
  workers?: number
  worker?: boolean
}

/** drill fuzz: the random drills, a progress line on a terminal, the report (and what failed, on stderr). */
export async function runFuzzCommand(flags: FuzzFlags, cx: RunContext): Promise<void> {
  const bin = process.argv[1]
  if (flags.worker) return fuzzWorker({bin, resolver: bundleResolver(bin), env: fuzzEnv()})
  if (flags.junit) await startJunit(flags.junit, fuzzJunit(undefined))
  const seed = flags.seed ?? newSeed()
  const crashOps = parseCrashOps(testingAid(FUZZ_CRASH_OPS))
  // On a terminal, without --json: which drill runs, then how shrinking goes (stderr, rewritten in place).
  const p = progress(!cx.json)
  const r = await fuzz({
    seed, runs: flags.runs, steps: flags.steps, out: flags.out, bin, version: dlmctlVersion(), resolver: bundleResolver(bin), crashOps,
    workers: flags.workers ?? FUZZ_DEFAULTS.workers(),
    onDrill: (n) => p.update(fuzzDrillProgress(seed, n, flags.runs)),
    onShrink: (n) => p.update(fuzzShrinkProgress(seed, n)),
  }).finally(() => p.done())
  if (flags.junit) await writeFile(flags.junit, fuzzJunit(r))
  await cx.emit(r, () => renderFuzzLine(r))
  if (r.result === 'FAILED' && !cx.json) process.stderr.write(renderFuzzFailure(r) + '\n')
  cx.setExit(exitOf('fuzz', r))
}
