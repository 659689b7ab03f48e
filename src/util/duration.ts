import {usage} from '../errors.js'

/** "500ms", "10s", "2m", "1h" or a bare number of seconds → milliseconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw usage(`bad ${what} '${s}': use e.g. 500ms, 10s, 2m`)
  const n = Number(m[1]) * {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return Math.round(n)
}
