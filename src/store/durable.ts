// Crash-safe primitives: a file is either its old or its new content after a
// crash (write temp, fsync, rename, fsync dir), and a new directory entry is
// only trusted once its parent directory has been fsynced.
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {errnoOf, io} from './io.js'
import {copyTempOf} from './layout.js'

// node:crypto when a file is first written: loading it is a few milliseconds of every read-only command's start.
// (require, not import(): the bundle runs through vm.Script, where import() is not available, src/cli/boot.ts.)
let cryptoModule: typeof import('node:crypto') | undefined
const crypto = () => (cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'))

/** fsync a directory so the entries created/renamed/removed in it are durable. */
export async function fsyncDir(absDir: string): Promise<void> {
  const fh = await io.open(absDir, 'r')
  try {
    await io.fsync(fh)
  } finally {
    await io.close(fh)
  }
}

/** mkdir -p with mode 0o700, fsyncing the parent of every directory it creates. */
export async function mkdirDurable(abs: string): Promise<void> {
  try {
    if ((await io.stat(abs)).isDirectory()) return
    throw Object.assign(new Error(`${abs} exists and is not a directory`), {code: 'ENOTDIR'})
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e
  }
  const parent = dirname(abs)
  if (parent !== abs) await mkdirDurable(parent)
  try {
    await io.mkdir(abs, 0o700)
  } catch (e) {
    if (errnoOf(e) === 'EEXIST') return // lost a race: the winner fsyncs the parent
    throw e
  }
  await fsyncDir(parent)
}

export const ensureDir = (root: string, rel: string): Promise<void> => mkdirDurable(join(root, rel))

/** Create `abs` exclusively (0o600), write data, fsync; removes it again on failure. */
export async function writeNewFileSynced(abs: string, data: string | Buffer): Promise<void> {
  const fh = await io.open(abs, 'wx', 0o600)
  try {
    await io.write(fh, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    await io.fsync(fh)
  } catch (e) {
    await io.close(fh).catch(() => {})
    await io.unlink(abs).catch(() => {})
    throw e
  }
  await io.close(fh)
}

/**
 * Atomically and durably replace root/rel with data (missing parents are created).
 * The rename is the commit point: `afterRename` runs the directory's fsync when
 * given (a caller that must report a committed change as done wraps it).
 */
export async function writeFileDurable(
  root: string,
  rel: string,
  data: string | Buffer,
  afterRename: (fsync: () => Promise<void>) => Promise<void> = (f) => f(),
): Promise<void> {
  const abs = join(root, rel)
  const dir = dirname(abs)
  await mkdirDurable(dir)
  const tmp = copyTempOf(abs, crypto().randomBytes(6).toString('hex'))
  await writeNewFileSynced(tmp, data)
  try {
    await io.rename(tmp, abs)
  } catch (e) {
    await io.unlink(tmp).catch(() => {})
    throw e
  }
  await afterRename(() => fsyncDir(dir))
}
