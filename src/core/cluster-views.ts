// Read-only views of the whole cluster: status, events, export and check (fsck).
import {checkFilters} from './filters.js'
import {nodeStatus} from './liveness.js'
import {DlmError, StateCorrupt} from '../errors.js'
import {resourceProblems} from '../model/invariants.js'
import {allLocks} from '../model/resource.js'
import {withView, scopes, type Ctx} from './context.js'
import {domainSummary} from './domains.js'
import {domainCounts, unreplayedRecords} from './overview.js'
import {eventMatches} from './eventfilter.js'
import type {ClusterState} from './state.js'
import {pendingRecords} from '../store/commit-record.js'
import {storeIoError} from '../store/envfail.js'
import {bucketFile, bucketOf, domainFile, indexChunkOf, indexChunkOfName, indexDir, indexFile, metaFile, pointFile, BUCKETS, INDEX_CHUNK, MEMBERSHIP} from '../store/layout.js'
import {IndexSchema} from '../store/schema.js'
import {scanJournal} from '../journal/scan.js'
import {journalFile} from '../store/layout.js'
import {crc32cBuf, crc32cStr} from '../util/crc32c.js'
import {isEtcdState} from '../store/etcd/url.js'
import type {DomainSession} from './domain-session.js'
import type {Resource} from '../model/types.js'
import type {ResourceLine} from '../store/resource-line.js'
import {changePending} from './changes.js'
import {writeExportResources} from './export-resources.js'

async function allScopes(ctx: Ctx): Promise<{names: string[]; list: string[]}> {
  const names = await withView(ctx, [], async (s) => {
    await s.cluster()
    return s.domainNames()
  })
  return {names, list: [scopes.membership, ...names.map(scopes.domain)]}
}

export async function status(ctx: Ctx) {
  const {list} = await allScopes(ctx)
  return withView(ctx, list, async (s) => {
    const c = await s.cluster()
    const m = await s.membership()
    const domains = await Promise.all(
      (await s.allDomains()).map(async (d) => ({...domainSummary(d.meta), counts: await domainCounts(s, d, m), unreplayed: await unreplayedRecords(s, d)})),
    )
    return {
      cluster: c.name,
      generation: m.generation,
      nodes: m.nodes.map((n) => nodeStatus(n, ctx.clock.now(), domains)),
      domains,
    }
  })
}

/** Events of all logs in order, without the ordering key (output stays deterministic). */
export async function events(ctx: Ctx, f: {domain?: string; node?: string; type?: string} = {}) {
  const {list} = await allScopes(ctx)
  return withView(ctx, list, async (s) => {
    await checkFilters(s, f)
    const evs = (await s.readEvents()).map(({at: _at, ...rest}) => rest)
    return {events: evs.filter((e) => eventMatches(e, f))}
  })
}

/** JSON with object keys sorted at every level: the same state always prints the same bytes. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortedKeys(v), null, 2) + '\n'
}

// Key orders by shape: a million resources share a handful of shapes, each sorted once.
const keyOrders = new Map<string, string[]>()

function sortedKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortedKeys)
  if (x === null || typeof x !== 'object') return x
  const keys = Object.keys(x)
  const shape = keys.join('\u0000')
  let order = keyOrders.get(shape)
  if (!order) keyOrders.set(shape, (order = [...keys].sort()))
  const out: Record<string, unknown> = {}
  for (const k of order) out[k] = sortedKeys((x as Record<string, unknown>)[k])
  return out
}

/** A file system's metadata and, per member, its journal's point, size and content digest. */
async function fsDump(s: ClusterState, d: DomainSession) {
  const journals: Record<string, {point: number; size: number; crc32c: number}> = {}
  for (const node of d.meta.members) {
    const data = (await s.io.read(journalFile(d.name, node))) ?? Buffer.alloc(0)
    journals[node] = {point: (await s.journalPoint(d.name, node)).offset, size: data.length, crc32c: crc32cBuf(data)}
  }
  return {metadata: (await s.fsMeta(d.name)).keys, journals}
}

export async function exportState(ctx: Ctx) {
  const {list} = await allScopes(ctx)
  return withView(ctx, list, async (s) => {
    const domains = []
    for (const d of await s.allDomains()) {
      // The last logical change is how the store applies a death or validate, not state.
      const {change: _c, ...meta} = d.meta
      domains.push({...meta, resources: await d.allResources(), fs: await fsDump(s, d)})
    }
    return {
      format: 1,
      cluster: await s.cluster(),
      membership: await s.membership(),
      domains,
      events: (await s.readEvents()).map(({at: _at, ...rest}) => rest),
    }
  })
}

/**
 * The bytes of canonicalJson(exportState()), written piece by piece: each domain's
 * resources stream in name order (bounded memory at a million locks). Everything
 * is read and validated before the first byte is written.
 */
export async function writeExport(ctx: Ctx, write: (chunk: string | Buffer) => Promise<void>): Promise<void> {
  const {list} = await allScopes(ctx)
  await withView(ctx, list, async (s) => {
    const streams: (() => Generator<Resource | ResourceLine>)[] = []
    const domains = []
    for (const d of await s.allDomains()) {
      const {change: _c, ...meta} = d.meta
      streams.push(await d.prepareInOrder(true))
      domains.push({...meta, resources: `\u0000resources ${streams.length - 1}\u0000`, fs: await fsDump(s, d)})
    }
    const doc = canonicalJson({
      format: 1,
      cluster: await s.cluster(),
      membership: await s.membership(),
      domains,
      events: (await s.readEvents()).map(({at: _at, ...rest}) => rest),
    })
    // The document around the resources, then each domain's resources where its marker was.
    const parts = doc.split(/"\\u0000resources (\d+)\\u0000"/)
    for (let i = 0; i < parts.length; i += 2) {
      await write(parts[i])
      if (i + 1 < parts.length) {
        const it = streams[Number(parts[i + 1])]()
        try {
          await writeExportResources(it, write, canonicalJson)
        } finally {
          it.return(undefined)
        }
      }
    }
  })
}

export interface Problem {
  file: string
  message: string
  /** Set when the environment refused the file (EACCES, EIO, …): check then exits 9, not 4. */
  errno?: string
}

/** fsck: every file readable and of its shape, and the invariants that tie files together. */
export async function checkState(ctx: Ctx) {
  const problems: Problem[] = []
  const warnings: Problem[] = []
  const {list, names} = await allScopes(ctx)
  await withView(ctx, list, async (s) => {
    const guard = async <T>(file: string, f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await f()
      } catch (e) {
        // An unreadable file is listed like a damaged one, and check goes on with the others.
        const env = storeIoError(e, ctx.root)
        if (env) problems.push({file, message: env.message, errno: String(env.detail?.errno)})
        else if (e instanceof StateCorrupt) problems.push({file: e.file, message: e.message})
        else if (e instanceof DlmError) problems.push({file, message: e.message})
        else throw e
        return undefined
      }
    }
    const m = await guard(MEMBERSHIP, () => s.membership())
    await guard('events', () => s.readEvents())
    const nodeState = new Map(m?.nodes.map((n) => [n.name, n.state]) ?? [])
    if (m && nodeState.size !== m.nodes.length) problems.push({file: MEMBERSHIP, message: 'a node is listed twice'})
    for (const fs of names) {
      const file = domainFile(fs)
      const d = await guard(file, () => s.domain(fs))
      if (!d) continue
      const meta = d.meta
      for (const n of meta.members) if (m && !nodeState.has(n)) problems.push({file, message: `member ${n} is not a known node`})
      for (const n of meta.deadNodes) {
        if (!meta.members.includes(n)) problems.push({file, message: `dead node ${n} is not a member`})
        if (m && nodeState.get(n) !== 'dead') problems.push({file, message: `dead node ${n} awaits replay but is ${nodeState.get(n)}`})
      }
      if (changePending(d)) {
        warnings.push({file, message: `${meta.change!.kind} (change ${meta.change!.seq}) is not yet applied to every bucket: readers apply it as they read, the next death or validate of ${fs} finishes it`})
      }
      if ((meta.state === 'recovering') !== meta.deadNodes.length > 0) {
        problems.push({file, message: `state ${meta.state} with ${meta.deadNodes.length} dead node(s) awaiting replay`})
      }
      for (const a of meta.attachments) {
        if (a.id >= meta.nextAttachId || a.epoch > meta.epoch) problems.push({file, message: `attachment ${a.id} is ahead of the domain`})
      }
      // Bounded memory at any size: buckets are read one at a time, and every lock id
      // below nextLockId is remembered in typed arrays (present, and a CRC-32C of
      // its resource's name for the index check), not in a map of a million entries.
      const bound = meta.nextLockId
      const present = new Uint8Array(bound)
      const resHash = new Uint32Array(bound)
      const twice = new Set<number>()
      const scan = d.scanBuckets({settle: true})
      for (let b = 0; b < BUCKETS; b++) {
        const bf = bucketFile(fs, b)
        const next = (await scan.next()).value as {resources: Resource[]; inFileOrder?: boolean; error?: unknown}
        // A bucket that could not be read is a problem; the others are still checked.
        const got = await guard(bf, async () => {
          if (next.error) throw next.error
          return next
        })
        if (!got) continue
        let prev: string | undefined
        for (const r of got.resources) {
          // A writer finds a resource in a line-layout file by binary search (core/lazy-bucket.ts): its names must be in order.
          if (got.inFileOrder && prev !== undefined && !(prev < r.name)) {
            problems.push({file: bf, message: prev === r.name ? `resource '${r.name}' appears twice` : `resource '${r.name}' comes after '${prev}': names are not in order`})
          }
          prev = r.name
          for (const message of resourceProblems(r, d.lvbSize)) problems.push({file: bf, message})
          const h = crc32cStr(r.name)
          for (const l of allLocks(r)) {
            if (l.id < bound) {
              if (present[l.id]) twice.add(l.id)
              present[l.id] = 1
              resHash[l.id] = h
            }
            if (l.id >= meta.nextLockId) problems.push({file: bf, message: `lock ${l.id} is beyond the domain's next id ${meta.nextLockId}`})
            const st = nodeState.get(l.node)
            if (m && st === undefined) problems.push({file: bf, message: `lock ${l.id} is held by unknown node ${l.node}`})
            else if (!meta.members.includes(l.node)) problems.push({file: bf, message: `lock ${l.id} is held by ${l.node}, not a member of ${fs}`})
            if (m && st !== 'up') {
              const queued = r.waitQueue.includes(l) || r.convertQueue.includes(l)
              if (queued || !l.persistent) problems.push({file: bf, message: `lock ${l.id} of ${st} node ${l.node} should have been ${queued ? 'withdrawn' : 'dropped'} at its death`})
              else if (!meta.deadNodes.includes(l.node)) problems.push({file: bf, message: `orphan lock ${l.id} of ${l.node}, which ${fs} no longer recovers`})
            }
          }
        }
      }
      // Names for the messages of the rare cases (a lock id twice, a lock the index misses): read again.
      const namesOf = async (ids: Set<number>) => {
        const out = new Map<number, string[]>()
        if (ids.size === 0) return out
        for await (const {resources} of d.scanBuckets())
          for (const r of resources) for (const l of allLocks(r)) if (ids.has(l.id)) out.set(l.id, [...(out.get(l.id) ?? []), r.name])
        return out
      }
      for (const [id, names] of await namesOf(twice)) problems.push({file: bucketFile(fs, bucketOf(names[1] ?? names[0])), message: `lock id ${id} appears twice (${names.join(', ')})`})
      // File-system metadata, replay points, and journals past their points.
      await guard(metaFile(fs), () => s.fsMeta(fs))
      for (const node of meta.members) {
        const pf = pointFile(fs, node)
        const p = await guard(pf, () => s.journalPoint(fs, node))
        if (!p) continue
        const r = await scanJournal(await s.journalSource(fs, node), p.offset)
        if (p.offset > r.size) problems.push({file: pf, message: `point ${p.offset} is past the end of the journal (${r.size} bytes)`})
        else if (r.stoppedAt) {
          const msg = `${r.stoppedAt.reason} record at offset ${r.stoppedAt.offset}: replay and checkpoint stop there`
          const st = nodeState.get(node)
          if (st === 'up') problems.push({file: journalFile(fs, node), message: `${msg}; ${node} is up and its later writes would be lost`})
          else warnings.push({file: journalFile(fs, node), message: msg})
        }
      }
      // The lock index maps exactly the locks that exist.
      const chunks = new Set<number>()
      for (let id = 0; id < bound; id++) if (present[id]) chunks.add(indexChunkOf(id))
      for (const name of await s.io.list(indexDir(fs))) {
        const c = indexChunkOfName(name)
        if (Number.isInteger(c)) chunks.add(c)
      }
      const missing = new Map<number, string>()
      const sorted = [...chunks].sort((a, b) => a - b)
      // A thousand chunks at a million locks: read a few ahead (each read is a round trip through libuv's pool).
      const AHEAD = 8
      const reads: Promise<{locks: Record<string, string>} | null>[] = []
      const start = (i: number) => {
        if (i >= sorted.length) return
        const p = s.readJson<{locks: Record<string, string>}>(IndexSchema, indexFile(fs, sorted[i]))
        p.catch(() => {}) // reported in its turn (guard, below): problems keep the chunks' order
        reads.push(p)
      }
      for (let i = 0; i < AHEAD; i++) start(i)
      for (let i = 0; i < sorted.length; i++) {
        const c = sorted[i]
        const f = indexFile(fs, c)
        const read = reads.shift()!
        start(i + AHEAD)
        const idx = await guard(f, () => read)
        if (idx === undefined) continue
        const locks = idx?.locks ?? {}
        for (const [id, res] of Object.entries(locks)) {
          const n = Number(id)
          const holds = n < bound && present[n] === 1 && resHash[n] === crc32cStr(res)
          // A change still being applied removed it: the index catches up when the change is done.
          if (!holds && !(n < bound && present[n]) && changePending(d)) continue
          if (!holds) problems.push({file: f, message: `index names lock ${id} on ${res}, which does not hold it`})
        }
        for (let id = c * INDEX_CHUNK; id < Math.min((c + 1) * INDEX_CHUNK, bound); id++) {
          if (present[id] && !(String(id) in locks && resHash[id] === crc32cStr(locks[id]))) missing.set(id, f)
        }
      }
      const missingNames = await namesOf(new Set(missing.keys()))
      for (const [id, f] of missing) problems.push({file: f, message: `lock ${id} on ${missingNames.get(id)?.[0]} is missing from the index`})
    }
  })
  // etcd commits in one Txn: it never has pending records.
  for (const r of isEtcdState(ctx.root) ? [] : await pendingRecords(ctx.root)) {
    if (r.ok) warnings.push({file: r.file, message: 'pending commit record of an interrupted command: the next command that changes these scopes rolls it forward'})
    else warnings.push({file: r.file, message: `torn commit record (${r.why}): it will be discarded`})
  }
  const unreadable = problems.some((p) => p.errno !== undefined)
  return {ok: problems.length === 0, problems, warnings, ...(unreadable ? {unreadable: true as const} : {})}
}
