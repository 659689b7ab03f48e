// Shared helpers of the end-to-end tests: run the BUILT CLI (bin/run.js → dist/)
// on temporary copies of the fixture clusters, and fingerprint a state directory.
//
// No beforeAll: `npm test` builds dist/ before vitest runs; every helper that
// spawns the CLI checks that the build is there and says how to make it if not.
import {execa, type ResultPromise} from 'execa'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {onTestFinished} from 'vitest'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin/run.js')
export const FIXTURES = join(ROOT, 'fixtures/clusters')
export const CLOCK = '2026-01-01T00:00:00Z'

let built = false
export function requireBuilt(): void {
  if (built) return
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js')) || !existsSync(join(ROOT, 'dist/commands'))) {
    throw new Error(`dist/ is missing in ${ROOT}: the e2e tests run the built CLI; run \`npm run -s build\` first (\`npm test\` does it)`)
  }
  built = true
}

export interface RunResult {
  exitCode: number | undefined
  /** Set when the process was killed by a signal (e.g. SIGKILL at a crash point). */
  signal: string | undefined
  stdout: string
  stderr: string
  /** stdout parsed as JSON (throws, showing the output, if it is not JSON). */
  readonly json: any
}

export interface RunOptions {
  /** Extra environment, e.g. {DLMCTL_CRASH_POINT: 'commit.after-record'}. */
  env?: Record<string, string>
  /** Kill the process (SIGKILL) if it runs longer. */
  timeout?: number
}

/**
 * The environment every run gets: fixed clock, plain output, nothing inherited that
 * steers dlmctl. NODE_ENV is dropped too: vitest sets it to 'test', which makes
 * oclif print development warnings that an operator never sees.
 */
function baseEnv(state: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('DLMCTL_') || k === 'FORCE_COLOR' || k === 'NODE_OPTIONS' || k === 'NODE_ENV') continue
    env[k] = v
  }
  return {...env, DLMCTL_CLOCK: CLOCK, DLMCTL_STATE: state, NO_COLOR: '1', ...extra}
}

function toResult(r: {exitCode?: number; signal?: string; stdout: unknown; stderr: unknown}): RunResult {
  const stdout = String(r.stdout ?? '')
  const stderr = String(r.stderr ?? '')
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout,
    stderr,
    get json() {
      try {
        return JSON.parse(stdout)
      } catch {
        throw new Error(`stdout is not JSON (exit ${r.exitCode}, signal ${r.signal}):\n${stdout}\nstderr:\n${stderr}`)
      }
    },
  }
}

/** Start `node bin/run.js ...args` on state directory `state` without waiting (for kill tests). */
export function spawnDlmctl(state: string, args: string[], opts: RunOptions = {}): ResultPromise {
  requireBuilt()
  return execa(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: baseEnv(state, opts.env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    timeout: opts.timeout ?? 30_000,
    killSignal: 'SIGKILL',
  })
}

/** Run the CLI on `state` and wait for it. */
export async function dlmctlWith(opts: RunOptions, state: string, ...args: string[]): Promise<RunResult> {
  return toResult(await spawnDlmctl(state, args, opts))
}

/** `dlmctl(dir, 'lock', 'list', '--json')` → {exitCode, stdout, stderr, json}. */
export function dlmctl(state: string, ...args: string[]): Promise<RunResult> {
  return dlmctlWith({}, state, ...args)
}

/** Result of a spawned run (after awaiting spawnDlmctl). */
export const resultOf = toResult

/**
 * A fresh copy of fixtures/clusters/<name> in its own temporary directory
 * (removed when the current test finishes, unless DLMCTL_E2E_KEEP is set).
 * Returns the state directory's path.
 */
export function copyFixture(name: string): string {
  const src = join(FIXTURES, name)
  if (!existsSync(join(src, 'cluster.json'))) throw new Error(`no fixture cluster ${src}`)
  const state = join(tempDir(), name)
  cpSync(src, state, {recursive: true})
  return state
}

/** A new empty temporary directory, removed when the current test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dlmctl-e2e-'))
  onTestFinished(() => {
    if (!process.env.DLMCTL_E2E_KEEP) rmSync(dir, {recursive: true, force: true})
  })
  return dir
}

/**
 * Every entry under `dir` (files, directories, symlinks): relative path → type,
 * permission bits and, for files, a SHA-256 of the content. toEqual() on two of
 * these shows exactly what changed.
 */
export function treeFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (abs: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name)
      const rel = relative(dir, p)
      const st = lstatSync(p)
      const mode = (st.mode & 0o7777).toString(8)
      if (st.isDirectory()) {
        out[rel + '/'] = `dir ${mode}`
        walk(p)
      } else if (st.isSymbolicLink()) {
        out[rel] = `symlink ${mode} ${readlinkSync(p)}`
      } else {
        out[rel] = `file ${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`
      }
    }
  }
  walk(dir)
  return out
}

/** One hash of every path, mode and content under `dir` ("nothing changed" checks). */
export function treeDigest(dir: string): string {
  return createHash('sha256').update(JSON.stringify(treeFiles(dir))).digest('hex')
}

/** Names of store temp files and pending commit records left in a state directory. */
export function leftovers(state: string): string[] {
  return Object.keys(treeFiles(state)).filter((p) => p.endsWith('.tmp') || /^commit\/.+\.json$/.test(p))
}

/** Lines of stderr that look like a stack trace frame. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at\s/.test(l) || /^\s*at .*:\d+:\d+\)?$/.test(l))
}

/** A small seeded PRNG (mulberry32) so "random" tests replay the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Time limit for the tests that spawn the CLI a hundred times or more: the suite
 * shares 2 cores (often with other work), and a spawn costs ~0.15 s of CPU.
 */
export const HEAVY = 240_000

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Runs fn over items, at most n at a time, results in order. */
export async function pMap<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(n, items.length)}, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    }),
  )
  return out
}
