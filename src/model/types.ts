// The cluster's state as plain data. These are exactly the shapes stored in the
// state directory (see man/dlmctl-state.5); validity is never stored, it is
// derived (validity.ts).
import type {Mode} from './modes.js'

export type NodeState = 'up' | 'dead' | 'recovered'

export interface NodeInfo {
  name: string
  state: NodeState
  incarnation: number
  /** ISO time of the last heartbeat (set on add/join too). */
  heartbeat: string
}

export interface Membership {
  generation: number
  /** Sorted by name. */
  nodes: NodeInfo[]
}

export interface ClusterConfig {
  format: 1
  name: string
  lvbSize: number
  /** Argument vector with `{node}` in it, run without a shell before mark-dead. */
  fenceCmd: string[] | null
  fenceTimeoutMs: number
}

export type DomainState = 'normal' | 'recovering'

/** A recovery id handed out by attach: it remembers the epoch it was taken in. */
export interface Attachment {
  id: number
  node: string
  epoch: number
}

export interface DomainMeta {
  name: string
  /** Nodes that mount this file system (kept while dead; `join` brings them back). Sorted. */
  members: string[]
  state: DomainState
  epoch: number
  /** Dead members whose journals must be replayed before validate. Sorted. */
  deadNodes: string[]
  attachments: Attachment[]
  nextLockId: number
  nextAttachId: number
  /** File-system-wide sequence number of the next journal record (absent: 1). */
  nextSeq?: number
  /** The last whole-domain change (death, validate) as a logical record (changes.ts); absent: none yet. */
  change?: LogicalChange
}

/**
 * A whole-domain change: what happened, enough to apply it to any one resource.
 * `done` once every bucket it concerns has been rewritten with it.
 */
export type LogicalChange =
  | {seq: number; kind: 'death'; node: string; done: boolean}
  | {seq: number; kind: 'validate'; dead: string[]; done: boolean}

export interface Lock {
  id: number
  node: string
  /** Granted mode; for a waiting request, the mode it asks for. */
  mode: Mode
  /** Set while converting (convert queue). */
  requestedMode?: Mode
  persistent: boolean
  /** The value block as read when this lock was granted (hex). */
  lvb: string
  /** Value to write when a queued PW/EX request is granted (request --lvb). */
  writeLvb?: string
}

export interface Resource {
  name: string
  lvb: string
  lvbValid: boolean
  /** Has ever had a persistent lock: its value block is re-validated by validate. */
  persistent: boolean
  /** Locks holding a grant and not converting, in grant order. */
  grantQueue: Lock[]
  /** Locks holding a grant and waiting to convert (requestedMode set), FIFO. */
  convertQueue: Lock[]
  /** New requests not yet granted, FIFO. */
  waitQueue: Lock[]
}

export type LockStatus = 'granted' | 'converting' | 'waiting'
