import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {confirmedChange} from '../../src/cli/confirm.js'
import {markDead} from '../../src/core/nodes.js'
import {markDeadConfirmed} from '../../src/core/confirmed.js'
import {renderDeath} from '../../src/render/views.js'
import {renderFencing} from '../../src/render/safety.js'

export default defineCommand({
  summary: 'Declare a node dead: fence it, then run DLM recovery in each of its domains',
  description: 'Runs the cluster\'s fence command first and refuses (exit 7, nothing changed) if it fails, unless --skip-fence. Then, in every domain the node belongs to: the epoch grows, the domain enters recovery, the node\'s non-persistent locks are dropped, its persistent locks stay granted as orphans, value blocks it held in PW/EX become not valid. Marking a node that is already dead changes nothing.',
  examples: [
    '<%= config.bin %> node mark-dead n2 --yes',
    '<%= config.bin %> node mark-dead n2 --skip-fence --yes --json',
    '<%= config.bin %> node mark-dead n2 --dry-run',
    '<%= config.bin %> node mark-dead n2 --yes --expect-generation 7   # only if nobody changed the membership since status said 7',
  ],
  args: {node: Args.string({description: 'node name', required: true})},
  flags: {
    'skip-fence': Flags.boolean({description: 'do not run the fence command (you fenced the node another way)'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'show what would change and change nothing'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
  },
  async run({args, flags}, cx) {
    const ctx = cx.ctx(flags)
    const r = await confirmedChange(cx, {
      dryRun: flags['dry-run'],
      dry: () => markDead(ctx, args.node, {dryRun: true}),
      yes: flags.yes,
      ask: true,
      preview: () => markDead(ctx, args.node, {dryRun: true}),
      question: (p) => (p.alreadyDead ? undefined : renderDeath(p, true)),
      change: (shown) =>
        markDeadConfirmed(ctx, args.node, {preview: shown, expectGeneration: flags['expect-generation']}, {
          skipFence: flags['skip-fence'],
          onFence: (argv, timeoutMs) => cx.tell(renderFencing(argv, timeoutMs)),
        }),
    })
    await cx.emit(r, () => renderDeath(r, !!flags['dry-run']))
  },
})
