// The one seeded PRNG of the tests (mulberry32): "random" tests replay the same
// way every run, and a failure can name its seed.

export interface Rng {
  /** A number in [0, 1). */
  (): number
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  pick<T>(xs: readonly T[]): T
}

export function prng(seed: number): Rng {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return Object.assign(next, {next, int, pick: <T>(xs: readonly T[]) => xs[int(xs.length)]})
}
