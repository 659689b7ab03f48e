// File-system metadata and the locks that protect it: a node writes meta/<key>
// only under a valid persistent PW or EX lock, reads it only under a granted,
// valid lock of at least CR. Records apply to a key only if their sequence
// number is higher than the key's: replay is idempotent and order-free.
import {refused} from '../errors.js'
import type {DataRecord} from './records.js'
import {atLeast, isWriteMode} from './modes.js'
import {invalidReasons} from './validity.js'
import type {DomainMeta, NodeState, Resource} from './types.js'

export const metaResource = (key: string) => `meta/${key}`

export type MetaKeys = Record<string, {value: string | null; seq: number}>

/** Apply one journal set/del to the metadata keys if it is newer than what the key holds. Returns whether it changed the key. */
export function applyMetaRecord(keys: MetaKeys, r: DataRecord): boolean {
  return mergeEntry(keys, r.key, {value: r.op === 'set' ? r.value : null, seq: r.seq})
}

/** The same rule for an entry (value null: deleted): the higher seq wins. */
export function mergeEntry(keys: MetaKeys, key: string, e: {value: string | null; seq: number}): boolean {
  const cur = keys[key]
  if (cur && cur.seq >= e.seq) return false
  keys[key] = {value: e.value, seq: e.seq}
  return true
}

/** The node's granted locks on the resource (granted or converting: both hold a granted mode). */
function heldBy(res: Resource | undefined, node: string) {
  return res ? [...res.grantQueue, ...res.convertQueue].filter((l) => l.node === node) : []
}

/** Refuses unless `node` holds a valid persistent PW/EX lock on meta/<key>. */
export function checkWrite(res: Resource | undefined, domain: DomainMeta, node: string, nodeState: NodeState, key: string): void {
  const name = metaResource(key)
  const writers = heldBy(res, node).filter((l) => l.persistent && isWriteMode(l.mode))
  if (writers.length === 0) {
    const other = heldBy(res, node).map((l) => `${l.persistent ? 'persistent ' : ''}${l.mode} (lock ${l.id})`)
    throw refused(
      'LOCK_NOT_HELD',
      `${node} may write ${key} only under a persistent PW or EX lock on ${name}; it holds ${other.join(', ') || 'none'} (dlmctl lock request ${domain.name} ${name} --node ${node} --mode EX --persistent)`,
      {key, resource: name},
    )
  }
  const lock = writers[0]
  const reasons = invalidReasons(lock, res!, domain, nodeState)
  if (reasons.length > 0) {
    throw refused('VALNOTVALID', `${node}'s lock ${lock.id} on ${name} is not valid (${reasons.join(', ')}): recovery must finish first`, {
      key,
      lockId: lock.id,
      invalidReasons: reasons,
    })
  }
}

/** Refuses unless `node` holds a granted, valid lock of at least CR on meta/<key>. Returns the lock used. */
export function checkRead(res: Resource | undefined, domain: DomainMeta, node: string, nodeState: NodeState, key: string): number {
  const name = metaResource(key)
  const readers = heldBy(res, node).filter((l) => atLeast(l.mode, 'CR'))
  if (readers.length === 0) {
    throw refused('LOCK_NOT_HELD', `${node} may read ${key} only under a granted lock of at least CR on ${name} (or use --raw)`, {
      key,
      resource: name,
    })
  }
  const valid = readers.find((l) => invalidReasons(l, res!, domain, nodeState).length === 0)
  if (!valid) {
    const l = readers[0]
    const reasons = invalidReasons(l, res!, domain, nodeState)
    throw refused('VALNOTVALID', `${node}'s lock ${l.id} on ${name} is not valid (${reasons.join(', ')}): recovery must finish first`, {
      key,
      lockId: l.id,
      invalidReasons: reasons,
    })
  }
  return valid.id
}
