import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {convertLockOp, parseLockId, parseMode} from '../../src/core/locks.js'
import {renderLock} from '../../src/render/views.js'

export default class LockConvert extends DlmCommand {
  static override summary = 'Convert a granted lock to another mode, or withdraw a pending conversion'
  static override description = 'Granted in place when compatible with every other granted lock (a down-conversion never waits); otherwise queued on the convert queue keeping its granted mode, or refused with NOTQUEUED (--noqueue) or DEADLOCK (two conversions waiting on each other). A PW/EX holder may write the value block with --lvb.'
  static override examples = [
    '<%= config.bin %> lock convert fs1 7 --mode PR --lvb 01ff',
    '<%= config.bin %> lock convert fs1 7 --mode EX --noqueue',
    '<%= config.bin %> lock convert fs1 7 --cancel',
  ]
  static override args = {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  }
  static override flags = {
    mode: Flags.string({description: 'new mode: NL, CR, CW, PR, PW or EX'}),
    lvb: Flags.string({description: 'write the value block as converting (PW/EX holder; hex)'}),
    noqueue: Flags.boolean({description: 'fail with NOTQUEUED instead of waiting'}),
    cancel: Flags.boolean({description: 'withdraw the pending conversion (the lock keeps its granted mode)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LockConvert)
    const r = await convertLockOp(this.ctx(flags), {
      fs: args.fs,
      id: parseLockId(args.lockid),
      mode: flags.mode ? parseMode(flags.mode) : undefined,
      lvb: flags.lvb,
      noqueue: flags.noqueue,
      cancel: flags.cancel,
    })
    await this.emit(r, () => renderLock(r))
  }
}
