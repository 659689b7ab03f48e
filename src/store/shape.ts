// A small validator for the state files' shapes. Hand-written rather than a
// schema library because every command pays for its import at start-up (SPEC §5:
// 2× `node -e 0`); the shapes are few and flat. A check returns the first error
// as "path: message", or undefined.
export type Check = (v: unknown, path: string) => string | undefined

const fail = (path: string, msg: string) => `${path || '/'}: ${msg}`
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

export const str =
  (opts: {pattern?: RegExp; min?: number} = {}): Check =>
  (v, p) =>
    typeof v !== 'string'
      ? fail(p, `expected a string, got ${kind(v)}`)
      : opts.min !== undefined && v.length < opts.min
        ? fail(p, `expected at least ${opts.min} character(s)`)
        : opts.pattern && !opts.pattern.test(v)
          ? fail(p, `'${v.length > 40 ? v.slice(0, 40) + '…' : v}' does not match ${opts.pattern}`)
          : undefined

export const int =
  (min = -Infinity, max = Infinity): Check =>
  (v, p) =>
    typeof v !== 'number' || !Number.isInteger(v)
      ? fail(p, `expected an integer, got ${kind(v)}`)
      : v < min || v > max
        ? fail(p, `${v} is out of range ${min}..${max}`)
        : undefined

export const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? undefined : fail(p, `expected a number, got ${kind(v)}`))
export const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : fail(p, `expected true or false, got ${kind(v)}`))
export const nul: Check = (v, p) => (v === null ? undefined : fail(p, `expected null, got ${kind(v)}`))

export const oneOf =
  (...values: readonly (string | number)[]): Check =>
  (v, p) =>
    values.includes(v as string) ? undefined : fail(p, `expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`)

export const either =
  (...checks: Check[]): Check =>
  (v, p) => {
    let first: string | undefined
    for (const c of checks) {
      const e = c(v, p)
      if (e === undefined) return undefined
      first ??= e
    }
    return first
  }

export const arr =
  (item: Check, opts: {min?: number} = {}): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return fail(p, `expected an array, got ${kind(v)}`)
    if (opts.min !== undefined && v.length < opts.min) return fail(p, `expected at least ${opts.min} item(s)`)
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}/${i}`)
      if (e) return e
    }
    return undefined
  }

/** An object with these keys (those in `optional` may be absent); other keys are errors unless `open`. */
export const obj =
  (fields: Record<string, Check>, opts: {optional?: string[]; open?: boolean} = {}): Check =>
  (v, p) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(p, `expected an object, got ${kind(v)}`)
    const o = v as Record<string, unknown>
    for (const k in fields) {
      if (!(k in o)) {
        if (opts.optional?.includes(k)) continue
        return fail(`${p}/${k}`, 'missing')
      }
      const e = fields[k](o[k], `${p}/${k}`)
      if (e) return e
    }
    if (!opts.open) for (const k in o) if (!(k in fields)) return fail(`${p}/${k}`, 'unexpected field')
    return undefined
  }

export const record =
  (key: RegExp, value: Check): Check =>
  (v, p) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(p, `expected an object, got ${kind(v)}`)
    for (const [k, x] of Object.entries(v)) {
      if (!key.test(k)) return fail(`${p}/${k}`, `key does not match ${key}`)
      const e = value(x, `${p}/${k}`)
      if (e) return e
    }
    return undefined
  }
