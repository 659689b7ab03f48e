// Drill steps without a new process: the step's command runs in this process
// through exactly what bin/run.js does on its fast path (the same command table,
// the same parsing, the same runCommand turning errors into exit codes and
// {error} JSON), with stdout/stderr captured, the step's environment, and no
// terminal (so a prompt refuses as it would in a child without one). Steps run
// one at a time: stdout, the environment and process.exitCode are per process.
// Everything a command takes from the store (OFD scope locks, open files) is
// released when its transaction ends, so the next step, or a child process of a
// parallel or crash step, sees the directory exactly as after a process exit.
import {fastPath} from '../cli/main.js'
import {fromBundle, loadCommand} from '../cli/commands.js'
import type {AnyDefinition} from '../cli/define.js'
import {runCommand} from '../cli/run.js'

export interface CliResult {
  exit: number | null
  signal: string | null
  stdout: string
  stderr: string
  ms: number
}

/** Finds the command definition for an argument vector, or undefined when only a real process can run it (help, unknown). */
export type Resolver = (argv: string[]) => Promise<{def: AnyDefinition; id: string; rest: string[]} | undefined>

/** The command table's resolver: what bin/run.js (or, from the sources, bin/dev.mjs) would run on its fast path. */
export const commandResolver: Resolver = async (argv) => {
  const hit = fastPath(argv)
  return hit && {def: await loadCommand(hit.id), id: hit.id, rest: hit.rest}
}

/** The resolver of the built CLI; undefined when not running from the bundle (every step is then a process). */
export function bundleResolver(_bin: string): Resolver | undefined {
  return fromBundle() ? commandResolver : undefined
}

/** Whether in-process steps are safe here: a crash point armed in this process would kill the runner, not the step. */
export function inProcessAllowed(): boolean {
  return !process.env.DLMCTL_CRASH_POINT
}

let queue: Promise<unknown> = Promise.resolve()

/**
 * A step that has not finished after this long is reported as such (exit null)
 * instead of hanging the drill; what it still holds stays in this process, so
 * every later step runs as a child process.
 */
export const IN_PROCESS_LIMIT_MS = 120_000
let stuck: string | undefined
/** Puts back stdout, stderr, the terminal flags, the environment and the exit code of the step running now. */
let restoreProcess: (() => void) | undefined

/** Run one command in this process as `node bin/run.js ...args` would, with `env` as its whole environment. */
export function runInProcess(resolve: Resolver, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult | undefined> {
  if (stuck) return Promise.resolve(undefined)
  const next = queue.then(() => withLimit(runNow(resolve, args, env), args))
  queue = next.catch(() => undefined)
  return next
}

async function withLimit(run: Promise<CliResult | undefined>, args: string[]): Promise<CliResult | undefined> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<CliResult>((res) => {
    timer = setTimeout(() => {
      restoreProcess?.()
      stuck = args.slice(0, 3).join(' ')
      res({exit: null, signal: null, stdout: '', stderr: `dlmctl ${stuck}: did not finish within ${IN_PROCESS_LIMIT_MS / 1000}s in the drill's process (later steps run as processes)`, ms: IN_PROCESS_LIMIT_MS})
    }, IN_PROCESS_LIMIT_MS)
  })
  try {
    return await Promise.race([run, limit])
  } finally {
    clearTimeout(timer)
  }
}

async function runNow(resolve: Resolver, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult | undefined> {
  const hit = await resolve(args)
  if (!hit) return undefined
  const t0 = performance.now()
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write
  const err = process.stderr.write
  const savedEnv = {...process.env}
  const savedExit = process.exitCode
  const tty = [process.stdin, process.stdout, process.stderr].map((s) => Object.getOwnPropertyDescriptor(s, 'isTTY'))
  const capture = (add: (s: string) => void) =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
      const done = typeof enc === 'function' ? enc : cb
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)())
      return true
    }) as typeof process.stdout.write
  let exit: number
  let restored = false
  const restore = () => {
    if (restored) return
    restored = true
    restoreProcess = undefined
    process.stdout.write = out
    process.stderr.write = err
    for (const [i, s] of [process.stdin, process.stdout, process.stderr].entries()) {
      if (tty[i]) Object.defineProperty(s, 'isTTY', tty[i]!)
      else delete (s as {isTTY?: boolean}).isTTY
    }
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
    Object.assign(process.env, savedEnv)
    process.exitCode = savedExit
  }
  restoreProcess = restore
  try {
    for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k]
    for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v
    for (const s of [process.stdin, process.stdout, process.stderr]) Object.defineProperty(s, 'isTTY', {value: undefined, configurable: true, writable: true})
    process.stdout.write = capture((s) => (stdout += s))
    process.stderr.write = capture((s) => (stderr += s))
    process.exitCode = undefined
    try {
      await runCommand(hit.def, hit.id, hit.rest)
      exit = typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0)
    } catch (e) {
      // What node does with an error escaping bin/run.js: the message on stderr, exit 1.
      const x = e as {oclif?: {exit?: number}; message?: string}
      exit = x.oclif?.exit ?? 1
      if (exit !== 0) stderr += `${x.message ?? String(e)}\n`
    }
  } finally {
    restore()
  }
  return {exit, signal: null, stdout, stderr, ms: Math.round(performance.now() - t0)}
}
