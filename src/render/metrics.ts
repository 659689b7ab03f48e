// The Prometheus text exposition format (version 0.0.4): for each metric a
// # HELP and a # TYPE line, then its samples `name{label="value",...} number`.
// Label values escape backslash, double quote and newline (the format's rule).
import {LOCK_STATUSES, INVALID_REASONS, NODE_STATES, type Metrics} from '../core/metrics.js'
import {MODES} from '../model/modes.js'

export const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

type Sample = [labels: Record<string, string>, value: number]

function family(out: string[], name: string, help: string, samples: Sample[]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')
    out.push(`${name}${l ? `{${l}}` : ''} ${formatValue(value)}`)
  }
}

/** Integers as integers; fractions with millisecond precision. */
const formatValue = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3))

export function renderMetrics(m: Metrics): string {
  const out: string[] = []
  family(out, 'dlm_membership_generation', 'Membership generation of the cluster (grows on every death and join).', [[{}, m.generation]])
  family(out, 'dlm_domain_recovering', '1 while the lock domain is recovering (a member died and validate has not succeeded), else 0.', m.domains.map((d) => [{domain: d.name}, d.recovering ? 1 : 0]))
  family(out, 'dlm_domain_epoch', 'Recovery epoch of the lock domain (grows by one on every death of a member).', m.domains.map((d) => [{domain: d.name}, d.epoch]))
  family(
    out,
    'dlm_locks',
    'Locks of the domain by mode (the granted mode; for a waiting request the mode it asks for) and status.',
    m.domains.flatMap((d) => MODES.flatMap((mode) => LOCK_STATUSES.map((status): Sample => [{domain: d.name, mode, status}, d.locks[mode][status]]))),
  )
  family(
    out,
    'dlm_locks_invalid',
    'Locks that are not valid, by reason (a lock with two reasons counts under both).',
    m.domains.flatMap((d) => INVALID_REASONS.map((reason): Sample => [{domain: d.name, reason}, d.invalid[reason]])),
  )
  family(out, 'dlm_node_state', '1 for the state the node is in (up, dead, recovered), 0 for the others.', m.nodes.flatMap((n) => NODE_STATES.map((state): Sample => [{node: n.name, state}, n.state === state ? 1 : 0])))
  family(out, 'dlm_node_heartbeat_age_seconds', 'Seconds since the node\'s last heartbeat (dlmctl node heartbeat).', m.nodes.map((n) => [{node: n.name}, n.heartbeatAgeSeconds]))
  family(
    out,
    'dlm_journal_unreplayed_records',
    'Committed journal records of a dead node not yet replayed in the file system (what recover must apply).',
    m.domains.flatMap((d) => Object.entries(d.unreplayed).map(([node, n]): Sample => [{fs: d.name, node}, n])),
  )
  return out.join('\n') + '\n'
}
