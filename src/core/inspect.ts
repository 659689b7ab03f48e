// Read-only views of the whole cluster: status, events, export and check (fsck).
import {checkFilters} from './filters.js'
import {nodeStatus} from './liveness.js'
import {DlmError, StateCorrupt} from '../errors.js'
import {compatible} from '../model/modes.js'
import {allLocks} from '../model/resource.js'
import {withView, scopes, type Ctx} from './context.js'
import {domainSummary} from './domains.js'
import {domainCounts, unreplayedRecords} from './overview.js'
import {eventMatches} from './eventfilter.js'
import type {ClusterState} from './state.js'
import {pendingRecords} from '../store/txdir.js'
import {storeIoError} from '../store/envfail.js'
import {bucketFile, indexChunkOf, indexFile, BUCKETS} from '../store/layout.js'
import {IndexSchema} from '../store/schema.js'
import {scanJournal} from '../journal/scan.js'
import {journalFile} from '../store/layout.js'
import {crc32cBuf} from '../util/crc32c.js'
import {isEtcdState} from '../store/etcd/url.js'
import type {DomainSession} from './state.js'

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
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === 'object'
        ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]))
        : x
  return JSON.stringify(sort(v), null, 2) + '\n'
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
    for (const d of await s.allDomains()) domains.push({...d.meta, resources: await d.allResources(), fs: await fsDump(s, d)})
    return {
      format: 1,
      cluster: await s.cluster(),
      membership: await s.membership(),
      domains,
      events: (await s.readEvents()).map(({at: _at, ...rest}) => rest),
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
    const m = await guard('membership.json', () => s.membership())
    await guard('events', () => s.readEvents())
    const nodeState = new Map(m?.nodes.map((n) => [n.name, n.state]) ?? [])
    if (m && nodeState.size !== m.nodes.length) problems.push({file: 'membership.json', message: 'a node is listed twice'})
    for (const fs of names) {
      const d = await guard(`domains/${fs}/domain.json`, () => s.domain(fs))
      if (!d) continue
      const file = `domains/${fs}/domain.json`
      const meta = d.meta
      for (const n of meta.members) if (m && !nodeState.has(n)) problems.push({file, message: `member ${n} is not a known node`})
      for (const n of meta.deadNodes) {
        if (!meta.members.includes(n)) problems.push({file, message: `dead node ${n} is not a member`})
        if (m && nodeState.get(n) !== 'dead') problems.push({file, message: `dead node ${n} awaits replay but is ${nodeState.get(n)}`})
      }
      if ((meta.state === 'recovering') !== meta.deadNodes.length > 0) {
        problems.push({file, message: `state ${meta.state} with ${meta.deadNodes.length} dead node(s) awaiting replay`})
      }
      for (const a of meta.attachments) {
        if (a.id >= meta.nextAttachId || a.epoch > meta.epoch) problems.push({file, message: `attachment ${a.id} is ahead of the domain`})
      }
      const seen = new Map<number, string>()
      for (let b = 0; b < BUCKETS; b++) {
        const bf = bucketFile(fs, b)
        await guard(bf, async () => {
          const res = await d.resourcesInBucket(b)
          for (const r of res) {
            const holders = [...r.grantQueue, ...r.convertQueue]
            for (let i = 0; i < holders.length; i++)
              for (let j = i + 1; j < holders.length; j++)
                if (!compatible(holders[i].mode, holders[j].mode)) {
                  problems.push({file: bf, message: `${r.name}: granted locks ${holders[i].id} (${holders[i].mode}) and ${holders[j].id} (${holders[j].mode}) are incompatible`})
                }
            if (r.lvb.length !== d.lvbSize * 2) problems.push({file: bf, message: `${r.name}: value block is not ${d.lvbSize} bytes`})
            for (const l of allLocks(r)) {
              if (seen.has(l.id)) problems.push({file: bf, message: `lock id ${l.id} appears twice (${seen.get(l.id)}, ${r.name})`})
              seen.set(l.id, r.name)
              if (l.id >= meta.nextLockId) problems.push({file: bf, message: `lock ${l.id} is beyond the domain's next id ${meta.nextLockId}`})
              const st = nodeState.get(l.node)
              if (m && st === undefined) problems.push({file: bf, message: `lock ${l.id} is held by unknown node ${l.node}`})
              else if (!meta.members.includes(l.node)) problems.push({file: bf, message: `lock ${l.id} is held by ${l.node}, not a member of ${fs}`})
              if (m && st !== 'up') {
                const queued = r.waitQueue.includes(l) || r.convertQueue.includes(l)
                if (queued || !l.persistent) problems.push({file: bf, message: `lock ${l.id} of ${st} node ${l.node} should have been ${queued ? 'withdrawn' : 'dropped'} at its death`})
                else if (!meta.deadNodes.includes(l.node)) problems.push({file: bf, message: `orphan lock ${l.id} of ${l.node}, which ${fs} no longer recovers`})
              }
              if (r.convertQueue.includes(l) !== (l.requestedMode !== undefined)) problems.push({file: bf, message: `lock ${l.id}: requested mode and convert queue disagree`})
            }
          }
        })
      }
      // File-system metadata, replay points, and journals past their points.
      await guard(`fs/${fs}/meta.json`, () => s.fsMeta(fs))
      for (const node of meta.members) {
        const pf = `fs/${fs}/journal/${node}.point.json`
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
      const chunks = new Set([...seen.keys()].map(indexChunkOf))
      for (const name of await s.io.list(`domains/${fs}/locks`)) {
        const c = Number(name.replace(/\.json$/, ''))
        if (Number.isInteger(c)) chunks.add(c)
      }
      for (const c of [...chunks].sort((a, b) => a - b)) {
        const f = indexFile(fs, c)
        const idx = await guard(f, () => s.readJson<{locks: Record<string, string>}>(IndexSchema, f))
        if (idx === undefined) continue
        const locks = idx?.locks ?? {}
        for (const [id, res] of Object.entries(locks)) {
          if (seen.get(Number(id)) !== res) problems.push({file: f, message: `index names lock ${id} on ${res}, which does not hold it`})
        }
        for (const [id, res] of seen) if (indexChunkOf(id) === c && locks[id] !== res) problems.push({file: f, message: `lock ${id} on ${res} is missing from the index`})
      }
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
