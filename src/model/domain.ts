// A lock domain's recovery: deadman locks on join, what a death does, attach and
// validate. Pure: the caller hands in the domain and the resources it loaded and
// owns them; nothing here does I/O. Each step is written so that rerunning it
// on its own output changes nothing (recovery may be aborted and restarted).
import {DlmError, refused} from '../errors.js'
import {isWriteMode} from './modes.js'
import {allLocks, removeLock, requestLock, serve} from './resource.js'
import type {Attachment, DomainMeta, Lock, Resource} from './types.js'

// The resources the DLM itself takes, named here and nowhere else: each member's
// deadman resource (its EX while it is up, the other members' PR waiting on it)
// and, per file system, the one a recover runs under (the runner's EX, the other
// survivors' PR).
export const DEADMAN_PREFIX = 'deadman/'
export const deadmanResource = (node: string) => `${DEADMAN_PREFIX}${node}`
export const RECOVERY_PREFIX = 'recovery/'
export const recoveryResource = (fs: string) => `${RECOVERY_PREFIX}${fs}`
/** The prefixes of the resources the DLM itself takes. */
const SYSTEM_PREFIXES = [DEADMAN_PREFIX, RECOVERY_PREFIX] as const
/** A deadman or recovery resource: the cluster's own bookkeeping, not one an application locks. */
export const isSystemResource = (name: string): boolean => SYSTEM_PREFIXES.some((p) => name.startsWith(p))

/** A file system (lock domain) that does not exist: named with the ones that do. */
export function unknownFileSystem(fs: string, known: string[]): DlmError {
  return new DlmError('UNKNOWN_DOMAIN', `unknown file system '${fs}' (file systems: ${known.join(', ') || 'none'})`)
}

/** A lock id that no lock of the domain has (never given, or released since). */
export function unknownLock(id: number, fs: string): DlmError {
  return new DlmError('UNKNOWN_LOCK', `no lock ${id} in domain ${fs}`)
}

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
}

/** What one death did to one resource. */
export interface ResourceDeath {
  orphaned: number[]
  dropped: number[]
  withdrawn: number[]
  conversionsWithdrawn: number[]
  /** The node held it in PW or EX and its value block was valid: now it is not (VALNOTVALID). */
  invalidated: boolean
  granted: Lock[]
}

/** Does `node` have a lock in queue q? (A plain function: a closure made per resource costs a death of half a million.) */
function holdsIn(q: Lock[], node: string): boolean {
  for (const l of q) if (l.node === node) return true
  return false
}

/**
 * What the death of `node` does to ONE resource (undefined: the node has no lock
 * on it, nothing changes): its waiting requests and pending conversions are
 * withdrawn, its non-persistent locks dropped, its persistent ones kept granted
 * as orphans; if it held the resource in PW or EX, the value block may be half
 * written and becomes not valid; then the queues are served. Idempotent.
 */
export function deathOnResource(res: Resource, node: string): ResourceDeath | undefined {
  // Most resources of a big domain are not the dead node's: skip them without allocating.
  if (!holdsIn(res.grantQueue, node) && !holdsIn(res.convertQueue, node) && !holdsIn(res.waitQueue, node)) return undefined
  const r: ResourceDeath = {orphaned: [], dropped: [], withdrawn: [], conversionsWithdrawn: [], invalidated: false, granted: []}
  for (const lock of res.waitQueue.filter((l) => l.node === node)) {
    removeLock(res, lock)
    r.withdrawn.push(lock.id)
  }
  for (const lock of res.convertQueue.filter((l) => l.node === node)) {
    res.convertQueue.splice(res.convertQueue.indexOf(lock), 1)
    delete lock.requestedMode
    delete lock.writeLvb
    res.grantQueue.push(lock)
    r.conversionsWithdrawn.push(lock.id)
  }
  for (const lock of res.grantQueue.filter((l) => l.node === node)) {
    if (isWriteMode(lock.mode) && res.lvbValid) {
      res.lvbValid = false
      r.invalidated = true
    }
    if (lock.persistent) r.orphaned.push(lock.id)
    else {
      removeLock(res, lock)
      r.dropped.push(lock.id)
    }
  }
  // A withdrawn request (no grant) may be the node's only lock here: the resource is still touched.
  r.granted = serve(res)
  return r
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
  }
}

/**
 * The death of `node` applied to ONE resource (deathOnResource), reported into
 * the domain's summary `s`. Applying it twice changes nothing the second time.
 */
export function deathOfResource(res: Resource, node: string, s: DeathSummary): void {
  const r = deathOnResource(res, node)
  if (!r) return
  s.orphaned.push(...r.orphaned)
  s.dropped.push(...r.dropped)
  s.withdrawn.push(...r.withdrawn)
  s.conversionsWithdrawn.push(...r.conversionsWithdrawn)
  if (r.invalidated) s.invalidatedResources.push(res.name)
  s.granted.push(...r.granted)
}

/** Lists in the order a death reports them (ids ascending, names sorted). */
export function finishDeathSummary(s: DeathSummary): DeathSummary {
  for (const list of [s.orphaned, s.dropped, s.withdrawn, s.conversionsWithdrawn]) sortIds(list)
  s.invalidatedResources.sort()
  return s
}

/** Lock ids ascending, in place (a death of half a million orphans: sorted as a typed array, several times faster). */
function sortIds(list: number[]): void {
  if (list.length < 1024) {
    list.sort((a, b) => a - b)
    return
  }
  const sorted = new Float64Array(list).sort()
  for (let i = 0; i < sorted.length; i++) list[i] = sorted[i]
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
    // Ids are handed out in order and never reused: one below the counter was served and retired.
    if (id < domain.nextAttachId) {
      throw refused(
        'RECOVERY_ID_RETIRED',
        `recovery id ${id} of ${domain.name} is retired (a validate finished the recovery it served, or it was detached); attach again for a new one (attached: ${known})`,
        {id},
      )
    }
    throw new DlmError('UNKNOWN_RECOVERY_ID', `no recovery id ${id} in domain ${domain.name} (attached: ${known})`)
  }
  return a
}

/**
 * A validate ends the recovery every attachment of the domain served: their ids
 * are retired, so a replay or validate started under one of them cannot commit
 * into the normal domain afterwards.
 */
export function retireRecoveryIds(domain: DomainMeta): number[] {
  const ids = domain.attachments.map((a) => a.id)
  domain.attachments = []
  return ids
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
  /** Recovery ids this validate retired (every attachment of the domain). */
  retiredIds: number[]
}

/** What a VALID validate did to one resource. */
export interface ResourceValidation {
  cleanedDeadman: number[]
  releasedOrphans: number[]
  /** Its value block was not valid and the resource is persistent: now zero and valid. */
  revalidated: boolean
  granted: Lock[]
}

/**
 * What a VALID validate does to ONE resource, `dead` being the domain's dead
 * (replayed) nodes (undefined: nothing to do here). A dead node's deadman
 * resource is purged; orphans of the dead nodes are released; a persistent
 * resource whose value block is not valid gets a zero value block, valid: the
 * file system's recovery re-established the truth on disk, the dead writer's
 * value may be half written, and a zero value block is how a reader knows to
 * re-read (Tru64's dlm_rd_validate); then the queues are served, so a waiter
 * granted now reads the zero value. A non-persistent resource is no recovery
 * domain's business: its value block stays not valid until a PW or EX holder
 * writes it. Idempotent.
 */
export function validateResource(res: Resource, dead: ReadonlySet<string>): ResourceValidation | undefined {
  const r: ResourceValidation = {cleanedDeadman: [], releasedOrphans: [], revalidated: false, granted: []}
  let touched = false
  if (res.name.startsWith(DEADMAN_PREFIX) && dead.has(res.name.slice(DEADMAN_PREFIX.length))) {
    // The survivors learned of the death through these grants; recovery is done with them.
    for (const lock of allLocks(res)) {
      removeLock(res, lock)
      r.cleanedDeadman.push(lock.id)
    }
    // Purge, not patch: the node's next join starts from a fresh deadman resource.
    res.lvb = '0'.repeat(res.lvb.length)
    res.lvbValid = true
    touched = true
  }
  for (const lock of res.grantQueue.filter((l) => dead.has(l.node))) {
    removeLock(res, lock)
    r.releasedOrphans.push(lock.id)
    touched = true
  }
  if (res.persistent && !res.lvbValid) {
    res.lvb = '0'.repeat(res.lvb.length)
    res.lvbValid = true
    r.revalidated = true
    touched = true
  }
  if (!touched) return undefined
  r.granted = serve(res)
  return r
}

/**
 * validate(id). `unreplayed` lists dead nodes whose journals still hold committed
 * records past their replay point: refused with REPLAY_INCOMPLETE unless forced.
 * On VALID: persistent locks valid again (the domain is normal), orphans of the
 * replayed nodes released, their deadman resources cleaned, persistent value
 * blocks that were not valid zeroed and valid, queues served (validateResource). `resources` must be every resource of the domain.
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
  for (const res of resources) validateIntoSummary(res, dead, s)
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
    retiredIds: [],
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
 * A VALID validate applied to ONE resource (validateResource), `dead` being the
 * nodes it recovers, reported into the domain's summary `s`. Idempotent.
 */
export function validateIntoSummary(res: Resource, dead: ReadonlySet<string>, s: ValidateSummary): void {
  const r = validateResource(res, dead)
  if (!r) return
  s.cleanedDeadman.push(...r.cleanedDeadman)
  s.releasedOrphans.push(...r.releasedOrphans)
  if (r.revalidated) s.revalidatedResources.push(res.name)
  s.granted.push(...r.granted)
}

/** The domain's part of a successful validate: back to normal, nothing left to replay. */
export function endValidate(domain: DomainMeta, s: ValidateSummary): ValidateSummary {
  s.replayedNodes = [...domain.deadNodes]
  domain.deadNodes = []
  domain.state = 'normal'
  s.retiredIds = retireRecoveryIds(domain)
  s.releasedOrphans.sort((a, b) => a - b)
  s.cleanedDeadman.sort((a, b) => a - b)
  s.revalidatedResources.sort()
  return s
}
