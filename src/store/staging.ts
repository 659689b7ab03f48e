// What a transaction stages (both backends, txdir.ts and etcd/store.ts): one
// operation per path — a whole-file write, a remove, or an append folded into
// what was staged before it.
import {DlmError} from '../errors.js'
import type {Tx} from './txdir.js'

/** Staged data as bytes: a Buffer is taken as it is (not copied: a bucket image is a megabyte; the caller leaves it alone). */
export const toBuf = (d: string | Buffer): Buffer => (typeof d === 'string' ? Buffer.from(d, 'utf8') : d)

/** A staged change to one path (both backends stage the same way). */
export type Staged = {kind: 'write'; data: Buffer} | {kind: 'remove'} | {kind: 'append'; data: Buffer}

/** An append staged after a write, a remove or an append of the same path: one op per path. */
export const foldAppend = (prev: Staged | undefined, data: Buffer): Staged =>
  prev?.kind === 'write' || prev?.kind === 'append'
    ? {kind: prev.kind, data: Buffer.concat([prev.data, data])}
    : {kind: prev ? 'write' : 'append', data}

/** A file as a transaction sees it: `op`, what it staged for the path, over what the base has (`base`). */
export async function readStaged(op: Staged | undefined, base: () => Promise<Buffer | null>): Promise<Buffer | null> {
  if (op?.kind === 'write') return Buffer.from(op.data)
  if (op?.kind === 'remove') return null
  const cur = await base()
  return op ? Buffer.concat([cur ?? Buffer.alloc(0), op.data]) : cur
}

/** A transaction's write, remove and append, each staged through `stage` (one op per path; both backends). */
export const stagedWrites = (stage: (rel: string, op: (prev: Staged | undefined) => Staged) => void): Pick<Tx, 'write' | 'remove' | 'append'> => ({
  write: (rel, data) => stage(rel, () => ({kind: 'write', data: toBuf(data)})),
  remove: (rel) => stage(rel, () => ({kind: 'remove'})),
  append: (rel, data) => stage(rel, (prev) => foldAppend(prev, toBuf(data))),
})

/**
 * A transaction's staging (both backends): `check` takes a path as staged (its
 * normal form, or a throw: reserved, unguarded); `run` runs the transaction's
 * function, after which nothing more can be staged.
 */
export function staging(check: (rel: string) => string): {staged: Map<string, Staged>; writes: Pick<Tx, 'write' | 'remove' | 'append'>; run<T>(fn: () => Promise<T>): Promise<T>} {
  const staged = new Map<string, Staged>()
  let open = true
  const stage = (rel: string, op: (prev: Staged | undefined) => Staged) => {
    if (!open) throw new DlmError('INTERNAL', 'transaction already finished')
    const n = check(rel)
    staged.set(n, op(staged.get(n)))
  }
  return {
    staged,
    writes: stagedWrites(stage),
    async run(fn) {
      try {
        return await fn()
      } finally {
        open = false
      }
    },
  }
}

/** Throws (INTERNAL: a bug, never the operator's doing) unless one of `held` guards `rel`. */
export function requireGuarded(rel: string, held: ReadonlySet<string>, guardOf: (rel: string) => string | null): void {
  const g = guardOf(rel)
  if (g === null || !held.has(g)) {
    throw new DlmError(
      'INTERNAL',
      `programming error: a change to ${rel} was staged ${g === null ? 'but no scope guards that path' : `without holding its scope ${g}`} (held: ${[...held].join(', ') || 'none'})`,
    )
  }
}
