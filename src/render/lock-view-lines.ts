// Lock views written straight from the bytes of bucket lines (`lock list --json` at
// a million locks). A view's bytes are a template per kind of lock, with holes for
// the values copied from the line: the lock id, the resource name, the value
// blocks. The templates come from lockView and JSON.stringify themselves (a lock
// of that kind with stand-ins for the copied values), so what a view shows stays
// defined in one place (model/validity.ts) and the bytes are JSON.stringify's.
// A line's bytes are the JSON text of its values (canonicalBucketLines checked
// them): an id's digits, hex value blocks, a name without escapes; a name that is
// not ASCII is written from its string.
import type {LineDomain, LockLine} from '../core/lock-line.js'
import {MODES} from '../model/modes.js'
import {lockStatus} from '../model/resource.js'
import type {Lock, Resource} from '../model/types.js'
import {lockView} from '../model/validity.js'
import {CONVERT, GRANT, LineReader} from '../store/resource-line.js'
import {both} from '../util/json-bytes.js'
import type {JsonListSink} from './json-stream.js'

/** The holes: where a value of the line goes. */
const Hole = {Id: 0, Name: 1, LockLvb: 2, WriteLvb: 3, ResourceLvb: 4} as const
type Hole = (typeof Hole)[keyof typeof Hole]

// Stand-ins for the copied values: control characters, which no other part of a
// view can hold as they are (JSON.stringify writes them as \u0001).
const ID = '\u0001id\u0001'
const NAME = '\u0001name\u0001'
const LOCK_LVB = '\u0001lock lvb\u0001'
const WRITE_LVB = '\u0001write lvb\u0001'
const RES_LVB = '\u0001resource lvb\u0001'
/** Where the stand-ins are in JSON text: the id (a number) with its quotes, the strings without. */
const HOLES = /"\\u0001id\\u0001"|\\u0001(name|lock lvb|write lvb|resource lvb)\\u0001/g
const HOLE_OF: Record<string, Hole> = {name: Hole.Name, 'lock lvb': Hole.LockLvb, 'write lvb': Hole.WriteLvb, 'resource lvb': Hole.ResourceLvb}

interface Template {
  /** Constant bytes around the holes: parts[i], holes[i], …, parts[holes.length]. */
  parts: DataView[]
  holes: Hole[]
  /** Bytes of the parts. */
  size: number
  keep: boolean
}

/** A view as an item of {"<key>": [...]} printed by JSON.stringify(doc, null, 2): at 4 spaces. */
function itemText(view: unknown): string {
  const doc = JSON.stringify({x: [view]}, null, 2)
  return doc.slice('{\n  "x": [\n'.length, doc.length - '\n  ]\n}'.length)
}

const viewOf = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.length)

/** The template of the reader's current lock (the kind: every field that is not a hole). */
function makeTemplate(d: LineDomain, r: LineReader): Template {
  const lock = {id: ID as unknown as number, node: r.node, mode: MODES[r.mode], persistent: r.lockPersistent, lvb: LOCK_LVB} as Lock
  if (r.requestedMode >= 0) lock.requestedMode = MODES[r.requestedMode]
  if (r.writeLvbAt >= 0) lock.writeLvb = WRITE_LVB
  const res: Resource = {name: NAME, lvb: RES_LVB, lvbValid: r.lvbValid, persistent: r.persistent, grantQueue: [], convertQueue: [], waitQueue: []}
  ;(r.queue === GRANT ? res.grantQueue : r.queue === CONVERT ? res.convertQueue : res.waitQueue).push(lock)
  const view = lockView(lock, res, d.meta, d.holderState(r.node), lockStatus(res, lock))
  const text = itemText(view)
  const parts: DataView[] = []
  const holes: Hole[] = []
  let at = 0
  for (const m of text.matchAll(HOLES)) {
    parts.push(viewOf(Buffer.from(text.slice(at, m.index), 'utf8')))
    holes.push(m[1] === undefined ? Hole.Id : HOLE_OF[m[1]])
    at = m.index + m[0].length
  }
  parts.push(viewOf(Buffer.from(text.slice(at), 'utf8')))
  return {parts, holes, size: parts.reduce((n, p) => n + p.byteLength, 0), keep: d.keep(r.node, view.status, view.valid)}
}

/** A template's slot among a node's: every field of the lock kind but the node. */
const slotOf = (r: LineReader) => ((((r.queue * 2 + +r.lockPersistent) * 2 + +r.lvbValid) * 2 + +r.persistent) * 2 + +(r.writeLvbAt >= 0)) * 42 + r.mode * 7 + r.requestedMode + 1

const reader = new LineReader()
/** Per domain of a listing: per holder, templates by slot. */
const templatesOf = new WeakMap<LineDomain, Map<string, Template[]>>()

/**
 * Bytes [at, end) of `from` at p of `to`, four at a time: for the few dozen bytes of
 * a value, a DataView's reads and writes cost less than a native copy's call.
 */
function copy(to: DataView, p: number, from: DataView, at: number, end: number): number {
  for (; at + 4 <= end; at += 4, p += 4) to.setUint32(p, from.getUint32(at))
  while (at < end) to.setUint8(p++, from.getUint8(at++))
  return p
}

/** A DataView of the output buffer, the last one kept (a view is an object: not one per lock). */
class Views {
  private buf?: Buffer
  private view?: DataView
  of(buf: Buffer): DataView {
    if (buf !== this.buf) {
      this.buf = buf
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    }
    return this.view!
  }
}
const outViews = new Views()

/**
 * The views of a line's locks that the listing keeps, each as an item of the list
 * (the bytes writeJsonList would write for lockView's object). Returns a wait when
 * the output asks for one.
 */
export function writeLockLine(list: JsonListSink, {line, domain}: LockLine): Promise<void> | undefined {
  let byNode = templatesOf.get(domain)
  if (!byNode) templatesOf.set(domain, (byNode = new Map()))
  const r = reader.start(line.buf, line.at)
  const b = line.view
  const nameBytes = r.nameAscii ? undefined : viewOf(Buffer.from(JSON.stringify(line.name).slice(1, -1), 'utf8'))
  let wait: Promise<void> | undefined
  while (r.nextLock()) {
    let ts = byNode.get(r.node)
    if (!ts) byNode.set(r.node, (ts = []))
    const slot = slotOf(r)
    const t = (ts[slot] ??= makeTemplate(domain, r))
    if (!t.keep) continue
    const w = list.item(t.size + (r.idEnd - r.idAt) + (nameBytes ? nameBytes.byteLength : r.nameEnd - r.nameAt) + (r.lockLvbEnd - r.lockLvbAt) + (r.lvbEnd - r.lvbAt) + (r.writeLvbEnd - r.writeLvbAt))
    if (w) wait = both(wait, w)
    const out = outViews.of(list.sink.buf)
    let p = list.sink.pos
    const {parts, holes} = t
    for (let i = 0; i < holes.length; i++) {
      const part = parts[i]
      p = copy(out, p, part, 0, part.byteLength)
      switch (holes[i]) {
        case Hole.Id:
          p = copy(out, p, b, r.idAt, r.idEnd)
          break
        case Hole.Name:
          p = nameBytes ? copy(out, p, nameBytes, 0, nameBytes.byteLength) : copy(out, p, b, r.nameAt, r.nameEnd)
          break
        case Hole.LockLvb:
          p = copy(out, p, b, r.lockLvbAt, r.lockLvbEnd)
          break
        case Hole.WriteLvb:
          p = copy(out, p, b, r.writeLvbAt, r.writeLvbEnd)
          break
        case Hole.ResourceLvb:
          p = copy(out, p, b, r.lvbAt, r.lvbEnd)
          break
      }
    }
    const last = parts[holes.length]
    list.sink.pos = copy(out, p, last, 0, last.byteLength)
  }
  return wait
}
