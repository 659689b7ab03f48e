// The etcd backend: the same Reader/Tx contract as the state directory
// (txdir.ts), on etcd keys. Loaded only when --state is an etcd URL.
//
// Layout (man/dlmctl-state.5): every state file is one key `<prefix>/<path>`;
// an append-only file (`*.jsonl`: journals, event logs) is a sequence of keys
// `<prefix>/<path>/<offset, 12 digits>` each holding the bytes appended at that
// offset, so the file is the concatenation of its keys in key order (the same
// bytes, record format and CRC-32C as on a directory). Each scope has a key
// `<prefix>/scope/<scope>` that every transaction holding the scope rewrites.
//
// Optimistic concurrency instead of kernel locks: a transaction reads
// everything at ONE revision, runs the same code as on a directory, and commits
// in ONE etcd Txn that compares the mod revision of the key of every scope it
// holds or read a file of; a lost race (a compare failed: someone committed in
// between) runs again from a fresh read, with backoff, until --wait. A process
// paused past anything and resumed cannot overwrite newer state: its compare
// fails. No etcd lock or lease is relied on for safety.
import {AsyncLocalStorage} from 'node:async_hooks'
import {DlmError} from '../../errors.js'
import {CLUSTER, DOMAINS, INIT_MARKER, SCOPE_MEMBERSHIP, domainFile, domainOfScope, isAppendOnly, isEtcdOwnKey, scopeKey, segmentKey, segmentsOf} from '../layout.js'
import {crashPoint} from '../io.js'
import type {Reader, Tx} from '../txdir.js'
import {readStaged, requireGuarded, staging} from '../staging.js'
import {childNames} from '../tx-paths.js'
import {EtcdClient, EtcdError, prefixEnd, type KeyValue, type ModCompare, type TxnOp} from './client.js'
import {parseEtcdUrl} from './url.js'
import {TOO_LARGE, tooLargeError} from './limits.js'
import {unknownFileSystem} from '../../model/domain.js'
import {latch} from '../../util/latch.js'

/** etcd's default --max-txn-ops: init's batches stay within it (a change is sent whole: etcd itself says when it is too big). */
export const MAX_TXN_OPS = 128
const PAGE = 1000

const stores = new Map<string, EtcdStore>()

/** One store (one client, kept-alive connections) per URL per process. */
export function etcdStore(url: string): EtcdStore {
  let s = stores.get(url)
  if (!s) stores.set(url, (s = new EtcdStore(url)))
  return s
}


let txSeq = 0

/** Wake-ups on changes (EtcdStore.changeFeed). */
export interface ChangeFeed {
  /** Resolves at the next change (one that came since the last wait counts), or after fallbackMs while the stream is down. */
  wait(fallbackMs: number): Promise<void>
  /** Resolve the pending wait, or the next one, now (the loop is stopping). */
  interrupt(): void
  close(): void
}

/**
 * The operation's --wait: each request it makes must be answered within it (any
 * member), so an etcd that does not answer never holds a command past --wait
 * (STORE_TIMEOUT, exit 6). A long operation that keeps getting answers is not cut.
 */
const waitOf = new AsyncLocalStorage<number>()
const requestDeadline = (): number | undefined => {
  const w = waitOf.getStore()
  return w === undefined ? undefined : Date.now() + w
}

export class EtcdStore {
  readonly client: EtcdClient
  readonly prefix: string
  constructor(readonly url: string) {
    const t = parseEtcdUrl(url)
    this.client = new EtcdClient(t.endpoints)
    this.prefix = t.prefix
  }

  private range(key: string, opts: Parameters<EtcdClient['range']>[1] = {}) {
    return this.client.range(key, opts, requestDeadline())
  }
  private txn(compare: ModCompare[], success: TxnOp[], failure: TxnOp[] = []) {
    return this.client.txn(compare, success, failure, requestDeadline())
  }

  /** Run fn with each of its etcd requests bounded by waitMs. */
  within<T>(waitMs: number, fn: () => Promise<T>): Promise<T> {
    return waitOf.run(waitMs, fn)
  }

  key(rel: string): string {
    return `${this.prefix}/${rel}`
  }
  scopeKey(scope: string): string {
    return this.key(scopeKey(scope))
  }

  /** Every key-value in [from, end) at `revision`, page by page. */
  async *rangeAt(from: string, end: string, revision: number, keysOnly = false): AsyncGenerator<KeyValue> {
    let start = from
    for (;;) {
      const r = await this.range(start, {end, revision, limit: PAGE, keysOnly})
      for (const kv of r.kvs) yield kv
      if (!r.more || r.kvs.length === 0) return
      start = r.kvs[r.kvs.length - 1].key + '\0'
    }
  }

  /** The segments of an append-only file at `revision`: [offset, bytes] in order. */
  async segments(rel: string, revision: number): Promise<{key: string; offset: number; data: Buffer}[]> {
    const base = this.key(segmentsOf(rel))
    const out: {key: string; offset: number; data: Buffer}[] = []
    for await (const kv of this.rangeAt(base, prefixEnd(base).toString('utf8'), revision)) {
      const off = Number(kv.key.slice(base.length))
      if (Number.isSafeInteger(off)) out.push({key: kv.key, offset: off, data: kv.value})
    }
    return out
  }

  /** A Reader of the state at one revision (the first request's, or `revision`). */
  reader(revision: number): Reader & {revision: number; tail(rel: string, bytes: number): Promise<Buffer>} {
    const cache = new Map<string, Promise<Buffer | null>>()
    const r = {
      revision,
      read: async (rel: string): Promise<Buffer | null> => {
        if (isAppendOnly(rel)) {
          const segs = await this.segments(rel, r.revision)
          return segs.length ? Buffer.concat(segs.map((s) => s.data)) : null
        }
        // At one revision a key never changes: read each once.
        let got = cache.get(rel)
        if (!got) cache.set(rel, (got = this.range(this.key(rel), {revision: r.revision}).then((x) => x.kvs[0]?.value ?? null)))
        const v = await got
        return v && Buffer.from(v)
      },
      list: async (relDir: string): Promise<string[]> => {
        const dir = relDir.replace(/^\.?\/?$/, '').replace(/\/+$/, '')
        const base = dir ? this.key(dir) + '/' : this.prefix + '/'
        const names = new Set<string>()
        // Page through the keys, skipping past each page's last child (a journal's
        // segments are not listed one by one once its name is known).
        let from = base
        const end = prefixEnd(base).toString('utf8')
        for (;;) {
          const got = await this.range(from, {end, revision: r.revision, limit: PAGE, keysOnly: true})
          let last = ''
          let lastKey = ''
          for (const kv of got.kvs) {
            lastKey = kv.key
            last = kv.key.slice(base.length).split('/')[0]
            if (!(dir === '' && isEtcdOwnKey(last))) names.add(last)
          }
          if (!got.more || got.kvs.length === 0) break
          from = lastKey === base + last ? lastKey + '\0' : prefixEnd(base + last + '/').toString('utf8')
        }
        return [...names].sort()
      },
      source: async (rel: string): Promise<Buffer> => (await r.read(rel)) ?? Buffer.alloc(0),
      tail: async (rel: string, bytes: number): Promise<Buffer> => {
        if (!isAppendOnly(rel)) return (await r.read(rel)) ?? Buffer.alloc(0)
        // The last segments, newest first, until they hold `bytes` (each starts on a line).
        const base = this.key(segmentsOf(rel))
        let end = prefixEnd(base).toString('utf8')
        const out: Buffer[] = []
        let have = 0
        while (have < bytes) {
          const got = await this.range(base, {end, revision: r.revision, limit: 16, descending: true})
          for (const kv of got.kvs) {
            out.unshift(kv.value)
            have += kv.value.length
          }
          if (!got.more || got.kvs.length === 0) break
          end = got.kvs[got.kvs.length - 1].key
        }
        return Buffer.concat(out)
      },
    }
    return r
  }

  /** The current revision and each scope key's mod revision (0: never written). */
  private async scopeRevisions(): Promise<{revision: number; mods: Map<string, number>}> {
    const base = this.scopeKey('')
    const got = await this.range(base, {prefix: true, keysOnly: true})
    const mods = new Map<string, number>()
    for (const kv of got.kvs) mods.set(kv.key.slice(base.length), kv.modRevision)
    return {revision: got.revision, mods}
  }

  /** A whole (not append-only) file's newest content, outside any transaction (replay's epoch check). */
  async readLatest(rel: string): Promise<Buffer> {
    const got = await this.range(this.key(rel))
    if (!got.kvs[0]) throw new DlmError('NO_STATE', `${rel} is missing from ${this.url}`)
    return got.kvs[0].value
  }

  /**
   * For followers (events --follow): the bytes appended to an append-only file
   * at or after offset `from`, newest revision; `from` is 0 again when the file
   * is now shorter (rewritten). Reads only the new segments.
   */
  async appendedSince(rel: string, from: number): Promise<{from: number; data: Buffer}> {
    const base = this.key(segmentsOf(rel))
    const end = prefixEnd(base).toString('utf8')
    const got = await this.range(this.key(segmentKey(rel, from)), {end, limit: PAGE})
    const segs = got.kvs.filter((kv) => Number.isSafeInteger(Number(kv.key.slice(base.length))))
    if (from > 0 && (segs.length === 0 || Number(segs[0].key.slice(base.length)) !== from)) {
      // Nothing new, or the file was rewritten: is it still as long as we read?
      const last = await this.range(base, {end: this.key(segmentKey(rel, from)), revision: got.revision, keysOnly: true, countOnly: true})
      if (last.count === 0) return this.appendedSince(rel, 0)
      if (segs.length === 0) return {from, data: Buffer.alloc(0)}
    }
    return {from, data: Buffer.concat(segs.map((kv) => kv.value))}
  }

  /** Mod revision of each scope key (newest): a scope's key moves with every change under it (status --watch). */
  async scopeMods(): Promise<Map<string, number>> {
    return (await this.scopeRevisions()).mods
  }

  /**
   * A wake-up at each commit, for status --watch and events --follow: one
   * /v3/watch stream on the scope keys (every transaction rewrites the keys of
   * the scopes it holds, so no commit goes unseen), from the revision read when
   * the feed opens (a commit after the caller's first read is not missed). No
   * polling while the stream is up; while it is down (a member lost), wait()
   * falls back to its time-out and the stream is opened again.
   */
  async changeFeed(): Promise<ChangeFeed> {
    const ac = new AbortController()
    let from = (await this.range(this.scopeKey(''), {countOnly: true})).revision + 1
    let up = false
    const l = latch()
    const fire = l.fire
    void (async () => {
      while (!ac.signal.aborted) {
        up = true
        try {
          await this.client.watch(this.scopeKey(''), from, (_events, revision) => {
            from = revision + 1
            fire()
          }, ac.signal)
        } catch {
          // The stream broke: wait() polls meanwhile; it is opened again shortly.
        }
        up = false
        await new Promise((r) => setTimeout(r, 500))
        // The stream starts again from now (where it stopped may be compacted away),
        // and the caller reads afresh after that revision: nothing in between is missed.
        from = await this.client.range(this.scopeKey(''), {countOnly: true}).then((r) => r.revision + 1, () => from)
        fire()
      }
    })()
    return {
      // No time-out while the stream is up: it wakes us at each commit.
      wait: (fallbackMs: number) => l.wait(up ? undefined : fallbackMs),
      interrupt: fire,
      close: () => {
        ac.abort()
        fire()
      },
    }
  }

  /** Names under a directory at the newest revision. */
  async listLatest(relDir: string): Promise<string[]> {
    const head = await this.range(this.key(CLUSTER), {countOnly: true})
    return this.reader(head.revision).list(relDir)
  }

  /** NO_STATE unless a cluster exists under the prefix (read at `r`'s revision). */
  async requireCluster(r: Reader, domains: string[] = []): Promise<void> {
    if ((await r.read(CLUSTER)) === null) throw new DlmError('NO_STATE', `no cluster at ${this.url} (create one with: dlmctl init --state ${this.url})`)
    for (const fs of domains) {
      if ((await r.read(domainFile(fs))) === null) {
        throw unknownFileSystem(fs, await r.list(DOMAINS))
      }
    }
  }

  view<T>(waitMs: number, fn: (r: Reader) => Promise<T>): Promise<T> {
    return this.within(waitMs, () => this.viewRaw(fn))
  }

  private async viewRaw<T>(fn: (r: Reader) => Promise<T>): Promise<T> {
    const first = await this.range(this.key(CLUSTER))
    const r = this.reader(first.revision)
    if (first.kvs.length === 0) await this.requireCluster(r)
    return fn(r)
  }

  /**
   * Run fn on the state at one revision and commit what it staged in one Txn,
   * guarded by the scope keys; run again from a fresh read when another writer
   * won the race, until waitMs has passed (then BUSY, exit 6).
   */
  async transact<T>(
    scopes: string[],
    waitMs: number,
    guardOf: (rel: string) => string | null,
    fn: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    return this.within(waitMs, () => this.transactRaw(scopes, waitMs, guardOf, fn))
  }

  private async transactRaw<T>(
    scopes: string[],
    waitMs: number,
    guardOf: (rel: string) => string | null,
    fn: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + waitMs
    let delay = 5
    let lost = 0
    for (;;) {
      const attempt = await this.attempt(scopes, guardOf, fn)
      if (attempt.committed) return attempt.result
      lost++
      const left = deadline - Date.now()
      if (left <= 0)
        throw new DlmError(
          'BUSY',
          `${scopes.join(', ')} busy on ${this.url}: ${lost} attempt${lost === 1 ? '' : 's'} lost the race to other writers in ${waitMs} ms (try a longer --wait)`,
        )
      // Jittered backoff: racing writers do not retry in lockstep.
      await new Promise((res) => setTimeout(res, Math.min(left, delay * (0.5 + Math.random()))))
      delay = Math.min(delay * 2, 200)
    }
  }

  private async attempt<T>(
    scopes: string[],
    guardOf: (rel: string) => string | null,
    fn: (tx: Tx) => Promise<T>,
  ): Promise<{committed: true; result: T} | {committed: false}> {
    const {revision, mods} = await this.scopeRevisions()
    const base = this.reader(revision)
    await this.requireCluster(base, scopes.map(domainOfScope).filter((fs) => fs !== undefined))
    const held = new Set(scopes)
    // Scopes whose files this transaction read: their keys are compared too.
    const readScopes = new Set<string>(scopes)
    const noteRead = (rel: string) => readScopes.add(guardOf(rel) ?? SCOPE_MEMBERSHIP)
    const {staged, writes, run} = staging((rel) => {
      requireGuarded(rel, held, guardOf)
      return rel
    })
    const tx: Tx = {
      read(rel) {
        return readStaged(staged.get(rel), () => {
          noteRead(rel)
          return base.read(rel)
        })
      },
      async list(relDir) {
        noteRead(relDir.replace(/\/+$/, '') + '/x')
        const dir = relDir.replace(/\/+$/, '')
        return childNames(await base.list(dir), dir, staged, (op) => op.kind === 'remove')
      },
      async source(rel) {
        return (await tx.read(rel)) ?? Buffer.alloc(0)
      },
      async tail(rel, bytes) {
        if (staged.has(rel)) return (await tx.read(rel)) ?? Buffer.alloc(0)
        noteRead(rel)
        return base.tail!(rel, bytes)
      },
      ...writes,
    }
    const result = await run(() => fn(tx))
    if (staged.size === 0) return {committed: true, result}

    const ops: TxnOp[] = []
    let bytes = 0
    for (const [rel, op] of staged) {
      const key = this.key(rel)
      if (!isAppendOnly(rel)) {
        if (op.kind === 'remove') ops.push({del: key})
        else ops.push({put: key, value: op.data})
        bytes += key.length + (op.kind === 'remove' ? 0 : op.data.length)
        continue
      }
      if (op.kind === 'append') {
        // Only the last segment is needed: where the file ends.
        const segBase = this.key(segmentsOf(rel))
        const seg = (await this.range(segBase, {end: prefixEnd(segBase).toString('utf8'), revision, limit: 1, descending: true})).kvs[0]
        const size = seg ? Number(seg.key.slice(segBase.length)) + seg.value.length : 0
        ops.push({put: this.key(segmentKey(rel, size)), value: op.data})
        bytes += key.length + op.data.length
        continue
      }
      // A whole rewrite (or removal) of an append-only file: its segments go, one key each.
      const segs = await this.segments(rel, revision)
      for (const s of segs) if (!(op.kind === 'write' && s.offset === 0)) ops.push({del: s.key})
      if (op.kind === 'write') {
        ops.push({put: this.key(segmentKey(rel, 0)), value: op.data})
        bytes += key.length + op.data.length
      }
    }
    const txid = `${Date.now().toString(36)}-${process.pid.toString(36)}-${(txSeq++).toString(36)}`
    for (const sc of held) ops.push({put: this.scopeKey(sc), value: txid})
    const compares: ModCompare[] = [...readScopes].sort().map((sc) => ({key: this.scopeKey(sc), modRevision: mods.get(sc) ?? 0}))
    let done
    // The same crash points as the directory's commit: just before and just after the commit point.
    crashPoint('commit.before-record')
    try {
      done = await this.txn(compares, ops)
    } catch (e) {
      if (e instanceof EtcdError && TOO_LARGE.test(e.message)) throw tooLargeError(this.url, this.prefix, [...held], ops, bytes, e.message)
      if (e instanceof EtcdError) throw new DlmError('STORE_IO', `etcd refused the transaction on ${this.url}: ${e.message} (nothing was written)`)
      throw e
    }
    if (!done.succeeded) return {committed: false}
    crashPoint('commit.after-record')
    return {committed: true, result}
  }

  /**
   * init: write `files` (relative path → content) as a new cluster, cluster.json
   * last (the commit point, compared absent). A marker key claims the prefix
   * first; every batch compares it, so two inits racing cannot mix their files,
   * and a killed init's leftovers are cleared by the next one.
   */
  init(files: Map<string, string>, waitMs: number): Promise<void> {
    return this.within(waitMs, () => this.initRaw(files))
  }

  private async initRaw(files: Map<string, string>): Promise<void> {
    const clusterKey = this.key(CLUSTER)
    const marker = this.key(INIT_MARKER)
    const base = this.prefix + '/'
    const refuse = () => new DlmError('NOT_EMPTY', `${this.url} already holds a cluster (${CLUSTER}); init refuses to overwrite it`)
    const claim = await this.txn(
      [{key: clusterKey, modRevision: 0}],
      [
        {del: base, end: marker},
        {del: marker + '\0', end: prefixEnd(base).toString('utf8')},
        {put: marker, value: String(process.pid)},
      ],
    )
    if (!claim.succeeded) throw refuse()
    const guard: ModCompare[] = [
      {key: clusterKey, modRevision: 0},
      {key: marker, modRevision: claim.revision},
    ]
    const lost = () => new DlmError('BUSY', `another dlmctl init took over ${this.url} while this one ran; nothing of this one is left: check with dlmctl status --state ${this.url}`)
    const ops: TxnOp[] = []
    for (const [rel, content] of [...files].filter(([rel]) => rel !== CLUSTER).sort(([a], [b]) => (a < b ? -1 : 1)))
      ops.push({put: this.key(isAppendOnly(rel) ? segmentKey(rel, 0) : rel), value: content})
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS - 8) {
      const r = await this.txn(guard, ops.slice(i, i + MAX_TXN_OPS - 8), [{get: clusterKey}])
      if (!r.succeeded) throw r.gets[0]?.length ? refuse() : lost()
    }
    const r = await this.txn(guard, [{put: clusterKey, value: files.get(CLUSTER)!}, {del: marker}], [{get: clusterKey}])
    if (!r.succeeded) throw r.gets[0]?.length ? refuse() : lost()
  }
}
