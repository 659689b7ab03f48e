// A domain's resources in name order with bounded memory. Buckets are hashed, so
// the order is a merge of 256 runs: each bucket file holds its resources sorted,
// one per line, and is read a piece at a time. A bucket that cannot be streamed
// from its file (an older one-line file, one not sorted, one a pending commit
// record or this transaction changes) is a run held in memory instead.
import {closeSync, openSync, readSync} from 'node:fs'
import {applyChange} from '../model/changes.js'
import {isIdle} from '../model/resource.js'
import type {LogicalChange, Resource} from '../model/types.js'
import {parseResourceLine, resourceLineAt, type ResourceLine} from '../store/resource-line.js'

/**
 * Where a run comes from: resources in memory, or a bucket file read line by line
 * (`checked`: every line was taken by canonicalBucketLines, so it is read by
 * parseResourceLine instead of JSON.parse).
 */
export type Run = {kind: 'memory'; resources: Resource[]} | {kind: 'file'; path: string; change?: LogicalChange; lvbSize: number; checked?: boolean}

/** The head of a bucket file in the streaming layout: one resource per line after it. */
export const LINE_HEAD = /^\{(?:"applied":[0-9]+,)?"resources":\[\n/

/** Bucket file text: the stamp, then one resource per line (streamable), still one JSON document. */
export function bucketText(applied: number, resources: Resource[]): string {
  const head = applied > 0 ? `{"applied":${applied},"resources":[` : '{"resources":['
  if (resources.length === 0) return `${head}]}\n`
  let out = head + '\n'
  for (let i = 0; i < resources.length; i++) out += JSON.stringify(resources[i]) + (i + 1 < resources.length ? ',\n' : '\n')
  return out + ']}\n'
}

/** Can this bucket's file be streamed as it is (validated text, its resources as parsed)? */
export function streamable(text: string, resources: Resource[]): boolean {
  if (!LINE_HEAD.test(text)) return false
  for (let i = 1; i < resources.length; i++) if (!(resources[i - 1].name < resources[i].name)) return false
  // One line per resource: head, resources, tail.
  let lines = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++
  return lines === resources.length + 2
}

/**
 * A run's resources, read from its bucket file a piece at a time; with `lines`, a
 * resource of a checked line that no change concerns comes as its line, not parsed
 * (ResourceLine). An iterator of its own rather than a generator: a million
 * resources, each a generator step, cost more than the reading. Its result object
 * is reused: the merge reads it at once.
 */
class FileRun implements Iterator<Resource | ResourceLine> {
  private fd: number | undefined
  // Bytes, not strings: a line decoded on its own is a fresh string (a slice of a
  // big chunk string would keep the whole chunk alive: JSON.parse may keep slices of
  // its input; measured, peak RSS went from 180 to 320 MB). UTF-8 never has 0x0a
  // inside a character, so splitting at newlines is safe.
  private buf = Buffer.allocUnsafe(1 << 16)
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
  /** The bytes read and not yet taken: [start, bytes.length). */
  private bytes = this.buf.subarray(0, 0)
  private start = 0
  private head = true
  private readonly asLines: boolean
  private readonly result = {done: false as boolean, value: undefined as unknown as Resource | ResourceLine}

  constructor(
    private run: Extract<Run, {kind: 'file'}>,
    lines: boolean,
  ) {
    this.asLines = lines && run.checked === true && run.change === undefined
    // Synchronous reads: each asynchronous read is a round trip through libuv's thread
    // pool, and a merge of 256 runs makes ~12,000 of them at a million locks (measured:
    // most of the command's system time).
    this.fd = openSync(run.path, 'r')
  }

  /** Keep the bytes not taken (a piece of a line) at the front, read more after them: false at the end of the file. */
  private fill(): boolean {
    const rest = this.bytes.length - this.start
    if (rest === this.buf.length) {
      // A line longer than the buffer.
      const bigger = Buffer.allocUnsafe(2 * this.buf.length)
      this.buf.copy(bigger, 0, this.start, this.bytes.length)
      this.buf = bigger
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length)
    } else this.buf.copyWithin(0, this.start, this.bytes.length)
    const n = readSync(this.fd!, this.buf, rest, this.buf.length - rest, null)
    this.bytes = this.buf.subarray(0, rest + n)
    this.start = 0
    return n > 0
  }

  next(): IteratorResult<Resource | ResourceLine> {
    const run = this.run
    for (;;) {
      const bytes = this.bytes
      const nl = bytes.indexOf(10, this.start)
      if (nl === -1) {
        if (this.fd !== undefined && this.fill()) continue
        return this.return()
      }
      const at = this.start
      this.start = nl + 1
      if (this.head) {
        this.head = false
        continue
      }
      if (bytes[at] === 0x5d) return this.return() // ]}
      if (this.asLines) {
        this.result.value = resourceLineAt(bytes, this.view, at)
        return this.result
      }
      const res = run.checked ? parseResourceLine(bytes, at) : (JSON.parse(bytes.toString('utf8', at, bytes[nl - 1] === 0x2c ? nl - 1 : nl)) as Resource) // without a trailing ','
      if (run.change) {
        applyChange(res, run.change)
        if (isIdle(res, run.lvbSize)) continue
      }
      this.result.value = res
      return this.result
    }
  }

  return(): IteratorResult<Resource | ResourceLine> {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    this.bytes = this.buf.subarray(0, 0)
    this.start = 0
    return {done: true, value: undefined}
  }
}

/**
 * Merge the runs by resource name (each run sorted). Synchronous: a million
 * resources through a chain of async generators cost more than reading them.
 * A tree of losers: one comparison per level for each resource (a heap needs two).
 * With `lines`, checked lines come unparsed (see fileRun): a line is valid until
 * the merge's next step.
 */
export function mergeRuns(runs: Run[]): Generator<Resource>
export function mergeRuns(runs: Run[], lines: true): Generator<Resource | ResourceLine>
export function* mergeRuns(runs: Run[], lines = false): Generator<Resource | ResourceLine> {
  const its: Iterator<Resource | ResourceLine>[] = runs.map((r) => (r.kind === 'memory' ? r.resources[Symbol.iterator]() : new FileRun(r, lines)))
  let k = 1
  while (k < its.length) k *= 2
  /** Each run's current resource; undefined once it is done (after every name). */
  const head: (Resource | ResourceLine | undefined)[] = []
  const advance = (i: number) => {
    const n = i < its.length ? its[i].next() : undefined
    head[i] = n && !n.done ? n.value : undefined
  }
  const less = (i: number, j: number) => {
    const a = head[i]
    const b = head[j]
    return a !== undefined && (b === undefined || a.name < b.name)
  }
  /** tree[n] for n in 1..k-1: the run that lost the match at node n; tree[0]: the winner. */
  const tree = new Int32Array(k)
  try {
    for (let i = 0; i < k; i++) advance(i)
    // Build bottom-up: the winner of each subtree goes up, the loser stays.
    const win = new Int32Array(2 * k)
    for (let i = 0; i < k; i++) win[k + i] = i
    for (let n = k - 1; n >= 1; n--) {
      const [l, r] = [win[2 * n], win[2 * n + 1]]
      if (less(r, l)) {
        win[n] = r
        tree[n] = l
      } else {
        win[n] = l
        tree[n] = r
      }
    }
    let w = k > 1 ? win[1] : 0
    for (;;) {
      const top = head[w]
      if (top === undefined) return
      yield top
      advance(w)
      for (let n = (w + k) >> 1; n >= 1; n >>= 1) {
        const o = tree[n]
        if (less(o, w)) {
          tree[n] = w
          w = o
        }
      }
    }
  } finally {
    for (const it of its) it.return?.(undefined)
  }
}
