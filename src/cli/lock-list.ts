// lock list's answer in each format: the locks streamed (--json, and the table off
// a terminal: a million locks are never held in memory), or the whole listing read
// first (the summary, a sort, yaml, tsv, the table on a terminal), then written.
import type {Ctx} from '../core/context.js'
import {lockListing, lockTableRows, type ListingOptions} from '../core/listing.js'
import {streamLocks, type ListFilter} from '../core/locks.js'
import {domainsOf} from '../core/nodes.js'
import {writeJsonList} from '../render/json-stream.js'
import {LOCK_COLUMNS, renderLockListing, renderSummary, summaryTsv, tsv, writeLockListing, yaml} from '../render/listing.js'
import {lockListProgress, withProgress} from '../render/progress.js'
import {lockRowText} from '../render/views.js'
import type {RunContext} from './define.js'
import {stdoutWriter, writeMachine} from './output.js'

/** Print the locks `f` selects, as `o` asks (format, summary, sort, limit). */
export async function writeLocks(ctx: Ctx, f: ListFilter, o: ListingOptions, cx: RunContext): Promise<void> {
  const domains = () => domainsOf(ctx)
  if (o.format === 'json' && !o.summary && o.sort === undefined && o.limit === undefined) {
    // Streamed: a million locks are never held in memory (same bytes as one JSON.stringify).
    return streamLocks(ctx, f, domains, (locks) => writeJsonList(process.stdout, 'locks', locks), {lines: true})
  }
  if (o.format === 'table' && !o.summary && o.sort === undefined && !process.stdout.isTTY) {
    // Off a terminal the table is selected and written as the locks stream (a million locks in ~200 MB).
    const sel = await lockTableRows(ctx, f, {limit: o.limit, all: o.all}, domains, lockRowText(f.fs !== undefined))
    return writeLockListing(stdoutWriter(), sel, f.fs)
  }
  const r = await withProgress(o.format === 'table', lockListProgress(f.fs), () => lockListing(ctx, f, o, domains))
  const doc = r.kind === 'summary' ? r.summary : {locks: r.locks}
  if (o.format === 'yaml') return writeMachine(await yaml(doc))
  if (o.format === 'tsv') return writeMachine(r.kind === 'summary' ? summaryTsv(r.summary) : tsv(LOCK_COLUMNS, r.locks as unknown as Record<string, unknown>[]))
  await cx.emit(doc, () => (r.kind === 'summary' ? renderSummary(r.summary) : renderLockListing(r, f.fs)))
}
