// One domain inside a transaction or view (ClusterState.domain): its metadata, its
// buckets loaded one at a time and cached, the lock index, the catch-up of a
// logical change (a death, a validate) bucket by bucket, and what flush() writes.
import {findLock, isIdle, newResource} from '../model/resource.js'
import {unknownLock} from '../model/domain.js'
import {DlmError} from '../errors.js'
import type {DomainMeta, Lock, LockStatus, LogicalChange, Resource} from '../model/types.js'
import {applyChange, bucketBehind, concernMarks} from '../model/changes.js'
import {
  BUCKETS,
  allInBucket,
  bucketDir,
  bucketFile,
  bucketFileName,
  bucketOf,
  domainFile,
  indexChunkOf,
  indexFile,
} from '../store/layout.js'
import {
  BucketSchema,
  IndexSchema,
  parseJson,
  isCanonicalResource,
} from '../store/schema.js'
import type {Tx} from '../store/txdir.js'
import {LINE_HEAD, bucketText, mergeRuns, streamable, type Run} from './ordered.js'
import {markedLines, parseResourceLine, resourceLines, type ResourceLine} from '../store/resource-line.js'
import {LazyBucket} from './lazy-bucket.js'
import {LineEditor, applyLineEdits, type BucketEdits} from '../store/line-edits.js'
import {bucketFileText, checkBucketLines} from '../store/line-bytes.js'
import {LineChecker, checkLines, lineCheckWorthIt, type LineCheck} from '../store/line-check.js'
import {join} from 'node:path'
import {io} from '../store/io.js'
import {openIfPresent} from '../store/tx-disk.js'
import type {ClusterState} from './state.js'
import {stateJson} from './state-format.js'

/**
 * A bucket file in the line layout that canonicalBucketLines takes whole, read line by
 * line from its bytes (parseResourceLine: several times faster than JSON.parse and
 * the schema check, for the same resources); undefined for any other file, which is
 * parsed and checked the ordinary way. Only ASCII files: their characters are bytes.
 */
function checkedLines(text: string, bytes: Buffer = Buffer.from(text, 'utf8')): {applied?: number; resources: Resource[]} | undefined {
  if (bytes.length !== text.length) return undefined
  const got = checkBucketLines(bytes, text)
  if (!got) return undefined
  const resources = [...resourceLines(bytes)]
  return got.applied > 0 ? {applied: got.applied, resources} : {resources}
}

/** Bucket files a death's scan reads ahead of the one it checks (takeConcerned). */
const READ_AHEAD = 4

/** Memory the edits a death keeps for bringing its buckets up to date may take (takeConcerned). */
export const EDIT_BUDGET = 48 << 20

/**
 * Buffers that bringing a domain's buckets up to date reuses from bucket to
 * bucket: at a million locks it reads and writes 600 MB, and every 64 MB of new
 * buffers costs a full garbage collection. The read buffer is free again when
 * catchUpBucket returns; an image is kept until release(), once the commit that
 * writes it is done.
 */
export class CatchUpBuffers {
  private reads: Buffer[] = []
  private images: Buffer[] = []
  private used = 0

  /** `allocRead`: how read buffers are made (shared memory for a worker to read them too). */
  constructor(private allocRead: (size: number) => Buffer = Buffer.allocUnsafe) {}

  /** A buffer for reading a file (slot: one per file being read at a time). */
  forRead(size: number, slot = 0): Buffer {
    const had = this.reads[slot]
    if (!had || had.length < size) this.reads[slot] = this.allocRead(Math.max(size, Math.floor((had?.length ?? 0) * 1.25)))
    return this.reads[slot]
  }

  forImage = (size: number): Buffer => {
    const i = this.used++
    if (!this.images[i] || this.images[i].length < size) this.images[i] = Buffer.allocUnsafe(Math.max(size, Math.floor((this.images[i]?.length ?? 0) * 1.25)))
    return this.images[i]
  }

  /** The images handed out so far are written (their commit is done): hand them out again. */
  release(): void {
    this.used = 0
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

  /**
   * The names of the domain's bucket files (pending commits and this
   * transaction's writes included), listed once: a small domain has a few of its
   * 256 buckets, and a listing, an export, a check or a death would otherwise
   * open each missing one (in a drill of a few locks, most of such a command's
   * time). On etcd the listing is one keys-only range at the transaction's
   * revision (every read of a transaction is at that one revision), and it reads
   * no more than the bucket reads it replaces: a list of res/ is guarded by the
   * domain's scope like each bucket file in it (contract.ts), so the commit's
   * compare on that scope key refuses it if another writer added or removed a
   * bucket since, as it would a changed bucket.
   */
  private present?: Promise<Set<string>>

  /** Whether bucket b has a file (res/ is listed once per session, and after each flush). */
  private async hasBucketFile(b: number): Promise<boolean> {
    this.present ??= this.state.io.list(bucketDir(this.name)).then((names) => new Set(names))
    return (await this.present).has(bucketFileName(b))
  }

  /** A bucket file's bytes (null: it does not exist). */
  private async bucketBytes(b: number): Promise<Buffer | null> {
    return (await this.hasBucketFile(b)) ? this.state.readBytesOf(bucketFile(this.name, b)) : null
  }

  /**
   * Start reading bucket b now, on etcd (the reader keeps the answer for when it is
   * asked for): a catch-up that asks for 256 buckets one after the other would
   * otherwise wait one round trip each. The directory reads into reused buffers instead.
   */
  readAhead(b: number): void {
    if (this.state.onDisk || b >= BUCKETS || this.buckets.has(b) || this.lazy.has(b)) return
    // Only a bucket that has a key (the listing is read once): a missing one is not asked for.
    this.hasBucketFile(b)
      .then((has) => (has ? this.state.readBytesOf(bucketFile(this.name, b)) : null))
      .catch(() => {}) // awaited, with its error, when asked for
  }

  /** bucketBytes into `buffers`' read buffer `slot` when the disk holds what this transaction sees (valid until that slot is read into again). */
  private async bucketBytesInto(b: number, buffers: CatchUpBuffers, slot = 0): Promise<Buffer | null> {
    if (!(await this.hasBucketFile(b))) return null
    const src = await this.state.io.source(bucketFile(this.name, b))
    if (typeof src !== 'string') return src
    const got = await openIfPresent(src)
    if (!got) return null
    try {
      const buf = buffers.forRead(got.size, slot)
      return buf.subarray(0, await io.read(got.fh, buf.subarray(0, got.size), 0))
    } finally {
      await io.close(got.fh)
    }
  }

  private async bucket(b: number): Promise<Map<string, Resource>> {
    let m = this.buckets.get(b)
    if (!m) {
      const lz = this.lazy.get(b)
      if (lz) {
        // Read a few resources at a time so far; now the whole bucket is wanted.
        m = lz.all()
        if (lz.stamp > lz.applied) this.behindOnDisk.add(b)
        this.stamps.set(b, lz.stamp)
        this.lazy.delete(b)
      } else m = await this.loadBucket(b)
      this.buckets.set(b, m)
    }
    return m
  }

  /** Buckets read line by line for a few resources (lazy-bucket.ts). */
  private lazy = new Map<number, LazyBucket>()

  /** The bucket for reading or changing a few of its resources, or null when it must be read whole. */
  private async lazyBucket(b: number): Promise<LazyBucket | null> {
    if (this.buckets.has(b)) return null
    let lz = this.lazy.get(b)
    if (!lz) {
      const file = bucketFile(this.name, b)
      const bytes = (await this.bucketBytes(b)) ?? Buffer.from('{"resources":[]}\n', 'latin1')
      const made = LazyBucket.of(file, b, bytes, this.meta.change, this.lvbSize)
      if (!made) return null
      this.lazy.set(b, (lz = made))
    }
    return lz
  }

  /**
   * Read one bucket file, validated, brought up to date with the domain's last
   * logical change if it is behind (virtually: nothing is written unless the
   * bucket is changed and flushed by a transaction).
   */
  private async loadBucket(b: number): Promise<Map<string, Resource>> {
    return this.upToDate(b, (await this.readBucket(b)).data)
  }

  private async readBucket(b: number): Promise<{text: string | null; data: {applied?: number; resources: Resource[]} | null}> {
    const bytes = await this.bucketBytes(b)
    return this.parseBucket(b, bytes === null ? null : bytes.toString('utf8'), bytes)
  }

  /** `bytes`: the file's bytes when the caller has them (text is their UTF-8). */
  private parseBucket(b: number, text: string | null, bytes?: Buffer | null): {text: string | null; data: {applied?: number; resources: Resource[]} | null} {
    if (text === null) return {text, data: null}
    const file = bucketFile(this.name, b)
    const data = checkedLines(text, bytes ?? undefined) ?? parseJson<{applied?: number; resources: Resource[]}>(BucketSchema, text, file)
    for (const r of data.resources) {
      if (bucketOf(r.name) !== b) throw new DlmError('STATE_INCONSISTENT', `${file}: resource '${r.name}' belongs in bucket ${bucketOf(r.name)}`)
    }
    return {text, data}
  }

  /**
   * readBucket for a listing: a file in the line layout that canonicalBucketLines
   * takes whole, its resources in their bucket and in name order, comes back as
   * `lines` (its stamp) without being parsed; any other the ordinary way.
   */
  private async readBucketLines(b: number, buffers: CatchUpBuffers, slot: number): Promise<{text: string | null; data: {applied?: number; resources: Resource[]} | null; lines?: number}> {
    // Into a reused buffer: a check of 256 buckets of 1.2 MB each allocated 300 MB
    // that the allocator kept (peak RSS of a million-lock listing +30 to 60 MB).
    const read = await this.bucketBytesInto(b, buffers, slot)
    const text = read === null ? null : bucketFileText(read)
    const got = text === null ? undefined : checkBucketLines(read!, text)
    if (got && allInBucket(got.names, b) && got.names.every((n, i) => i === 0 || got.names[i - 1] < n)) return {text: null, data: null, lines: got.applied}
    // Parsed resources may keep views of the bytes: their own copy, not the reused buffer.
    return this.parseBucket(b, text, read && Buffer.from(read))
  }

  private upToDate(b: number, data: {applied?: number; resources: Resource[]} | null): Map<string, Resource> {
    const m = new Map<string, Resource>()
    for (const r of data?.resources ?? []) m.set(r.name, r)
    const applied = data?.applied ?? 0
    const change = this.meta.change
    // A bucket with no file holds nothing a change could concern: it is never behind
    // (a death would otherwise write every missing bucket of a small domain, empty).
    if (change && data !== null && bucketBehind(this.meta, applied)) {
      for (const r of m.values()) {
        applyChange(r, change)
        if (isIdle(r, this.lvbSize)) m.delete(r.name)
      }
      this.behindOnDisk.add(b)
    }
    this.stamps.set(b, Math.max(applied, change?.seq ?? 0))
    return m
  }

  /**
   * Every resource of the domain in name order, up to date, in two steps: read and
   * validate every bucket now (line by line, without parsing, when a file is in the
   * line layout); the returned function starts the merge (ordered.ts, opening the
   * bucket files) when called, so memory stays bounded whatever the domain's size.
   * A listing of many domains validates them all first, then streams one
   * domain at a time (never holding every domain's files open). With `lines`, a
   * resource of a checked line that no change concerns comes as its line, not parsed.
   */
  async prepareInOrder(): Promise<() => Generator<Resource>>
  async prepareInOrder(lines: true): Promise<() => Generator<Resource | ResourceLine>>
  async prepareInOrder(lines = false): Promise<() => Generator<Resource | ResourceLine>> {
    const pending = await this.state.pendingPaths()
    const runs: Run[] = []
    const AHEAD = 2
    const reads: Promise<{text: string | null; data: {applied?: number; resources: Resource[]} | null; lines?: number}>[] = []
    // One read buffer per bucket in flight (AHEAD of them and the one being looked at).
    const buffers = new CatchUpBuffers()
    const start = (b: number) => {
      const file = bucketFile(this.name, b)
      const p =
        this.buckets.has(b) || this.lazy.has(b)
          ? this.bucket(b).then(() => ({text: null, data: null}))
          : this.state.onDisk && !pending.has(file)
            ? this.readBucketLines(b, buffers, b % (AHEAD + 1))
            : this.readBucket(b)
      p.catch(() => {}) // awaited in its turn; not an unhandled rejection meanwhile
      reads.push(p)
    }
    for (let b = 0; b < Math.min(AHEAD, BUCKETS); b++) start(b)
    for (let b = 0; b < BUCKETS; b++) {
      const {text, data, lines} = await reads.shift()!
      if (b + AHEAD < BUCKETS) start(b + AHEAD)
      const file = bucketFile(this.name, b)
      if (lines !== undefined) {
        // Checked line by line, not parsed: the merge parses each resource once.
        const change = this.meta.change
        runs.push({kind: 'file', path: join(this.state.root, file), change: change && bucketBehind(this.meta, lines) ? change : undefined, lvbSize: this.lvbSize, checked: true})
        continue
      }
      const cached = this.buckets.get(b)
      if (this.state.onDisk && !cached && text !== null && data && !pending.has(file) && streamable(text, data.resources)) {
        const change = this.meta.change
        runs.push({kind: 'file', path: join(this.state.root, file), change: change && bucketBehind(this.meta, data.applied ?? 0) ? change : undefined, lvbSize: this.lvbSize})
        continue
      }
      const m = cached ?? (data ? this.upToDate(b, data) : undefined)
      if (m) runs.push({kind: 'memory', resources: [...m.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))})
    }
    return lines ? () => mergeRuns(runs, true) : () => mergeRuns(runs)
  }

  /** Buckets read here that lacked the last change on disk (a writer persists them with it). */
  private behindOnDisk = new Set<number>()
  /** Per loaded bucket: the last logical change its content includes. */
  private stamps = new Map<number, number>()

  /**
   * Every resource of the domain, bucket by bucket, up to date, without keeping
   * what was read (bounded memory: a few buckets at a time, read ahead).
   */
  async *scanBuckets(opts: {settle?: boolean} = {}): AsyncGenerator<{bucket: number; resources: Iterable<Resource>; inFileOrder?: boolean; error?: unknown}> {
    const AHEAD = 4
    type Got = {resources: Iterable<Resource>; inFileOrder?: boolean; error?: unknown}
    const pending: Promise<Got>[] = []
    const start = (b: number) => {
      const cached = this.buckets.get(b)
      const p: Promise<Got> = cached
        ? Promise.resolve({resources: [...cached.values()]})
        : this.lazy.has(b)
          ? this.bucket(b).then((m) => ({resources: [...m.values()]}))
          : this.scanSource(b)
      // settle: a bucket that cannot be read is reported in its turn, and the scan goes on.
      pending.push(opts.settle ? p.catch((error: unknown) => ({resources: [], error})) : p)
      if (!opts.settle) p.catch(() => {}) // awaited in its turn; not an unhandled rejection meanwhile
    }
    for (let b = 0; b < Math.min(AHEAD, BUCKETS); b++) start(b)
    for (let b = 0; b < BUCKETS; b++) {
      const got = await pending.shift()!
      if (b + AHEAD < BUCKETS) start(b + AHEAD)
      yield {bucket: b, ...got}
    }
  }

  /**
   * A bucket for scanBuckets. A file in the line layout that canonicalBucketLines takes,
   * in ASCII, its names in their bucket and not behind the last change, is checked
   * now and its resources are read one at a time as they are asked for, in the
   * file's order (`inFileOrder`, for check: writers find its lines by binary search): a scan of a
   * million then keeps only a few alive (a whole parsed bucket read ahead made every
   * young-generation collection copy thousands of resources). Any other is loaded.
   */
  private async scanSource(b: number): Promise<{resources: Iterable<Resource>; inFileOrder?: boolean}> {
    const bytes = await this.bucketBytes(b)
    const text = bytes === null ? null : bytes.toString('utf8')
    const got = text === null || text.length !== bytes!.length ? undefined : checkBucketLines(bytes!, text)
    if (!got || bucketBehind(this.meta, got.applied) || !allInBucket(got.names, b)) return {resources: [...this.upToDate(b, this.parseBucket(b, text, bytes).data).values()]}
    this.stamps.set(b, Math.max(got.applied, this.meta.change?.seq ?? 0))
    return {resources: {[Symbol.iterator]: () => resourceLines(bytes!)}, inFileOrder: true}
  }

  /**
   * Take a change's effect on every resource of the domain it may concern (its
   * concernMarks in its line), up to date, bucket by bucket: `take` changes the
   * resource in place (and reports what it did). A bucket file in the line layout
   * that canonicalBucketLines takes, not behind, is checked without parsing and
   * only its concerned lines are parsed, one at a time (a death of a node holding
   * half of a million locks parses that half); what each becomes is recorded as
   * an edit of the file's bytes (line-edits.ts), returned by bucket for
   * catchUpBucket right after the commit, up to EDIT_BUDGET. Any other bucket is
   * read whole, all of it given to `take`, and has no edits.
   */
  async takeConcerned(change: LogicalChange, take: (res: Resource) => void): Promise<Map<number, BucketEdits>> {
    const marks = concernMarks(change)
    const edits = new Map<number, BucketEdits>()
    const idle = (res: Resource) => isIdle(res, this.lvbSize)
    // Edits are a few bytes for an orphaned lock, a line's worth where queues change: past
    // the budget, the remaining buckets are left to the long way (memory stays bounded).
    let budget = EDIT_BUDGET
    const loaded = (b: number) => this.buckets.has(b) || this.lazy.has(b)
    // On a big domain on disk, a worker checks the files read ahead and finds their concerned lines (line-check.ts).
    const checker = this.state.onDisk && lineCheckWorthIt(this.meta.nextLockId) ? LineChecker.start() : undefined
    // The next READ_AHEAD files are read while this one is checked (the disk and the parser
    // overlap; each read is a few round trips to the thread pool, or to etcd), into
    // READ_AHEAD + 1 buffers in turn: a file's bytes are not needed once its lines are taken.
    const buffers = new CatchUpBuffers(checker ? LineChecker.sharedBuffer : undefined)
    // check: the worker's scans of the bytes (undefined: it was not given them).
    type Ahead = {bytes: Promise<Buffer | null>; check?: Promise<LineCheck | undefined>}
    const read = (b: number): Ahead | undefined => {
      if (b >= BUCKETS || loaded(b)) return undefined
      const bytes = this.state.onDisk ? this.bucketBytesInto(b, buffers, b % (READ_AHEAD + 1)) : this.bucketBytes(b)
      bytes.catch(() => {}) // awaited in its turn; not an unhandled rejection meanwhile
      if (!checker) return {bytes}
      // Only bytes in a shared buffer go to the worker (not a pending record's image); if it fails, the scans are made here.
      const check = bytes.then((got) => (got && got.buffer instanceof SharedArrayBuffer ? checker.check(got, b, marks).catch(() => checkLines(got, b, marks)) : undefined))
      check.catch(() => {})
      return {bytes, check}
    }
    try {
      const ahead = Array.from({length: READ_AHEAD}, (_, i) => read(i))
      for (let b = 0; b < BUCKETS; b++) {
        const reading = ahead.shift()
        ahead.push(read(b + READ_AHEAD))
        if (!reading) {
          for (const res of (await this.bucket(b)).values()) take(res)
          continue
        }
        const bytes = await reading.bytes
        const scanned = await reading.check
        const got = bytes === null ? null : scanned !== undefined ? scanned : checkLines(bytes, b, marks)
        if (!got || bucketBehind(this.meta, got.applied)) {
          for (const res of this.upToDate(b, this.parseBucket(b, bytes === null ? null : bytes.toString('utf8'), bytes).data).values()) take(res)
          continue
        }
        // Checked whole; its concerned lines are parsed one at a time (few alive at a time), and what each becomes recorded.
        const spans = got.spans
        if (budget <= 0) {
          for (let i = 0; i < spans.length; i += 2) take(parseResourceLine(bytes!, spans[i]))
          continue
        }
        const editor = new LineEditor(bytes!, got.applied)
        for (let i = 0; i < spans.length; i += 2) editor.take(spans[i], spans[i + 1], take, idle)
        const done = editor.done()
        budget -= done.bytes
        if (budget >= 0) edits.set(b, done)
      }
    } finally {
      checker?.close()
    }
    return edits
  }

  /** Load a bucket for update: it is rewritten (with the last change applied and stamped) on flush. */
  async bucketForUpdate(b: number): Promise<Resource[]> {
    const m = await this.bucket(b)
    this.dirtyBuckets.add(b)
    return [...m.values()]
  }

  /** New bucket texts made by catchUpBucket, written as they are on flush. */
  private rawImages = new Map<number, Buffer>()

  /**
   * Bring bucket b up to date with the last change, for a writer that knows the
   * bucket's file was validated in this same change (the command that committed
   * it read every bucket first): the resources the change cannot concern are kept
   * as their bytes, the others parsed, changed and written again — or, given the
   * committing command's `edits` of the same bytes (takeConcerned), none parsed.
   * Returns whether the bucket was behind (and is rewritten on flush).
   */
  async catchUpBucket(b: number, edits?: BucketEdits, buffers?: CatchUpBuffers): Promise<boolean> {
    const change = this.meta.change
    if (!change || change.done) return false
    const bytes = this.buckets.has(b) || this.lazy.has(b) ? null : buffers && this.state.onDisk ? await this.bucketBytesInto(b, buffers) : await this.bucketBytes(b)
    const nl = bytes === null ? -1 : bytes.indexOf(10)
    const head = nl < 0 ? null : LINE_HEAD.exec(bytes!.toString('latin1', 0, nl + 1))
    if (bytes === null || !head || bytes[nl + 1] !== 0x7b || bytes.toString('latin1', bytes.length - 4) !== '\n]}\n') {
      // Not in the one-resource-per-line layout (or already loaded): the whole way.
      await this.bucket(b)
      if (!this.behindOnDisk.has(b)) return false
      this.dirtyBuckets.add(b)
      return true
    }
    const applied = Number(/"applied":([0-9]+)/.exec(head[0])?.[1] ?? 0)
    if (applied >= change.seq) return false
    // The committing command's edits of these very bytes (still behind: nobody wrote the file since its commit).
    const image = edits && edits.applied === applied ? applyLineEdits(bytes, edits, `{"applied":${change.seq},"resources":[`, buffers?.forImage) : undefined
    if (image) {
      this.rawImages.set(b, image)
      return true
    }
    // Runs of untouched lines are copied as they are (with the ',\n' between them).
    const pieces: (Buffer | string)[] = []
    let size = 0
    let run = -1
    let runEnd = -1
    const endRun = () => {
      if (run < 0) return
      pieces.push(bytes.subarray(run, runEnd))
      size += runEnd - run
      run = -1
    }
    for (const line of markedLines(bytes, concernMarks(change))) {
      if (!line.marked) {
        if (run < 0) run = line.at
        runEnd = line.end
        continue
      }
      endRun()
      const json = bytes.toString('utf8', line.at, line.end)
      // Validated with its file by the committing command; a line changed since is read the safe way.
      const res = isCanonicalResource(json) ? parseResourceLine(bytes, line.at) : (JSON.parse(json) as Resource)
      applyChange(res, change)
      if (isIdle(res, this.lvbSize)) continue
      const text = JSON.stringify(res)
      pieces.push(text)
      size += Buffer.byteLength(text)
    }
    endRun()
    const stamped = pieces.length ? `{"applied":${change.seq},"resources":[\n` : `{"applied":${change.seq},"resources":[]}\n`
    // One buffer for the whole image (not one per changed line: half a million small objects).
    const out = buffers ? buffers.forImage(stamped.length + size + 2 * pieces.length + 3) : Buffer.allocUnsafe(stamped.length + size + 2 * pieces.length + 3)
    let at = out.write(stamped, 0, 'latin1')
    pieces.forEach((p, i) => {
      if (i) at += out.write(',\n', at, 'latin1')
      at += typeof p === 'string' ? out.write(p, at, 'utf8') : p.copy(out, at)
    })
    if (pieces.length) at += out.write('\n]}\n', at, 'latin1')
    this.rawImages.set(b, out.subarray(0, at))
    return true
  }

  /** Not changed after all: do not rewrite it. */
  keepClean(b: number): void {
    this.dirtyBuckets.delete(b)
  }

  /** Was bucket b behind the last change on disk (and brought up to date in memory)? */
  wasBehind(b: number): boolean {
    return this.behindOnDisk.has(b)
  }

  /** Forget loaded buckets that are not changed (a long pass keeps its memory bounded). */
  dropClean(): void {
    for (const b of [...this.buckets.keys()]) if (!this.dirtyBuckets.has(b)) this.buckets.delete(b)
  }

  /** The resources of one bucket file (check reads them one by one to name a bad file). */
  async resourcesInBucket(b: number): Promise<Resource[]> {
    return [...(await this.bucket(b)).values()]
  }

  async resource(name: string): Promise<Resource | undefined> {
    const lz = await this.lazyBucket(bucketOf(name))
    if (lz) return lz.get(name)
    return (await this.bucket(bucketOf(name))).get(name)
  }

  /** The resource, created (empty, valid zero value block) if it does not exist; marked changed. */
  async resourceForUpdate(name: string): Promise<Resource> {
    const b = bucketOf(name)
    const lz = await this.lazyBucket(b)
    const m = lz ? undefined : await this.bucket(b)
    let r = lz ? lz.get(name) : m!.get(name)
    if (!r) {
      r = newResource(name, this.lvbSize)
      if (lz) lz.put(r)
      else m!.set(name, r)
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
      // A logical change still being applied may have removed it: the index catches up when it is done.
      if (name !== undefined && !(this.meta.change && !this.meta.change.done)) {
        throw new DlmError('STATE_INCONSISTENT', `lock index of ${this.name} names lock ${id} on '${name}', which does not hold it (run: dlmctl check)`)
      }
      throw unknownLock(id, this.name)
    }
    return {res, ...found}
  }

  flush(tx: Tx): void {
    if (this.metaDirty) tx.write(domainFile(this.name), stateJson(this.meta))
    for (const b of this.dirtyBuckets) {
      const lz = this.lazy.get(b)
      if (lz) {
        tx.write(bucketFile(this.name, b), lz.image())
        continue
      }
      const m = this.buckets.get(b)!
      const resources = [...m.values()]
        .filter((r) => !isIdle(r, this.lvbSize))
        .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      tx.write(bucketFile(this.name, b), bucketText(this.stamps.get(b) ?? 0, resources))
    }
    for (const [b, text] of this.rawImages) tx.write(bucketFile(this.name, b), text)
    this.rawImages.clear()
    // Bucket files written now exist from here on.
    this.present = undefined
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
