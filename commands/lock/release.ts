import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {releaseLockOp} from '../../src/core/locks.js'
import {parseLockId} from '../../src/model/names.js'
import {renderRelease} from '../../src/render/results.js'

export default class LockRelease extends DlmCommand {
  static override summary = 'Release a lock, withdraw a waiting request, or drop a converting lock'
  static override description = 'Serves the queues afterwards. A PW/EX holder may write the value block as it releases (--lvb). An orphan of a dead node is released only by validate.'
  static override examples = ['<%= config.bin %> lock release fs1 7', '<%= config.bin %> lock release fs1 7 --lvb 2a --json']
  static override args = {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  }
  static override flags = {lvb: Flags.string({description: 'write the value block as releasing (PW/EX holder; hex)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LockRelease)
    const r = await releaseLockOp(this.ctx(flags), {fs: args.fs, id: parseLockId(args.lockid), lvb: flags.lvb})
    await this.emit(r, () => renderRelease(r))
  }
}
