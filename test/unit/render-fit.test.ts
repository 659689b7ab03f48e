// Tables on a terminal never exceed its width, and it is the widest columns
// (resource names, reasons) that wrap, not the short ones (status, mode).
import {beforeAll, describe, expect, it} from 'vitest'
import {bigTable, fitWidths, loadTables, wrapCell} from '../../src/render/table.js'

const visible = (s: string) => [...s.replace(/\x1b\[[0-9;]*m/g, '')].length

describe('fitting a terminal', () => {
  beforeAll(loadTables)
  const head = ['ID', 'RESOURCE', 'NODE', 'MODE', 'STATUS', 'PERSISTENT', 'VALID']
  const rows = [
    [11, 'meta/a', 'n2 (orphan)', 'PR', 'granted', 'yes', '✗ DOMAIN_RECOVERING ORPHANED'],
    [12, 'data/projects/cluster-wide/archive/2026-q1/volume-0001/segment-000042', 'n1', 'PR→EX', 'converting', 'yes', '✗ DOMAIN_RECOVERING'],
  ]

  it('natural widths when they fit', () => {
    expect(fitWidths(head, rows, 200)).toEqual([4, 71, 13, 7, 12, 12, 30])
  })

  it('at 80 columns: the short columns keep their longest word, the wide ones give', () => {
    const w = fitWidths(head, rows, 80)
    expect(w.reduce((a, b) => a + b, 0) + head.length + 1).toBeLessThanOrEqual(80)
    expect(w[4]).toBeGreaterThanOrEqual('converting'.length + 2)
    expect(w[3]).toBeGreaterThanOrEqual('PR→EX'.length + 2)
    expect(w[0]).toBe(4)
    expect(w[1]).toBeGreaterThan(w[3])
  })

  it('bigTable at a width: every line fits, a cut cell keeps every character', () => {
    const many = Array.from({length: 1500}, (_, i) => [i, `r/${'x'.repeat(i % 90)}/${i}`, 'n1', 'PR', i % 2 ? 'granted' : 'converting', 'no', '✓'])
    const out = bigTable(head, many, 60)
    for (const l of out.split('\n')) expect(visible(l)).toBeLessThanOrEqual(60)
    // Nothing cut: every x of every resource name is somewhere in the table.
    expect(out.split('x').length - 1).toBe(many.reduce((a, r) => a + (r[0] as number) % 90, 0))
    expect(out).toMatch(/│ converting │/)
    expect(bigTable(head, many)).not.toBe(out) // without a width: natural widths, one line per row
    expect(bigTable(head, many).split('\n')).toHaveLength(many.length + 3)
  })

  it('wrapCell: words whole where they fit, long words broken after / or -', () => {
    expect(wrapCell('✗ DOMAIN_RECOVERING ORPHANED', 18)).toEqual(['✗', 'DOMAIN_RECOVERING', 'ORPHANED'])
    expect(wrapCell('a b c', 3)).toEqual(['a b', 'c'])
    expect(wrapCell('data/projects/cluster', 10)).toEqual(['data/', 'projects/', 'cluster'])
    expect(wrapCell('short', 10)).toEqual(['short'])
  })
})
