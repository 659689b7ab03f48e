import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {convertLockOp, parseMode} from '../../src/core/locks.js'
import {parseLockId} from '../../src/model/names.js'
import {renderConvert} from '../../src/render/lockops.js'

export default defineCommand({
  summary: 'Convert a granted lock to another mode, or cancel what a lock waits for',
  description: 'Granted in place when compatible with every other granted lock (a down-conversion never waits); otherwise queued on the convert queue keeping its granted mode, or refused with NOTQUEUED (--noqueue) or DEADLOCK (two conversions waiting on each other). --quecvt queues an up-conversion behind those already queued even when it could be granted at once. A PW or EX holder writes the value block with --lvb as it converts down or to the same mode; an up-conversion only reads it (LVB_NOT_WRITER). --cancel withdraws a pending conversion (the lock keeps its mode) or a waiting request (as lock release).',
  examples: [
    '<%= config.bin %> lock convert fs1 7 --mode PR --lvb 01ff',
    '<%= config.bin %> lock convert fs1 7 --mode EX --lvb 01ff',
    '<%= config.bin %> lock convert fs1 7 --mode EX --noqueue',
    '<%= config.bin %> lock convert fs1 7 --mode EX --quecvt',
    '<%= config.bin %> lock convert fs1 7 --cancel',
  ],
  args: {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  },
  flags: {
    mode: Flags.string({description: 'new mode: NL, CR, CW, PR, PW or EX'}),
    lvb: Flags.string({description: 'write the value block as converting down or to the same mode (PW/EX holder; hex)'}),
    noqueue: Flags.boolean({description: 'fail with NOTQUEUED instead of waiting'}),
    quecvt: Flags.boolean({description: 'queue behind the conversions already waiting, even if grantable now (up-conversions only)'}),
    cancel: Flags.boolean({description: 'withdraw the pending conversion (the lock keeps its mode) or the waiting request'}),
  },
  async run({args, flags}, cx) {
    const r = await convertLockOp(cx.ctx(flags), {
      fs: args.fs,
      id: parseLockId(args.lockid),
      mode: flags.mode ? parseMode(flags.mode) : undefined,
      lvb: flags.lvb,
      noqueue: flags.noqueue,
      cancel: flags.cancel,
      quecvt: flags.quecvt,
    })
    await cx.emit(r, () => renderConvert(r))
  },
})
