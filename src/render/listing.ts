// Listings in the formats of -o/--output: tsv (headed, borderless, one line per
// row, for awk and cut) and yaml; and the human renderings of lock list's
// selections and summary.
import type {LockView} from '../model/validity.js'
import type {BlockedResource, LockCounts, LockRows, LockSummary} from '../core/summary.js'
import {renderLocks, writeLocks} from './views.js'
import {table, dim} from './table.js'
import type {Send} from '../util/json-bytes.js'
import {count} from './number.js'

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'tsv'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/**
 * One tsv cell: lists joined by ',', objects as JSON, absent as empty; a tab,
 * newline, carriage return or backslash inside a value is written \t \n \r \\
 * (the usual escaping of the tsv format), so every row stays one line; any other
 * control character as \xNN, so none reaches a terminal raw.
 */
export function tsvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v)
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\\\x00-\x1f\x7f]/g, (c) => ({'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'})[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** A header line of the column names, then one line per row. */
export function tsv(columns: string[], rows: Iterable<Record<string, unknown>>): string {
  const out = [columns.join('\t')]
  for (const r of rows) out.push(columns.map((c) => tsvCell(r[c])).join('\t'))
  return out.join('\n') + '\n'
}

/** The columns of rows that differ in their fields: every field, in order of first appearance. */
export function columnsOf(rows: Iterable<Record<string, unknown>>): string[] {
  const seen = new Set<string>()
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k)
  return [...seen]
}

export const LOCK_COLUMNS = ['lockId', 'domain', 'resource', 'node', 'mode', 'status', 'requestedMode', 'persistent', 'valid', 'invalidReasons', 'lvb']

/** YAML of a JSON-shaped value (the yaml package is loaded only when asked for). */
export async function yaml(v: unknown): Promise<string> {
  const m = (await import('yaml')) as typeof import('yaml') & {default?: typeof import('yaml')}
  return (m.stringify ?? m.default!.stringify)(v, {lineWidth: 0})
}


/** The lock table of a listing, and what it left out and how to see it. */
export function renderLockListing(
  sel: {locks: LockView[]; total: number; hiddenSystem: number; cutByLimit: number},
  domain?: string,
): string {
  const lines: string[] = []
  if (sel.locks.length === 0 && sel.total > 0) lines.push(domain ? `no locks shown in ${domain}` : 'no locks shown')
  else lines.push(renderLocks(sel.locks, domain))
  if (sel.cutByLimit) lines.push(dim(`first ${count(sel.locks.length)} shown; ${count(sel.cutByLimit)} more not shown (--limit)`))
  if (sel.hiddenSystem) lines.push(dim(`${count(sel.hiddenSystem)} deadman and recovery lock(s) not shown (--all shows them)`))
  return lines.join('\n')
}

/** renderLockListing of a selection streamed as rows (selectLockRows), through `write`: the same text, then a newline. */
export async function writeLockListing(write: Send<string>, sel: LockRows, domain?: string): Promise<void> {
  if (sel.rows.length === 0 && sel.total > 0) await write(domain ? `no locks shown in ${domain}` : 'no locks shown')
  else await writeLocks(write, sel, domain)
  if (sel.cutByLimit) await write('\n' + dim(`first ${count(sel.rows.length)} shown; ${count(sel.cutByLimit)} more not shown (--limit)`))
  if (sel.hiddenSystem) await write('\n' + dim(`${count(sel.hiddenSystem)} deadman and recovery lock(s) not shown (--all shows them)`))
  await write('\n')
}

const countsRow = (c: LockCounts) => [c.locks, c.granted, c.converting, c.waiting, c.orphans, c.invalid]
const COUNT_HEAD = ['LOCKS', 'GRANTED', 'CONVERTING', 'WAITING', 'ORPHANS', 'INVALID']

function countTable(head: string, m: Record<string, number>): string {
  const keys = Object.keys(m)
  return table([head, 'LOCKS'], keys.map((k) => [k, m[k]]))
}

export function renderSummary(s: LockSummary): string {
  if (s.total.locks === 0) return 'no locks'
  const out: string[] = []
  out.push(table(['DOMAIN', ...COUNT_HEAD], [...Object.entries(s.byDomain).map(([d, c]) => [d, ...countsRow(c)]), ...(Object.keys(s.byDomain).length > 1 ? [['total', ...countsRow(s.total)]] : [])]))
  out.push(countTable('NODE', s.byNode))
  out.push(countTable('MODE', s.byMode))
  out.push(countTable('STATUS', s.byStatus))
  out.push(countTable('REASON', s.byReason))
  out.push(renderMostWaitedOn(s.mostWaitedOn))
  return out.join('\n')
}

export function renderMostWaitedOn(b: BlockedResource[]): string {
  if (b.length === 0) return 'no blocked resource'
  return `most waited-on resources:\n${table(['DOMAIN', 'RESOURCE', 'WAITING', 'CONVERTING'], b.map((r) => [r.domain, r.resource, r.waiting, r.converting]))}`
}

/** The summary as tsv: one line per count (group, key, locks); a domain's counts as group domain:<fs>. */
export function summaryTsv(s: LockSummary): string {
  const rows: Record<string, unknown>[] = []
  for (const [d, c] of Object.entries(s.byDomain)) for (const [key, locks] of Object.entries(c)) rows.push({group: `domain:${d}`, key, locks})
  for (const [group, m] of [['node', s.byNode], ['mode', s.byMode], ['status', s.byStatus], ['reason', s.byReason]] as const) for (const [key, locks] of Object.entries(m)) rows.push({group, key, locks})
  for (const b of s.mostWaitedOn) rows.push({group: `waited-on:${b.domain}`, key: b.resource, locks: b.waiting + b.converting})
  return tsv(['group', 'key', 'locks'], rows)
}

/** One event on one line (events --follow): time, type, then the other fields as key=value. */
export function renderEventLine(e: Record<string, unknown>): string {
  const {time, type, ...rest} = e
  const detail = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ')
  return `${String(time)}  ${String(type)}  ${detail}`
}
