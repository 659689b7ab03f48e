// Cluster membership: node states, incarnations and the membership generation.
// up → (mark-dead) dead → (all its domains validated) recovered → (join) up, incarnation + 1.
import {DlmError, refused} from '../errors.js'
import {checkName} from './names.js'
import type {DomainMeta, Lock, Membership, NodeInfo} from './types.js'


export function findNode(m: Membership, name: string): NodeInfo {
  const n = m.nodes.find((x) => x.name === name)
  if (!n) {
    checkName('node', name)
    throw new DlmError('UNKNOWN_NODE', `unknown node '${name}' (nodes: ${m.nodes.map((x) => x.name).join(', ') || 'none'})`)
  }
  return n
}

export function requireUp(m: Membership, name: string): NodeInfo {
  const n = findNode(m, name)
  if (n.state !== 'up') {
    throw refused('NODE_NOT_UP', `node ${name} is ${n.state}${n.state === 'dead' ? ' (declared dead)' : ''}; it must be up`)
  }
  return n
}

/** A node that must mount the domain (it holds or asks for locks there, or has a journal in it). */
export function requireMember(domain: DomainMeta, node: string): void {
  if (!domain.members.includes(node)) {
    throw refused('NOT_MEMBER', `node ${node} is not a member of ${domain.name} (members: ${domain.members.join(', ')}; dlmctl node join ${node} --fs ${domain.name})`)
  }
}

/** A node that acts in the domain: up in the cluster and a member of the domain. */
export function requireUpMember(m: Membership, domain: DomainMeta, node: string): NodeInfo {
  const n = requireUp(m, node)
  requireMember(domain, node)
  return n
}

/**
 * The holder of a lock must be up to act on it (convert, cancel, release); an
 * orphan (a persistent lock of a dead node) goes away only through validate.
 */
export function requireHolderUp(m: Membership, domain: DomainMeta, lock: Lock): NodeInfo {
  const holder = findNode(m, lock.node)
  if (holder.state !== 'up') {
    throw refused(
      'NODE_NOT_UP',
      `lock ${lock.id} is held by ${holder.state} node ${lock.node}${lock.persistent ? ' (an orphan: validate releases it; dlmctl recover ' + domain.name + ')' : ''}`,
    )
  }
  return holder
}

export function upNodes(m: Membership): Set<string> {
  return new Set(m.nodes.filter((n) => n.state === 'up').map((n) => n.name))
}

/** The members of a domain that are up, in name order (the first runs its recovery unless told otherwise). */
export function upMembers(m: Membership, domain: DomainMeta): string[] {
  const up = upNodes(m)
  return domain.members.filter((n) => up.has(n))
}

export function newMembership(nodes: string[], now: string): Membership {
  return {
    generation: 1,
    nodes: [...new Set(nodes)].sort().map((name) => ({name, state: 'up', incarnation: 1, heartbeat: now})),
  }
}

export function addNode(m: Membership, name: string, now: string): NodeInfo {
  checkName('node', name)
  if (m.nodes.some((n) => n.name === name)) throw refused('ALREADY_EXISTS', `node ${name} already exists`)
  const node: NodeInfo = {name, state: 'up', incarnation: 1, heartbeat: now}
  m.nodes.push(node)
  m.nodes.sort((a, b) => (a.name < b.name ? -1 : 1))
  m.generation += 1
  return node
}

/** The membership half of a death (the domains' half is applyDeath). */
export function markDead(m: Membership, name: string): NodeInfo {
  const n = requireUp(m, name)
  n.state = 'dead'
  m.generation += 1
  return n
}

/**
 * The membership half of a join: a recovered node comes back with a new
 * incarnation; a dead one cannot (its journals are not replayed yet); an up node
 * only joins more domains. Returns whether the node's incarnation changed.
 */
export function rejoin(m: Membership, name: string, now: string): boolean {
  const n = findNode(m, name)
  if (n.state === 'dead') {
    throw refused('NODE_DEAD', `node ${name} is dead and cannot rejoin until its journals are replayed and its domains validated (dlmctl recover)`)
  }
  n.heartbeat = now
  if (n.state === 'recovered') {
    n.state = 'up'
    n.incarnation += 1
    m.generation += 1
    return true
  }
  return false
}

/** Dead nodes that no domain still has to recover become `recovered`. */
export function settleRecovered(m: Membership, domains: DomainMeta[]): string[] {
  const pending = new Set(domains.flatMap((d) => d.deadNodes))
  const now: string[] = []
  for (const n of m.nodes) {
    if (n.state === 'dead' && !pending.has(n.name)) {
      n.state = 'recovered'
      now.push(n.name)
    }
  }
  return now
}

export function heartbeat(m: Membership, name: string, now: string): NodeInfo {
  const n = requireUp(m, name)
  n.heartbeat = now
  return n
}

/** Up nodes whose last heartbeat is older than `timeoutMs` at `now`. */
export function staleNodes(m: Membership, now: string, timeoutMs: number): NodeInfo[] {
  const t = Date.parse(now)
  return m.nodes.filter((n) => n.state === 'up' && t - Date.parse(n.heartbeat) > timeoutMs)
}
