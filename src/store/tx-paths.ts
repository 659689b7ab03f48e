// The paths of a transactional directory (txdir.ts): what a state path may be
// (relative, '/'-separated, normalised) and that it is none of the reserved names
// (top-level commit/ and lock/, names ending in .tmp: layout.ts names them).
import {posix} from 'node:path'
import {DlmError} from '../errors.js'
import {inStoreDir, isTempName} from './layout.js'

export function normRel(rel: string): string {
  const n = posix.normalize(rel)
  if (!rel || rel.includes('\0') || n.startsWith('/') || n === '.' || n === '..' || n.startsWith('../') || n.endsWith('/'))
    throw new DlmError('INTERNAL', `invalid state path ${JSON.stringify(rel)}`)
  return n
}

/** '' for the root; normalised without trailing slash otherwise. */
export function normDir(relDir: string): string {
  const n = posix.normalize(relDir || '.').replace(/\/+$/, '')
  return n === '.' ? '' : normRel(n)
}

export function checkStagePath(rel: string): string {
  const n = normRel(rel)
  if (inStoreDir(n) || isTempName(n)) throw new DlmError('INTERNAL', `reserved state path ${JSON.stringify(rel)}`)
  return n
}

/**
 * The entries directly under `dir` once changes to paths are applied to `names`
 * (what the base lists there): a path written adds the entry it lives in, a
 * removed file drops its name (a removed file deeper down leaves its directory).
 */
export function childNames<C>(names: Iterable<string>, dir: string, changes: Iterable<[string, C]>, removes: (c: C) => boolean): string[] {
  const out = new Set(names)
  for (const [rel, change] of changes) {
    const c = childOf(dir, rel)
    if (!c) continue
    if (!removes(change)) out.add(c.name)
    else if (c.direct) out.delete(c.name)
  }
  return [...out].sort()
}

/** Name of the entry directly under `dir` that `rel` lives in, or null. */
export function childOf(dir: string, rel: string): {name: string; direct: boolean} | null {
  if (dir !== '' && !rel.startsWith(dir + '/')) return null
  const rest = dir === '' ? rel : rel.slice(dir.length + 1)
  const i = rest.indexOf('/')
  return i < 0 ? {name: rest, direct: true} : {name: rest.slice(0, i), direct: false}
}
