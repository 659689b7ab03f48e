// The `check:` step of a drill: sugar for a cluster-wide expectation, compiled
// to read-only commands with expected JSON (run in parallel). The YAML checks and
// references of the rest of a drill are drill/parse-steps.ts and drill/refs.ts.
import type {Expect, ParallelStep, Pos, RunStep} from './types.js'

type YNode = import('yaml').Node
type YAML = typeof import('yaml')

/**
 * `check:` — a cluster-wide expectation, compiled to commands with --json:
 *   nodes: {n2: dead}, domains: {fs1: recovering}, locks: [ {resource: meta/a, valid: false} ],
 *   noLocks: [ {node: n2} ], metadata: {fs1: {a: "1"}}, consistent: true
 */
export function compileCheck(
  v: YNode,
  pos: Pos,
  Y: YAML,
  bad: (n: YNode | null | undefined, msg: string) => never,
  refs: (n: YNode) => void,
): ParallelStep | RunStep {
  if (!Y.isMap(v)) bad(v, 'check: {nodes: {...}, domains: {...}, locks: [...], noLocks: [...], metadata: {...}, consistent: true}')
  refs(v)
  const m = v.toJSON() as Record<string, unknown>
  const allowed = ['nodes', 'domains', 'locks', 'noLocks', 'metadata', 'consistent']
  for (const p of (v as import('yaml').YAMLMap).items) {
    const k = Y.isScalar(p.key) ? String(p.key.value) : ''
    if (!allowed.includes(k)) bad(p.key as YNode, `unknown key '${k}' in check (allowed: ${allowed.join(', ')})`)
  }
  const runs: RunStep[] = []
  const mk = (run: string, expect: Expect, what: string): RunStep => ({kind: 'run', run, expect, pos, label: `check ${what}`})
  // Point at the value of the key that is wrong, not at the whole check.
  const nodeOf = (key: string): YNode => ((v as import('yaml').YAMLMap).items.find((p) => Y.isScalar(p.key) && p.key.value === key)?.key as YNode) ?? v
  const objectOf = (x: unknown, what: string) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) bad(nodeOf(what.split('.')[0]), `check.${what} is a mapping`)
    return x as Record<string, unknown>
  }
  if (m.nodes !== undefined || m.domains !== undefined) {
    const json: Record<string, unknown> = {}
    if (m.nodes !== undefined) json.nodes = Object.entries(objectOf(m.nodes, 'nodes')).map(([name, state]) => ({name, state}))
    if (m.domains !== undefined) json.domains = Object.entries(objectOf(m.domains, 'domains')).map(([name, state]) => ({name, state}))
    runs.push(mk('status', {exit: 0, json}, 'nodes/domains'))
  }
  if (m.locks !== undefined || m.noLocks !== undefined) {
    const e: Expect = {exit: 0}
    if (m.locks !== undefined) {
      if (!Array.isArray(m.locks)) bad(nodeOf('locks'), 'check.locks is a list of lock patterns')
      e.json = {locks: m.locks}
    }
    if (m.noLocks !== undefined) {
      if (!Array.isArray(m.noLocks)) bad(nodeOf('noLocks'), 'check.noLocks is a list of lock patterns that must match no lock')
      e.absent = {locks: m.noLocks}
    }
    runs.push(mk('lock list', e, 'locks'))
  }
  if (m.metadata !== undefined) {
    for (const [fs, keys] of Object.entries(objectOf(m.metadata, 'metadata'))) {
      const want = Object.entries(objectOf(keys, `metadata.${fs}`)).map(([key, value]) => ({key, value}))
      runs.push(mk(`fs show ${fs}`, {exit: 0, json: {keys: want}}, `metadata of ${fs}`))
    }
  }
  if (m.consistent !== undefined) {
    if (typeof m.consistent !== 'boolean') bad(nodeOf('consistent'), 'check.consistent is true or false')
    runs.push(mk('check', {exit: m.consistent ? 0 : 4}, 'consistency'))
  }
  if (runs.length === 0) bad(v, 'check names nothing to check')
  if (runs.length === 1) return runs[0]
  return {kind: 'parallel', steps: runs, pos, label: 'check cluster state', readOnly: true}
}
