// Errors of the environment on a state file (a directory where a file should
// be, permissions, a read-only or full file system, a failing disk): one line
// naming the file and what to do, exit 9 (STORE_IO). And the notices of a
// command whose change passed its commit point but could not be finished: the
// change is done (the command succeeds), the next command finishes writing it.
import {basename, isAbsolute, relative} from 'node:path'
import {DlmError, StoreIoError} from '../errors.js'
import {errnoOf} from './io.js'
import {fileOfTemp} from './layout.js'

/** What to tell the operator per errno (the message's tail). */
const ENV_ERRNO: Record<string, {what: string; todo: string}> = {
  EISDIR: {what: 'is a directory where a state file should be', todo: 'move that directory away, then run: dlmctl check'},
  ENOTDIR: {what: 'has a file where a directory of the state should be', todo: 'move that file away, then run: dlmctl check'},
  EACCES: {what: 'permission denied', todo: "run dlmctl as the state directory's owner, or fix the permissions of the state directory"},
  EPERM: {what: 'operation not permitted', todo: "run dlmctl as the state directory's owner, or fix the permissions (and attributes) of the state directory"},
  EROFS: {what: 'read-only file system', todo: 'remount the file system read-write, then run the command again'},
  ENOSPC: {what: 'no space left on device', todo: 'free space on that file system, then run the command again'},
  EDQUOT: {what: 'disk quota exceeded', todo: 'free space or raise the quota, then run the command again'},
  EIO: {what: 'I/O error', todo: 'the disk may be failing: check the system log (dmesg), then run: dlmctl check'},
}

/** True for an errno error of the environment (not a bug, not corruption). */
export const isEnvError = (e: unknown): boolean => !(e instanceof DlmError) && errnoOf(e) !== undefined && errnoOf(e)! in ENV_ERRNO

/**
 * The StoreIoError for an environment error, or null for anything else. The
 * file is named relative to the state directory when it lies inside it.
 */
export function storeIoError(e: unknown, root?: string): StoreIoError | null {
  if (!isEnvError(e)) return null
  const errno = errnoOf(e)!
  const raw = (e as {path?: unknown}).path
  let file = typeof raw === 'string' ? raw : root ?? 'the state directory'
  if (root && typeof raw === 'string' && isAbsolute(raw)) {
    const rel = relative(root, raw)
    if (rel === '') file = `state directory ${root}`
    else if (!rel.startsWith('..')) {
      // A file is written as a new copy beside it, then renamed: name the state file, and the copy.
      const copyOf = fileOfTemp(rel)
      file = copyOf !== undefined ? `state file ${copyOf} (its new copy ${basename(rel)}, in ${root})` : `state file ${rel} (in ${root})`
    }
  }
  const {what, todo} = ENV_ERRNO[errno]
  return new StoreIoError(`cannot use ${file}: ${what} (${errno}); ${todo}`, {file: typeof raw === 'string' ? raw : (root ?? ''), errno})
}

/** Run fn; an environment error leaves it as a StoreIoError. */
export async function withEnvErrors<T>(root: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw storeIoError(e, root) ?? e
  }
}

const notices: string[] = []

/**
 * A change passed its commit point but finishing it failed: say so once the
 * command reports success. `then`: what happens next (default: the next command
 * on the scopes rolls the commit record forward).
 */
export function noticeUnfinished(e: unknown, root: string, scopes: string[], then?: string): void {
  const err = storeIoError(e, root)
  notices.push(
    `warning: the change is committed, but writing it out failed (${err ? err.message : String(e)}); ${then ?? `the next dlmctl command on ${scopes.join(', ')} finishes writing it`}`,
  )
}

/** Run a step after a commit point: an environment error becomes a notice, anything else propagates. */
export async function afterCommitPoint(root: string, scopes: string[], step: () => Promise<void>, then?: string): Promise<void> {
  try {
    await step()
  } catch (e) {
    if (!isEnvError(e)) throw e
    noticeUnfinished(e, root, scopes, then)
  }
}

/** A warning to print once the command reports its result. */
export const pushNotice = (text: string): void => {
  notices.push(text)
}

/** The notices gathered so far (for stderr), emptied. */
export const takeNotices = (): string[] => notices.splice(0)
