// The two scans a whole-domain change (a death, a validate) makes of every bucket
// file before it parses anything: the file checked line by line against the
// canonical grammar (line-bytes.ts), and the lines the change may concern found by
// its marks (resource-line.ts). At a million locks they are 40 % of a death's CPU
// and need nothing but the file's bytes, so on a big domain a worker thread makes
// them for the buckets ahead while the command parses and changes the concerned
// lines of the current one (a machine has two cores or more). The bytes are read
// into buffers shared with the worker: nothing is copied. Whatever goes wrong with
// the worker (it cannot start, it dies), the scans are made in the command's own
// thread instead: the result is the same either way (checkLines is the one code).
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import type {Worker} from 'node:worker_threads'
import {allInBucket} from './layout.js'
import {checkBucketLines} from './line-bytes.js'
import {concernedLines} from './resource-line.js'

/** A bucket file taken by the grammar, its names in bucket `bucket`: its stamp, and [at, end) of each concerned line; null otherwise. */
export type LineCheck = {applied: number; spans: Int32Array} | null

/** Both scans of one bucket file's bytes. */
export function checkLines(bytes: Buffer, bucket: number, marks: string[]): LineCheck {
  const got = checkBucketLines(bytes)
  if (!got || !allInBucket(got.names, bucket)) return null
  const spans: number[] = []
  for (const line of concernedLines(bytes, marks)) spans.push(line.at, line.end)
  return {applied: got.applied, spans: Int32Array.from(spans)}
}

/** A request to the worker: the bytes are [offset, offset + length) of a shared buffer. */
export interface LineCheckRequest {
  id: number
  buffer: SharedArrayBuffer
  offset: number
  length: number
  bucket: number
  marks: string[]
}

/**
 * A domain is scanned in a worker from this many lock ids on. Measured on 2 cores
 * (mark-dead of half the locks, with and without): about 40 ms slower at 100,000,
 * even at 300,000, 0.3 s faster at 1,000,000: the worker's start and the handing
 * over cost what the scans of a smaller domain would. DLMCTL_TEST_LINE_CHECK_AT
 * sets it for tests.
 */
export function lineCheckWorthIt(nextLockId: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const at = env.DLMCTL_TEST_LINE_CHECK_AT === undefined ? 500_000 : Number(env.DLMCTL_TEST_LINE_CHECK_AT)
  return Number.isFinite(at) && nextLockId >= at
}

/** The worker's script: next to the bundle, or the bundle's when run from the sources (tests). */
function workerScript(): string | undefined {
  for (const rel of ['./line-check-worker.cjs', '../../dist/line-check-worker.cjs']) {
    const path = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(path)) return path
  }
  return undefined
}

/** The worker side of checkLines, for buffers shared with it. */
export class LineChecker {
  private next = 1
  private waiting = new Map<number, {resolve: (c: LineCheck) => void; reject: (e: Error) => void}>()
  private broken: Error | undefined
  private closed = false

  private constructor(private worker: Worker) {
    worker.on('message', (m: {id: number; check: LineCheck}) => {
      const w = this.waiting.get(m.id)
      this.waiting.delete(m.id)
      w?.resolve(m.check)
    })
    const fail = (e: Error) => {
      this.broken ??= e
      for (const w of this.waiting.values()) w.reject(this.broken)
      this.waiting.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`line check worker exited (${code})`)))
    // Not unref'd: while the command waits only for the worker's answers, the worker is
    // what keeps the process alive (close() ends it when the scan is done or failed).
  }

  /** A started worker, or undefined when it cannot be (its script is missing). */
  static start(): LineChecker | undefined {
    const script = workerScript()
    if (!script) return undefined
    // Loaded when wanted (the bundle runs from a code cache, where import() of a built-in is not available).
    const {Worker} = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')
    return new LineChecker(new Worker(script, {resourceLimits: {maxYoungGenerationSizeMb: 4}}))
  }

  /** A buffer the worker can read: `size` bytes backed by shared memory. */
  static sharedBuffer(size: number): Buffer {
    return Buffer.from(new SharedArrayBuffer(size))
  }

  /** checkLines of `bytes` (a view of a sharedBuffer) in the worker; rejects if the worker failed. */
  check(bytes: Buffer, bucket: number, marks: string[]): Promise<LineCheck> {
    if (this.broken) return Promise.reject(this.broken)
    const id = this.next++
    const req: LineCheckRequest = {id, buffer: bytes.buffer as SharedArrayBuffer, offset: bytes.byteOffset, length: bytes.length, bucket, marks}
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {resolve, reject})
      this.worker.postMessage(req)
    })
  }

  /** End the worker; a check asked after this (or not answered yet) rejects. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.broken ??= new Error('line check worker closed')
    for (const w of this.waiting.values()) w.reject(this.broken)
    this.waiting.clear()
    // Its promise rejects when the worker was still starting: nothing to wait for either way.
    this.worker.terminate().catch(() => {})
  }
}
