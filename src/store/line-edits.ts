// A bucket file's new image as edits of its resource lines. The command that
// commits a whole-domain change (a death) parses every line the change concerns
// to report what it did; it records here what each such line becomes, as a
// small edit of the line's bytes (the bytes kept at its start and end, and the
// text in between), so that bringing the bucket up to date right after the
// commit copies bytes instead of parsing half a million resources a second time.
// Both ways give the same bytes: catchUpBucket (core/domain-session.ts) checks the file
// is the one that was read before it uses the edits, and goes the parsing way
// otherwise.

import type {Resource} from '../model/types.js'
import {ResourceSnapshot, parseResourceLine} from './resource-line.js'

/** The edits of one bucket file, made from its bytes as read under the domain's lock. */
export interface BucketEdits {
  /** The file's size and stamp when it was read (edits apply to those bytes only). */
  size: number
  applied: number
  /** Per edited line: 4 numbers [at, end, keepHead, keepTail] (keepHead -1: the line goes); see LineEditor. */
  spans: Int32Array
  /** Per edited line, the text between the kept bytes (an index into `texts`). */
  middles: Int32Array
  texts: string[]
  /** About the memory the edits hold (their texts and numbers). */
  bytes: number
}

/** Collects the edits of one bucket file, line by line in file order. */
export class LineEditor {
  private spans: number[] = []
  private middles: number[] = []
  private texts: string[] = []
  private textIds = new Map<string, number>()
  private textBytes = 0
  private snapshot = new ResourceSnapshot()

  constructor(
    private bytes: Buffer,
    private applied: number,
  ) {}

  /**
   * The resource of the line at [at, end) (a line canonicalBucketLines took),
   * parsed, given to `change` (which changes it in place), and what it became
   * recorded: nothing if nothing changed, the line's removal if it is `idle`
   * now, a few bytes if only its head fields changed (an orphaned lock, a value
   * block no longer valid), else its new text.
   */
  take(at: number, end: number, change: (res: Resource) => void, idle: (res: Resource) => boolean): void {
    const res = parseResourceLine(this.bytes, at)
    this.snapshot.before(res)
    change(res)
    if (idle(res)) this.edit(at, end, null)
    else if (!this.snapshot.queuesUnchanged(res)) this.edit(at, end, JSON.stringify(res))
    else {
      const head = this.snapshot.headEdit(this.bytes, at, res)
      if (head) this.replace(at, end, head.keepHead, head.tailAt, head.middle)
    }
  }

  /**
   * The line at [at, end) (without its ',') becomes `json`, or goes (null). Only
   * the differing middle is kept: a death that orphans a lock changes a few
   * bytes of a 300-byte line. Kept bytes are ASCII (compared as characters).
   */
  edit(at: number, end: number, json: string | null): void {
    if (json === null) {
      this.spans.push(at, end, -1, 0)
      this.middles.push(0)
      return
    }
    const b = this.bytes
    const len = end - at
    const max = Math.min(len, json.length)
    let head = 0
    while (head < max && b[at + head] < 0x80 && json.charCodeAt(head) === b[at + head]) head++
    let tail = 0
    while (tail < max - head && b[end - 1 - tail] < 0x80 && json.charCodeAt(json.length - 1 - tail) === b[end - 1 - tail]) tail++
    this.replace(at, end, head, end - tail, json.slice(head, json.length - tail))
  }

  /** The line at [at, end) keeps its first `keepHead` bytes and its bytes from `tailAt`, with `middle` between. */
  replace(at: number, end: number, keepHead: number, tailAt: number, middle: string): void {
    let id = this.textIds.get(middle)
    if (id === undefined) {
      id = this.texts.length
      this.texts.push(middle)
      this.textBytes += 16 + middle.length
      // Orphaned lines share a few middles; a resource-specific one is not worth a map entry.
      if (middle.length <= 32) this.textIds.set(middle, id)
    }
    this.spans.push(at, end, keepHead, end - tailAt)
    this.middles.push(id)
  }

  get size(): number {
    return this.middles.length
  }

  done(): BucketEdits {
    return {
      size: this.bytes.length,
      applied: this.applied,
      spans: Int32Array.from(this.spans),
      middles: Int32Array.from(this.middles),
      texts: this.texts,
      bytes: this.textBytes + 20 * this.middles.length,
    }
  }
}

/**
 * The new image of a bucket file in the line layout (`bytes`, ending in
 * '\n]}\n') with its edits applied and its head line `head` (the new stamp),
 * or undefined when the edits do not fit these bytes (the file is not the one
 * they were made from): then the caller brings the bucket up to date the long way.
 * `alloc` gives the buffer the image is written in (the image is a view of it).
 *
 * The image is the file's bytes with each edited line's middle replaced (or the
 * line and one separator removed): bytes that follow each other in the file are
 * copied in one piece (an edited line's kept tail, the untouched lines after it
 * and the next edited line's kept head), and a middle of a few bytes is copied
 * byte by byte. At a million locks a death edits half a million lines: a piece
 * per kept part and per run cost as much again as the copying.
 */
export function applyLineEdits(bytes: Buffer, e: BucketEdits, head: string, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
  if (bytes.length !== e.size) return undefined
  const first = bytes.indexOf(10) + 1
  const last = bytes.length - 4 // the '\n' before ']}\n'
  const n = e.middles.length
  // Each edit fits these bytes: a line start after the last edited line, and a line's end (a ',' before a next line, or the tail).
  for (let i = 0, cursor = first; i < n; i++) {
    const at = e.spans[4 * i]
    const end = e.spans[4 * i + 1]
    if (at < cursor || bytes[at - 1] !== 10 || bytes[at] !== 0x7b || !(end === last ? bytes[end] === 10 : bytes[end] === 0x2c && bytes[end + 1] === 10)) return undefined
    if (e.spans[4 * i + 2] + e.spans[4 * i + 3] > end - at) return undefined
    cursor = end === last ? last + 1 : end + 2
  }
  const middles = e.texts.map((t) => Buffer.from(t, 'utf8'))
  // Twice: once to size the image, once to write it.
  let out: Buffer | undefined = undefined
  let size = 0
  let pendingFrom = -1 // bytes [pendingFrom, pendingTo) of the file, not written yet
  let pendingTo = -1
  let items = 0
  const flush = () => {
    if (pendingFrom < 0) return
    if (out) bytes.copy(out, size, pendingFrom, pendingTo)
    size += pendingTo - pendingFrom
    pendingFrom = -1
  }
  const put = (b: Buffer) => {
    flush()
    if (out) for (let k = 0; k < b.length; k++) out[size + k] = b[k]
    size += b.length
  }
  // Bytes [from, to) of the file; a new item (after ',\n' unless it is the first) or the rest of the current one.
  const source = (from: number, to: number, newItem: boolean) => {
    if (newItem && items++ > 0) {
      // The ',\n' that separates them in the file when they follow each other there.
      if (pendingFrom >= 0 && pendingTo + 2 === from && bytes[pendingTo] === 0x2c && bytes[pendingTo + 1] === 10) {
        pendingTo = to
        return
      }
      put(SEPARATOR)
    } else if (pendingFrom >= 0 && pendingTo === from) {
      pendingTo = to
      return
    }
    flush()
    pendingFrom = from
    pendingTo = to
  }
  const plan = () => {
    size = 0
    items = 0
    pendingFrom = -1
    put(Buffer.from(head, 'latin1'))
    put(NEWLINE)
    let cursor = first
    for (let i = 0; i < n; i++) {
      const at = e.spans[4 * i]
      const end = e.spans[4 * i + 1]
      const keepHead = e.spans[4 * i + 2]
      const keepTail = e.spans[4 * i + 3]
      if (at > cursor) source(cursor, at - 2, true)
      if (keepHead >= 0) {
        source(at, at + keepHead, true)
        put(middles[e.middles[i]])
        source(end - keepTail, end, false)
      }
      cursor = end === last ? last + 1 : end + 2
    }
    if (cursor <= last) source(cursor, last, true)
    flush()
  }
  plan()
  if (items === 0) {
    const empty = alloc(head.length + 3)
    const at = empty.write(head, 0, 'latin1')
    return empty.subarray(0, at + empty.write(']}\n', at, 'latin1'))
  }
  const total = size + 4
  out = alloc(total)
  plan()
  out.write('\n]}\n', size, 'latin1')
  return out.subarray(0, total)
}

const SEPARATOR = Buffer.from(',\n', 'latin1')
const NEWLINE = Buffer.from('\n', 'latin1')
