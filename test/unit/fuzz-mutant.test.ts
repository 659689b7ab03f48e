// The mutant of scripts/mutants.mjs that the model and the CLI share, in this
// process: CW made compatible with PR in src/model/modes.ts, so the reference run
// (built on the model) agrees with the CLI. Only the independent invariants see
// the bug, and the drill written for it must state what they say of the failing
// step (exit 5, NOTQUEUED), not what the mutated model and build did (exit 0):
// otherwise it would fail on the real build too.
import {describe, expect, it, vi} from 'vitest'
import {runFuzzDrill} from '../../src/drill/fuzz/check.js'
import type {FuzzDrill} from '../../src/drill/fuzz/ops.js'
import {fuzzDrillYaml} from '../../src/drill/fuzz/yaml.js'
import {parseDrill} from '../../src/drill/parse.js'
import {sourceResolver} from './helpers/inproc.js'

vi.mock('../../src/model/modes.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/model/modes.js')>()
  const cwPr = (a: string, b: string) => (a === 'CW' && b === 'PR') || (a === 'PR' && b === 'CW')
  return {...real, compatible: (a: Parameters<typeof real.compatible>[0], b: Parameters<typeof real.compatible>[1]) => cwPr(a, b) || real.compatible(a, b)}
})

const env: NodeJS.ProcessEnv = {...process.env, DLMCTL_CLOCK: '2026-01-01T00:00:00Z'}
delete env.DLMCTL_STATE

describe('a bug in the model itself (pr-compatible-with-cw)', () => {
  it('is caught by the invariants alone, and the failing step expects what the literal table says', {timeout: 30_000}, async () => {
    const drill: FuzzDrill = {
      cluster: {nodes: ['n1', 'n2'], fs: [{name: 'fs1', members: ['n1', 'n2']}]},
      steps: [
        {kind: 'op', op: {kind: 'request', fs: 'fs1', resource: 'meta/a', node: 'n1', mode: 'PR', persistent: false, noqueue: false}},
        {kind: 'op', op: {kind: 'request', fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'CW', persistent: false, noqueue: true}},
      ],
    }
    const r = await runFuzzDrill(drill, {bin: '/nonexistent/bin/run.js', resolver: sourceResolver, env})
    expect(r.ok).toBe(false)
    expect(r.failure!.step).toBe(2)
    // The mutated model predicts what the mutated CLI does: no step-result, no lock-table.
    expect(r.failure!.rules.sort()).toEqual(['granted-compatible', 'queue-rules'])
    expect(r.predictions[1][0].exit).toBe(0)
    const file = '/tmp/fuzz-5.yaml'
    const parsed = await parseDrill(fuzzDrillYaml(drill, r.predictions, r.failure!, {seed: 5, path: '0', version: 't', shrinks: 0, file}), file)
    const step2 = parsed.steps[1] as {run: string; expect: {exit: number}}
    expect(step2.run).toMatch(/--mode CW --noqueue$/)
    expect(step2.expect.exit).toBe(5)
  })
})
