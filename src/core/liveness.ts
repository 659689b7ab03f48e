// What status says about each node beyond its state: how old its last
// heartbeat is (what `node check` judges it by), and what the operator runs
// next for it — a dead node waits for its domains' recovery, a recovered one
// for `node join`.
import type {NodeInfo} from '../model/types.js'

export interface NodeStatus {
  name: string
  state: NodeInfo['state']
  incarnation: number
  heartbeat: string
  /** Whole seconds since the last heartbeat (0 if it is in the future). */
  heartbeatAgeSeconds: number
  /** The next command for this node, or null when it needs none. */
  next: string | null
}

export function nodeStatus(n: NodeInfo, now: string, domains: {name: string; deadNodes: string[]}[]): NodeStatus {
  const age = Math.max(0, Math.floor((Date.parse(now) - Date.parse(n.heartbeat)) / 1000))
  const awaiting = domains.filter((d) => d.deadNodes.includes(n.name)).map((d) => d.name)
  const next =
    n.state === 'recovered' ? `dlmctl node join ${n.name}` : n.state === 'dead' && awaiting.length ? `dlmctl recover ${awaiting.join(' ')}` : null
  return {name: n.name, state: n.state, incarnation: n.incarnation, heartbeat: n.heartbeat, heartbeatAgeSeconds: Number.isFinite(age) ? age : 0, next}
}
