import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {markStaleDead} from '../../src/core/confirmed.js'
import {renderFencing} from '../../src/render/safety.js'
import {parseDuration} from '../../src/util/duration.js'
import {renderNodeCheck, renderStaleConfirm} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Mark dead the up nodes whose heartbeat is older than the timeout',
  description: 'Each stale node goes through mark-dead (fencing included). With --dry-run, only lists them.',
  examples: ['<%= config.bin %> node check --timeout 10s --yes', '<%= config.bin %> node check --timeout 1m --dry-run'],
  flags: {
    timeout: Flags.string({description: 'heartbeat age after which a node is dead', default: '10s'}),
    'skip-fence': Flags.boolean({description: 'do not run the fence command'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'list stale nodes and change nothing'}),
  },
  async run({flags}, cx) {
    const ctx = cx.ctx(flags)
    const r = await markStaleDead(ctx, {text: flags.timeout, ms: parseDuration(flags.timeout, '--timeout')}, {
      dryRun: flags['dry-run'],
      confirm: (stale) => cx.confirm(renderStaleConfirm(stale, flags.timeout), flags.yes),
      skipFence: flags['skip-fence'],
      onFence: (argv, ms) => cx.tell(renderFencing(argv, ms)),
    })
    await cx.emit(r, () => renderNodeCheck(r, flags.timeout))
  },
})
