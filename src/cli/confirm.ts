// A destructive change as the operator agrees to it: --dry-run shows what it would
// do and changes nothing; otherwise, unless --yes, a preview is computed ("computing
// the plan…" on a terminal meanwhile), shown in a y/N question, and the change then
// holds to what was shown (core/confirmed.ts refuses with STATE_CHANGED if it no
// longer holds). mark-dead, validate --force and recover ask this way.
import type {RunContext} from './define.js'

export interface Change<D, P, R> {
  /** --dry-run: only what would change (`dry`), marked dryRun: true. */
  dryRun?: boolean
  dry: () => Promise<D>
  /** --yes: no question. */
  yes?: boolean
  /** Whether this change asks at all (validate only with --force; recover only with file systems to recover). */
  ask: boolean
  /** What the question shows. */
  preview: () => Promise<P>
  /** The question about the preview; undefined: nothing to ask (the change would do nothing). */
  question: (p: P) => string | undefined
  /** The change, held to the preview the operator agreed to (undefined: none was asked). */
  change: (shown: P | undefined) => Promise<R>
}

/** The dry run's answer, or the change's once agreed to. */
export async function confirmedChange<D extends object, P, R>(cx: RunContext, c: Change<D, P, R>): Promise<(D & {dryRun: true}) | R> {
  if (c.dryRun) return {...(await c.dry()), dryRun: true}
  let shown: P | undefined
  if (c.ask && !c.yes) {
    const p = await cx.plan(c.preview)
    const q = c.question(p)
    if (q !== undefined) {
      await cx.confirm(q, c.yes)
      shown = p
    }
  }
  return c.change(shown)
}
