// A resource line of a bucket file that canonicalBucketLines (schema.ts) has taken,
// read straight from its bytes. That check pins the line's grammar down to the
// exact text JSON.stringify writes for a resource in dlmctl's key order, so this
// reader only walks it: it skips the keys by their known lengths and reads the
// values, and gives the same object JSON.parse would (same keys, same order).
// A million locks are read several times faster than by JSON.parse, which must
// look at every byte. Never give it a line that check did not take.
import type {Mode} from '../model/modes.js'
import type {Lock, Resource} from '../model/types.js'

interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
}

const QUOTE = 0x22
const COMMA = 0x2c
const LETTER_R = 0x72
const LETTER_T = 0x74

/** The two letters of a mode, as one number (every mode has two). */
const MODE_OF = new Map<number, Mode>((['NL', 'CR', 'CW', 'PR', 'PW', 'EX'] as const).map((m) => [(m.charCodeAt(0) << 8) | m.charCodeAt(1), m]))
const modeAt = (b: Buffer, p: number): Mode => MODE_OF.get((b[p] << 8) | b[p + 1])!

/** Names of nodes recur on every line: one string each. */
const nodeNames = new Map<number, string[]>()
function nodeAt(b: SliceBuffer, s: number, e: number): string {
  const key = ((e - s) << 16) | (b[s] << 8) | b[e - 1]
  let list = nodeNames.get(key)
  if (list) {
    outer: for (const n of list) {
      for (let i = 1; i < e - s - 1; i++) if (n.charCodeAt(i) !== b[s + i]) continue outer
      return n
    }
  } else nodeNames.set(key, (list = []))
  const n = b.latin1Slice(s, e) // node names are ASCII
  if (list.length < 8) list.push(n)
  return n
}

/** Index of the next '"' from p (bounded: a line that was not checked gives garbage, never a hang). */
function quoteFrom(b: Buffer, p: number): number {
  while (p < b.length && b[p] !== QUOTE) p++
  return p
}

/** The resource whose line starts at `start` in buf (a line canonicalBucketLines took). */
export function parseResourceLine(buf: Buffer, start: number): Resource {
  const b = buf as SliceBuffer
  let p = start + 9 // {"name":"
  let q = quoteFrom(b, p)
  let ascii = true
  for (let i = p; i < q; i++) if (b[i] >= 0x80) ascii = false
  const name = ascii ? b.latin1Slice(p, q) : b.utf8Slice(p, q)
  p = q + 9 // ","lvb":"
  q = quoteFrom(b, p)
  const lvb = b.latin1Slice(p, q)
  p = q + 13 // ","lvbValid":
  const lvbValid = b[p] === LETTER_T
  p += (lvbValid ? 4 : 5) + 14 // ,"persistent":
  const persistent = b[p] === LETTER_T
  p += (persistent ? 4 : 5) + 15 // ,"grantQueue":[
  const grantQueue: Lock[] = []
  p = locksAt(b, p, grantQueue) + 18 // ],"convertQueue":[
  const convertQueue: Lock[] = []
  p = locksAt(b, p, convertQueue) + 15 // ],"waitQueue":[
  const waitQueue: Lock[] = []
  locksAt(b, p, waitQueue)
  return {name, lvb, lvbValid, persistent, grantQueue, convertQueue, waitQueue}
}

/** The locks of a queue from p (just after its '['); returns the index of its ']'. */
function locksAt(b: SliceBuffer, p: number, out: Lock[]): number {
  while (p < b.length && b[p] !== 0x5d) {
    p += 6 // {"id":
    let id = 0
    for (let c = b[p]; c >= 0x30 && c <= 0x39; c = b[++p]) id = id * 10 + (c - 0x30)
    p += 9 // ,"node":"
    const q = quoteFrom(b, p)
    const node = nodeAt(b, p, q)
    p = q + 10 // ","mode":"
    const mode = modeAt(b, p)
    p += 3
    const lock = {id, node, mode} as Lock
    if (b[p + 2] === LETTER_R) {
      lock.requestedMode = modeAt(b, p + 18) // ,"requestedMode":"
      p += 21
    }
    p += 14 // ,"persistent":
    lock.persistent = b[p] === LETTER_T
    p += (lock.persistent ? 4 : 5) + 8 // ,"lvb":"
    let e = quoteFrom(b, p)
    lock.lvb = b.latin1Slice(p, e)
    p = e + 1
    while (b[p] === COMMA) {
      if (b[p + 2] === LETTER_R) {
        lock.requestedMode = modeAt(b, p + 18)
        p += 21
      } else {
        p += 13 // ,"writeLvb":"
        e = quoteFrom(b, p)
        lock.writeLvb = b.latin1Slice(p, e)
        p = e + 1
      }
    }
    out.push(lock)
    p++ // }
    if (b[p] === COMMA) p++
  }
  return p
}

/** Every resource of a bucket file that canonicalBucketLines took whole (its bytes), one at a time. */
export function* resourceLines(buf: Buffer): Generator<Resource> {
  // After the head line; a line that does not open a resource is the tail (]}).
  for (let at = buf.indexOf(10) + 1; buf[at] === 0x7b; at = buf.indexOf(10, at) + 1) yield parseResourceLine(buf, at)
}

/** A resource line of a bucket file: bytes [at, end) without its ',' and newline. */
export interface LineSpan {
  at: number
  end: number
  /** The line contains one of the marks. */
  marked: boolean
}

/**
 * The resource lines of a bucket file in the line layout (its bytes, ending in
 * '\n]}\n' with at least one line), each with
 * whether it contains one of `marks`. Each mark is looked for once through the
 * whole file (native search), not line by line: a death concerning half of a
 * million lines costs a pass over the bytes, and no line is decoded.
 */
export function* markedLines(buf: Buffer, marks: string[]): Generator<LineSpan> {
  const needles = marks.map((m) => Buffer.from(m, 'utf8'))
  let at = buf.indexOf(10) + 1
  const next = needles.map((n) => buf.indexOf(n, at))
  // Every line between the head and the tail (the caller made sure the file ends in '\n]}\n').
  for (const last = buf.length - 4; at <= last; ) {
    const nl = buf.indexOf(10, at)
    let marked = false
    for (let i = 0; i < needles.length; i++) {
      if (next[i] !== -1 && next[i] < nl) {
        marked = true
        next[i] = buf.indexOf(needles[i], nl)
      }
    }
    yield {at, end: buf[nl - 1] === 0x2c ? nl - 1 : nl, marked}
    at = nl + 1
  }
}

/** The text of a resource's lvbValid and persistent values, from "lvbValid": on (one string each: edits share them). */
const FLAGS = [false, true].flatMap((valid) => [false, true].map((persistent) => `${valid},"persistent":${persistent}`))

/**
 * The lines of markedLines that contain one of `marks`, found from the marks
 * (each looked for through the whole file, natively): the lines between them
 * are not visited at all.
 */
export function* concernedLines(buf: Buffer, marks: string[]): Generator<{at: number; end: number}> {
  const needles = marks.map((m) => Buffer.from(m, 'utf8'))
  const last = buf.length - 4 // the '\n' before ']}\n'
  const from = buf.indexOf(10) + 1
  const next = needles.map((n) => buf.indexOf(n, from))
  for (;;) {
    let p = -1
    for (const x of next) if (x !== -1 && x < last && (p === -1 || x < p)) p = x
    if (p === -1) return
    // Marks hold no newline: the line around the first one left.
    const at = buf.lastIndexOf(10, p) + 1
    const nl = buf.indexOf(10, p)
    for (let i = 0; i < needles.length; i++) if (next[i] !== -1 && next[i] < nl) next[i] = buf.indexOf(needles[i], nl)
    yield {at, end: buf[nl - 1] === 0x2c ? nl - 1 : nl}
  }
}

/**
 * What a change did to a resource read from a checked line, told without writing
 * it again: `before` is taken just before the change, `unchanged` after it. Queues
 * are compared lock by lock, field by field (the fields the line grammar has); the
 * head fields (value block, its validity, persistence) one by one. A death mostly
 * orphans a lock and marks the value block not valid: only the head changes.
 */
export class ResourceSnapshot {
  private lvb = ''
  private lvbValid = false
  private persistent = false
  /** Per queue: its length, then per lock its object and fields. */
  private queues: unknown[] = []

  before(res: Resource): void {
    this.lvb = res.lvb
    this.lvbValid = res.lvbValid
    this.persistent = res.persistent
    this.queues.length = 0
    this.keep(res.grantQueue)
    this.keep(res.convertQueue)
    this.keep(res.waitQueue)
  }

  private keep(queue: Lock[]): void {
    const q = this.queues
    q.push(queue.length)
    for (const l of queue) q.push(l, l.id, l.node, l.mode, l.requestedMode, l.persistent, l.lvb, l.writeLvb)
  }

  /** The queues are as they were (same locks, same fields, same order). */
  queuesUnchanged(res: Resource): boolean {
    const i = this.same(res.grantQueue, 0)
    const j = i < 0 ? i : this.same(res.convertQueue, i)
    return j >= 0 && this.same(res.waitQueue, j) >= 0
  }

  /** Whether `queue` is as kept from index i on: the index after it, or -1. */
  private same(queue: Lock[], i: number): number {
    const q = this.queues
    if (q[i++] !== queue.length) return -1
    for (const l of queue) {
      if (q[i] !== l || q[i + 1] !== l.id || q[i + 2] !== l.node || q[i + 3] !== l.mode || q[i + 4] !== l.requestedMode) return -1
      if (q[i + 5] !== l.persistent || q[i + 6] !== l.lvb || q[i + 7] !== l.writeLvb) return -1
      i += 8
    }
    return i
  }

  /**
   * When only head fields changed: the edit of the line at `at` (bytes, a line
   * canonicalBucketLines took) that writes them — the bytes kept at its start,
   * the text after them, and where the kept end starts (its grantQueue key) —
   * or null when nothing changed at all.
   */
  headEdit(buf: Buffer, at: number, res: Resource): {keepHead: number; middle: string; tailAt: number} | null {
    if (res.lvb === this.lvb && res.lvbValid === this.lvbValid && res.persistent === this.persistent) return null
    const lvbAt = quoteFrom(buf, at + 9) + 9 // the name (no quote or escape in a checked line), then ","lvb":"
    const lvbEnd = quoteFrom(buf, lvbAt)
    const flagsAt = lvbEnd + 13 // ","lvbValid":
    const tailAt = flagsAt + (this.lvbValid ? 4 : 5) + 14 + (this.persistent ? 4 : 5) // ,"persistent":
    const flags = FLAGS[(res.lvbValid ? 2 : 0) + (res.persistent ? 1 : 0)]
    return res.lvb === this.lvb
      ? {keepHead: flagsAt - at, middle: flags, tailAt}
      : {keepHead: lvbAt - 1 - at, middle: `${JSON.stringify(res.lvb)},"lvbValid":${flags}`, tailAt}
  }
}
