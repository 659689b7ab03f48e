// Small helpers for the benchmark: medians, rounding, timed child processes.
import {spawn, spawnSync, type SpawnSyncOptions} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
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

/**
 * Variables of the caller's shell that change what a child costs without being dlmctl's:
 * NODE_EXTRA_CA_CERTS makes Node read and parse a CA bundle at every start (~50 ms of CPU
 * here, more than Node's own start-up: it hid most of `status`'s start-up cost in the
 * ratio to `node -e 0`), NODE_OPTIONS may load anything.
 */
const NOT_OURS = new Set(['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'])

/** The environment children run in: no DLMCTL_* leaking in from the caller's shell, nothing of NOT_OURS. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DLMCTL_') && !NOT_OURS.has(k)) env[k] = v
  return env
}

export interface Ran {
  ms: number
  /** user + system CPU of the child (only with `cpu`): far less sensitive to a busy machine than wall time. */
  cpuMs?: number
  /** Peak resident set of the child in MB (only with `cpu`). */
  maxRssMB?: number
  status: number | null
  stdout: string
  stderr: string
}

// A preload (node --require) that reports the process's own CPU time and peak RSS at exit.
const CPU_PRELOAD = `process.on('exit', () => {
  const u = process.cpuUsage()
  require('fs').writeFileSync(process.env.BENCH_CPU_OUT, JSON.stringify({cpuMs: (u.user + u.system) / 1000, maxRssKB: process.resourceUsage().maxRSS}))
})
`

/** Write the CPU-reporting preload into `dir`; pass the returned context as `cpu` to runNode. */
export function cpuProbe(dir: string): {preload: string; out: string} {
  const preload = join(dir, 'cpu-probe.cjs')
  writeFileSync(preload, CPU_PRELOAD)
  return {preload, out: join(dir, 'cpu-probe.json')}
}

type RunOpts = {cwd: string; capture?: boolean; env?: NodeJS.ProcessEnv; cpu?: {preload: string; out: string}}

/** Run `node args…` to completion and time it (wall clock, spawn included). */
export function runNode(args: string[], opts: RunOpts): Ran {
  if (opts.cpu) {
    rmSync(opts.cpu.out, {force: true})
    args = ['--require', opts.cpu.preload, ...args]
  }
  const o: SpawnSyncOptions = {
    cwd: opts.cwd,
    env: {...(opts.env ?? cleanEnv()), ...(opts.cpu ? {BENCH_CPU_OUT: opts.cpu.out} : {})},
    stdio: ['ignore', opts.capture ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'utf8',
  }
  const t = performance.now()
  const r = spawnSync(process.execPath, args, o)
  const ms = performance.now() - t
  if (r.error) throw r.error
  const ran: Ran = {ms, status: r.status, stdout: (r.stdout as string | null) ?? '', stderr: (r.stderr as string | null) ?? ''}
  if (opts.cpu && existsSync(opts.cpu.out)) {
    const u = JSON.parse(readFileSync(opts.cpu.out, 'utf8')) as {cpuMs: number; maxRssKB: number}
    ran.cpuMs = u.cpuMs
    ran.maxRssMB = u.maxRssKB / 1024
  }
  return ran
}

/** Like runNode, but a non-zero exit is an error that says what ran and what it printed. */
export function mustRun(args: string[], opts: RunOpts): Ran {
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
