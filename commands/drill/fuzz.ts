import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {FUZZ_DEFAULTS} from '../../src/drill/fuzz/fuzz.js'
import {runFuzzCommand} from '../../src/cli/drill-fuzz.js'

export default defineCommand({
  summary: 'Run random drills on small random clusters, check every step, and shrink a failure to a minimal drill file',
  description: 'Each drill runs through the real commands (as drill run does) and is checked after every step against an in-memory run of the pure model and against invariants written apart from it (compatible grants, queue order, orphans, validity, replay idempotence, crash atomicity). On the first failure the drill is shrunk while it still fails and written as an ordinary drill file in --out; exit 8. The same --seed and --runs give the same drills, whatever --workers runs them at once. See man dlmctl-drill.5 (FUZZING).',
  examples: [
    {description: '200 random drills, one worker process per CPU (about a minute on 2 idle CPUs)', command: '<%= config.bin %> drill fuzz'},
    '<%= config.bin %> drill fuzz --seed 1829391 --runs 500 --steps 30 --out fuzz-out',
    {description: 'a few drills one after the other, in this process', command: '<%= config.bin %> drill fuzz --seed 7 --runs 20 --workers 1 --json --junit fuzz.xml'},
  ],
  flags: {
    seed: Flags.integer({description: 'seed of the random drills (default: a new one, printed)'}),
    runs: Flags.integer({description: 'how many drills to run', default: FUZZ_DEFAULTS.runs, min: 1}),
    steps: Flags.integer({description: 'at most this many steps per drill', default: FUZZ_DEFAULTS.steps, min: 1, max: 200}),
    out: Flags.string({description: 'directory for the minimal failing drill (fuzz-<seed>.yaml)', default: '.'}),
    junit: Flags.string({description: 'write a JUnit XML report to this file'}),
    workers: Flags.integer({description: 'drills run at once, each in a worker process (default: the number of CPUs; 1: one after the other in this process)', min: 1, max: 64}),
    // Internal: a worker process of a fuzz run (pool.ts), sent drills by its parent.
    worker: Flags.boolean({hidden: true}),
  },
  async run({flags}, cx) {
    await runFuzzCommand(flags, cx)
  },
})
