// The single I/O seam of the store and the journals: every file-system call of
// src/store, src/journal and the core's state-directory code goes through the
// mutable `io` object, so tests can wrap a method to inject faults, kill the
// "process" at an operation, or model a power cut (test/unit/helpers/faultfs.ts),
// and restore it after. Every error leaving a method names its file (`path`),
// so an environment error can be reported as one line naming the file.
import * as fs from 'node:fs'
import type {Stats} from 'node:fs'

// Every call but fsync is a synchronous system call behind the async interface. The
// store's reads and writes are small or go to the page cache: a trip through libuv's
// thread pool for each (open, fstat, read, close of every file) cost more than the
// call itself, and starting the pool's threads was a good part of a read-only
// command's start-up. fsync waits on the device: it alone stays in the pool, so a
// commit's fsyncs of several files still overlap. Errors are thrown from the async
// methods, so callers and fault-injection wrappers see a rejected promise either way.

// Synchronous calls never give the event loop a turn by themselves (awaiting a settled
// promise runs as a microtask): a long run of them — a plan over a million locks — would hold
// off signal handlers (Ctrl-C while "computing the plan…" must cancel at once), timers and
// the other side of a pipe. So an io call made YIELD_MS or more after the loop's last turn
// takes one first (setImmediate: after pending signals and I/O), as the old asynchronous
// calls did on every call.
const YIELD_MS = 50
let lastTurn = Date.now()

async function turn(): Promise<void> {
  if (Date.now() - lastTurn < YIELD_MS) return
  await new Promise<void>((resolve) => setImmediate(resolve))
  lastTurn = Date.now()
}

/** An open file of the store: its descriptor, and the path it was opened by (for error messages and fault models). */
export class FileHandle {
  #fd: number
  constructor(
    fd: number,
    readonly path: string,
  ) {
    this.#fd = fd
  }

  /** The descriptor (-1 once closed). */
  get fd(): number {
    return this.#fd
  }

  /** Close once: a second close is a no-op (a descriptor closed twice could close a file opened since). */
  close(): void {
    if (this.#fd < 0) return
    const fd = this.#fd
    this.#fd = -1
    fs.closeSync(fd)
  }
}

/** Give an error the path it concerns when the OS call did not (fd-based calls). */
function withPath(e: unknown, path: string): unknown {
  if (e && typeof e === 'object' && !('path' in e)) Object.assign(e, {path})
  return e
}

function named<T>(path: string, call: () => T): T {
  try {
    return call()
  } catch (e) {
    throw withPath(e, path)
  }
}

export const io = {
  async open(path: string, flags: string | number, mode?: number): Promise<FileHandle> {
    await turn()
    return new FileHandle(named(path, () => fs.openSync(path, flags, mode)), path)
  },
  readFile: async (path: string): Promise<Buffer> => (await turn(), named(path, () => fs.readFileSync(path))),
  /** Reads up to buf.length bytes at `position`; returns the count read (short only at EOF). */
  async read(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
    await turn()
    let got = 0
    while (got < buf.length) {
      const bytesRead = named(fh.path, () => fs.readSync(fh.fd, buf, got, buf.length - got, position + got))
      if (bytesRead === 0) break
      got += bytesRead
    }
    return got
  },
  /** Writes all of data, at `position` (pwrite) or at the current offset. */
  async write(fh: FileHandle, data: Buffer, position?: number): Promise<void> {
    await turn()
    let done = 0
    while (done < data.length) {
      done += named(fh.path, () => fs.writeSync(fh.fd, data, done, data.length - done, position === undefined ? null : position + done))
    }
  },
  fsync: (fh: FileHandle): Promise<void> =>
    new Promise((resolve, reject) =>
      fs.fsync(fh.fd, (e) => (e ? reject(withPath(e, fh.path)) : resolve())),
    ),
  close: async (fh: FileHandle): Promise<void> => named(fh.path, () => fh.close()),
  fstat: async (fh: FileHandle): Promise<Stats> => named(fh.path, () => fs.fstatSync(fh.fd)),
  ftruncate: async (fh: FileHandle, len: number): Promise<void> => named(fh.path, () => fs.ftruncateSync(fh.fd, len)),
  rename: async (from: string, to: string): Promise<void> => fs.renameSync(from, to),
  unlink: async (path: string): Promise<void> => fs.unlinkSync(path),
  readdir: async (path: string): Promise<string[]> => (await turn(), named(path, () => fs.readdirSync(path))),
  stat: async (path: string): Promise<Stats> => (await turn(), fs.statSync(path)),
  mkdir: async (path: string, mode: number): Promise<void> => {
    fs.mkdirSync(path, {mode})
  },
  /** Remove a file or a whole directory tree (init clearing its own half-made directory). */
  rmTree: async (path: string): Promise<void> => fs.rmSync(path, {recursive: true, force: true}),
  chmod: async (path: string, mode: number): Promise<void> => fs.chmodSync(path, mode),
}

/** The names of io's methods, for wrappers. */
export type IoOp = keyof typeof io

/** errno code of a Node error, or undefined. */
export const errnoOf = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined

/** The store's named crash points, in the order a commit passes them (drills name them in `crash: {at: ...}`). */
export const CRASH_POINTS = ['commit.before-record', 'commit.after-record', 'commit.apply', 'commit.after-apply'] as const
export type CrashPointName = (typeof CRASH_POINTS)[number]

/**
 * Whether a kill at crash point `spec` (a DLMCTL_CRASH_POINT value) leaves the state
 * as it was before the command: the points before the commit record. From the
 * record on, the command's change happened (the next opener rolls it forward).
 */
export const beforeCommitPoint = (spec: string): boolean => spec.replace(/#.*$/, '') === 'commit.before-record'

/** A DLMCTL_CRASH_POINT value: a crash point, optionally #N for its N-th hit. */
export const CRASH_POINT_SPEC = new RegExp(`^(${CRASH_POINTS.map((p) => p.replaceAll('.', '\\.')).join('|')})(#[1-9][0-9]*)?$`)

// DLMCTL_CRASH_POINT=name kills at the first hit of `name`; name#N at the N-th
// hit in this process. Parsed once: crash points sit on hot paths.
let crashSpec: {name: string; nth: number} | null | undefined
const crashHits = new Map<string, number>()

/** Test/drill hook: SIGKILL ourselves here if DLMCTL_CRASH_POINT names this point. */
export function crashPoint(name: CrashPointName): void {
  if (crashSpec === undefined) {
    const env = process.env.DLMCTL_CRASH_POINT
    const m = env ? /^(.*?)(?:#(\d+))?$/.exec(env) : null
    crashSpec = m ? {name: m[1], nth: m[2] ? Number(m[2]) : 1} : null
  }
  if (crashSpec === null || crashSpec.name !== name) return
  const n = (crashHits.get(name) ?? 0) + 1
  crashHits.set(name, n)
  // DLMCTL_CRASH_SIGNAL=SIGSTOP pauses instead (a writer paused at its commit, resumed by SIGCONT).
  if (n === crashSpec.nth) process.kill(process.pid, process.env.DLMCTL_CRASH_SIGNAL === 'SIGSTOP' ? 'SIGSTOP' : 'SIGKILL')
}
