import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {writeFile} from 'node:fs/promises'
import {defineCommand} from '../../src/cli/define.js'
import {DlmError} from '../../src/errors.js'
import {exitOf} from '../../src/cli/exit.js'
import {loadDrill} from '../../src/drill/bundled.js'
import {junitXml} from '../../src/drill/junit.js'
import {runDrill} from '../../src/drill/run.js'
import {bundleResolver} from '../../src/drill/inproc.js'
import {loadTables} from '../../src/render/table.js'
import {renderDrillHeader, renderDrillStep, renderDrillSummary} from '../../src/render/views.js'

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
    const bin = process.argv[1]
    const drill = await loadDrill(bin, args.file)
    // A report nobody can write should say so before the drill runs, not after.
    if (flags.junit) await writeFile(flags.junit, junitXml([])).catch((e: NodeJS.ErrnoException) => {
      throw new DlmError('USAGE', `cannot write --junit ${flags.junit}: ${e.code ?? e.message}`)
    })
    // Only an explicit --state keeps the cluster (DLMCTL_STATE in the environment is the operator's own cluster).
    const state = cx.argv.some((a) => a === '--state' || a.startsWith('--state=')) ? cx.ctx(flags).root : undefined
    const live = !cx.json
    if (live) await loadTables()
    // The header goes out with the first step, so a refusal (e.g. a non-empty --state) prints nothing else.
    let started = false
    const onStep = (s: Parameters<typeof renderDrillStep>[0]) => {
      if (!started) process.stdout.write(renderDrillHeader(drill) + '\n')
      started = true
      process.stdout.write(renderDrillStep(s) + '\n')
    }
    const inProcess = flags.processes ? undefined : bundleResolver(bin)
    const r = await runDrill(drill, {bin, state, bail: flags.bail, inProcess, onStep: live ? onStep : undefined})
    if (flags.junit) await writeFile(flags.junit, junitXml([r]))
    if (cx.json) await cx.emit(r, () => '')
    else process.stdout.write(renderDrillSummary(r) + '\n')
    cx.setExit(exitOf('drill', r))
  },
})
