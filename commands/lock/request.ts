import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {parseMode, requestLockOp} from '../../src/core/locks.js'
import {renderLock} from '../../src/render/views.js'

export default defineCommand({
  summary: 'Request a lock: granted at once, or queued (no queue jumping)',
  description: 'Prints the lock id, its status and validity. A persistent lock outlives its holder as an orphan and answers invalid while its domain recovers. With --noqueue a request that cannot be granted at once fails with NOTQUEUED (exit 5). A new lock reads the value block when granted; it never writes it.',
  examples: [
    '<%= config.bin %> lock request fs1 meta/a --node n2 --mode EX --persistent',
    '<%= config.bin %> lock request fs1 r/1 --node n1 --mode PR --noqueue',
    '<%= config.bin %> lock request fs1 r/1 --node n1 --mode PW --json | jq .lvb',
  ],
  args: {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    resource: Args.string({description: 'resource name, e.g. meta/<key>', required: true}),
  },
  flags: {
    node: Flags.string({description: 'requesting node', required: true}),
    mode: Flags.string({description: 'NL, CR, CW, PR, PW or EX', required: true}),
    persistent: Flags.boolean({description: 'keep the lock as an orphan if the node dies'}),
    noqueue: Flags.boolean({description: 'fail with NOTQUEUED instead of waiting'}),
    lvb: Flags.string({description: 'refused (LVB_NOT_WRITER): a new lock only reads the value block; a PW/EX holder writes it with lock convert or lock release --lvb'}),
  },
  async run({args, flags}, cx) {
    const r = await requestLockOp(cx.ctx(flags), {...args, node: flags.node, mode: parseMode(flags.mode), persistent: flags.persistent, noqueue: flags.noqueue, lvb: flags.lvb})
    await cx.emit(r, () => renderLock(r))
  },
})
