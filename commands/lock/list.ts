import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, stdoutWriter, writeMachine} from '../../src/cli/output.js'
import {lockListing, lockTableRows} from '../../src/core/listing.js'
import {domainsOf} from '../../src/core/nodes.js'
import {parseLimit, parseSortKey, SORT_KEYS} from '../../src/core/summary.js'
import {LOCK_COLUMNS, renderLockListing, renderSummary, summaryTsv, tsv, writeLockListing, yaml} from '../../src/render/listing.js'
import {lockRowText} from '../../src/render/views.js'
import {streamLocks} from '../../src/core/locks.js'
import {progress} from '../../src/render/progress.js'
import {writeJsonList} from '../../src/render/json-stream.js'

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
    if (format === 'json' && !flags.summary && sort === undefined && limit === undefined) {
      // Streamed: a million locks are never held in memory (same bytes as one JSON.stringify).
      await streamLocks(ctx, filter, () => domainsOf(ctx), (locks) => writeJsonList(process.stdout, 'locks', locks), {lines: true})
      return
    }
    if (format === 'table' && !flags.summary && sort === undefined && !process.stdout.isTTY) {
      // Off a terminal the table is selected and written as the locks stream (a million locks in ~200 MB).
      const sel = await lockTableRows(ctx, filter, {limit, all: flags.all}, () => domainsOf(ctx), lockRowText(args.fs !== undefined))
      return writeLockListing(stdoutWriter(), sel, args.fs)
    }
    const bar = progress(format === 'table')
    bar.update(`reading the locks of ${args.fs ?? 'every domain'}…`)
    const r = await lockListing(ctx, filter, {summary: flags.summary, sort, limit, all: flags.all, format}, () => domainsOf(ctx)).finally(() => bar.done())
    const doc = r.kind === 'summary' ? r.summary : {locks: r.locks}
    if (format === 'yaml') return writeMachine(await yaml(doc))
    if (format === 'tsv') return writeMachine(r.kind === 'summary' ? summaryTsv(r.summary) : tsv(LOCK_COLUMNS, r.locks as unknown as Record<string, unknown>[]))
    await cx.emit(doc, () => (r.kind === 'summary' ? renderSummary(r.summary) : renderLockListing(r, args.fs)))
  },
})
