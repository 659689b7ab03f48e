// Scope locks: one kernel OFD lock (fcntl F_OFD_SETLK) per scope on
// <root>/lock/<scope>.lock. The kernel drops them when the holder dies, so a
// lock can never go stale and needs no owner/pid bookkeeping.
import {constants} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {DlmError, StoreBusy} from '../errors.js'
import {fsyncDir} from './durable.js'
import {errnoOf, io, type FileHandle} from './io.js'
import {clearHolder, describeHolder, readHolder, recordHolder, type Holder} from './holder.js'
import {LOCK_DIR, SCOPE_MEMBERSHIP, domainOfScope, lockFile} from './layout.js'

/**
 * Told (once per scope) when a command starts waiting for a busy scope, with its
 * holder if known: the CLI shows a line on a terminal so no wait is silent.
 */
const WAIT_NOTICE_MS = 300

export const busyWatch: {onWait?: (scope: string, holder: Holder | undefined, text: string) => void} = {}

interface Binding {
  /** Throws EAGAIN when another open file description holds a conflicting lock. */
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void
  unlock(fd: number, offset: number, length: number): void
}
let binding: Binding | undefined

/**
 * fs-native-extensions' prebuilt binary, loaded directly: its own loader
 * (require-addon) costs ~10 ms of every command's start-up. Beside the bundle
 * (dist/ → ../node_modules, where Node's resolution looks first) it is opened
 * with process.dlopen, without resolving the package (another ~3 ms: its
 * package.json, realpath); elsewhere (hoisted into a parent node_modules, or
 * run from the sources) through require.resolve, and where no prebuild matches
 * this platform through the package's own loader.
 */
function native(): Binding {
  if (binding) return binding
  const prebuild = join('prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node')
  try {
    const mod = {exports: {}}
    process.dlopen(mod, join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'fs-native-extensions', prebuild))
    return (binding = mod.exports as Binding)
  } catch {
    // not beside the bundle: resolve it
  }
  const require = createRequire(import.meta.url)
  const dir = dirname(require.resolve('fs-native-extensions'))
  try {
    binding = require(join(dir, prebuild)) as Binding
  } catch {
    binding = require(join(dir, 'binding.js')) as Binding
  }
  return binding
}

const fsx = {
  tryLock(fd: number, opts: {shared: boolean}): boolean {
    try {
      native().tryLock(fd, 0, 0, !opts.shared)
      return true
    } catch (e) {
      if (errnoOf(e) === 'EAGAIN') return false
      throw e
    }
  },
  unlock(fd: number): void {
    native().unlock(fd, 0, 0)
  },
}

export interface HeldLocks {
  /** The requested scopes, deduplicated, in lock order. */
  scopes: string[]
  /** Unlock and close everything; idempotent. */
  release(): Promise<void>
}

const SCOPE_RE = /^[A-Za-z0-9_][A-Za-z0-9._:@+-]*$/

function checkScope(scope: string): void {
  if (!SCOPE_RE.test(scope)) throw new DlmError('INTERNAL', `invalid lock scope ${JSON.stringify(scope)}`)
}

export const lockPath = (root: string, scope: string): string => join(root, lockFile(scope))

const rank = (s: string): number => (s === SCOPE_MEMBERSHIP ? 0 : domainOfScope(s) !== undefined ? 1 : s === 'events' ? 3 : 2)

/** The one global lock order (deadlock freedom): membership, domain.* by name, others by name, events last. */
export function orderScopes(scopes: Iterable<string>): string[] {
  return [...new Set(scopes)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
}

/** Create lock/ and the lock files of `scopes` (init time). */
export async function initLockFiles(root: string, scopes: string[]): Promise<void> {
  scopes.forEach(checkScope)
  await mkdirLockDir(root)
  for (const scope of scopes) await io.close(await io.open(lockPath(root, scope), constants.O_RDWR | constants.O_CREAT, 0o600))
  await fsyncDir(join(root, LOCK_DIR))
}

// Non-recursive on purpose: a missing root must fail, not be created.
async function mkdirLockDir(root: string): Promise<void> {
  try {
    await io.mkdir(join(root, LOCK_DIR), 0o700)
    await fsyncDir(root)
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw e
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Lock `scopes` in the global order. Exclusive: opens read-write, creating a
 * missing lock file. Shared: opens read-only and skips a missing lock file
 * (read-only commands create nothing). Takes all of them or none: retries with
 * capped, jittered backoff until waitMs (one deadline for the whole set), then
 * throws StoreBusy naming the scope that was busy.
 */
export async function acquireScopes(
  root: string,
  scopes: string[],
  opts: {shared: boolean; waitMs: number},
): Promise<HeldLocks> {
  const ordered = orderScopes(scopes)
  ordered.forEach(checkScope)
  const held: FileHandle[] = []
  const release = async () => {
    for (const fh of held.splice(0).reverse()) {
      try {
        if (!opts.shared && recorded) clearHolder(fh.fd)
        fsx.unlock(fh.fd)
      } catch {
        // close() drops the lock anyway
      }
      await io.close(fh).catch(() => {})
    }
  }
  const deadline = Date.now() + opts.waitMs
  let recorded = false
  const told = new Set<string>()
  const started = Date.now()
  try {
    const fds: {scope: string; fh: FileHandle}[] = []
    for (const scope of ordered) {
      let fh: FileHandle
      if (opts.shared) {
        try {
          fh = await io.open(lockPath(root, scope), 'r')
        } catch (e) {
          if (errnoOf(e) === 'ENOENT') continue
          throw e
        }
      } else {
        const flags = constants.O_RDWR | constants.O_CREAT
        try {
          fh = await io.open(lockPath(root, scope), flags, 0o600)
        } catch (e) {
          if (errnoOf(e) !== 'ENOENT') throw e
          await mkdirLockDir(root)
          fh = await io.open(lockPath(root, scope), flags, 0o600)
        }
      }
      held.push(fh)
      fds.push({scope, fh})
    }
    // All or nothing: never hold some scopes while waiting for another, so a
    // writer stuck behind one busy domain blocks no reader or writer elsewhere
    // (and, holding nothing while it waits, it cannot be part of a deadlock).
    let delay = 2
    for (;;) {
      const taken: FileHandle[] = []
      const busy = fds.find(({fh}) => {
        if (!fsx.tryLock(fh.fd, {shared: opts.shared})) return true
        taken.push(fh)
        return false
      })
      if (!busy) break
      for (const fh of taken) fsx.unlock(fh.fd)
      const left = deadline - Date.now()
      // Short waits (another command finishing) stay quiet, like progress lines.
      if (left <= 0 || (!told.has(busy.scope) && Date.now() - started >= WAIT_NOTICE_MS)) {
        const holder = readHolder(lockPath(root, busy.scope))
        const text = describeHolder(busy.scope, holder)
        if (left <= 0) throw new StoreBusy(busy.scope, opts.waitMs, {text, detail: {scope: busy.scope, holder: holder ?? null}})
        told.add(busy.scope)
        busyWatch.onWait?.(busy.scope, holder, text)
      }
      await sleep(Math.min(left, delay * (0.75 + Math.random() / 2)))
      delay = Math.min(delay * 2, 50)
    }
    if (!opts.shared) {
      for (const fh of held) recordHolder(fh.fd)
      recorded = true
      // Testing aid: stop here holding the locks, as Ctrl-Z on a writer would.
      if (process.env.DLMCTL_TEST_STOP_HOLDING) process.kill(process.pid, 'SIGSTOP')
    }
  } catch (e) {
    await release()
    throw e
  }
  return {scopes: ordered, release}
}
