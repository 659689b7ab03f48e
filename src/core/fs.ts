// File-system operations: journaled writes under persistent locks, reads under
// valid locks, checkpoints, and the operator's views of metadata and journals.
import {StateCorrupt, usage} from '../errors.js'
import {encodeRecord} from '../journal/format.js'
import type {DataRecord, JournalRecord} from '../model/records.js'
import {scanJournal, type Damage, type LineInfo} from '../journal/scan.js'
import {findNode, requireMember, requireUpMember} from '../model/membership.js'
import {applyMetaRecord, checkRead, checkWrite, metaResource, type MetaKeys} from '../model/metadata.js'
import {checkKey, checkName} from '../model/names.js'
import {journalFile} from '../store/layout.js'
import {withTx, withView, scopes, type Ctx} from './context.js'
import type {ClusterState} from './state.js'
import type {DomainSession} from './domain-session.js'
import {noFlagAmong} from '../util/argv.js'

/** `key=value` arguments of fs write (none of them a flag: oclif lets an unknown one through as an argument). */
export function parseAssignments(args: string[]): [string, string][] {
  noFlagAmong(args, 'fs write')
  return args.map((a) => {
    const i = a.indexOf('=')
    if (i <= 0) throw usage(`bad assignment '${a}': use key=value`)
    return [checkKey(a.slice(0, i)), a.slice(i + 1)]
  })
}

/** One journaled transaction: set/del records and a commit, appended durably before the answer. */
export async function fsWrite(ctx: Ctx, fs: string, node: string, sets: [string, string][], dels: string[], opts: {simulateTorn?: boolean} = {}) {
  checkName('node', node)
  dels.forEach(checkKey)
  if (sets.length + dels.length === 0) throw usage('fs write needs at least one key=value or --del key')
  const keys = [...sets.map(([k]) => k), ...dels]
  if (new Set(keys).size !== keys.length) throw usage('a key appears twice in one transaction')
  return withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const n = requireUpMember(await s.membership(), d.meta, node)
    for (const k of keys) checkWrite(await d.resource(metaResource(k)), d.meta, node, n.state, k)
    // Records appended after damage would never be applied (replay and checkpoint stop there).
    const p = await s.journalPoint(fs, node)
    const tail = await scanJournal(await s.journalSource(fs, node), p.offset)
    if (tail.stoppedAt) {
      throw new StateCorrupt(
        journalFile(fs, node),
        `${tail.stoppedAt.reason} record at offset ${tail.stoppedAt.offset}: ${node}'s writes after it could never be applied (see: dlmctl journal show ${fs} --node ${node})`,
      )
    }
    const first = d.meta.nextSeq ?? 1
    let seq = first
    const recs: JournalRecord[] = [
      ...sets.map(([key, value]) => ({seq: seq++, tx: first, op: 'set' as const, key, value})),
      ...dels.map((key) => ({seq: seq++, tx: first, op: 'del' as const, key})),
    ]
    recs.push({seq: seq++, tx: first, op: 'commit', n: recs.length})
    d.meta.nextSeq = seq
    d.changed()
    let text = recs.map(encodeRecord).join('')
    // Testing aid: the node "dies" in the middle of writing its commit record.
    if (opts.simulateTorn) text = text.slice(0, text.length - Math.ceil(encodeRecord(recs.at(-1)!).length / 2))
    s.appendJournal(fs, node, text)
    return {domain: fs, node, tx: first, seqs: [first, seq - 1], records: recs.length - 1, committed: !opts.simulateTorn}
  })
}

/**
 * Committed records of the members' journals not yet applied: a node reads its own
 * and others' writes, and a dead node's committed writes (what replay will apply),
 * never a value older than one it could already have read.
 */
async function pendingTail(ctx: Ctx, s: ClusterState, d: DomainSession): Promise<MetaKeys> {
  const keys: MetaKeys = {}
  const m = await s.membership()
  for (const node of d.meta.members) {
    // A recovered node's journal was replayed, or abandoned by a forced validate: nothing pending.
    if (findNode(m, node).state === 'recovered') continue
    const p = await s.journalPoint(d.name, node)
    await scanJournal(await s.journalSource(d.name, node), p.offset, {
      onCommit: (recs) => recs.forEach((r) => applyMetaRecord(keys, r)),
    })
  }
  return keys
}

export async function fsRead(ctx: Ctx, fs: string, key: string, opts: {node?: string; raw?: boolean}) {
  checkKey(key)
  if (!opts.raw && !opts.node) throw usage('fs read needs --node <n> (read as that node) or --raw')
  if (opts.raw && opts.node) throw usage('--raw reads the applied metadata as an operator: give no --node')
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const meta = await s.fsMeta(fs)
    if (opts.raw) {
      const e = meta.keys[key]
      // Applied metadata is the truth only when no dead node's journal awaits replay.
      return {key, value: e?.value ?? null, valid: d.meta.state === 'normal', seq: e?.seq ?? null, raw: true}
    }
    const node = opts.node!
    checkName('node', node)
    const n = requireUpMember(await s.membership(), d.meta, node)
    const lockId = checkRead(await d.resource(metaResource(key)), d.meta, node, n.state, key)
    const tail = await pendingTail(ctx, s, d)
    const e = [meta.keys[key], tail[key]].filter((x) => x !== undefined).sort((a, b) => b!.seq - a!.seq)[0]
    return {key, value: e?.value ?? null, valid: true, seq: e?.seq ?? null, node, lockId}
  })
}

/** A live node applies its committed records to the metadata and moves its checkpoint. */
export async function fsCheckpoint(ctx: Ctx, fs: string, node: string) {
  checkName('node', node)
  return withTx(ctx, [scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    requireUpMember(await s.membership(), d.meta, node)
    const meta = await s.fsMeta(fs)
    const p = await s.journalPoint(fs, node)
    let applied = 0
    const r = await scanJournal(await s.journalSource(fs, node), p.offset, {
      onCommit: (recs) => recs.forEach((x) => (applied += applyMetaRecord(meta.keys, x) ? 1 : 0)),
    })
    const from = p.offset
    if (r.point !== from) {
      s.fsMetaChanged(fs)
      s.setJournalPoint(fs, node, r.point)
      s.event('fs.checkpoint', {node, from, to: r.point, records: r.committed, applied}, fs)
    }
    return {domain: fs, node, records: r.committed, applied, checkpoint: r.point, stoppedAt: r.stoppedAt}
  })
}

export async function fsShow(ctx: Ctx, fs: string) {
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    const meta = await s.fsMeta(fs)
    const m = await s.membership()
    const journals = []
    for (const node of d.meta.members) {
      const p = await s.journalPoint(fs, node)
      const r = await scanJournal(await s.journalSource(fs, node), p.offset)
      journals.push({node, state: findNode(m, node).state, point: p.offset, size: r.size, pendingTransactions: r.transactions, pendingRecords: r.committed, damaged: r.stoppedAt})
    }
    return {
      domain: fs,
      state: d.meta.state,
      keys: Object.keys(meta.keys)
        .sort()
        .map((key) => ({key, value: meta.keys[key].value, seq: meta.keys[key].seq, ...(meta.keys[key].value === null ? {deleted: true} : {})})),
      journals,
    }
  })
}

export type RecordStatus = 'applied' | 'committed-pending' | 'uncommitted' | 'torn' | 'bad-checksum' | 'bad-record' | 'untrusted'

export interface JournalLine {
  line: number
  offset: number
  status: RecordStatus
  seq?: number
  tx?: number
  op?: JournalRecord['op']
  key?: string
  value?: string
  n?: number
  text?: string
}

/**
 * Every line of a node's journal with its status, and the replay point. The part
 * before the point is history (applied, or left behind by a forced validate or a
 * new incarnation); trust is judged from the point on, as replay and checkpoint do.
 */
export async function journalShow(ctx: Ctx, fs: string, node: string) {
  checkName('node', node)
  return withView(ctx, [scopes.membership, scopes.domain(fs)], async (s) => {
    const d = await s.domain(fs)
    findNode(await s.membership(), node)
    requireMember(d.meta, node)
    const p = await s.journalPoint(fs, node)
    const path = await s.journalSource(fs, node)
    const lines: JournalLine[] = []
    // Exactly the records the scanner commits (a commit with the wrong count commits nothing).
    const committed = new Set<number>()
    const onCommit = (recs: DataRecord[], commitSeq: number) => {
      for (const r of recs) committed.add(r.seq)
      committed.add(commitSeq)
    }
    const onLine = (l: LineInfo, trusted: boolean) => {
      if (l.record) {
        const {seq, tx, op} = l.record
        lines.push({line: l.line, offset: l.offset, status: trusted ? 'uncommitted' : 'untrusted', seq, tx, op, ...pick(l.record)})
      } else {
        lines.push({line: l.line, offset: l.offset, status: trusted ? (l.damage as Damage) : 'untrusted', text: l.text.slice(0, 120)})
      }
    }
    await scanJournal(path, 0, {until: p.offset, onLine, onCommit, keepGoing: true})
    const r = await scanJournal(path, p.offset, {onLine, onCommit, firstLine: lines.length + 1})
    for (const l of lines) {
      if (l.status === 'uncommitted' && committed.has(l.seq!)) l.status = l.offset < p.offset ? 'applied' : 'committed-pending'
    }
    return {domain: fs, node, point: p.offset, size: r.size, stoppedAt: r.stoppedAt, records: lines}
  })
}

function pick(r: JournalRecord): Partial<JournalLine> {
  if (r.op === 'set') return {key: r.key, value: r.value}
  if (r.op === 'del') return {key: r.key}
  return {n: r.n}
}

export type {DataRecord}
