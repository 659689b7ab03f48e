// A fault-injecting file system for in-process tests, through the store's I/O
// seam (src/store/io.ts). Runs one command (a promise-returning function) with
// a plan for its n-th mutating operation:
//   crash  — the "process" is killed there: that op and every later op of the
//            command throws Crash (its cleanups cannot touch the disk) and its
//            open files are closed, as the kernel does (dropping its OFD locks);
//   power  — the same, then a power cut in the style of LevelDB's
//            FaultInjectionTestEnv: data not fsynced is dropped (files truncated
//            to their last synced size), and directory entries created, renamed
//            or removed in a directory that was not fsynced since are undone;
//   errno  — that one op fails with the errno (ENOSPC, EIO, …); the command
//            goes on and must cope.
// Ops of the command are told apart from those of later commands by an
// AsyncLocalStorage context, so continuations of a killed command stay dead.
import {AsyncLocalStorage} from 'node:async_hooks'
import {constants, existsSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {io, type FileHandle} from '../../../src/store/io.js'

export class Crash extends Error {
  constructor() {
    super('killed (fault injection)')
    this.name = 'Crash'
  }
}

export type Plan =
  | {kind: 'none'; /** Awaited before each mutating op, outside the command's context (to look at the state). */ before?: (n: number) => Promise<void>}
  | {kind: 'crash' | 'power'; at: number}
  | {kind: 'errno'; at: number; errno: string}

export interface RunReport {
  /** Mutating ops the command issued (before it died). */
  ops: number
  /** Kinds of those ops, in order ("rename", "write", …). */
  kinds: string[]
  /** The path of each of those ops (for a rename, where to). */
  paths: string[]
  /** Whether the plan's op was reached. */
  hit: boolean
  error?: unknown
}

interface Run {
  plan: Plan
  ops: number
  kinds: string[]
  paths: string[]
  dead: boolean
  hit: boolean
  inflight: number
  handles: Set<FileHandle>
}

const als = new AsyncLocalStorage<Run>()
const real = {...io}
let installed = false

const WRITE_FLAGS = constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND
const isWriteOpen = (flags: string | number) => (typeof flags === 'number' ? (flags & WRITE_FLAGS) !== 0 : /[wa+]/.test(flags))
const creates = (flags: string | number) => (typeof flags === 'number' ? (flags & constants.O_CREAT) !== 0 : /[wa]/.test(flags))

// ------------------------------------------------------------ power-loss model

/** Per file: bytes known durable (fsynced); null: never synced since created. */
const synced = new Map<string, number>()
/** Undo actions of directory changes not yet made durable by an fsync of their directory. */
let undo: {dir: string; act: () => void}[] = []
let tracking = false

function noteData(path: string): void {
  if (!tracking || synced.has(path)) return
  synced.set(path, existsSync(path) ? statSync(path).size : 0)
}

function noteDirChange(dir: string, act: () => void): void {
  if (tracking) undo.push({dir, act})
}

/** Drop what a power cut would lose: unsynced directory changes (newest first), then unsynced data. */
function powerCut(): void {
  for (const u of undo.reverse()) u.act()
  undo = []
  for (const [path, size] of synced) {
    if (!existsSync(path)) continue
    const st = statSync(path)
    if (st.isFile() && st.size > size) truncateSync(path, size)
  }
  synced.clear()
}

// ------------------------------------------------------------ the wrapper

function opKindOf(op: string, args: unknown[]): string | null {
  switch (op) {
    case 'open':
      return isWriteOpen(args[1] as string | number) ? 'open' : null
    case 'write':
    case 'fsync':
    case 'ftruncate':
    case 'rename':
    case 'unlink':
    case 'mkdir':
    case 'rmTree':
    case 'chmod':
      return op
    default:
      return null
  }
}

function errnoError(errno: string, path: string | undefined): Error {
  return Object.assign(new Error(`${errno}: injected fault`), {code: errno, ...(path ? {path} : {})})
}

function pathArg(op: string, args: unknown[]): string | undefined {
  if (['write', 'fsync', 'ftruncate', 'read', 'fstat', 'close'].includes(op)) return (args[0] as FileHandle).path
  return typeof args[0] === 'string' ? args[0] : undefined
}

/** Do the real op, keeping the power-loss model up to date. */
async function perform(op: string, args: unknown[], run: Run | undefined): Promise<unknown> {
  const fn = (real as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]
  switch (op) {
    case 'open': {
      const [path, flags] = args as [string, string | number]
      const existed = existsSync(path)
      const fh = (await fn(...args)) as FileHandle
      run?.handles.add(fh)
      if (!existed && creates(flags)) {
        noteDirChange(dirname(path), () => rmSync(path, {force: true}))
        if (tracking) synced.set(path, 0)
      }
      return fh
    }
    case 'close': {
      run?.handles.delete(args[0] as FileHandle)
      return fn(...args)
    }
    case 'write':
    case 'ftruncate': {
      const p = (args[0] as FileHandle).path
      if (p) noteData(p)
      return fn(...args)
    }
    case 'fsync': {
      const fh = args[0] as FileHandle
      const p = fh.path
      await fn(...args)
      if (p && tracking) {
        const st = statSync(p)
        if (st.isDirectory()) undo = undo.filter((u) => u.dir !== p)
        else synced.set(p, st.size)
      }
      return undefined
    }
    case 'rename': {
      const [from, to] = args as [string, string]
      const old = tracking && existsSync(to) ? readFileSync(to) : null
      const fromSynced = synced.get(from)
      await fn(...args)
      if (tracking) {
        synced.delete(from)
        if (fromSynced !== undefined) synced.set(to, fromSynced)
        noteDirChange(dirname(to), () => {
          if (existsSync(to)) renameSync(to, from)
          if (old) writeFileSync(to, old)
          // What is synced of the new data goes back with its name; the old file was durable as it is
          // (left in the map, its shorter or longer old content would be cut to the new one's size).
          const moved = synced.get(to)
          synced.delete(to)
          if (moved !== undefined) synced.set(from, moved)
        })
      }
      return undefined
    }
    case 'unlink': {
      const [path] = args as [string]
      const old = tracking && existsSync(path) ? readFileSync(path) : null
      await fn(...args)
      if (old) noteDirChange(dirname(path), () => writeFileSync(path, old))
      synced.delete(path)
      return undefined
    }
    case 'mkdir': {
      const [path] = args as [string]
      await fn(...args)
      noteDirChange(dirname(path), () => rmSync(path, {recursive: true, force: true}))
      return undefined
    }
    default:
      return fn(...args)
  }
}

function install(): void {
  if (installed) return
  installed = true
  const target = io as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
  for (const op of Object.keys(real)) {
    target[op] = async (...args: unknown[]) => {
      const run = als.getStore()
      if (!run) return perform(op, args, undefined)
      if (run.dead) throw new Crash()
      const kind = opKindOf(op, args)
      if (kind) {
        if (run.plan.kind === 'none' && run.plan.before) {
          const before = run.plan.before
          await als.exit(() => before(run.ops))
        }
        const n = run.ops++
        run.kinds.push(kind)
        run.paths.push((op === 'rename' ? (args[1] as string) : pathArg(op, args)) ?? '')
        const {plan} = run
        if (plan.kind !== 'none' && n === plan.at) {
          run.hit = true
          if (plan.kind === 'errno') throw errnoError(plan.errno, pathArg(op, args))
          run.dead = true
          // The kernel closes a killed process's files (and drops its OFD locks).
          // (Take them out first: opens in flight may add more meanwhile, closed at the end.)
          const open = [...run.handles]
          run.handles.clear()
          await Promise.all(open.map((fh) => real.close(fh).catch(() => {})))
          throw new Crash()
        }
      }
      run.inflight++
      try {
        return await perform(op, args, run)
      } finally {
        run.inflight--
      }
    }
  }
}

/** Put the real io back (afterAll). */
export function uninstallFaults(): void {
  if (!installed) return
  Object.assign(io, real)
  installed = false
}

const settle = () => new Promise<void>((r) => setImmediate(r))

/**
 * Run `cmd` under `plan`. Never throws: the command's error (Crash for a kill)
 * is in the report. For a power plan, the power cut happens once the dead
 * command's in-flight operations have settled.
 */
export async function runWithFaults(plan: Plan, cmd: () => Promise<unknown>): Promise<RunReport> {
  install()
  const run: Run = {plan, ops: 0, kinds: [], paths: [], dead: false, hit: false, inflight: 0, handles: new Set()}
  synced.clear()
  undo = []
  tracking = plan.kind === 'power'
  let error: unknown
  try {
    await als.run(run, cmd)
  } catch (e) {
    error = e
  }
  // Let a killed command's in-flight real operations finish (they happened before the kill).
  // (A busy machine can take a while: wait for them, not for a number of ticks.)
  const until = Date.now() + 10_000
  while (run.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 1))
  if (run.inflight > 0) throw new Error('faultfs: operations of the stopped command still in flight after 10 s')
  await settle()
  if (run.dead) {
    const open = [...run.handles]
    run.handles.clear()
    await Promise.all(open.map((fh) => real.close(fh).catch(() => {})))
  }
  if (plan.kind === 'power' && run.hit) powerCut()
  tracking = false
  synced.clear()
  undo = []
  return {ops: run.ops, kinds: run.kinds, paths: run.paths, hit: run.hit, error}
}
