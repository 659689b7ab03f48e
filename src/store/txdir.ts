// A transactional directory (a tiny jbd2). A transaction stages writes,
// appends and removes in memory; commit writes every new image to a temp
// next to its target, then a checksummed commit record (the commit point),
// then applies the record (append at recorded offsets, renames, unlinks) and
// deletes it. Every apply step is idempotent, so whoever next takes an
// intersecting scope lock can roll a dead writer's record forward; readers
// apply it virtually. Paths are relative to root and use '/'. Reserved: the
// top-level `commit/` and `lock/` directories and names ending in `.tmp`.
import {constants} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, posix} from 'node:path'
import {DlmError, StateCorrupt} from '../errors.js'
import {afterCommitPoint, withEnvErrors} from './envfail.js'
import {ensureDir, fsyncDir, writeFileDurable, writeNewFileSynced} from './durable.js'
import {crashPoint, errnoOf, io} from './io.js'
import {acquireScopes, orderScopes, type HeldLocks} from './filelock.js'

const CRC32C = createRequire(import.meta.url)('crc-32/crc32c.js') as {str(s: string): number}

export interface TxOptions {
  root: string
  scopes: string[]
  waitMs: number
  /**
   * The contract (contract.ts guardOf): the scope that guards a path. When given,
   * staging a change to a path outside opts.scopes throws at once (a bug).
   */
  guardOf?: (rel: string) => string | null
}

/** Throws (INTERNAL: a bug, never the operator's doing) unless one of `held` guards `rel`. */
function requireGuarded(rel: string, held: ReadonlySet<string>, guardOf: (rel: string) => string | null): void {
  const g = guardOf(rel)
  if (g === null || !held.has(g)) {
    throw new DlmError(
      'INTERNAL',
      `programming error: a change to ${rel} was staged ${g === null ? 'but no scope guards that path' : `without holding its scope ${g}`} (held: ${[...held].join(', ') || 'none'})`,
    )
  }
}

export interface Reader {
  read(rel: string): Promise<Buffer | null>
  /** Sorted entry names; [] if the directory is missing; never *.tmp (nor commit/, lock/ at top level). */
  list(relDir: string): Promise<string[]>
  /**
   * Where to stream a (possibly big) file from: its absolute path when the disk
   * holds what this reader must see, else its content with the pending records
   * applied. Journals are scanned through this, never by path directly.
   */
  source(rel: string): Promise<string | Buffer>
  /**
   * Optional (the etcd backend): at least the last `bytes` of an append-only
   * file, starting on a line, without reading the whole of it. Without it,
   * callers read the tail through source().
   */
  tail?(rel: string, bytes: number): Promise<Buffer>
}

export interface Tx extends Reader {
  /** Staged whole-file replace; last write wins; reads in this tx see it. A Buffer is kept, not copied: do not change it afterwards. */
  write(rel: string, data: string | Buffer): void
  /** Staged append (UTF-8 data) to an append-only file, created if missing. */
  append(rel: string, data: string | Buffer): void
  /** Staged delete (no error if the file is missing). */
  remove(rel: string): void
}

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
const RECORD_RE = /^([0-9a-z-]+)\.json$/

/** True for the names of store temp files (never data). */
export const isTempName = (name: string): boolean => name.endsWith('.tmp')

let txSeq = 0
/** Time-ordered (ms, base36, fixed width) and unique (pid + per-process counter). */
const newTxid = (): string =>
  `${Date.now().toString(36).padStart(9, '0')}-${process.pid.toString(36)}-${(txSeq++).toString(36).padStart(4, '0')}`

const tempOf = (abs: string, txid: string): string => `${abs}.tx-${txid}.tmp`

function normRel(rel: string): string {
  const n = posix.normalize(rel)
  if (!rel || rel.includes('\0') || n.startsWith('/') || n === '.' || n === '..' || n.startsWith('../') || n.endsWith('/'))
    throw new DlmError('INTERNAL', `invalid state path ${JSON.stringify(rel)}`)
  return n
}

/** '' for the root; normalised without trailing slash otherwise. */
function normDir(relDir: string): string {
  const n = posix.normalize(relDir || '.').replace(/\/+$/, '')
  return n === '.' ? '' : normRel(n)
}

function checkStagePath(rel: string): string {
  const n = normRel(rel)
  if (/^(commit|lock)(\/|$)/.test(n) || isTempName(n)) throw new DlmError('INTERNAL', `reserved state path ${JSON.stringify(rel)}`)
  return n
}

/** Staged data as bytes: a Buffer is taken as it is (not copied: a bucket image is a megabyte; the caller leaves it alone). */
export const toBuf = (d: string | Buffer): Buffer => (typeof d === 'string' ? Buffer.from(d, 'utf8') : d)

async function readAbs(abs: string): Promise<Buffer | null> {
  try {
    return await io.readFile(abs)
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null
    throw e
  }
}

async function readdirAbs(abs: string): Promise<string[]> {
  try {
    return await io.readdir(abs)
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return []
    throw e
  }
}

async function listDisk(root: string, dir: string): Promise<Set<string>> {
  const names = (await readdirAbs(join(root, dir))).filter((n) => !isTempName(n) && !(dir === '' && (n === 'commit' || n === 'lock')))
  return new Set(names)
}

/** Name of the entry directly under `dir` that `rel` lives in, or null. */
function childOf(dir: string, rel: string): {name: string; direct: boolean} | null {
  if (dir !== '' && !rel.startsWith(dir + '/')) return null
  const rest = dir === '' ? rel : rel.slice(dir.length + 1)
  const i = rest.indexOf('/')
  return i < 0 ? {name: rest, direct: true} : {name: rest.slice(0, i), direct: false}
}

async function requireRoot(root: string): Promise<void> {
  try {
    if ((await io.stat(root)).isDirectory()) return
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT' && errnoOf(e) !== 'ENOTDIR') throw e
  }
  throw new DlmError('NO_STATE', `no state directory at ${root} (create one with: dlmctl init, or give --state DIR / DLMCTL_STATE)`)
}

// ---------------------------------------------------------------- records

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
  if (typeof crc !== 'number' || (CRC32C.str(JSON.stringify(body)) >>> 0) !== crc) {
    const temps = isStrArr(body.writes) ? body.writes.filter(validRel).map((w) => `${w}.tx-${txid}.tmp`) : []
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
  for (const name of (await readdirAbs(join(root, 'commit'))).sort()) {
    const m = RECORD_RE.exec(name)
    if (!m) continue // e.g. a writeFileDurable temp of a record being written
    const buf = await readAbs(join(root, 'commit', name))
    if (buf === null) continue // applied and deleted by its (live) owner meanwhile
    const file = `commit/${name}`
    out.push(TXID_RE.test(m[1]) ? parseRecord(file, m[1], buf) : {file, txid: m[1], ok: false, torn: true, why: 'bad txid', temps: []})
  }
  return out
}

async function unlinkIfPresent(abs: string): Promise<void> {
  try {
    await io.unlink(abs)
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e
  }
}

/** Drop a torn record and the temps it names. */
async function discardTorn(root: string, p: Extract<PendingRecord, {ok: false}>): Promise<void> {
  await Promise.all(p.temps.map((t) => unlinkIfPresent(join(root, t))))
  await unlinkIfPresent(join(root, p.file))
  await fsyncDir(join(root, 'commit'))
}

/**
 * An append of a commit record meets the file as it is: `size` bytes, of which
 * `have` (at the record's offset, at most the data's length) are already there.
 * Fewer bytes than the offset, or bytes that differ from the record's, are damage:
 * never overwritten, whoever finds them (a roll-forward or a reader).
 */
function checkAppendTarget(a: AppendEntry, txid: string, size: number, have: Buffer): void {
  if (size < a.offset) throw new StateCorrupt(a.path, `${size} bytes, shorter than commit record ${txid} says (${a.offset})`)
  const data = Buffer.from(a.data, 'utf8')
  if (!have.equals(data.subarray(0, have.length)))
    throw new StateCorrupt(a.path, `bytes at offset ${a.offset} differ from what commit record ${txid} appends there (damaged, or changed by something else than dlmctl)`)
}

/** New content of a file after the append of record `txid` — the same bytes applyAppend produces. */
function spliceAppend(cur: Buffer | null, a: AppendEntry, txid: string): Buffer {
  const data = Buffer.from(a.data, 'utf8')
  const base = cur ?? Buffer.alloc(0)
  checkAppendTarget(a, txid, base.length, base.subarray(a.offset, a.offset + data.length))
  return Buffer.concat([base.subarray(0, a.offset), data, base.subarray(a.offset + data.length)])
}

/**
 * Append at the recorded offset, idempotently. Always fsyncs before returning,
 * even when the bytes were already there: they may be the unsynced write of a
 * writer that died, and the record is deleted once this returns.
 */
async function applyAppend(root: string, a: AppendEntry, txid: string): Promise<void> {
  const data = Buffer.from(a.data, 'utf8')
  await ensureDir(root, posix.dirname(a.path))
  const fh = await io.open(join(root, a.path), constants.O_RDWR | constants.O_CREAT, 0o600)
  try {
    const size = (await io.fstat(fh)).size
    const have = Buffer.alloc(Math.max(0, Math.min(size - a.offset, data.length)))
    if (have.length > 0) await io.read(fh, have, a.offset)
    checkAppendTarget(a, txid, size, have)
    if (have.length < data.length) await io.write(fh, data.subarray(have.length), a.offset + have.length)
    await io.fsync(fh)
  } finally {
    await io.close(fh)
  }
}

/** Steps c–d: idempotent, so it is also the roll-forward of a dead writer's record. */
async function applyRecord(root: string, r: CommitRecord): Promise<void> {
  const dirs = new Set<string>()
  for (const a of r.appends) {
    await applyAppend(root, a, r.txid)
    dirs.add(dirname(join(root, a.path)))
  }
  for (const w of r.writes) {
    crashPoint('commit.apply')
    const abs = join(root, w)
    try {
      await io.rename(tempOf(abs, r.txid), abs)
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e // ENOENT: renamed before a crash
    }
    dirs.add(dirname(abs))
  }
  for (const rm of r.removes) {
    await unlinkIfPresent(join(root, rm))
    dirs.add(dirname(join(root, rm)))
  }
  await Promise.all([...dirs].map(fsyncDir))
  crashPoint('commit.after-apply')
  await unlinkIfPresent(join(root, 'commit', `${r.txid}.json`))
  await fsyncDir(join(root, 'commit'))
}

// ---------------------------------------------------------------- commit

/** A staged change to one path (both backends stage the same way). */
export type Staged = {kind: 'write'; data: Buffer} | {kind: 'remove'} | {kind: 'append'; data: Buffer}

/** An append staged after a write, a remove or an append of the same path: one op per path. */
export const foldAppend = (prev: Staged | undefined, data: Buffer): Staged =>
  prev?.kind === 'write' || prev?.kind === 'append'
    ? {kind: prev.kind, data: Buffer.concat([prev.data, data])}
    : {kind: prev ? 'write' : 'append', data}

/** A transaction's write, remove and append, each staged through `stage` (one op per path; both backends). */
export const stagedWrites = (stage: (rel: string, op: (prev: Staged | undefined) => Staged) => void): Pick<Tx, 'write' | 'remove' | 'append'> => ({
  write: (rel, data) => stage(rel, () => ({kind: 'write', data: toBuf(data)})),
  remove: (rel) => stage(rel, () => ({kind: 'remove'})),
  append: (rel, data) => stage(rel, (prev) => foldAppend(prev, toBuf(data))),
})

async function fileSize(abs: string): Promise<number> {
  try {
    return (await io.stat(abs)).size
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return 0
    throw e
  }
}

/**
 * Remove temps in the directories we are about to write: we hold their scope's
 * lock and pending records were rolled forward, so any temp there belongs to a
 * writer that died before its commit point (or a killed single-file write).
 */
async function sweepTemps(root: string, dirs: Iterable<string>): Promise<void> {
  for (const d of dirs) {
    let names: string[]
    try {
      names = await io.readdir(join(root, d))
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') continue
      throw e
    }
    await Promise.all(names.filter(isTempName).map((n) => unlinkIfPresent(join(root, d, n))))
  }
}

/**
 * An append must start on a line of its own: refuse a file that ends mid-line (a
 * torn tail), unless the appended data itself starts with a newline (the caller
 * deliberately completes the torn line first).
 */
async function requireWholeLines(root: string, rel: string, data: string): Promise<number> {
  const size = await fileSize(join(root, rel))
  if (size === 0 || data.startsWith('\n')) return size
  const fh = await io.open(join(root, rel), 'r')
  try {
    const b = Buffer.alloc(1)
    await io.read(fh, b, size - 1)
    if (b[0] !== 0x0a) throw new StateCorrupt(rel, 'ends in a torn line (truncated?): nothing can be appended after it safely')
  } finally {
    await io.close(fh)
  }
  return size
}

async function commit(root: string, scopes: string[], staged: Map<string, Staged>): Promise<void> {
  if (staged.size === 0) return
  await sweepTemps(root, new Set([...staged.keys()].map((rel) => posix.dirname(rel))))
  if (staged.size === 1) {
    // A single replace or unlink is atomic by itself: no record needed.
    // The rename or unlink is the commit point: a failing fsync after it is reported, not failed.
    const [[rel, op]] = staged
    const durable = 'making it durable (the directory fsync) failed: if the power fails before the system writes it back, the change may be lost; run: dlmctl check'
    if (op.kind === 'write') return writeFileDurable(root, rel, op.data, (fsync) => afterCommitPoint(root, scopes, fsync, durable))
    if (op.kind === 'remove') {
      await unlinkIfPresent(join(root, rel))
      return afterCommitPoint(root, scopes, () =>
        fsyncDir(dirname(join(root, rel))).catch((e) => {
          if (errnoOf(e) !== 'ENOENT') throw e
        }), durable)
    }
  }
  const txid = newTxid()
  const writes: [string, Buffer][] = []
  const removes: string[] = []
  const appends: AppendEntry[] = []
  for (const [rel, op] of staged) {
    if (op.kind === 'write') writes.push([rel, op.data])
    else if (op.kind === 'remove') removes.push(rel)
    else {
      const data = op.data.toString('utf8')
      if (!Buffer.from(data, 'utf8').equals(op.data)) throw new DlmError('INTERNAL', `append to ${rel}: data is not UTF-8`)
      appends.push({path: rel, offset: await requireWholeLines(root, rel, data), data})
    }
  }
  // a. new images into temps, in parallel; then fsync their directories.
  const tmpDirs = [...new Set(writes.map(([rel]) => posix.dirname(rel)))]
  await Promise.all(tmpDirs.map((d) => ensureDir(root, d)))
  try {
    await Promise.all(writes.map(([rel, data]) => writeNewFileSynced(tempOf(join(root, rel), txid), data)))
    await Promise.all(tmpDirs.map((d) => fsyncDir(join(root, d))))
  } catch (e) {
    await Promise.all(writes.map(([rel]) => unlinkIfPresent(tempOf(join(root, rel), txid)).catch(() => {})))
    throw e
  }
  crashPoint('commit.before-record')
  // b. the commit point. Key order matters: the CRC covers JSON.stringify(body).
  const body = {v: 1 as const, txid, scopes, writes: writes.map(([rel]) => rel), removes, appends}
  const record: CommitRecord = {...body, crc: CRC32C.str(JSON.stringify(body)) >>> 0}
  const recordRel = `commit/${txid}.json`
  try {
    // Renamed into commit/, the record is the commit point: a failing fsync of commit/ after it is reported, not failed.
    await writeFileDurable(root, recordRel, JSON.stringify(record), (fsync) =>
      afterCommitPoint(root, scopes, fsync, 'making its commit record durable (the fsync of commit/) failed: if the power fails before the system writes it back, the change may be lost; run: dlmctl check'),
    )
  } catch (e) {
    // Only drop the temps if the record surely is not there; otherwise the next opener rolls forward.
    if ((await readAbs(join(root, recordRel)).catch(() => Buffer.alloc(0))) === null)
      await Promise.all(writes.map(([rel]) => unlinkIfPresent(tempOf(join(root, rel), txid)).catch(() => {})))
    throw e
  }
  crashPoint('commit.after-record')
  // c–d. The change is committed: an environment error from here on leaves the
  // record for the next opener to finish, and the command reports success.
  await afterCommitPoint(root, scopes, () => applyRecord(root, record))
}

// ---------------------------------------------------------------- overlay
//
// A reader sees exactly the old or the new state: the disk plus every pending
// record of its scopes, applied virtually in commit order. The entry points are
// pendingOverlay (records → per-path operations) and readThrough (one path's
// content through its operations); a new kind of record adds its operations to
// pendingOverlay and, if they are not whole-file images, a case to readThrough.

/** One pending operation on a path. */
export type PendingOp = {txid: string; op: 'write' | 'remove' | AppendEntry}

/** path → the pending operations on it, in commit order (records are given in commit order). */
export function pendingOverlay(records: CommitRecord[]): Map<string, PendingOp[]> {
  const overlay = new Map<string, PendingOp[]>()
  const add = (rel: string, v: PendingOp) => {
    const ops = overlay.get(rel)
    if (ops) ops.push(v)
    else overlay.set(rel, [v])
  }
  for (const r of records) {
    r.appends.forEach((a) => add(a.path, {txid: r.txid, op: a}))
    r.writes.forEach((w) => add(w, {txid: r.txid, op: 'write'}))
    r.removes.forEach((rm) => add(rm, {txid: r.txid, op: 'remove'}))
  }
  return overlay
}

/** A file's content with its pending operations applied (null: it does not exist). */
export async function readThrough(root: string, rel: string, ops: PendingOp[] | undefined): Promise<Buffer | null> {
  let cur = await readAbs(join(root, rel))
  for (const {txid, op} of ops ?? []) {
    if (op === 'remove') cur = null
    else if (op === 'write') cur = (await readAbs(tempOf(join(root, rel), txid))) ?? cur // temp gone: already renamed
    else cur = spliceAppend(cur, op, txid)
  }
  return cur
}

/** The Reader of a view: the disk through an overlay of pending records. */
function overlayReader(root: string, overlay: Map<string, PendingOp[]>): Reader {
  return {
    read: (rel) => readThrough(root, normRel(rel), overlay.get(normRel(rel))),
    async list(relDir) {
      const dir = normDir(relDir)
      const names = await listDisk(root, dir)
      for (const [rel, ops] of overlay) {
        const c = childOf(dir, rel)
        if (!c) continue
        if (ops[ops.length - 1].op !== 'remove') names.add(c.name)
        else if (c.direct) names.delete(c.name)
      }
      return [...names].sort()
    },
    async source(rel) {
      const n = normRel(rel)
      return overlay.has(n) ? ((await readThrough(root, n, overlay.get(n))) ?? Buffer.alloc(0)) : join(root, n)
    },
  }
}

// ---------------------------------------------------------------- API

/**
 * Run fn under exclusive locks on opts.scopes and commit what it staged,
 * atomically. Pending records of dead writers that intersect the scopes are
 * rolled forward first (widening the lock set to the records' scopes if
 * needed). If fn throws nothing is written. Locks are always released.
 */
export function transact<T>(opts: TxOptions, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withEnvErrors(opts.root, () => transactRaw(opts, fn))
}

async function transactRaw<T>(opts: TxOptions, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const {root, waitMs} = opts
  await requireRoot(root)
  const scopes = orderScopes(opts.scopes)
  let held = new Set(scopes)
  let locks: HeldLocks = await acquireScopes(root, scopes, {shared: false, waitMs})
  try {
    // Records of scopes we do not hold (their writer may be alive): left alone, but
    // read through like a view does, for the files read without their lock.
    let others: CommitRecord[] = []
    for (;;) {
      const mine: CommitRecord[] = []
      others = []
      const need = new Set(held)
      for (const p of await pendingRecords(root)) {
        if (!p.ok) {
          if (!p.torn) throw new StateCorrupt(p.file, p.why)
          await discardTorn(root, p)
        } else if (p.record.scopes.some((s) => held.has(s))) {
          mine.push(p.record)
          p.record.scopes.forEach((s) => need.add(s))
        } else others.push(p.record)
      }
      if (need.size === held.size) {
        for (const r of mine) await applyRecord(root, r)
        break
      }
      // A dead writer's record spans scopes we do not hold: retake the union in global order.
      await locks.release()
      held = need
      locks = await acquireScopes(root, [...held], {shared: false, waitMs})
    }

    const staged = new Map<string, Staged>()
    // The scopes asked for, not those widened to for a roll-forward: the contract is the caller's.
    const scopeSet = new Set(scopes)
    let open = true
    const stage = (rel: string, op: (prev: Staged | undefined) => Staged) => {
      if (!open) throw new DlmError('INTERNAL', 'transaction already finished')
      const n = checkStagePath(rel)
      if (opts.guardOf) requireGuarded(n, scopeSet, opts.guardOf)
      staged.set(n, op(staged.get(n)))
    }
    const ahead = overlayReader(root, pendingOverlay(others))
    const tx: Tx = {
      async read(rel) {
        const n = normRel(rel)
        const op = staged.get(n)
        if (op?.kind === 'write') return Buffer.from(op.data)
        if (op?.kind === 'remove') return null
        const cur = await ahead.read(n)
        return op ? Buffer.concat([cur ?? Buffer.alloc(0), op.data]) : cur
      },
      async list(relDir) {
        const dir = normDir(relDir)
        const names = new Set(await ahead.list(dir))
        for (const [rel, op] of staged) {
          const c = childOf(dir, rel)
          if (!c) continue
          if (op.kind !== 'remove') names.add(c.name)
          else if (c.direct) names.delete(c.name)
        }
        return [...names].sort()
      },
      // Our scopes' pending records were rolled forward above: the disk is current for them.
      async source(rel) {
        const n = normRel(rel)
        return staged.has(n) ? ((await tx.read(n)) ?? Buffer.alloc(0)) : ahead.source(n)
      },
      ...stagedWrites(stage),
    }
    let result: T
    try {
      result = await fn(tx)
    } finally {
      open = false
    }
    await commit(root, scopes, staged)
    return result
  } finally {
    await locks.release()
  }
}

/**
 * Run fn with shared locks on opts.scopes (a missing lock file: no lock, as
 * nothing was ever written under it). Never modifies the directory. Records
 * of dead writers intersecting the scopes are applied virtually.
 */
export function view<T>(opts: TxOptions, fn: (r: Reader) => Promise<T>): Promise<T> {
  return withEnvErrors(opts.root, () => viewRaw(opts, fn))
}

async function viewRaw<T>(opts: TxOptions, fn: (r: Reader) => Promise<T>): Promise<T> {
  const {root} = opts
  await requireRoot(root)
  const scopes = new Set(orderScopes(opts.scopes))
  const locks = await acquireScopes(root, [...scopes], {shared: true, waitMs: opts.waitMs})
  try {
    const records: CommitRecord[] = []
    for (const p of await pendingRecords(root)) {
      if (!p.ok) {
        if (!p.torn) throw new StateCorrupt(p.file, p.why)
        continue // torn: never applied
      }
      if (p.record.scopes.some((s) => scopes.has(s))) records.push(p.record) // else someone else's, maybe alive
    }
    const reader = overlayReader(root, pendingOverlay(records))
    return await fn(reader)
  } finally {
    await locks.release()
  }
}
