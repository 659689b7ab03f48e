// Bringing a domain up to date with its last logical change (model/changes.ts):
// the command that committed a death or a validate calls finishChange at once,
// and so does the next one that needs the domain whole (a new death or validate)
// when a crash left the work half done. Every step is its own small commit and is
// idempotent; readers meanwhile apply the change virtually to any bucket behind.
import {BUCKETS, INDEX_CHUNK, indexChunkOf, indexFile} from '../store/layout.js'
import {IndexSchema} from '../store/schema.js'
import {withTx, scopes, type Ctx} from './context.js'
import {isEtcdState} from '../store/etcd/url.js'
import {isTooLarge} from '../store/etcd/limits.js'
import {DlmError} from '../errors.js'
import {pushNotice, storeIoError} from '../store/envfail.js'
import {type ClusterState} from './state.js'
import {CatchUpBuffers, type DomainSession} from './domain-session.js'
import type {BucketEdits} from '../store/line-edits.js'

/** Buckets rewritten per commit, and index chunks per commit: bounded memory and record size. */
export const BUCKET_BATCH = 16
export const INDEX_BATCH = 64
/**
 * On etcd one commit is one request of at most 1.5 MiB (etcd's default): a bucket
 * file of a 100,000-lock domain is ~120 KB, an index chunk ~25 KB. Past ~300,000
 * locks four buckets no longer fit one request: finishChange halves the batch
 * when etcd refuses one as too large (down to one bucket a commit).
 */
const batchesOf = (ctx: Ctx) => (isEtcdState(ctx.root) ? {buckets: 4, index: 16} : {buckets: BUCKET_BATCH, index: INDEX_BATCH})

/**
 * What the committing command recorded of change `seq`'s effect on the bucket
 * files it read (DomainSession.takeConcerned): their new images as edits, by bucket.
 */
export interface ChangeEdits {
  seq: number
  buckets: Map<number, BucketEdits>
}

/** Is the domain's last change still being applied (some bucket or the index may lag)? */
export const changePending = (d: DomainSession): boolean => d.meta.change !== undefined && !d.meta.change.done

/**
 * Rewrite every bucket behind the last change, fix the lock index, then mark the
 * change done. `removed`: the lock ids the change removed, when the caller knows
 * them (it computed them before committing); otherwise the index is checked against
 * every lock that exists. `edits`: the new images of the buckets it read, when it
 * kept them (a bucket whose file changed since is brought up to date the long way).
 */
/** Buckets the catch-up asks etcd for ahead of the one it brings up to date. */
const READ_AHEAD = 8

export async function finishChange(outer: Ctx, fs: string, removed?: number[], edits?: ChangeEdits): Promise<void> {
  // Bookkeeping commits of their own: a confirmed command's guard checks its own commit, not these.
  const ctx: Ctx = {...outer, guard: undefined}
  let seq = 0
  let bound = 0
  // Lock ids that exist (only when `removed` is unknown), below `bound` = nextLockId at the start.
  let live: Uint8Array | undefined
  let next = 0
  const batch = batchesOf(ctx)
  const buffers = new CatchUpBuffers()
  while (next < BUCKETS) {
    const from = next
    const step = withTx(ctx, [scopes.domain(fs)], async (s) => {
      // On etcd a lost race runs this again from a fresh read: from the same bucket.
      next = from
      const d = await s.domain(fs)
      if (!changePending(d) || (seq && d.meta.change!.seq !== seq)) return true
      if (!seq) {
        seq = d.meta.change!.seq
        bound = d.meta.nextLockId
        if (!removed) live = new Uint8Array(bound)
      }
      for (let b = next; b < next + READ_AHEAD; b++) d.readAhead(b)
      for (let rewritten = 0; next < BUCKETS && rewritten < batch.buckets; next++) {
        d.readAhead(next + READ_AHEAD)
        if (!live) {
          // The committing command validated every bucket just before: touch only what the change concerns.
          if (await d.catchUpBucket(next, edits?.seq === seq ? edits.buckets.get(next) : undefined, buffers)) rewritten++
          continue
        }
        const resources = await d.bucketForUpdate(next)
        if (live) for (const r of resources) for (const q of [r.grantQueue, r.convertQueue, r.waitQueue]) for (const l of q) if (l.id < bound) live[l.id] = 1
        if (d.wasBehind(next)) rewritten++
        else {
          d.keepClean(next)
          d.dropClean()
        }
      }
      return false
    })
    let stop: boolean
    try {
      stop = await step
    } catch (e) {
      buffers.release()
      // Too big for one etcd request (large buckets): nothing was written; the same buckets again, fewer per commit.
      if (!isTooLarge(e) || batch.buckets === 1) throw e
      batch.buckets = Math.max(1, Math.floor(batch.buckets / 2))
      next = from
      continue
    }
    // The batch is committed: its images are written.
    buffers.release()
    if (stop) return
  }
  // The lock index: chunks that may name a removed lock.
  const chunks = removed ? [...new Set(removed.map(indexChunkOf))].sort((a, b) => a - b) : Array.from({length: Math.ceil(bound / INDEX_CHUNK)}, (_, c) => c)
  const gone = removed ? new Set(removed) : undefined
  for (let i = 0; i < chunks.length; i += batch.index) {
    const stop = await withTx(ctx, [scopes.domain(fs)], async (s) => {
      const d = await s.domain(fs)
      if (!changePending(d) || d.meta.change!.seq !== seq) return true
      for (const c of chunks.slice(i, i + batch.index)) {
        const idx = await s.readJson<{locks: Record<string, string>}>(IndexSchema, indexFile(fs, c))
        for (const id of Object.keys(idx?.locks ?? {}).map(Number)) {
          // Ids from `bound` on were handed out after the change: they are not its.
          if (id < bound && (gone ? gone.has(id) : !live![id])) await d.indexDelete(id)
        }
      }
      return false
    })
    if (stop) return
  }
  await withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    if (!changePending(d) || d.meta.change!.seq !== seq) return
    d.meta.change!.done = true
    d.changed()
  })
}

/**
 * finishChange right after the command's own commit: the change is in (every
 * reader already sees it whole), so a store error or a busy domain while bringing
 * the buckets up to date must not report the command as failed — a script would
 * retry a death or a validate that happened. It becomes a warning; the next
 * command that needs the domain whole finishes the work.
 */
export async function finishAfterCommit(ctx: Ctx, fs: string, removed?: number[], edits?: ChangeEdits): Promise<void> {
  try {
    await finishChange(ctx, fs, removed, edits)
  } catch (e) {
    const err = storeIoError(e, ctx.root) ?? e
    if (!(err instanceof DlmError) || !(err.code === 'STORE_IO' || err.code === 'BUSY')) throw e
    pushNotice(`warning: the change to ${fs} is committed, but bringing its buckets up to date failed (${err.message}); readers already see the new state, and the next dlmctl command that changes ${fs} as a whole finishes the work`)
  }
}

/** Finish whatever change a crash left half applied in these domains (before committing a new one). */
export async function finishPending(ctx: Ctx, domains: string[]): Promise<void> {
  for (const fs of domains) await finishChange(ctx, fs)
}

/**
 * Before committing a change: the index chunks finishChange will rewrite must be
 * readable, so that damage there refuses the command (exit 4) with nothing written.
 */
export async function requireIndexReadable(s: ClusterState, fs: string, removed: number[]): Promise<void> {
  for (const c of new Set(removed.map(indexChunkOf))) await s.readJson(IndexSchema, indexFile(fs, c))
}
