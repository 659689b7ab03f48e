// The streaming journal scanner (src/journal/scan.ts) on journals written here
// with encodeRecord: what replay and checkpoint are handed, where they stop and
// where they resume.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {checkLine, encodeRecord} from '../../src/journal/format.js'
import type {DataRecord, JournalRecord} from '../../src/model/records.js'
import {scanJournal, type LineInfo, type ScanOptions, type ScanResult} from '../../src/journal/scan.js'
import {applyMetaRecord, type MetaKeys} from '../../src/model/metadata.js'

const dir = mkdtempSync(join(tmpdir(), 'dlmctl-scan-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
let fileNo = 0
function writeJournal(content: string | Buffer, name = `j${fileNo++}.jsonl`): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

type Op = ['set', string, string] | ['del', string]

/** One transaction starting at seq `first`: its set/del records and (unless told not to) a commit. */
function txn(first: number, ops: Op[], o: {commit?: boolean; n?: number} = {}): JournalRecord[] {
  let seq = first
  const recs: JournalRecord[] = ops.map((op) =>
    op[0] === 'set' ? {seq: seq++, tx: first, op: 'set', key: op[1], value: op[2]} : {seq: seq++, tx: first, op: 'del', key: op[1]},
  )
  if (o.commit !== false) recs.push({seq: seq++, tx: first, op: 'commit', n: o.n ?? ops.length})
  return recs
}

const enc = (recs: JournalRecord[]) => recs.map(encodeRecord).join('')
const data = (recs: JournalRecord[]) => recs.filter((r): r is DataRecord => r.op !== 'commit')

interface Scanned {
  result: ScanResult
  commits: {records: DataRecord[]; commitSeq: number}[]
  lines: (LineInfo & {trusted: boolean})[]
}

async function scan(path: string, from = 0, opts: ScanOptions = {}): Promise<Scanned> {
  const commits: Scanned['commits'] = []
  const lines: Scanned['lines'] = []
  const result = await scanJournal(path, from, {
    ...opts,
    onCommit: (records, commitSeq) => commits.push({records: records.map((r) => ({...r})), commitSeq}),
    onLine: (l, trusted) => lines.push({...l, trusted}),
  })
  return {result, commits, lines}
}

/** Byte offsets of line starts and ends (after the newline) of an encoded journal. */
function lineBounds(text: string): {start: number; end: number}[] {
  const b = Buffer.from(text, 'utf8')
  const out: {start: number; end: number}[] = []
  let start = 0
  for (;;) {
    const nl = b.indexOf(0x0a, start)
    if (nl < 0) break
    out.push({start, end: nl + 1})
    start = nl + 1
  }
  return out
}

describe('committed transactions only', () => {
  const t1 = txn(1, [['set', 'a', '1'], ['set', 'b', '1']])
  const t2 = txn(4, [['del', 'b']])
  const t3 = txn(6, [['set', 'a', 'uncommitted'], ['set', 'c', 'x']], {commit: false})

  it('hands over each committed transaction once, in order, and discards an uncommitted tail', async () => {
    const text = enc([...t1, ...t2, ...t3])
    const p = writeJournal(text)
    const {result, commits} = await scan(p)
    expect(commits).toEqual([
      {records: data(t1), commitSeq: 3},
      {records: data(t2), commitSeq: 5},
    ])
    const endOfT2 = Buffer.byteLength(enc([...t1, ...t2]))
    expect(result).toEqual({
      from: 0,
      size: Buffer.byteLength(text),
      point: endOfT2,
      committed: 3,
      transactions: 2,
      discarded: 2,
      stoppedAt: null,
      lastSeq: 5,
    })
  })

  it('an uncommitted transaction followed by committed ones is discarded; the later ones apply', async () => {
    const t4 = txn(8, [['set', 'd', '4']])
    const p = writeJournal(enc([...t1, ...t3, ...t4]))
    const {result, commits} = await scan(p)
    expect(commits.map((c) => c.commitSeq)).toEqual([3, 9])
    expect(commits[1].records).toEqual(data(t4))
    expect(result.discarded).toBe(2)
    expect(result.transactions).toBe(2)
    expect(result.committed).toBe(3)
    expect(result.stoppedAt).toBeNull()
  })

  it('a missing journal is empty; an empty one too', async () => {
    const missing = await scan(join(dir, 'nope.jsonl'), 0)
    expect(missing.result).toMatchObject({point: 0, committed: 0, transactions: 0, stoppedAt: null})
    expect(missing.commits).toEqual([])
    const empty = await scan(writeJournal(''))
    expect(empty.result).toEqual({from: 0, size: 0, point: 0, committed: 0, transactions: 0, discarded: 0, stoppedAt: null, lastSeq: 0})
  })
})

describe('a commit whose n does not match its records commits nothing', () => {
  const before = txn(1, [['set', 'a', 'before']])
  const after = txn(10, [['set', 'a', 'after']])
  it.each([
    ['n too small', 0],
    ['n one short', 1],
    ['n one more', 3],
  ])('%s', async (_name, n) => {
    const bad = txn(3, [['set', 'a', 'bad'], ['set', 'b', 'bad']], {n})
    const p = writeJournal(enc([...before, ...bad, ...after]))
    const {result, commits} = await scan(p)
    expect(commits.map((c) => c.records)).toEqual([data(before), data(after)])
    expect(result.transactions).toBe(2)
    expect(result.committed).toBe(2)
    expect(result.discarded).toBe(2)
    expect(result.stoppedAt).toBeNull()
    const keys: MetaKeys = {}
    for (const c of commits) for (const r of c.records) applyMetaRecord(keys, r)
    expect(keys).toEqual({a: {value: 'after', seq: 10}})
  })

  it('a commit with nothing before it commits nothing', async () => {
    const p = writeJournal(enc([{seq: 1, tx: 1, op: 'commit', n: 1}, ...txn(2, [['set', 'z', '1']])]))
    const {result, commits} = await scan(p)
    expect(commits.map((c) => c.commitSeq)).toEqual([3])
    expect(result.transactions).toBe(1)
  })
})

describe('torn tails', () => {
  const t1 = txn(1, [['set', 'a', '1']])
  const t2 = txn(3, [['set', 'a', '2'], ['del', 'b']])
  const t3 = txn(6, [['set', 'a', '3'], ['set', 'c', 'ünïcødé ✓']])
  const recs = [...t1, ...t2, ...t3]
  const text = enc(recs)
  const full = Buffer.from(text, 'utf8')
  const bounds = lineBounds(text)

  it('control: the whole journal is clean', async () => {
    const {result, commits} = await scan(writeJournal(full))
    expect(result.stoppedAt).toBeNull()
    expect(result.point).toBe(full.length)
    expect(commits).toHaveLength(3)
  })

  it('truncated at every byte offset of the last line: torn at that line, point = end of the last commit before it', async () => {
    const last = bounds.at(-1)!
    const endOfT2 = Buffer.byteLength(enc([...t1, ...t2]))
    for (let cut = last.start + 1; cut < last.end; cut++) {
      const {result, commits, lines} = await scan(writeJournal(full.subarray(0, cut), 'cut.jsonl'))
      const at = `cut at ${cut}`
      expect(result.stoppedAt, at).toEqual({offset: last.start, reason: 'torn'})
      expect(result.point, at).toBe(endOfT2)
      expect(result.transactions, at).toBe(2)
      expect(result.committed, at).toBe(3)
      expect(result.discarded, at).toBe(2) // t3's records: their commit is the torn line
      expect(result.size, at).toBe(cut)
      expect(commits.map((c) => c.commitSeq), at).toEqual([2, 5])
      expect(lines.at(-1), at).toMatchObject({offset: last.start, damage: 'torn', trusted: true})
    }
  })

  it('truncated exactly at a line boundary is not damage', async () => {
    const last = bounds.at(-1)!
    const {result} = await scan(writeJournal(full.subarray(0, last.start)))
    expect(result.stoppedAt).toBeNull()
    expect(result.discarded).toBe(2)
    expect(result.point).toBe(Buffer.byteLength(enc([...t1, ...t2])))
  })

  it('truncated at every offset of the whole file (mid-file): exactly the transactions whose commit line is complete', async () => {
    const commitEnds = recs.map((r, i) => ({r, b: bounds[i]})).filter((x) => x.r.op === 'commit')
    // Every cut is its own file, scanned a batch at a time.
    const cuts = Array.from({length: full.length + 1}, (_, i) => i)
    const scans = new Map<number, Scanned>()
    for (let i = 0; i < cuts.length; i += 64) {
      const batch = cuts.slice(i, i + 64)
      const got = await Promise.all(batch.map((cut) => scan(writeJournal(full.subarray(0, cut), `cut${cut % 64}.jsonl`))))
      batch.forEach((cut, k) => scans.set(cut, got[k]))
    }
    for (const cut of cuts) {
      const at = `cut at ${cut}`
      const {result, commits} = scans.get(cut)!
      const done = commitEnds.filter((c) => c.b.end <= cut)
      expect(commits.map((c) => c.commitSeq), at).toEqual(done.map((c) => c.r.seq))
      expect(result.point, at).toBe(done.at(-1)?.b.end ?? 0)
      const cutLine = bounds.find((b) => b.start < cut && cut < b.end)
      expect(result.stoppedAt, at).toEqual(cutLine ? {offset: cutLine.start, reason: 'torn'} : null)
      expect(result.lastSeq, at).toBe(done.at(-1)?.r.seq ?? 0)
    }
  })
})

describe('damage in the middle stops the scan: nothing after it is trusted', () => {
  const t1 = txn(1, [['set', 'a', '1']])
  const t2 = txn(3, [['set', 'a', '2'], ['set', 'b', '2']])
  const t3 = txn(6, [['set', 'a', '3']])
  const t4 = txn(8, [['set', 'd', '4']])

  /** The journal with line `victim` (0-based) replaced by `bad`. */
  function damaged(victim: number, bad: (line: Buffer) => Buffer): {path: string; offset: number} {
    const lines: Buffer[] = [...t1, ...t2, ...t3, ...t4].map((r) => Buffer.from(encodeRecord(r)))
    const offset = lines.slice(0, victim).reduce((n, l) => n + l.length, 0)
    lines[victim] = bad(lines[victim])
    return {path: writeJournal(Buffer.concat(lines)), offset}
  }
  const flipByte = (i: number) => (l: Buffer) => {
    const b = Buffer.from(l)
    b[i] ^= 0x04
    return b
  }

  it.each([
    ['a flipped byte in a set record of t2', 2, flipByte(20)],
    ['a flipped byte in the commit of t2', 4, flipByte(30)],
    ['a flipped crc digit in t2', 3, (l: Buffer) => flipByte(l.length - 3)(l)],
    ['a line of zeros (a hole) at t2', 2, (l: Buffer) => Buffer.concat([Buffer.alloc(l.length - 1), Buffer.from('\n')])],
    ['an empty line at t2', 2, () => Buffer.from('\n')],
  ])('%s: bad-checksum there, only t1 applied', async (_name, victim, bad) => {
    const {path, offset} = damaged(victim, bad)
    const {result, commits, lines} = await scan(path)
    expect(result.stoppedAt).toEqual({offset, reason: 'bad-checksum'})
    expect(commits.map((c) => c.commitSeq)).toEqual([2])
    expect(result.point).toBe(Buffer.byteLength(enc(t1)))
    expect(result.transactions).toBe(1)
    expect(result.lastSeq).toBe(2)
    // The lines after the damage are still reported, as untrusted, and their records are not handed over.
    const after = lines.filter((l) => l.offset > offset)
    expect(after.length).toBeGreaterThan(0)
    expect(after.every((l) => !l.trusted && l.record === undefined)).toBe(true)
    const keys: MetaKeys = {}
    for (const c of commits) for (const r of c.records) applyMetaRecord(keys, r)
    expect(keys).toEqual({a: {value: '1', seq: 1}})
  })

  it('a record with a good checksum but a bad shape: bad-record, and the same stop', async () => {
    const body = '{"seq":3,"tx":3,"op":"put","key":"a","value":"2"}'
    const {createRequire} = await import('node:module')
    const CRC32C = createRequire(import.meta.url)('crc-32/crc32c.js') as {str(s: string): number}
    const sealed = `${body.slice(0, -1)},"crc":${CRC32C.str(body) >>> 0}}\n`
    const {path, offset} = damaged(2, () => Buffer.from(sealed))
    const {result, commits} = await scan(path)
    expect(result.stoppedAt).toEqual({offset, reason: 'bad-record'})
    expect(commits.map((c) => c.commitSeq)).toEqual([2])
  })

  it('damage right after a commit keeps that commit', async () => {
    const {path, offset} = damaged(5, flipByte(10)) // first line of t3
    const {result, commits} = await scan(path)
    expect(result.stoppedAt).toEqual({offset, reason: 'bad-checksum'})
    expect(commits.map((c) => c.commitSeq)).toEqual([2, 5])
    expect(result.point).toBe(offset)
  })
})

describe('sequence numbers, not journal order, decide', () => {
  it('a later transaction with lower seqs loses to an earlier one with higher seqs', async () => {
    const newer = txn(20, [['set', 'a', 'newer'], ['del', 'b']])
    const older = txn(5, [['set', 'a', 'older'], ['set', 'b', 'older'], ['set', 'c', 'only-older']])
    const p = writeJournal(enc([...newer, ...older]))
    const {commits, result} = await scan(p)
    expect(commits.map((c) => c.commitSeq)).toEqual([22, 8])
    expect(result.lastSeq).toBe(22)
    const expected = {a: {value: 'newer', seq: 20}, b: {value: null, seq: 21}, c: {value: 'only-older', seq: 7}}
    const forward: MetaKeys = {}
    for (const c of commits) for (const r of c.records) applyMetaRecord(forward, r)
    expect(forward).toEqual(expected)
    // Whatever order the records are applied in, and however often: the same metadata.
    const all = commits.flatMap((c) => c.records)
    let state = 42
    const rnd = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let round = 0; round < 50; round++) {
      const shuffled = [...all, ...all].sort(() => rnd() - 0.5)
      const keys: MetaKeys = {}
      for (const r of shuffled) applyMetaRecord(keys, r)
      expect(keys).toEqual(expected)
    }
  })

  it('applyMetaRecord reports whether it changed the key, and an equal seq does not overwrite', () => {
    const keys: MetaKeys = {}
    expect(applyMetaRecord(keys, {seq: 5, tx: 5, op: 'set', key: 'a', value: 'x'})).toBe(true)
    expect(applyMetaRecord(keys, {seq: 5, tx: 5, op: 'set', key: 'a', value: 'y'})).toBe(false)
    expect(applyMetaRecord(keys, {seq: 4, tx: 4, op: 'del', key: 'a'})).toBe(false)
    expect(applyMetaRecord(keys, {seq: 6, tx: 6, op: 'del', key: 'a'})).toBe(true)
    expect(keys).toEqual({a: {value: null, seq: 6}})
  })
})

describe('from: resuming mid-file', () => {
  const t1 = txn(1, [['set', 'a', '1']])
  const t2 = txn(3, [['set', 'b', '2']])
  const t3 = txn(5, [['set', 'c', '3']], {commit: false})
  const text = enc([...t1, ...t2, ...t3])
  const p = writeJournal(text)
  const t1End = Buffer.byteLength(enc(t1))
  const t2End = Buffer.byteLength(enc([...t1, ...t2]))

  it('from a line start: only what follows; offsets stay file offsets', async () => {
    const {result, commits, lines} = await scan(p, t1End)
    expect(commits.map((c) => c.records)).toEqual([data(t2)])
    expect(result).toMatchObject({from: t1End, point: t2End, transactions: 1, committed: 1, discarded: 1, stoppedAt: null})
    expect(lines[0]).toMatchObject({offset: t1End, line: 1})
  })

  it('from the end: nothing, point stays', async () => {
    const {result, commits} = await scan(p, t2End)
    expect(commits).toEqual([])
    expect(result).toMatchObject({from: t2End, point: t2End, transactions: 0, stoppedAt: null, discarded: 1})
    const atSize = await scan(p, Buffer.byteLength(text))
    expect(atSize.result).toMatchObject({point: Buffer.byteLength(text), transactions: 0, stoppedAt: null, discarded: 0})
  })

  it('from inside a line: that partial line is damage and nothing is applied', async () => {
    const {result, commits} = await scan(p, t1End + 5)
    expect(commits).toEqual([])
    expect(result.stoppedAt).toMatchObject({offset: t1End + 5})
    expect(result.point).toBe(t1End + 5)
  })
})

describe('check callback (replay checks the epoch as it goes)', () => {
  it('is called every checkEvery records, and its error stops the scan', async () => {
    const recs: JournalRecord[] = []
    for (let i = 0; i < 10; i++) recs.push(...txn(1 + i * 2, [['set', `k${i}`, `${i}`]]))
    const p = writeJournal(enc(recs)) // 20 records
    let calls = 0
    const offsets: number[] = []
    await scanJournal(p, 0, {checkEvery: 3, check: async (offset) => void (calls++, offsets.push(offset))})
    expect(calls).toBe(6)
    // Each call gets the offset just past the line that triggered it (bytes scanned so far).
    const lineEnds = enc(recs).split('\n').slice(0, -1).reduce<number[]>((a, l) => [...a, (a.at(-1) ?? 0) + Buffer.byteLength(l) + 1], [])
    expect(offsets).toEqual([3, 6, 9, 12, 15, 18].map((n) => lineEnds[n - 1]))
    let applied = 0
    await expect(
      scanJournal(p, 0, {
        checkEvery: 4,
        onCommit: () => applied++,
        check: async () => {
          throw new Error('epoch moved')
        },
      }),
    ).rejects.toThrow('epoch moved')
    expect(applied).toBe(2)
  })
})

// ------------------------------------------------------------------ chunks

/** The same rules on the whole file read at once: the oracle for the 1 MiB chunking. */
function scanWhole(path: string, from: number) {
  const buf = readFileSync(path)
  const commits: Scanned['commits'] = []
  const lines: {offset: number; line: number; damage?: string; seq?: number; trusted: boolean}[] = []
  const r: ScanResult = {from, size: buf.length, point: from, committed: 0, transactions: 0, discarded: 0, stoppedAt: null, lastSeq: 0}
  const pending = new Map<number, DataRecord[]>()
  let start = from
  let stopped = false
  let n = 0
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start)
    n++
    if (nl < 0) {
      if (!stopped) r.stoppedAt = {offset: start, reason: 'torn'}
      lines.push({offset: start, line: n, damage: 'torn', trusted: !stopped})
      break
    }
    const c = checkLine(buf, start, nl)
    if (stopped || !c.ok) {
      if (!stopped && !c.ok) r.stoppedAt = {offset: start, reason: c.why}
      lines.push({offset: start, line: n, damage: c.ok ? undefined : c.why, trusted: !stopped})
      stopped = true
    } else {
      const rec = c.record
      lines.push({offset: start, line: n, seq: rec.seq, trusted: true})
      if (rec.op === 'commit') {
        const recs = pending.get(rec.tx) ?? []
        pending.delete(rec.tx)
        if (recs.length === rec.n) {
          r.transactions++
          r.committed += recs.length
          r.lastSeq = Math.max(r.lastSeq, rec.seq)
          commits.push({records: recs, commitSeq: rec.seq})
        } else r.discarded += recs.length
        for (const v of pending.values()) r.discarded += v.length
        pending.clear()
        r.point = nl + 1
      } else {
        if (!pending.has(rec.tx)) pending.set(rec.tx, [])
        pending.get(rec.tx)!.push(rec)
      }
    }
    start = nl + 1
  }
  for (const v of pending.values()) r.discarded += v.length
  return {result: r, commits, lines}
}

async function scanChunked(path: string, from = 0) {
  const s = await scan(path, from)
  return {
    result: s.result,
    commits: s.commits,
    lines: s.lines.map((l) => ({offset: l.offset, line: l.line, damage: l.damage, seq: l.record?.seq, trusted: l.trusted})),
  }
}

describe('1 MiB chunk boundaries', () => {
  const MiB = 1 << 20

  /**
   * A journal of ~`size` bytes whose line `around` the 1 MiB mark is placed so
   * that the boundary falls `shift` bytes after that line's start (negative:
   * before). Transactions of 3 records with values of varying length.
   */
  // The filler before the boundary and the lines after it are the same for every case: built once.
  let filler: {text: string; size: number; seq: number} | undefined
  function fill() {
    if (filler) return filler
    const parts: string[] = []
    let size = 0
    let seq = 1
    for (let i = 0; size < MiB - 4096; i++) {
      const t = txn(seq, [['set', `k${i % 97}`, 'v'.repeat(20 + (i % 300))], ['del', `d${i % 13}`]])
      seq += t.length
      const s = enc(t)
      parts.push(s)
      size += Buffer.byteLength(s)
    }
    return (filler = {text: parts.join(''), size, seq})
  }
  const afterTx = (seq: number, k: number) => txn(seq, [['set', `after${k}`, 'w'.repeat(40 + k)], ['set', 'ü', `✓${k}`]])
  /** Length in bytes of the line that starts at the boundary line (the first record after the pad). */
  const boundaryLineLength = () => Buffer.byteLength(encodeRecord(afterTx(fill().seq + 2, 0)[0]))

  /**
   * A journal of a bit over 1 MiB where the line at `boundaryLine` is placed so
   * that the 1 MiB mark falls `shift` bytes after its start (negative: before it).
   */
  function bigJournal(shift: number): {path: string; text: string; boundaryLine: number} {
    const f = fill()
    // A padding transaction sized so that the next line starts at MiB - shift
    // (the crc's digit count varies, so try a few key names until the size is exact).
    const want = MiB - shift - f.size
    let pad: string | undefined
    for (let k = 0; k < 20 && pad === undefined; k++) {
      const probe = (len: number) => enc(txn(f.seq, [['set', `pad${k}`, 'p'.repeat(len)]]))
      let len = Math.max(0, want - Buffer.byteLength(probe(0)) - 4)
      while (Buffer.byteLength(probe(len)) < want) len++
      if (Buffer.byteLength(probe(len)) === want) pad = probe(len)
    }
    if (pad === undefined) throw new Error(`cannot place the boundary (shift ${shift})`)
    let seq = f.seq + 2
    const after: string[] = []
    for (let k = 0; k < 50; k++) {
      const t = afterTx(seq, k)
      seq += t.length
      after.push(enc(t))
    }
    const text = f.text + pad + after.join('')
    return {path: writeJournal(text), text, boundaryLine: f.size + want}
  }

  // shift: where the 1 MiB mark falls relative to the start of the line at boundaryLine.
  // 0: the previous newline is the chunk's last byte; -1: it is the next chunk's first
  // byte; L-1: this line is whole in the chunk but its newline is not.
  it.each(['0', '1', '2', '30', 'L-2', 'L-1', 'L+1', '-1', '-2'])('1 MiB mark at line start + %s: same as reading the whole file', async (name) => {
    const L = boundaryLineLength()
    const shift = Number(name.replace('L', String(L)).replace(/(\d+)([+-])(\d+)/, (_m, a, op, b) => String(op === '+' ? +a + +b : +a - +b)))
    const {path, text, boundaryLine} = bigJournal(shift)
    expect(Buffer.byteLength(text)).toBeGreaterThan(MiB)
    expect(boundaryLine + shift).toBe(MiB)
    const whole = scanWhole(path, 0)
    const chunked = await scanChunked(path)
    expect(chunked.result).toEqual(whole.result)
    expect(chunked.commits).toEqual(whole.commits)
    expect(chunked.lines).toEqual(whole.lines)
    expect(whole.result.stoppedAt).toBeNull()
    expect(whole.result.point).toBe(Buffer.byteLength(text))
    expect(whole.commits.length).toBeGreaterThan(2000)
  })

  it('damage straddling the boundary stops at the same place', async () => {
    const {text, boundaryLine} = bigJournal(10)
    const b = Buffer.from(text)
    b[boundaryLine + 20] ^= 0x01 // inside the line that crosses 1 MiB
    const path = writeJournal(b)
    const whole = scanWhole(path, 0)
    const chunked = await scanChunked(path)
    expect(whole.result.stoppedAt).toEqual({offset: boundaryLine, reason: 'bad-checksum'})
    expect(chunked.result).toEqual(whole.result)
    expect(chunked.commits).toEqual(whole.commits)
    expect(chunked.lines).toEqual(whole.lines)
  })

  it('a torn tail right after the boundary', async () => {
    const {text, boundaryLine} = bigJournal(0)
    const path = writeJournal(Buffer.from(text).subarray(0, boundaryLine + 7))
    const chunked = await scanChunked(path)
    expect(chunked.result.stoppedAt).toEqual({offset: boundaryLine, reason: 'torn'})
    expect(chunked.result.point).toBe(boundaryLine) // the pad transaction ends right there
    expect(chunked).toEqual(scanWhole(path, 0))
  })

  it('a single line longer than the chunk (2.5 MiB value) and lines after it', async () => {
    const big = txn(1, [['set', 'huge', 'x'.repeat(2.5 * MiB)], ['set', 'small', 'y']])
    const rest = txn(4, [['set', 'after', 'z']])
    const path = writeJournal(enc([...big, ...rest]))
    const chunked = await scanChunked(path)
    expect(chunked.commits.map((c) => c.commitSeq)).toEqual([3, 5])
    expect((chunked.commits[0].records[0] as {value: string}).value).toHaveLength(2.5 * MiB)
    expect(chunked).toEqual(scanWhole(path, 0))
  })

  it('from an offset past the first chunk, mid-file', async () => {
    const {path, boundaryLine} = bigJournal(40)
    const chunked = await scanChunked(path, boundaryLine)
    expect(chunked.result.from).toBe(boundaryLine)
    expect(chunked.lines[0].offset).toBe(boundaryLine)
    expect(chunked.result.stoppedAt).toBeNull()
    expect(chunked).toEqual(scanWhole(path, boundaryLine))
  })
})
