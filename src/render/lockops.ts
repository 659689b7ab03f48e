// Human text for the lock rules of issue 9: deadlock cycles (lock blockers
// --cycles, lock explain), the result of lock convert (including --cancel), and
// the value blocks validate zeroed.
import type {LockView} from '../model/validity.js'
import type {CycleView} from '../core/cycles.js'
import {renderBlockers, renderLock} from './views.js'
import {bold, dim, red, yellow} from './table.js'

type CycleLike = CycleView

const modeOf = (l: LockView) => (l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode)
const lockText = (l: LockView) => `lock ${l.lockId} (${l.node} ${modeOf(l)} ${l.status} on ${l.resource})`

/** One line per edge: "lock 11 (n1 EX waiting on y) waits on lock 12 (n2 PR granted on y)". */
function cycleLines(c: CycleLike, indent: string): string[] {
  const byId = new Map(c.locks.map((l) => [l.lockId, l]))
  const out = c.edges.map((e) => {
    const [from, to] = [byId.get(e.from)!, byId.get(e.to)!]
    return e.kind === 'waits-on'
      ? `${indent}${lockText(from)} waits on ${lockText(to)}`
      : `${indent}${lockText(from)} is held by ${from.node}, which waits with ${lockText(to)}`
  })
  out.push(`${indent}${howToBreak(c)}`)
  return out
}

/** What breaks it: no automatic victim, the operator chooses. */
export function howToBreak(c: {release: number[]; cancel: number[]; orphans: LockView[]}): string {
  const ways: string[] = []
  if (c.release.length) ways.push(`release ${c.release.map((id) => `lock ${id}`).join(' or ')}`)
  if (c.cancel.length) ways.push(`cancel ${c.cancel.map((id) => `lock ${id}`).join(' or ')} (lock convert --cancel)`)
  let s = `to break it: ${ways.join(', or ')}`
  if (c.orphans.length) {
    s += `; ${c.orphans.map((o) => `lock ${o.lockId} (orphan of dead ${o.node})`).join(', ')} also ${c.orphans.length > 1 ? 'block' : 'blocks'} it and only validate releases ${c.orphans.length > 1 ? 'them' : 'it'} (dlmctl recover ${c.orphans[0].domain})`
  }
  return s
}

export function renderCycles(r: {domain: string; cycles: CycleLike[]; truncated: boolean}): string {
  if (r.cycles.length === 0) return `no deadlock cycle in ${r.domain}`
  const out: string[] = []
  r.cycles.forEach((c, i) => {
    if (i) out.push('')
    out.push(red(`cycle ${i + 1}: ${c.locks.length} locks, nodes ${c.nodes.join(' ')}, resources ${c.resources.join(' ')}`))
    out.push(...cycleLines(c, '  '))
  })
  out.push('', `${r.domain}: ${r.cycles.length} deadlock cycle(s)${r.truncated ? ` (stopped at ${r.cycles.length}: more exist)` : ''}; dlmctl chooses no victim`)
  return out.join('\n')
}

/** The deadlock section of lock explain. */
export function renderExplainCycles(lockId: number, cycles: CycleLike[]): string[] {
  const out: string[] = []
  for (const c of cycles) {
    out.push('', `${bold('DEADLOCK')}: lock ${lockId} is in a cycle of ${c.locks.length} locks (nodes ${c.nodes.join(' ')}; resources ${c.resources.join(' ')}) that nothing will break by itself:`)
    out.push(...cycleLines(c, '  '))
  }
  return out
}

export function renderConvert(r: LockView & {cancelled?: 'conversion' | 'request'; granted?: number[]}): string {
  const granted = r.granted?.length ? `; granted: ${r.granted.join(', ')}` : ''
  if (r.cancelled === 'request') return `lock ${r.lockId} on ${r.domain}:${r.resource} (${r.node}, ${r.mode}): ${yellow('request withdrawn')} (as lock release: the lock is gone)${granted}`
  if (r.cancelled === 'conversion') return `${renderLock(r)}; ${dim('conversion cancelled, keeps its granted mode')}${granted}`
  return renderLock(r)
}

/** validate's value blocks made valid again (zeroed), the first few named: "" when none. */
export function revalidatedText(names: string[], dryRun: boolean): string {
  if (names.length === 0) return ''
  const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '')
  return `; value block${names.length > 1 ? 's' : ''} of ${shown} ${dryRun ? 'would be ' : ''}zeroed and valid again`
}

/** lock blockers: the cycles (--cycles), else the wait-for trees. */
export function renderLockBlockers(r: {kind: 'cycles'; result: Parameters<typeof renderCycles>[0]} | {kind: 'trees'; result: Parameters<typeof renderBlockers>[0]}): string {
  return r.kind === 'cycles' ? renderCycles(r.result) : renderBlockers(r.result)
}
