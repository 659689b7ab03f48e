// drill run as the operator runs it: the --junit report (tried before the drill
// runs, written after), the timeline on a terminal, the summary (or the JSON
// result) and the exit status.
import {writeFile} from 'node:fs/promises'
import {loadDrill} from '../drill/bundled.js'
import {bundleResolver} from '../drill/inproc.js'
import {junitXml, startJunit} from '../drill/junit.js'
import {runDrill} from '../drill/run.js'
import {loadTables} from '../render/table.js'
import {renderDrillHeader, renderDrillStep, renderDrillSummary} from '../render/views.js'
import type {RunContext} from './define.js'
import {exitOf} from './exit.js'

export interface DrillRunFlags {
  state: string
  wait: string
  junit?: string
  bail?: boolean
  processes?: boolean
}

/** drill run: the drill `file` (or bundled drill), its timeline as it goes (not with --json), its summary. */
export async function runDrillCommand(file: string, flags: DrillRunFlags, cx: RunContext): Promise<void> {
  const bin = process.argv[1]
  const drill = await loadDrill(bin, file)
  if (flags.junit) await startJunit(flags.junit, junitXml([]))
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
}
