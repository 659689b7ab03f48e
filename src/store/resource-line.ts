// A resource line of a bucket file that canonicalBucketLines (schema.ts) has taken,
// read straight from its bytes. That check pins the line's grammar down to the
// exact text JSON.stringify writes for a resource in dlmctl's key order, so this
// reader only walks it: it skips the keys by their known lengths and reads the
// values. One walker (LineReader) knows the grammar; parseResourceLine builds from
// it the same object JSON.parse would (same keys, same order), and a listing reads
// the fields where they are, without building objects (render/lock-view-lines.ts).
// A million locks are read several times faster than by JSON.parse, which must
// look at every byte. Never give it a line that check did not take.
import {MODES} from '../model/modes.js'
import type {Lock, Resource} from '../model/types.js'

interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
}

const QUOTE = 0x22
const COMMA = 0x2c
const CLOSE_BRACKET = 0x5d
const LETTER_R = 0x72
const LETTER_T = 0x74

/** A mode's two letters (as one number) → its index in MODES; -1 for anything else. */
const MODE_CODE = new Int8Array(1 << 16).fill(-1)
MODES.forEach((m, i) => (MODE_CODE[(m.charCodeAt(0) << 8) | m.charCodeAt(1)] = i))
const modeCodeAt = (b: Buffer, p: number): number => MODE_CODE[(b[p] << 8) | b[p + 1]]

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

/** The queues of a resource, in the order of its line. */
export const GRANT = 0
export const CONVERT = 1
export const WAIT = 2

/** Where requestedMode's key is among a lock's keys (JSON.parse keeps the first place of a repeated key). */
export const NO_KEY = 0
export const BEFORE_PERSISTENT = 1
export const AFTER_LVB = 2

/**
 * One resource line read in place: `start` reads the resource's own fields, then
 * each `nextLock` the next lock's, queue after queue. Values are positions in the
 * buffer ([at, end) of a string's characters, without quotes), modes are indexes
 * in MODES. One reader walks any number of lines.
 */
export class LineReader {
  buf: SliceBuffer = Buffer.alloc(0) as SliceBuffer
  nameAt = 0
  nameEnd = 0
  /** The name's bytes are ASCII (its characters). */
  nameAscii = true
  lvbAt = 0
  lvbEnd = 0
  lvbValid = false
  persistent = false
  /** The current lock: its queue (GRANT, CONVERT, WAIT) and fields. */
  queue = GRANT
  idAt = 0
  idEnd = 0
  node = ''
  mode = 0
  /** -1 when absent; a repeated key's last value (as JSON.parse). */
  requestedMode = -1
  requestedKey = NO_KEY
  lockPersistent = false
  lockLvbAt = 0
  lockLvbEnd = 0
  /** -1 when absent. */
  writeLvbAt = -1
  writeLvbEnd = -1
  /** writeLvb's key came before a requestedMode key after lvb. */
  writeLvbFirst = false
  private p = 0

  /** Read the resource whose line starts at `at` (a line canonicalBucketLines took). */
  start(buf: Buffer, at: number): this {
    const b = (this.buf = buf as SliceBuffer)
    let p = at + 9 // {"name":"
    let q = quoteFrom(b, p)
    let ascii = true
    for (let i = p; i < q; i++) if (b[i] >= 0x80) ascii = false
    this.nameAt = p
    this.nameEnd = q
    this.nameAscii = ascii
    p = q + 9 // ","lvb":"
    q = quoteFrom(b, p)
    this.lvbAt = p
    this.lvbEnd = q
    p = q + 13 // ","lvbValid":
    const lvbValid = (this.lvbValid = b[p] === LETTER_T)
    p += (lvbValid ? 4 : 5) + 14 // ,"persistent":
    const persistent = (this.persistent = b[p] === LETTER_T)
    this.p = p + (persistent ? 4 : 5) + 15 // ,"grantQueue":[
    this.queue = GRANT
    return this
  }

  name(): string {
    return this.nameAscii ? this.buf.latin1Slice(this.nameAt, this.nameEnd) : this.buf.utf8Slice(this.nameAt, this.nameEnd)
  }

  /** Read the next lock; false after the last one. */
  nextLock(): boolean {
    const b = this.buf
    let p = this.p
    while (b[p] === CLOSE_BRACKET) {
      if (this.queue === WAIT) return false
      p += this.queue === GRANT ? 18 : 15 // ],"convertQueue":[  ],"waitQueue":[
      this.queue++
    }
    if (p >= b.length) return false
    p += 6 // {"id":
    this.idAt = p
    while (b[p] >= 0x30 && b[p] <= 0x39) p++
    this.idEnd = p
    p += 9 // ,"node":"
    let e = quoteFrom(b, p)
    this.node = nodeAt(b, p, e)
    p = e + 10 // ","mode":"
    this.mode = modeCodeAt(b, p)
    p += 3
    this.requestedMode = -1
    this.requestedKey = NO_KEY
    if (b[p + 2] === LETTER_R) {
      this.requestedMode = modeCodeAt(b, p + 18) // ,"requestedMode":"
      this.requestedKey = BEFORE_PERSISTENT
      p += 21
    }
    p += 14 // ,"persistent":
    const persistent = (this.lockPersistent = b[p] === LETTER_T)
    p += (persistent ? 4 : 5) + 8 // ,"lvb":"
    e = quoteFrom(b, p)
    this.lockLvbAt = p
    this.lockLvbEnd = e
    p = e + 1
    this.writeLvbAt = this.writeLvbEnd = -1
    this.writeLvbFirst = false
    while (b[p] === COMMA) {
      if (b[p + 2] === LETTER_R) {
        this.requestedMode = modeCodeAt(b, p + 18)
        if (this.requestedKey === NO_KEY) {
          this.requestedKey = AFTER_LVB
          this.writeLvbFirst = this.writeLvbAt >= 0
        }
        p += 21
      } else {
        p += 13 // ,"writeLvb":"
        e = quoteFrom(b, p)
        this.writeLvbAt = p
        this.writeLvbEnd = e
        p = e + 1
      }
    }
    p++ // }
    if (b[p] === COMMA) p++
    this.p = p
    return true
  }

  /** The current lock as JSON.parse gives it (same keys, same order). */
  lock(): Lock {
    const b = this.buf
    let id = 0
    for (let i = this.idAt; i < this.idEnd; i++) id = id * 10 + (b[i] - 0x30)
    const lock = {id, node: this.node, mode: MODES[this.mode]} as Lock
    if (this.requestedKey === BEFORE_PERSISTENT) lock.requestedMode = MODES[this.requestedMode]
    lock.persistent = this.lockPersistent
    lock.lvb = b.latin1Slice(this.lockLvbAt, this.lockLvbEnd)
    const writeLvb = this.writeLvbAt >= 0
    if (writeLvb && this.writeLvbFirst) lock.writeLvb = b.latin1Slice(this.writeLvbAt, this.writeLvbEnd)
    if (this.requestedKey === AFTER_LVB) lock.requestedMode = MODES[this.requestedMode]
    if (writeLvb && !this.writeLvbFirst) lock.writeLvb = b.latin1Slice(this.writeLvbAt, this.writeLvbEnd)
    return lock
  }
}

const reader = new LineReader()

/** The resource whose line starts at `start` in buf (a line canonicalBucketLines took). */
export function parseResourceLine(buf: Buffer, start: number): Resource {
  const r = reader.start(buf, start)
  const name = r.name()
  const lvb = r.buf.latin1Slice(r.lvbAt, r.lvbEnd)
  const grantQueue: Lock[] = []
  const convertQueue: Lock[] = []
  const waitQueue: Lock[] = []
  while (r.nextLock()) (r.queue === GRANT ? grantQueue : r.queue === CONVERT ? convertQueue : waitQueue).push(r.lock())
  return {name, lvb, lvbValid: r.lvbValid, persistent: r.persistent, grantQueue, convertQueue, waitQueue}
}

/**
 * A resource line of a checked bucket file, not parsed: its name (what a merge by
 * name needs) and where its bytes are. The bytes are the reading run's: valid until
 * that run moves on to its next line. `view`: the same bytes as a DataView (one per
 * piece of the file read, not per line), to copy values out a few bytes at a time.
 */
export class ResourceLine {
  constructor(
    readonly name: string,
    readonly buf: Buffer,
    readonly view: DataView,
    readonly at: number,
  ) {}

  parse(): Resource {
    return parseResourceLine(this.buf, this.at)
  }
}

/** The line at `at` (a line canonicalBucketLines took), not parsed; `view`: a DataView of buf. */
export function resourceLineAt(buf: Buffer, view: DataView, at: number): ResourceLine {
  const b = buf as SliceBuffer
  const p = at + 9 // {"name":"
  const q = quoteFrom(b, p)
  let ascii = true
  for (let i = p; i < q; i++) if (b[i] >= 0x80) ascii = false
  return new ResourceLine(ascii ? b.latin1Slice(p, q) : b.utf8Slice(p, q), buf, view, at)
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
