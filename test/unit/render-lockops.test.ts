// Human text of issue 9's results (src/render/lockops.ts): convert --cancel,
// how to break a cycle, validate's zeroed value blocks. Plain (no TTY).
import {describe, expect, it} from 'vitest'
import {howToBreak, renderConvert, revalidatedText} from '../../src/render/lockops.js'
import type {LockView} from '../../src/model/validity.js'

const lock = (over: Partial<LockView> = {}): LockView => ({
  lockId: 7,
  domain: 'fs1',
  resource: 'r',
  node: 'n1',
  mode: 'PR',
  status: 'granted',
  persistent: false,
  valid: true,
  invalidReasons: [],
  lvb: '00',
  ...over,
})

describe('lock convert results', () => {
  it('a cancelled conversion: the lock line, then what was cancelled and what it let through', () => {
    expect(renderConvert({...lock(), cancelled: 'conversion', granted: [9]})).toBe(
      'lock 7 on fs1:r (n1, PR): granted, valid; conversion cancelled, keeps its granted mode; granted: 9',
    )
  })
  it('a withdrawn request says the lock is gone', () => {
    expect(renderConvert({...lock({status: 'waiting', mode: 'EX', requestedMode: 'EX'}), cancelled: 'request', granted: []})).toBe(
      'lock 7 on fs1:r (n1, EX): request withdrawn (as lock release: the lock is gone)',
    )
  })
  it('a plain conversion is the lock line', () => {
    expect(renderConvert(lock({status: 'converting', requestedMode: 'EX'}))).toBe('lock 7 on fs1:r (n1, PR): converting PR→EX, valid')
  })
})

describe('how to break a cycle', () => {
  it('names the locks to release and to cancel, and the orphans only validate releases', () => {
    const orphans = [lock({lockId: 3, node: 'n4'}), lock({lockId: 4, node: 'n4'})]
    expect(howToBreak({release: [1, 2], cancel: [5], orphans})).toBe(
      'to break it: release lock 1 or lock 2, or cancel lock 5 (lock convert --cancel); lock 3 (orphan of dead n4), lock 4 (orphan of dead n4) also block it and only validate releases them (dlmctl recover fs1)',
    )
    expect(howToBreak({release: [1], cancel: [], orphans: []})).toBe('to break it: release lock 1')
  })
})

describe("validate's zeroed value blocks", () => {
  it('nothing, one, many (the first eight named)', () => {
    expect(revalidatedText([], false)).toBe('')
    expect(revalidatedText(['meta/a'], false)).toBe('; value block of meta/a zeroed and valid again')
    const many = Array.from({length: 10}, (_, i) => `meta/k${i}`)
    expect(revalidatedText(many, true)).toBe(`; value blocks of ${many.slice(0, 8).join(', ')} and 2 more would be zeroed and valid again`)
  })
})
