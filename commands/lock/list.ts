import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {writeLocks} from '../../src/cli/lock-list.js'
import {outputFlag, outputFormat} from '../../src/cli/output.js'
import {parseLimit, parseSortKey, SORT_KEYS} from '../../src/core/summary.js'

export default defineCommand({
  summary: 'Every lock with its status, validity and the reasons it is not valid',
  description: 'The human table is sorted by lock id and leaves out deadman and recovery locks (the cluster\'s own) unless --all; --json lists every lock in store order (grouped by domain and resource, in queue order) unless --sort or --limit. Reasons: DOMAIN_RECOVERING (persistent lock in a recovering domain), ORPHANED (holder is dead), VALNOTVALID (the value block is not valid).',
  examples: [
    '<%= config.bin %> lock list',
    '<%= config.bin %> lock list fs1 --invalid',
    '<%= config.bin %> lock list --summary',
    '<%= config.bin %> lock list fs1 --sort resource --limit 20',
    "<%= config.bin %> lock list fs1 -o tsv | awk -F'\\t' '$6 == \"waiting\"'",
    "<%= config.bin %> lock list fs1 --resource 'meta/*' --node n2 --json",
  ],
  args: {fs: Args.string({description: 'only this file system (lock domain)'})},
  flags: {
    node: Flags.string({description: 'only locks held or requested by this node'}),
    resource: Flags.string({description: "only this resource (or a prefix ending in '*')"}),
    invalid: Flags.boolean({description: 'only locks that are not valid'}),
    waiting: Flags.boolean({description: 'only locks waiting or converting'}),
    summary: Flags.boolean({description: 'counts by domain, node, mode, status and reason, and the most waited-on resources, instead of the locks'}),
    sort: Flags.string({description: `sort by ${SORT_KEYS.join(', ')} (numbers inside names in natural order; then by lock id)`}),
    limit: Flags.string({description: 'show only the first N locks (after sorting)'}),
    all: Flags.boolean({description: 'the human table shows deadman and recovery locks too'}),
    output: outputFlag,
  },
  async run({args, flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const ctx = cx.ctx(flags)
    const sort = flags.sort === undefined ? undefined : parseSortKey(flags.sort)
    const limit = flags.limit === undefined ? undefined : parseLimit(flags.limit)
    const filter = {fs: args.fs, node: flags.node, resource: flags.resource, invalid: flags.invalid, waiting: flags.waiting}
    await writeLocks(ctx, filter, {summary: flags.summary, sort, limit, all: flags.all, format}, cx)
  },
})
