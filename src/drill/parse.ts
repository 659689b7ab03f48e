// A drill file: YAML written by hand, validated whole before anything runs. Every
// mistake is reported with file:line:col (exit 2). Sugar steps (kill, recover,
// check, crash) compile down to the same core as `run`.
import {DlmError} from '../errors.js'
import {NODE_NAME, NODE_NAME_RULE} from '../model/names.js'
import {CRASH_POINTS, CRASH_POINT_SPEC} from '../store/io.js'
import {compileCheck} from './check-sugar.js'
import {splitArgs} from '../util/argv.js'
import {parseDuration} from '../util/duration.js'

export interface Pos {
  line: number
  col: number
}

export type Expect = {exit: number; json?: unknown; absent?: unknown}

export interface RunStep {
  kind: 'run'
  /** The command line as written (with ${...} still in it). */
  run: string
  as?: string
  expect: Expect
  pos: Pos
  /** What the step was written as, for the timeline (e.g. "kill: n2"). */
  label: string
}

export interface CrashStep {
  kind: 'crash'
  run: string
  /** A named crash point of the store (DLMCTL_CRASH_POINT), or a delay before SIGKILL. */
  at?: string
  afterMs?: number
  pos: Pos
  label: string
}

export interface ParallelStep {
  kind: 'parallel'
  steps: RunStep[]
  pos: Pos
  label: string
  /** A check's read-only commands: they may run one after the other in the runner's process (same answers). */
  readOnly?: boolean
}

export type Step = RunStep | CrashStep | ParallelStep

export interface ClusterSpec {
  nodes: string[]
  fs: {name: string; members: string[]}[]
  lvbSize?: number
  fenceCmd?: string[]
  fenceTimeout?: string
}

export interface Drill {
  name: string
  description: string
  file: string
  clock?: string
  cluster: ClusterSpec
  steps: Step[]
}

// Commands a drill may run (checked before anything runs).
export const DRILL_COMMANDS = [
  'init', 'status', 'events', 'export', 'check', 'validate', 'replay', 'recover',
  'node list', 'node add', 'node join', 'node mark-dead', 'node heartbeat', 'node check',
  'domain list', 'domain attach', 'domain detach',
  'lock request', 'lock convert', 'lock release', 'lock list', 'lock blockers', 'lock explain',
  'fs write', 'fs read', 'fs checkpoint', 'fs show', 'journal show',
]

type YNode = import('yaml').Node
type YAML = typeof import('yaml')

export class DrillInvalid extends DlmError {
  constructor(file: string, pos: Pos | undefined, message: string) {
    super('DRILL_INVALID', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${message}`, {file, ...(pos ?? {})})
  }
}

/** Several mistakes of one drill file, all reported at once: one line each, in file order. */
export class DrillMistakes extends DlmError {
  override readonly multiline = true
  constructor(file: string, mistakes: DrillInvalid[]) {
    const sorted = [...mistakes].sort((a, b) => Number(a.detail?.line ?? 0) - Number(b.detail?.line ?? 0) || Number(a.detail?.col ?? 0) - Number(b.detail?.col ?? 0))
    super('DRILL_INVALID', `${sorted.length} mistakes in ${file}:\n${sorted.map((m) => m.message).join('\n')}`, {
      file,
      ...(sorted[0].detail ?? {}),
      mistakes: sorted.map((m) => ({...m.detail, message: m.message})),
    })
  }
}

/** Names remembered with `as`, used as ${name.path}. */
const REF = /\$\{([^}]*)\}/g

export async function parseDrill(text: string, file: string): Promise<Drill> {
  // Loaded lazily (start-up); bundled, its exports may sit on `default`.
  const ym = (await import('yaml')) as YAML & {default?: YAML}
  const Y: YAML = ym.LineCounter ? ym : ym.default!
  const lc = new Y.LineCounter()
  const doc = Y.parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  const at = (n: YNode | null | undefined): Pos | undefined => {
    if (!n?.range) return undefined
    const p = lc.linePos(n.range[0])
    return {line: p.line, col: p.col}
  }
  const bad = (n: YNode | null | undefined, msg: string): never => {
    throw new DrillInvalid(file, at(n), msg)
  }
  // Every mistake is collected and reported together (a drill author fixes them in one go).
  const mistakes: DrillInvalid[] = []
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn()
    } catch (e) {
      if (!(e instanceof DrillInvalid)) throw e
      mistakes.push(e)
      return fallback
    }
  }
  const report = () => {
    if (mistakes.length === 1) throw mistakes[0]
    if (mistakes.length > 1) throw new DrillMistakes(file, mistakes)
  }
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const p = e.linePos?.[0] ?? lc.linePos(e.pos[0])
      mistakes.push(new DrillInvalid(file, {line: p.line, col: p.col}, `not valid YAML: ${e.message.split('\n')[0]}`))
    }
    report()
  }
  const root = doc.contents
  if (!Y.isMap(root)) bad(root, 'a drill is a mapping with name, cluster and steps')
  const map = root as import('yaml').YAMLMap
  const get = (m: import('yaml').YAMLMap, key: string) => m.items.find((p) => Y.isScalar(p.key) && p.key.value === key)
  const keysOf = (m: import('yaml').YAMLMap, allowed: string[], what: string) => {
    const before = mistakes.length
    for (const p of m.items) {
      const k = Y.isScalar(p.key) ? String(p.key.value) : undefined
      if (k === undefined || !allowed.includes(k)) attempt(() => bad(p.key as YNode, `unknown key '${k}' in ${what} (allowed: ${allowed.join(', ')})`), undefined)
    }
    // Unknown keys are all reported; the part they are in is not read further.
    if (mistakes.length > before) throw mistakes.pop()
  }
  const str = (n: YNode | null | undefined, what: string): string => {
    if (!Y.isScalar(n) || typeof n.value !== 'string' || n.value === '') bad(n, `${what} must be a non-empty string`)
    return (n as import('yaml').Scalar).value as string
  }
  // A misspelt top-level key (setps:) is that one mistake, not also a missing key.
  const topMistake = attempt((): boolean => (keysOf(map, ['name', 'description', 'clock', 'cluster', 'steps'], 'the drill'), false), true)

  const name = attempt(() => {
    const nameNode = get(map, 'name')
    if (!nameNode) bad(map, 'missing required key: name')
    return str(nameNode!.value as YNode, 'name')
  }, '')
  const description = attempt(() => (get(map, 'description') ? str(get(map, 'description')!.value as YNode, 'description') : ''), '')
  const clock = attempt(() => {
    const clockPair = get(map, 'clock')
    const c = clockPair ? str(clockPair.value as YNode, 'clock') : undefined
    if (c && Number.isNaN(Date.parse(c))) bad(clockPair!.value as YNode, `clock '${c}' is not an ISO time`)
    return c
  }, undefined)

  // cluster
  const cluster = attempt((): ClusterSpec => {
  const cp = get(map, 'cluster')
  if (!cp || !Y.isMap(cp.value)) bad((cp?.value as YNode) ?? map, 'missing cluster: {nodes: [...], fs: ...}')
  const cm = cp!.value as import('yaml').YAMLMap
  keysOf(cm, ['nodes', 'fs', 'lvbSize', 'fenceCmd', 'fenceTimeout'], 'cluster')
  const nodesNode = get(cm, 'nodes')?.value as YNode
  if (!Y.isSeq(nodesNode) || nodesNode.items.length === 0) bad(nodesNode ?? cm, 'cluster.nodes must be a list of node names')
  const named = (n: YNode, what: string) => {
    const x = str(n, what)
    if (!NODE_NAME.test(x)) bad(n, `bad ${what} '${x}': ${NODE_NAME_RULE}`)
    return x
  }
  const nodes = (nodesNode as import('yaml').YAMLSeq).items.map((n) => named(n as YNode, 'node name'))
  const fsNode = get(cm, 'fs')?.value as YNode
  let fs: ClusterSpec['fs'] = []
  if (!fsNode) fs = [{name: 'fs1', members: nodes}]
  else if (Y.isSeq(fsNode)) fs = fsNode.items.map((n) => ({name: named(n as YNode, 'file system name'), members: nodes}))
  else if (Y.isMap(fsNode)) {
    fs = fsNode.items.map((p) => {
      const members = p.value as YNode
      if (!Y.isSeq(members)) bad(members ?? (p.key as YNode), 'a file system maps to the list of nodes that mount it')
      const list = (members as import('yaml').YAMLSeq).items.map((n) => str(n as YNode, 'a node name'))
      for (const [i, m] of list.entries()) if (!nodes.includes(m)) bad((members as import('yaml').YAMLSeq).items[i] as YNode, `unknown node '${m}' (cluster.nodes: ${nodes.join(', ')})`)
      return {name: named(p.key as YNode, 'file system name'), members: list}
    })
  } else bad(fsNode, 'cluster.fs is a list of names or a mapping name → nodes')
  const cluster: ClusterSpec = {nodes, fs}
  const lvb = get(cm, 'lvbSize')?.value as YNode
  if (lvb) {
    if (!Y.isScalar(lvb) || !Number.isInteger(lvb.value) || (lvb.value as number) < 1 || (lvb.value as number) > 1024) bad(lvb, 'lvbSize must be an integer from 1 to 1024 (bytes)')
    cluster.lvbSize = (lvb as import('yaml').Scalar).value as number
  }
  const fence = get(cm, 'fenceCmd')?.value as YNode
  if (fence) {
    if (!Y.isSeq(fence)) bad(fence, 'fenceCmd is an argument vector, e.g. [/usr/sbin/fence_node, "{node}"]')
    cluster.fenceCmd = (fence as import('yaml').YAMLSeq).items.map((n) => {
      if (!Y.isScalar(n)) bad(n as YNode, 'fenceCmd items are strings')
      return String((n as import('yaml').Scalar).value)
    })
  }
  const ft = get(cm, 'fenceTimeout')?.value as YNode
  if (ft) {
    cluster.fenceTimeout = str(ft, 'fenceTimeout')
    try {
      parseDuration(cluster.fenceTimeout, 'fenceTimeout')
    } catch (e) {
      bad(ft, (e as Error).message)
    }
  }
  return cluster
  }, {nodes: [], fs: []})
  const nodes = cluster.nodes

  // steps
  const sp = get(map, 'steps')
  if (!(topMistake && !sp) && (!sp || !Y.isSeq(sp.value) || sp.value.items.length === 0)) attempt(() => bad((sp?.value as YNode) ?? map, 'steps must be a non-empty list'), undefined)
  const defined = new Set<string>()
  const checkRefs = (text: string, n: YNode) => {
    for (const m of text.matchAll(REF)) {
      const ref = m[1].split('.')[0]
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(ref)) bad(n, `bad reference \${${m[1]}}: use \${name.path}`)
      if (!defined.has(ref)) bad(n, `unknown name '${ref}' in \${${m[1]}}: no earlier step remembers it with 'as: ${ref}'`)
    }
  }
  const checkRefsDeep = (n: YNode) => {
    if (Y.isScalar(n)) {
      if (typeof n.value === 'string') checkRefs(n.value, n)
    } else if (Y.isMap(n)) for (const p of n.items) checkRefsDeep(p.value as YNode)
    else if (Y.isSeq(n)) for (const i of n.items) checkRefsDeep(i as YNode)
  }
  const checkCommand = (line: string, n: YNode) => {
    checkRefs(line, n)
    let words: string[]
    try {
      words = splitArgs(line)
    } catch (e) {
      return bad(n, (e as Error).message)
    }
    if (words.length === 0) bad(n, 'empty command')
    if (words[0] === 'dlmctl') bad(n, "write the command without 'dlmctl'")
    const id = [3, 2, 1].map((k) => words.slice(0, k).join(' ')).find((c) => DRILL_COMMANDS.includes(c))
    if (!id) bad(n, `unknown command '${words.slice(0, 2).join(' ')}' (see: dlmctl --help)`)
    if (id === 'init') bad(n, "the drill's cluster is created from 'cluster:'; do not run init")
    for (const w of words) if (w === '--state' || w.startsWith('--state=')) bad(n, "steps run on the drill's state directory: no --state")
  }
  const parseExpect = (n: YNode | undefined, what: string): Expect => {
    const e: Expect = {exit: 0}
    if (!n) return e
    if (!Y.isMap(n)) bad(n, `${what}: expect is a mapping with exit, json, absent`)
    const m = n as import('yaml').YAMLMap
    keysOf(m, ['exit', 'json', 'absent'], 'expect')
    const ex = get(m, 'exit')?.value as YNode
    if (ex) {
      if (!Y.isScalar(ex) || !Number.isInteger(ex.value) || (ex.value as number) < 0 || (ex.value as number) > 255) bad(ex, 'expect.exit must be an exit code (0-255)')
      e.exit = (ex as import('yaml').Scalar).value as number
    }
    for (const k of ['json', 'absent'] as const) {
      const v = get(m, k)?.value as YNode
      if (v) {
        checkRefsDeep(v)
        e[k] = v.toJSON()
      }
    }
    return e
  }

  const stepKeys = ['run', 'as', 'expect', 'kill', 'recover', 'check', 'crash', 'parallel', 'name']
  // Names remembered inside a parallel block become visible only after the block.
  let deferred: string[] | undefined
  const parseStep = (n: YNode, inParallel: boolean): Step => {
    if (!Y.isMap(n)) bad(n, 'a step is a mapping: run, kill, recover, check, crash or parallel')
    const m = n as import('yaml').YAMLMap
    keysOf(m, stepKeys, 'a step')
    const kinds = ['run', 'kill', 'recover', 'check', 'crash', 'parallel'].filter((k) => get(m, k))
    if (kinds.length !== 1) bad(n, `a step has exactly one of run, kill, recover, check, crash, parallel (found: ${kinds.join(', ') || 'none'})`)
    const kind = kinds[0]
    const pos = at(n)!
    const asNode = get(m, 'as')?.value as YNode
    const as = asNode ? str(asNode, 'as') : undefined
    if (as !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(as)) bad(asNode, `as: '${as}' must be a name (letters, digits, _ or -)`)
    const expectNode = get(m, 'expect')?.value as YNode
    const expectKey = get(m, 'expect')?.key as YNode
    const label = (v: YNode) => `${kind}: ${Y.isScalar(v) ? String(v.value) : kind === 'check' ? 'cluster state' : ''}`.trim()
    const v = get(m, kind)!.value as YNode
    let step: Step
    switch (kind) {
      case 'run': {
        const run = str(v, 'run')
        checkCommand(run, v)
        step = {kind: 'run', run, as, expect: parseExpect(expectNode, 'run'), pos, label: run}
        break
      }
      case 'kill': {
        const node = str(v, 'kill')
        if (nodes.length && !nodes.includes(node) && !/\$\{/.test(node)) bad(v, `unknown node '${node}' (cluster.nodes: ${nodes.join(', ')})`)
        checkRefs(node, v)
        step = {kind: 'run', run: `node mark-dead ${node} --yes`, as, expect: parseExpect(expectNode, 'kill'), pos, label: label(v)}
        break
      }
      case 'recover': {
        const what = str(v, 'recover')
        checkRefs(what, v)
        const run = what === 'all' ? 'recover --all --yes' : `recover ${what} --yes`
        checkCommand(run, v)
        step = {kind: 'run', run, as, expect: parseExpect(expectNode, 'recover'), pos, label: label(v)}
        break
      }
      case 'check': {
        if (expectNode) bad(expectNode, 'a check step is its own expectation: no expect')
        if (as) bad(asNode, 'a check step has no result to remember')
        step = compileCheck(v, pos, Y, bad, checkRefsDeep)
        break
      }
      case 'crash': {
        if (inParallel) bad(n, 'crash steps cannot run in parallel')
        if (!Y.isMap(v)) bad(v, 'crash: {run: <command>, at: <crash point> | after: <delay>}')
        const cm2 = v as import('yaml').YAMLMap
        keysOf(cm2, ['run', 'at', 'after'], 'crash')
        if (expectNode) bad(expectKey, 'a crash step expects the command to be killed: no expect (check the state in the next steps)')
        if (!get(cm2, 'run')) bad(v, 'crash.run must be a non-empty string: the command to start and kill')
        const run = str(get(cm2, 'run')!.value as YNode, 'crash.run')
        checkCommand(run, get(cm2, 'run')!.value as YNode)
        const atN = get(cm2, 'at')?.value as YNode
        const afterN = get(cm2, 'after')?.value as YNode
        if (!!atN === !!afterN) bad(v, "crash needs one of 'at: <crash point>' (e.g. commit.after-record, commit.apply#2) or 'after: <delay>' (e.g. 30ms)")
        const c: CrashStep = {kind: 'crash', run, pos, label: `crash: ${run}`}
        if (atN) {
          c.at = str(atN, 'crash.at')
          if (!CRASH_POINT_SPEC.test(c.at)) {
            bad(atN, `unknown crash point '${c.at}' (${CRASH_POINTS.join(', ')}; #N for the N-th hit)`)
          }
          c.label += ` @ ${c.at}`
        } else {
          try {
            c.afterMs = parseDuration(str(afterN, 'crash.after'), 'crash.after')
          } catch (e) {
            bad(afterN, (e as Error).message)
          }
          c.label += ` after ${c.afterMs}ms`
        }
        if (as) bad(asNode, 'a crash step has no result to remember')
        step = c
        break
      }
      default: {
        if (inParallel) bad(n, 'parallel steps cannot nest')
        if (expectNode) bad(expectKey, 'put expect on each step inside parallel')
        if (!Y.isSeq(v) || v.items.length < 2) bad(v, 'parallel: a list of at least two steps')
        if (as) bad(asNode, "remember the results of parallel steps with 'as' on each of them")
        deferred = []
        const inner = (v as import('yaml').YAMLSeq).items.map((x) => parseStep(x as YNode, true))
        for (const nm of deferred) defined.add(nm)
        deferred = undefined
        for (const s of inner) if (s.kind !== 'run') bad(v, 'parallel steps are run steps (run, kill, recover)')
        step = {kind: 'parallel', steps: inner as RunStep[], pos, label: `parallel (${inner.length})`}
      }
    }
    if (as) {
      if (deferred) deferred.push(as)
      else defined.add(as)
    }
    return step
  }
  // In a parallel block, names remembered by one step are not visible to its siblings.
  const stepNodes = sp && Y.isSeq(sp.value) ? (sp.value as import('yaml').YAMLSeq).items : []
  const steps: Step[] = []
  for (const n of stepNodes) {
    try {
      steps.push(parseStep(n as YNode, false))
    } catch (e) {
      if (!(e instanceof DrillInvalid)) throw e
      mistakes.push(e)
      // A broken step's name still counts, so later references to it are not reported as mistakes too.
      const asNode = Y.isMap(n) ? get(n as import('yaml').YAMLMap, 'as')?.value : undefined
      if (Y.isScalar(asNode) && typeof asNode.value === 'string') defined.add(asNode.value)
      deferred = undefined
    }
  }
  report()
  return {name, description, file, clock, cluster, steps}
}
