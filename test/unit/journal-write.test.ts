// Journaled writes (src/core/fs.ts fsWrite) as they land in the journal file:
// one atomic group of checksummed lines per transaction, file-system-wide
// sequence numbers, nothing appended when refused, a crash mid-commit converges;
// and an acknowledged write is never unreachable.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, statSync, truncateSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {tempClusters} from './helpers/clusters.js'
import type {Ctx} from '../../src/core/context.js'
import {fsCheckpoint, fsRead, fsWrite} from '../../src/core/fs.js'
import {requestLockOp} from '../../src/core/locks.js'
import {DlmError} from '../../src/errors.js'
import {checkLine} from '../../src/journal/format.js'
import type {JournalRecord} from '../../src/model/records.js'
import {scanJournal} from '../../src/journal/scan.js'

const PROJECT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(PROJECT, 'bin/run.js')
const makeCluster = tempClusters('jwrite')
const newCluster = () => makeCluster(['n1', 'n2'])

const journal = (ctx: Ctx, node: string) => join(ctx.root, 'fs/fs1/journal', `${node}.jsonl`)
const lockEx = (ctx: Ctx, node: string, key: string) => requestLockOp(ctx, {fs: 'fs1', resource: `meta/${key}`, node, mode: 'EX', persistent: true})

/** Every line of a journal, checked. */
function records(path: string): JournalRecord[] {
  const buf = readFileSync(path)
  const out: JournalRecord[] = []
  let start = 0
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start)
    expect(nl, `line at ${start} ends in a newline`).toBeGreaterThan(start)
    const c = checkLine(buf, start, nl)
    expect(c.ok, `line at ${start}: ${buf.toString('utf8', start, nl)}`).toBe(true)
    if (c.ok) out.push(c.record)
    start = nl + 1
  }
  return out
}

describe('fs write in the journal', () => {
  it('one transaction = its set/del records and a commit, tx = first seq; seqs are file-system-wide across nodes', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n1', 'a')
    await lockEx(ctx, 'n2', 'b')
    await lockEx(ctx, 'n2', 'c')
    expect(await fsWrite(ctx, 'fs1', 'n1', [['a', 'x=y==z']], [])).toMatchObject({tx: 1, seqs: [1, 2], records: 1})
    expect(await fsWrite(ctx, 'fs1', 'n2', [['b', 'ünïcødé ✓ 😀'], ['c', '']], [])).toMatchObject({tx: 3, seqs: [3, 5], records: 2})
    expect(await fsWrite(ctx, 'fs1', 'n1', [], ['a'])).toMatchObject({tx: 6, seqs: [6, 7], records: 1})
    expect(await fsWrite(ctx, 'fs1', 'n2', [['b', '2']], ['c'])).toMatchObject({tx: 8, seqs: [8, 10], records: 2})

    expect(records(journal(ctx, 'n1'))).toEqual([
      {seq: 1, tx: 1, op: 'set', key: 'a', value: 'x=y==z'},
      {seq: 2, tx: 1, op: 'commit', n: 1},
      {seq: 6, tx: 6, op: 'del', key: 'a'},
      {seq: 7, tx: 6, op: 'commit', n: 1},
    ])
    expect(records(journal(ctx, 'n2'))).toEqual([
      {seq: 3, tx: 3, op: 'set', key: 'b', value: 'ünïcødé ✓ 😀'},
      {seq: 4, tx: 3, op: 'set', key: 'c', value: ''},
      {seq: 5, tx: 3, op: 'commit', n: 2},
      {seq: 8, tx: 8, op: 'set', key: 'b', value: '2'},
      {seq: 9, tx: 8, op: 'del', key: 'c'},
      {seq: 10, tx: 8, op: 'commit', n: 2},
    ])
    // Reads see the committed writes straight from the journals (nothing is checkpointed yet).
    expect(await fsRead(ctx, 'fs1', 'b', {node: 'n2'})).toMatchObject({value: '2', seq: 8})
    expect(await fsRead(ctx, 'fs1', 'a', {node: 'n1'})).toMatchObject({value: null, seq: 6})
    expect(await fsRead(ctx, 'fs1', 'a', {raw: true})).toMatchObject({value: null, seq: null})
  })

  it('refused writes append nothing and use no sequence number', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n1', 'a')
    await fsWrite(ctx, 'fs1', 'n1', [['a', '1']], [])
    const size = statSync(journal(ctx, 'n1')).size
    await expect(fsWrite(ctx, 'fs1', 'n1', [['a', '2'], ['b', '2']], [])).rejects.toMatchObject({code: 'LOCK_NOT_HELD', exitCode: 5})
    await expect(fsWrite(ctx, 'fs1', 'n1', [['a', '2']], ['a'])).rejects.toMatchObject({exitCode: 2}) // a key twice
    await expect(fsWrite(ctx, 'fs1', 'n1', [], [])).rejects.toMatchObject({exitCode: 2})
    await expect(fsWrite(ctx, 'fs1', 'n1', [['bad key', '2']], [])).rejects.toBeInstanceOf(DlmError)
    expect(statSync(journal(ctx, 'n1')).size).toBe(size)
    expect(await fsWrite(ctx, 'fs1', 'n1', [['a', '3']], [])).toMatchObject({seqs: [3, 4]})
  })

  it('a write killed mid-commit (DLMCTL_CRASH_POINT=commit.apply#1): the next write rolls it forward; seqs stay unique', async () => {
    expect(existsSync(BIN), 'the CLI must be built (npm run -s build)').toBe(true)
    const ctx = await newCluster()
    await lockEx(ctx, 'n1', 'a')
    await fsWrite(ctx, 'fs1', 'n1', [['a', '1']], [])
    const child = spawnSync(process.execPath, [BIN, 'fs', 'write', 'fs1', '--node', 'n1', 'a=2', '--state', ctx.root], {
      env: {...process.env, DLMCTL_CRASH_POINT: 'commit.apply#1', DLMCTL_CLOCK: '2026-01-01T00:00:00Z'},
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(child.signal, child.stderr).toBe('SIGKILL')
    expect(await fsWrite(ctx, 'fs1', 'n1', [['a', '3']], [])).toMatchObject({seqs: [5, 6]})
    expect(records(journal(ctx, 'n1')).map((r) => `${r.seq}:${r.op}`)).toEqual(['1:set', '2:commit', '3:set', '4:commit', '5:set', '6:commit'])
    expect(await fsRead(ctx, 'fs1', 'a', {node: 'n1'})).toMatchObject({value: '3', seq: 5})
  })
})

describe('an acknowledged write is never unreachable', () => {
  it('a write after the journal tail was torn is either refused or visible', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n2', 'a')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], [])
    await fsWrite(ctx, 'fs1', 'n2', [['a', '2']], [])
    truncateSync(journal(ctx, 'n2'), statSync(journal(ctx, 'n2')).size - 3) // damage on disk

    const w = await fsWrite(ctx, 'fs1', 'n2', [['a', '3']], []).then(
      (r) => ({ok: true as const, r}),
      (e: unknown) => ({ok: false as const, e}),
    )
    if (!w.ok) {
      // Refused: the journal is damaged (exit 4, naming the file), nothing acknowledged.
      expect(w.e).toBeInstanceOf(DlmError)
      expect((w.e as DlmError).exitCode).toBe(4)
      return
    }
    expect(w.r.committed).toBe(true)
    // Acknowledged: the node must read its own committed write, and a checkpoint must apply it.
    expect(await fsRead(ctx, 'fs1', 'a', {node: 'n2'})).toMatchObject({value: '3'})
    const cp = await fsCheckpoint(ctx, 'fs1', 'n2')
    const scan = await scanJournal(journal(ctx, 'n2'), 0)
    expect(cp.checkpoint).toBe(scan.size)
  })
})
