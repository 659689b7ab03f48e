// The compatibility matrix, copied literally from SPEC §1 ("The model"), checked
// pair by pair against modes.ts.
import {describe, expect, it} from 'vitest'
import {MODES, atLeast, compatible, isMode, isWriteMode, type Mode} from '../../src/model/modes.js'

// SPEC §1:
// |    | NL | CR | CW | PR | PW | EX |
// |----|----|----|----|----|----|----|
// | NL | y  | y  | y  | y  | y  | y  |
// | CR | y  | y  | y  | y  | y  | n  |
// | CW | y  | y  | y  | n  | n  | n  |
// | PR | y  | y  | n  | y  | n  | n  |
// | PW | y  | y  | n  | n  | n  | n  |
// | EX | y  | n  | n  | n  | n  | n  |
const SPEC_TABLE = `
   | NL | CR | CW | PR | PW | EX |
NL | y  | y  | y  | y  | y  | y  |
CR | y  | y  | y  | y  | y  | n  |
CW | y  | y  | y  | n  | n  | n  |
PR | y  | y  | n  | y  | n  | n  |
PW | y  | y  | n  | n  | n  | n  |
EX | y  | n  | n  | n  | n  | n  |
`

function parseTable(text: string): Map<string, boolean> {
  const rows = text
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .map((c) => c.trim())
        .filter((c, i, all) => !(i === all.length - 1 && c === '')),
    )
  const header = rows[0].slice(1)
  const out = new Map<string, boolean>()
  for (const row of rows.slice(1)) {
    const a = row[0]
    row.slice(1).forEach((cell, i) => {
      expect(['y', 'n']).toContain(cell)
      out.set(`${a}/${header[i]}`, cell === 'y')
    })
  }
  return out
}

const EXPECTED = parseTable(SPEC_TABLE)

// The same table once more as explicit pairs, so a typo in the parser cannot hide a mistake.
const EXPECTED_PAIRS: Array<[Mode, Mode, boolean]> = [
  ['NL', 'NL', true], ['NL', 'CR', true], ['NL', 'CW', true], ['NL', 'PR', true], ['NL', 'PW', true], ['NL', 'EX', true],
  ['CR', 'NL', true], ['CR', 'CR', true], ['CR', 'CW', true], ['CR', 'PR', true], ['CR', 'PW', true], ['CR', 'EX', false],
  ['CW', 'NL', true], ['CW', 'CR', true], ['CW', 'CW', true], ['CW', 'PR', false], ['CW', 'PW', false], ['CW', 'EX', false],
  ['PR', 'NL', true], ['PR', 'CR', true], ['PR', 'CW', false], ['PR', 'PR', true], ['PR', 'PW', false], ['PR', 'EX', false],
  ['PW', 'NL', true], ['PW', 'CR', true], ['PW', 'CW', false], ['PW', 'PR', false], ['PW', 'PW', false], ['PW', 'EX', false],
  ['EX', 'NL', true], ['EX', 'CR', false], ['EX', 'CW', false], ['EX', 'PR', false], ['EX', 'PW', false], ['EX', 'EX', false],
]

describe('compatibility matrix (SPEC §1)', () => {
  it('has the six classic modes in order', () => {
    expect([...MODES]).toEqual(['NL', 'CR', 'CW', 'PR', 'PW', 'EX'])
  })

  it('the literal table has 36 cells and agrees with the explicit pair list', () => {
    expect(EXPECTED.size).toBe(36)
    expect(EXPECTED_PAIRS).toHaveLength(36)
    for (const [a, b, y] of EXPECTED_PAIRS) expect(EXPECTED.get(`${a}/${b}`), `${a}/${b}`).toBe(y)
  })

  for (const [a, b, y] of EXPECTED_PAIRS) {
    it(`${a} vs ${b} is ${y ? 'compatible' : 'incompatible'}`, () => {
      expect(compatible(a, b)).toBe(y)
    })
  }

  it('is symmetric for all 36 pairs', () => {
    for (const a of MODES) for (const b of MODES) expect(compatible(a, b), `${a}/${b}`).toBe(compatible(b, a))
  })

  it('NL is compatible with everything, EX only with NL', () => {
    for (const m of MODES) {
      expect(compatible('NL', m)).toBe(true)
      expect(compatible('EX', m)).toBe(m === 'NL')
    }
  })

  it('counts: 20 compatible pairs, 16 incompatible', () => {
    let y = 0
    for (const a of MODES) for (const b of MODES) if (compatible(a, b)) y++
    expect(y).toBe(20)
  })
})

describe('mode helpers', () => {
  it('isMode accepts exactly the six upper-case modes', () => {
    for (const m of MODES) expect(isMode(m)).toBe(true)
    for (const s of ['', 'nl', 'ex', 'XX', 'PRX', ' PR', 'PR ', 'toString', 'constructor']) expect(isMode(s)).toBe(false)
  })

  it('only PW and EX write the value block', () => {
    expect(MODES.filter(isWriteMode)).toEqual(['PW', 'EX'])
  })

  it('atLeast orders NL < CR < CW,PR < PW < EX', () => {
    expect(atLeast('NL', 'CR')).toBe(false)
    expect(atLeast('CR', 'CR')).toBe(true)
    expect(atLeast('CW', 'CR')).toBe(true)
    expect(atLeast('PR', 'CR')).toBe(true)
    expect(atLeast('PW', 'PR')).toBe(true)
    expect(atLeast('EX', 'PW')).toBe(true)
    expect(atLeast('PR', 'PW')).toBe(false)
    for (const m of MODES) expect(atLeast(m, 'NL')).toBe(true)
    for (const m of MODES) expect(atLeast('EX', m)).toBe(true)
  })
})
