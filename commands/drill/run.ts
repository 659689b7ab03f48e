import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {runDrillCommand} from '../../src/cli/drill-run.js'

export default defineCommand({
  summary: 'Run a recovery drill: create its cluster, run its steps, print the timeline',
  description: 'A drill is a YAML file (see man dlmctl-drill.5): a cluster, then steps, each a real dlmctl command run with --json, with expectations. Exit 0 if every expectation held, 8 if any failed, 2 if the drill file is not valid (with file:line:col). Runs on a fresh temporary state directory unless --state names a new or empty one to keep (a directory, or an etcd prefix with no cluster).',
  examples: [
    '<%= config.bin %> drill run fixtures/drills/seed-story.yaml',
    '<%= config.bin %> drill run seed-second-death --junit report.xml',
    '<%= config.bin %> drill run my-drill.yaml --state ./drill-cluster --bail',
    '<%= config.bin %> drill run seed-story --processes --json',
  ],
  args: {file: Args.string({description: 'drill file, or the name of a bundled drill', required: true})},
  flags: {
    junit: Flags.string({description: 'write a JUnit XML report to this file'}),
    bail: Flags.boolean({description: 'stop at the first failed step'}),
    processes: Flags.boolean({description: 'run every step as its own dlmctl process (default: only parallel and crash steps; the others run in this process through the same command code)'}),
  },
  async run({args, flags}, cx) {
    await runDrillCommand(args.file, flags, cx)
  },
})
