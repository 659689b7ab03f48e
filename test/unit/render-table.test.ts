// Big listings are drawn by bigTable (cli-table3's layout is quadratic in rows):
// it must draw exactly what cli-table3 draws for the same plain table.
import {beforeAll, describe, expect, it} from 'vitest'
import {BIG_TABLE, bigTable, cliTable3, loadTables, plainTable, table} from '../../src/render/table.js'

describe('tables', () => {
  beforeAll(loadTables)

  it('bigTable draws the same table as cli-table3 (plain, natural widths)', () => {
    const head = ['ID', 'RESOURCE', 'NODE', 'VALID']
    const rows = Array.from({length: 300}, (_, i) => [i + 1, `meta/key-${'x'.repeat(i % 23)}`, `n${i % 7}`, i % 3 ? '✓' : '✗ DOMAIN_RECOVERING ORPHANED'])
    expect(process.stdout.isTTY).toBeFalsy()
    expect(bigTable(head, rows)).toBe(table(head, rows))
  })

  // Quadratic layout of 50,000 rows would take minutes: past the test timeout.
  it('a listing above BIG_TABLE rows is drawn whole, every row', () => {
    const rows = Array.from({length: 50_000}, (_, i) => [i, `r/${i}`, 'granted'])
    const out = table(['ID', 'RESOURCE', 'STATUS'], rows)
    const lines = out.split('\n')
    expect(lines).toHaveLength(rows.length + 3)
    expect(lines.at(-2)).toContain('r/49999')
    expect(rows.length).toBeGreaterThan(BIG_TABLE)
  })
})

describe('plain tables', () => {
  beforeAll(loadTables)

  // A seeded generator of plain cells: words, numbers, empty cells, several lines, dlmctl's symbols.
  const cellOf = (seed: number): string | number => {
    const pick = (xs: readonly string[]) => xs[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % xs.length]
    const kind = pick(['word', 'number', 'empty', 'lines', 'symbols', 'spaces'])
    if (kind === 'number') return seed % 1000
    if (kind === 'empty') return ''
    if (kind === 'lines') return `${pick(['a', 'bb', 'ccc dd'])}\n${pick(['', 'x', 'yyyy yyyy'])}${pick(['', '\n', '\nz'])}`
    if (kind === 'symbols') return `${pick(['✓', '✗ DOMAIN_RECOVERING', '→ n2', '…', '3×'])}`
    if (kind === 'spaces') return `  ${pick(['a', 'b c'])}  `
    return pick(['fs1', 'meta/key-17', 'n1 n2 n3', '-', 'granted', '{"x":1}', '~!@#$%^&*()_+`[]\\\\|;:\'",.<>/?'])
  }

  it('plainTable draws what cli-table3 draws, cell for cell (natural widths, off a terminal)', () => {
    expect(process.stdout.isTTY).toBeFalsy()
    for (let t = 0; t < 300; t++) {
      const cols = 1 + (t % 6)
      const head = Array.from({length: cols}, (_, i) => String(cellOf(t * 31 + i)).toUpperCase())
      const rows = Array.from({length: t % 7}, (_, r) => Array.from({length: cols}, (_, i) => cellOf(t * 977 + r * 13 + i)))
      expect(plainTable(head, rows)).toBe(cliTable3(head, rows))
    }
  })

  it('table() leaves cells of other widths to cli-table3 (wide characters)', () => {
    const rows = [['日本', 'x'], ['é', '🙂']]
    expect(table(['NAME', 'V'], rows)).toBe(cliTable3(['NAME', 'V'], rows))
    expect(table(['NAME', 'V'], rows)).not.toBe(plainTable(['NAME', 'V'], rows))
  })
})
