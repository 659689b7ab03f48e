// A drill's `steps:`: each step read and checked (its command is one a drill may
// run, its references name earlier results, its expectation is well formed);
// the sugar steps (kill, recover, check, crash) compile to the commands they stand for.
import {commandIds} from '../cli/commands.js'
import {STEP_TESTING_VARIABLES} from '../core/testing-aids.js'
import {CRASH_POINTS, CRASH_POINT_SPEC} from '../store/io.js'
import {splitArgs} from '../util/argv.js'
import {parseDuration} from '../util/duration.js'
import {compileCheck} from './check-sugar.js'
import {DrillNames, REF_NAME} from './refs.js'
import {DrillInvalid, type CrashStep, type Expect, type RunStep, type Step} from './types.js'
import type {YMap, YNode, YSeq, YScalar, YamlReader} from './yaml-reader.js'

/** Commands that are not steps of a drill: the shell's completion, a scraper's metrics, and drills themselves. */
const notADrillStep = (id: string): boolean => id === 'completion' || id === 'metrics' || id.startsWith('drill ')

/**
 * The commands a drill may run (checked before anything runs): every command of
 * the command table (its ids only: no command is loaded) but those above; init is
 * refused with a reason of its own.
 */
export const drillCommands = (): string[] => commandIds().filter((id) => !notADrillStep(id))

const STEP_KEYS = ['run', 'as', 'expect', 'env', 'kill', 'recover', 'check', 'crash', 'parallel', 'name']
const STEP_KINDS = ['run', 'kill', 'recover', 'check', 'crash', 'parallel']

/** Every step of `stepNodes`; a broken step is a collected mistake and the next ones are still read. */
export function parseSteps(r: YamlReader, nodes: string[], stepNodes: YNode[]): Step[] {
  const {Y, bad} = r
  const names = new DrillNames(Y, bad)

  const checkCommand = (line: string, n: YNode) => {
    names.check(line, n)
    let words: string[]
    try {
      words = splitArgs(line)
    } catch (e) {
      return bad(n, (e as Error).message)
    }
    if (words.length === 0) bad(n, 'empty command')
    if (words[0] === 'dlmctl') bad(n, "write the command without 'dlmctl'")
    const allowed = drillCommands()
    const id = [3, 2, 1].map((k) => words.slice(0, k).join(' ')).find((c) => allowed.includes(c))
    if (!id) bad(n, `unknown command '${words.slice(0, 2).join(' ')}' (see: dlmctl --help)`)
    if (id === 'init') bad(n, "the drill's cluster is created from 'cluster:'; do not run init")
    for (const w of words) if (w === '--state' || w.startsWith('--state=')) bad(n, "steps run on the drill's state directory: no --state")
  }

  const parseExpect = (n: YNode | undefined, what: string): Expect => {
    const e: Expect = {exit: 0}
    if (!n) return e
    if (!Y.isMap(n)) bad(n, `${what}: expect is a mapping with exit, json, absent`)
    const m = n as YMap
    r.keysOf(m, ['exit', 'json', 'absent'], 'expect')
    const ex = r.get(m, 'exit')?.value as YNode
    if (ex) {
      if (!Y.isScalar(ex) || !Number.isInteger(ex.value) || (ex.value as number) < 0 || (ex.value as number) > 255) bad(ex, 'expect.exit must be an exit code (0-255)')
      e.exit = (ex as YScalar).value as number
    }
    for (const k of ['json', 'absent'] as const) {
      const v = r.get(m, k)?.value as YNode
      if (v) {
        names.checkDeep(v)
        e[k] = v.toJSON()
      }
    }
    return e
  }

  /** A step's env: testing variables only (a drill stages failures, it does not reconfigure dlmctl). */
  const parseEnv = (n: YNode): Record<string, string> => {
    if (!Y.isMap(n)) bad(n, `env is a mapping of testing variables (${STEP_TESTING_VARIABLES.join(', ')}) to strings`)
    const env: Record<string, string> = {}
    for (const p of (n as YMap).items) {
      const k = p.key as YNode
      const name = r.str(k, 'env')
      if (!STEP_TESTING_VARIABLES.includes(name)) bad(k, `env: '${name}' is not a testing variable a step may set (${STEP_TESTING_VARIABLES.join(', ')})`)
      env[name] = r.str(p.value as YNode, `env.${name}`)
    }
    return env
  }

  const parseCrash = (v: YNode, expectNode: YNode | undefined, expectKey: YNode): CrashStep => {
    if (!Y.isMap(v)) bad(v, 'crash: {run: <command>, at: <crash point> | after: <delay>}')
    const cm = v as YMap
    r.keysOf(cm, ['run', 'at', 'after'], 'crash')
    if (expectNode) bad(expectKey, 'a crash step expects the command to be killed: no expect (check the state in the next steps)')
    if (!r.get(cm, 'run')) bad(v, 'crash.run must be a non-empty string: the command to start and kill')
    const run = r.str(r.get(cm, 'run')!.value as YNode, 'crash.run')
    checkCommand(run, r.get(cm, 'run')!.value as YNode)
    const atN = r.get(cm, 'at')?.value as YNode
    const afterN = r.get(cm, 'after')?.value as YNode
    if (!!atN === !!afterN) bad(v, "crash needs one of 'at: <crash point>' (e.g. commit.after-record, commit.apply#2) or 'after: <delay>' (e.g. 30ms)")
    const c: CrashStep = {kind: 'crash', run, pos: r.at(v)!, label: `crash: ${run}`}
    if (atN) {
      c.at = r.str(atN, 'crash.at')
      if (!CRASH_POINT_SPEC.test(c.at)) bad(atN, `unknown crash point '${c.at}' (${CRASH_POINTS.join(', ')}; #N for the N-th hit)`)
      c.label += ` @ ${c.at}`
    } else {
      try {
        c.afterMs = parseDuration(r.str(afterN, 'crash.after'), 'crash.after')
      } catch (e) {
        bad(afterN, (e as Error).message)
      }
      c.label += ` after ${c.afterMs}ms`
    }
    return c
  }

  const parseStep = (n: YNode, inParallel: boolean): Step => {
    if (!Y.isMap(n)) bad(n, 'a step is a mapping: run, kill, recover, check, crash or parallel')
    const m = n as YMap
    r.keysOf(m, STEP_KEYS, 'a step')
    const kinds = STEP_KINDS.filter((k) => r.get(m, k))
    if (kinds.length !== 1) bad(n, `a step has exactly one of run, kill, recover, check, crash, parallel (found: ${kinds.join(', ') || 'none'})`)
    const kind = kinds[0]
    const envNode = r.get(m, 'env')?.value as YNode
    if (envNode && (kind === 'check' || kind === 'parallel')) bad(envNode, `a ${kind} step sets no env (put env on the steps inside it)`)
    const env = envNode ? parseEnv(envNode) : undefined
    const pos = r.at(n)!
    const asNode = r.get(m, 'as')?.value as YNode
    const as = asNode ? r.str(asNode, 'as') : undefined
    if (as !== undefined && !REF_NAME.test(as)) bad(asNode, `as: '${as}' must be a name (letters, digits, _ or -)`)
    const expectNode = r.get(m, 'expect')?.value as YNode
    const expectKey = r.get(m, 'expect')?.key as YNode
    const label = (v: YNode) => `${kind}: ${Y.isScalar(v) ? String(v.value) : kind === 'check' ? 'cluster state' : ''}`.trim()
    const v = r.get(m, kind)!.value as YNode
    let step: Step
    switch (kind) {
      case 'run': {
        const run = r.str(v, 'run')
        checkCommand(run, v)
        step = {kind: 'run', run, as, expect: parseExpect(expectNode, 'run'), pos, label: run}
        break
      }
      case 'kill': {
        const node = r.str(v, 'kill')
        if (nodes.length && !nodes.includes(node) && !/\$\{/.test(node)) bad(v, `unknown node '${node}' (cluster.nodes: ${nodes.join(', ')})`)
        names.check(node, v)
        step = {kind: 'run', run: `node mark-dead ${node} --yes`, as, expect: parseExpect(expectNode, 'kill'), pos, label: label(v)}
        break
      }
      case 'recover': {
        const what = r.str(v, 'recover')
        names.check(what, v)
        const run = what === 'all' ? 'recover --all --yes' : `recover ${what} --yes`
        checkCommand(run, v)
        step = {kind: 'run', run, as, expect: parseExpect(expectNode, 'recover'), pos, label: label(v)}
        break
      }
      case 'check': {
        if (expectNode) bad(expectNode, 'a check step is its own expectation: no expect')
        if (as) bad(asNode, 'a check step has no result to remember')
        step = compileCheck(v, pos, Y, bad, names.checkDeep)
        break
      }
      case 'crash': {
        if (inParallel) bad(n, 'crash steps cannot run in parallel')
        const c = parseCrash(v, expectNode, expectKey)
        c.pos = pos
        if (as) bad(asNode, 'a crash step has no result to remember')
        step = c
        break
      }
      default: {
        if (inParallel) bad(n, 'parallel steps cannot nest')
        if (expectNode) bad(expectKey, 'put expect on each step inside parallel')
        if (!Y.isSeq(v) || v.items.length < 2) bad(v, 'parallel: a list of at least two steps')
        if (as) bad(asNode, "remember the results of parallel steps with 'as' on each of them")
        names.openParallel()
        const inner = (v as YSeq).items.map((x) => parseStep(x as YNode, true))
        names.closeParallel()
        for (const s of inner) if (s.kind !== 'run') bad(v, 'parallel steps are run steps (run, kill, recover)')
        step = {kind: 'parallel', steps: inner as RunStep[], pos, label: `parallel (${inner.length})`}
      }
    }
    if (env && (step.kind === 'run' || step.kind === 'crash')) {
      step.env = env
      // The timeline shows the variables as a shell line would.
      step.label = `${Object.entries(env).map(([k, x]) => `${k}=${x} `).join('')}${step.label}`
    }
    if (as) names.remember(as)
    return step
  }

  const steps: Step[] = []
  for (const n of stepNodes) {
    try {
      steps.push(parseStep(n, false))
    } catch (e) {
      if (!(e instanceof DrillInvalid)) throw e
      r.mistakes.push(e)
      const asNode = Y.isMap(n) ? r.get(n as YMap, 'as')?.value : undefined
      if (Y.isScalar(asNode) && typeof asNode.value === 'string') names.rememberBroken(asNode.value)
      names.abandonParallel()
    }
  }
  return steps
}
