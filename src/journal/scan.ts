// Streaming journal reader: reads in 1 MiB chunks (a million records are never
// one string), checks each line's CRC-32C on the bytes already in hand, groups
// records into transactions and hands over the committed ones. Stops at the
// first torn or damaged line: nothing after it is trusted.
import {io} from '../store/io.js'
import {openIfPresent} from '../store/tx-disk.js'
import type {DataRecord, JournalRecord} from '../model/records.js'
import {checkLine} from './format.js'

export type Damage = 'torn' | 'bad-checksum' | 'bad-record'

export interface ScanResult {
  /** Where the scan started and how far the file went. */
  from: number
  size: number
  /** Offset just past the last commit record seen (where replay/checkpoint resumes). */
  point: number
  /** set/del records in committed transactions. */
  committed: number
  /** Committed transactions. */
  transactions: number
  /** set/del records of transactions that never committed. */
  discarded: number
  stoppedAt: {offset: number; reason: Damage} | null
  /** Highest seq of a committed record. */
  lastSeq: number
}

export interface LineInfo {
  offset: number
  /** 1-based, counted from the scan's start. */
  line: number
  record?: JournalRecord
  damage?: Damage
  text: string
}

export interface ScanOptions {
  /** Called with each committed transaction's set/del records, in journal order. */
  onCommit?: (records: DataRecord[], commitSeq: number) => void
  /** Called for every line (journal show); slower. After damage, lines are still reported as untrusted. */
  onLine?: (l: LineInfo, trusted: boolean) => void
  /** Called every `checkEvery` records with the offset scanned up to (replay checks the domain's epoch, shows progress). */
  check?: (offset: number) => Promise<void>
  checkEvery?: number
  /** Stop before the line that starts at or after this offset (a line boundary). */
  until?: number
  /** Number given to the first line (line numbers count from the file's start when known). */
  firstLine?: number
  /**
   * Go on trusting lines after damage (for showing history before the replay point,
   * which was applied by whoever started after that damage). Replay never does this.
   */
  keepGoing?: boolean
}

const CHUNK = 1 << 20

/**
 * A journal to scan: its path on disk, or its content as a reader sees it when a
 * pending commit record appends to it (ClusterState.journalSource).
 */
export type JournalSource = string | Buffer

interface Src {
  size: number
  read(buf: Buffer, pos: number): Promise<number>
  close(): Promise<void>
}

async function openSource(src: JournalSource): Promise<Src | null> {
  if (Buffer.isBuffer(src)) {
    return {size: src.length, read: async (buf, pos) => src.copy(buf, 0, pos), close: async () => {}}
  }
  const got = await openIfPresent(src)
  if (!got) return null
  const {fh, size} = got
  return {size, read: (buf, pos) => io.read(fh, buf, pos), close: () => io.close(fh)}
}

export async function scanJournal(path: JournalSource, from: number, opts: ScanOptions = {}): Promise<ScanResult> {
  const r: ScanResult = {from, size: from, point: from, committed: 0, transactions: 0, discarded: 0, stoppedAt: null, lastSeq: 0}
  const fh = await openSource(path)
  if (!fh) return {...r, size: 0}
  try {
    r.size = fh.size
    const pending = new Map<number, DataRecord[]>()
    const checkEvery = opts.checkEvery ?? 65536
    let buf = Buffer.allocUnsafe(CHUNK)
    let have = 0 // bytes in buf
    let bufOffset = from // file offset of buf[0]
    let pos = from
    let line = (opts.firstLine ?? 1) - 1
    let count = 0
    const until = opts.until ?? Infinity
    let reachedUntil = false
    let stopped = false
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, have)
        buf = bigger
      }
      const bytesRead = pos >= r.size ? 0 : await fh.read(buf.subarray(have, have + Math.min(buf.length - have, r.size - pos)), pos)
      pos += bytesRead
      have += bytesRead
      const eof = bytesRead === 0
      let start = 0
      for (;;) {
        const nl = buf.indexOf(0x0a, start)
        if (nl < 0 || nl >= have) break
        const offset = bufOffset + start
        if (offset >= until) {
          reachedUntil = true
          break
        }
        line++
        if (stopped) {
          opts.onLine?.({offset, line, text: buf.toString('utf8', start, nl), damage: lineDamage(buf, start, nl)}, false)
        } else {
          const c = checkLine(buf, start, nl)
          if (!c.ok) {
            r.stoppedAt ??= {offset, reason: c.why}
            stopped = !opts.keepGoing
            if (opts.keepGoing) {
              for (const [, v] of pending) r.discarded += v.length
              pending.clear()
            }
            opts.onLine?.({offset, line, text: buf.toString('utf8', start, nl), damage: c.why}, true)
          } else {
            const rec = c.record
            opts.onLine?.({offset, line, record: rec, text: ''}, true)
            if (rec.op === 'commit') {
              const recs = pending.get(rec.tx) ?? []
              pending.delete(rec.tx)
              if (recs.length === rec.n) {
                r.transactions++
                r.committed += recs.length
                if (rec.seq > r.lastSeq) r.lastSeq = rec.seq
                opts.onCommit?.(recs, rec.seq)
              } else {
                r.discarded += recs.length // a commit that does not match its records commits nothing
              }
              // Every transaction open before this commit can no longer complete in order.
              for (const [, v] of pending) r.discarded += v.length
              pending.clear()
              r.point = bufOffset + nl + 1
            } else {
              let recs = pending.get(rec.tx)
              if (!recs) pending.set(rec.tx, (recs = []))
              recs.push(rec)
            }
            if (opts.check && ++count % checkEvery === 0) await opts.check(bufOffset + nl + 1)
          }
        }
        start = nl + 1
      }
      if (reachedUntil) {
        r.size = Math.min(r.size, until)
        for (const [, v] of pending) r.discarded += v.length
        break
      }
      // Keep the partial last line for the next read.
      buf.copy(buf, 0, start, have)
      bufOffset += start
      have -= start
      if (eof) {
        if (have > 0 && bufOffset < until) {
          line++
          if (!stopped) r.stoppedAt = {offset: bufOffset, reason: 'torn'}
          opts.onLine?.({offset: bufOffset, line, text: buf.toString('utf8', 0, have), damage: 'torn'}, !stopped)
          stopped = true
        }
        for (const [, v] of pending) r.discarded += v.length
        break
      }
    }
    return r
  } finally {
    await fh.close()
  }
}

/** How a line after the stop point looks (shown, never applied). */
function lineDamage(buf: Buffer, start: number, end: number): Damage | undefined {
  const c = checkLine(buf, start, end)
  return c.ok ? undefined : c.why
}
