// Running one fuzz drill through the real CLI, exactly as `drill run` runs its
// steps (in this process where `drill run` would, parallel and crash steps as
// processes), and checking after every step: the step's exit code and JSON
// against the reference run of the model, the whole `lock list --json` and
// `status --json` against it too, the independent invariants, the metadata,
// replay idempotence, and after a crash: `export` is the state before or after
// the command and `check` is clean.
import {constants} from 'node:fs'
import {access, cp, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeCommitPoint} from '../../store/io.js'
import {splitArgs} from '../../util/argv.js'
import {runInProcess, type CliResult, type Resolver} from '../inproc.js'
import {mismatches} from '../match.js'
import {runCli} from '../run.js'
import {checkInvariants, queueExit, type SeenLock, type SeenStatus} from './invariants.js'
import {commandOf, envOf, type FuzzDrill, type Op} from './ops.js'
import {Reference, sortLocks, type Prediction} from './reference.js'

export interface ExecOptions {
  bin: string
  /** In-process runner of the built CLI; without it every command is a process. */
  resolver?: Resolver
  env: NodeJS.ProcessEnv
}

/** A step of the written drill that shows the failure: a command and what it must answer. */
export interface Witness {
  run: string
  expect: {exit: number; json?: unknown; absent?: unknown}
}

export interface FuzzFailure {
  /** 1-based index of the failing step in the drill (0: the cluster as created). */
  step: number
  rules: string[]
  messages: string[]
  /** Checks to write right after the failing step. */
  witnesses: Witness[]
}

export interface FuzzRun {
  ok: boolean
  failure?: FuzzFailure
  /** What the reference predicted for each step that ran (parallel: one per operation). */
  predictions: Prediction[][]
}

const LOCK_OPS: string[] = ['request', 'convert', 'cancel', 'release']

const LOCK_FIELDS = ['lockId', 'domain', 'resource', 'node', 'mode', 'status', 'requestedMode', 'persistent', 'valid', 'invalidReasons', 'lvb'] as const

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a command's JSON, of any shape; the checks read it field by field
function parse(s: string): any {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}

/**
 * Fuzz clusters are thrown away after each drill: on Linux they live in RAM
 * (/dev/shm), where fsync costs nothing, unless TMPDIR names another place.
 */
async function scratch(): Promise<string> {
  const base = !process.env.TMPDIR && (await access('/dev/shm', constants.W_OK).then(() => true, () => false)) ? '/dev/shm' : tmpdir()
  return mkdtemp(join(base, 'dlmctl-fuzz-'))
}

export async function runFuzzDrill(drill: FuzzDrill, o: ExecOptions): Promise<FuzzRun> {
  const dir = await scratch()
  const root = join(dir, 'cluster')
  const alone = async (args: string[], env = o.env): Promise<CliResult> => (o.resolver ? await runInProcess(o.resolver, args, env) : undefined) ?? runCli(o.bin, args, env)
  const cli = (words: string[], state = root, env?: Record<string, string>) => alone([...words, '--json', '--state', state], env ? {...o.env, ...env} : o.env)
  const ref = new Reference(drill.cluster)
  const predictions: Prediction[][] = []
  let previous: SeenLock[] | undefined
  const fail = (step: number, f: Omit<FuzzFailure, 'step'>): FuzzRun => ({ok: false, failure: {step, ...f}, predictions})
  try {
    const c = drill.cluster
    const init = await cli(['init', '--nodes', c.nodes.join(','), '--fs', c.fs.map((f) => `${f.name}:${f.members.join('+')}`).join(',')])
    if (init.exit !== 0) return fail(0, {rules: ['init'], messages: [`init failed (exit ${init.exit}): ${init.stdout.trim() || init.stderr.trim()}`], witnesses: []})
    const snap0 = await snapshot(cli, ref, undefined)
    if (snap0.messages.length) return fail(0, {rules: snap0.rules, messages: snap0.messages, witnesses: snap0.witnesses})
    previous = snap0.locks
    for (const [i, step] of drill.steps.entries()) {
      const n = i + 1
      const problems = {rules: [] as string[], messages: [] as string[], witnesses: [] as Witness[]}
      const add = (rule: string, message: string, w?: Witness) => {
        if (!problems.rules.includes(rule)) problems.rules.push(rule)
        problems.messages.push(message)
        if (w) problems.witnesses.push(w)
      }
      const touched = new Set<string>()
      if (step.kind === 'op' || step.kind === 'parallel') {
        const ops = step.kind === 'op' ? [step.op] : step.ops
        const preds = ops.map((op) => ref.apply(op))
        predictions.push(preds)
        const outs = step.kind === 'op' ? [await cli(splitArgs(commandOf(step.op)), root, envOf(step.op))] : await Promise.all(ops.map((op) => runCli(o.bin, [...splitArgs(commandOf(op)), '--json', '--state', root], {...o.env, ...envOf(op)})))
        ops.forEach((op, j) => {
          if (previous) checkQueueExit(op, previous, outs[j], add)
          compareStep(op, preds[j], outs[j], add)
          // Lock operations change no metadata: the next step that may (a write, a checkpoint, a recovery) compares it all.
          if ('fs' in op && typeof op.fs === 'string' && !LOCK_OPS.includes(op.kind)) touched.add(op.fs)
        })
        // Replaying twice is replaying once.
        if (step.kind === 'op' && step.op.kind === 'replay' && outs[0].exit === 0) {
          const show1 = await cli(['fs', 'show', step.op.fs])
          const again = await cli(splitArgs(commandOf(step.op)))
          const show2 = await cli(['fs', 'show', step.op.fs])
          const j = parse(again.stdout)
          if (again.exit !== 0 || j?.changedKeys !== 0 || JSON.stringify(parse(show1.stdout)?.keys) !== JSON.stringify(parse(show2.stdout)?.keys)) {
            add('replay-idempotent', `replaying ${step.op.fs} again (id ${step.op.id}) changed the metadata (exit ${again.exit}, changedKeys ${j?.changedKeys})`, {run: commandOf(step.op), expect: {exit: 0, json: {changedKeys: 0}}})
          }
        }
      } else {
        // crash: the command killed at a store crash point.
        const op = step.op
        const after = ref.clone()
        const pAfter = after.apply(op)
        predictions.push([pAfter])
        const exportBefore = (await cli(['export'])).stdout
        // What check already says before the crash (a torn journal of a live node, say) is not the crash's doing.
        const problemsBefore = new Set(((parse((await cli(['check'])).stdout)?.problems ?? []) as unknown[]).map((x) => JSON.stringify(x)))
        const copy = join(dir, 'after')
        await cp(root, copy, {recursive: true})
        await cli(splitArgs(commandOf(op)), copy, envOf(op))
        const exportAfter = (await cli(['export'], copy)).stdout
        // Nor what check says once the command has run uncrashed (a torn write tears the journal on purpose).
        const problemsAfter = new Set(((parse((await cli(['check'], copy)).stdout)?.problems ?? []) as unknown[]).map((x) => JSON.stringify(x)))
        await rm(copy, {recursive: true, force: true})
        const words = [...splitArgs(commandOf(op)), '--json', '--state', root]
        const p = await runCli(o.bin, words, {...o.env, ...envOf(op), DLMCTL_CRASH_POINT: step.at})
        if ('fs' in op && typeof op.fs === 'string') touched.add(op.fs)
        if (p.signal !== 'SIGKILL') {
          // It never reached the crash point (e.g. refused before committing): an ordinary step.
          compareStep(op, pAfter, p, add)
          Object.assign(ref, {membership: after.membership, domains: after.domains})
        } else {
          const exported = (await cli(['export'])).stdout
          if (exported !== exportBefore && exported !== exportAfter) {
            // The drill states the state the store converges to (after, once the commit record is
            // written; before, when killed before it), at the keys where export differs from it.
            const which = beforeCommitPoint(step.at) ? 'before' : 'after'
            const want = expectedWhereDifferent(parse(which === 'before' ? exportBefore : exportAfter), parse(exported))
            add('crash-atomic', `after ${commandOf(op)} was killed at ${step.at}, export is neither the state before the command nor the state after it (the ${which} state differs at ${paths(want).slice(0, 6).join(', ')})`, {run: 'export', expect: {exit: 0, json: want}})
          }
          const chk = await cli(['check'])
          const fresh = ((parse(chk.stdout)?.problems ?? [{message: chk.stdout.trim().slice(0, 300) || chk.stderr.trim()}]) as unknown[]).filter((x) => !problemsBefore.has(JSON.stringify(x)) && !problemsAfter.has(JSON.stringify(x)))
          if (chk.exit !== 0 && fresh.length) add('crash-check', `after the crash at ${step.at}, check exits ${chk.exit}: ${JSON.stringify(fresh).slice(0, 300)}`, {run: 'check', expect: {exit: 0}})
          // Which of the two happened is what the store says; both are correct.
          if (exported === exportAfter) Object.assign(ref, {membership: after.membership, domains: after.domains})
        }
      }
      const quiet = step.kind === 'op' && [...LOCK_OPS, 'write', 'checkpoint'].includes(step.op.kind) && i + 1 < drill.steps.length
      const snap = await snapshot(cli, ref, previous, !quiet)
      for (const [k, m] of snap.messages.entries()) add(snap.rules[k], m)
      problems.witnesses.push(...snap.witnesses)
      for (const fs of touched) {
        const show = parse((await cli(['fs', 'show', fs])).stdout)
        const actual = Object.fromEntries(((show?.keys ?? []) as {key: string; value: string | null}[]).filter((k) => k.value !== null).map((k) => [k.key, k.value]))
        const want = ref.metadata(fs)
        if (JSON.stringify(sortObj(actual)) !== JSON.stringify(sortObj(want))) {
          add('metadata', `metadata of ${fs} is ${JSON.stringify(sortObj(actual))}, the model says ${JSON.stringify(sortObj(want))}`, {
            run: `fs show ${fs}`,
            expect: {exit: 0, json: {keys: Object.entries(want).map(([key, value]) => ({key, value}))}, ...(Object.keys(actual).some((k) => !(k in want)) ? {absent: {keys: Object.keys(actual).filter((k) => !(k in want)).map((key) => ({key}))}} : {})},
          })
        }
      }
      if (problems.messages.length) return fail(n, problems)
      previous = snap.locks
    }
    return {ok: true, predictions}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * The part of `expected` where `actual` differs from it, as an expectation that
 * drill run's containment matching checks: differing keys of objects, and the
 * items of a list that no item of the actual list equals.
 */
export function expectedWhereDifferent(expected: unknown, actual: unknown): unknown {
  if (isObj(expected) && isObj(actual)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) out[k] = v
      else if (JSON.stringify(v) !== JSON.stringify(actual[k])) out[k] = expectedWhereDifferent(v, actual[k])
    }
    return out
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const seen = new Set(actual.map((x) => JSON.stringify(x)))
    return expected
      .filter((x) => !seen.has(JSON.stringify(x)))
      .map((x) => {
        // The closest actual item (same name, id or node) narrows the expectation to what differs, plus what identifies it.
        const id = isObj(x) ? (['name', 'lockId', 'node', 'key', 'resource'].find((k) => k in x) as string | undefined) : undefined
        const twin = id ? actual.find((y) => isObj(y) && y[id] === (x as Record<string, unknown>)[id]) : undefined
        return twin && id ? {[id]: (x as Record<string, unknown>)[id], ...(expectedWhereDifferent(x, twin) as object)} : x
      })
  }
  return expected
}
const paths = (v: unknown, at = ''): string[] => (isObj(v) ? Object.entries(v).flatMap(([k, x]) => paths(x, `${at}/${k}`)) : Array.isArray(v) ? v.flatMap((x, i) => paths(x, `${at}[${i}]`)) : [at || '/'])

const sortObj = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)))

/**
 * A request's or conversion's exit against the literal table (invariants.ts), not
 * the model: where the model is wrong, this is what the written drill expects of
 * the step. Only once the command got past the checks of who may act (exit 0 or a
 * queue refusal).
 */
function checkQueueExit(op: Op, before: SeenLock[], out: CliResult, add: (rule: string, message: string, w?: Witness) => void) {
  const want = queueExit(before, op)
  const code = parse(out.stdout)?.error?.code
  if (want === undefined || out.exit === want || !(out.exit === 0 || code === 'NOTQUEUED' || code === 'DEADLOCK')) return
  add('queue-rules', `${commandOf(op)}: exit ${out.exit}${code ? ` (${code})` : ''}, the compatibility table and queue rules say ${want}`, {run: commandOf(op), expect: {exit: want}})
}

/** The step's own answer against the prediction: exit code, error code, and the fields the model fixes. */
function compareStep(op: Op, p: Prediction, out: CliResult, add: (rule: string, message: string, w?: Witness) => void) {
  const json = parse(out.stdout)
  const run = commandOf(op)
  const expect = {exit: p.exit, ...(p.code ? {json: {error: {code: p.code}}} : p.json ? {json: p.json} : {})}
  const problems: string[] = []
  if (out.exit !== p.exit) problems.push(`exit ${out.exit ?? out.signal}${json?.error ? ` (${json.error.code}: ${json.error.message})` : ''}, the model says ${p.exit}${p.code ? ` (${p.code})` : ''}`)
  else if (p.code && json?.error?.code !== p.code) problems.push(`error ${json?.error?.code}, the model says ${p.code}`)
  if (p.json && p.exit === out.exit) for (const m of mismatches(p.json, json)) problems.push(`${m.path}: ${m.message}`)
  if (problems.length) add('step-result', `${run}: ${problems.join('; ')}`, {run, expect})
}

interface Snap {
  locks: SeenLock[]
  rules: string[]
  messages: string[]
  witnesses: Witness[]
}

/** `lock list --json` and `status --json` against the reference, and the invariants. */
async function snapshot(cli: (w: string[]) => Promise<CliResult>, ref: Reference, previous: SeenLock[] | undefined, withStatus = true): Promise<Snap> {
  const rules: string[] = []
  const messages: string[] = []
  const witnesses: Witness[] = []
  const add = (rule: string, m: string) => {
    rules.push(rule)
    messages.push(m)
  }
  const ll = await cli(['lock', 'list'])
  // Lock and metadata operations change no node or domain state: status is read after the others (and after a bug in one of them shows in the lock table).
  const st = withStatus ? await cli(['status']) : {exit: 0, signal: null, stdout: JSON.stringify(ref.status()), stderr: '', ms: 0}
  const listed = parse(ll.stdout)?.locks as SeenLock[] | undefined
  const status = parse(st.stdout) as (SeenStatus & {generation: number; domains: {epoch: number}[]}) | undefined
  if (ll.exit !== 0 || !listed) add('state', `lock list exits ${ll.exit}: ${(ll.stdout || ll.stderr).trim().slice(0, 300)}`)
  if (st.exit !== 0 || !status) add('state', `status exits ${st.exit}: ${(st.stdout || st.stderr).trim().slice(0, 300)}`)
  if (!listed || !status) return {locks: [], rules, messages, witnesses}
  // The whole lock table against the model.
  const want = ref.locks()
  const got = sortLocks(listed)
  const k = (l: {domain: string; lockId: number}) => `${l.domain}/${l.lockId}`
  const gotBy = new Map(got.map((l) => [k(l), l]))
  const wantBy = new Map(want.map((l) => [k(l), l]))
  const expectLocks: Record<string, unknown>[] = []
  const absentLocks: Record<string, unknown>[] = []
  for (const w of want) {
    const g = gotBy.get(k(w))
    const pick = (l: object) => Object.fromEntries(LOCK_FIELDS.filter((f) => f in l).map((f) => [f, (l as Record<string, unknown>)[f]]))
    if (!g) {
      add('lock-table', `lock ${w.lockId} of ${w.domain} (${w.node} ${w.mode} ${w.status} on ${w.resource}) is missing`)
      expectLocks.push({lockId: w.lockId, domain: w.domain, resource: w.resource, node: w.node, status: w.status})
      continue
    }
    const diffs = LOCK_FIELDS.filter((f) => JSON.stringify((w as unknown as Record<string, unknown>)[f]) !== JSON.stringify((g as unknown as Record<string, unknown>)[f]))
    if (diffs.length) {
      add('lock-table', `lock ${w.lockId} of ${w.domain} on ${w.resource}: ${diffs.map((f) => `${f} is ${JSON.stringify((g as unknown as Record<string, unknown>)[f])}, the model says ${JSON.stringify((w as unknown as Record<string, unknown>)[f])}`).join('; ')}`)
      expectLocks.push(Object.fromEntries(Object.entries(pick(w)).filter(([f]) => f === 'lockId' || f === 'domain' || diffs.includes(f as (typeof LOCK_FIELDS)[number]))))
      for (const f of diffs) if ((w as unknown as Record<string, unknown>)[f] === undefined) absentLocks.push({lockId: w.lockId, domain: w.domain, [f]: (g as unknown as Record<string, unknown>)[f]})
    }
  }
  for (const g of got) {
    if (!wantBy.has(k(g))) {
      add('lock-table', `lock ${g.lockId} of ${g.domain} (${g.node} ${g.mode} ${g.status} on ${g.resource}) should not exist`)
      absentLocks.push({lockId: g.lockId, domain: g.domain})
    }
  }
  if (expectLocks.length || absentLocks.length) {
    witnesses.push({run: 'lock list', expect: {exit: 0, ...(expectLocks.length ? {json: {locks: expectLocks}} : {}), ...(absentLocks.length ? {absent: {locks: absentLocks}} : {})}})
  }
  // Nodes and domains against the model.
  const ws = ref.status()
  const statusExpect: Record<string, unknown[]> = {}
  for (const wn of ws.nodes) {
    const gn = status.nodes.find((x) => x.name === wn.name) as {name: string; state: string; incarnation?: number} | undefined
    if (!gn || gn.state !== wn.state || gn.incarnation !== wn.incarnation) {
      add('status', `node ${wn.name} is ${gn ? `${gn.state} (incarnation ${gn.incarnation})` : 'missing'}, the model says ${wn.state} (incarnation ${wn.incarnation})`)
      ;(statusExpect.nodes ??= []).push(wn)
    }
  }
  for (const wd of ws.domains) {
    const gd = status.domains.find((x) => x.name === wd.name) as (typeof ws.domains)[number] | undefined
    const diff = !gd ? ['missing'] : (['state', 'epoch', 'members', 'deadNodes'] as const).filter((f) => JSON.stringify(gd[f]) !== JSON.stringify(wd[f]))
    if (diff.length) {
      add('status', `domain ${wd.name}: ${gd ? diff.map((f) => `${f} is ${JSON.stringify(gd[f as 'state'])}, the model says ${JSON.stringify(wd[f as 'state'])}`).join('; ') : 'missing'}`)
      ;(statusExpect.domains ??= []).push({name: wd.name, state: wd.state, epoch: wd.epoch, deadNodes: wd.deadNodes})
    }
  }
  if (status.generation !== ws.generation) add('status', `generation is ${status.generation}, the model says ${ws.generation}`)
  if (Object.keys(statusExpect).length || status.generation !== ws.generation) witnesses.push({run: 'status', expect: {exit: 0, json: {generation: ws.generation, ...statusExpect}}})
  // Invariants, apart from the model.
  const violations = checkInvariants(listed, status, previous)
  const inv: Record<string, unknown>[] = []
  const invAbsent: Record<string, unknown>[] = []
  for (const v of violations) {
    add(v.rule, v.message)
    if (v.want) inv.push({...v.want, domain: v.domain})
    if (v.absent) invAbsent.push({...v.absent, domain: v.domain})
  }
  if (inv.length || invAbsent.length) witnesses.push({run: 'lock list', expect: {exit: 0, ...(inv.length ? {json: {locks: inv}} : {}), ...(invAbsent.length ? {absent: {locks: invAbsent}} : {})}})
  return {locks: listed, rules, messages, witnesses}
}

