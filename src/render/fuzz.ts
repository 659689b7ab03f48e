// Human text of drill fuzz: one line for the result (and the failure's details under it).
import type {FuzzReport} from '../drill/fuzz/fuzz.js'
import {green, red} from './table.js'
import {count} from './number.js'


/** The one-line report: PASSED with what was covered, or FAILED with where to find the minimal drill. */
export function renderFuzzLine(r: FuzzReport): string {
  if (r.result === 'PASSED') {
    return `${green('PASSED')}: ${count(r.drills)} drills, ${count(r.steps)} steps (seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)}s); step kinds: ${r.kinds.join(', ')}`
  }
  const f = r.failure!
  return `${red('FAILED')} after ${count(f.drill)} drills (seed ${r.seed}, path ${f.path}, shrunk ${f.shrinks}×) → ${f.file} (${f.steps} steps); rerun: dlmctl drill run ${f.file}`
}

/** What failed in the minimal drill (on stderr, under the line). */
export function renderFuzzFailure(r: FuzzReport): string {
  const f = r.failure!
  return [`step ${f.failedStep} broke: ${f.rules.join(', ')}`, ...f.messages.slice(0, 10).map((m) => `  ${m}`)].join('\n')
}

/** The progress line while the drills run. */
export const fuzzDrillProgress = (seed: number, done: number, runs: number) => `drill fuzz (seed ${seed}): ${done} of ${runs} drills run`

/** The progress line while a failing drill is shrunk. */
export const fuzzShrinkProgress = (seed: number, shrinks: number) => `drill fuzz (seed ${seed}): a drill failed; shrinking (${shrinks} smaller failing drills so far)`
