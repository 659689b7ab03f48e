// How a command shows what it did for safety: whether a node was fenced, and
// what it runs meanwhile.
import {shellWords} from './escape.js'
import {count} from './number.js'

/** The line shown on a terminal while the fence command runs (it may take up to its timeout). */
export function renderFencing(argv: string[], timeoutMs: number): string {
  return `fencing: running ${shellWords(argv)} (timeout ${timeoutMs / 1000}s)…`
}

/** Whether the node was fenced: said outright either way. */
export function renderFenced(r: {fence: string; fenced: {command: string[]; exit: number; ms: number} | null}): string {
  if (r.fenced) return `fenced: ${shellWords(r.fenced.command)} exited ${r.fenced.exit} after ${r.fenced.ms} ms`
  return r.fence === 'skipped' ? 'NOT fenced: --skip-fence given (the node must have been fenced another way)' : 'NOT fenced: no fence command configured'
}

/** The question before recover runs: what it does, then the plan's lines. */
export function renderRecoverQuestion(names: string[], planText: string): string {
  return `recover ${names.join(', ')}: replay the dead nodes' journals and validate\n${planText.split('\n').slice(1).join('\n')}`
}

/** What validate --force will abandon, per dead node, before it asks. */
export function renderForcedValidate(fs: string, p: {abandoned: {node: string; transactions: number; records: number}[]; releasedOrphans?: number[]; recoveredNodes?: string[]}): string {
  const lines = [`validate ${fs} even if dead nodes' journals are not replayed:`]
  if (p.abandoned.length === 0) lines.push('  no committed record is abandoned (every dead node\'s journal is replayed)')
  for (const a of p.abandoned) lines.push(`  ${a.node}: ${a.transactions} committed transaction(s), ${a.records} record(s) will be abandoned (never applied)`)
  if (p.releasedOrphans?.length) lines.push(`  ${p.releasedOrphans.length} orphan lock(s) released: ${p.releasedOrphans.slice(0, 10).join(', ')}${p.releasedOrphans.length > 10 ? ', …' : ''}`)
  if (p.recoveredNodes?.length) lines.push(`  ${p.recoveredNodes.join(', ')} will be recovered`)
  return lines.join('\n')
}


/**
 * Replay progress of one domain: records so far, of how many when known (a plan
 * was shown), the percent (of those records, else of the journal bytes scanned)
 * and the rate.
 */
export function renderReplayProgress(fs: string, records: number, total: number | undefined, ms: number, fraction?: number): string {
  const pct = total
    ? ` of ${count(total)} (${Math.min(100, Math.floor((records / total) * 100))}%)`
    : fraction !== undefined ? ` (${Math.min(100, Math.floor(fraction * 100))}%)` : ''
  const rate = ms > 0 ? `, ${count(Math.round((records / ms) * 1000))} records/s` : ''
  return `replaying ${fs}: ${count(records)} records${pct}${rate}`
}
