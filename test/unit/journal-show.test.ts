// journal show (src/core/fs.ts journalShow): every line with the status that
// replay/checkpoint actually give it. The statuses must agree with what the
// scanner applies: a record shown "applied" or "committed-pending" is one that
// replay applies (or applied); one that replay throws away or never reaches is not.
import {appendFileSync, readdirSync, readFileSync, statSync, truncateSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, expect, it} from 'vitest'
import {tempClusters} from './helpers/clusters.js'
import type {Ctx} from '../../src/core/context.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {fsCheckpoint, fsRead, fsShow, fsWrite, journalShow} from '../../src/core/fs.js'
import {requestLockOp} from '../../src/core/locks.js'
import {joinNode, markDead} from '../../src/core/nodes.js'
import {replayOp} from '../../src/core/replay.js'
import {encodeRecord} from '../../src/journal/format.js'
import {scanJournal} from '../../src/journal/scan.js'

const newCluster = tempClusters('jshow')

const journal = (ctx: Ctx, node: string) => join(ctx.root, 'fs/fs1/journal', `${node}.jsonl`)
const lockEx = (ctx: Ctx, node: string, key: string) => requestLockOp(ctx, {fs: 'fs1', resource: `meta/${key}`, node, mode: 'EX', persistent: true})
const statuses = async (ctx: Ctx, node: string) => (await journalShow(ctx, 'fs1', node)).records.map((r) => `${r.seq ?? '-'}:${r.op ?? '-'}:${r.status}`)

/** Every file under root with its size and mtime: what a read-only command must not change. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const n of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, n.name)
      if (n.isDirectory()) walk(p)
      else out[relative(root, p)] = `${statSync(p).size}:${statSync(p).mtimeMs}:${readFileSync(p).toString('base64')}`
    }
  }
  walk(root)
  return out
}

describe('journal show statuses', () => {
  it('applied / committed-pending / uncommitted / torn, and nothing changes on disk', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n2', 'a')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], []) // 1, 2
    await fsCheckpoint(ctx, 'fs1', 'n2')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '2']], []) // 3, 4
    await fsWrite(ctx, 'fs1', 'n2', [['a', '3']], []) // 5, 6
    truncateSync(journal(ctx, 'n2'), statSync(journal(ctx, 'n2')).size - 5) // the last commit is torn
    const before = snapshot(ctx.root)
    const r = await journalShow(ctx, 'fs1', 'n2')
    expect(r.records.map((x) => `${x.seq ?? '-'}:${x.op ?? '-'}:${x.status}`)).toEqual([
      '1:set:applied',
      '2:commit:applied',
      '3:set:committed-pending',
      '4:commit:committed-pending',
      '5:set:uncommitted',
      '-:-:torn',
    ])
    expect(r.stoppedAt).toEqual({offset: r.records[5].offset, reason: 'torn'})
    expect(r.records[2]).toMatchObject({key: 'a', value: '2', tx: 3})
    // The other looking commands are read-only too.
    await fsShow(ctx, 'fs1')
    await fsRead(ctx, 'fs1', 'a', {raw: true})
    await fsRead(ctx, 'fs1', 'a', {node: 'n2'})
    expect(snapshot(ctx.root)).toEqual(before)
  })

  it('lines after a damaged line are untrusted, even if they are good records', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n2', 'a')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], [])
    appendFileSync(journal(ctx, 'n2'), '{"seq":3,"tx":3,"op":"set","key":"a","value":"x","crc":1}\n')
    appendFileSync(journal(ctx, 'n2'), encodeRecord({seq: 4, tx: 4, op: 'set', key: 'a', value: 'y'}) + encodeRecord({seq: 5, tx: 4, op: 'commit', n: 1}))
    expect(await statuses(ctx, 'n2')).toEqual(['1:set:committed-pending', '2:commit:committed-pending', '-:-:bad-checksum', '-:-:untrusted', '-:-:untrusted'])
  })
})

describe('journal show agrees with what replay applies', () => {
  it('a commit whose n does not match its records: its records are not shown as committed', async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n2', 'a')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], []) // 1, 2
    // A transaction of two records whose commit counts three: it commits nothing.
    appendFileSync(
      journal(ctx, 'n2'),
      [
        encodeRecord({seq: 3, tx: 3, op: 'set', key: 'a', value: 'bad'}),
        encodeRecord({seq: 4, tx: 3, op: 'set', key: 'b', value: 'bad'}),
        encodeRecord({seq: 5, tx: 3, op: 'commit', n: 3}),
      ].join(''),
    )
    const scan = await scanJournal(journal(ctx, 'n2'), 0)
    expect(scan).toMatchObject({transactions: 1, committed: 1, discarded: 2}) // the scanner discards it (control)

    await markDead(ctx, 'n2')
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    const rep = await replayOp(ctx, 'fs1', id)
    expect(rep.journals[0]).toMatchObject({applied: 1, discarded: 2})
    expect((await fsShow(ctx, 'fs1')).keys).toEqual([{key: 'a', value: '1', seq: 1}]) // 'bad' never applied
    expect((await validateOp(ctx, 'fs1', id)).result).toBe('VALID')

    // journal show must not claim the discarded records are applied or pending.
    const shown = await statuses(ctx, 'n2')
    expect(shown.slice(0, 2)).toEqual(['1:set:applied', '2:commit:applied'])
    expect(shown.slice(2, 4)).toEqual(['3:set:uncommitted', '4:set:uncommitted'])
    expect(shown[4]).not.toMatch(/applied|committed-pending/)
  })

  it("a recovered node's new incarnation: records past the old torn tail are trusted by checkpoint, and shown so", async () => {
    const ctx = await newCluster()
    await lockEx(ctx, 'n2', 'a')
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], []) // 1, 2
    await fsWrite(ctx, 'fs1', 'n2', [['a', '2']], []) // 3, 4
    truncateSync(journal(ctx, 'n2'), statSync(journal(ctx, 'n2')).size - 3) // n2 dies mid-write
    await markDead(ctx, 'n2')
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    await replayOp(ctx, 'fs1', id)
    expect((await validateOp(ctx, 'fs1', id)).result).toBe('VALID')
    const back = await joinNode(ctx, 'n2')
    expect(back.node).toMatchObject({state: 'up', incarnation: 2})

    await lockEx(ctx, 'n2', 'z')
    await fsWrite(ctx, 'fs1', 'n2', [['z', 'new']], []) // 5, 6
    const cp = await fsCheckpoint(ctx, 'fs1', 'n2')
    expect(cp).toMatchObject({records: 1, applied: 1, stoppedAt: null}) // checkpoint trusts and applies them
    expect((await fsShow(ctx, 'fs1')).keys).toContainEqual({key: 'z', value: 'new', seq: 5})

    const shown = await journalShow(ctx, 'fs1', 'n2')
    expect(shown.point).toBe(shown.size)
    const tail = shown.records.filter((r) => r.offset >= shown.records.find((x) => x.status === 'bad-checksum' || x.status === 'torn')!.offset + 1)
    expect(tail.map((r) => r.status)).toEqual(['applied', 'applied'])
  })
})
