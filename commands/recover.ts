import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {KILL_AFTER_ATTACH, testingAid} from '../src/core/testing-aids.js'
import {defineCommand} from '../src/cli/define.js'
import {planRecovery} from '../src/core/recover.js'
import {recoverExitCode, recoverTargets} from '../src/core/recover-targets.js'
import {recoverConfirmed, type RecoveryPlan} from '../src/core/confirmed.js'
import {canChoose, chooseRecovering, recoverProgress} from '../src/cli/recover.js'
import {renderRecover, renderRecoveryPlan} from '../src/render/views.js'
import {renderRecoverQuestion} from '../src/render/safety.js'
import {NOTHING_RECOVERING} from '../src/render/results.js'

export default defineCommand({
  summary: 'Run the whole recovery of file systems: pick a survivor, attach, replay, validate, restart on MORE_RECOVERY',
  description: 'Domains recover in parallel. The runner (--as, or the first up member by name) holds EX on recovery/<fs> while the other survivors wait on it with PR; it attaches, replays every dead node\'s journal and validates; when another member dies meanwhile it starts again, up to --max-attempts, then reports FAILED (exit 3). Killed at any point, running it again finishes the job.',
  strict: false,
  examples: ['<%= config.bin %> recover fs1 --yes', '<%= config.bin %> recover --all --yes --json', '<%= config.bin %> recover fs1 fs2 --as n3 --yes', '<%= config.bin %> recover   # on a terminal: choose, see the plan, y/N (Ctrl-C or Escape: nothing changed)', '<%= config.bin %> recover --all --yes --expect-generation 7'],
  args: {fs: Args.string({description: 'file systems to recover (several allowed)'})},
  flags: {
    all: Flags.boolean({description: 'every recovering file system'}),
    as: Flags.string({description: 'the survivor that runs the recovery'}),
    'max-attempts': Flags.integer({description: 'attempts before giving up', default: 5}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'show the plan (runner, journals to replay, orphans to release) and change nothing'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
  },
  async run({argv, flags}, cx) {
    const ctx = cx.ctx(flags)
    // Without names on a terminal: choose, then the same plan and question as `recover fs1`.
    const names = await recoverTargets(ctx, argv as string[], {all: flags.all, dryRun: flags['dry-run'], choose: canChoose() ? chooseRecovering : undefined})
    if (names === null) {
      await cx.emit({domains: []}, () => NOTHING_RECOVERING)
      return
    }
    if (flags['dry-run']) {
      const plan = await planRecovery(ctx, names, flags.as)
      await cx.emit(plan, () => renderRecoveryPlan(plan))
      return
    }
    let shown: RecoveryPlan | undefined
    if (names.length > 0 && !flags.yes) {
      const plan = await cx.plan(() => planRecovery(ctx, names, flags.as))
      await cx.confirm(renderRecoverQuestion(names, renderRecoveryPlan(plan)), flags.yes)
      shown = plan
    }
    const shows = recoverProgress(Boolean(process.stderr.isTTY) && !cx.json, shown)
    const r = await recoverConfirmed(ctx, names, {preview: shown, expectGeneration: flags['expect-generation']}, {
      as: flags.as,
      maxAttempts: flags['max-attempts'],
      killAfterAttach: testingAid(KILL_AFTER_ATTACH),
      ...shows.hooks,
    }).finally(shows.done)
    await cx.emit(r, () => renderRecover(r))
    const exit = recoverExitCode(r)
    if (exit) cx.setExit(exit)
  },
})
