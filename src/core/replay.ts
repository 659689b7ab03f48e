// Log replay of the dead nodes' journals of one file system.
//
// The journals of dead nodes no longer change, so they are read without the
// domain's lock (a death elsewhere in the cluster, or mark-dead of another member
// of this domain, must not wait for a long replay); the domain's epoch is checked
// as replay goes, and again under the lock when the result is committed: another
// death means MORE_RECOVERY and nothing written. The new metadata and replay points
// are committed together, so a replay killed at any instant leaves the old state
// and a rerun converges; records apply only when newer than the key (seq), so
// replaying twice is replaying once.
import {join} from 'node:path'
import {scanJournal, type ScanResult} from '../journal/scan.js'
import {applyMetaRecord, mergeEntry, type MetaKeys} from '../model/metadata.js'
import {epochMoved, findAttachment} from '../model/domain.js'
import {domainFile} from '../store/layout.js'
import {io} from '../store/io.js'
import {DomainSchema, parseJson} from '../store/schema.js'
import {onEtcd, withTx, withView, scopes, type Ctx} from './context.js'
import type {DomainMeta} from '../model/types.js'
import type {ClusterState} from './state.js'
import type {DomainSession} from './domain-session.js'

export interface JournalReplay {
  node: string
  /** set/del records of committed transactions replayed. */
  applied: number
  /** set/del records of transactions without their commit (thrown away). */
  discarded: number
  /** Where replay stopped on damage (nothing after it is trusted), or null. */
  stoppedAt: ScanResult['stoppedAt']
  from: number
  to: number
}

export interface ReplayResult {
  domain: string
  id: number
  result: 'DONE' | 'MORE_RECOVERY'
  journals: JournalReplay[]
  /** Keys whose value changed in the metadata. */
  changedKeys: number
  dryRun?: boolean
}

class EpochMoved extends Error {}

/**
 * Progress of a replay: records applied so far, and the share of the journals'
 * bytes past their replay points scanned so far (0..1). Bytes, not records: the
 * sizes are known at once, while counting records would cost a second scan.
 */
export type ReplayProgress = (records: number, fraction: number) => void

export async function replayOp(ctx: Ctx, fs: string, id: number, opts: {dryRun?: boolean; onProgress?: ReplayProgress} = {}): Promise<ReplayResult> {
  // 1. What to replay, from where (consistent view).
  const start = await withView(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    findAttachment(d.meta, id)
    const points: Record<string, number> = {}
    const sources: Record<string, string | Buffer> = {}
    for (const node of d.meta.deadNodes) {
      points[node] = (await s.journalPoint(fs, node)).offset
      sources[node] = await s.journalSource(fs, node)
    }
    return {epoch: d.meta.epoch, moved: epochMoved(d.meta, id), dead: [...d.meta.deadNodes], points, sources}
  })
  const more = (): ReplayResult => ({domain: fs, id, result: 'MORE_RECOVERY', journals: [], changedKeys: 0})
  if (start.moved) return more()

  // 2. Scan the journals without the lock; check the epoch as we go.
  const changes: MetaKeys = {}
  const journals: JournalReplay[] = []
  const etcd = await onEtcd(ctx)
  const domainPath = etcd ? '' : join(ctx.root, domainFile(fs))
  let seen = 0
  const toScan = opts.onProgress ? await bytesPastPoints(start.dead, start.sources, start.points) : {total: 0, per: {}}
  let scannedBefore = 0 // bytes of the journals already scanned
  let node = ''
  const check = async (offset: number) => {
    const meta = parseJson<DomainMeta>(DomainSchema, (etcd ? await etcd.readLatest(domainFile(fs)) : await io.readFile(domainPath)).toString('utf8'), domainFile(fs))
    if (meta.epoch !== start.epoch) throw new EpochMoved()
    const done = scannedBefore + Math.max(0, offset - start.points[node])
    opts.onProgress?.(seen, toScan.total > 0 ? Math.min(1, done / toScan.total) : 1)
  }
  try {
    for (node of start.dead) {
      const r = await scanJournal(start.sources[node], start.points[node], {
        onCommit: (recs) => {
          for (const rec of recs) applyMetaRecord(changes, rec)
          seen += recs.length
        },
        check,
      })
      journals.push({node, applied: r.committed, discarded: r.discarded, stoppedAt: r.stoppedAt, from: r.from, to: r.point})
      scannedBefore += toScan.per[node] ?? 0
    }
  } catch (e) {
    if (e instanceof EpochMoved) return more()
    throw e
  }

  // 3. Commit metadata and replay points together, if nobody died meanwhile.
  const commit = async (s: ClusterState): Promise<ReplayResult> => {
    const d = await s.domain(fs)
    // Commit only what still holds: the id live (a validate meanwhile retired it:
    // refused), the same epoch and so the same dead nodes (else MORE_RECOVERY).
    findAttachment(d.meta, id)
    if (d.meta.epoch !== start.epoch || epochMoved(d.meta, id) || d.meta.deadNodes.join() !== start.dead.join()) return more()
    const meta = await s.fsMeta(fs)
    let changedKeys = 0
    for (const key of Object.keys(changes).sort()) {
      if (mergeEntry(meta.keys, key, changes[key])) changedKeys++
    }
    for (const j of journals) {
      // Someone else replayed this journal meanwhile (a parallel recover): keep the furthest point.
      const p = await s.journalPoint(fs, j.node)
      if (j.to > p.offset) s.setJournalPoint(fs, j.node, j.to)
    }
    if (changedKeys > 0) s.fsMetaChanged(fs)
    s.event('fs.replay', {id, epoch: d.meta.epoch, journals, changedKeys}, fs)
    return {domain: fs, id, result: 'DONE', journals, changedKeys}
  }
  if (opts.dryRun) return {...(await withView(ctx, [scopes.domain(fs)], commit)), dryRun: true}
  return withTx(ctx, [scopes.domain(fs)], commit)
}

/** The bytes of each dead node's journal past its replay point (a stat each; a journal not there has none). */
async function bytesPastPoints(dead: string[], sources: Record<string, string | Buffer>, points: Record<string, number>): Promise<{total: number; per: Record<string, number>}> {
  const per: Record<string, number> = {}
  let total = 0
  for (const node of dead) {
    const src = sources[node]
    const size = Buffer.isBuffer(src) ? src.length : await io.stat(src).then((st) => st.size, () => 0)
    per[node] = Math.max(0, size - points[node])
    total += per[node]
  }
  return {total, per}
}

/** validate's check: dead nodes whose journal still holds committed records past the replay point. */
export async function unreplayedNodes(s: ClusterState, d: DomainSession): Promise<string[]> {
  const out: string[] = []
  for (const node of d.meta.deadNodes) {
    const p = await s.journalPoint(d.name, node)
    const r = await scanJournal(await s.journalSource(d.name, node), p.offset)
    if (r.transactions > 0) out.push(node)
  }
  return out
}
