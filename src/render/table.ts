// Tables and colour. Plain (no colour, ASCII-safe borders kept simple) when
// stdout is not a terminal or NO_COLOR is set, so pipes and snapshots are stable.
type TableCtor = typeof import('cli-table3')
let Table: TableCtor | undefined

/** Load cli-table3 (bundled in its own chunk) before rendering; --json output never pays for it. */
export async function loadTables(): Promise<void> {
  const m = (await import('cli-table3')) as unknown as {default?: TableCtor} & TableCtor
  Table ??= m.default ?? m
}

export const useColor = (): boolean => !!process.stdout.isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb'

const paint = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s)
export const red = paint('31')
export const yellow = paint('33')
export const green = paint('32')
export const dim = paint('2')
export const bold = paint('1')

/** A table; long cells wrap to the terminal's width rather than being cut. */
export function table(head: string[], rows: (string | number)[][]): string {
  if (!Table) throw new Error('loadTables() was not awaited before table()')
  const t = new Table({
    head: head.map((h) => bold(h)),
    style: {head: [], border: [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
    wordWrap: true,
    ...(process.stdout.isTTY && process.stdout.columns ? {colWidths: fitWidths(head, rows, process.stdout.columns)} : {}),
  })
  for (const r of rows) t.push(r.map((c) => String(c)))
  return t.toString()
}

// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length

/** Column widths that fit the terminal: shrink the widest columns first. */
function fitWidths(head: string[], rows: (string | number)[][], columns: number): number[] {
  const w = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(String(r[i] ?? '')))) + 2)
  const budget = columns - (head.length + 1)
  while (w.reduce((a, b) => a + b, 0) > budget) {
    const i = w.indexOf(Math.max(...w))
    if (w[i] <= 8) break
    w[i] -= 1
  }
  return w
}
