// Helpers for the recovery end-to-end tests: run the built CLI (bin/run.js)
// with execa on a fresh state directory, deterministic clock, no colours.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa, type Result} from 'execa'

export const PROJECT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(PROJECT, 'bin/run.js')
export const CLOCK = '2026-01-01T00:00:00Z'

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (throws with the output if it is not). */
  json<T = any>(): T
  ms: number
}

const made: string[] = []

/** A new temporary directory (removed by cleanup()). */
export function tmpDir(prefix = 'dlmctl-rec-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, {recursive: true, force: true})
}

function env(state: string, extra: Record<string, string> = {}): Record<string, string> {
  const e: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DLMCTL_')) e[k] = v
  return {...e, DLMCTL_CLOCK: CLOCK, NO_COLOR: '1', DLMCTL_STATE: state, ...extra}
}

/** Run `dlmctl <args>` on the state directory `state`. Never rejects; stdin is not a TTY. */
export async function dlm(state: string, args: string[], opts: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<Run> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run -s build first`)
  const t0 = performance.now()
  const r: Result = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: env(state, opts.env),
    extendEnv: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 30_000,
    cwd: PROJECT,
  })
  const ms = performance.now() - t0
  const stdout = String(r.stdout ?? '')
  const stderr = String(r.stderr ?? '')
  return {
    exitCode: r.exitCode ?? -1,
    stdout,
    stderr,
    ms,
    json<T>() {
      try {
        return JSON.parse(stdout) as T
      } catch {
        throw new Error(`dlmctl ${args.join(' ')}: stdout is not JSON (exit ${r.exitCode}):\n${stdout}\n--- stderr:\n${stderr}`)
      }
    },
  }
}

/** Run and require exit `code` (default 0); returns the run. */
export async function ok(state: string, args: string[], code = 0): Promise<Run> {
  const r = await dlm(state, args)
  if (r.exitCode !== code) {
    throw new Error(`dlmctl ${args.join(' ')}: exit ${r.exitCode}, expected ${code}\n${r.stdout}\n--- stderr:\n${r.stderr}`)
  }
  return r
}

/** A new cluster in a new temporary directory; returns its state directory. */
export async function newCluster(initArgs: string[]): Promise<string> {
  const state = join(tmpDir(), 'cluster')
  await ok(state, ['init', ...initArgs])
  return state
}

/** `--json` result of a command that must succeed. */
export async function j<T = any>(state: string, args: string[]): Promise<T> {
  return (await ok(state, [...args, '--json'])).json<T>()
}

/** The error document of a command that must fail with `code`. */
export async function refusal(state: string, args: string[], exit: number): Promise<{code: string; message: string; [k: string]: unknown}> {
  const r = await ok(state, [...args, '--json'], exit)
  return r.json<{error: {code: string; message: string}}>().error
}
