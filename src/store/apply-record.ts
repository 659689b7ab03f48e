// Applying a commit record (txdir.ts steps c–d): its appends at their recorded
// offsets, its renames and unlinks, then the record's deletion. Every step is
// idempotent, so the same code rolls a dead writer's record forward; spliceAppend
// is the same append done in memory, for readers that apply records virtually.
import {constants} from 'node:fs'
import {dirname, join, posix} from 'node:path'
import {StateCorrupt} from '../errors.js'
import {ensureDir, fsyncDir} from './durable.js'
import {crashPoint, errnoOf, io} from './io.js'
import type {AppendEntry, CommitRecord} from './commit-record.js'
import {COMMIT_DIR, commitRecordFile, tempOf} from './layout.js'
import {unlinkIfPresent} from './tx-disk.js'

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
export function spliceAppend(cur: Buffer | null, a: AppendEntry, txid: string): Buffer {
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
export async function applyRecord(root: string, r: CommitRecord): Promise<void> {
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
  await unlinkIfPresent(join(root, commitRecordFile(r.txid)))
  await fsyncDir(join(root, COMMIT_DIR))
}
