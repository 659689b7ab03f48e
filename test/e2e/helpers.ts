// The one helper module of the end-to-end tests: run the BUILT CLI (bin/run.js →
// dist/) on temporary copies of the fixture clusters (plain, through pipes, or on a
// pseudo-terminal), fingerprint a state directory, read tables. Every run gets the
// same environment (baseEnv). Three calling styles, for the tests that grew with them:
//   dlmctl(state, ...args)            → RunResult (json getter, signal; kill tests)
//   dlm / ok / j / refusal / newCluster → Run with json() (the recovery tests)
//   run / json / runTty / runTtyScript → UxRun (ms, timedOut; the UX tests)
// A file that tests rules rather than the process calls commandsInProcess(): its
// pipe runs then go through the same command classes in the test's own process
// (src/drill/inproc.ts, from the TypeScript sources), no spawn each; what needs a
// process (crash points, signals, terminals, another cwd) still gets one.
//
// No beforeAll: `npm test` builds dist/ before vitest runs; every helper that
// spawns the CLI checks that the build is there and says how to make it if not.
import {execa, type ResultPromise} from 'execa'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, expect, onTestFinished} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {TEST_BASE} from '../tmpbase.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin/run.js')
export const FIXTURES = join(ROOT, 'fixtures/clusters')
export const CLOCK = '2026-01-01T00:00:00Z'
export const BUNDLED_DRILLS = join(ROOT, 'fixtures/drills')

let built = false
export function requireBuilt(): void {
  if (built) return
  if (!existsSync(join(ROOT, 'dist/dlmctl.cjs')) || !existsSync(join(ROOT, 'dist/commands'))) {
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
  /** A real process even in a commandsInProcess() file (processes at once, the contract itself). */
  process?: boolean
}

/**
 * The environment every run gets: fixed clock, nothing inherited but PATH, HOME and
 * TMPDIR (so a caller's FORCE_COLOR, NODE_OPTIONS, NODE_ENV — vitest sets it to
 * 'test', which makes oclif print development warnings — or DLMCTL_* never leak in),
 * then `extra` (a value of undefined removes a variable).
 */
export function baseEnv(state: string | undefined, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? tmpdir(),
    TMPDIR: process.env.TMPDIR,
    LANG: 'C.UTF-8',
    DLMCTL_CLOCK: CLOCK,
    ...(state ? {DLMCTL_STATE: state} : {}),
    ...extra,
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

interface SpawnOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  timeout?: number
  stripFinalNewline?: boolean
  /** 'ignore' (default): stdin closed; 'pipe': a pipe nobody writes to. */
  stdin?: 'ignore' | 'pipe'
}

/** The one way the tests start the CLI through pipes: node bin/run.js, NO_COLOR=1 unless env says otherwise, stdin closed. */
function spawnCli(state: string | undefined, args: string[], opts: SpawnOptions = {}): CliProcess {
  requireBuilt()
  const options: CliSpawn = {
    cwd: opts.cwd ?? ROOT,
    env: baseEnv(state, {NO_COLOR: '1', ...opts.env}),
    extendEnv: false,
    reject: false,
    stdin: opts.stdin ?? 'ignore',
    stripFinalNewline: opts.stripFinalNewline ?? false,
    timeout: opts.timeout ?? 30_000,
    killSignal: 'SIGKILL',
  }
  return startCli(process.execPath, [BIN, ...args], options)
}

// execa typed for these options once: its generic signature, inferred at this call,
// was 1.2 to 1.8 s of every type-check of the tests (half of it relating its result types).
type CliSpawn = {cwd: string; env: Record<string, string | undefined>; extendEnv: false; reject: false; stdin: 'ignore' | 'pipe'; stripFinalNewline: boolean; timeout: number; killSignal: 'SIGKILL'}
export type CliProcess = ResultPromise<{reject: false}>
const startCli = execa as unknown as (file: string, args: string[], options: CliSpawn) => CliProcess

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

// ---- in this process (commandsInProcess) ----

let inThisProcess = false

/**
 * Run this file's pipe runs (dlmctl, dlm/ok/j/refusal/newCluster, run/json) in the
 * test's own process: each spawn of the built CLI costs ~0.2–0.5 s of CPU, a run in
 * process a few ms. For files that test rules through the commands; the CLI as a
 * process (bin/run.js, exit status, terminals) is proven by the files that do not
 * call this, and drill-fuzz proves in-process steps answer as processes do. Call it
 * at the top level of the test file.
 */
export function commandsInProcess(): void {
  inThisProcess = true
  // Test files share this module when vitest does not isolate them: the choice is the file's own.
  afterAll(() => {
    inThisProcess = false
  })
}

/** Environment that only a real process may see: a crash point or a stop would hit the test runner. */
const needsProcess = (env: Record<string, string | undefined> = {}) => Object.keys(env).some((k) => k.startsWith('DLMCTL_CRASH') || k.startsWith('DLMCTL_TEST_'))

interface Ran {
  exitCode: number | undefined
  signal: string | undefined
  stdout: string
  stderr: string
  timedOut: boolean
}

/** The command in this process when the file asked for it and nothing needs a process; undefined otherwise (spawn it). */
async function inProcess(state: string | undefined, args: string[], opts: SpawnOptions & {process?: boolean}): Promise<Ran | undefined> {
  // A caller's time limit is for a run that may not end by itself (a watch, a wait): a process, to kill.
  if (!inThisProcess || opts.process || opts.cwd || opts.timeout !== undefined || needsProcess(opts.env)) return undefined
  const [{runInProcess}, {sourceResolver}] = await Promise.all([import('../../src/drill/inproc.js'), import('../unit/helpers/inproc.js')])
  const r = await runInProcess(sourceResolver, args, baseEnv(state, {NO_COLOR: '1', ...opts.env}))
  if (!r) return undefined // help, version, an unknown command: only bin/run.js answers those
  const strip = (s: string) => (opts.stripFinalNewline ? s.replace(/\r?\n$/, '') : s)
  return {exitCode: r.exit ?? undefined, signal: r.signal ?? undefined, stdout: strip(r.stdout), stderr: strip(r.stderr), timedOut: r.exit === null}
}

/** In this process when commandsInProcess() was called and allowed, else `node bin/run.js`. */
async function runCli(state: string | undefined, args: string[], opts: SpawnOptions & {process?: boolean} = {}): Promise<Ran> {
  const here = await inProcess(state, args, opts)
  if (here) return here
  const r = await spawnCli(state, args, opts)
  return {exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: !!r.timedOut}
}

/** A command line for inOneProcess: its arguments, its whole environment, its working directory. */
export interface CliRun {
  args: string[]
  env: Record<string, string>
  cwd: string
}
export interface CliAnswer {
  exit: number
  stdout: string
  stderr: string
}

/**
 * Command lines of the built CLI run one after the other in ONE process
 * (workers/cli-runs.mjs: what bin/run.js does — boot the bundle, main() — per
 * line, output captured, the exit status the process would have), instead of a
 * process each: for many runs whose point is what the CLI answers (help text,
 * both paths compared), not the process (cli-both-ways.test.ts checks that it
 * answers as bin/run.js does).
 */
export async function inOneProcess(runs: CliRun[]): Promise<CliAnswer[]> {
  requireBuilt()
  // Its own directory, removed here: callers may start runs outside a test (at collection).
  const dir = mkdtempSync(join(TEST_BASE, 'dlmctl-runs-'))
  try {
    writeFileSync(join(dir, 'runs.json'), JSON.stringify(runs))
    const r = await execa(process.execPath, [join(ROOT, 'test/e2e/workers/cli-runs.mjs'), join(dir, 'runs.json'), join(dir, 'answers.json')], {reject: false, stdin: 'ignore', timeout: HEAVY})
    if (r.exitCode !== 0 || r.stderr) throw new Error(`workers/cli-runs.mjs: exit ${r.exitCode}, signal ${r.signal}\n${r.stderr}`)
    return JSON.parse(readFileSync(join(dir, 'answers.json'), 'utf8')) as CliAnswer[]
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Start `node bin/run.js ...args` on state directory `state` without waiting (for kill tests). */
export function spawnDlmctl(state: string, args: string[], opts: RunOptions = {}): CliProcess {
  return spawnCli(state, args, opts)
}

/** Run the CLI on `state` and wait for it. */
export async function dlmctlWith(opts: RunOptions, state: string, ...args: string[]): Promise<RunResult> {
  return toResult(await runCli(state, args, opts))
}

/** `dlmctl(dir, 'lock', 'list', '--json')` → {exitCode, stdout, stderr, json}. */
export function dlmctl(state: string, ...args: string[]): Promise<RunResult> {
  return dlmctlWith({}, state, ...args)
}

/** Requires a run to have exited 0 with nothing on stderr; returns it. */
export function succeeded(r: RunResult): RunResult {
  expect({exit: r.exitCode, stderr: r.stderr}).toEqual({exit: 0, stderr: ''})
  return r
}

/** Result of a spawned run (after awaiting spawnDlmctl). */
export const resultOf = toResult

/**
 * A fresh copy of fixtures/clusters/<name> in its own temporary directory (see
 * tempDir for when it is removed). Returns the state directory's path.
 */
export function copyFixture(name: string): string {
  const src = join(FIXTURES, name)
  if (!existsSync(join(src, 'cluster.json'))) throw new Error(`no fixture cluster ${src}`)
  const state = join(tempDir(name), name)
  cpSync(src, state, {recursive: true})
  return state
}

/** A fresh copy of a state directory made by the test (a fixture built once per file), in its own temporary directory. */
export function copyState(state: string): string {
  const copy = join(tempDir('copy'), 'state')
  cpSync(state, copy, {recursive: true})
  return copy
}

const shared: string[] = []
let perFile = false

/**
 * Make this file's temporary directories live until its last test has run (removed
 * by an afterAll this registers): for files whose tests share state made in one
 * test, or run concurrently. Call it at the top level of the test file.
 */
export function tempDirsPerFile(): void {
  perFile = true
  afterAll(() => {
    cleanup()
    perFile = false
  })
}

/**
 * A new empty temporary directory. Removed when the current test finishes; made
 * outside a test (a beforeAll) or in a file that called tempDirsPerFile(), by
 * cleanup() after the file's tests. DLMCTL_E2E_KEEP keeps them all.
 */
export function tempDir(tag = 'e2e', opts: {forPrograms?: boolean} = {}): string {
  // Programs (fence scripts, shims) go under the OS temp directory: tmpfs may be mounted noexec.
  const dir = mkdtempSync(join(opts.forPrograms ? tmpdir() : TEST_BASE, `dlmctl-${tag}-`))
  if (perFile) {
    shared.push(dir)
    return dir
  }
  try {
    onTestFinished(() => {
      if (!process.env.DLMCTL_E2E_KEEP) rmSync(dir, {recursive: true, force: true})
    })
  } catch {
    shared.push(dir) // not inside a test: a beforeAll, whose file calls cleanup() from afterAll
  }
  return dir
}

/** Removes the temporary directories made outside tests (or all of a tempDirsPerFile() file's). */
export function cleanup(): void {
  for (const d of shared.splice(0)) if (!process.env.DLMCTL_E2E_KEEP) rmSync(d, {recursive: true, force: true})
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

export {prng} from '../prng.js'

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

// ---- the recovery tests' style: dlm(state, args) → Run with json() ----

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (throws with the output if it is not). */
  json<T = any>(): T
  ms: number
}

/** Run `dlmctl <args>` on the state directory `state`. Never rejects; stdin is not a TTY; the final newline is stripped. */
export async function dlm(state: string, args: string[], opts: {env?: Record<string, string>; timeoutMs?: number; process?: boolean} = {}): Promise<Run> {
  const t0 = performance.now()
  const r = await runCli(state, args, {env: opts.env, timeout: opts.timeoutMs, stripFinalNewline: true, process: opts.process})
  const ms = performance.now() - t0
  const {stdout, stderr} = r
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
  const state = join(tempDir('rec'), 'cluster')
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

// ---- the UX tests' style: run(state, args) → UxRun; terminals; tables ----

export interface UxRun {
  exitCode: number
  stdout: string
  stderr: string
  ms: number
  timedOut: boolean
}

/** The CLI with stdout/stderr as pipes (not a terminal), NO_COLOR=1 unless env says otherwise. */
export async function run(
  state: string | undefined,
  args: string[],
  opts: {env?: Record<string, string | undefined>; cwd?: string; timeout?: number; process?: boolean} = {},
): Promise<UxRun> {
  const t0 = performance.now()
  const here = await inProcess(state, args, {env: opts.env, cwd: opts.cwd, timeout: opts.timeout, process: opts.process})
  const r = here ?? (await runCli(state, args, {env: opts.env, cwd: opts.cwd, timeout: opts.timeout ?? 20_000, stdin: 'pipe', process: true}))
  return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0, timedOut: r.timedOut}
}

/** --json result of a command that must succeed (exit 0 unless `exit` says otherwise). */
export async function json<T = any>(state: string, args: string[], exit = 0, opts: {process?: boolean} = {}): Promise<T> {
  const r = await run(state, [...args, '--json'], opts)
  if (r.exitCode !== exit) throw new Error(`dlmctl ${args.join(' ')} --json: exit ${r.exitCode} (expected ${exit})\n${r.stdout}${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** The built CLI on a pseudo-terminal (script(1)) of `cols`×`rows`, its input piped in. */
function onPty(state: string, args: string[], opts: {cols?: number; rows?: number; env?: Record<string, string | undefined>; timeout?: number}) {
  const cols = opts.cols ?? 120
  const cmd = `stty cols ${cols} rows ${opts.rows ?? 50}; exec ${shq(process.execPath)} ${shq(BIN)} ${args.map(shq).join(' ')}`
  const t0 = performance.now()
  requireBuilt()
  const child = execa('script', ['-qfec', cmd, '/dev/null'], {
    reject: false,
    extendEnv: false,
    env: baseEnv(state, {TERM: 'xterm-256color', COLUMNS: String(cols), SHELL: '/bin/sh', ...opts.env}),
    cwd: ROOT,
    timeout: opts.timeout ?? 20_000,
    stdin: 'pipe',
  })
  return {child, t0}
}

/**
 * The CLI on a pseudo-terminal (util-linux `script`), stdout and stderr both on it,
 * TERM=xterm-256color, no NO_COLOR, a `cols`-wide terminal. With `answer`, types it
 * (then Enter) once a yes/no prompt "(y/N)" has appeared. Output has "\r" removed.
 */
export async function runTty(
  state: string,
  args: string[],
  opts: {answer?: string; cols?: number; rows?: number; env?: Record<string, string | undefined>; timeout?: number; prompt?: RegExp} = {},
): Promise<UxRun & {prompted: boolean}> {
  const {child, t0} = onPty(state, args, opts)
  let seen = ''
  let prompted = false
  const prompt = opts.prompt ?? /\(y\/N\)/
  child.stdout!.on('data', (d: Buffer) => {
    seen += d.toString()
    if (!prompted && prompt.test(seen)) {
      prompted = true
      if (opts.answer !== undefined) child.stdin!.write(`${opts.answer}\r`)
    }
  })
  const r = await child
  return {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout).replaceAll('\r', ''),
    stderr: String(r.stderr).replaceAll('\r', ''),
    ms: performance.now() - t0,
    timedOut: !!r.timedOut,
    prompted,
  }
}

export const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g
export const stripAnsi = (s: string) => s.replace(ANSI, '')
/** Columns a line takes on a terminal (box drawing, ✓ ✗ … → count as one). */
export const width = (line: string) => [...stripAnsi(line)].length

/**
 * The rows of every cli-table3 table in a text (colours removed). A row whose first
 * cell is empty continues the row above (a wrapped cell): its fragments are appended
 * to the cells above, joined by a space. The first row of a table is its header.
 */
export function parseTables(text: string): string[][][] {
  const tables: string[][][] = []
  let cur: string[][] | undefined
  // A line erased (ESC[2K: a progress line on a slow machine) shows only what follows.
  for (const raw of text.split('\n')) {
    const line = stripAnsi(raw.split('\x1b[2K').at(-1)!).trimEnd()
    if (line.startsWith('┌')) {
      cur = []
      tables.push(cur)
      continue
    }
    if (line.startsWith('└')) {
      cur = undefined
      continue
    }
    if (!cur || !line.startsWith('│')) continue
    const cells = line.split('│').slice(1, -1).map((c) => c.trim())
    if (cur.length > 0 && cells[0] === '') {
      const prev = cur[cur.length - 1]
      cells.forEach((c, i) => {
        if (c) prev[i] = prev[i] ? `${prev[i]} ${c}` : c
      })
    } else cur.push(cells)
  }
  return tables
}

/** Ids of the chain fixture's locks, found by what they are (not hard-coded). */
export interface ChainIds {
  orphan: number // n2's persistent PR on meta/a (an orphan)
  converting: number // n1's PR→EX on meta/a
  waiting: number // n3's PR request on meta/a
  longName: string // the long resource name n3 holds CR on
}
export async function chainIds(state: string): Promise<ChainIds> {
  const {locks} = await json<{locks: any[]}>(state, ['lock', 'list', 'fs1'])
  const one = (pred: (l: any) => boolean, what: string) => {
    const m = locks.filter(pred)
    if (m.length !== 1) throw new Error(`chain fixture: expected one ${what}, found ${m.length}`)
    return m[0]
  }
  return {
    orphan: one((l) => l.resource === 'meta/a' && l.node === 'n2', "n2's lock on meta/a").lockId,
    converting: one((l) => l.resource === 'meta/a' && l.node === 'n1', "n1's lock on meta/a").lockId,
    waiting: one((l) => l.resource === 'meta/a' && l.node === 'n3', "n3's lock on meta/a").lockId,
    longName: one((l) => l.resource.startsWith('data/'), 'data/ lock').resource,
  }
}

/** One step of a conversation on a terminal: once `when` shows (in output after the previous step), do `before`, then type `send`. */
export interface TtyStep {
  when?: RegExp
  /** Wait this long after `when` before typing (ms). */
  pause?: number
  before?: () => Promise<void>
  send: string
}

/**
 * The CLI on a pseudo-terminal, talked to step by step (keys as raw bytes:
 * "\x03" is Ctrl-C, "\x1b" Escape, "\r" Enter). A step without `when` types at
 * once (before any prompt: type-ahead). Output has "\r" removed.
 */
export async function runTtyScript(state: string, args: string[], steps: TtyStep[], opts: {cols?: number; env?: Record<string, string | undefined>; timeout?: number} = {}): Promise<UxRun & {steps: number}> {
  const {child, t0} = onPty(state, args, opts)
  let seen = ''
  let from = 0
  let next = 0
  let busy = false
  const advance = async () => {
    if (busy) return
    busy = true
    while (next < steps.length) {
      const st = steps[next]
      if (st.when) {
        const m = st.when.exec(seen.slice(from))
        if (!m) break
        from += m.index + m[0].length
      }
      if (st.pause) await new Promise((r) => setTimeout(r, st.pause))
      await st.before?.()
      next++
      child.stdin!.write(st.send)
    }
    busy = false
  }
  child.stdout!.on('data', (d: Buffer) => {
    seen += stripAnsi(d.toString())
    void advance()
  })
  void advance()
  const r = await child
  return {
    exitCode: r.exitCode ?? -1,
    stdout: stripAnsi(String(r.stdout).replaceAll('\r', '')),
    stderr: String(r.stderr).replaceAll('\r', ''),
    ms: performance.now() - t0,
    timedOut: !!r.timedOut,
    steps: next,
  }
}

// ---- drills ----

/** A drill run's result: stdout parsed as JSON when it is JSON, else json is undefined. */
export interface DrillRun {
  exitCode: number | undefined
  stdout: string
  stderr: string
  json: any
}

/**
 * `node bin/run.js ...args` for the drill tests: the caller's environment less
 * DLMCTL_* and NODE_ENV (a drill takes its clock and state from its file), plus
 * NO_COLOR=1 and `env`; in `cwd` (default the repository).
 */
export async function drillCli(args: string[], opts: {cwd?: string; env?: Record<string, string>} = {}): Promise<DrillRun> {
  requireBuilt()
  const r = await execa(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env: drillEnv(opts.env), extendEnv: false, reject: false})
  return drillRunOf(r)
}

/**
 * Drill command lines one after the other in one process of the built CLI
 * (inOneProcess), each answered as drillCli answers it (stdout and stderr without
 * their final newline, stdout parsed as JSON when it is).
 */
export async function drillsInOneProcess(runs: CliRun[]): Promise<DrillRun[]> {
  const strip = (s: string) => s.replace(/\n$/, '')
  return (await inOneProcess(runs)).map((a) => drillRunOf({exit: a.exit, stdout: strip(a.stdout), stderr: strip(a.stderr)}))
}

/** The environment drillCli gives: the caller's less DLMCTL_* and NODE_ENV, NO_COLOR=1, then `env`. */
export function drillEnv(env: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DLMCTL_') && k !== 'NODE_ENV') base[k] = v
  return {...base, NO_COLOR: '1', ...env}
}

/** A drill run's result from a process's exit and output (stdout without its final newline, as execa gives it). */
export function drillRunOf(r: {exitCode?: number; exit?: number; stdout: string; stderr: string}): DrillRun {
  let json: any
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = undefined
  }
  return {exitCode: r.exitCode ?? r.exit, stdout: r.stdout, stderr: r.stderr, json}
}

/** The command groups (commands/<group>/): a command id is the group and one more word, else one word. */
const GROUPS = new Set(readdirSync(join(ROOT, 'commands'), {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name))

/**
 * What a drill file exercises: every kind of step it uses (`step:run`,
 * `step:crash`, `step:parallel`, `step:kill`, …, nested ones included), the
 * command of every run (`cmd:lock request`) and every kind of check
 * (`check:metadata`: each expands to its own commands).
 */
export function drillFeatures(file: string): Set<string> {
  const out = new Set<string>()
  const step = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(step)
    if (!x || typeof x !== 'object') return
    for (const [k, v] of Object.entries(x)) {
      if (k === 'expect' || k === 'as') continue
      out.add(`step:${k}`)
      if (k === 'run' && typeof v === 'string') {
        const w = v.trim().split(/\s+/)
        out.add(`cmd:${GROUPS.has(w[0]) ? w.slice(0, 2).join(' ') : w[0]}`)
      } else if (k === 'check' && v && typeof v === 'object') for (const c of Object.keys(v)) out.add(`check:${c}`)
      else if (k === 'parallel' || k === 'crash') step(v)
    }
  }
  step((parseYaml(readFileSync(file, 'utf8')) as {steps?: unknown}).steps)
  return out
}

/**
 * test/e2e/drills/covering.yaml: one drill that runs every kind of step and check
 * and every command the bundled drills use, once each, in few steps. The costly
 * ways of running drills (each step as a process, on etcd) run it in npm test,
 * every bundled drill under test:full; drill-fuzz.test.ts checks that it still
 * covers them (missingFrom).
 */
export const COVERING_DRILL = join(ROOT, 'test/e2e/drills/covering.yaml')

/** What the drills `files` exercise (drillFeatures) that the drill `covering` does not. */
export function missingFrom(covering: string, files: string[]): string[] {
  const has = drillFeatures(covering)
  return [...new Set(files.flatMap((f) => [...drillFeatures(f)]))].filter((x) => !has.has(x)).sort()
}
