// Typed access to the state directory inside one transaction or view: reads are
// validated and cached, changes are collected and written by flush() as one
// commit. A domain's resources are loaded bucket by bucket, so a lock request
// reads and writes only what it touches, whatever the domain's size.
import {DlmError} from '../errors.js'
import {isIdle} from '../model/resource.js'
import type {ClusterConfig, DomainMeta, Lock, LockStatus, Membership, Resource} from '../model/types.js'
import {findLock} from '../model/resource.js'
import {
  BUCKETS,
  CLUSTER,
  EVENTS,
  MEMBERSHIP,
  bucketFile,
  bucketOf,
  domainEvents,
  domainFile,
  indexChunkOf,
  indexFile,
  journalFile,
  metaFile,
  pointFile,
  SCOPE_MEMBERSHIP,
} from '../store/layout.js'
import {
  BucketSchema,
  ClusterSchema,
  DomainSchema,
  EventSchema,
  IndexSchema,
  MembershipSchema,
  MetaSchema,
  PointSchema,
  parseJson,
  type FsMeta,
  type JournalPoint,
  parseJsonLines,
  type EventRecord,
} from '../store/schema.js'
import type {Reader, Tx} from '../store/txdir.js'
import type {Clock} from './clock.js'
import {EVENT_TAIL, stampEvents} from './eventorder.js'

export const EVENT_LIST_MAX = 100

/** Canonical JSON for state files: stable key order as built, one-space indent, final newline. */
export const stateJson = (v: unknown) => JSON.stringify(v, null, 1) + '\n'

/** meta.json with keys sorted, one key per line: deterministic and diff-friendly. */
function canonicalMeta(m: FsMeta): string {
  const keys = Object.keys(m.keys).sort()
  if (keys.length === 0) return '{"keys":{}}\n'
  return `{"keys":{\n${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m.keys[k])}`).join(',\n')}\n}}\n`
}

export class ClusterState {
  private clusterCache?: ClusterConfig
  private membershipCache?: Membership
  private membershipDirty = false
  private domains = new Map<string, DomainSession>()
  private events: {file: string; ev: EventRecord}[] = []

  constructor(
    readonly io: Reader | Tx,
    readonly clock: Clock,
    /** The state directory, for streaming journals straight from disk. */
    readonly root: string,
  ) {}

  private async readText(rel: string): Promise<string | null> {
    const b = await this.io.read(rel)
    return b === null ? null : b.toString('utf8')
  }

  async readJson<T>(schema: Parameters<typeof parseJson>[0], rel: string): Promise<T | null> {
    const text = await this.readText(rel)
    return text === null ? null : (parseJson(schema, text, rel) as T)
  }

  async cluster(): Promise<ClusterConfig> {
    if (!this.clusterCache) {
      const c = await this.readJson<ClusterConfig>(ClusterSchema, CLUSTER)
      if (!c) throw new DlmError('NO_STATE', `not a dlmctl state directory: no ${CLUSTER} (create one with: dlmctl init)`)
      this.clusterCache = c
    }
    return this.clusterCache
  }

  async membership(): Promise<Membership> {
    if (!this.membershipCache) {
      const m = await this.readJson<Membership>(MembershipSchema, MEMBERSHIP)
      if (!m) throw new DlmError('STATE_INCONSISTENT', `state directory has ${CLUSTER} but no ${MEMBERSHIP}`)
      this.membershipCache = m
    }
    return this.membershipCache
  }

  membershipChanged(): void {
    this.membershipDirty = true
  }

  async domainNames(): Promise<string[]> {
    return (await this.io.list('domains')).sort()
  }

  async domain(fs: string): Promise<DomainSession> {
    let d = this.domains.get(fs)
    if (!d) {
      const meta = await this.readJson<DomainMeta>(DomainSchema, domainFile(fs))
      if (!meta) {
        const known = (await this.domainNames()).join(', ') || 'none'
        throw new DlmError('UNKNOWN_DOMAIN', `unknown file system '${fs}' (file systems: ${known})`)
      }
      if (meta.name !== fs) throw new DlmError('STATE_INCONSISTENT', `${domainFile(fs)} names domain '${meta.name}'`)
      d = new DomainSession(this, meta, (await this.cluster()).lvbSize)
      this.domains.set(fs, d)
    }
    return d
  }

  async allDomains(): Promise<DomainSession[]> {
    const out: DomainSession[] = []
    for (const fs of await this.domainNames()) out.push(await this.domain(fs))
    return out
  }

  /**
   * Membership events go to events.jsonl, a domain's to its own log (no cross-domain
   * lock). Event lines stay small: a list longer than EVENT_LIST_MAX keeps its first
   * entries, with `<name>Count` and `truncated: true` (a death can orphan 50,000 locks).
   */
  event(type: string, fields: Record<string, unknown>, domain?: string): EventRecord {
    const capped: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) {
      if (Array.isArray(v) && v.length > EVENT_LIST_MAX) {
        capped[k] = v.slice(0, EVENT_LIST_MAX)
        capped[`${k}Count`] = v.length
        capped.truncated = true
      } else capped[k] = v
    }
    const ev = {time: this.clock.now(), at: this.clock.order(), type, ...(domain ? {domain} : {}), ...capped} as EventRecord
    this.events.push({file: domain ? domainEvents(domain) : EVENTS, ev})
    return ev
  }

  async readEvents(): Promise<EventRecord[]> {
    const files = [EVENTS, ...(await this.domainNames()).map(domainEvents)]
    const all: EventRecord[] = []
    for (const f of files) {
      const text = await this.readText(f)
      if (text !== null) all.push(...(parseJsonLines(EventSchema, text, f) as EventRecord[]))
    }
    // Stable sort: `at` orders events across logs; ties keep file order.
    return all.sort((a, b) => a.at - b.at)
  }

  private metas = new Map<string, {meta: FsMeta; dirty: boolean}>()
  private points = new Map<string, {fs: string; node: string; point: JournalPoint; dirty: boolean}>()
  private journalAppends: {rel: string; text: string}[] = []

  /** A file system's applied metadata (empty before anything was checkpointed or replayed). */
  async fsMeta(fs: string): Promise<FsMeta> {
    let m = this.metas.get(fs)
    if (!m) {
      const meta = (await this.readJson<FsMeta>(MetaSchema, metaFile(fs))) ?? {keys: {}}
      this.metas.set(fs, (m = {meta, dirty: false}))
    }
    return m.meta
  }

  fsMetaChanged(fs: string): void {
    this.metas.get(fs)!.dirty = true
  }

  /** Where a node's journal is applied up to (checkpoint or replay point). */
  async journalPoint(fs: string, node: string): Promise<JournalPoint> {
    const k = `${fs}/${node}`
    let p = this.points.get(k)
    if (!p) {
      const point = (await this.readJson<JournalPoint>(PointSchema, pointFile(fs, node))) ?? {offset: 0}
      this.points.set(k, (p = {fs, node, point, dirty: false}))
    }
    return p.point
  }

  setJournalPoint(fs: string, node: string, offset: number): void {
    const p = this.points.get(`${fs}/${node}`)!
    p.point.offset = offset
    p.dirty = true
  }

  /** A node's journal as this transaction or view sees it (pending appends included), for scanJournal. */
  journalSource(fs: string, node: string): Promise<string | Buffer> {
    return this.io.source(journalFile(fs, node))
  }

  appendJournal(fs: string, node: string, text: string): void {
    this.journalAppends.push({rel: journalFile(fs, node), text})
  }

  /**
   * Order this transaction's events after every event of the logs it holds
   * (eventorder.ts): `scopes` are the transaction's; call before flush().
   */
  async stampEvents(scopes: string[]): Promise<void> {
    const logs = new Set(this.events.map((e) => e.file))
    for (const sc of scopes) {
      if (sc === SCOPE_MEMBERSHIP) logs.add(EVENTS)
      else if (sc.startsWith('domain.')) logs.add(domainEvents(sc.slice('domain.'.length)))
    }
    await stampEvents(this.events, await Promise.all([...logs].map((f) => (this.io.tail ? this.io.tail(f, EVENT_TAIL) : this.io.source(f)))))
  }

  /** Stage every change made through this object into the transaction. */
  flush(): void {
    const tx = this.io as Tx
    for (const [fs, m] of this.metas) if (m.dirty) tx.write(metaFile(fs), canonicalMeta(m.meta))
    for (const p of this.points.values()) if (p.dirty) tx.write(pointFile(p.fs, p.node), stateJson(p.point))
    for (const a of this.journalAppends) tx.append(a.rel, a.text)
    this.journalAppends = []
    if (this.membershipDirty) tx.write(MEMBERSHIP, stateJson(this.membershipCache))
    for (const d of this.domains.values()) d.flush(tx)
    for (const {file, ev} of this.events) tx.append(file, JSON.stringify(ev) + '\n')
    this.events = []
  }
}

export interface FoundLock {
  res: Resource
  lock: Lock
  status: LockStatus
}

export class DomainSession {
  private buckets = new Map<number, Map<string, Resource>>()
  private dirtyBuckets = new Set<number>()
  private index = new Map<number, Record<string, string>>()
  private dirtyIndex = new Set<number>()
  private metaDirty = false

  constructor(
    private state: ClusterState,
    readonly meta: DomainMeta,
    readonly lvbSize: number,
  ) {}

  get name(): string {
    return this.meta.name
  }

  changed(): void {
    this.metaDirty = true
  }

  private async bucket(b: number): Promise<Map<string, Resource>> {
    let m = this.buckets.get(b)
    if (!m) {
      const file = bucketFile(this.name, b)
      const data = await this.state.readJson<{resources: Resource[]}>(BucketSchema, file)
      m = new Map()
      for (const r of data?.resources ?? []) {
        if (bucketOf(r.name) !== b) throw new DlmError('STATE_INCONSISTENT', `${file}: resource '${r.name}' belongs in bucket ${bucketOf(r.name)}`)
        m.set(r.name, r)
      }
      this.buckets.set(b, m)
    }
    return m
  }

  /** The resources of one bucket file (check reads them one by one to name a bad file). */
  async resourcesInBucket(b: number): Promise<Resource[]> {
    return [...(await this.bucket(b)).values()]
  }

  async resource(name: string): Promise<Resource | undefined> {
    return (await this.bucket(bucketOf(name))).get(name)
  }

  /** The resource, created (empty, valid zero value block) if it does not exist; marked changed. */
  async resourceForUpdate(name: string): Promise<Resource> {
    const b = bucketOf(name)
    const m = await this.bucket(b)
    let r = m.get(name)
    if (!r) {
      r = {name, lvb: '0'.repeat(this.lvbSize * 2), lvbValid: true, persistent: false, grantQueue: [], convertQueue: [], waitQueue: []}
      m.set(name, r)
    }
    this.dirtyBuckets.add(b)
    return r
  }

  /** Mark resources changed in place (after a model step that reports what it touched). */
  touch(names: Iterable<string>): void {
    for (const n of names) this.dirtyBuckets.add(bucketOf(n))
  }

  /** Every resource of the domain (reads all buckets), sorted by name unless `sorted: false`. */
  async allResources(opts: {sorted?: boolean} = {}): Promise<Resource[]> {
    // Read the bucket files concurrently: the disk and the parser overlap.
    await Promise.all(Array.from({length: BUCKETS}, (_, b) => this.bucket(b)))
    const all: Resource[] = []
    for (let b = 0; b < BUCKETS; b++) {
      const m = await this.bucket(b)
      all.push(...m.values())
    }
    // Deaths and validate report sorted ids and names themselves: they skip this (100k names).
    return opts.sorted === false ? all : all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private async chunk(c: number): Promise<Record<string, string>> {
    let m = this.index.get(c)
    if (!m) {
      const data = await this.state.readJson<{locks: Record<string, string>}>(IndexSchema, indexFile(this.name, c))
      m = data?.locks ?? {}
      this.index.set(c, m)
    }
    return m
  }

  async indexSet(lockId: number, resource: string): Promise<void> {
    const c = indexChunkOf(lockId)
    ;(await this.chunk(c))[lockId] = resource
    this.dirtyIndex.add(c)
  }

  async indexDelete(lockId: number): Promise<void> {
    const c = indexChunkOf(lockId)
    delete (await this.chunk(c))[lockId]
    this.dirtyIndex.add(c)
  }

  /** Find a lock by id through the index; `forUpdate` marks its bucket changed. */
  async findLock(id: number, opts: {forUpdate?: boolean} = {}): Promise<FoundLock> {
    const name = (await this.chunk(indexChunkOf(id)))[id]
    const res = name === undefined ? undefined : opts.forUpdate ? await this.resourceForUpdate(name) : await this.resource(name)
    const found = res && findLock(res, id)
    if (!res || !found) {
      if (name !== undefined) {
        throw new DlmError('STATE_INCONSISTENT', `lock index of ${this.name} names lock ${id} on '${name}', which does not hold it (run: dlmctl check)`)
      }
      throw new DlmError('UNKNOWN_LOCK', `no lock ${id} in domain ${this.name}`)
    }
    return {res, ...found}
  }

  flush(tx: Tx): void {
    if (this.metaDirty) tx.write(domainFile(this.name), stateJson(this.meta))
    for (const b of this.dirtyBuckets) {
      const m = this.buckets.get(b)!
      const resources = [...m.values()]
        .filter((r) => !isIdle(r, this.lvbSize))
        .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      tx.write(bucketFile(this.name, b), JSON.stringify({resources}) + '\n')
    }
    for (const c of this.dirtyIndex) {
      const locks = this.index.get(c)!
      if (Object.keys(locks).length === 0) tx.remove(indexFile(this.name, c))
      else tx.write(indexFile(this.name, c), JSON.stringify({locks}) + '\n')
    }
    this.dirtyBuckets.clear()
    this.dirtyIndex.clear()
    this.metaDirty = false
  }
}
