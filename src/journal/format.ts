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
import {crc32cBuf} from '../util/crc32c.js'

export type JournalRecord =
  | {seq: number; tx: number; op: 'set'; key: string; value: string}
  | {seq: number; tx: number; op: 'del'; key: string}
  | {seq: number; tx: number; op: 'commit'; n: number}

export type DataRecord = Extract<JournalRecord, {op: 'set' | 'del'}>

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
  let rec: unknown
  try {
    // The whole line parses as the record plus its crc field (which the record check ignores).
    rec = JSON.parse(buf.toString('utf8', start, end))
  } catch {
    return {ok: false, why: 'bad-record'}
  }
  return isRecord(rec) ? {ok: true, record: clean(rec)} : {ok: false, why: 'bad-record'}
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
