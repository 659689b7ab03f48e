import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {once} from 'node:events'
import {streamLocks} from '../../src/core/locks.js'
import {domainsOf} from '../../src/core/nodes.js'
import {writeLocksTable} from '../../src/render/views.js'
import {loadTables} from '../../src/render/table.js'
import {progress} from '../../src/render/progress.js'
import {writeJsonList} from '../../src/render/json-stream.js'

export default class LockList extends DlmCommand {
  static override summary = 'Every lock with its status, validity and the reasons it is not valid'
  static override description = 'Grouped by domain and resource, in queue order (granted, converting, waiting). Reasons: DOMAIN_RECOVERING (persistent lock in a recovering domain), ORPHANED (holder is dead), VALNOTVALID (the value block is not valid).'
  static override examples = [
    '<%= config.bin %> lock list',
    '<%= config.bin %> lock list fs1 --invalid',
    "<%= config.bin %> lock list fs1 --resource 'meta/*' --node n2 --json",
  ]
  static override args = {fs: Args.string({description: 'only this file system (lock domain)'})}
  static override flags = {
    node: Flags.string({description: 'only locks held or requested by this node'}),
    resource: Flags.string({description: "only this resource (or a prefix ending in '*')"}),
    invalid: Flags.boolean({description: 'only locks that are not valid'}),
    waiting: Flags.boolean({description: 'only locks waiting or converting'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LockList)
    const ctx = this.ctx(flags)
    if (this.jsonMode) {
      // Streamed: a million locks are never held in memory (same bytes as one JSON.stringify).
      await streamLocks(ctx, {fs: args.fs, ...flags}, () => domainsOf(ctx), (locks) => writeJsonList(process.stdout, 'locks', locks))
      return
    }
    const bar = progress(!this.jsonMode)
    bar.update(`reading the locks of ${args.fs ?? 'every domain'}…`)
    await loadTables()
    // Streamed too (two passes: columns, then rows), with the bar until the first line.
    const write = async (text: string) => {
      bar.done()
      if (!process.stdout.write(text)) await once(process.stdout, 'drain')
    }
    await streamLocks(ctx, {fs: args.fs, ...flags}, () => domainsOf(ctx), (locks) => writeLocksTable(locks, write, args.fs)).finally(() => bar.done())
  }
}
