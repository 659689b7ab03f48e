import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../src/cli/base.js'
import {DlmError, EXIT, usage} from '../src/errors.js'
import {domainsOf} from '../src/core/nodes.js'
import {planRecovery, recoveringDomains} from '../src/core/recover.js'
import {recoverConfirmed, type RecoveryPlan} from '../src/core/confirmed.js'
import {chooseMany} from '../src/cli/prompt.js'
import {renderRecover, renderRecoveryPlan} from '../src/render/views.js'
import {renderReplayProgress} from '../src/render/safety.js'
import {progress, type Progress} from '../src/render/progress.js'

export default class Recover extends DlmCommand {
  static override summary = 'Run the whole recovery of file systems: pick a survivor, attach, replay, validate, restart on MORE_RECOVERY'
  static override description = 'Domains recover in parallel. The runner (--as, or the first up member by name) holds EX on recovery/<fs> while the other survivors wait on it with PR; it attaches, replays every dead node\'s journal and validates; when another member dies meanwhile it starts again, up to --max-attempts, then reports FAILED (exit 3). Killed at any point, running it again finishes the job.'
  static override strict = false
  static override examples = ['<%= config.bin %> recover fs1 --yes', '<%= config.bin %> recover --all --yes --json', '<%= config.bin %> recover fs1 fs2 --as n3 --yes', '<%= config.bin %> recover   # on a terminal: choose, see the plan, y/N (Ctrl-C or Escape: nothing changed)', '<%= config.bin %> recover --all --yes --expect-generation 7']
  static override args = {fs: Args.string({description: 'file systems to recover (several allowed)'})}
  static override flags = {
    all: Flags.boolean({description: 'every recovering file system'}),
    as: Flags.string({description: 'the survivor that runs the recovery'}),
    'max-attempts': Flags.integer({description: 'attempts before giving up', default: 5}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'show the plan (runner, journals to replay, orphans to release) and change nothing'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
    'kill-after-attach': Flags.string({description: 'testing aid: mark this node dead right after the first attach', hidden: true}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Recover)
    const ctx = this.ctx(flags)
    const all = await domainsOf(ctx)
    let names = argv as string[]
    const bad = names.find((a) => a.startsWith('-'))
    if (bad) throw usage(`unknown flag ${bad} (see: dlmctl recover --help)`)
    if (flags.all && names.length) throw usage('give file systems or --all, not both')
    if (flags.all || (names.length === 0 && flags['dry-run'])) names = (await recoveringDomains(ctx, all)).map((d) => d.name)
    else if (names.length === 0) {
      if (!process.stdin.isTTY || !process.stderr.isTTY) throw usage('name the file systems to recover, or --all')
      const recovering = await recoveringDomains(ctx, all)
      if (recovering.length === 0) {
        await this.emit({domains: []}, () => 'no file system is recovering')
        return
      }
      // Choose, then the same plan and question as `recover fs1`.
      names = await chooseMany('Recover which file systems?', recovering.map((d) => ({name: `${d.name} (dead: ${d.deadNodes.join(', ')})`, value: d.name, checked: true})))
      if (names.length === 0) throw new DlmError('DECLINED', 'no file system chosen; nothing changed')
    }
    for (const n of names) if (!all.includes(n)) throw usage(`unknown file system '${n}' (file systems: ${all.join(', ')})`)
    if (flags['dry-run']) {
      const plan = await planRecovery(ctx, names, flags.as)
      await this.emit(plan, () => renderRecoveryPlan(plan))
      return
    }
    let shown: RecoveryPlan | undefined
    if (names.length > 0 && !flags.yes) {
      const plan = await this.plan(() => planRecovery(ctx, names, flags.as))
      await this.confirm(`recover ${names.join(', ')}: replay the dead nodes' journals and validate\n${renderRecoveryPlan(plan).split('\n').slice(1).join('\n')}`, flags.yes)
      shown = plan
    }
    const tty = process.stderr.isTTY && !this.jsonMode
    const bars = new Map<string, {bar: Progress; t0: number}>()
    const total = (fs: string) => shown?.domains.find((d) => d.name === fs)?.journals.reduce((a, j) => a + j.pendingRecords, 0)
    const r = await recoverConfirmed(ctx, names, {preview: shown, expectGeneration: flags['expect-generation']}, {
      as: flags.as,
      maxAttempts: flags['max-attempts'],
      killAfterAttach: flags['kill-after-attach'],
      onStep: tty ? (fs, step) => {
        bars.get(fs)?.bar.done()
        bars.delete(fs)
        process.stderr.write(`${fs}: ${step}\n`)
      } : undefined,
      onReplayProgress: tty ? (fs, n) => {
        if (!bars.has(fs)) bars.set(fs, {bar: progress(true), t0: performance.now()})
        const b = bars.get(fs)!
        b.bar.update(renderReplayProgress(fs, n, total(fs), performance.now() - b.t0))
      } : undefined,
    }).finally(() => bars.forEach((b) => b.bar.done()))
    await this.emit(r, () => renderRecover(r))
    const failed = r.domains.filter((d) => d.result === 'FAILED')
    if (failed.length) this.setExit(failed.every((d) => !d.error) ? EXIT.MORE_RECOVERY : failed.find((d) => d.error)!.error!.exitCode)
  }
}
