import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {blockersQuery, lockBlockers} from '../../src/core/lock-diagnosis.js'
import {renderLockBlockers} from '../../src/render/lockops.js'

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
    const q = blockersQuery({lockId: args.lockid, resource: flags.resource, cycles: flags.cycles})
    const r = await lockBlockers(cx.ctx(flags), args.fs, q)
    await cx.emit(r.result, () => renderLockBlockers(r))
  },
})
