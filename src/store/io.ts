// The single I/O seam of the store: every file-system call of src/store goes
// through the mutable `io` object, so tests can replace a method to inject
// faults (e.g. `io.rename = async () => { throw ... }`) and restore it after.
import * as fsp from 'node:fs/promises'
import type {FileHandle} from 'node:fs/promises'
import type {Stats} from 'node:fs'

export type {FileHandle}

export const io = {
  open: (path: string, flags: string | number, mode?: number): Promise<FileHandle> => fsp.open(path, flags, mode),
  readFile: (path: string): Promise<Buffer> => fsp.readFile(path),
  /** Reads up to buf.length bytes at `position`; returns the count read (short only at EOF). */
  async read(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
    let got = 0
    while (got < buf.length) {
      const {bytesRead} = await fh.read(buf, got, buf.length - got, position + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    return got
  },
  /** Writes all of data, at `position` (pwrite) or at the current offset. */
  async write(fh: FileHandle, data: Buffer, position?: number): Promise<void> {
    let done = 0
    while (done < data.length) {
      const {bytesWritten} = await fh.write(data, done, data.length - done, position === undefined ? null : position + done)
      done += bytesWritten
    }
  },
  fsync: (fh: FileHandle): Promise<void> => fh.sync(),
  close: (fh: FileHandle): Promise<void> => fh.close(),
  fstat: (fh: FileHandle): Promise<Stats> => fh.stat(),
  ftruncate: (fh: FileHandle, len: number): Promise<void> => fh.truncate(len),
  rename: (from: string, to: string): Promise<void> => fsp.rename(from, to),
  unlink: (path: string): Promise<void> => fsp.unlink(path),
  readdir: (path: string): Promise<string[]> => fsp.readdir(path),
  stat: (path: string): Promise<Stats> => fsp.stat(path),
  mkdir: async (path: string, mode: number): Promise<void> => {
    await fsp.mkdir(path, {mode})
  },
}

/** errno code of a Node error, or undefined. */
export const errnoOf = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined

// DLMCTL_CRASH_POINT=name kills at the first hit of `name`; name#N at the N-th
// hit in this process. Parsed once: crash points sit on hot paths.
let crashSpec: {name: string; nth: number} | null | undefined
const crashHits = new Map<string, number>()

/** Test/drill hook: SIGKILL ourselves here if DLMCTL_CRASH_POINT names this point. */
export function crashPoint(name: string): void {
  if (crashSpec === undefined) {
    const env = process.env.DLMCTL_CRASH_POINT
    const m = env ? /^(.*?)(?:#(\d+))?$/.exec(env) : null
    crashSpec = m ? {name: m[1], nth: m[2] ? Number(m[2]) : 1} : null
  }
  if (crashSpec === null || crashSpec.name !== name) return
  const n = (crashHits.get(name) ?? 0) + 1
  crashHits.set(name, n)
  if (n === crashSpec.nth) process.kill(process.pid, 'SIGKILL')
}

