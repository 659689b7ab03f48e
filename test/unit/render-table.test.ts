// Big listings are drawn by bigTable (cli-table3's layout is quadratic in rows):
// it must draw exactly what cli-table3 draws for the same plain table.
import {beforeAll, describe, expect, it} from 'vitest'
import {BIG_TABLE, bigTable, loadTables, table} from '../../src/render/table.js'

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
