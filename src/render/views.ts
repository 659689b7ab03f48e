// Human renderings of the core's results. JSON output is the result itself.
import type {LockView} from '../model/validity.js'
import {BIG_TABLE, renderHuman, table, red, yellow, green, dim, bold, writeBigTable} from './table.js'
import {renderExplainCycles} from './lockops.js'
import {escapeControl as esc} from './escape.js'
import {renderFenced} from './safety.js'
import type {LockCounts, RowList} from '../core/summary.js'
import type {Send} from '../util/json-bytes.js'

const lvbShort = (lvb: string) => (/^0*$/.test(lvb) ? dim('0…') : lvb.replace(/0+$/, '') + (lvb.endsWith('0') ? dim('…') : ''))
const validMark = (v: LockView) => (v.valid ? green('✓') : red(`✗ ${v.invalidReasons.join(' ')}`))

export function renderStatus(s: {
  cluster: string
  generation: number
  nodes: {name: string; state: string; incarnation: number; heartbeatAgeSeconds?: number; next?: string | null}[]
  domains: {name: string; state: string; epoch: number; members: string[]; deadNodes: string[]; counts?: LockCounts; unreplayed?: Record<string, number>}[]
}): string {
  const nodeState = (st: string) => (st === 'up' ? green(st) : st === 'dead' ? red(st) : yellow(st))
  const out = [`cluster ${s.cluster}  generation ${s.generation}`, '']
  out.push(
    table(
      ['NODE', 'STATE', 'INCARNATION', 'HEARTBEAT AGE', 'NEXT'],
      s.nodes.map((n) => [n.name, nodeState(n.state), n.incarnation, n.heartbeatAgeSeconds === undefined ? '-' : ageWords(n.heartbeatAgeSeconds), n.next ?? '-']),
    ),
  )
  out.push('')
  // A dead node awaiting replay, with the committed records its journal still holds.
  const awaiting = (d: {deadNodes: string[]; unreplayed?: Record<string, number>}) =>
    d.deadNodes.map((n) => (d.unreplayed && n in d.unreplayed ? `${n} (${d.unreplayed[n]} record${d.unreplayed[n] === 1 ? '' : 's'})` : n)).join(' ') || '-'
  out.push(
    table(
      ['DOMAIN', 'STATE', 'EPOCH', 'MEMBERS', 'AWAITING REPLAY'],
      s.domains.map((d) => [d.name, d.state === 'normal' ? green(d.state) : red(d.state), d.epoch, d.members.join(' '), awaiting(d)]),
    ),
  )
  if (s.domains.some((d) => d.counts)) {
    out.push('')
    out.push(
      table(
        ['DOMAIN', 'LOCKS', 'GRANTED', 'CONVERTING', 'WAITING', 'ORPHANS', 'INVALID'],
        s.domains.map((d) => {
          const c = d.counts ?? {locks: 0, granted: 0, converting: 0, waiting: 0, orphans: 0, invalid: 0}
          return [d.name, c.locks, c.granted, c.converting ? yellow(String(c.converting)) : 0, c.waiting ? yellow(String(c.waiting)) : 0, c.orphans ? red(String(c.orphans)) : 0, c.invalid ? red(String(c.invalid)) : 0]
        }),
      ),
    )
  }
  const recovering = s.domains.filter((d) => d.state === 'recovering')
  if (recovering.length) out.push('', `recovery needed: ${recovering.map((d) => d.name).join(', ')} (dlmctl recover ${recovering.map((d) => d.name).join(' ')})`)
  return out.join('\n')
}

/** 42s, 5m, 3h, 2d: a heartbeat's age at a glance. */
export function ageWords(s: number): string {
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`
}

/** `domain`: the listing was asked for one domain, whose name then goes in the summary line, not in every row. */
export function renderLocks(locks: LockView[], domain?: string): string {
  if (locks.length === 0) return domain ? `no locks in ${domain}` : 'no locks'
  const one = domain !== undefined
  const rows = locks.map((l) => lockRow(l, one))
  const invalid = locks.filter((l) => !l.valid).length
  const waiting = locks.filter((l) => l.status !== 'granted').length
  return `${table(lockHead(one), rows)}\n${lockTotals(locks.length, invalid, waiting, domain)}`
}

/** A lock's row for selectLockRows (core/summary.ts): its cells joined by '\0', which no cell holds. */
export const lockRowText =
  (one: boolean) =>
  (l: LockView): string =>
    lockRow(l, one).join('\0')

/** renderLocks of rows made by lockRowText, through `write`: the same text, a big table never one string. */
export async function writeLocks(write: Send<string>, sel: {rows: RowList; invalid: number; waiting: number}, domain?: string): Promise<void> {
  if (sel.rows.length === 0) return write(domain ? `no locks in ${domain}` : 'no locks')
  const one = domain !== undefined
  const totals = lockTotals(sel.rows.length, sel.invalid, sel.waiting, domain)
  // A small table as every table is drawn (cli-table3 for cells it measures: loaded by renderHuman when needed).
  if (sel.rows.length <= BIG_TABLE || process.stdout.isTTY) return write((await renderHuman(() => `${table(lockHead(one), Array.from({length: sel.rows.length}, (_, k) => sel.rows.at(k).split('\0')))}\n${totals}`)) ?? '')
  await writeBigTable(write, lockHead(one).map((h) => bold(h)), sel.rows.length, (i) => sel.rows.at(i).split('\0'))
  await write(`\n${totals}`)
}

const lockHead = (one: boolean) => ['ID', ...(one ? [] : ['DOMAIN']), 'RESOURCE', 'NODE', 'MODE', 'STATUS', 'PERSISTENT', 'VALID', 'LVB']
const lockTotals = (n: number, invalid: number, waiting: number, domain?: string) => `${domain !== undefined ? `${domain}: ` : ''}${n} lock(s), ${invalid} invalid, ${waiting} waiting`

function lockRow(l: LockView, one: boolean): (string | number)[] {
  return [
    l.lockId,
    ...(one ? [] : [l.domain]),
    l.resource,
    l.node + (l.invalidReasons.includes('ORPHANED') ? red(' (orphan)') : ''),
    l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode,
    l.status === 'granted' ? l.status : yellow(l.status),
    l.persistent ? 'yes' : 'no',
    validMark(l),
    lvbShort(l.lvb),
  ]
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
        .map(([k, v]) => `${k}=${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
        .join(' '),
    ]),
  )
}

/** check's report; `state` names what was checked ("state directory", or the etcd state's URL: stateName). */
export function renderProblems(r: {ok: boolean; problems: {file: string; message: string}[]; warnings: {file: string; message: string}[]}, state: string): string {
  const out: string[] = []
  for (const p of r.problems) out.push(`${red('PROBLEM')} ${esc(p.file)}: ${esc(p.message)}`)
  for (const w of r.warnings) out.push(`${yellow('warning')} ${esc(w.file)}: ${esc(w.message)}`)
  out.push(r.ok ? green(`${esc(state)} is consistent`) : red(`${r.problems.length} problem(s) found`))
  return out.join('\n')
}

/** A few names and how many more: a death can touch 50,000 resources. */
function firstFew(names: string[], n = 8): string {
  return names.length <= n ? names.join(' ') : `${names.slice(0, n).join(' ')} … and ${names.length - n} more (--json lists all)`
}

export function renderDeath(
  r: {node: string; generation: number; alreadyDead: boolean; fence: string; fenced?: {command: string[]; exit: number; ms: number} | null; domains: {domain: string; epoch: number; orphaned: number[]; dropped: number[]; withdrawn: number[]; invalidatedResources: string[]; granted: number[]}[]},
  preview: boolean,
): string {
  if (r.alreadyDead) return `${r.node} is not up (already declared dead); nothing changed`
  const lines = [
    preview
      ? `marking ${r.node} dead: ${r.domains.length} domain(s) will enter recovery`
      : `${r.node} is dead (generation ${r.generation})`,
  ]
  if (!preview) lines.push(renderFenced({fence: r.fence, fenced: r.fenced ?? null}))
  for (const d of r.domains) {
    lines.push(
      `  ${d.domain}: epoch ${d.epoch}, ${d.orphaned.length} persistent lock(s) ${preview ? 'will be orphaned' : 'orphaned'}, ${d.dropped.length} dropped, ${d.withdrawn.length} request(s) withdrawn` +
        (d.invalidatedResources.length ? `, value block not valid: ${firstFew(d.invalidatedResources)}` : '') +
        (d.granted.length ? `, ${d.granted.length} waiting lock(s) granted` : ''),
    )
  }
  if (!preview && r.domains.length) {
    lines.push(`recover with: dlmctl recover ${r.domains.map((d) => d.domain).join(" ")}`)
  }
  return lines.join('\n')
}

export function renderFsShow(r: {
  domain: string
  state: string
  keys: {key: string; value: string | null; seq: number; deleted?: boolean}[]
  journals: {node: string; state: string; point: number; size: number; pendingTransactions: number; pendingRecords: number; damaged: {offset: number; reason: string} | null}[]
}): string {
  const keys = r.keys.length
    ? table(['KEY', 'VALUE', 'SEQ'], r.keys.map((k) => [esc(k.key), k.deleted ? dim('(deleted)') : esc(k.value!), k.seq]))
    : 'no metadata applied yet'
  const journals = table(
    ['JOURNAL', 'NODE STATE', 'POINT', 'SIZE', 'PENDING', 'DAMAGE'],
    r.journals.map((j) => [
      j.node,
      j.state,
      j.point,
      j.size,
      j.pendingTransactions ? yellow(`${j.pendingTransactions} tx / ${j.pendingRecords} records`) : '-',
      j.damaged ? red(`${j.damaged.reason} at ${j.damaged.offset}`) : '-',
    ]),
  )
  return `${r.domain} (${r.state})\n${keys}\n${journals}`
}

export function renderJournal(r: {
  domain: string
  node: string
  point: number
  size: number
  records: {line: number; offset: number; status: string; seq?: number; tx?: number; op?: string; key?: string; value?: string; n?: number; text?: string}[]
}): string {
  const paint = (s: string) => (s === 'applied' ? s : s === 'committed-pending' ? yellow(s) : red(s))
  const rows = r.records.map((x) => [
    x.line,
    x.offset,
    x.seq ?? '-',
    x.tx ?? '-',
    x.op ?? '-',
    x.op === 'commit' ? `${x.n} record(s)` : x.op ? esc(`${x.key}${x.op === 'set' ? `=${x.value}` : ''}`) : dim(esc(x.text ?? '')),
    paint(x.status),
  ])
  return `journal of ${r.node} on ${r.domain}: ${r.size} bytes, applied up to offset ${r.point}\n${rows.length ? table(['LINE', 'OFFSET', 'SEQ', 'TX', 'OP', 'RECORD', 'STATUS'], rows) : 'empty'}`
}

export function renderReplay(r: {domain: string; id: number; result: string; journals: {node: string; applied: number; discarded: number; stoppedAt: {offset: number; reason: string} | null}[]; changedKeys: number; dryRun?: boolean}): string {
  if (r.result === 'MORE_RECOVERY') return `MORE_RECOVERY: a member of ${r.domain} died since recovery id ${r.id} was attached; nothing replayed (attach again)`
  const lines = [`${r.dryRun ? 'would replay' : 'replayed'} ${r.domain} (recovery id ${r.id}): ${r.changedKeys} key(s) changed`]
  for (const j of r.journals) {
    lines.push(`  ${j.node}: ${j.applied} record(s) applied, ${j.discarded} discarded (uncommitted)${j.stoppedAt ? red(`, stopped at ${j.stoppedAt.reason} record at offset ${j.stoppedAt.offset}`) : ''}`)
  }
  if (r.journals.length === 0) lines.push('  no dead node to replay')
  return lines.join('\n')
}

export function renderRecover(r: {domains: {name: string; result: string; attempts: number; replayedNodes: string[]; runner: string | null; message?: string}[]}): string {
  if (r.domains.length === 0) return 'nothing to recover'
  return table(
    ['DOMAIN', 'RESULT', 'ATTEMPTS', 'RUNNER', 'REPLAYED', 'NOTE'],
    r.domains.map((d) => [d.name, d.result === 'RECOVERED' ? green(d.result) : red(d.result), d.attempts, d.runner ?? '-', d.replayedNodes.join(' ') || '-', esc(d.message ?? '')]),
  )
}

type Outcome = {index: string; label: string; command: string; exit: number | null; signal: string | null; ok: boolean; durationMs: number; failures: {path: string; message: string}[]; note?: string}

/** One line of a drill's timeline (and, for a failure, what was expected vs found). */
export const renderDrillHeader = (d: {name: string; description: string}) => `drill ${d.name}${d.description ? `: ${d.description}` : ''}`

export function renderDrillStep(s: Outcome): string {
  const mark = s.ok ? green('✓') : red('✗')
  const how = s.signal ? `killed ${s.signal}` : `exit ${s.exit}`
  const cmd = s.label === s.command || s.label === 'cluster' ? esc(s.command) : `${esc(s.label)}  ${dim(`(${esc(s.command)})`)}`
  const lines = [`${mark} ${s.index.padStart(3)}  ${cmd}  ${dim(`${how}, ${s.durationMs}ms`)}`]
  for (const f of s.failures) lines.push(`        ${red(esc(f.path))}: ${esc(f.message)}`)
  if (s.note) lines.push(`        ${dim(esc(s.note))}`)
  return lines.join('\n')
}

export function renderDrillSummary(r: {drill: string; stepCount: number; failedSteps: number; durationMs: number; state: string}): string {
  // Steps counted as the file (and drill list) counts them: a parallel block or a check is one step.
  return `${r.failedSteps ? red(`FAILED: ${r.failedSteps} of ${r.stepCount} steps`) : green(`passed: ${r.stepCount} steps`)}  drill ${r.drill} (${(r.durationMs / 1000).toFixed(1)}s; state: ${r.state})`
}

type TreeNode = {lock: LockView; reason?: string; orphan: boolean; goesAwayOnValidate: boolean; blockedBy: TreeNode[]; repeated?: boolean}

const reasonText: Record<string, string> = {
  incompatible: 'incompatible mode',
  'conversion-ahead': 'conversion ahead in the convert queue',
  'convert-queue': 'pending conversion (the wait queue waits for the convert queue)',
  'queued-ahead': 'request ahead in the wait queue',
}

function lockLine(l: LockView): string {
  const mode = l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode
  return `lock ${l.lockId} ${l.node} ${mode} ${l.status === 'granted' ? l.status : yellow(l.status)} on ${l.resource}${l.persistent ? ' (persistent)' : ''}`
}

/** A wait-for tree, drawn with box characters. */
export function renderTree(t: TreeNode, prefix = '', last = true, root = true): string[] {
  const tags: string[] = []
  if (t.reason) tags.push(dim(reasonText[t.reason] ?? t.reason))
  if (t.orphan) tags.push(red(`ORPHAN of dead ${t.lock.node}`))
  if (t.goesAwayOnValidate) tags.push(green('released by validate'))
  else if (!root && t.lock.status === 'granted' && !t.orphan) tags.push(`held by live ${t.lock.node}: it must release or convert`)
  if (t.repeated) tags.push(dim('(shown above)'))
  const head = root ? lockLine(t.lock) : `${prefix}${last ? '└─ ' : '├─ '}${lockLine(t.lock)}`
  const lines = [`${head}${tags.length ? '  ' + tags.join('; ') : ''}`]
  const childPrefix = root ? '' : prefix + (last ? '   ' : '│  ')
  t.blockedBy.forEach((c, i) => lines.push(...renderTree(c, childPrefix, i === t.blockedBy.length - 1, false)))
  return lines
}

export function renderBlockers(r: {domain: string; trees: TreeNode[]}): string {
  if (r.trees.length === 0) return `no waiting or converting lock in ${r.domain}`
  return r.trees.map((t) => (t.blockedBy.length === 0 && t.lock.status === 'granted' ? `${lockLine(t.lock)}: granted, nothing blocks it` : renderTree(t).join('\n'))).join('\n\n')
}

export function renderExplain(r: {lock: LockView; summary: string; reasons: {reason: string; because: string; deaths?: {node: string; generation?: number; time?: string; epoch?: number}[]; fix: string}[]; waitingOn?: TreeNode[]; cycles?: Parameters<typeof renderExplainCycles>[1]}): string {
  const out = [r.summary.includes('NOT valid') ? red(r.summary) : green(r.summary)]
  for (const x of r.reasons) {
    out.push('', `${bold(x.reason)}: ${x.because}`)
    for (const d of x.deaths ?? []) out.push(`  death of ${d.node}${d.generation !== undefined ? `, generation ${d.generation}` : ''}${d.epoch !== undefined ? `, domain epoch ${d.epoch}` : ''}${d.time ? `, at ${d.time}` : ''}`)
    out.push(`  to make it valid: ${x.fix}`)
  }
  if (r.waitingOn?.length) {
    out.push('', 'waiting on:')
    for (const t of r.waitingOn) out.push(...renderTree(t, '  ', true, false))
  }
  if (r.cycles?.length) out.push(...renderExplainCycles(r.lock.lockId, r.cycles))
  return out.join('\n')
}

export function renderRecoveryPlan(p: {domains: {name: string; recovering: boolean; runner: string | null; deadNodes: string[]; journals: {node: string; pendingTransactions: number; pendingRecords: number; stoppedAt: {offset: number; reason: string} | null}[]; orphans: number[]}[]}): string {
  const lines = ['dry run: nothing changed']
  for (const d of p.domains) {
    if (!d.recovering) {
      lines.push(`${d.name}: normal, nothing to recover`)
      continue
    }
    lines.push(`${d.name}: ${d.runner ?? red('no survivor')} would run it; dead: ${d.deadNodes.join(', ')}; ${d.orphans.length} orphan(s) to release`)
    for (const j of d.journals) {
      lines.push(`  replay ${j.node}: ${j.pendingTransactions} transaction(s), ${j.pendingRecords} record(s)${j.stoppedAt ? red(` (stops at ${j.stoppedAt.reason} record, offset ${j.stoppedAt.offset})`) : ''}`)
    }
  }
  return lines.join('\n')
}

/** drill list's table: name, steps, description. */
export function renderDrillList(drills: {name: string; description: string; steps: number}[]): string {
  return table(['DRILL', 'STEPS', 'DESCRIPTION'], drills.map((d) => [d.name, d.steps, d.description]))
}
