// "What you confirmed is what is done." A command that showed a plan and asked
// (or a script that read the generation and passes --expect-generation) must not
// act on a state that moved meanwhile: another dlmctl may have declared a death,
// joined a node or taken a lock while the prompt was open. The check runs inside
// the committing transaction, under the scope locks, so nothing can slip in
// between the check and the commit; a failed check aborts it (nothing written)
// with STATE_CHANGED, saying what moved.
import {DlmError} from '../errors.js'
import {domainOfScope} from '../store/layout.js'
import type {ClusterState} from './state.js'

export interface CommitGuard {
  /** Called at the start of each transaction with its scopes. */
  before?(s: ClusterState, scopes: string[]): Promise<void>
  /** Called with a transaction's result just before it commits. */
  after?(s: ClusterState, result: unknown): Promise<void> | void
}

export interface Expected {
  /** The membership generation the operator saw. */
  generation?: number
  /** Each domain's recovery epoch the operator saw. */
  epochs?: Record<string, number>
  /** What the expectation came from, for the message ("the plan you confirmed", "--expect-generation 7"). */
  source: string
}

export function stateChanged(source: string, moved: string[]): DlmError {
  return new DlmError(
    'STATE_CHANGED',
    `the state changed since ${source}: ${moved.join('; ')}; nothing changed (look again and rerun)`,
    {moved},
  )
}

/**
 * The generation and epochs must still be what was seen. Checked once per thing:
 * at the first transaction that holds it (a recover's later steps legitimately
 * move epochs when a member dies during the recovery; they restart on their own).
 */
export function stillAsSeen(expected: Expected): CommitGuard {
  const checked = new Set<string>()
  return {
    async before(s, scopes) {
      const moved: string[] = []
      if (expected.generation !== undefined && !checked.has('generation')) {
        checked.add('generation')
        const now = (await s.membership()).generation
        if (now !== expected.generation) moved.push(`membership generation is ${now}, not ${expected.generation}`)
      }
      for (const sc of scopes) {
        const fs = domainOfScope(sc)
        if (fs === undefined) continue
        const want = expected.epochs?.[fs]
        if (want === undefined || checked.has(sc)) continue
        checked.add(sc)
        const now = (await s.domain(fs)).meta.epoch
        if (now !== want) moved.push(`${fs} is at epoch ${now}, not ${want} (a member died or recovered)`)
      }
      if (moved.length) throw stateChanged(expected.source, moved)
    },
  }
}

/**
 * The result about to be committed must match the preview that was shown, field
 * by field (`fields` picks what was shown). Null/undefined results (a transaction
 * that records only an event, a retry) are not compared.
 */
export function sameAsShown<T>(preview: T, fields: (r: T) => Record<string, unknown>, source = 'the plan you confirmed'): CommitGuard {
  const shown = fields(preview)
  return {
    after(_s, result) {
      if (result === null || result === undefined) return
      const now = fields(result as T)
      const moved: string[] = []
      for (const [k, v] of Object.entries(shown)) {
        if (JSON.stringify(now[k]) !== JSON.stringify(v)) moved.push(`${k}: now ${show(now[k])} (shown: ${show(v)})`)
      }
      if (moved.length) throw stateChanged(source, moved)
    },
  }
}

/** Both guards in turn. */
export function allOf(...guards: (CommitGuard | undefined)[]): CommitGuard | undefined {
  const gs = guards.filter((g): g is CommitGuard => !!g)
  if (gs.length === 0) return undefined
  return {
    async before(s, scopes) {
      for (const g of gs) await g.before?.(s, scopes)
    },
    async after(s, r) {
      for (const g of gs) await g.after?.(s, r)
    },
  }
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.length > 12 ? `${v.slice(0, 12).join(', ')} … (${v.length})` : v.join(', ')
  return v === undefined ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v)
}
