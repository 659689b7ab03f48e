import * as Args from '@oclif/core/args'
import {defineCommand} from '../../src/cli/define.js'
import {explainOp} from '../../src/core/lock-diagnosis.js'
import {parseLockId} from '../../src/model/names.js'
import {renderExplain} from '../../src/render/views.js'

export default defineCommand({
  summary: 'Why a lock is valid or not: which death made it invalid, and which command makes it valid',
  examples: ['<%= config.bin %> lock explain fs1 12', '<%= config.bin %> lock explain fs1 12 --json | jq .reasons'],
  args: {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id', required: true}),
  },
  async run({args, flags}, cx) {
    const r = await explainOp(cx.ctx(flags), args.fs, parseLockId(args.lockid))
    await cx.emit(r, () => renderExplain(r))
  },
})
