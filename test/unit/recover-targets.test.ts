// Which file systems `recover` is about, and its exit status, in process against
// the core (src/core/recover-targets.ts): names or --all, never both; unknown
// names and stray flags are usage errors; without names a terminal chooses among
// the recovering ones, and without one it is a usage error.
import {describe, expect, it} from 'vitest'
import {tempClusters} from './helpers/clusters.js'
import {markDead} from '../../src/core/nodes.js'
import {recover} from '../../src/core/recover.js'
import {recoverExitCode, recoverTargets, type Recovering} from '../../src/core/recover-targets.js'
import {appendFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {encodeRecord} from '../../src/journal/format.js'
import {DlmError, EXIT} from '../../src/errors.js'

const newCluster = tempClusters('targets')

const err = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x) => x)
  expect(e).toBeInstanceOf(DlmError)
  return e as DlmError
}

describe('recoverTargets', () => {
  it('names as given; --all and --dry-run alone: the recovering ones; the command-line rules as usage errors', async () => {
    const ctx = await newCluster()
    expect(await recoverTargets(ctx, ['fs1'], {})).toEqual(['fs1'])
    expect(await recoverTargets(ctx, [], {all: true})).toEqual([]) // none recovering yet
    await markDead(ctx, 'n2', {skipFence: true})
    expect(await recoverTargets(ctx, [], {all: true})).toEqual(['fs1'])
    expect(await recoverTargets(ctx, [], {dryRun: true})).toEqual(['fs1'])
    const usages = [
      [() => recoverTargets(ctx, ['fs1'], {all: true}), 'give file systems or --all, not both'],
      [() => recoverTargets(ctx, ['fs1', '--bogus'], {}), 'unknown flag --bogus (see: dlmctl recover --help)'],
      [() => recoverTargets(ctx, [], {}), 'name the file systems to recover, or --all'],
    ] as const
    for (const [p, message] of usages) {
      const e = await err(p())
      expect([e.code, e.exitCode, e.message]).toEqual(['USAGE', EXIT.USAGE, message])
    }
    // An unknown file system is the same refusal as everywhere (one rule: unknownFileSystem).
    const unknown = await err(recoverTargets(ctx, ['nope'], {}))
    expect([unknown.code, unknown.exitCode, unknown.message]).toEqual(['UNKNOWN_DOMAIN', EXIT.USAGE, "unknown file system 'nope' (file systems: fs1)"])
  })

  it('without names, the chooser is offered the recovering ones with their dead nodes; none chosen is DECLINED; none recovering is null', async () => {
    const ctx = await newCluster()
    const offered: Recovering[][] = []
    const choose = (pick: string[]) => async (r: Recovering[]) => (offered.push(r), pick)
    expect(await recoverTargets(ctx, [], {choose: choose(['fs1'])})).toBeNull()
    expect(offered).toEqual([]) // nothing to ask about
    await markDead(ctx, 'n3', {skipFence: true})
    expect(await recoverTargets(ctx, [], {choose: choose(['fs1'])})).toEqual(['fs1'])
    expect(offered).toEqual([[{name: 'fs1', deadNodes: ['n3']}]])
    const e = await err(recoverTargets(ctx, [], {choose: choose([])}))
    expect([e.code, e.message]).toEqual(['DECLINED', 'no file system chosen; nothing changed'])
  })
})

describe('recoverExitCode and the replay progress recover reports', () => {
  it('0 when recovered, with progress calls carrying the domain, records and a byte share; MORE_RECOVERY when members kept dying; else the error\'s code', async () => {
    const ctx = await newCluster()
    // 10,005 transactions of 7 sets and a commit (80,040 lines) in n2's journal.
    const block: string[] = []
    for (let k = 0; k < 7; k++) block.push(encodeRecord({seq: 1 + k, tx: 1, op: 'set', key: `k${k}`, value: 'v'}))
    block.push(encodeRecord({seq: 8, tx: 1, op: 'commit', n: 7}))
    mkdirSync(join(ctx.root, 'fs/fs1/journal'), {recursive: true})
    appendFileSync(join(ctx.root, 'fs/fs1/journal/n2.jsonl'), block.join('').repeat(10_005))
    await markDead(ctx, 'n2', {skipFence: true})
    const seen: [string, number, number][] = []
    const r = await recover(ctx, ['fs1'], {maxAttempts: 2, onReplayProgress: (fs, n, f) => void seen.push([fs, n, f])})
    expect(r.domains[0].result).toBe('RECOVERED')
    expect(recoverExitCode(r)).toBe(EXIT.OK)
    expect(seen.length).toBe(1) // 80,040 lines: one check at 65,536
    expect(seen[0][0]).toBe('fs1')
    expect(seen[0][1]).toBe((65_536 * 7) / 8) // 7 of every 8 lines are set records
    expect(seen[0][2]).toBeGreaterThan(0.75)
    expect(seen[0][2]).toBeLessThan(0.9)
    const failed = (error?: {code: string; message: string; exitCode: number}) => ({name: 'fs1', result: 'FAILED' as const, attempts: 1, replayedNodes: [], runner: null, error})
    expect(recoverExitCode({domains: [failed()]})).toBe(EXIT.MORE_RECOVERY)
    expect(recoverExitCode({domains: [failed(), failed({code: 'NODE_NOT_UP', message: 'x', exitCode: EXIT.REFUSED})]})).toBe(EXIT.REFUSED)
  })
})
