// The pending records of a view's scopes, applied virtually (txdir.ts).
import {join} from 'node:path'
import type {AppendEntry, CommitRecord} from './commit-record.js'
import {spliceAppend} from './apply-record.js'
import {childNames, normDir, normRel} from './tx-paths.js'
import {tempOf} from './layout.js'
import {listDisk, readAbs} from './tx-disk.js'
import type {Reader} from './txdir.js'

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
export function overlayReader(root: string, overlay: Map<string, PendingOp[]>): Reader {
  return {
    read: (rel) => readThrough(root, normRel(rel), overlay.get(normRel(rel))),
    async list(relDir) {
      const dir = normDir(relDir)
      return childNames(await listDisk(root, dir), dir, overlay, (ops) => ops[ops.length - 1].op === 'remove')
    },
    async source(rel) {
      const n = normRel(rel)
      return overlay.has(n) ? ((await readThrough(root, n, overlay.get(n))) ?? Buffer.alloc(0)) : join(root, n)
    },
  }
}
