// Counts in human text are written out (src/render/number.ts), not by ICU: the same
// text as toLocaleString('en-US') for every integer, whatever its size or sign.
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'
import {count} from '../../src/render/number.js'

describe('count', () => {
  test('writes every safe integer as toLocaleString("en-US") does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({min: -1_000_000, max: 1_000_000})), (x) => {
        expect(count(x)).toBe(x.toLocaleString('en-US'))
      }),
      {numRuns: 2000},
    )
  })
  test('the edges of each group of three digits', () => {
    for (const x of [0, 7, 999, 1000, 99_999, 100_000, 999_999, 1_000_000, -1, -1000, -1_234_567, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(count(x)).toBe(x.toLocaleString('en-US'))
    }
    expect(count(1_000_000)).toBe('1,000,000')
  })
  test('anything but a safe integer is left to toLocaleString', () => {
    for (const x of [1.5, 1234.5678, -0.25, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity]) expect(count(x)).toBe(x.toLocaleString('en-US'))
  })
})
