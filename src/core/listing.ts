// lock list beyond the plain listing: a summary, a sort, a limit, and the human
// table's choice to leave out the cluster's own locks. Works on the listing's
// locks as an iterable (the store may stream them).
import type {LockView} from '../model/validity.js'
import {listLocks, streamLocks, type ListFilter} from './locks.js'
import type {Ctx} from './context.js'
import {selectLockRows, selectLocks, summarize, type LockRows, type LockSummary, type SortKey} from './summary.js'

export interface ListingOptions {
  summary?: boolean
  sort?: SortKey
  limit?: number
  /** Show deadman and recovery locks in the human table too. */
  all?: boolean
  format: 'table' | 'json' | 'yaml' | 'tsv'
}

export type Listing =
  | {kind: 'summary'; summary: LockSummary}
  | {kind: 'locks'; locks: LockView[]; total: number; hiddenSystem: number; cutByLimit: number}

/**
 * What each format shows:
 * - json without --sort/--limit: the listing exactly as before (store order, every lock);
 * - the human table: sorted (by id unless --sort), deadman and recovery locks left
 *   out unless --all or a --resource filter names them;
 * - yaml and tsv: every lock, sorted by id unless --sort.
 * --limit applies to every format after sorting.
 */
export async function lockListing(ctx: Ctx, f: ListFilter, o: ListingOptions, allDomainNames: () => Promise<string[]>): Promise<Listing> {
  const {locks} = await listLocks(ctx, f, allDomainNames)
  if (o.summary) return {kind: 'summary', summary: summarize(locks)}
  if (o.format === 'json') return {kind: 'locks', ...selectLocks(locks, {sort: o.sort, limit: o.limit})}
  const hideSystem = o.format === 'table' && hidesSystemLocks(f, o)
  return {kind: 'locks', ...selectLocks(locks, {sort: o.sort ?? 'id', limit: o.limit, hideSystem})}
}

/** The human table leaves out the cluster's own locks (deadman, recovery) unless --all or a --resource filter names them. */
const hidesSystemLocks = (f: ListFilter, o: {all?: boolean}) => !o.all && !f.resource

/**
 * The human table of lockListing (by id, system locks left out as there, then
 * --limit), selected while the locks stream: each kept lock becomes its row
 * (`row`) at once, so a million locks are never held as views (gigabytes).
 */
export async function lockTableRows(
  ctx: Ctx,
  f: ListFilter,
  o: {limit?: number; all?: boolean},
  allDomainNames: () => Promise<string[]>,
  row: (l: LockView) => string,
): Promise<LockRows> {
  return streamLocks(ctx, f, allDomainNames, async (locks) => selectLockRows(locks, {limit: o.limit, hideSystem: hidesSystemLocks(f, o)}, row))
}
