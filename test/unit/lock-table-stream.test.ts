// `lock list` off a terminal selects and writes its table as the locks stream
// (selectLockRows, writeLockListing): rows, not views, so a million locks fit in a
// few hundred megabytes. It must print exactly what the in-memory path prints
// (selectLocks + renderLockListing), for small tables (cli-table3's or dlmctl's
// drawing) and big ones (bigTable's, written a piece at a time), with every
// selection: system locks hidden or not, --limit, one domain or all.
import {describe, expect, it} from 'vitest'
import {prng} from '../prng.js'
import {RowBytes, selectLockRows, selectLocks} from '../../src/core/summary.js'
import type {LockView} from '../../src/model/validity.js'
import type {Mode} from '../../src/model/modes.js'
import {renderLockListing, writeLockListing} from '../../src/render/listing.js'
import {lockRowText} from '../../src/render/views.js'
import {BIG_TABLE} from '../../src/render/table.js'

const rng = prng(23)
const MODES: Mode[] = ['NL', 'CR', 'CW', 'PR', 'PW', 'EX']
const DOMAINS = ['fs10', 'fs2', 'fs1']
const RESOURCES = ['meta/inode-', 'deadman/n', 'recovery/fs', 'data/block-', 'x']

function views(n: number, domains: string[]): LockView[] {
  const seen = new Set<string>()
  const out: LockView[] = []
  while (out.length < n) {
    const domain = rng.pick(domains)
    const lockId = 1 + rng.int(n * 10)
    // Lock ids are unique within a domain.
    if (seen.has(`${domain}/${lockId}`)) continue
    seen.add(`${domain}/${lockId}`)
    const status = rng.pick(['granted', 'granted', 'converting', 'waiting'] as const)
    const orphan = rng.int(5) === 0
    const valid = !orphan && rng.int(4) !== 0
    out.push({
      lockId,
      domain,
      resource: rng.pick(RESOURCES) + rng.int(1e6),
      node: rng.pick(['n1', 'n2', 'node-12']),
      mode: rng.pick(MODES),
      status,
      ...(status === 'converting' ? {requestedMode: rng.pick(MODES)} : {}),
      persistent: rng.int(2) === 0,
      valid,
      invalidReasons: valid ? [] : orphan ? ['ORPHANED'] : ['VALNOTVALID'],
      lvb: rng.pick(['', '00', 'ab'.repeat(rng.int(30))]),
    })
  }
  return out
}

async function streamed(locks: LockView[], o: {limit?: number; hideSystem: boolean}, domain?: string): Promise<string> {
  let text = ''
  const sel = selectLockRows(locks, o, lockRowText(domain !== undefined))
  await writeLockListing(async (s) => void (text += s), sel, domain)
  return text
}

const inMemory = (locks: LockView[], o: {limit?: number; hideSystem: boolean}, domain?: string) =>
  renderLockListing(selectLocks(locks, {sort: 'id', ...o}), domain) + '\n'

describe('the streamed lock table is the in-memory one, byte for byte', () => {
  const cases: [string, number, {limit?: number; hideSystem: boolean}][] = [
    ['small, system locks hidden', 40, {hideSystem: true}],
    ['small, --all', 40, {hideSystem: false}],
    ['big, system locks hidden', BIG_TABLE * 3, {hideSystem: true}],
    ['big, --all', BIG_TABLE * 3, {hideSystem: false}],
    ['big, --limit that keeps it big', BIG_TABLE * 3, {hideSystem: true, limit: BIG_TABLE + 7}],
    ['big, --limit that makes it small', BIG_TABLE * 3, {hideSystem: false, limit: 12}],
  ]
  it.each(cases)('%s: every domain and one domain', async (_, n, o) => {
    const all = views(n, DOMAINS)
    const text = await streamed(all, o)
    expect(text).toBe(inMemory(all, o))
    const one = views(n, ['fs1'])
    expect(await streamed(one, o, 'fs1')).toBe(inMemory(one, o, 'fs1'))
    // What the case is about really happened.
    if (n > BIG_TABLE && (o.limit === undefined || o.limit > BIG_TABLE)) expect(text.split('\n').length).toBeGreaterThan(BIG_TABLE)
    if (o.limit) expect(text).toContain('more not shown (--limit)')
    if (o.hideSystem) expect(text).toContain('deadman and recovery lock(s) not shown')
  })

  it('nothing kept, nothing at all', async () => {
    const system = views(30, DOMAINS).map((v) => ({...v, resource: `deadman/${v.resource}`}))
    expect(await streamed(system, {hideSystem: true}, 'fs1')).toBe(inMemory(system, {hideSystem: true}, 'fs1'))
    expect(await streamed([], {hideSystem: true})).toBe(inMemory([], {hideSystem: true}))
    expect(await streamed([], {hideSystem: false}, 'fs2')).toBe(inMemory([], {hideSystem: false}, 'fs2'))
  })
})

describe('rows kept as bytes (RowBytes)', () => {
  it('gives back every row as pushed, across chunk ends, multi-byte characters and rows longer than a chunk', () => {
    const texts = Array.from({length: 3000}, (_, i) => ['', 'a', '✓\0→…', 'x'.repeat(rng.int(200)), `${i}\0é\0日本`][rng.int(5)] + i)
    for (const chunk of [16, 64, 1000, 4 << 20]) {
      const rows = new RowBytes(chunk)
      for (const t of texts) rows.push(t)
      expect(rows.length).toBe(texts.length)
      expect(Array.from({length: rows.length}, (_, i) => rows.at(i))).toEqual(texts)
    }
  })
})
