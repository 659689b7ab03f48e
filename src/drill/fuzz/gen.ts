// Random drills. fast-check generates a small cluster and a list of intents
// (a step kind and a few small numbers); each intent is made concrete against the
// reference run so far (which lock, which recovery id, which node is up), so that
// shrinking an intent list — fewer intents, smaller numbers, simpler modes, fewer
// nodes and file systems — always yields a drill that still makes sense.
import type * as FC from 'fast-check'
import {DEADMAN_PREFIX, isSystemResource} from '../../model/domain.js'
import {compatible, isWriteMode, MODES, type Mode} from '../../model/modes.js'
import {allLocks} from '../../model/resource.js'
import type {Lock, Resource} from '../../model/types.js'
import type {FuzzCluster, FuzzDrill, FuzzStep, Op} from './ops.js'
import {Reference} from './reference.js'
import {beforeCommitPoint, CRASH_POINTS} from '../../store/io.js'

export const INTENTS = ['request', 'convert', 'cancel', 'release', 'write', 'checkpoint', 'kill', 'join', 'attach', 'replay', 'validate', 'recover', 'parallel', 'crash', 'detach', 'add', 'heartbeat', 'check'] as const
export type IntentKind = (typeof INTENTS)[number]

export interface Intent {
  kind: IntentKind
  a: number
  b: number
  c: number
  mode: Mode
  flags: number
}

export interface FuzzCase {
  nodes: number
  fs: number
  /** Per file system: 0 = every node mounts it; otherwise a bit mask of the nodes that do. */
  masks: number[]
  intents: Intent[]
}

/** How often each kind is drawn (per mille, roughly: the common operations of an operator's day more than crashes). */
const WEIGHTS: [IntentKind, number][] = [
  ['request', 160],
  ['convert', 110],
  ['release', 45],
  ['cancel', 10],
  ['write', 70],
  ['checkpoint', 25],
  ['kill', 20],
  ['attach', 20],
  ['replay', 20],
  ['validate', 20],
  ['recover', 20],
  ['join', 20],
  // These two start real processes (as in drill run): rarer, so that a run stays fast.
  ['parallel', 4],
  ['crash', 8],
  // Last, so that shrinking (towards the first kinds) turns them into the common ones.
  ['detach', 10],
  ['add', 8],
  ['heartbeat', 10],
  ['check', 6],
]

/**
 * Some drills dwell on one part of the cluster, so that the long chains a bug may
 * need come up (a conversion blocked, a request behind it, another holder
 * converting; committed writes, a torn one, then a checkpoint or a death and a
 * recovery): a quarter on the lock queues, a quarter on the journals.
 */
const LOCK_WEIGHTS: [IntentKind, number][] = [
  ['request', 150],
  ['convert', 120],
  ['release', 50],
  ['cancel', 10],
  ['kill', 5],
]
const JOURNAL_WEIGHTS: [IntentKind, number][] = [
  ['request', 20],
  ['write', 120],
  ['checkpoint', 40],
  ['kill', 30],
  ['recover', 30],
  ['attach', 10],
  ['replay', 10],
  ['validate', 10],
  ['join', 10],
  ['crash', 8],
]

/** At most this many nodes in all (n1…n9: names sort as numbers do). */
const MAX_NODES = 9

export const RESOURCES = ['meta/a', 'meta/b', 'r/1']
/** Where fuzz crash steps kill: every store crash point, and the second hit of commit.apply (between two renames of one record). */
export const FUZZ_CRASH_POINTS: string[] = CRASH_POINTS.flatMap((p) => (p === 'commit.apply' ? [p, `${p}#2`] : [p]))

export function fuzzCaseArb(fc: typeof FC, maxSteps: number): FC.Arbitrary<FuzzCase> {
  // Modes in order of simplicity: shrinking goes towards EX (the mode everything conflicts with) last.
  const mode = fc.constantFrom<Mode>('NL', 'CR', 'PR', 'CW', 'PW', 'EX')
  const intent = (weights: [IntentKind, number][]) => fc.record({
    kind: fc.oneof(...weights.map(([k, w]) => ({arbitrary: fc.constant(k), weight: w}))),
    a: fc.nat(7),
    b: fc.nat(7),
    c: fc.nat(7),
    mode,
    flags: fc.nat(7),
  })
  return fc.record({
    nodes: fc.integer({min: 2, max: 5}),
    fs: fc.integer({min: 1, max: 3}),
    // Mostly file systems every node mounts: queues form where nodes share resources.
    masks: fc.array(fc.oneof({arbitrary: fc.constant(0), weight: 3}, {arbitrary: fc.nat(31), weight: 1}), {minLength: 3, maxLength: 3}),
    intents: fc.oneof(
      ...([[WEIGHTS, 2], [LOCK_WEIGHTS, 1], [JOURNAL_WEIGHTS, 1]] as const).map(([w, weight]) => ({arbitrary: fc.array(intent(w as [IntentKind, number][]), {minLength: 1, maxLength: maxSteps, size: 'max'}), weight})),
    ),
  })
}

export function clusterOf(c: FuzzCase): FuzzCluster {
  const nodes = Array.from({length: c.nodes}, (_, i) => `n${i + 1}`)
  const fs = Array.from({length: c.fs}, (_, i) => {
    const mask = c.masks[i] ?? 0
    const picked = nodes.filter((_, j) => mask & (1 << j))
    return {name: `fs${i + 1}`, members: mask === 0 || picked.length === 0 ? [...nodes] : picked}
  })
  return {nodes, fs}
}

const pick = <T>(list: T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined)

/** Commands a crash step may kill (all by default; DLMCTL_TEST_FUZZ_CRASH_OPS narrows them). */
export const CRASH_OPS = ['request', 'release', 'write', 'convert'] as const
export type CrashOp = (typeof CRASH_OPS)[number]

/** The concrete drill of a case: each intent made into an operation the reference says makes sense now, or dropped. */
export function materialize(c: FuzzCase, crashOps: readonly CrashOp[] = CRASH_OPS): FuzzDrill {
  const cluster = clusterOf(c)
  const ref = new Reference(cluster)
  const steps: FuzzStep[] = []
  for (const [i, it] of c.intents.entries()) {
    const step = stepFor(ref, cluster, it, i, crashOps)
    if (!step) continue
    steps.push(step)
    if (step.kind === 'parallel') step.ops.forEach((o) => ref.apply(o))
    else if (step.kind === 'crash') {
      // A kill before the commit record leaves the old state; from the record on, the command happened.
      if (!beforeCommitPoint(step.at)) ref.apply(step.op)
    } else ref.apply(step.op)
  }
  return {cluster, steps}
}

function stepFor(ref: Reference, cluster: FuzzCluster, it: Intent, index: number, crashOps: readonly CrashOp[]): FuzzStep | undefined {
  if (it.kind === 'parallel') {
    if (cluster.fs.length < 2) return undefined
    const fsA = cluster.fs[it.a % cluster.fs.length]
    const fsB = cluster.fs[(it.a + 1) % cluster.fs.length]
    const a = requestOp(ref, fsA.name, membersOf(ref, fsA.name), it)
    const b = requestOp(ref, fsB.name, membersOf(ref, fsB.name), {...it, b: it.c, c: it.b, mode: MODES[(MODES.indexOf(it.mode) + it.flags) % MODES.length]})
    return a && b ? {kind: 'parallel', ops: [a, b]} : undefined
  }
  if (it.kind === 'crash') {
    if (crashOps.length === 0) return undefined
    const inner = opFor(ref, cluster, {...it, kind: crashOps[it.flags % crashOps.length]}, index)
    return inner ? {kind: 'crash', op: inner, at: FUZZ_CRASH_POINTS[it.c % FUZZ_CRASH_POINTS.length]} : undefined
  }
  const op = opFor(ref, cluster, it, index)
  return op && {kind: 'op', op}
}

function requestOp(ref: Reference, fs: string, members: string[], it: Pick<Intent, 'a' | 'b' | 'c' | 'mode' | 'flags'>): (Op & {kind: 'request'}) | undefined {
  const node = pick(members, it.b)
  if (!node) return undefined
  return {kind: 'request', fs, resource: RESOURCES[it.c < 6 ? 0 : it.c % RESOURCES.length], node, mode: it.mode, persistent: (it.flags & 1) === 1, noqueue: it.flags === 6} as Op & {kind: 'request'}
}

/** Members of a file system now (a node added by `node add` becomes one with `node join --fs`). */
const membersOf = (ref: Reference, fs: string) => ref.domains.get(fs)!.meta.members

/** The granted modes on a resource (a converting lock holds its granted mode), but `except`'s. */
const holderModes = (r: Resource, except?: Lock) => [...r.grantQueue, ...r.convertQueue].filter((l) => l !== except).map((l) => l.mode)

const hexOf = (n: number) => (n + 1).toString(16).padStart(2, '0')

function opFor(ref: Reference, cluster: FuzzCluster, it: Intent, index: number): Op | undefined {
  // The first file system and resource more often than the others, so that locks meet.
  const f = {name: cluster.fs[it.a < 6 ? 0 : it.a % cluster.fs.length].name, members: membersOf(ref, cluster.fs[it.a < 6 ? 0 : it.a % cluster.fs.length].name)}
  const upNodes = ref.membership.nodes.filter((n) => n.state === 'up').map((n) => n.name)
  const upMembers = f.members.filter((m) => upNodes.includes(m))
  // Locks of this file system, oldest first; those of live holders (the ones an operator can act on) first.
  const locks = () => {
    const d = ref.domains.get(f.name)!
    const all = [...d.resources.values()].flatMap((r) => allLocks(r).map((l) => ({lock: l, res: r})))
    all.sort((x, y) => x.lock.id - y.lock.id)
    return all.filter((x) => upNodes.includes(x.lock.node) && !x.res.name.startsWith(DEADMAN_PREFIX))
  }
  // Where queues are interesting: resources with a conversion waiting, and granted locks that share their resource.
  const contended = () => {
    const d = ref.domains.get(f.name)!
    return [...d.resources.values()].filter((r) => r.convertQueue.length > 0 && !isSystemResource(r.name))
  }
  // Resources where a request waits behind a waiting conversion: the convert queue must be served first.
  const jammed = () => contended().filter((r) => r.waitQueue.length > 0)
  switch (it.kind) {
    case 'request': {
      const op = requestOp(ref, f.name, f.members, it)
      if (!op || (it.flags & 2) === 0) return op
      // Half the time, a request arrives where a conversion waits (it must queue behind it), or
      // else joins the holders of a resource in a mode they allow (so that holders share it).
      // It waits there whatever its mode; in a mode the holders allow, only the conversion ahead keeps it waiting.
      const busy = pick(contended(), it.c)
      if (busy) return {...op, resource: busy.name, mode: ([op.mode, 'CR', 'NL'] as Mode[]).find((m) => holderModes(busy).every((h) => compatible(m, h)))!}
      const held = [...ref.domains.get(f.name)!.resources.values()].filter((r) => r.grantQueue.length > 0 && r.waitQueue.length === 0 && RESOURCES.includes(r.name))
      const r = pick(held, it.c)
      if (!r) return op
      const mode = r.grantQueue.every((h) => compatible(op.mode, h.mode)) ? op.mode : 'CR'
      return {...op, resource: r.name, mode}
    }
    case 'convert': {
      // Where a request waits behind a blocked conversion: another holder converts and the queues are
      // served with the conversion still blocked (the request must go on waiting).
      const jam = it.c >= 2 ? pick(jammed(), it.a) : undefined
      const holder = jam && pick(jam.grantQueue.filter((l) => upNodes.includes(l.node)), it.b)
      if (jam && holder) {
        const wanted = jam.convertQueue[0].requestedMode!
        const others = holderModes(jam, holder)
        const mode = ([it.mode, ...MODES] as Mode[]).find((m) => m !== 'NL' && others.every((h) => compatible(m, h)) && !compatible(wanted, m))
        if (mode) return {kind: 'convert', fs: f.name, id: holder.id, mode, noqueue: false}
      }
      const all = locks()
      const shared = all.filter((x) => !x.lock.requestedMode && !x.res.waitQueue.includes(x.lock) && x.res.grantQueue.length + x.res.convertQueue.length > 1)
      const sharedPick = (it.flags & 1) === 0 ? pick(shared, it.b) : undefined
      const l = sharedPick ?? pick(all, it.b)
      if (!l) return undefined
      // A lock that shares its resource mostly converts up to EX: it must wait for the others (the convert queue).
      if (sharedPick && it.c < 5) return {kind: 'convert', fs: f.name, id: l.lock.id, mode: 'EX', noqueue: it.flags === 6}
      const down = MODES.indexOf(it.mode) < MODES.indexOf(l.lock.mode)
      const granted = !l.lock.requestedMode && !l.res.waitQueue.includes(l.lock)
      // The value block is written only by a PW/EX holder on its way down.
      const lvb = granted && down && isWriteMode(l.lock.mode) && (it.flags & 4) === 4 ? hexOf(index) : undefined
      return {kind: 'convert', fs: f.name, id: l.lock.id, mode: it.mode, noqueue: (it.flags & 2) === 2, ...(lvb ? {lvb} : {})}
    }
    case 'cancel': {
      const all = locks()
      const l = pick(all.filter((x) => x.lock.requestedMode && !x.res.waitQueue.includes(x.lock)), it.b) ?? pick(all, it.b)
      return l && {kind: 'cancel', fs: f.name, id: l.lock.id}
    }
    case 'release': {
      // Half the time, a lock where a conversion waits: its queues get served with the conversion still blocked, or not.
      const busy = new Set(contended())
      // Where a request waits behind the conversion: mostly a holder that is not all that blocks it.
      const stillBlocked = jammed().flatMap((r) => r.grantQueue.filter((h) => upNodes.includes(h.node) && holderModes(r, h).some((m) => !compatible(r.convertQueue[0].requestedMode!, m))).map((lock) => ({lock, res: r})))
      const l = ((it.flags & 2) === 2 ? (pick(stillBlocked, it.c) ?? pick(locks().filter((x) => busy.has(x.res)), it.b)) : undefined) ?? pick(locks(), it.b)
      if (!l) return undefined
      const granted = !l.res.waitQueue.includes(l.lock)
      const lvb = granted && !l.lock.requestedMode && isWriteMode(l.lock.mode) && (it.flags & 4) === 4 ? hexOf(index) : undefined
      return {kind: 'release', fs: f.name, id: l.lock.id, ...(lvb ? {lvb} : {})}
    }
    case 'write': {
      // Mostly as an operator would: the holder of a persistent PW/EX lock on meta/<key> writes that key.
      const held = locks().filter((x) => x.lock.persistent && isWriteMode(x.lock.mode) && x.res.name.startsWith('meta/') && !x.res.waitQueue.includes(x.lock))
      const h = it.flags !== 1 ? pick(held, it.b) : undefined
      const node = h ? h.lock.node : pick(f.members, it.b)!
      const key = h ? h.res.name.slice('meta/'.length) : ['a', 'b'][it.c % 2]
      // No such lock: mostly, the node first takes one (as a file system does before it writes).
      if (!h && it.flags !== 1 && it.flags !== 3) return {kind: 'request', fs: f.name, resource: `meta/${key}`, node, mode: 'EX', persistent: true, noqueue: false}
      // A node whose last write tore mostly checkpoints (what it never committed must not be applied) rather than be refused.
      if (h && ref.domains.get(f.name)!.journals.get(node)?.torn && it.flags % 2 === 0) return {kind: 'checkpoint', fs: f.name, node}
      // Now and then the node dies mid-write: the commit record is torn, after committed writes not yet
      // checkpointed (so that the checkpoint or replay that follows has something to apply, and must stop
      // short of the torn one). Now and then the holder deletes its key.
      const torn = it.flags >= 4 && ((ref.domains.get(f.name)!.journals.get(node)?.pending.length ?? 0) > 0 || it.flags === 7)
      return {kind: 'write', fs: f.name, node, key, value: `v${index + 1}`, torn, ...(h && it.c >= 6 ? {del: true} : {})}
    }
    case 'checkpoint': {
      // Mostly a node with a torn tail to stop at (what follows it was never committed), or else
      // with something in its journal to apply.
      const torn = cluster.fs.flatMap((x) => membersOf(ref, x.name).filter((m) => upNodes.includes(m) && ref.domains.get(x.name)!.journals.get(m)?.torn).map((node) => ({fs: x.name, node})))
      const journals = ref.domains.get(f.name)!.journals
      const busy = f.members.filter((m) => journals.get(m) && journals.get(m)!.pending.length > 0).map((node) => ({fs: f.name, node}))
      const chosen = (it.flags !== 7 ? (pick(torn, it.b) ?? pick(busy, it.b)) : undefined) ?? {fs: f.name, node: pick(f.members, it.b)!}
      return {kind: 'checkpoint', ...chosen}
    }
    case 'kill': {
      // Someone must stay up to recover.
      if (upNodes.length < 2) return undefined
      // Mostly a node that wrote a torn transaction (a torn journal), if there is one: recovery must replay only what it committed.
      const tornNodes = upNodes.filter((n) => [...ref.domains.values()].some((d) => d.journals.get(n)?.torn))
      return {kind: 'kill', node: (it.flags !== 7 ? pick(tornNodes, it.b) : undefined) ?? pick(upNodes, it.b)!}
    }
    case 'join': {
      // A node that mounts nothing yet (added by node add) joins a file system with --fs, and so becomes a member.
      const inNoFs = ref.membership.nodes.filter((n) => n.state !== 'dead' && cluster.fs.every((x) => !membersOf(ref, x.name).includes(n.name))).map((n) => n.name)
      const fresh = (it.flags & 1) === 0 ? pick(inNoFs, it.b) : undefined
      if (fresh) return {kind: 'join', node: fresh, fs: [f.name]}
      const recovered = ref.membership.nodes.filter((n) => n.state === 'recovered').map((n) => n.name)
      const dead = ref.membership.nodes.filter((n) => n.state === 'dead').map((n) => n.name)
      const node = pick(recovered, it.b) ?? (it.flags === 7 ? pick(dead, it.b) : undefined)
      return node ? {kind: 'join', node} : undefined
    }
    case 'add': {
      const n = ref.membership.nodes.length
      // Now and then a name that exists already (refused: ALREADY_EXISTS).
      if (it.flags === 7) return {kind: 'add', node: pick(ref.membership.nodes, it.b)!.name}
      return n < MAX_NODES ? {kind: 'add', node: `n${n + 1}`} : undefined
    }
    case 'heartbeat': {
      // Mostly an up node; now and then one that is not (refused: NODE_NOT_UP).
      const down = ref.membership.nodes.filter((n) => n.state !== 'up').map((n) => n.name)
      const node = ((it.flags & 1) === 1 ? pick(down, it.b) : undefined) ?? pick(upNodes, it.b)
      return node ? {kind: 'heartbeat', node} : undefined
    }
    case 'check':
      return {kind: 'check'}
    case 'detach': {
      // An attach abandoned: mostly a live recovery id; now and then one already gone (refused: UNKNOWN_RECOVERY_ID).
      const a = pick(ref.attachments(f.name), it.b)
      if (a && it.flags !== 7) return {kind: 'detach', fs: f.name, id: a.id}
      const next = ref.domains.get(f.name)!.meta.nextAttachId
      return next > 1 ? {kind: 'detach', fs: f.name, id: next - 1} : undefined
    }
    case 'attach': {
      const node = pick(upMembers, it.b)
      return node ? {kind: 'attach', fs: f.name, node} : undefined
    }
    case 'replay': {
      const a = pick(ref.attachments(f.name), it.b)
      return a && {kind: 'replay', fs: f.name, id: a.id}
    }
    case 'validate': {
      // Now and then forced: what the dead nodes' journals still hold is abandoned.
      const a = pick(ref.attachments(f.name), it.b)
      return a && {kind: 'validate', fs: f.name, id: a.id, ...(it.flags >= 5 ? {force: true} : {})}
    }
    case 'recover': {
      // Mostly where a node died with a torn journal, if one did: what it never committed must not be replayed.
      const torn = cluster.fs.filter((x) => ref.domains.get(x.name)!.meta.deadNodes.some((n) => ref.domains.get(x.name)!.journals.get(n)?.torn))
      return {kind: 'recover', fs: (it.flags !== 7 ? pick(torn, it.b)?.name : undefined) ?? f.name}
    }
    default:
      return undefined
  }
}
