// Running a drill: create its cluster, run each step as the real dlmctl command
// (a separate process, with --json and the drill's state directory), check the
// expectations, and report a timeline. Parallel steps are processes at once, so
// drills exercise the store's concurrency for real; crash steps SIGKILL one.
// Other steps may run in this process instead (inproc.ts: the same command code,
// parsing, JSON and exit codes, without a process start each).
import {spawn} from 'node:child_process'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {splitArgs} from '../util/argv.js'
import {absentAll, mismatches, RefError, substituteText, substituteValue, type Mismatch} from './match.js'
import type {CrashStep, Drill, RunStep, Step} from './types.js'
import {inProcessAllowed, runInProcess, type CliResult, type Resolver} from './inproc.js'

export interface StepOutcome {
  index: string
  label: string
  line: number
  /** The command as run (references substituted). */
  command: string
  exit: number | null
  signal: string | null
  ok: boolean
  durationMs: number
  failures: Mismatch[]
  note?: string
  json?: unknown
  stderr?: string
}

export interface DrillResult {
  drill: string
  file: string
  state: string
  /** Timeline entries that held / failed (step 0, the cluster, and each step of a parallel block count). */
  passed: number
  failed: number
  /** Steps as the file has them (what drill list shows), and how many of them failed (a parallel block once). */
  stepCount: number
  failedSteps: number
  ok: boolean
  durationMs: number
  steps: StepOutcome[]
}

export interface RunOptions {
  /** bin/run.js of this dlmctl. */
  bin: string
  /** Keep the cluster in this directory (new or empty) instead of a temporary one. */
  state?: string
  bail?: boolean
  env?: NodeJS.ProcessEnv
  /** Called as each step finishes (the timeline on a terminal). */
  onStep?: (s: StepOutcome) => void
  /** Run steps that are not parallel or crash in this process through this resolver (see inproc.ts). */
  inProcess?: Resolver
}

type Proc = CliResult

/** How a step's command is run: `alone` when nothing else runs at the same time (not in a parallel block). */
type Exec = (args: string[], alone: boolean, stepEnv?: Record<string, string>) => Promise<Proc>

export function runCli(bin: string, args: string[], env: NodeJS.ProcessEnv, kill?: {afterMs: number}): Promise<Proc> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = kill ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : undefined
    child.on('error', reject)
    child.on('close', (exit, signal) => {
      clearTimeout(timer)
      resolve({exit, signal, stdout, stderr, ms: Math.round(performance.now() - t0)})
    })
  })
}

function parseJsonOut(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}

/** Words of a step's command, references substituted word by word (a value with spaces stays one word). */
function commandWords(run: string, results: Map<string, unknown>): string[] {
  return splitArgs(run).map((w) => substituteText(w, results))
}

export async function runDrill(drill: Drill, opts: RunOptions): Promise<DrillResult> {
  const t0 = performance.now()
  const temp = !opts.state
  const root = opts.state ?? join(await mkdtemp(join(tmpdir(), `dlmctl-drill-`)), 'cluster')
  if (opts.state) {
    const entries = await readdir(opts.state).catch(() => [])
    if (entries.length) throw new (await import('../errors.js')).DlmError('NOT_EMPTY', `--state ${opts.state} is not empty: a drill creates its own cluster`)
  }
  const env: NodeJS.ProcessEnv = {...process.env, ...opts.env}
  delete env.DLMCTL_STATE
  delete env.DLMCTL_CRASH_POINT
  if (drill.clock) env.DLMCTL_CLOCK = drill.clock
  const results = new Map<string, unknown>()
  const outcomes: StepOutcome[] = []
  const report = (o: StepOutcome) => {
    outcomes.push(o)
    opts.onStep?.(o)
  }
  try {
    // Step 0: the cluster, through init like an operator would.
    const c = drill.cluster
    const initArgs = ['init', '--state', root, '--json', '--nodes', c.nodes.join(','), '--fs', c.fs.map((f) => `${f.name}:${f.members.join('+')}`).join(',')]
    if (c.lvbSize !== undefined) initArgs.push('--lvb-size', String(c.lvbSize))
    if (c.fenceCmd) initArgs.push('--fence-cmd', c.fenceCmd.map(shellQuote).join(' '))
    if (c.fenceTimeout) initArgs.push('--fence-timeout', c.fenceTimeout)
    const inProcess = opts.inProcess && inProcessAllowed() ? opts.inProcess : undefined
    const exec: Exec = async (args, alone, stepEnv) => {
      const e = stepEnv ? {...env, ...stepEnv} : env
      return (alone && inProcess ? await runInProcess(inProcess, args, e) : undefined) ?? runCli(opts.bin, args, e)
    }
    const init = await exec(initArgs, true)
    const initOk = init.exit === 0
    report({
      index: '0',
      label: 'cluster',
      line: 0,
      command: `init --nodes ${c.nodes.join(',')} --fs ${c.fs.map((f) => `${f.name}:${f.members.join('+')}`).join(',')}`,
      exit: init.exit,
      signal: init.signal,
      ok: initOk,
      durationMs: init.ms,
      failures: initOk ? [] : [{path: '/', message: `init failed: ${init.stderr.trim() || init.stdout.trim()}`}],
    })
    if (initOk) {
      for (const [i, step] of drill.steps.entries()) {
        const failed = await runStep(step, String(i + 1), root, exec, !!inProcess, opts.bin, env, results, report)
        if (failed && opts.bail) break
      }
    }
  } finally {
    if (temp) await rm(join(root, '..'), {recursive: true, force: true})
  }
  const failed = outcomes.filter((o) => !o.ok).length
  const failedSteps = new Set(outcomes.filter((o) => !o.ok).map((o) => o.index.split('.')[0])).size
  return {
    drill: drill.name,
    file: drill.file,
    state: temp ? '(temporary, removed)' : root,
    passed: outcomes.length - failed,
    failed,
    stepCount: drill.steps.length,
    failedSteps,
    ok: failed === 0,
    durationMs: Math.round(performance.now() - t0),
    steps: outcomes,
  }
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_/.{}:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
}

/** Runs one step (a parallel block runs its steps at once); returns whether anything failed. */
async function runStep(
  step: Step,
  index: string,
  root: string,
  exec: Exec,
  inProc: boolean,
  bin: string,
  env: NodeJS.ProcessEnv,
  results: Map<string, unknown>,
  report: (o: StepOutcome) => void,
): Promise<boolean> {
  if (step.kind === 'parallel') {
    // A check only looks (status, lock list, fs show, check): in-process, its parts run one after the other.
    const outs: StepOutcome[] = []
    if (step.readOnly && inProc) for (const [j, s] of step.steps.entries()) outs.push(await runOne(s, `${index}.${j + 1}`, root, (a) => exec(a, true, s.env), results))
    else outs.push(...(await Promise.all(step.steps.map((s, j) => runOne(s, `${index}.${j + 1}`, root, (a) => exec(a, false, s.env), results)))))
    // Remember results only after all ran: siblings never see each other's.
    for (const [j, s] of step.steps.entries()) if (s.as && outs[j].json !== undefined && outs[j].ok) results.set(s.as, outs[j].json)
    outs.forEach(report)
    return outs.some((o) => !o.ok)
  }
  const o = step.kind === 'crash' ? await runCrash(step, index, root, bin, env, results) : await runOne(step, index, root, (a) => exec(a, true, step.env), results)
  if (step.kind === 'run' && step.as && o.ok && o.json !== undefined) results.set(step.as, o.json)
  report(o)
  return !o.ok
}

async function runOne(step: RunStep, index: string, root: string, exec: (args: string[]) => Promise<Proc>, results: Map<string, unknown>): Promise<StepOutcome> {
  const base = {index, label: step.label, line: step.pos.line}
  let words: string[]
  let expectJson: unknown
  let expectAbsent: unknown
  try {
    words = commandWords(step.run, results)
    expectJson = step.expect.json === undefined ? undefined : substituteValue(step.expect.json, results)
    expectAbsent = step.expect.absent === undefined ? undefined : substituteValue(step.expect.absent, results)
  } catch (e) {
    if (!(e instanceof RefError)) throw e
    return {...base, command: step.run, exit: null, signal: null, ok: false, durationMs: 0, failures: [{path: '/', message: e.message}]}
  }
  const p = await exec([...words, '--json', '--state', root])
  const json = parseJsonOut(p.stdout)
  const failures: Mismatch[] = []
  if (p.exit !== step.expect.exit) {
    const err = (json as {error?: {code?: string; message?: string}} | undefined)?.error
    failures.push({path: 'exit', message: `expected exit ${step.expect.exit}, got ${p.exit ?? p.signal}${err ? ` (${err.code}: ${err.message})` : p.stderr.trim() ? ` (${p.stderr.trim().split('\n')[0]})` : ''}`})
  }
  if (expectJson !== undefined) {
    if (json === undefined) failures.push({path: 'json', message: `no JSON on stdout${p.stdout.trim() ? `: ${p.stdout.trim().slice(0, 120)}` : ''}`})
    else {
      for (const m of mismatches(expectJson, json)) failures.push({path: `json${m.path}`, message: m.message})
    }
  }
  if (expectAbsent !== undefined && json !== undefined) {
    for (const m of absentAll(expectAbsent, json)) failures.push({path: `absent${m.path}`, message: m.message})
  }
  return {
    ...base,
    command: words.join(' '),
    exit: p.exit,
    signal: p.signal,
    ok: failures.length === 0,
    durationMs: p.ms,
    failures,
    json,
    ...(p.stderr.trim() ? {stderr: p.stderr.trim().slice(0, 2000)} : {}),
  }
}

async function runCrash(step: CrashStep, index: string, root: string, bin: string, env: NodeJS.ProcessEnv, results: Map<string, unknown>): Promise<StepOutcome> {
  const base = {index, label: step.label, line: step.pos.line}
  let words: string[]
  try {
    words = commandWords(step.run, results)
  } catch (e) {
    if (!(e instanceof RefError)) throw e
    return {...base, command: step.run, exit: null, signal: null, ok: false, durationMs: 0, failures: [{path: '/', message: e.message}]}
  }
  const crashEnv = {...env, ...step.env, ...(step.at ? {DLMCTL_CRASH_POINT: step.at} : {})}
  const p = await runCli(bin, [...words, '--json', '--state', root], crashEnv, step.afterMs !== undefined ? {afterMs: step.afterMs} : undefined)
  const killed = p.signal === 'SIGKILL'
  const failures: Mismatch[] = []
  let note: string | undefined
  if (!killed) {
    if (step.at) failures.push({path: 'crash', message: `the command never reached crash point ${step.at} (exit ${p.exit}): it made no commit there`})
    else note = `finished (exit ${p.exit}) before the kill at ${step.afterMs}ms`
  }
  return {...base, command: words.join(' '), exit: p.exit, signal: p.signal, ok: failures.length === 0, durationMs: p.ms, failures, ...(note ? {note} : {})}
}
