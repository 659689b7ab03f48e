import * as Args from '@oclif/core/args'
import {DlmCommand} from '../../src/cli/base.js'
import {explainOp} from '../../src/core/lock-diagnosis.js'
import {parseLockId} from '../../src/model/names.js'
import {renderExplain} from '../../src/render/views.js'

export default class LockExplain extends DlmCommand {
  static override summary = 'Why a lock is valid or not: which death made it invalid, and which command makes it valid'
  static override examples = ['<%= config.bin %> lock explain fs1 12', '<%= config.bin %> lock explain fs1 12 --json | jq .reasons']
  static override args = {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LockExplain)
    const r = await explainOp(this.ctx(flags), args.fs, parseLockId(args.lockid))
    await this.emit(r, () => renderExplain(r))
  }
}
