import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../src/cli/base.js'
import {EXIT, usage} from '../src/errors.js'
import {domainsOf} from '../src/core/nodes.js'
import {planRecovery, recover, recoveringDomains} from '../src/core/recover.js'
import {renderRecover, renderRecoveryPlan} from '../src/render/views.js'

export default class Recover extends DlmCommand {
  static override summary = 'Run the whole recovery of file systems: pick a survivor, attach, replay, validate, restart on MORE_RECOVERY'
  static override description = 'Domains recover in parallel. The runner (--as, or the first up member by name) holds EX on recovery/<fs> while the other survivors wait on it with PR; it attaches, replays every dead node\'s journal and validates; when another member dies meanwhile it starts again, up to --max-attempts, then reports FAILED (exit 3). Killed at any point, running it again finishes the job.'
  static override strict = false
  static override examples = ['<%= config.bin %> recover fs1 --yes', '<%= config.bin %> recover --all --yes --json', '<%= config.bin %> recover fs1 fs2 --as n3 --yes']
  static override args = {fs: Args.string({description: 'file systems to recover (several allowed)'})}
  static override flags = {
    all: Flags.boolean({description: 'every recovering file system'}),
    as: Flags.string({description: 'the survivor that runs the recovery'}),
    'max-attempts': Flags.integer({description: 'attempts before giving up', default: 5}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'show the plan (runner, journals to replay, orphans to release) and change nothing'}),
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
    if (flags.all) names = (await recoveringDomains(ctx, all)).map((d) => d.name)
    else if (names.length === 0 && flags['dry-run']) names = (await recoveringDomains(ctx, all)).map((d) => d.name)
    else if (names.length === 0) {
      const recovering = await recoveringDomains(ctx, all)
      if (!process.stdin.isTTY || !process.stderr.isTTY) throw usage('name the file systems to recover, or --all')
      if (recovering.length === 0) {
        await this.emit({domains: []}, () => 'no file system is recovering')
        return
      }
      const {checkbox} = await import('@inquirer/prompts')
      names = await checkbox(
        {message: 'Recover which file systems?', choices: recovering.map((d) => ({name: `${d.name} (dead: ${d.deadNodes.join(', ')})`, value: d.name, checked: true}))},
        {output: process.stderr},
      )
      flags.yes = true
    }
    for (const n of names) if (!all.includes(n)) throw usage(`unknown file system '${n}' (file systems: ${all.join(', ')})`)
    if (flags['dry-run']) {
      const plan = await planRecovery(ctx, names, flags.as)
      await this.emit(plan, () => renderRecoveryPlan(plan))
      return
    }
    if (names.length > 0 && !flags.yes) {
      const plan = await planRecovery(ctx, names, flags.as)
      await this.confirm(`recover ${names.join(', ')}: replay the dead nodes' journals and validate\n${renderRecoveryPlan(plan).split('\n').slice(1).join('\n')}`, flags.yes)
    }
    const tty = process.stderr.isTTY && !this.jsonMode
    const r = await recover(ctx, names, {
      as: flags.as,
      maxAttempts: flags['max-attempts'],
      killAfterAttach: flags['kill-after-attach'],
      onStep: tty ? (fs, step) => process.stderr.write(`${fs}: ${step}\n`) : undefined,
    })
    await this.emit(r, () => renderRecover(r))
    const failed = r.domains.filter((d) => d.result === 'FAILED')
    if (failed.length) this.setExit(failed.every((d) => !d.error) ? EXIT.MORE_RECOVERY : failed.find((d) => d.error)!.error!.exitCode)
  }
}
