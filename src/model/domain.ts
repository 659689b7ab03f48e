// A lock domain's recovery: deadman locks on join, what a death does, attach and
// validate. Pure: the caller hands in the domain and the resources it loaded and
// owns them; nothing here does I/O. Each step is written so that rerunning it
// on its own output changes nothing (recovery may be aborted and restarted).
import {DlmError, refused} from '../errors.js'
import {isWriteMode} from './modes.js'
import {allLocks, removeLock, requestLock, serve} from './resource.js'
import type {Attachment, DomainMeta, Lock, Resource} from './types.js'

export const DEADMAN_PREFIX = 'deadman/'
export const deadmanResource = (node: string) => `${DEADMAN_PREFIX}${node}`

export function newDomain(name: string, members: string[]): DomainMeta {
  return {
    name,
    members: [...members].sort(),
    state: 'normal',
    epoch: 0,
    deadNodes: [],
    attachments: [],
    nextLockId: 1,
    nextAttachId: 1,
  }
}

/** Resources the caller must load (or create) for `joinDomain`. */
export function joinNeeds(domain: DomainMeta, node: string, upMembers: string[]): string[] {
  return [node, ...upMembers.filter((m) => m !== node)].map(deadmanResource)
}

/**
 * A node joins (mounts) the domain: it takes EX on deadman/<node>, queues PR on
 * every other up member's deadman resource, and they queue PR on its. `getResource`
 * returns the (possibly new) resource by name. Lock ids come from the domain.
 */
export function joinDomain(
  domain: DomainMeta,
  node: string,
  upMembers: string[],
  getResource: (name: string) => Resource,
): {lock: Lock; resource: string}[] {
  if (!domain.members.includes(node)) {
    domain.members.push(node)
    domain.members.sort()
  }
  const taken: {lock: Lock; resource: string}[] = []
  const take = (holder: string, owner: string, mode: 'EX' | 'PR') => {
    const resource = deadmanResource(owner)
    const lock = requestLock(getResource(resource), {
      id: domain.nextLockId++,
      node: holder,
      mode,
      persistent: false,
    })
    taken.push({lock, resource})
  }
  take(node, node, 'EX')
  for (const other of [...upMembers].sort()) {
    if (other === node) continue
    take(node, other, 'PR')
    take(other, node, 'PR')
  }
  return taken
}

export interface DeathSummary {
  domain: string
  node: string
  epoch: number
  orphaned: number[]
  dropped: number[]
  withdrawn: number[]
  conversionsWithdrawn: number[]
  invalidatedResources: string[]
  /** Locks granted by serving the queues after the death (e.g. survivors' deadman PRs). */
  granted: Lock[]
  /** Names of the resources the death changed. */
  touched: string[]
}

/**
 * What a death does in one domain the node belonged to (DLM recovery): the epoch
 * grows, the domain recovers, the node must be replayed; its waiting requests are
 * withdrawn, pending conversions withdrawn, non-persistent locks dropped, granted
 * persistent locks kept as orphans; value blocks it held in PW/EX become invalid;
 * then the queues are served. `resources` must be every resource of the domain.
 */
export function applyDeath(domain: DomainMeta, node: string, resources: Iterable<Resource>): DeathSummary {
  const s = enterDeath(domain, node)
  for (const res of resources) deathOfResource(res, node, s)
  return finishDeathSummary(s)
}

/** The domain's part of a death: the epoch grows, the domain recovers, the node must be replayed. */
export function enterDeath(domain: DomainMeta, node: string): DeathSummary {
  domain.epoch += 1
  domain.state = 'recovering'
  if (!domain.deadNodes.includes(node)) {
    domain.deadNodes.push(node)
    domain.deadNodes.sort()
  }
  return {
    domain: domain.name,
    node,
    epoch: domain.epoch,
    orphaned: [],
    dropped: [],
    withdrawn: [],
    conversionsWithdrawn: [],
    invalidatedResources: [],
    granted: [],
    touched: [],
  }
}

/**
 * What a death does to ONE resource, reported into `s`: the node's waiting
 * requests withdrawn, pending conversions withdrawn, non-persistent locks dropped,
 * granted persistent locks kept as orphans, a value block it held in PW/EX made
 * invalid, then the queues served. Applying it twice changes nothing the second time.
 */
export function deathOfResource(res: Resource, node: string, s: DeathSummary): void {
  const holds = (q: Lock[]) => q.some((l) => l.node === node)
  // Most resources of a big domain are not the dead node's: skip them without allocating.
  if (!holds(res.grantQueue) && !holds(res.convertQueue) && !holds(res.waitQueue)) return
  let touched = false
  for (const lock of res.waitQueue.filter((l) => l.node === node)) {
    removeLock(res, lock)
    s.withdrawn.push(lock.id)
    touched = true
  }
  for (const lock of res.convertQueue.filter((l) => l.node === node)) {
    res.convertQueue.splice(res.convertQueue.indexOf(lock), 1)
    delete lock.requestedMode
    res.grantQueue.push(lock)
    s.conversionsWithdrawn.push(lock.id)
    touched = true
  }
  for (const lock of res.grantQueue.filter((l) => l.node === node)) {
    touched = true
    if (isWriteMode(lock.mode) && res.lvbValid) {
      res.lvbValid = false
      s.invalidatedResources.push(res.name)
    }
    if (lock.persistent) {
      s.orphaned.push(lock.id)
    } else {
      removeLock(res, lock)
      s.dropped.push(lock.id)
    }
  }
  if (touched) {
    s.touched.push(res.name)
    s.granted.push(...serve(res))
  }
}

/** Lists in the order a death reports them (ids ascending, names sorted). */
export function finishDeathSummary(s: DeathSummary): DeathSummary {
  for (const list of [s.orphaned, s.dropped, s.withdrawn, s.conversionsWithdrawn]) list.sort((a, b) => a - b)
  s.invalidatedResources.sort()
  return s
}

export function attach(domain: DomainMeta, node: string): Attachment {
  const a: Attachment = {id: domain.nextAttachId++, node, epoch: domain.epoch}
  domain.attachments.push(a)
  return a
}

export function findAttachment(domain: DomainMeta, id: number): Attachment {
  const a = domain.attachments.find((x) => x.id === id)
  if (!a) {
    const known = domain.attachments.map((x) => x.id).join(', ') || 'none'
    throw new DlmError('UNKNOWN_RECOVERY_ID', `no recovery id ${id} in domain ${domain.name} (attached: ${known})`)
  }
  return a
}

export function detach(domain: DomainMeta, id: number): Attachment {
  const a = findAttachment(domain, id)
  domain.attachments = domain.attachments.filter((x) => x !== a)
  return a
}

/** MORE_RECOVERY when another member died since the attach: recovery must start over. */
export function epochMoved(domain: DomainMeta, id: number): boolean {
  return findAttachment(domain, id).epoch !== domain.epoch
}

export interface ValidateSummary {
  domain: string
  id: number
  result: 'VALID' | 'MORE_RECOVERY'
  replayedNodes: string[]
  releasedOrphans: number[]
  cleanedDeadman: number[]
  revalidatedResources: string[]
  granted: Lock[]
  forced: boolean
  /** Names of the resources validate changed. */
  touched: string[]
}

/**
 * validate(id). `unreplayed` lists dead nodes whose journals still hold committed
 * records past their replay point: refused with REPLAY_INCOMPLETE unless forced.
 * On VALID: persistent locks valid again (the domain is normal), orphans of the
 * replayed nodes released, their deadman resources cleaned, persistent value
 * blocks valid, queues served. `resources` must be every resource of the domain.
 */
export function validate(
  domain: DomainMeta,
  id: number,
  resources: Iterable<Resource>,
  opts: {unreplayed?: string[]; force?: boolean} = {},
): ValidateSummary {
  const s = beginValidate(domain, id, opts)
  if (s.result === 'MORE_RECOVERY') return s
  const dead = new Set(domain.deadNodes)
  for (const res of resources) validateResource(res, dead, s)
  return endValidate(domain, s)
}

/**
 * The domain's checks before a validate: MORE_RECOVERY when the epoch moved since
 * the attach, REPLAY_INCOMPLETE (unless forced) when a dead node's journal still
 * holds committed records. Changes nothing.
 */
export function beginValidate(domain: DomainMeta, id: number, opts: {unreplayed?: string[]; force?: boolean} = {}): ValidateSummary {
  const s: ValidateSummary = {
    domain: domain.name,
    id,
    result: 'VALID',
    replayedNodes: [],
    releasedOrphans: [],
    cleanedDeadman: [],
    revalidatedResources: [],
    granted: [],
    forced: false,
    touched: [],
  }
  if (epochMoved(domain, id)) {
    s.result = 'MORE_RECOVERY'
    return s
  }
  const unreplayed = opts.unreplayed ?? []
  if (unreplayed.length > 0) {
    if (!opts.force) {
      throw refused(
        'REPLAY_INCOMPLETE',
        `journal of ${unreplayed.join(', ')} in ${domain.name} still holds committed records past its replay point (run: dlmctl replay ${domain.name} --id ${id}, or validate --force)`,
        {nodes: unreplayed},
      )
    }
    s.forced = true
  }
  return s
}

/**
 * What a validate does to ONE resource, `dead` being the nodes it recovers:
 * their deadman resource cleaned, their orphans released, a persistent value
 * block valid again, queues served. Applying it twice changes nothing the second time.
 */
export function validateResource(res: Resource, dead: ReadonlySet<string>, s: ValidateSummary): void {
  let touched = false
  if (res.name.startsWith(DEADMAN_PREFIX) && dead.has(res.name.slice(DEADMAN_PREFIX.length))) {
    // The survivors learned of the death through these grants; recovery is done with them.
    for (const lock of allLocks(res)) {
      removeLock(res, lock)
      s.cleanedDeadman.push(lock.id)
    }
    // Purge, not patch: the node's next join starts from a fresh deadman resource.
    res.lvb = '0'.repeat(res.lvb.length)
    res.lvbValid = true
    touched = true
  }
  for (const lock of res.grantQueue.filter((l) => dead.has(l.node))) {
    removeLock(res, lock)
    s.releasedOrphans.push(lock.id)
    touched = true
  }
  if (res.persistent && !res.lvbValid) {
    res.lvbValid = true
    s.revalidatedResources.push(res.name)
    touched = true
  }
  if (touched) {
    s.touched.push(res.name)
    s.granted.push(...serve(res))
  }
}

/** The domain's part of a successful validate: back to normal, nothing left to replay. */
export function endValidate(domain: DomainMeta, s: ValidateSummary): ValidateSummary {
  s.replayedNodes = [...domain.deadNodes]
  domain.deadNodes = []
  domain.state = 'normal'
  s.releasedOrphans.sort((a, b) => a - b)
  s.cleanedDeadman.sort((a, b) => a - b)
  s.revalidatedResources.sort()
  return s
}
