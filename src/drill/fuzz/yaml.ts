// A shrunk failing fuzz drill written back as an ordinary drill file: the steps
// as run, each expecting the exit code the model predicts, and after the failing
// step the checks that failed, stating what the model (or an invariant) says. So
// `dlmctl drill run` on it fails on the build that has the bug and passes on a
// build without it.
import type {Witness} from './check.js'
import type {FuzzFailure} from './check.js'
import {commandOf, envOf, type FuzzDrill, type Op} from './ops.js'
import type {Prediction} from './reference.js'

export const FUZZ_CLOCK = '2026-01-01T00:00:00Z'

const plain = (s: string) => (/^[A-Za-z0-9_/.=,+-][A-Za-z0-9 _/.=,+-]*$/.test(s) && !/ #|: /.test(s) ? s : JSON.stringify(s))
const flow = (v: unknown) => JSON.stringify(v)

export interface FuzzFileInfo {
  seed: number
  path: string
  version: string
  shrinks: number
  file: string
}

export function fuzzDrillYaml(drill: FuzzDrill, predictions: Prediction[][], failure: FuzzFailure, info: FuzzFileInfo): string {
  const name = `fuzz-${info.seed}`
  const lines = [
    `# Minimal failing drill found by dlmctl drill fuzz (dlmctl ${info.version})`,
    `# seed ${info.seed}, path ${info.path}, shrunk ${info.shrinks}x; the same drill again: dlmctl drill fuzz --seed ${info.seed}`,
    `# rerun: dlmctl drill run ${info.file}`,
    `# failed at step ${failure.step} (${failure.rules.join(', ')}):`,
    ...failure.messages.slice(0, 12).map((m) => `#   ${m.replaceAll('\n', ' ')}`),
    `name: ${name}`,
    `description: ${plain(`found by drill fuzz (seed ${info.seed}); every expectation is what the model or an invariant says`)}`,
    `clock: "${FUZZ_CLOCK}"`,
    'cluster:',
    `  nodes: [${drill.cluster.nodes.join(', ')}]`,
    `  fs: {${drill.cluster.fs.map((f) => `${f.name}: [${f.members.join(', ')}]`).join(', ')}}`,
    'steps:',
  ]
  const own = (op: Op) => failure.witnesses.find((w) => w.run === commandOf(op) && w !== undefined)
  const runStep = (op: Op, p: Prediction | undefined, indent: string, failing: boolean) => {
    const w = failing ? own(op) : undefined
    lines.push(`${indent}- run: ${plain(commandOf(op))}`)
    if (envOf(op)) lines.push(`${indent}  env: ${flow(envOf(op))}`)
    if (w) lines.push(`${indent}  expect: ${flow(w.expect)}`)
    else if (p && p.exit !== 0) lines.push(`${indent}  expect: ${flow({exit: p.exit})}`)
  }
  const steps = drill.steps.slice(0, failure.step)
  for (const [i, step] of steps.entries()) {
    const failing = i + 1 === failure.step
    const preds = predictions[i] ?? []
    if (step.kind === 'op') runStep(step.op, preds[0], '  ', failing)
    else if (step.kind === 'parallel') {
      lines.push('  - parallel:')
      step.ops.forEach((op, j) => runStep(op, preds[j], '      ', failing))
    } else {
      lines.push(`  - crash: {run: ${plain(commandOf(step.op))}, at: ${step.at}}`)
      if (envOf(step.op)) lines.push(`    env: ${flow(envOf(step.op))}`)
    }
  }
  // The checks that failed, after the step (the step's own answer is checked on the step).
  const ownRuns = new Set(steps.at(-1) ? (steps.at(-1)!.kind === 'parallel' ? (steps.at(-1) as {ops: Op[]}).ops : [(steps.at(-1) as {op: Op}).op]).map(commandOf) : [])
  const extra: Witness[] = failure.witnesses.filter((w) => !(ownRuns.has(w.run) && steps.at(-1)?.kind !== 'crash' && !isReplayAgain(w)))
  for (const w of extra) {
    lines.push(`  - run: ${plain(w.run)}`)
    lines.push(`    expect: ${flow(w.expect)}`)
  }
  if (failure.step === 0 || extra.length === 0) {
    // Nothing a drill can state (e.g. a failed export comparison): at least check the directory.
    lines.push('  - run: check')
  }
  return lines.join('\n') + '\n'
}

/** The replay-idempotence check runs the replay a second time: it is its own step. */
const isReplayAgain = (w: Witness) => w.run.startsWith('replay ') && (w.expect.json as {changedKeys?: number} | undefined)?.changedKeys === 0
