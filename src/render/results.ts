// The one-line answers of the commands that change one thing (human output; the
// JSON output is the result itself). Each takes the core's result as it is.
import {TORN_WRITE} from '../core/testing-aids.js'
import type {validateConfirmed} from '../core/confirmed.js'
import type {attachOp, validateOp} from '../core/domains.js'
import type {fsCheckpoint, fsRead, fsWrite} from '../core/fs.js'
import type {initCluster} from '../core/init.js'
import type {releaseLockOp} from '../core/locks.js'
import type {addNode, heartbeat, joinNode} from '../core/nodes.js'
import type {NodeInfo} from '../model/types.js'
import {escapeControl as esc} from './escape.js'
import {revalidatedText} from './lockops.js'

type Result<F extends (...a: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>

export const renderInit = (r: Result<typeof initCluster>, state: string) =>
  `created cluster ${r.cluster} in ${state}: nodes ${r.nodes.join(', ')}; file systems ${r.fs.map((f) => `${f.name} (${f.members.join(' ')})`).join(', ')}`

export const renderNodeAdded = (r: Result<typeof addNode>) =>
  `added node ${r.node.name} (generation ${r.generation}); join it to file systems with: dlmctl node join ${r.node.name} --fs <fs>`

export const renderHeartbeat = (r: Result<typeof heartbeat>) => `${r.node} heartbeat ${r.heartbeat}`

export const renderJoin = (r: Result<typeof joinNode>) =>
  `${r.node.name} is up (incarnation ${r.node.incarnation}, generation ${r.generation})${r.joined.length ? `; joined ${r.joined.join(', ')}` : '; joined no new file system'}`

/** node check: `timeout` as the operator wrote it. */
export function renderNodeCheck(r: {stale: Pick<NodeInfo, 'name'>[]; markedDead: string[]; dryRun: boolean}, timeout: string): string {
  if (r.stale.length === 0) return `all up nodes have a heartbeat within ${timeout}`
  return r.dryRun ? `stale: ${r.stale.map((n) => n.name).join(', ')} (not marked dead: --dry-run)` : `marked dead: ${r.markedDead.join(', ') || 'none'}`
}

export const renderStaleConfirm = (stale: Pick<NodeInfo, 'name' | 'heartbeat'>[], timeout: string) =>
  `heartbeat older than ${timeout}: ${stale.map((n) => `${n.name} (last ${n.heartbeat})`).join(', ')} will be marked dead`

export const renderRelease = (r: Result<typeof releaseLockOp>) =>
  `released lock ${r.released.lockId} (${r.released.status === 'waiting' ? 'request withdrawn' : r.released.mode})${r.granted.length ? `; granted: ${r.granted.join(', ')}` : ''}`

export const renderAttach = (r: Result<typeof attachOp>) => `recovery id ${r.id} (domain ${r.domain}, epoch ${r.epoch})`

export const renderDetach = (fs: string, id: number) => `detached recovery id ${id} from ${fs}`

export const renderDetachConfirm = (fs: string, id: number) => `detach recovery id ${id} from ${fs}: a recovery using it can no longer validate`

export function renderValidate(r: Result<typeof validateOp> | Result<typeof validateConfirmed>, fs: string, id: number, dryRun: boolean): string {
  if (r.result === 'MORE_RECOVERY') {
    return `MORE_RECOVERY: ${fs} is at epoch ${r.epoch}, recovery id ${id} was attached at epoch ${'attachedEpoch' in r ? r.attachedEpoch : '?'}: another member died; attach again and replay`
  }
  return `${dryRun ? 'would be VALID (dry run, nothing changed)' : 'VALID'}: ${fs} ${dryRun ? 'would be' : 'is'} normal again${'replayedNodes' in r && r.replayedNodes.length ? (r.forced ? `; forced: unreplayed records of ${r.replayedNodes.join(', ')} abandoned` : `; replayed ${r.replayedNodes.join(', ')}`) : ''}${'revalidated' in r ? revalidatedText(r.revalidated, dryRun) : ''}${'recoveredNodes' in r && r.recoveredNodes.length ? `; ${r.recoveredNodes.join(', ')} ${dryRun ? 'would be' : 'now'} recovered` : ''}`
}

export const renderFsWrite = (r: Result<typeof fsWrite>) =>
  r.committed
    ? `${r.node} committed transaction ${r.tx} on ${r.domain}: ${r.records} record(s), seq ${r.seqs[0]}..${r.seqs[1]}`
    : `${r.node} wrote transaction ${r.tx} on ${r.domain} with a torn commit record (${TORN_WRITE}): not committed`

export const renderFsRead = (r: Result<typeof fsRead>) =>
  (r.value === null ? `${esc(r.key)} is not set` : esc(r.value)) + (r.valid ? '' : '  (not valid: the domain awaits replay)')

export const renderCheckpoint = (r: Result<typeof fsCheckpoint>) =>
  `${r.node}: ${r.records} committed record(s) checkpointed into ${r.domain} (${r.applied} applied), checkpoint at offset ${r.checkpoint}`

export const NOTHING_RECOVERING = 'no file system is recovering'
