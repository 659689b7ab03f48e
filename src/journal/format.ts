// A node's file-system journal: one JSON record per line, so `cat` and `jq` read it.
//
//   {"seq":12,"tx":11,"op":"set","key":"a","value":"v","crc":3735928559}
//   {"seq":13,"tx":11,"op":"del","key":"b","crc":...}
//   {"seq":14,"tx":11,"op":"commit","n":2,"crc":...}
//
// seq: file-system-wide sequence number of the record. tx: the seq of the
// transaction's first record; a commit record closes transaction tx and counts
// its n set/del records. crc: CRC-32C of the line's bytes with `,"crc":<n>`
// removed (i.e. of the JSON text of the record without crc). A line that does not
// end in `}\n` at the end of the file is torn (the writer died mid-write: the
// tail is simply not there); a complete line whose crc does not match is damage.
// Replay trusts nothing after the first torn or damaged line.
import type {JournalRecord} from '../model/records.js'
import {crc32cBuf} from '../util/crc32c.js'

const CRC_TAG = Buffer.from(',"crc":')
const CLOSE = Buffer.from('}')

export function encodeRecord(r: JournalRecord): string {
  const body = JSON.stringify(r)
  const crc = crc32cBuf(Buffer.from(body))
  return `${body.slice(0, -1)},"crc":${crc}}\n`
}

export type LineCheck = {ok: true; record: JournalRecord} | {ok: false; why: 'bad-checksum' | 'bad-record'}

/** CRC of buf[start, end) followed by '}' — the record's bytes without its crc field. */
function crcOf(buf: Buffer, start: number, end: number): number {
  return crc32cBuf(CLOSE, crc32cBuf(buf.subarray(start, end)))
}

/** Check one complete line (without its newline): checksum on the bytes, then the record's shape. */
export function checkLine(buf: Buffer, start: number, end: number): LineCheck {
  // The line ends in `,"crc":<digits>}`: read the digits backwards, then the tag. No allocation.
  if (end - start < 10 || buf[end - 1] !== 0x7d) return {ok: false, why: 'bad-checksum'}
  let i = end - 2
  let stored = 0
  let scale = 1
  while (i > start && buf[i] >= 0x30 && buf[i] <= 0x39) {
    stored += (buf[i] - 0x30) * scale
    scale *= 10
    i--
  }
  const tagStart = i - CRC_TAG.length + 1
  // One canonical spelling of the number: no leading zeros, at most 10 digits.
  if (i === end - 2 || tagStart <= start || scale > 1e10 || (buf[i + 1] === 0x30 && i + 1 < end - 2)) return {ok: false, why: 'bad-checksum'}
  for (let k = 0; k < CRC_TAG.length; k++) if (buf[tagStart + k] !== CRC_TAG[k]) return {ok: false, why: 'bad-checksum'}
  if (crcOf(buf, start, tagStart) !== stored) return {ok: false, why: 'bad-checksum'}
  const fast = fastRecord(buf, start, tagStart)
  if (fast) return {ok: true, record: fast}
  let rec: unknown
  try {
    // The whole line parses as the record plus its crc field (which the record check ignores).
    rec = JSON.parse(buf.toString('utf8', start, end))
  } catch {
    return {ok: false, why: 'bad-record'}
  }
  return isRecord(rec) ? {ok: true, record: clean(rec)} : {ok: false, why: 'bad-record'}
}

// The fast path: lines exactly as encodeRecord writes them, read straight from
// the bytes (replay's hot loop; JSON.parse costs more than everything else).
// Anything else — another key order, escapes in a string — goes to JSON.parse.
const P_SEQ = Buffer.from('{"seq":')
const P_TX = Buffer.from(',"tx":')
const P_OP = Buffer.from(',"op":"')
const P_KEY = Buffer.from('","key":"')
const P_VALUE = Buffer.from('","value":"')
const P_N = Buffer.from('","n":')
const OP_SET = Buffer.from('set')
const OP_DEL = Buffer.from('del')
const OP_COMMIT = Buffer.from('commit')

// A cursor over one line; module-level functions (no closures per line: this is
// the hottest loop of replay).
let cb: Buffer = Buffer.alloc(0)
let ci = 0
let ce = 0

function lit(p: Buffer): boolean {
  if (ci + p.length > ce) return false
  for (let k = 0; k < p.length; k++) if (cb[ci + k] !== p[k]) return false
  ci += p.length
  return true
}

/** A non-negative integer without leading zeros, or -1. */
function int(): number {
  const s = ci
  let v = 0
  while (ci < ce && cb[ci] >= 0x30 && cb[ci] <= 0x39) v = v * 10 + (cb[ci++] - 0x30)
  return ci === s || ci - s > 15 || (cb[s] === 0x30 && ci - s > 1) ? -1 : v
}

/** A string with no escapes or control characters, up to its closing quote (not consumed). */
function plain(): string | undefined {
  const s = ci
  while (ci < ce && cb[ci] !== 0x22) {
    if (cb[ci] === 0x5c || cb[ci] < 0x20) return undefined
    ci++
  }
  return ci < ce ? cb.toString('utf8', s, ci) : undefined
}

function fastRecord(buf: Buffer, start: number, end: number): JournalRecord | undefined {
  cb = buf
  ci = start
  ce = end
  if (!lit(P_SEQ)) return undefined
  const seq = int()
  if (seq < 0 || !lit(P_TX)) return undefined
  const tx = int()
  if (tx < 0 || !lit(P_OP)) return undefined
  if (lit(OP_COMMIT)) {
    if (!lit(P_N)) return undefined
    const n = int()
    return n >= 0 && ci === ce ? {seq, tx, op: 'commit', n} : undefined
  }
  const op = lit(OP_SET) ? 'set' : lit(OP_DEL) ? 'del' : undefined
  if (!op || !lit(P_KEY)) return undefined
  const key = plain()
  if (key === undefined) return undefined
  if (op === 'del') return cb[ci] === 0x22 && ci + 1 === ce ? {seq, tx, op, key} : undefined
  if (!lit(P_VALUE)) return undefined
  const value = plain()
  return value !== undefined && cb[ci] === 0x22 && ci + 1 === ce ? {seq, tx, op, key, value} : undefined
}

/** The record without its crc, built with one shape per op (fast paths downstream stay monomorphic). */
function clean(r: JournalRecord): JournalRecord {
  switch (r.op) {
    case 'set':
      return {seq: r.seq, tx: r.tx, op: 'set', key: r.key, value: r.value}
    case 'del':
      return {seq: r.seq, tx: r.tx, op: 'del', key: r.key}
    default:
      return {seq: r.seq, tx: r.tx, op: 'commit', n: r.n}
  }
}

function isRecord(r: unknown): r is JournalRecord {
  const o = r as Record<string, unknown>
  if (!o || typeof o !== 'object' || !Number.isSafeInteger(o.seq) || !Number.isSafeInteger(o.tx)) return false
  switch (o.op) {
    case 'set':
      return typeof o.key === 'string' && typeof o.value === 'string'
    case 'del':
      return typeof o.key === 'string'
    case 'commit':
      return Number.isSafeInteger(o.n)
    default:
      return false
  }
}
