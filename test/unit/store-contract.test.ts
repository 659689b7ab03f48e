// The store's written contract (src/store/contract.ts): which scope guards which
// file, and a change staged outside the command's scopes is a bug caught at once.
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {withTx} from '../../src/core/context.js'
import {exportState} from '../../src/core/cluster-views.js'
import {guardOf} from '../../src/store/contract.js'
import {bucketFile, domainEvents, domainFile, indexFile, journalFile, metaFile, pointFile, recoverScope} from '../../src/store/layout.js'
import {tempClusters} from './helpers/clusters.js'

const cluster = tempClusters('contract')

describe('the contract', () => {
  it.each([
    ['cluster.json', 'membership'],
    ['membership.json', 'membership'],
    ['events.jsonl', 'membership'],
    [domainFile('fs1'), 'domain.fs1'],
    [bucketFile('fs1', 0x1e), 'domain.fs1'],
    [indexFile('fs1', 0), 'domain.fs1'],
    [domainEvents('fs1'), 'domain.fs1'],
    [metaFile('fs1'), 'domain.fs1'],
    [journalFile('fs1', 'n2'), 'domain.fs1'],
    [pointFile('fs1', 'n2'), 'domain.fs1'],
  ])('%s is guarded by %s', (file, scope) => {
    expect(guardOf(file)).toBe(scope)
  })

  it.each(['commit/x.json', 'lock/membership.lock', '.dlmctl-init', 'other.json', 'domains/BAD NAME/domain.json', 'domains/fs1'])(
    '%s is guarded by no scope',
    (file) => {
      expect(guardOf(file)).toBeNull()
    },
  )

  it('recover claims have their own scope, never a file', () => {
    expect(recoverScope('fs1')).toBe('recover.fs1')
    expect(guardOf('recover.fs1')).toBeNull()
  })

  it('staging a change outside the command\'s scopes throws at once (INTERNAL), and nothing is written', async () => {
    const ctx = await cluster()
    const before = JSON.stringify(await exportState(ctx))
    for (const [scopes, file] of [
      [['domain.fs1'], 'membership.json'],
      [['membership'], domainFile('fs1')],
      [['domain.fs1'], 'stray.json'],
    ] as const) {
      const e = await withTx(ctx, [...scopes], async (s) => {
        const tx = s.io as unknown as {write(rel: string, d: string): void}
        tx.write(file, '{}')
      }).catch((x: unknown) => x)
      expect(e).toMatchObject({code: 'INTERNAL', exitCode: 1})
      expect((e as Error).message).toContain(`programming error: a change to ${file} was staged`)
    }
    expect(JSON.stringify(await exportState(ctx))).toBe(before)
    expect(readdirSync(join(ctx.root, 'commit'))).toEqual([])
  })
})
