// Human renderings of the core's results. JSON output is the result itself.
import type {LockView} from '../model/validity.js'
import {table, red, yellow, green, dim} from './table.js'

const lvbShort = (lvb: string) => (/^0*$/.test(lvb) ? dim('0…') : lvb.replace(/0+$/, '') + (lvb.endsWith('0') ? dim('…') : ''))
const validMark = (v: LockView) => (v.valid ? green('✓') : red(`✗ ${v.invalidReasons.join(',')}`))

export function renderStatus(s: {
  cluster: string
  generation: number
  nodes: {name: string; state: string; incarnation: number}[]
  domains: {name: string; state: string; epoch: number; members: string[]; deadNodes: string[]}[]
}): string {
  const nodeState = (st: string) => (st === 'up' ? green(st) : st === 'dead' ? red(st) : yellow(st))
  const out = [`cluster ${s.cluster}  generation ${s.generation}`, '']
  out.push(table(['NODE', 'STATE', 'INCARNATION'], s.nodes.map((n) => [n.name, nodeState(n.state), n.incarnation])))
  out.push('')
  out.push(
    table(
      ['DOMAIN', 'STATE', 'EPOCH', 'MEMBERS', 'AWAITING REPLAY'],
      s.domains.map((d) => [d.name, d.state === 'normal' ? green(d.state) : red(d.state), d.epoch, d.members.join(' '), d.deadNodes.join(' ') || '-']),
    ),
  )
  const recovering = s.domains.filter((d) => d.state === 'recovering')
  if (recovering.length) out.push('', `recovery needed: ${recovering.map((d) => d.name).join(', ')} (dlmctl recover ${recovering.map((d) => d.name).join(' ')})`)
  return out.join('\n')
}

export function renderLocks(locks: LockView[]): string {
  if (locks.length === 0) return 'no locks'
  const rows = locks.map((l) => [
    l.lockId,
    l.domain,
    l.resource,
    l.node + (l.invalidReasons.includes('ORPHANED') ? red(' (orphan)') : ''),
    l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode,
    l.status === 'granted' ? l.status : yellow(l.status),
    l.persistent ? 'yes' : 'no',
    validMark(l),
    lvbShort(l.lvb),
  ])
  const invalid = locks.filter((l) => !l.valid).length
  const waiting = locks.filter((l) => l.status !== 'granted').length
  return `${table(['ID', 'DOMAIN', 'RESOURCE', 'NODE', 'MODE', 'STATUS', 'PERSISTENT', 'VALID', 'LVB'], rows)}\n${locks.length} lock(s), ${invalid} invalid, ${waiting} waiting`
}

export function renderLock(l: LockView): string {
  const status = l.status === 'granted' ? 'granted' : l.status === 'converting' ? `converting ${l.mode}→${l.requestedMode}` : 'waiting'
  return `lock ${l.lockId} on ${l.domain}:${l.resource} (${l.node}, ${l.mode}${l.persistent ? ', persistent' : ''}): ${status}, ${l.valid ? 'valid' : `NOT valid (${l.invalidReasons.join(', ')})`}`
}

export function renderNodes(r: {generation: number; nodes: {name: string; state: string; incarnation: number; heartbeat: string; domains: string[]}[]}): string {
  return `generation ${r.generation}\n${table(
    ['NODE', 'STATE', 'INCARNATION', 'HEARTBEAT', 'DOMAINS'],
    r.nodes.map((n) => [n.name, n.state, n.incarnation, n.heartbeat, n.domains.join(' ') || '-']),
  )}`
}

export function renderDomains(r: {
  domains: {name: string; state: string; epoch: number; members: string[]; deadNodes: string[]; attachments: {id: number; node: string; epoch: number}[]}[]
}): string {
  return table(
    ['DOMAIN', 'STATE', 'EPOCH', 'MEMBERS', 'AWAITING REPLAY', 'RECOVERY IDS'],
    r.domains.map((d) => [
      d.name,
      d.state,
      d.epoch,
      d.members.join(' '),
      d.deadNodes.join(' ') || '-',
      d.attachments.map((a) => `${a.id}(${a.node}@${a.epoch}${a.epoch !== d.epoch ? ', stale' : ''})`).join(' ') || '-',
    ]),
  )
}

export function renderEvents(r: {events: Record<string, unknown>[]}): string {
  if (r.events.length === 0) return 'no events'
  return table(
    ['TIME', 'EVENT', 'DETAIL'],
    r.events.map(({time, type, ...rest}) => [
      String(time),
      String(type),
      Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' '),
    ]),
  )
}

export function renderProblems(r: {ok: boolean; problems: {file: string; message: string}[]; warnings: {file: string; message: string}[]}): string {
  const out: string[] = []
  for (const p of r.problems) out.push(`${red('PROBLEM')} ${p.file}: ${p.message}`)
  for (const w of r.warnings) out.push(`${yellow('warning')} ${w.file}: ${w.message}`)
  out.push(r.ok ? green('state directory is consistent') : red(`${r.problems.length} problem(s) found`))
  return out.join('\n')
}

export function renderDeath(
  r: {node: string; generation: number; alreadyDead: boolean; fence: string; domains: {domain: string; epoch: number; orphaned: number[]; dropped: number[]; withdrawn: number[]; invalidatedResources: string[]; granted: number[]}[]},
  preview: boolean,
): string {
  if (r.alreadyDead) return `${r.node} is already dead; nothing changed`
  const lines = [
    preview
      ? `marking ${r.node} dead: ${r.domains.length} domain(s) will enter recovery`
      : `${r.node} is dead (generation ${r.generation}${r.fence === 'ok' ? ', fenced' : r.fence === 'skipped' ? ', fencing skipped' : ''})`,
  ]
  for (const d of r.domains) {
    lines.push(
      `  ${d.domain}: epoch ${d.epoch}, ${d.orphaned.length} persistent lock(s) ${preview ? 'will be orphaned' : 'orphaned'}, ${d.dropped.length} dropped, ${d.withdrawn.length} request(s) withdrawn` +
        (d.invalidatedResources.length ? `, value block not valid: ${d.invalidatedResources.join(' ')}` : '') +
        (d.granted.length ? `, ${d.granted.length} lock(s) granted (deadman)` : ''),
    )
  }
  if (!preview && r.domains.length) {
    lines.push(`next, for each domain: dlmctl domain attach <fs> --node <survivor>, replay, then dlmctl validate <fs> --id <id>`)
  }
  return lines.join('\n')
}
