import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {exitOf} from '../src/cli/exit.js'
import {parseRecoveryId} from '../src/model/names.js'
import {replayOp} from '../src/core/replay.js'
import {renderReplay} from '../src/render/views.js'
import {progress} from '../src/render/progress.js'
import {renderReplayProgress} from '../src/render/safety.js'

export default defineCommand({
  summary: "Replay the dead nodes' journals of a file system into its metadata",
  description: 'For each dead node of the domain, applies past its replay point exactly the committed transactions (a transaction without its commit record is discarded; replay stops at the first torn or damaged record). A record changes a key only if its sequence number is higher than the key\'s, so replaying again changes nothing. Another death during replay: MORE_RECOVERY (exit 3), nothing written.',
  examples: ['<%= config.bin %> replay fs1 --id 1', '<%= config.bin %> replay fs1 --id 1 --dry-run --json'],
  args: {fs: Args.string({description: 'file system', required: true})},
  flags: {
    id: Flags.string({description: 'recovery id from domain attach', required: true}),
    'dry-run': Flags.boolean({description: 'show what would be applied and change nothing'}),
  },
  async run({args, flags}, cx) {
    const bar = progress(!cx.json)
    const t0 = performance.now()
    const r = await replayOp(cx.ctx(flags), args.fs, parseRecoveryId(flags.id), {
      dryRun: flags['dry-run'],
      onProgress: (n, fraction) => bar.update(renderReplayProgress(args.fs, n, undefined, performance.now() - t0, fraction)),
    }).finally(() => bar.done())
    await cx.emit(r, () => renderReplay(r))
    cx.setExit(exitOf('recovery', r))
  },
})
