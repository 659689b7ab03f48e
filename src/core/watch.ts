// The live view behind `status --watch`: a snapshot of the cluster (domains,
// epochs, dead nodes with their unreplayed records, lock counts, the most
// blocked resources, the last events), and a cheap test of whether the state
// directory changed since the last one.
//
// Change detection costs a few stat() calls: every commit replaces files by
// rename (so the directory holding them gets a new mtime) or appends to an event
// log (its size and mtime change). Only when that signature moves is anything
// read, and then only the domains whose own directories moved (plus all of
// them when a node changed state), so an idle watch costs next to nothing and a
// change in one domain of a 100,000-lock cluster is read in one pass.
import {stat} from 'node:fs/promises'
import {join} from 'node:path'
import {DOMAINS, EVENTS, FILE_SYSTEMS, MEMBERSHIP, bucketDir, domainDir, domainEvents, fsDir, indexDir, journalDir} from '../store/layout.js'
import {withView, scopes, type Ctx} from './context.js'
import {domainSummary} from './domains.js'
import {domainLocks, unreplayedRecords} from './overview.js'
import {summarize, type BlockedResource, type LockCounts} from './summary.js'
import {isEtcdState} from '../store/etcd/url.js'

export const TOP_BLOCKED = 5
export const LAST_EVENTS = 8

export interface WatchDomain {
  name: string
  state: string
  epoch: number
  members: string[]
  deadNodes: string[]
  counts: LockCounts
  unreplayed: Record<string, number>
  mostWaitedOn: BlockedResource[]
}

export interface WatchSnapshot {
  cluster: string
  generation: number
  time: string
  nodes: {name: string; state: string; incarnation: number; heartbeat: string}[]
  domains: WatchDomain[]
  events: Record<string, unknown>[]
}

/** A stat signature of paths: mtime and size of each (absent paths count too). */
async function signature(root: string, rels: string[]): Promise<string> {
  const parts = await Promise.all(
    rels.map(async (rel) => {
      try {
        const s = await stat(join(root, rel), {bigint: true})
        return `${s.mtimeNs}:${s.size}:${s.ino}`
      } catch {
        return '-'
      }
    }),
  )
  return parts.join('|')
}

const clusterPaths = ['.', MEMBERSHIP, EVENTS, DOMAINS, FILE_SYSTEMS]
const domainPaths = (fs: string) => [domainDir(fs), bucketDir(fs), indexDir(fs), domainEvents(fs), fsDir(fs), journalDir(fs)]

export interface Watcher {
  /** The current signature of the whole state directory (a few stat calls). */
  signature(): Promise<string>
  /** Read a snapshot, re-reading only what moved since the last one. */
  snapshot(): Promise<WatchSnapshot>
}

export function watcher(ctx: Ctx): Watcher {
  // On etcd a scope's key moves with every change under it: its mod revision is the signature.
  const etcd = isEtcdState(ctx.root) ? import('../store/etcd/store.js').then((m) => m.etcdStore(ctx.root)) : null
  const sigOf = async (scope: string, paths: string[]) =>
    etcd ? String((await (await etcd).scopeMods()).get(scope) ?? 0) : signature(ctx.root, paths)
  let nodeStates = ''
  const domainCache = new Map<string, {sig: string; data: WatchDomain}>()
  let knownDomains: string[] = []
  const fullSignature = async () => {
    const parts = [await sigOf(scopes.membership, clusterPaths)]
    for (const fs of knownDomains) parts.push(await sigOf(scopes.domain(fs), domainPaths(fs)))
    return parts.join('#')
  }
  return {
    signature: fullSignature,
    async snapshot() {
      const names = await withView(ctx, [], async (s) => {
        await s.cluster()
        return s.domainNames()
      })
      const dSigs = new Map(await Promise.all(names.map(async (fs) => [fs, await sigOf(scopes.domain(fs), domainPaths(fs))] as const)))
      const snap = await withView(ctx, [scopes.membership, ...names.map(scopes.domain)], async (s) => {
        const c = await s.cluster()
        const m = await s.membership()
        // Lock validity depends on the node states, not on heartbeats (which rewrite
        // membership.json every few seconds): only a change of state re-reads every domain.
        const states = m.nodes.map((n) => `${n.name}=${n.state}`).join(',')
        const membershipMoved = states !== nodeStates
        const domains: WatchDomain[] = []
        for (const fs of names) {
          const cached = domainCache.get(fs)
          if (cached && !membershipMoved && cached.sig === dSigs.get(fs)) {
            domains.push(cached.data)
            continue
          }
          const d = await s.domain(fs)
          const sum = summarize(await domainLocks(s, d, m), TOP_BLOCKED)
          const data: WatchDomain = {...domainSummary(d.meta), counts: sum.total, unreplayed: await unreplayedRecords(s, d), mostWaitedOn: sum.mostWaitedOn}
          domainCache.set(fs, {sig: dSigs.get(fs)!, data})
          domains.push(data)
        }
        const events = (await s.readEvents()).slice(-LAST_EVENTS).map(({at: _at, ...rest}) => rest)
        return {
          cluster: c.name,
          generation: m.generation,
          time: ctx.clock.now(),
          nodes: m.nodes.map((n) => ({name: n.name, state: n.state, incarnation: n.incarnation, heartbeat: n.heartbeat})),
          domains,
          events,
        }
      })
      nodeStates = snap.nodes.map((n) => `${n.name}=${n.state}`).join(',')
      knownDomains = names
      for (const fs of [...domainCache.keys()]) if (!names.includes(fs)) domainCache.delete(fs)
      return snap
    },
  }
}
