// Drill speed (issue 13, item 5): the bundled seed-story drill with its plain steps
// in-process (the default) against one process per step (--processes), and how
// many random drills `drill fuzz` runs per minute with its default budget.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'
import {cleanEnv, cpuProbe, median, mustRun, round} from './stats.js'

const STORY_RUNS = 3
/** Drills of the one-process run (--workers 1). */
const ONE_PROCESS_RUNS = 30
/** Target of issue 13: drill fuzz's default budget in about a minute (on an idle machine). */
const FUZZ_TARGET_MS = 70_000
const TIME = '/usr/bin/time'
/** Target of issue 13: the seed-story drill under 1.5 s. */
const STORY_TARGET_MS = 1500

export function drills(root: string, run: string, tmp: string) {
  const cpu = cpuProbe(tmp)
  const story = (extra: string[]) => {
    const rs = Array.from({length: STORY_RUNS}, () => mustRun([run, 'drill', 'run', 'seed-story', '--json', ...extra], {cwd: root, capture: true, cpu}))
    for (const r of rs) if (JSON.parse(r.stdout).ok !== true) throw new Error('seed-story did not pass')
    return {ms: round(median(rs.map((r) => r.ms))), cpuMs: round(median(rs.map((r) => r.cpuMs ?? NaN)))}
  }
  const inProcess = story([])
  const processes = story(['--processes'])
  // drill fuzz's default budget as an operator runs it (no --runs, one worker process per CPU),
  // and a few drills in one process (--workers 1) for a drill's own cost.
  const fuzzRun = (extra: string[]) => {
    const r = timedRun([run, 'drill', 'fuzz', '--seed', '1', '--json', ...extra], tmp)
    const j = JSON.parse(r.stdout) as {result: string; drills: number; steps: number}
    if (j.result !== 'PASSED') throw new Error(`drill fuzz --seed 1 ${extra.join(' ')} did not pass`)
    return {...r, drills: j.drills, steps: j.steps}
  }
  const budget = fuzzRun([])
  const alone = fuzzRun(['--runs', String(ONE_PROCESS_RUNS), '--workers', '1'])
  const perMinute = (n: number, ms: number) => round((n * 60_000) / ms)
  const fuzzMet = budget.ms <= FUZZ_TARGET_MS
  return {
    seedStory: {inProcessMs: inProcess.ms, inProcessCpuMs: inProcess.cpuMs, processesMs: processes.ms, processesCpuMs: processes.cpuMs, speedup: round(processes.ms / inProcess.ms, 2), targetMs: STORY_TARGET_MS},
    fuzz: {
      seed: 1,
      // The default budget: its drills, steps, wall and CPU time (every process: the workers, and the processes of parallel and crash steps).
      drills: budget.drills,
      steps: budget.steps,
      workers: availableParallelism(),
      ms: round(budget.ms),
      cpuMs: round(budget.cpuMs ?? NaN),
      maxRssMB: budget.maxRssMB,
      drillsPerMinute: perMinute(budget.drills, budget.ms),
      stepsPerMinute: perMinute(budget.steps, budget.ms),
      cpuMsPerDrill: round((budget.cpuMs ?? NaN) / budget.drills),
      // The same drills' first ones, one after the other in one process: what the workers gain.
      oneProcess: {drills: alone.drills, ms: round(alone.ms), cpuMs: round(alone.cpuMs ?? NaN), drillsPerMinute: perMinute(alone.drills, alone.ms)},
      speedup: round(perMinute(budget.drills, budget.ms) / perMinute(alone.drills, alone.ms), 2),
      targetMs: FUZZ_TARGET_MS,
      met: fuzzMet,
    },
    met: inProcess.ms < STORY_TARGET_MS && fuzzMet,
  }
}

/**
 * `node args…` timed with its CPU time and peak RSS over every process it starts
 * (GNU time: a worker's CPU is its parent's children's time); without GNU time,
 * the CPU probe's figures of the process itself.
 */
function timedRun(args: string[], cwd: string): {ms: number; cpuMs?: number; maxRssMB?: number; stdout: string} {
  if (!existsSync(TIME)) {
    const r = mustRun(args, {cwd, capture: true, cpu: cpuProbe(cwd)})
    return {ms: r.ms, cpuMs: r.cpuMs, maxRssMB: r.maxRssMB === undefined ? undefined : round(r.maxRssMB), stdout: r.stdout}
  }
  const file = join(cwd, 'fuzz-time.txt')
  const t = performance.now()
  const r = spawnSync(TIME, ['-f', '%U %S %M', '-o', file, process.execPath, ...args], {cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe']})
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`)
  const [u, sys, kb] = readFileSync(file, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
  rmSync(file, {force: true})
  return {ms, cpuMs: (u + sys) * 1000, maxRssMB: round(kb / 1024), stdout: r.stdout}
}
