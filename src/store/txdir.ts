// A transactional directory (a tiny jbd2). A transaction stages writes,
// appends and removes in memory; commit writes every new image to a temp
// next to its target, then a checksummed commit record (the commit point),
// then applies the record (append at recorded offsets, renames, unlinks) and
// deletes it. Every apply step is idempotent, so whoever next takes an
// intersecting scope lock can roll a dead writer's record forward; readers
// apply it virtually. Paths are relative to root and use '/'. Reserved: the
// top-level `commit/` and `lock/` directories and names ending in `.tmp`.
//
// This file is the API (transact, view); the parts live in tx-paths.ts (paths),
// tx-disk.ts (disk reads), commit-record.ts (the record), staging.ts (staged
// changes), commit.ts (commit), apply-record.ts (apply, roll forward) and
// pending-overlay.ts (readers' virtual apply).
import {StateCorrupt} from '../errors.js'
import {withEnvErrors} from './envfail.js'
import {acquireScopes, orderScopes, type HeldLocks} from './filelock.js'
import {applyRecord} from './apply-record.js'
import {commit} from './commit.js'
import {discardTorn, pendingRecords, type CommitRecord} from './commit-record.js'
import {overlayReader, pendingOverlay} from './pending-overlay.js'
import {readStaged, requireGuarded, staging} from './staging.js'
import {checkStagePath, childNames, normDir, normRel} from './tx-paths.js'
import {requireRoot} from './tx-disk.js'

// core/state.ts reads the pending records through the API.
export {pendingRecords}

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

    // The scopes asked for, not those widened to for a roll-forward: the contract is the caller's.
    const scopeSet = new Set(scopes)
    const {staged, writes, run} = staging((rel) => {
      const n = checkStagePath(rel)
      if (opts.guardOf) requireGuarded(n, scopeSet, opts.guardOf)
      return n
    })
    const ahead = overlayReader(root, pendingOverlay(others))
    const tx: Tx = {
      read(rel) {
        const n = normRel(rel)
        return readStaged(staged.get(n), () => ahead.read(n))
      },
      async list(relDir) {
        const dir = normDir(relDir)
        return childNames(await ahead.list(dir), dir, staged, (op) => op.kind === 'remove')
      },
      // Our scopes' pending records were rolled forward above: the disk is current for them.
      async source(rel) {
        const n = normRel(rel)
        return staged.has(n) ? ((await tx.read(n)) ?? Buffer.alloc(0)) : ahead.source(n)
      },
      ...writes,
    }
    const result = await run(() => fn(tx))
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
