// The operations a fuzz drill is made of, as concrete dlmctl command lines.
// Generated from random choices against the reference (gen.ts), run through
// the real CLI (check.ts) and the pure model (reference.ts), written back as
// ordinary drill steps (yaml.ts).
import {TORN_WRITE} from '../../core/testing-aids.js'
import type {Mode} from '../../model/modes.js'

export type Op =
  | {kind: 'request'; fs: string; resource: string; node: string; mode: Mode; persistent: boolean; noqueue: boolean}
  | {kind: 'convert'; fs: string; id: number; mode: Mode; noqueue: boolean; lvb?: string}
  | {kind: 'cancel'; fs: string; id: number}
  | {kind: 'release'; fs: string; id: number; lvb?: string}
  | {kind: 'write'; fs: string; node: string; key: string; value: string; torn: boolean; del?: boolean}
  | {kind: 'checkpoint'; fs: string; node: string}
  | {kind: 'kill'; node: string}
  | {kind: 'join'; node: string; fs?: string[]}
  | {kind: 'attach'; fs: string; node: string}
  | {kind: 'replay'; fs: string; id: number}
  | {kind: 'validate'; fs: string; id: number; force?: boolean}
  | {kind: 'detach'; fs: string; id: number}
  | {kind: 'recover'; fs: string}
  | {kind: 'add'; node: string}
  | {kind: 'heartbeat'; node: string}
  | {kind: 'check'}

/** A step of a fuzz drill: one operation, several at once (different domains), or one killed at a store crash point. */
export type FuzzStep =
  | {kind: 'op'; op: Op}
  | {kind: 'parallel'; ops: Op[]}
  | {kind: 'crash'; op: Op; at: string}

export interface FuzzCluster {
  nodes: string[]
  fs: {name: string; members: string[]}[]
}

export interface FuzzDrill {
  cluster: FuzzCluster
  steps: FuzzStep[]
}

/** The heartbeat timeout of a fuzzed `node check`. */
export const CHECK_TIMEOUT = '10s'

/** The command line of an operation, as a drill step writes it (without --json/--state). */
export function commandOf(op: Op): string {
  switch (op.kind) {
    case 'request':
      return `lock request ${op.fs} ${op.resource} --node ${op.node} --mode ${op.mode}${op.persistent ? ' --persistent' : ''}${op.noqueue ? ' --noqueue' : ''}`
    case 'convert':
      return `lock convert ${op.fs} ${op.id} --mode ${op.mode}${op.noqueue ? ' --noqueue' : ''}${op.lvb !== undefined ? ` --lvb ${op.lvb}` : ''}`
    case 'cancel':
      return `lock convert ${op.fs} ${op.id} --cancel`
    case 'release':
      return `lock release ${op.fs} ${op.id}${op.lvb !== undefined ? ` --lvb ${op.lvb}` : ''}`
    case 'write':
      return `fs write ${op.fs} --node ${op.node} ${op.del ? `--del ${op.key}` : `${op.key}=${op.value}`}`
    case 'checkpoint':
      return `fs checkpoint ${op.fs} --node ${op.node}`
    case 'kill':
      return `node mark-dead ${op.node} --yes`
    case 'join':
      return `node join ${op.node}${op.fs ? ` --fs ${op.fs.join(',')}` : ''}`
    case 'attach':
      return `domain attach ${op.fs} --node ${op.node}`
    case 'replay':
      return `replay ${op.fs} --id ${op.id}`
    case 'validate':
      return `validate ${op.fs} --id ${op.id}${op.force ? ' --force --yes' : ''}`
    case 'detach':
      return `domain detach ${op.fs} --id ${op.id} --yes`
    case 'recover':
      return `recover ${op.fs} --yes`
    case 'add':
      return `node add ${op.node}`
    case 'heartbeat':
      return `node heartbeat ${op.node}`
    case 'check':
      // The drill's clock is fixed: every heartbeat is "now", so a 10s timeout finds a node stale only if dlmctl misreads the clock.
      return `node check --timeout ${CHECK_TIMEOUT} --yes`
  }
}

/** The testing variables an operation's command runs with (a torn write's), or undefined. */
export const envOf = (op: Op): Record<string, string> | undefined => (op.kind === 'write' && op.torn ? {[TORN_WRITE]: '1'} : undefined)

/** The step kinds a summary counts (requests by mode class, conversions up/down…). */
export function kindOf(step: FuzzStep): string {
  if (step.kind === 'parallel') return 'parallel'
  if (step.kind === 'crash') return 'crash'
  // The variants an operator reaches for separately count as kinds of their own.
  if (step.op.kind === 'write' && step.op.del) return 'write --del'
  if (step.op.kind === 'validate' && step.op.force) return 'validate --force'
  if (step.op.kind === 'join' && step.op.fs) return 'join --fs'
  return step.op.kind
}

export const stepCount = (d: FuzzDrill) => d.steps.length
