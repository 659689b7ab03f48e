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
 * A run's resources; with `lines`, a resource of a checked line that no change
 * concerns comes as its line, not parsed (ResourceLine).
 */
function* fileRun(run: Extract<Run, {kind: 'file'}>, lines: boolean): Generator<Resource | ResourceLine> {
  // Synchronous reads: each asynchronous read is a round trip through libuv's thread
  // pool, and a merge of 256 runs makes ~12,000 of them at a million locks (measured:
  // most of the command's system time).
  const asLines = lines && run.checked === true && run.change === undefined
  const fd = openSync(run.path, 'r')
  try {
    // Bytes, not strings: a line decoded on its own is a fresh string (a slice of a
    // big chunk string would keep the whole chunk alive: JSON.parse may keep slices of
    // its input; measured, peak RSS went from 180 to 320 MB). UTF-8 never has 0x0a
    // inside a character, so splitting at newlines is safe.
    const buf = Buffer.alloc(1 << 16)
    let rest: Buffer = Buffer.alloc(0)
    let first = true
    for (;;) {
      const bytesRead = readSync(fd, buf, 0, buf.length, null)
      if (bytesRead === 0) break
      const bytes = rest.length ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead)
      const view = asLines ? new DataView(bytes.buffer, bytes.byteOffset, bytes.length) : undefined
      let start = 0
      for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
        const at = start
        start = nl + 1
        if (first) {
          first = false // the head
          continue
        }
        if (bytes[at] === 0x5d) return // ]}
        if (asLines) {
          yield resourceLineAt(bytes, view!, at)
          continue
        }
        const res = run.checked ? parseResourceLine(bytes, at) : (JSON.parse(bytes.toString('utf8', at, bytes[nl - 1] === 0x2c ? nl - 1 : nl)) as Resource) // without a trailing ','
        if (run.change) {
          applyChange(res, run.change)
          if (isIdle(res, run.lvbSize)) continue
        }
        yield res
      }
      rest = Buffer.from(bytes.subarray(start))
    }
  } finally {
    closeSync(fd)
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
  const its = runs.map((r) => (r.kind === 'memory' ? r.resources[Symbol.iterator]() : fileRun(r, lines)))
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
