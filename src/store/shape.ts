// A small validator for the state files' shapes. Hand-written rather than a
// schema library because every command pays for its import at start-up (SPEC §5:
// 2× `node -e 0`); the shapes are few and flat. A check returns undefined for a
// valid value, or the first failure; the failure's path is built on the way back
// up, so checking a valid 100,000-lock domain allocates no path strings.
export interface Failure {
  /** Path segments, innermost first. */
  at: string[]
  message: string
}
export type Check = (v: unknown) => Failure | undefined

const fail = (message: string): Failure => ({at: [], message})
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
const under = (f: Failure | undefined, seg: string): Failure | undefined => {
  if (f) f.at.push(seg)
  return f
}

/** "path: message" for the first failure of `check` on `v`, or undefined. */
export function explain(check: Check, v: unknown): string | undefined {
  const f = check(v)
  return f && `${f.at.length ? '/' + [...f.at].reverse().join('/') : '/'}: ${f.message}`
}

export const str =
  (opts: {pattern?: RegExp; min?: number} = {}): Check =>
  (v) =>
    typeof v !== 'string'
      ? fail(`expected a string, got ${kind(v)}`)
      : opts.min !== undefined && v.length < opts.min
        ? fail(`expected at least ${opts.min} character(s)`)
        : opts.pattern && !opts.pattern.test(v)
          ? fail(`'${v.length > 40 ? v.slice(0, 40) + '…' : v}' does not match ${opts.pattern}`)
          : undefined

export const int =
  (min = -Infinity, max = Infinity): Check =>
  (v) =>
    typeof v !== 'number' || !Number.isInteger(v)
      ? fail(`expected an integer, got ${kind(v)}`)
      : v < min || v > max
        ? fail(`${v} is out of range ${min}..${max}`)
        : undefined

export const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : fail(`expected a number, got ${kind(v)}`))
export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : fail(`expected true or false, got ${kind(v)}`))
export const nul: Check = (v) => (v === null ? undefined : fail(`expected null, got ${kind(v)}`))

export const oneOf =
  (...values: readonly (string | number)[]): Check =>
  (v) =>
    values.includes(v as string) ? undefined : fail(`expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`)

export const either =
  (...checks: Check[]): Check =>
  (v) => {
    let first: Failure | undefined
    for (const c of checks) {
      const e = c(v)
      if (e === undefined) return undefined
      first ??= e
    }
    return first
  }

export const arr =
  (item: Check, opts: {min?: number} = {}): Check =>
  (v) => {
    if (!Array.isArray(v)) return fail(`expected an array, got ${kind(v)}`)
    if (opts.min !== undefined && v.length < opts.min) return fail(`expected at least ${opts.min} item(s)`)
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i])
      if (e) return under(e, String(i))
    }
    return undefined
  }

/** An object with these keys (those in `optional` may be absent); other keys are errors unless `open`. */
export const obj = (fields: Record<string, Check>, opts: {optional?: string[]; open?: boolean} = {}): Check => {
  const keys = Object.keys(fields)
  const optional = new Set(opts.optional ?? [])
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(`expected an object, got ${kind(v)}`)
    const o = v as Record<string, unknown>
    let present = 0
    for (const k of keys) {
      const x = o[k]
      if (x === undefined && !(k in o)) {
        if (optional.has(k)) continue
        return under(fail('missing'), k)
      }
      present++
      const e = fields[k](x)
      if (e) return under(e, k)
    }
    // Unexpected keys: only look for them when there are more keys than the ones checked.
    if (!opts.open) {
      let n = 0
      for (const _ in o) n++
      if (n > present) for (const k in o) if (!(k in fields)) return under(fail('unexpected field'), k)
    }
    return undefined
  }
}

export const record =
  (key: RegExp, value: Check): Check =>
  (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(`expected an object, got ${kind(v)}`)
    for (const [k, x] of Object.entries(v)) {
      if (!key.test(k)) return under(fail(`key does not match ${key}`), k)
      const e = value(x)
      if (e) return under(e, k)
    }
    return undefined
  }
