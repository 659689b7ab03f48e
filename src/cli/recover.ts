// `recover` as the operator runs it: which file systems (named, --all, or chosen
// on a terminal), the plan (--dry-run shows it; otherwise it is asked about unless
// --yes), the recovery held to that plan, its answer and exit status. And its
// terminal side: the choice of file systems, and the lines drawn while it runs
// (steps, and a replay progress line with records, percent and rate), only on a
// terminal and never with --json: pipes see nothing of those.
import type {Ctx} from '../core/context.js'
import {recoverExitCode, recoverTargets, type Recovering} from '../core/recover-targets.js'
import {planRecovery, type RecoverOptions} from '../core/recover.js'
import {recoverConfirmed, type RecoveryPlan} from '../core/confirmed.js'
import {KILL_AFTER_ATTACH, testingAid} from '../core/testing-aids.js'
import {progress, type Progress} from '../render/progress.js'
import {NOTHING_RECOVERING} from '../render/results.js'
import {renderRecoverQuestion, renderReplayProgress} from '../render/safety.js'
import {renderRecover, renderRecoveryPlan} from '../render/views.js'
import {confirmedChange} from './confirm.js'
import type {RunContext} from './define.js'

export interface RecoverFlags {
  all?: boolean
  as?: string
  maxAttempts: number
  yes?: boolean
  dryRun?: boolean
  expectGeneration?: number
}

/** Recover the file systems `args` names (or as the flags say), and answer. */
export async function runRecover(ctx: Ctx, args: string[], f: RecoverFlags, cx: RunContext): Promise<void> {
  // Without names on a terminal: choose, then the same plan and question as `recover fs1`.
  const names = await recoverTargets(ctx, args, {all: f.all, dryRun: f.dryRun, choose: canChoose() ? chooseRecovering : undefined})
  if (names === null) return cx.emit({domains: []}, () => NOTHING_RECOVERING)
  const plan = () => planRecovery(ctx, names, f.as)
  const r = await confirmedChange(cx, {
    dryRun: f.dryRun,
    dry: plan,
    yes: f.yes,
    ask: names.length > 0,
    preview: plan,
    question: (p) => renderRecoverQuestion(names, renderRecoveryPlan(p)),
    change: (shown) => {
      const shows = recoverProgress(Boolean(process.stderr.isTTY) && !cx.json, shown)
      return recoverConfirmed(ctx, names, {preview: shown, expectGeneration: f.expectGeneration}, {
        as: f.as,
        maxAttempts: f.maxAttempts,
        killAfterAttach: testingAid(KILL_AFTER_ATTACH),
        ...shows.hooks,
      }).finally(shows.done)
    },
  })
  if ('dryRun' in r) return cx.emit(r, () => renderRecoveryPlan(r))
  await cx.emit(r, () => renderRecover(r))
  cx.setExit(recoverExitCode(r))
}

/** Whether the operator can be asked which file systems to recover. */
export const canChoose = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY)

/** Ask which recovering file systems to recover (all checked at first). */
export async function chooseRecovering(recovering: Recovering[]): Promise<string[]> {
  const {chooseMany} = await import('./prompt.js')
  return chooseMany('Recover which file systems?', recovering.map((d) => ({name: `${d.name} (dead: ${d.deadNodes.join(', ')})`, value: d.name, checked: true})))
}

/**
 * The hooks recover calls as it goes, drawing on stderr when `enabled`. The
 * percent comes from the records of the plan when one was shown, else from the
 * share of journal bytes replay has scanned (so it shows with --yes too).
 */
export function recoverProgress(enabled: boolean, shown?: RecoveryPlan): {hooks: Pick<RecoverOptions, 'onStep' | 'onReplayProgress'>; done: () => void} {
  const bars = new Map<string, {bar: Progress; t0: number}>()
  const total = (fs: string) => shown?.domains.find((d) => d.name === fs)?.journals.reduce((a, j) => a + j.pendingRecords, 0)
  const done = () => bars.forEach((b) => b.bar.done())
  if (!enabled) return {hooks: {}, done}
  return {
    hooks: {
      onStep: (fs, step) => {
        bars.get(fs)?.bar.done()
        bars.delete(fs)
        process.stderr.write(`${fs}: ${step}\n`)
      },
      onReplayProgress: (fs, records, fraction) => {
        if (!bars.has(fs)) bars.set(fs, {bar: progress(true), t0: performance.now()})
        const b = bars.get(fs)!
        b.bar.update(renderReplayProgress(fs, records, total(fs), performance.now() - b.t0, fraction))
      },
    },
    done,
  }
}
