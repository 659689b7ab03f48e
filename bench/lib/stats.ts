// Small helpers for the benchmark: medians, rounding, timed child processes.
import {spawn, spawnSync, type SpawnSyncOptions} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`)
}

/** The package root (where package.json names dlmctl), found from this file upwards. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pj = join(d, 'package.json')
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'dlmctl') return d
    const up = dirname(d)
    if (up === d) throw new Error('bench: cannot find the dlmctl package root')
    d = up
  }
}

/** The environment children run in: no DLMCTL_* leaking in from the caller's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DLMCTL_')) env[k] = v
  return env
}

export interface Ran {
  ms: number
  status: number | null
  stdout: string
  stderr: string
}

/** Run `node args…` to completion and time it (wall clock, spawn included). */
export function runNode(args: string[], opts: {cwd: string; capture?: boolean; env?: NodeJS.ProcessEnv}): Ran {
  const o: SpawnSyncOptions = {
    cwd: opts.cwd,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', opts.capture ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'utf8',
  }
  const t = performance.now()
  const r = spawnSync(process.execPath, args, o)
  const ms = performance.now() - t
  if (r.error) throw r.error
  return {ms, status: r.status, stdout: (r.stdout as string | null) ?? '', stderr: (r.stderr as string | null) ?? ''}
}

/** Like runNode, but a non-zero exit is an error that says what ran and what it printed. */
export function mustRun(args: string[], opts: {cwd: string; capture?: boolean; env?: NodeJS.ProcessEnv}): Ran {
  const r = runNode(args, opts)
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`)
  return r
}

/** Start `node args…` without waiting; resolves with its exit status and output. */
export function startNode(args: string[], opts: {cwd: string; env?: NodeJS.ProcessEnv}): Promise<{status: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, {cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    p.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    p.on('error', reject)
    p.on('close', (status) => resolve({status, stdout, stderr}))
  })
}
