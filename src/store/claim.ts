// A claim: an exclusive scope lock held for the length of a long procedure (a
// `recover` of one file system), with a note of who holds it in the lock file
// so that a process that waits in vain can name the holder. The kernel drops
// the OFD lock when the holder dies, so a killed runner's claim goes with it;
// its note stays until the next holder overwrites it, and is only ever shown
// while the lock is held (by a live process).
import {constants} from 'node:fs'
import {DlmError, StoreBusy} from '../errors.js'
import {errnoOf, io} from './io.js'
import {withEnvErrors} from './envfail.js'
import {acquireScopes, lockPath, type HeldLocks} from './filelock.js'

export interface ClaimNote {
  pid: number
  what: string
  since: string
}

async function readNote(root: string, scope: string): Promise<ClaimNote | null> {
  try {
    const n = JSON.parse((await io.readFile(lockPath(root, scope))).toString('utf8')) as Partial<ClaimNote>
    return typeof n.pid === 'number' && typeof n.what === 'string' ? (n as ClaimNote) : null
  } catch {
    return null // no note yet, or being rewritten
  }
}

/** Take `scope` exclusively (waiting up to waitMs), note who holds it; BUSY names the holder. */
export function claim(root: string, scope: string, waitMs: number, note: Omit<ClaimNote, 'pid'>): Promise<HeldLocks> {
  return withEnvErrors(root, () => claimRaw(root, scope, waitMs, note))
}

async function claimRaw(root: string, scope: string, waitMs: number, note: Omit<ClaimNote, 'pid'>): Promise<HeldLocks> {
  let held: HeldLocks
  try {
    held = await acquireScopes(root, [scope], {shared: false, waitMs})
  } catch (e) {
    if (!(e instanceof StoreBusy)) throw e
    const h = await readNote(root, scope)
    const who = h ? `${h.what} (pid ${h.pid}, since ${h.since})` : 'another dlmctl'
    throw new DlmError('BUSY', `${scope} is held by ${who}, still running after ${waitMs / 1000}s (wait for it, or give a longer --wait)`, {
      scope,
      ...(h ? {holder: h} : {}),
    })
  }
  try {
    // A note only: no fsync (it means nothing once the holder is gone).
    const fh = await io.open(lockPath(root, scope), constants.O_WRONLY)
    try {
      await io.ftruncate(fh, 0)
      await io.write(fh, Buffer.from(JSON.stringify({pid: process.pid, ...note}) + '\n'))
    } finally {
      await io.close(fh)
    }
  } catch (e) {
    if (errnoOf(e) === undefined) {
      await held.release()
      throw e
    }
    // The note is a courtesy: a full disk must not stop a recovery.
  }
  return held
}
