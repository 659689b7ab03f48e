// Expectations of a drill step: containment matching and ${name.path} references.
//
// json (containment): an object matches if every key it names matches; a list
// matches if each of its items matches some item of the actual list; scalars
// match by equality (a number and the same number written as a string are equal,
// so "${a.lockId}" and ${a.lockId} both work). absent: holds if nothing matches
// it: each item of a list in it matches no item of the actual list, and a scalar
// is not equal.

export type Mismatch = {path: string; message: string}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/
function scalarEq(e: unknown, a: unknown): boolean {
  if (e === a) return true
  // "7" and 7 are the same lock id; " 7" or "0x7" are not.
  if (typeof e === 'number' && typeof a === 'string') return DECIMAL.test(a) && Number(a) === e
  if (typeof e === 'string' && typeof a === 'number') return DECIMAL.test(e) && Number(e) === a
  return false
}

const short = (v: unknown) => {
  const s = JSON.stringify(v)
  return s === undefined ? 'nothing' : s.length > 160 ? s.slice(0, 157) + '…' : s
}

/** The first reason `actual` does not contain `expected`, or undefined if it does. */
export function contains(expected: unknown, actual: unknown, path = ''): Mismatch | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return {path: path || '/', message: `expected a list, got ${short(actual)}`}
    for (const [i, item] of expected.entries()) {
      if (!actual.some((a) => contains(item, a) === undefined)) {
        // Say why the closest candidate failed: the one that matches most of the expected keys.
        const score = (a: unknown) => (isObj(item) && isObj(a) ? Object.keys(item).filter((k) => k in a && contains(item[k], a[k]) === undefined).length : 0)
        const best = actual.reduce<{a: unknown; s: number} | undefined>((b, a) => {
          const sc = score(a)
          return !b || sc > b.s ? {a, s: sc} : b
        }, undefined)
        const why = best && contains(item, best.a)
        return {
          path: `${path}[${i}]`,
          message: `no item of ${actual.length} matches ${short(item)}${why ? ` (closest: ${why.path || '/'} ${why.message})` : ''}`,
        }
      }
    }
    return undefined
  }
  if (isObj(expected)) {
    if (!isObj(actual)) return {path: path || '/', message: `expected an object, got ${short(actual)}`}
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) return {path: `${path}/${k}`, message: 'missing'}
      const m = contains(v, actual[k], `${path}/${k}`)
      if (m) return m
    }
    return undefined
  }
  return scalarEq(expected, actual) ? undefined : {path: path || '/', message: `expected ${short(expected)}, got ${short(actual)}`}
}

/** Every reason `actual` does not contain `expected`: each mismatching key, each unmatched list item. */
export function mismatches(expected: unknown, actual: unknown, path = ''): Mismatch[] {
  if (isObj(expected) && isObj(actual)) {
    return Object.entries(expected).flatMap(([k, v]) => (k in actual ? mismatches(v, actual[k], `${path}/${k}`) : [{path: `${path}/${k}`, message: 'missing'}]))
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.flatMap((item, i) => {
      const m = contains([item], actual, path)
      return m ? [{...m, path: `${path}[${i}]`}] : []
    })
  }
  const m = contains(expected, actual, path)
  return m ? [m] : []
}

/** Everything present that `absent` says must not be. */
export function absentAll(absent: unknown, actual: unknown, path = ''): Mismatch[] {
  if (Array.isArray(absent)) {
    return absent.flatMap((item, i) => {
      const m = absentHolds([item], actual, path)
      return m ? [{...m, path: `${path}[${i}]`}] : []
    })
  }
  if (isObj(absent) && isObj(actual)) return Object.entries(absent).flatMap(([k, v]) => (k in actual ? absentAll(v, actual[k], `${path}/${k}`) : []))
  const m = absentHolds(absent, actual, path)
  return m ? [m] : []
}

/** The first thing present that `absent` says must not be, or undefined if it holds. */
export function absentHolds(absent: unknown, actual: unknown, path = ''): Mismatch | undefined {
  if (Array.isArray(absent)) {
    if (!Array.isArray(actual)) return undefined
    for (const [i, item] of absent.entries()) {
      const hit = actual.find((a) => contains(item, a) === undefined)
      if (hit !== undefined) return {path: `${path}[${i}]`, message: `present: ${short(hit)} matches ${short(item)}`}
    }
    return undefined
  }
  if (isObj(absent)) {
    if (!isObj(actual)) return undefined
    for (const [k, v] of Object.entries(absent)) {
      if (!(k in actual)) continue
      const m = absentHolds(v, actual[k], `${path}/${k}`)
      if (m) return m
    }
    return undefined
  }
  return scalarEq(absent, actual) ? {path: path || '/', message: `is ${short(actual)}`} : undefined
}

export class RefError extends Error {}

const REF = /\$\{([^}]*)\}/g
const ONLY_REF = /^\$\{([^}]*)\}$/

/** Look up `name.path` in the remembered results. */
export function lookup(results: Map<string, unknown>, ref: string): unknown {
  const [name, ...path] = ref.split('.')
  if (!results.has(name)) throw new RefError(`\${${ref}}: '${name}' has no remembered result (its step failed or did not run)`)
  let v: unknown = results.get(name)
  for (const p of path) {
    if (Array.isArray(v) && /^\d+$/.test(p)) v = v[Number(p)]
    else if (isObj(v)) v = v[p]
    else v = undefined
    if (v === undefined) throw new RefError(`\${${ref}}: no '${p}' in the result of '${name}'`)
  }
  return v
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))

/** Replace references inside a string (always text). */
export function substituteText(s: string, results: Map<string, unknown>): string {
  return s.replace(REF, (_, ref: string) => asText(lookup(results, ref)))
}

/** Replace references in an expectation: a string that is exactly one ${...} takes the value with its type. */
export function substituteValue(v: unknown, results: Map<string, unknown>): unknown {
  if (typeof v === 'string') {
    const only = ONLY_REF.exec(v)
    return only ? lookup(results, only[1]) : substituteText(v, results)
  }
  if (Array.isArray(v)) return v.map((x) => substituteValue(x, results))
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteValue(x, results)]))
  return v
}
