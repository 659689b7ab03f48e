// The pure summaries behind status counts, lock list --summary/--sort/--limit/--all,
// the tsv cells and the metrics' label escaping.
import {describe, expect, it} from 'vitest'
import {countLocks, isSystemLock, lockComparator, naturalCompare, parseLimit, parseSortKey, selectLocks, summarize} from '../../src/core/summary.js'
import type {LockView} from '../../src/model/validity.js'
import {tsv, tsvCell} from '../../src/render/listing.js'
import {escapeLabel} from '../../src/render/metrics.js'

let nextId = 1
function lock(p: Partial<LockView>): LockView {
  return {lockId: nextId++, domain: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR', status: 'granted', persistent: false, valid: true, invalidReasons: [], lvb: '00', ...p}
}

describe('naturalCompare', () => {
  it('orders numbers inside names by value (the issue: r/n3/994 between 9937 and 9940)', () => {
    const names = ['r/n3/9940', 'r/n3/994', 'r/n3/9937', 'r/n3/10000', 'r/n3/2', 'r/n10/1', 'r/n2/1']
    expect([...names].sort(naturalCompare)).toEqual(['r/n2/1', 'r/n3/2', 'r/n3/994', 'r/n3/9937', 'r/n3/9940', 'r/n3/10000', 'r/n10/1'])
  })
  it('is a total order: leading zeros, prefixes and plain text', () => {
    expect(naturalCompare('a', 'a')).toBe(0)
    expect(naturalCompare('a', 'ab')).toBeLessThan(0)
    expect(naturalCompare('a01', 'a1')).not.toBe(0)
    expect(Math.sign(naturalCompare('a01', 'a1'))).toBe(-Math.sign(naturalCompare('a1', 'a01')))
    expect(naturalCompare('a2b', 'a10a')).toBeLessThan(0)
    expect(naturalCompare('n9', 'n10')).toBeLessThan(0)
    expect(naturalCompare('x99999999999999999999', 'x100000000000000000000')).toBeLessThan(0) // longer than a double holds
  })
})

describe('counts and the summary', () => {
  const locks = [
    lock({node: 'n2', persistent: true, valid: false, invalidReasons: ['DOMAIN_RECOVERING', 'ORPHANED'], resource: 'meta/a'}),
    lock({node: 'n1', status: 'converting', mode: 'PR', requestedMode: 'EX', valid: false, invalidReasons: ['DOMAIN_RECOVERING'], resource: 'meta/a'}),
    lock({node: 'n3', status: 'waiting', requestedMode: 'PR', resource: 'meta/a'}),
    lock({node: 'n3', status: 'waiting', requestedMode: 'PR', resource: 'deadman/n1'}),
    lock({node: 'n10', status: 'waiting', mode: 'EX', requestedMode: 'EX', resource: 'r/2'}),
    lock({node: 'n1', domain: 'fs2', mode: 'EX', resource: 'deadman/n1'}),
  ]
  it('countLocks: locks, granted, converting, waiting, orphans, invalid', () => {
    expect(countLocks(locks)).toEqual({locks: 6, granted: 2, converting: 1, waiting: 3, orphans: 1, invalid: 2})
    expect(countLocks([])).toEqual({locks: 0, granted: 0, converting: 0, waiting: 0, orphans: 0, invalid: 0})
  })
  it('summarize: by domain, node (natural order), mode (weakest first, conversions after), status, reason; most waited-on without deadman', () => {
    const s = summarize(locks)
    expect(s.total.locks).toBe(6)
    expect(Object.keys(s.byDomain)).toEqual(['fs1', 'fs2'])
    expect(s.byDomain.fs2).toEqual({locks: 1, granted: 1, converting: 0, waiting: 0, orphans: 0, invalid: 0})
    expect(s.byNode).toEqual({n1: 2, n2: 1, n3: 2, n10: 1})
    expect(Object.keys(s.byNode)).toEqual(['n1', 'n2', 'n3', 'n10'])
    expect(s.byMode).toEqual({PR: 3, 'PR→EX': 1, EX: 2})
    expect(Object.keys(s.byMode)).toEqual(['PR', 'PR→EX', 'EX'])
    expect(s.byStatus).toEqual({granted: 2, converting: 1, waiting: 3})
    expect(s.byReason).toEqual({valid: 4, DOMAIN_RECOVERING: 2, ORPHANED: 1})
    expect(s.mostWaitedOn).toEqual([
      {domain: 'fs1', resource: 'meta/a', waiting: 1, converting: 1},
      {domain: 'fs1', resource: 'r/2', waiting: 1, converting: 0},
    ])
    expect(summarize(locks, 1).mostWaitedOn).toHaveLength(1)
  })
})

describe('selectLocks: sort, limit, the system locks the human table leaves out', () => {
  const ls = [10, 9, 100, 1].map((id) => lock({lockId: id, resource: `r/${id}`}))
  const dm = lock({lockId: 5, resource: 'deadman/n1'})
  const rc = lock({lockId: 6, resource: 'recovery/fs1'})
  it('ids numerically by default; by domain first', () => {
    expect(selectLocks([...ls, lock({lockId: 2, domain: 'fs0'})], {sort: 'id'}).locks.map((l) => `${l.domain}:${l.lockId}`)).toEqual(['fs0:2', 'fs1:1', 'fs1:9', 'fs1:10', 'fs1:100'])
  })
  it('--sort resource in natural order, then id', () => {
    expect(selectLocks(ls, {sort: 'resource'}).locks.map((l) => l.resource)).toEqual(['r/1', 'r/9', 'r/10', 'r/100'])
  })
  it('--sort mode from NL to EX, --sort status in queue order, --sort node natural', () => {
    const a = [lock({mode: 'EX'}), lock({mode: 'NL'}), lock({mode: 'PW'})]
    expect(selectLocks(a, {sort: 'mode'}).locks.map((l) => l.mode)).toEqual(['NL', 'PW', 'EX'])
    const b = [lock({status: 'waiting'}), lock({status: 'granted'}), lock({status: 'converting'})]
    expect(selectLocks(b, {sort: 'status'}).locks.map((l) => l.status)).toEqual(['granted', 'converting', 'waiting'])
    const c = [lock({node: 'n10'}), lock({node: 'n9'})]
    expect(selectLocks(c, {sort: 'node'}).locks.map((l) => l.node)).toEqual(['n9', 'n10'])
  })
  it('limit after sorting, and says how many it cut; hides deadman and recovery locks and counts them', () => {
    const r = selectLocks([...ls, dm, rc], {sort: 'id', limit: 2, hideSystem: true})
    expect(r.locks.map((l) => l.lockId)).toEqual([1, 9])
    expect(r).toMatchObject({total: 6, hiddenSystem: 2, cutByLimit: 2})
    expect(selectLocks([...ls, dm], {}).locks).toHaveLength(5)
    expect(isSystemLock(dm) && isSystemLock(rc) && !isSystemLock(ls[0])).toBe(true)
  })
  it('without a sort the order is kept (the --json listing stays as it was)', () => {
    expect(selectLocks(ls, {}).locks.map((l) => l.lockId)).toEqual([10, 9, 100, 1])
  })
  it('bad --sort and --limit are usage errors naming the allowed values', () => {
    expect(() => parseSortKey('nod')).toThrow(/bad --sort 'nod': use one of id, resource, node, mode, status/)
    expect(() => parseLimit('0')).toThrow(/bad --limit '0': a positive integer/)
    expect(() => parseLimit('x')).toThrow(/--limit/)
    expect(parseLimit('25')).toBe(25)
    expect(lockComparator('id')(lock({lockId: 9}), lock({lockId: 10}))).toBeLessThan(0)
  })
})

describe('tsv and metric labels', () => {
  it('tsv: a header, one line per row, tabs and newlines in values escaped, lists joined by commas', () => {
    expect(tsv(['a', 'b', 'c'], [{a: 'x\ty', b: ['P', 'Q'], c: undefined}, {a: 'l1\nl2', b: [], c: 'back\\slash'}])).toBe('a\tb\tc\nx\\ty\tP,Q\t\nl1\\nl2\t\tback\\\\slash\n')
    expect(tsvCell({k: 1})).toBe('{"k":1}')
    expect(tsvCell(false)).toBe('false')
  })
  it('metric label values escape backslash, double quote and newline', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
  })
})

describe('control characters never reach a terminal raw', () => {
  it('tsv writes other control characters as \\xNN', () => {
    expect(tsvCell('a\x1b[31mred\x07')).toBe('a\\x1b[31mred\\x07')
  })
  it('the watch view shows them as \\xNN and fits its lines', async () => {
    const {renderWatch} = await import('../../src/render/watch.js')
    const lines = renderWatch(
      {cluster: 'c', generation: 1, time: 't', nodes: [], domains: [], events: [{time: 't', type: 'node.fence-failed', message: 'bad\x1b[2Jthing\nnext'}]},
      60,
      20,
    )
    const ev = lines.find((l) => l.includes('fence-failed'))!
    expect(ev).toContain('message=bad\\x1b[2Jthing\\x0anext')
    expect(lines.join('\n')).not.toContain('\x1b[2J')
    for (const l of lines) expect([...l.replace(/\x1b\[[0-9;]*m/g, '')].length).toBeLessThanOrEqual(60)
  })
})
