// Running the generated drills of a fuzz run: one after the other in this
// process, or several at once, each in a worker process (`dlmctl drill fuzz
// --worker`, the same binary: its steps go through the same command code as
// here). Either way the answer is the same: the lowest index of a failing drill.
// Workers take the next index as they finish one; once a drill has failed, no
// later one is started, and those still running before it are waited for (one
// of them may fail too, and the lowest wins).
import {fork, type ChildProcess} from 'node:child_process'
import {DlmError} from '../../errors.js'
import {runFuzzDrill, type ExecOptions} from './check.js'
import type {FuzzDrill} from './ops.js'

export interface PoolOptions {
  exec: ExecOptions
  /** Worker processes (1: none, the drills run in this process). */
  workers: number
  /** As each drill finishes, with how many have. */
  onDrill?: (done: number, ok: boolean) => void
}

/** A drill for a worker, and its answer. */
interface Job {
  index: number
  drill: FuzzDrill
}
interface Answer {
  index: number
  ok: boolean
}

/** Whether a drill holds (an error running it is a failure, as fast-check counts one). */
async function holds(drill: FuzzDrill, exec: ExecOptions): Promise<boolean> {
  if (drill.steps.length === 0) return true
  return runFuzzDrill(drill, exec).then(
    (r) => r.ok,
    () => false,
  )
}

/** The index (0-based) of the first drill that fails, or undefined when all hold. */
export async function runDrills(drills: FuzzDrill[], o: PoolOptions): Promise<number | undefined> {
  const workers = Math.min(o.workers, drills.length)
  if (workers <= 1) {
    for (const [i, d] of drills.entries()) {
      const ok = await holds(d, o.exec)
      o.onDrill?.(i + 1, ok)
      if (!ok) return i
    }
    return undefined
  }
  let next = 0
  let failed: number | undefined
  let lost: Error | undefined
  const answered = new Set<number>()
  const one = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      let running: number | undefined
      const give = () => {
        running = undefined
        if (!child.connected) return
        if (next < drills.length && (failed === undefined || next < failed) && !lost) {
          running = next++
          child.send({index: running, drill: drills[running]} satisfies Job)
        } else child.disconnect()
      }
      child.on('message', (a: Answer) => {
        answered.add(a.index)
        if (!a.ok && (failed === undefined || a.index < failed)) failed = a.index
        o.onDrill?.(answered.size, a.ok)
        give()
      })
      child.on('exit', (code, signal) => {
        if (running !== undefined) lost ??= new DlmError('INTERNAL', `drill fuzz: the worker running drill ${running + 1} ended (${signal ?? `exit ${code}`})`)
        resolve()
      })
      child.on('error', (e) => {
        lost ??= new DlmError('INTERNAL', `drill fuzz: a worker process failed: ${e.message}`)
        resolve()
      })
      give()
    })
  const children = Array.from({length: workers}, () => fork(o.exec.bin, ['drill', 'fuzz', '--worker'], {stdio: ['ignore', 'ignore', 'inherit', 'ipc']}))
  await Promise.all(children.map(one))
  if (lost) throw lost
  // Every drill before the first failure (all of them, when none failed) has answered.
  for (let i = 0; i < (failed ?? drills.length); i++) if (!answered.has(i)) throw new DlmError('INTERNAL', `drill fuzz: the workers ended before drill ${i + 1} ran`)
  return failed
}

/**
 * The worker's side (`drill fuzz --worker`, started by runDrills): runs the drills
 * it is sent, one at a time, and answers each; returns once the parent lets go of
 * it and the drill in hand is done (its throwaway cluster removed).
 */
export function fuzzWorker(exec: ExecOptions): Promise<void> {
  if (!process.send) return Promise.reject(new DlmError('USAGE', 'drill fuzz --worker: only drill fuzz starts workers'))
  let busy: Promise<unknown> = Promise.resolve()
  process.on('message', (job: Job) => {
    busy = holds(job.drill, exec).then((ok) => {
      if (process.connected) process.send!({index: job.index, ok} satisfies Answer)
    })
  })
  return new Promise((resolve) => process.once('disconnect', () => void busy.then(() => resolve())))
}
