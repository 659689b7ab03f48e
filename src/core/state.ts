// Typed access to the state directory inside one transaction or view: reads are
// validated and cached, changes are collected and written by flush() as one
// commit. Each domain is a DomainSession (domain-session.ts), its resources loaded
// bucket by bucket, so a lock request reads and writes only what it touches,
// whatever the domain's size; state-format.ts says how the files are written.
import {DlmError} from '../errors.js'
import {unknownFileSystem} from '../model/domain.js'
import type {ClusterConfig, DomainMeta, Membership} from '../model/types.js'
import {
  CLUSTER,
  EVENTS,
  MEMBERSHIP,
  domainEvents,
  domainFile,
  domainOfScope,
  journalFile,
  metaFile,
  pointFile,
  SCOPE_MEMBERSHIP,
  DOMAINS,
} from '../store/layout.js'
import {
  ClusterSchema,
  DomainSchema,
  EventSchema,
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
import {pendingRecords} from '../store/txdir.js'
import {isEtcdState, stateName} from '../store/etcd/url.js'
import type {Clock} from './clock.js'
import {EVENT_TAIL, stampEvents} from './eventorder.js'
import {DomainSession} from './domain-session.js'
import {canonicalMeta, stateJson} from './state-format.js'

export const EVENT_LIST_MAX = 100

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

  /** False on etcd: no file to stream from, no pending records (every change is one Txn). */
  get onDisk(): boolean {
    return !isEtcdState(this.root)
  }

  /** Paths a pending commit record changes (a view applies them virtually: not streamable from disk). */
  async pendingPaths(): Promise<Set<string>> {
    const out = new Set<string>()
    if (!this.onDisk) return out
    for (const p of await pendingRecords(this.root)) {
      if (!p.ok) continue
      for (const w of [...p.record.writes, ...p.record.removes, ...p.record.appends.map((a) => a.path)]) out.add(w)
    }
    return out
  }

  readBytesOf(rel: string): Promise<Buffer | null> {
    return this.io.read(rel)
  }

  readTextOf(rel: string): Promise<string | null> {
    return this.readText(rel)
  }

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
      if (!c)
        throw new DlmError(
          'NO_STATE',
          isEtcdState(this.root)
            ? `no cluster at ${this.root} (create one with: dlmctl init --state ${this.root})`
            : `not a dlmctl state directory: no ${CLUSTER} (create one with: dlmctl init)`,
        )
      this.clusterCache = c
    }
    return this.clusterCache
  }

  async membership(): Promise<Membership> {
    if (!this.membershipCache) {
      const m = await this.readJson<Membership>(MembershipSchema, MEMBERSHIP)
      if (!m) throw new DlmError('STATE_INCONSISTENT', `${stateName(this.root)} has ${CLUSTER} but no ${MEMBERSHIP}`)
      this.membershipCache = m
    }
    return this.membershipCache
  }

  membershipChanged(): void {
    this.membershipDirty = true
  }

  async domainNames(): Promise<string[]> {
    return (await this.io.list(DOMAINS)).sort()
  }

  async domain(fs: string): Promise<DomainSession> {
    let d = this.domains.get(fs)
    if (!d) {
      const meta = await this.readJson<DomainMeta>(DomainSchema, domainFile(fs))
      if (!meta) {
        throw unknownFileSystem(fs, await this.domainNames())
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
      const fs = domainOfScope(sc)
      if (sc === SCOPE_MEMBERSHIP) logs.add(EVENTS)
      else if (fs !== undefined) logs.add(domainEvents(fs))
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
