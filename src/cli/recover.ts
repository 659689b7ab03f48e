// The terminal side of `recover`: the choice of file systems, and the lines
// drawn while it runs (steps, and a replay progress line with records, percent
// and rate). Only on a terminal and never with --json: pipes see nothing here.
import type {Recovering} from '../core/recover-targets.js'
import type {RecoverOptions} from '../core/recover.js'
import type {RecoveryPlan} from '../core/confirmed.js'
import {progress, type Progress} from '../render/progress.js'
import {renderReplayProgress} from '../render/safety.js'

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
