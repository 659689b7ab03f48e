// The full-screen view of `status --watch`: plain aligned columns (no borders,
// so it fits narrow terminals), every line cut to the terminal's width, as many
// lines as it has rows.
import type {WatchSnapshot} from '../core/watch.js'
import {bold, dim, green, red, yellow} from './table.js'

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g
const visible = (s: string) => [...s.replace(ANSI, '')].length

/** Cut a line to `cols` visible characters (an ellipsis marks the cut), colours kept balanced. */
export function fitLine(line: string, cols: number): string {
  if (visible(line) <= cols) return line
  let out = ''
  let n = 0
  for (let i = 0; i < line.length; ) {
    // eslint-disable-next-line no-control-regex
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i))
    if (m) {
      out += m[0]
      i += m[0].length
      continue
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!)
    if (n === cols - 1) return out + '…' + (out.includes('\x1b[') ? '\x1b[0m' : '')
    out += ch
    n++
    i += ch.length
  }
  return out
}

function columns(rows: string[][]): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? ''))))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(w[i] - visible(c)))).join('  ').trimEnd())
}

// A control character in an event's text (a fence command's message) must not move the
// cursor of a full-screen view: shown as \xNN.
// eslint-disable-next-line no-control-regex
const visibleControls = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

const detail = (e: Record<string, unknown>) =>
  Object.entries(e)
    .filter(([k]) => k !== 'time' && k !== 'type')
    .map(([k, v]) => `${k}=${visibleControls(typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
    .join(' ')

/** The screen's lines (at most `rows`, each at most `cols` wide). */
export function renderWatch(s: WatchSnapshot, cols: number, rows: number): string[] {
  const out: string[] = []
  out.push(`${bold('dlmctl status --watch')}  cluster ${s.cluster}  generation ${s.generation}  ${dim(s.time)}  ${dim('(q to quit)')}`)
  const nodeState = (st: string) => (st === 'up' ? green(st) : st === 'dead' ? red('DEAD') : yellow(st))
  out.push(`nodes: ${s.nodes.map((n) => `${n.name} ${nodeState(n.state)}`).join('  ')}`)
  out.push('')
  const head = ['DOMAIN', 'STATE', 'EPOCH', 'LOCKS', 'GRANTED', 'CONVERTING', 'WAITING', 'ORPHANS', 'INVALID', 'AWAITING REPLAY']
  const table = [
    head.map((h) => bold(h)),
    ...s.domains.map((d) => [
      d.name,
      d.state === 'normal' ? green(d.state) : red(d.state),
      String(d.epoch),
      String(d.counts.locks),
      String(d.counts.granted),
      d.counts.converting ? yellow(String(d.counts.converting)) : '0',
      d.counts.waiting ? yellow(String(d.counts.waiting)) : '0',
      d.counts.orphans ? red(String(d.counts.orphans)) : '0',
      d.counts.invalid ? red(String(d.counts.invalid)) : '0',
      d.deadNodes.map((n) => `${n} (${d.unreplayed[n] ?? 0} record${d.unreplayed[n] === 1 ? '' : 's'})`).join(' ') || '-',
    ]),
  ]
  out.push(...columns(table))
  const recovering = s.domains.filter((d) => d.state === 'recovering').map((d) => d.name)
  if (recovering.length) out.push(red(`recovery needed: ${recovering.join(', ')} (dlmctl recover ${recovering.join(' ')})`))
  const blocked = s.domains.flatMap((d) => d.mostWaitedOn).sort((a, b) => b.waiting + b.converting - (a.waiting + a.converting))
  out.push('', bold('most blocked resources'))
  if (blocked.length === 0) out.push(dim('  none'))
  for (const b of blocked.slice(0, 5)) out.push(`  ${b.domain} ${b.resource}: ${b.waiting} waiting, ${b.converting} converting`)
  out.push('', bold('last events'))
  if (s.events.length === 0) out.push(dim('  none'))
  const room = Math.max(1, rows - out.length)
  for (const e of s.events.slice(-room)) out.push(`  ${dim(String(e.time))} ${visibleControls(String(e.type))} ${detail(e)}`)
  return out.slice(0, rows).map((l) => fitLine(l, cols))
}
