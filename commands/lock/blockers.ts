import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {usage} from '../../src/errors.js'
import {blockersOp} from '../../src/core/lock-diagnosis.js'
import {parseLockId} from '../../src/model/names.js'
import {renderBlockers} from '../../src/render/views.js'
import {cyclesOp} from '../../src/core/cycles.js'
import {renderCycles} from '../../src/render/lockops.js'

export default class LockBlockers extends DlmCommand {
  static override summary = 'The wait-for tree: which granted locks block a waiting or converting lock, recursively'
  static override description = 'For a lock id, for every blocked lock of a resource (--resource), or for every blocked lock of the domain. Each blocker is marked when it is an orphan of a dead node and when validate will release it; a live holder must release or convert. With --cycles: every deadlock cycle of the wait-for graph across the resources and nodes of the domain, and the locks whose release or cancel breaks it (no victim is chosen).'
  static override examples = [
    '<%= config.bin %> lock blockers fs1 12',
    '<%= config.bin %> lock blockers fs1 --resource meta/a',
    '<%= config.bin %> lock blockers fs1 --json',
    '<%= config.bin %> lock blockers fs1 --cycles',
    "<%= config.bin %> lock blockers fs1 --cycles --json | jq '.cycles[].locks | map(.lockId)'",
  ]
  static override args = {
    fs: Args.string({description: 'file system (lock domain)', required: true}),
    lockid: Args.string({description: 'lock id (default: every waiting or converting lock)'}),
  }
  static override flags = {
    resource: Flags.string({description: 'every waiting or converting lock of this resource'}),
    cycles: Flags.boolean({description: 'every deadlock cycle in the domain (locks waiting on each other across resources and nodes)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LockBlockers)
    if (args.lockid && flags.resource) throw usage('give a lock id or --resource, not both')
    if (flags.cycles) {
      if (args.lockid || flags.resource) throw usage('--cycles looks at the whole domain: no lock id or --resource (lock explain <fs> <id> names the cycles of one lock)')
      const c = await cyclesOp(this.ctx(flags), args.fs)
      await this.emit(c, () => renderCycles(c))
      return
    }
    const r = await blockersOp(this.ctx(flags), args.fs, {lockId: args.lockid ? parseLockId(args.lockid) : undefined, resource: flags.resource})
    await this.emit(r, () => renderBlockers(r))
  }
}
