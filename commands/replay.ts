import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../src/cli/base.js'
import {EXIT} from '../src/errors.js'
import {parseRecoveryId} from '../src/model/names.js'
import {replayOp} from '../src/core/replay.js'
import {renderReplay} from '../src/render/views.js'
import {progress} from '../src/render/progress.js'
import {renderReplayProgress} from '../src/render/safety.js'

export default class Replay extends DlmCommand {
  static override summary = "Replay the dead nodes' journals of a file system into its metadata"
  static override description = 'For each dead node of the domain, applies past its replay point exactly the committed transactions (a transaction without its commit record is discarded; replay stops at the first torn or damaged record). A record changes a key only if its sequence number is higher than the key\'s, so replaying again changes nothing. Another death during replay: MORE_RECOVERY (exit 3), nothing written.'
  static override examples = ['<%= config.bin %> replay fs1 --id 1', '<%= config.bin %> replay fs1 --id 1 --dry-run --json']
  static override args = {fs: Args.string({description: 'file system', required: true})}
  static override flags = {
    id: Flags.string({description: 'recovery id from domain attach', required: true}),
    'dry-run': Flags.boolean({description: 'show what would be applied and change nothing'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Replay)
    const bar = progress(!this.jsonMode)
    const t0 = performance.now()
    const r = await replayOp(this.ctx(flags), args.fs, parseRecoveryId(flags.id), {
      dryRun: flags['dry-run'],
      onProgress: (n, fraction) => bar.update(renderReplayProgress(args.fs, n, undefined, performance.now() - t0, fraction)),
    }).finally(() => bar.done())
    await this.emit(r, () => renderReplay(r))
    if (r.result === 'MORE_RECOVERY') this.setExit(EXIT.MORE_RECOVERY)
  }
}
