// The single I/O seam of the store and the journals: every file-system call of
// src/store, src/journal and the core's state-directory code goes through the
// mutable `io` object, so tests can wrap a method to inject faults, kill the
// "process" at an operation, or model a power cut (test/unit/helpers/faultfs.ts),
// and restore it after. Every error leaving a method names its file (`path`),
// so an environment error can be reported as one line naming the file.
import * as fsp from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import type {Stats} from 'node:fs'

export type {FileHandle}

/** The file each open handle refers to (for error messages and fault models). */
const handlePaths = new WeakMap<FileHandle, string>()
export const pathOf = (fh: FileHandle): string | undefined => handlePaths.get(fh)

/** Give an error the path it concerns when the OS call did not (fd-based calls). */
function named<T>(p: Promise<T>, path: string | undefined): Promise<T> {
  return p.catch((e: unknown) => {
    if (e && typeof e === 'object' && path !== undefined && !('path' in e)) Object.assign(e, {path})
    throw e
  })
}

export const io = {
  async open(path: string, flags: string | number, mode?: number): Promise<FileHandle> {
    const fh = await fsp.open(path, flags, mode)
    handlePaths.set(fh, path)
    return fh
  },
  readFile: (path: string): Promise<Buffer> => named(fsp.readFile(path), path),
  /** Reads up to buf.length bytes at `position`; returns the count read (short only at EOF). */
  async read(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
    let got = 0
    while (got < buf.length) {
      const {bytesRead} = await named(fh.read(buf, got, buf.length - got, position + got), pathOf(fh))
      if (bytesRead === 0) break
      got += bytesRead
    }
    return got
  },
  /** Writes all of data, at `position` (pwrite) or at the current offset. */
  async write(fh: FileHandle, data: Buffer, position?: number): Promise<void> {
    let done = 0
    while (done < data.length) {
      const {bytesWritten} = await named(fh.write(data, done, data.length - done, position === undefined ? null : position + done), pathOf(fh))
      done += bytesWritten
    }
  },
  fsync: (fh: FileHandle): Promise<void> => named(fh.sync(), pathOf(fh)),
  close: (fh: FileHandle): Promise<void> => named(fh.close(), pathOf(fh)),
  fstat: (fh: FileHandle): Promise<Stats> => named(fh.stat(), pathOf(fh)),
  ftruncate: (fh: FileHandle, len: number): Promise<void> => named(fh.truncate(len), pathOf(fh)),
  rename: (from: string, to: string): Promise<void> => fsp.rename(from, to),
  unlink: (path: string): Promise<void> => fsp.unlink(path),
  readdir: (path: string): Promise<string[]> => named(fsp.readdir(path), path),
  stat: (path: string): Promise<Stats> => fsp.stat(path),
  mkdir: async (path: string, mode: number): Promise<void> => {
    await fsp.mkdir(path, {mode})
  },
  /** Remove a file or a whole directory tree (init clearing its own half-made directory). */
  rmTree: (path: string): Promise<void> => fsp.rm(path, {recursive: true, force: true}),
  chmod: (path: string, mode: number): Promise<void> => fsp.chmod(path, mode),
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
