// The disk as a transactional directory (txdir.ts) reads it: a missing file or
// directory is absent, not an error; temps and the reserved directories are never
// listed; a missing state directory is the operator's NO_STATE.
import {join} from 'node:path'
import {DlmError} from '../errors.js'
import {errnoOf, io, type FileHandle} from './io.js'
import {isStoreDir, isTempName} from './layout.js'

export async function readAbs(abs: string): Promise<Buffer | null> {
  try {
    return await io.readFile(abs)
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null
    throw e
  }
}

export async function readdirAbs(abs: string): Promise<string[]> {
  try {
    return await io.readdir(abs)
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return []
    throw e
  }
}

export async function listDisk(root: string, dir: string): Promise<Set<string>> {
  const names = (await readdirAbs(join(root, dir))).filter((n) => !isTempName(n) && !(dir === '' && isStoreDir(n)))
  return new Set(names)
}

export async function requireRoot(root: string): Promise<void> {
  try {
    if ((await io.stat(root)).isDirectory()) return
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT' && errnoOf(e) !== 'ENOTDIR') throw e
  }
  throw new DlmError('NO_STATE', `no state directory at ${root} (create one with: dlmctl init, or give --state DIR / DLMCTL_STATE)`)
}

export async function unlinkIfPresent(abs: string): Promise<void> {
  try {
    await io.unlink(abs)
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e
  }
}

export async function fileSize(abs: string): Promise<number> {
  try {
    return (await io.stat(abs)).size
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return 0
    throw e
  }
}

/** A file opened for reading with its size, or null when it does not exist; the caller closes `fh`. */
export async function openIfPresent(abs: string): Promise<{fh: FileHandle; size: number} | null> {
  let fh
  try {
    fh = await io.open(abs, 'r')
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null
    throw e
  }
  try {
    return {fh, size: (await io.fstat(fh)).size}
  } catch (e) {
    await io.close(fh).catch(() => {})
    throw e
  }
}
