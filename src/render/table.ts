// Tables and colour. Plain (no colour, ASCII-safe borders kept simple) when
// stdout is not a terminal or NO_COLOR is set, so pipes and snapshots are stable.
import {TextSink, type Send} from '../util/json-bytes.js'

type TableCtor = typeof import('cli-table3')
let Table: TableCtor | undefined

/** Load cli-table3 before rendering a table that needs it (see table()). */
export async function loadTables(): Promise<void> {
  const m = (await import('cli-table3')) as unknown as {default?: TableCtor} & TableCtor
  Table ??= m.default ?? m
}

/** table() was asked for a table only cli-table3 draws before loadTables() was awaited. */
export class TablesNotLoaded extends Error {}

/**
 * The text of `human` (a renderer that may draw tables). cli-table3 is loaded only
 * for a table that needs it — on a terminal, or with cells plainTable does not
 * draw —: loading it and laying out with it is milliseconds of every command's
 * start-up (SPEC §5), and a plain table off a terminal is drawn here alike.
 */
export async function renderHuman(human: () => string | undefined): Promise<string | undefined> {
  if (process.stdout.isTTY) await loadTables()
  try {
    return human()
  } catch (e) {
    if (!(e instanceof TablesNotLoaded)) throw e
  }
  await loadTables()
  return human()
}

export const useColor = (): boolean => !!process.stdout.isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb'

const paint = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s)
export const red = paint('31')
export const yellow = paint('33')
export const green = paint('32')
export const dim = paint('2')
export const bold = paint('1')

/**
 * A table. On a terminal, columns fit its width and long cells wrap: a word wider
 * than its column is broken (cli-table3 alone would cut it with '…'). Elsewhere
 * columns take what they need: nothing is ever cut.
 */
export function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length > BIG_TABLE) return bigTable(head.map((h) => bold(h)), rows, process.stdout.isTTY ? process.stdout.columns : undefined)
  const widths = process.stdout.isTTY && process.stdout.columns ? fitWidths(head, rows, process.stdout.columns) : undefined
  if (!widths && isPlain(head) && rows.every((r) => r.length === head.length && isPlain(r))) return plainTable(head, rows)
  return cliTable3(head, rows, widths)
}

/** A table drawn by cli-table3 (loaded by loadTables()): at `widths` (a terminal's fit), else at natural widths. */
export function cliTable3(head: string[], rows: (string | number)[][], widths?: number[]): string {
  if (!Table) throw new TablesNotLoaded('loadTables() was not awaited before table()')
  const fit = (cell: string, i: number) => (widths ? breakLongWords(cell, widths[i] - 2) : cell)
  const t = new Table({
    head: head.map((h, i) => fit(bold(h), i)),
    style: {head: [], border: [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    wordWrap: true,
    ...(widths ? {colWidths: widths} : {}),
  })
  for (const r of rows) t.push(r.map((c, i) => fit(String(c), i)))
  return t.toString()
}

/**
 * cli-table3 lays a table out in time quadratic in its rows (its fillInTable):
 * 5,000 locks took 4 s, 100,000 over a minute. Above BIG_TABLE rows the same box
 * style is drawn here in one pass, at natural column widths (nothing is cut; a
 * terminal wraps long lines).
 */
export const BIG_TABLE = 1000

export function bigTable(head: string[], rows: (string | number)[][], columns?: number): string {
  const text = (c: string | number) => String(c).replaceAll('\n', ' ')
  let widths = head.map((h) => visible(h) + 2)
  for (const r of rows) for (let i = 0; i < head.length; i++) widths[i] = Math.max(widths[i], visible(text(r[i] ?? '')) + 2)
  // On a terminal narrower than the table: the widest columns wrap (see fitWidths).
  const wrap = columns !== undefined && widths.reduce((a, b) => a + b, 0) + head.length + 1 > columns
  if (wrap) widths = fitWidths(head, rows, columns)
  const cells = (r: (string | number)[]) => widths.map((w, i) => (wrap ? wrapCell(text(r[i] ?? ''), w - 2) : [text(r[i] ?? '')]))
  return drawBox(widths, [cells(head), ...rows.map(cells)])
}

/**
 * Cells of printable ASCII and of the symbols dlmctl itself puts in tables: each
 * character one column wide, as cli-table3 (string-width) counts it too. A cell
 * with anything else (wide or combining characters, emoji, colour) is left to
 * cli-table3's width rules.
 */
const PLAIN_CELL = /^[\x20-\x7e\n×…→✓✗]*$/
const isPlain = (cells: (string | number)[]): boolean => cells.every((c) => typeof c === 'number' || PLAIN_CELL.test(c))

/**
 * A table of plain cells (isPlain) at natural widths, drawn as cli-table3 draws it:
 * a cell's lines one under the other, each column as wide as its longest line.
 */
export function plainTable(head: string[], rows: (string | number)[][]): string {
  const lines = [head, ...rows].map((r) => r.map((c) => String(c).split('\n')))
  const widths = head.map((_, i) => Math.max(...lines.map((r) => Math.max(...r[i].map((l) => l.length)))) + 2)
  return drawBox(widths, lines)
}

/** The box style of every table: rows of cells (each its lines) at `widths` (padding included), top-aligned. */
function drawBox(widths: number[], rows: string[][][]): string {
  const out = [boxLine(widths, '┌', '┬', '┐')]
  for (const parts of rows) {
    const height = Math.max(...parts.map((p) => p.length))
    for (let k = 0; k < height; k++) out.push(boxRow(widths, parts.map((p) => p[k] ?? '')))
  }
  out.push(boxLine(widths, '└', '┴', '┘'))
  return out.join('\n')
}

const boxLine = (widths: number[], l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w)).join(m) + r
const boxRow = (widths: number[], cells: string[]) => '│' + widths.map((w, i) => ' ' + cells[i] + ' '.repeat(Math.max(0, w - 1 - visible(cells[i])))).join('│') + '│'

/**
 * bigTable off a terminal (natural widths, nothing wraps) written through `write`
 * a megabyte at a time: the same text, for tables too big to hold as one string
 * (a million locks). `row(i)`: the cells of row i, asked for twice (widths, then lines).
 */
export async function writeBigTable(write: Send<string>, head: string[], count: number, row: (i: number) => string[]): Promise<void> {
  const text = (c: string | undefined) => (c === undefined ? '' : c.includes('\n') ? c.replaceAll('\n', ' ') : c)
  const widths = head.map((h) => visible(h) + 2)
  for (let i = 0; i < count; i++) {
    const r = row(i)
    for (let k = 0; k < head.length; k++) widths[k] = Math.max(widths[k], visible(text(r[k])) + 2)
  }
  const sink = new TextSink(write)
  await sink.put(boxLine(widths, '┌', '┬', '┐') + '\n' + boxRow(widths, head.map(text)))
  for (let i = 0; i < count; i++) {
    const r = row(i)
    const wait = sink.put('\n' + boxRow(widths, head.map((_, k) => text(r[k]))))
    if (wait) await wait
  }
  await sink.end('\n' + boxLine(widths, '└', '┴', '┘'))
}

/** A cell's lines at `max` visible characters: words kept whole where they fit, long ones broken. */
export function wrapCell(cell: string, max: number): string[] {
  if (visible(cell) <= max) return [cell]
  const out: string[] = []
  let cur = ''
  for (const word of breakLongWords(cell, max).split(/[ \n]/)) {
    for (const piece of word.split('\n')) {
      if (cur === '') cur = piece
      else if (visible(cur) + 1 + visible(piece) <= max) cur += ' ' + piece
      else {
        out.push(cur)
        cur = piece
      }
    }
  }
  out.push(cur)
  return out
}

// eslint-disable-next-line no-control-regex
const ANSI = /^\x1b\[[0-9;]*m/

/** Break every word wider than `max` visible characters, preferably after '/', ',' or '-'. */
export function breakLongWords(cell: string, max: number): string {
  if (max < 1) return cell
  return cell
    .split('\n')
    .map((line) => line.split(' ').map((w) => (visible(w) > max ? breakWord(w, max) : w)).join(' '))
    .join('\n')
}

function breakWord(word: string, max: number): string {
  const out: string[] = []
  let cur = ''
  let count = 0
  let lastBreak = -1 // index in cur just after a preferred break character
  for (let i = 0; i < word.length; i++) {
    const esc = ANSI.exec(word.slice(i))
    if (esc) {
      cur += esc[0]
      i += esc[0].length - 1
      continue
    }
    if (count === max) {
      const cut = lastBreak > 0 ? lastBreak : cur.length
      out.push(cur.slice(0, cut))
      cur = cur.slice(cut)
      count = visible(cur)
      lastBreak = -1
    }
    cur += word[i]
    count++
    if ('/,-'.includes(word[i])) lastBreak = cur.length
  }
  out.push(cur)
  return out.join('\n')
}

// Colour codes take no column (a cell without an escape is measured as it is: a million-row table measures 8 million).
// eslint-disable-next-line no-control-regex
const visible = (s: string) => (s.includes('\x1b') ? s.replace(/\x1b\[[0-9;]*m/g, '').length : s.length)

/**
 * Column widths that fit the terminal: every column first gets room for its
 * longest word (at most 20 characters), so words are rarely broken; what is left
 * goes to the columns in proportion to what they still need.
 */
export function fitWidths(head: string[], rows: (string | number)[][], columns: number): number[] {
  // One pass per column (a loop, not spread arguments: a listing may have 100,000 rows).
  const maxOver = (i: number, measure: (c: string) => number, withHead: boolean) => {
    let m = withHead ? measure(head[i]) : 0
    for (const r of rows) m = Math.max(m, measure(String(r[i] ?? '')))
    return m
  }
  const longestLine = (c: string) => Math.max(...c.split('\n').map(visible))
  const longestWord = (c: string) => Math.max(...c.split(/[\s]+/).map(visible))
  const natural = head.map((_, i) => maxOver(i, longestLine, true) + 2)
  const budget = columns - (head.length + 1)
  if (natural.reduce((a, b) => a + b, 0) <= budget) return natural
  // A column's words: of its cells only. A header may wrap ("PERSIS TENT") rather than
  // widen a column of yes/no and squeeze the resource names.
  const cellWords = natural.map((_, i) => Math.max(maxOver(i, longestWord, false), 3) + 2)
  const headWords = natural.map((_, i) => Math.max(cellWords[i], longestWord(head[i]) + 2))
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  // Each column's minimum: its longest word (at most 22). While those do not fit, the
  // widest minimum gives one character, down to `floor`, ties going to the column with
  // the longest content: RESOURCE and VALID wrap, STATUS and MODE keep their words.
  const fit = (words: number[], floor: number): number[] | undefined => {
    const m = natural.map((n, i) => Math.max(4, Math.min(n, words[i], 22)))
    while (sum(m) > budget) {
      let j = -1
      for (let i = 0; i < m.length; i++) if (m[i] > floor && (j < 0 || m[i] > m[j] || (m[i] === m[j] && natural[i] > natural[j]))) j = i
      if (j < 0) return undefined
      m[j]--
    }
    return m
  }
  // Headers whole if the wide columns can give enough; else a header may wrap
  // ("PERSIS TENT") rather than squeeze the resource names further.
  const min = fit(headWords, 12) ?? fit(cellWords, 4) ?? natural.map(() => 4)
  const minSum = min.reduce((a, b) => a + b, 0)
  if (minSum >= budget) return min
  // Fill the columns that want least first, each up to an equal share of what is
  // left: short cells stay on one line and the widest columns absorb the squeeze.
  const w = [...min]
  let extra = budget - minSum
  const want = (i: number) => natural[i] - min[i]
  const order = natural.map((_, i) => i).sort((a, b) => want(a) - want(b))
  order.forEach((i, k) => {
    const give = Math.min(want(i), Math.floor(extra / (order.length - k)))
    w[i] += give
    extra -= give
  })
  return w
}
