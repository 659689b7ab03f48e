// The numbers `dlmctl metrics` exposes, read in one consistent view: per domain
// its state, epoch, locks by mode and status, invalid locks by reason and the
// unreplayed records of its dead nodes; per node its state and heartbeat age.
import {MODES, type Mode} from '../model/modes.js'
import type {NodeState} from '../model/types.js'
import {withView, scopes, type Ctx} from './context.js'
import {domainLockViews, unreplayedRecords} from './overview.js'

export const NODE_STATES: NodeState[] = ['up', 'dead', 'recovered']
export const LOCK_STATUSES = ['granted', 'converting', 'waiting'] as const
export const INVALID_REASONS = ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'] as const

export interface DomainMetrics {
  name: string
  recovering: boolean
  epoch: number
  /** mode → status → locks (every combination present, zeros included: series never vanish). */
  locks: Record<Mode, Record<(typeof LOCK_STATUSES)[number], number>>
  invalid: Record<(typeof INVALID_REASONS)[number], number>
  unreplayed: Record<string, number>
}

export interface Metrics {
  generation: number
  nodes: {name: string; state: NodeState; heartbeatAgeSeconds: number}[]
  domains: DomainMetrics[]
}

export async function metricsOp(ctx: Ctx): Promise<Metrics> {
  const names = await withView(ctx, [], async (s) => {
    await s.cluster()
    return s.domainNames()
  })
  return withView(ctx, [scopes.membership, ...names.map(scopes.domain)], async (s) => {
    const m = await s.membership()
    const now = Date.parse(ctx.clock.now())
    const domains: DomainMetrics[] = []
    for (const d of await s.allDomains()) {
      const locks = Object.fromEntries(MODES.map((mode) => [mode, {granted: 0, converting: 0, waiting: 0}])) as DomainMetrics['locks']
      const invalid = {DOMAIN_RECOVERING: 0, ORPHANED: 0, VALNOTVALID: 0}
      for await (const l of domainLockViews(s, d, m)) {
        locks[l.mode][l.status]++
        for (const r of l.invalidReasons) invalid[r]++
      }
      domains.push({name: d.name, recovering: d.meta.state === 'recovering', epoch: d.meta.epoch, locks, invalid, unreplayed: await unreplayedRecords(s, d)})
    }
    return {
      generation: m.generation,
      nodes: m.nodes.map((n) => ({name: n.name, state: n.state, heartbeatAgeSeconds: Math.max(0, (now - Date.parse(n.heartbeat)) / 1000)})),
      domains,
    }
  })
}
