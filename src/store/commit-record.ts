// A transaction's commit record (txdir.ts): what it says (the writes, removes and
// appends of one transaction), its txid, its CRC, and how the records found in
// commit/ are read back — valid, torn (power loss: discarded) or foreign (refused).
import {join} from 'node:path'
import {crc32cStr} from '../util/crc32c.js'
import {fsyncDir} from './durable.js'
import {checkStagePath} from './tx-paths.js'
import {COMMIT_DIR, commitRecordFile, tempOf, txidOfRecord} from './layout.js'
import {readAbs, readdirAbs, unlinkIfPresent} from './tx-disk.js'

export interface AppendEntry {
  path: string
  /** File size before the append: the append is a pwrite at this offset. */
  offset: number
  data: string
}

export interface CommitRecord {
  v: 1
  txid: string
  scopes: string[]
  writes: string[]
  removes: string[]
  appends: AppendEntry[]
  crc: number
}

/**
 * A record found in commit/. ok: valid, still to be applied. torn: bad JSON or
 * CRC (only power loss makes one) — discarded by the next transact. Not ok
 * and not torn: CRC is right but the content is not a v1 record (written by
 * another version, or a bug) — transact and view refuse with StateCorrupt.
 */
export type PendingRecord =
  | {file: string; txid: string; ok: true; record: CommitRecord}
  | {file: string; txid: string; ok: false; torn: boolean; why: string; /** temps it names */ temps: string[]}

const TXID_RE = /^[0-9a-z]+(?:-[0-9a-z]+)*$/

let txSeq = 0
/** Time-ordered (ms, base36, fixed width) and unique (pid + per-process counter). */
export const newTxid = (): string =>
  `${Date.now().toString(36).padStart(9, '0')}-${process.pid.toString(36)}-${(txSeq++).toString(36).padStart(4, '0')}`

/** The record of `body`: its fields, then the CRC of their JSON (in the key order written). */
export const sealRecord = (body: Omit<CommitRecord, 'crc'>): CommitRecord => ({...body, crc: crc32cStr(JSON.stringify(body))})

const isStrArr = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string')
const validRel = (s: string): boolean => {
  try {
    return checkStagePath(s) === s
  } catch {
    return false
  }
}

function parseRecord(file: string, txid: string, buf: Buffer): PendingRecord {
  const bad = (torn: boolean, why: string, temps: string[] = []): PendingRecord => ({file, txid, ok: false, torn, why, temps})
  let obj: unknown
  try {
    obj = JSON.parse(buf.toString('utf8'))
  } catch {
    return bad(true, 'not JSON')
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return bad(true, 'not a JSON object')
  // The CRC covers the JSON of the record without crc, in the key order written.
  const {crc, ...body} = obj as Record<string, unknown>
  if (typeof crc !== 'number' || crc32cStr(JSON.stringify(body)) !== crc) {
    const temps = isStrArr(body.writes) ? body.writes.filter(validRel).map((w) => tempOf(w, txid)) : []
    return bad(true, 'CRC mismatch', temps)
  }
  const r = obj as Partial<CommitRecord>
  const appends = r.appends
  if (
    r.v !== 1 ||
    r.txid !== txid ||
    !isStrArr(r.scopes) ||
    !isStrArr(r.writes) ||
    !r.writes.every(validRel) ||
    !isStrArr(r.removes) ||
    !r.removes.every(validRel) ||
    !Array.isArray(appends) ||
    !appends.every((a) => a && typeof a.path === 'string' && validRel(a.path) && Number.isSafeInteger(a.offset) && a.offset >= 0 && typeof a.data === 'string')
  )
    return bad(false, `not a v1 commit record for ${txid}`)
  return {file, txid, ok: true, record: r as CommitRecord}
}

/** All records in commit/, sorted by txid (= commit order), each validated. */
export async function pendingRecords(root: string): Promise<PendingRecord[]> {
  const out: PendingRecord[] = []
  for (const name of (await readdirAbs(join(root, COMMIT_DIR))).sort()) {
    const txid = txidOfRecord(name)
    if (txid === undefined) continue // e.g. a writeFileDurable temp of a record being written
    const file = commitRecordFile(txid)
    const buf = await readAbs(join(root, file))
    if (buf === null) continue // applied and deleted by its (live) owner meanwhile
    out.push(TXID_RE.test(txid) ? parseRecord(file, txid, buf) : {file, txid, ok: false, torn: true, why: 'bad txid', temps: []})
  }
  return out
}

/** Drop a torn record and the temps it names. */
export async function discardTorn(root: string, p: Extract<PendingRecord, {ok: false}>): Promise<void> {
  await Promise.all(p.temps.map((t) => unlinkIfPresent(join(root, t))))
  await unlinkIfPresent(join(root, p.file))
  await fsyncDir(join(root, COMMIT_DIR))
}
