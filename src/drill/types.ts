// What a drill file compiles to: the steps the runner executes, and the errors
// a drill file's mistakes are reported as (file:line:col, exit 2).
import {DlmError} from '../errors.js'

export interface Pos {
  line: number
  col: number
}

export type Expect = {exit: number; json?: unknown; absent?: unknown}

export interface RunStep {
  kind: 'run'
  /** The command line as written (with ${...} still in it). */
  run: string
  as?: string
  expect: Expect
  /** Testing variables set for this command only (env:, core/testing-aids.ts). */
  env?: Record<string, string>
  pos: Pos
  /** What the step was written as, for the timeline (e.g. "kill: n2"). */
  label: string
}

export interface CrashStep {
  kind: 'crash'
  run: string
  /** A named crash point of the store (DLMCTL_CRASH_POINT), or a delay before SIGKILL. */
  at?: string
  afterMs?: number
  /** Testing variables set for this command only (env:, core/testing-aids.ts). */
  env?: Record<string, string>
  pos: Pos
  label: string
}

export interface ParallelStep {
  kind: 'parallel'
  steps: RunStep[]
  pos: Pos
  label: string
  /** A check's read-only commands: they may run one after the other in the runner's process (same answers). */
  readOnly?: boolean
}

export type Step = RunStep | CrashStep | ParallelStep

export interface ClusterSpec {
  nodes: string[]
  fs: {name: string; members: string[]}[]
  lvbSize?: number
  fenceCmd?: string[]
  fenceTimeout?: string
}

export interface Drill {
  name: string
  description: string
  file: string
  clock?: string
  cluster: ClusterSpec
  steps: Step[]
}

export class DrillInvalid extends DlmError {
  constructor(file: string, pos: Pos | undefined, message: string) {
    super('DRILL_INVALID', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${message}`, {file, ...(pos ?? {})})
  }
}

/** Several mistakes of one drill file, all reported at once: one line each, in file order. */
export class DrillMistakes extends DlmError {
  override readonly multiline = true
  constructor(file: string, mistakes: DrillInvalid[]) {
    const sorted = [...mistakes].sort((a, b) => Number(a.detail?.line ?? 0) - Number(b.detail?.line ?? 0) || Number(a.detail?.col ?? 0) - Number(b.detail?.col ?? 0))
    super('DRILL_INVALID', `${sorted.length} mistakes in ${file}:\n${sorted.map((m) => m.message).join('\n')}`, {
      file,
      ...(sorted[0].detail ?? {}),
      mistakes: sorted.map((m) => ({...m.detail, message: m.message})),
    })
  }
}

