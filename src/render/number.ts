// Counts in human text: 1234567 → "1,234,567", as toLocaleString('en-US') writes them.
// Written out, not toLocaleString: the first toLocaleString of a process loads ICU's
// locale data, 30–40 ms on the machines here, paid by every `lock list` for one
// footer line; the output does not depend on the locale anyway.

/** An integer with a comma every three digits (en-US grouping); anything else as toLocaleString('en-US') writes it. */
export function count(x: number): string {
  if (!Number.isSafeInteger(x)) return x.toLocaleString('en-US')
  const digits = String(Math.abs(x))
  let out = ''
  for (let end = digits.length; end > 0; end -= 3) out = digits.slice(Math.max(0, end - 3), end) + (out ? ',' + out : '')
  return x < 0 ? '-' + out : out
}
