import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {releaseLockOp} from '../../src/core/locks.js'
import {parseLockId} from '../../src/model/names.js'
import {renderRelease} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Release a lock, withdraw a waiting request, or drop a converting lock',
  description: 'Serves the queues afterwards. A PW/EX holder may write the value block as it releases (--lvb). An orphan of a dead node is released only by validate.',
  examples: ['<%= config.bin %> lock release fs1 7', '<%= config.bin %> lock release fs1 7 --lvb 2a --json'],
  args: {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  },
  flags: {lvb: Flags.string({description: 'write the value block as releasing (PW/EX holder; hex)'})},
  async run({args, flags}, cx) {
    const r = await releaseLockOp(cx.ctx(flags), {fs: args.fs, id: parseLockId(args.lockid), lvb: flags.lvb})
    await cx.emit(r, () => renderRelease(r))
  },
})
