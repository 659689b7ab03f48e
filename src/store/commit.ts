// Committing a transaction's staged changes (txdir.ts): a single write or remove
// atomically by itself; several through a commit record — a. new images into
// temps, b. the record (the commit point), c–d. applied and deleted.
import {dirname, join, posix} from 'node:path'
import {DlmError, StateCorrupt} from '../errors.js'
import {afterCommitPoint} from './envfail.js'
import {ensureDir, fsyncDir, writeFileDurable, writeNewFileSynced} from './durable.js'
import {crashPoint, errnoOf, io} from './io.js'
import {applyRecord} from './apply-record.js'
import {newTxid, sealRecord, type AppendEntry, type CommitRecord} from './commit-record.js'
import type {Staged} from './staging.js'
import {COMMIT_DIR, commitRecordFile, isTempName, tempOf} from './layout.js'
import {fileSize, readAbs, unlinkIfPresent} from './tx-disk.js'

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

export async function commit(root: string, scopes: string[], staged: Map<string, Staged>): Promise<void> {
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
  const record: CommitRecord = sealRecord(body)
  const recordRel = commitRecordFile(txid)
  try {
    // Renamed into commit/, the record is the commit point: a failing fsync of commit/ after it is reported, not failed.
    await writeFileDurable(root, recordRel, JSON.stringify(record), (fsync) =>
      afterCommitPoint(root, scopes, fsync, `making its commit record durable (the fsync of ${COMMIT_DIR}/) failed: if the power fails before the system writes it back, the change may be lost; run: dlmctl check`),
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
