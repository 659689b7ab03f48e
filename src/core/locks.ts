// Lock operations on one domain: each takes only that domain's scope and reads
// and writes only the buckets it touches, so its cost does not grow with the domain.
import {usage} from '../errors.js'
import {findNode, requireHolderUp, requireUpMember} from '../model/membership.js'
import {checkName, checkResource} from '../model/names.js'
import {isMode, type Mode} from '../model/modes.js'
import {cancelLock, convertLock, lockStatus, releaseLock, requestLock, allLocks} from '../model/resource.js'
import type {LockStatus, Membership, Resource} from '../model/types.js'
import {ResourceLine} from '../store/resource-line.js'
import {LockLine, type LineDomain} from './lock-line.js'
import {lockView, type LockView} from '../model/validity.js'
import {withTx, withView, scopes, type Ctx} from './context.js'
import type {ClusterState} from './state.js'
import type {DomainSession, FoundLock} from './domain-session.js'

export function parseMode(s: string): Mode {
  const m = s.toUpperCase()
  if (!isMode(m)) throw usage(`bad mode '${s}' for --mode: a lock mode is one of NL, CR, CW, PR, PW, EX`)
  return m
}

/** `--lvb HEX`: at most lvbSize bytes, zero-padded to the domain's size. */
export function parseLvb(hex: string, lvbSize: number): string {
  const h = hex.toLowerCase().replace(/^0x/, '')
  if (!/^([0-9a-f]{2})*$/.test(h)) throw usage(`bad --lvb '${hex}': an even number of hex digits`)
  if (h.length > lvbSize * 2) throw usage(`--lvb '${hex}' is ${h.length / 2} bytes; the value block holds ${lvbSize}`)
  return h.padEnd(lvbSize * 2, '0')
}

function nodeState(m: Membership, name: string) {
  return m.nodes.find((n) => n.name === name)?.state
}

async function view(s: ClusterState, d: DomainSession, f: {res: FoundLock['res']; lock: FoundLock['lock']}): Promise<LockView> {
  const m = await s.membership()
  return lockView(f.lock, f.res, d.meta, nodeState(m, f.lock.node))
}

export interface RequestArgs {
  fs: string
  resource: string
  node: string
  mode: Mode
  persistent?: boolean
  noqueue?: boolean
  lvb?: string
}

export async function requestLockOp(ctx: Ctx, a: RequestArgs): Promise<LockView> {
  checkResource(a.resource)
  checkName('node', a.node)
  return withTx(ctx, [scopes.domain(a.fs)], async (s) => {
    const d = await s.domain(a.fs)
    requireUpMember(await s.membership(), d.meta, a.node)
    const res = await d.resourceForUpdate(a.resource)
    const lvb = a.lvb === undefined ? undefined : parseLvb(a.lvb, d.lvbSize)
    const lock = requestLock(res, {id: d.meta.nextLockId, node: a.node, mode: a.mode, persistent: !!a.persistent, noqueue: a.noqueue, lvb})
    d.meta.nextLockId += 1
    d.changed()
    await d.indexSet(lock.id, res.name)
    return view(s, d, {res, lock})
  })
}

/** A lock its holder may act on (requireHolderUp). */
async function ownLock(s: ClusterState, d: DomainSession, id: number): Promise<FoundLock> {
  const f = await d.findLock(id, {forUpdate: true})
  requireHolderUp(await s.membership(), d.meta, f.lock)
  return f
}

/** A conversion's result: the lock; after --cancel, what was cancelled and the locks it let through. */
export type ConvertResult = LockView & {cancelled?: 'conversion' | 'request'; granted?: number[]}

export async function convertLockOp(
  ctx: Ctx,
  a: {fs: string; id: number; mode?: Mode; lvb?: string; noqueue?: boolean; cancel?: boolean; quecvt?: boolean},
): Promise<ConvertResult> {
  if (!a.cancel && !a.mode) throw usage('lock convert needs --mode (or --cancel)')
  if (a.cancel && (a.mode || a.lvb !== undefined || a.noqueue || a.quecvt)) throw usage('--cancel takes no --mode, --lvb, --noqueue or --quecvt')
  return withTx(ctx, [scopes.domain(a.fs)], async (s) => {
    const d = await s.domain(a.fs)
    const f = await ownLock(s, d, a.id)
    if (a.cancel) {
      const before = await view(s, d, f)
      const c = cancelLock(f.res, a.id)
      // A withdrawn request is gone, as after lock release: shown as it was.
      if (c.cancelled === 'request') await d.indexDelete(a.id)
      const v = c.cancelled === 'request' ? before : await view(s, d, {res: f.res, lock: c.lock})
      return {...v, cancelled: c.cancelled, granted: c.granted.map((l) => l.id)}
    }
    const lvb = a.lvb === undefined ? undefined : parseLvb(a.lvb, d.lvbSize)
    const lock = convertLock(f.res, a.id, {mode: a.mode!, noqueue: a.noqueue, lvb, quecvt: a.quecvt})
    return view(s, d, {res: f.res, lock})
  })
}

export async function releaseLockOp(ctx: Ctx, a: {fs: string; id: number; lvb?: string}) {
  return withTx(ctx, [scopes.domain(a.fs)], async (s) => {
    const d = await s.domain(a.fs)
    const f = await ownLock(s, d, a.id)
    const before = await view(s, d, f)
    const lvb = a.lvb === undefined ? undefined : parseLvb(a.lvb, d.lvbSize)
    const {granted} = releaseLock(f.res, a.id, lvb)
    await d.indexDelete(a.id)
    return {released: before, granted: granted.map((l) => l.id), lvb: f.res.lvb}
  })
}

export interface ListFilter {
  fs?: string
  node?: string
  resource?: string
  invalid?: boolean
  waiting?: boolean
}

/** `--resource` matches exactly, or by prefix when it ends in '*'. */
function resourceMatcher(pattern?: string): (name: string) => boolean {
  if (!pattern) return () => true
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1)
    return (n) => n.startsWith(prefix)
  }
  return (n) => n === pattern
}

/** Every lock with its validity, grouped by domain and resource, in queue order. */
export async function listLocks(ctx: Ctx, f: ListFilter, allDomainNames: () => Promise<string[]>): Promise<{locks: LockView[]}> {
  return streamLocks(ctx, f, allDomainNames, async (it) => {
    const locks: LockView[] = []
    for (const l of it) locks.push(l)
    return {locks}
  })
}

/** The filter's rule for one lock: by its holder, and by its view. */
function lockFilter(f: ListFilter) {
  return {
    holder: (node: string) => !f.node || node === f.node,
    view: (status: LockStatus, valid: boolean) => !(f.invalid && valid) && !(f.waiting && status === 'granted'),
  }
}

/**
 * The same locks as listLocks, in the same order, handed to `consume` as a stream
 * (bounded memory at any domain size) while the view holds its locks. Every bucket
 * is read and validated before the first lock is produced: a damaged file fails
 * the listing before anything is printed. With `lines`, the locks of a resource
 * whose bucket line was checked come as that line (LockLine), not as views.
 */
export async function streamLocks<T>(ctx: Ctx, f: ListFilter, allDomainNames: () => Promise<string[]>, consume: (locks: Iterable<LockView>) => Promise<T>): Promise<T>
export async function streamLocks<T>(
  ctx: Ctx,
  f: ListFilter,
  allDomainNames: () => Promise<string[]>,
  consume: (locks: Iterable<LockView | LockLine>) => Promise<T>,
  opts: {lines: true},
): Promise<T>
export async function streamLocks<T>(
  ctx: Ctx,
  f: ListFilter,
  allDomainNames: () => Promise<string[]>,
  consume: (locks: Iterable<LockView>) => Promise<T>,
  opts: {lines?: boolean} = {},
): Promise<T> {
  if (f.node) checkName('node', f.node)
  const names = f.fs ? [f.fs] : await allDomainNames()
  return withView(ctx, [scopes.membership, ...names.map(scopes.domain)], async (s) => {
    const m = await s.membership()
    if (f.node) findNode(m, f.node)
    const match = resourceMatcher(f.resource)
    const keep = lockFilter(f)
    // Read and validate every domain first; each is merged from its files in its turn.
    const sources: {d: DomainSession; lines: LineDomain; start: () => Iterator<Resource | ResourceLine>; it?: Iterator<Resource | ResourceLine>}[] = []
    for (const fs of names) {
      const d = await s.domain(fs)
      const exact = f.resource && !f.resource.endsWith('*') ? [await d.resource(f.resource)].filter((r) => r !== undefined) : undefined
      const lines: LineDomain = {meta: d.meta, holderState: (node) => nodeState(m, node), keep: (node, status, valid) => keep.holder(node) && keep.view(status, valid)}
      sources.push({d, lines, start: exact ? () => exact[Symbol.iterator]() : opts.lines ? await d.prepareInOrder(true) : await d.prepareInOrder()})
    }
    // Synchronous from here: a million locks through async iterators cost more than
    // reading them, and every file is open already (ordered.ts reads synchronously).
    function* locks(): Generator<LockView | LockLine> {
      for (const src of sources) {
        const it = (src.it = src.start())
        for (let n = it.next(); !n.done; n = it.next()) {
          const res = n.value
          if (!match(res.name)) continue
          if (res instanceof ResourceLine) {
            yield new LockLine(res, src.lines)
            continue
          }
          for (const lock of allLocks(res)) {
            if (!keep.holder(lock.node)) continue
            const v = lockView(lock, res, src.d.meta, nodeState(m, lock.node), lockStatus(res, lock))
            if (keep.view(v.status, v.valid)) yield v
          }
        }
      }
    }
    try {
      // Lines only when asked for (prepareInOrder(true)).
      return await consume({[Symbol.iterator]: locks} as Iterable<LockView>)
    } finally {
      for (const {it} of sources) it?.return?.()
    }
  })
}
