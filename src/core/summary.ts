// Summaries of many locks, as pure functions over an iterable of lock views, so
// that they work on whatever way the locks are read (whole domains in memory, or
// streamed bucket by bucket): counts per domain, the `lock list --summary`
// breakdown, sorting in natural order, and which locks the human table hides.
import {usage} from '../errors.js'
import {DEADMAN_PREFIX, isSystemResource} from '../model/domain.js'
import type {LockView} from '../model/validity.js'

/** A deadman or recovery lock: the cluster's own bookkeeping, not a lock an application took. */
export const isSystemLock = (l: {resource: string}): boolean => isSystemResource(l.resource)

export interface LockCounts {
  locks: number
  granted: number
  converting: number
  waiting: number
  /** Locks whose holder is not up (persistent locks kept granted after a death). */
  orphans: number
  invalid: number
}

export const emptyCounts = (): LockCounts => ({locks: 0, granted: 0, converting: 0, waiting: 0, orphans: 0, invalid: 0})

/** Add one lock to counts (in place). */
export function countLock(c: LockCounts, l: LockView): void {
  c.locks++
  c[l.status]++
  if (l.invalidReasons.includes('ORPHANED')) c.orphans++
  if (!l.valid) c.invalid++
}

export function countLocks(locks: Iterable<LockView>): LockCounts {
  const c = emptyCounts()
  for (const l of locks) countLock(c, l)
  return c
}

export interface BlockedResource {
  domain: string
  resource: string
  /** Requests waiting plus conversions pending on it. */
  waiting: number
  converting: number
}

export interface LockSummary {
  total: LockCounts
  byDomain: Record<string, LockCounts>
  byNode: Record<string, number>
  byMode: Record<string, number>
  byStatus: Record<string, number>
  /** Invalid locks per reason (a lock with two reasons counts under both); `valid` counts the valid ones. */
  byReason: Record<string, number>
  /** The resources with most blocked requests (waiting + converting), most first. Deadman resources wait by design: left out. */
  mostWaitedOn: BlockedResource[]
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1
}

/** Keys of a count map in natural order (n2 before n10). */
const sortedCounts = (m: Record<string, number>) => Object.fromEntries(Object.keys(m).sort(naturalCompare).map((k) => [k, m[k]]))

/** One pass over the locks: memory grows with the distinct nodes, modes and blocked resources, not the locks. */
export function summarize(locks: Iterable<LockView>, top = 10): LockSummary {
  const total = emptyCounts()
  const byDomain: Record<string, LockCounts> = {}
  const byNode: Record<string, number> = {}
  const byMode: Record<string, number> = {}
  const byStatus: Record<string, number> = {granted: 0, converting: 0, waiting: 0}
  const byReason: Record<string, number> = {valid: 0}
  const blocked = new Map<string, BlockedResource>()
  for (const l of locks) {
    countLock(total, l)
    countLock((byDomain[l.domain] ??= emptyCounts()), l)
    bump(byNode, l.node)
    bump(byMode, l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode)
    bump(byStatus, l.status)
    if (l.valid) byReason.valid++
    for (const r of l.invalidReasons) bump(byReason, r)
    if (l.status !== 'granted' && !l.resource.startsWith(DEADMAN_PREFIX)) {
      const k = `${l.domain}\0${l.resource}`
      let b = blocked.get(k)
      if (!b) blocked.set(k, (b = {domain: l.domain, resource: l.resource, waiting: 0, converting: 0}))
      b[l.status]++
    }
  }
  const mostWaitedOn = [...blocked.values()]
    .sort((a, b) => b.waiting + b.converting - (a.waiting + a.converting) || naturalCompare(a.domain, b.domain) || naturalCompare(a.resource, b.resource))
    .slice(0, top)
  const modeKey = (k: string) => MODE_ORDER[k.slice(0, 2) as keyof typeof MODE_ORDER] * 10 + (k.length > 2 ? 1 + MODE_ORDER[k.slice(-2) as keyof typeof MODE_ORDER] : 0)
  const modes = Object.fromEntries(Object.keys(byMode).sort((a, b) => modeKey(a) - modeKey(b)).map((k) => [k, byMode[k]]))
  const reasons = Object.fromEntries(['valid', ...REASON_ORDER].filter((r) => r in byReason).map((r) => [r, byReason[r]]))
  return {total, byDomain: Object.fromEntries(Object.keys(byDomain).sort(naturalCompare).map((k) => [k, byDomain[k]])), byNode: sortedCounts(byNode), byMode: modes, byStatus, byReason: reasons, mostWaitedOn}
}

/**
 * Natural order: runs of digits compare as numbers, so r/n3/994 < r/n3/9937 and
 * n2 < n10; otherwise by code unit (names are printable ASCII). Equal numbers with
 * different leading zeros fall back to plain order, so the order is total.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i
      let ej = j
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
      // Compare without leading zeros: longer is bigger, then digit by digit.
      let si = i
      let sj = j
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++
      if (ei - si !== ej - sj) return ei - si - (ej - sj)
      for (; si < ei; si++, sj++) {
        const d = a.charCodeAt(si) - b.charCodeAt(sj)
        if (d !== 0) return d
      }
      i = ei
      j = ej
      continue
    }
    if (ca !== cb) return ca - cb
    i++
    j++
  }
  if (a.length - i !== b.length - j) return a.length - i - (b.length - j)
  return a < b ? -1 : a > b ? 1 : 0
}

const isDigit = (c: number) => c >= 48 && c <= 57

export const SORT_KEYS = ['id', 'resource', 'node', 'mode', 'status'] as const
export type SortKey = (typeof SORT_KEYS)[number]

const STATUS_ORDER = {granted: 0, converting: 1, waiting: 2}
const REASON_ORDER = ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID']
const MODE_ORDER = {NL: 0, CR: 1, CW: 2, PR: 3, PW: 4, EX: 5}

export function parseSortKey(s: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(s)) throw usage(`bad --sort '${s}': use one of ${SORT_KEYS.join(', ')}`)
  return s as SortKey
}

/**
 * A comparator for --sort: by the key, then by domain and lock id (ids are
 * numbers, so 9 comes before 10). Modes sort from weakest to strongest, statuses
 * in queue order (granted, converting, waiting).
 */
export function lockComparator(key: SortKey): (a: LockView, b: LockView) => number {
  const byId = (a: LockView, b: LockView) => naturalCompare(a.domain, b.domain) || a.lockId - b.lockId
  switch (key) {
    case 'id':
      return byId
    case 'resource':
      return (a, b) => naturalCompare(a.resource, b.resource) || byId(a, b)
    case 'node':
      return (a, b) => naturalCompare(a.node, b.node) || byId(a, b)
    case 'mode':
      return (a, b) => MODE_ORDER[a.mode] - MODE_ORDER[b.mode] || byId(a, b)
    case 'status':
      return (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byId(a, b)
  }
}

export function parseLimit(s: string | number): number {
  const t = String(s)
  if (!/^[1-9][0-9]{0,8}$/.test(t)) throw usage(`bad --limit '${t}': a positive integer`)
  return Number(t)
}

/**
 * What a listing shows: sorted (when asked), system locks left out (when asked),
 * then the first `limit`. Returns the locks and how many were left out and why.
 */
export function selectLocks(
  locks: Iterable<LockView>,
  o: {sort?: SortKey; limit?: number; hideSystem?: boolean},
): {locks: LockView[]; total: number; hiddenSystem: number; cutByLimit: number} {
  let total = 0
  let hiddenSystem = 0
  let kept: LockView[] = []
  for (const l of locks) {
    total++
    if (o.hideSystem && isSystemLock(l)) {
      hiddenSystem++
      continue
    }
    kept.push(l)
  }
  if (o.sort) kept.sort(lockComparator(o.sort))
  let cutByLimit = 0
  if (o.limit !== undefined && kept.length > o.limit) {
    cutByLimit = kept.length - o.limit
    kept = kept.slice(0, o.limit)
  }
  return {locks: kept, total, hiddenSystem, cutByLimit}
}

/** Rows of text by position: `at(k)` is row k. */
export interface RowList {
  readonly length: number
  at(k: number): string
}

/**
 * Row texts kept as UTF-8 in 4 MB chunks outside the JavaScript heap: a million
 * rows held as strings are ~80 MB more heap for the collector to walk and grow
 * by; here they are ~60 MB of bytes, and each is a string again only while written.
 */
export class RowBytes {
  private chunks: Buffer[] = []
  private used: number
  private where = new Float64Array(1024)
  private size = new Uint32Array(1024)
  length = 0

  /** `chunk`: bytes per chunk (a row longer than that gets a chunk of its own). */
  constructor(private readonly chunk = 4 << 20) {
    this.used = chunk
  }

  push(text: string): void {
    const need = Buffer.byteLength(text, 'utf8')
    if (this.used + need > this.chunk) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(this.chunk, need)))
      this.used = 0
    }
    if (this.length === this.where.length) {
      const w = new Float64Array(this.length * 2)
      w.set(this.where)
      this.where = w
      const z = new Uint32Array(this.length * 2)
      z.set(this.size)
      this.size = z
    }
    const c = this.chunks.length - 1
    this.chunks[c].write(text, this.used, 'utf8')
    this.where[this.length] = c * this.chunk + this.used
    this.size[this.length++] = need
    this.used += need
  }

  at(i: number): string {
    const c = Math.floor(this.where[i] / this.chunk)
    const from = this.where[i] - c * this.chunk
    return this.chunks[c].toString('utf8', from, from + this.size[i])
  }
}

/** selectLocks' answer for a table streamed as rows (selectLockRows). */
export interface LockRows {
  /** The kept locks' rows, in order (by domain, then lock id), the first `limit`. */
  rows: RowList
  total: number
  hiddenSystem: number
  cutByLimit: number
  /** Of the rows shown: how many are not valid, and how many are not granted. */
  invalid: number
  waiting: number
}

/**
 * selectLocks(…, {sort: 'id', …}) for a human table of a listing too big to hold as
 * views (a million locks: 2 GB as views and table cells): each kept lock becomes
 * its row text at once (`row`); only the rows, ids, domains and two flags are kept.
 * The same selection and order as selectLocks.
 */
export function selectLockRows(locks: Iterable<LockView>, o: {limit?: number; hideSystem?: boolean}, row: (l: LockView) => string): LockRows {
  let total = 0
  let hiddenSystem = 0
  const rows = new RowBytes()
  let ids = new Float64Array(1024)
  let doms = new Uint32Array(1024)
  let flags = new Uint8Array(1024)
  const domains = new Map<string, number>()
  for (const l of locks) {
    total++
    if (o.hideSystem && isSystemLock(l)) {
      hiddenSystem++
      continue
    }
    const i = rows.length
    if (i === ids.length) {
      const grow = <A extends Float64Array | Uint32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
        const b = make(a.length * 2)
        b.set(a)
        return b
      }
      ids = grow(ids, (n) => new Float64Array(n))
      doms = grow(doms, (n) => new Uint32Array(n))
      flags = grow(flags, (n) => new Uint8Array(n))
    }
    let d = domains.get(l.domain)
    if (d === undefined) domains.set(l.domain, (d = domains.size))
    ids[i] = l.lockId
    doms[i] = d
    flags[i] = (l.valid ? 0 : 1) | (l.status !== 'granted' ? 2 : 0)
    rows.push(row(l))
  }
  // lockComparator('id'): domains in natural order, then lock ids.
  const rank = new Uint32Array(domains.size)
  ;[...domains].sort((a, b) => naturalCompare(a[0], b[0])).forEach(([, d], r) => (rank[d] = r))
  const order = new Uint32Array(rows.length).map((_, i) => i)
  order.sort((a, b) => rank[doms[a]] - rank[doms[b]] || ids[a] - ids[b])
  const shown = o.limit !== undefined ? Math.min(o.limit, rows.length) : rows.length
  let invalid = 0
  let waiting = 0
  for (let k = 0; k < shown; k++) {
    invalid += flags[order[k]] & 1
    waiting += flags[order[k]] >> 1
  }
  const out: RowList = {length: shown, at: (k) => rows.at(order[k])}
  return {rows: out, total, hiddenSystem, cutByLimit: rows.length - shown, invalid, waiting}
}
