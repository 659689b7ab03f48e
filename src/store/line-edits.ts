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
 */
export function applyLineEdits(bytes: Buffer, e: BucketEdits, head: string, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer | undefined {
  if (bytes.length !== e.size) return undefined
  const first = bytes.indexOf(10) + 1
  const last = bytes.length - 4 // the '\n' before ']}\n'
  // Items: runs of untouched lines (one slice, their ',\n' included) and edited lines, joined by ',\n'.
  const segs: (Buffer | string)[] = []
  const itemStart: number[] = []
  let size = 0
  const add = (s: Buffer | string, newItem: boolean) => {
    if (newItem) itemStart.push(segs.length)
    segs.push(s)
    size += typeof s === 'string' ? Buffer.byteLength(s) : s.length
  }
  let cursor = first
  for (let i = 0; i < e.middles.length; i++) {
    const at = e.spans[4 * i]
    const end = e.spans[4 * i + 1]
    const keepHead = e.spans[4 * i + 2]
    const keepTail = e.spans[4 * i + 3]
    // A line start after the last edited line, and a line's end: a ',' before a next line, or the tail.
    if (at < cursor || bytes[at - 1] !== 10 || bytes[at] !== 0x7b || !(end === last ? bytes[end] === 10 : bytes[end] === 0x2c && bytes[end + 1] === 10)) return undefined
    if (keepHead + keepTail > end - at) return undefined
    if (at > cursor) add(bytes.subarray(cursor, at - 2), true)
    if (keepHead >= 0) {
      add(bytes.subarray(at, at + keepHead), true)
      add(e.texts[e.middles[i]], false)
      add(bytes.subarray(end - keepTail, end), false)
    }
    cursor = end === last ? last + 1 : end + 2
  }
  if (cursor <= last) add(bytes.subarray(cursor, last), true)
  const items = itemStart.length
  const out = alloc(head.length + 2 + size + 2 * items + 4)
  let at = out.write(head, 0, 'latin1')
  if (items === 0) {
    at += out.write(']}\n', at, 'latin1')
    return out.subarray(0, at)
  }
  at += out.write('\n', at, 'latin1')
  let item = 0
  for (let s = 0; s < segs.length; s++) {
    if (item < items && itemStart[item] === s) {
      if (item > 0) at += out.write(',\n', at, 'latin1')
      item++
    }
    const seg = segs[s]
    at += typeof seg === 'string' ? out.write(seg, at, 'utf8') : seg.copy(out, at)
  }
  at += out.write('\n]}\n', at, 'latin1')
  return out.subarray(0, at)
}
