import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {usage} from '../../src/errors.js'
import {blockersOp} from '../../src/core/lock-diagnosis.js'
import {parseLockId} from '../../src/model/names.js'
import {renderBlockers} from '../../src/render/views.js'
import {cyclesOp} from '../../src/core/cycles.js'
import {renderCycles} from '../../src/render/lockops.js'

export default defineCommand({
  summary: 'The wait-for tree: which granted locks block a waiting or converting lock, recursively',
  description: 'For a lock id, for every blocked lock of a resource (--resource), or for every blocked lock of the domain. Each blocker is marked when it is an orphan of a dead node and when validate will release it; a live holder must release or convert. With --cycles: every deadlock cycle of the wait-for graph across the resources and nodes of the domain, and the locks whose release or cancel breaks it (no victim is chosen).',
  examples: [
    '<%= config.bin %> lock blockers fs1 12',
    '<%= config.bin %> lock blockers fs1 --resource meta/a',
    '<%= config.bin %> lock blockers fs1 --json',
    '<%= config.bin %> lock blockers fs1 --cycles',
    "<%= config.bin %> lock blockers fs1 --cycles --json | jq '.cycles[].locks | map(.lockId)'",
  ],
  args: {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id (default: every waiting or converting lock)'}),
  },
  flags: {
    resource: Flags.string({description: 'every waiting or converting lock of this resource'}),
    cycles: Flags.boolean({description: 'every deadlock cycle in the domain (locks waiting on each other across resources and nodes)'}),
  },
  async run({args, flags}, cx) {
    if (args.lockid && flags.resource) throw usage('give a lock id or --resource, not both')
    if (flags.cycles) {
      if (args.lockid || flags.resource) throw usage('--cycles looks at the whole domain: no lock id or --resource (lock explain <fs> <id> names the cycles of one lock)')
      const c = await cyclesOp(cx.ctx(flags), args.fs)
      await cx.emit(c, () => renderCycles(c))
      return
    }
    const r = await blockersOp(cx.ctx(flags), args.fs, {lockId: args.lockid ? parseLockId(args.lockid) : undefined, resource: flags.resource})
    await cx.emit(r, () => renderBlockers(r))
  },
})
