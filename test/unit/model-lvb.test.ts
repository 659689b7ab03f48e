// Lock value blocks (src/model/lvb.ts, resource.ts, domain.ts) against Linux DLM's
// dlm_lvb_operations table, row by row: mode pair × release / down-convert /
// same-mode convert / up-convert / cancel / queued then granted; the three
// defects of issue 9 (each failed on the code before it); validate's zeroing.
import {describe, expect, it} from 'vitest'
import {DlmError} from '../../src/errors.js'
import {applyDeath, attach, newDomain, validate} from '../../src/model/domain.js'
import {lvbOperation, type LvbOp} from '../../src/model/lvb.js'
import {MODES, compatible, type Mode} from '../../src/model/modes.js'
import {cancelLock, convertLock, findLock, lockStatus, newResource, releaseLock, requestLock} from '../../src/model/resource.js'
import type {Lock, Resource} from '../../src/model/types.js'
import {invalidReasons} from '../../src/model/validity.js'
import {thrownDlmError} from './helpers/thrown.js'

const SIZE = 4
const OLD = 'aaaaaaaa' // the resource's value before the operation
const READ_BEFORE = '11111111' // what the lock had read earlier
const NEW = 'cafebabe' // the caller's --lvb

// Linux fs/dlm/lock.c dlm_lvb_operations, granted mode (row) × requested mode (column),
// written out here rather than computed: R reads, W writes, - leaves it alone.
//               NL   CR   CW   PR   PW   EX
const TABLE: Record<Mode, string> = {
  NL: 'R    R    R    R    R    R',
  CR: '-    R    R    R    R    R',
  CW: '-    -    R    R    R    R',
  PR: '-    -    -    R    R    R',
  PW: 'W    W    W    W    W    R',
  EX: 'W    W    W    W    W    W',
}
const expected = (from: Mode, to: Mode): LvbOp => ({R: 'read', W: 'write', '-': 'none'})[TABLE[from].split(/\s+/)[MODES.indexOf(to)]] as LvbOp

const kind = (from: Mode, to: Mode) => (from === to ? 'same-mode' : MODES.indexOf(to) < MODES.indexOf(from) ? 'down' : 'up')

function refusedUnchanged(res: Resource, fn: () => unknown): DlmError {
  const before = structuredClone(res)
  const e = thrownDlmError(fn)
  expect(e.code).toBe('LVB_NOT_WRITER')
  expect(res).toEqual(before)
  return e
}

/** A resource whose value block is OLD and not valid, with one granted lock of `mode` that read READ_BEFORE. */
function holding(mode: Mode) {
  const res = newResource('r', SIZE)
  let id = 1
  const req = (node: string, m: Mode): Lock => requestLock(res, {id: id++, node, mode: m, persistent: false})
  const l = req('n1', mode)
  res.lvb = OLD
  res.lvbValid = false
  l.lvb = READ_BEFORE
  return {res, l, req}
}

describe('the table (lvbOperation) is Linux dlm_lvb_operations', () => {
  for (const from of MODES)
    for (const to of MODES) {
      it(`${from}→${to} (${kind(from, to)}): ${expected(from, to)}`, () => expect(lvbOperation(from, to)).toBe(expected(from, to)))
    }
  it('a new request reads, in every mode; a cancel does nothing', () => {
    for (const m of MODES) expect(lvbOperation(undefined, m)).toBe('read')
    for (const m of MODES) expect(lvbOperation(m, 'cancel')).toBe('none')
  })
  it('a release writes from PW and EX only', () => {
    for (const m of MODES) expect(lvbOperation(m, 'release')).toBe(m === 'PW' || m === 'EX' ? 'write' : 'none')
  })
})

describe('every row, applied: conversion granted in place', () => {
  for (const from of MODES)
    for (const to of MODES) {
      const op = expected(from, to)
      it(`${from}→${to} (${kind(from, to)}) with --lvb: ${op === 'write' ? 'writes, value valid' : 'LVB_NOT_WRITER, nothing changed'}`, () => {
        const {res, l} = holding(from)
        if (op === 'write') {
          convertLock(res, l.id, {mode: to, lvb: NEW})
          expect(res.lvb).toBe(NEW)
          expect(res.lvbValid).toBe(true)
          expect(l.lvb).toBe(NEW)
          expect(l.mode).toBe(to)
        } else refusedUnchanged(res, () => convertLock(res, l.id, {mode: to, lvb: NEW}))
      })
      it(`${from}→${to} (${kind(from, to)}) without --lvb: ${op === 'read' ? 'reads' : 'value block untouched'}`, () => {
        const {res, l} = holding(from)
        convertLock(res, l.id, {mode: to})
        expect(l.mode).toBe(to)
        // Reading never makes the value valid; only a write does.
        expect(res.lvb).toBe(OLD)
        expect(res.lvbValid).toBe(false)
        expect(l.lvb).toBe(op === 'read' ? OLD : READ_BEFORE)
      })
    }
})

describe('every row, applied: release and cancel', () => {
  for (const m of MODES) {
    it(`release of ${m} with --lvb: ${m === 'PW' || m === 'EX' ? 'writes, value valid' : 'LVB_NOT_WRITER'}`, () => {
      const {res, l} = holding(m)
      if (m === 'PW' || m === 'EX') {
        releaseLock(res, l.id, NEW)
        expect(res.lvb).toBe(NEW)
        expect(res.lvbValid).toBe(true)
      } else refusedUnchanged(res, () => releaseLock(res, l.id, NEW))
    })
    it(`release of ${m} without --lvb leaves the value block and its validity`, () => {
      const {res, l} = holding(m)
      releaseLock(res, l.id)
      expect(res.lvb).toBe(OLD)
      expect(res.lvbValid).toBe(false)
    })
  }

  it('release of a waiting lock with --lvb: LVB_NOT_WRITER (it holds nothing)', () => {
    const {res, req} = holding('EX')
    const w = req('n2', 'EX')
    expect(refusedUnchanged(res, () => releaseLock(res, w.id, NEW)).message).toMatch(/lock 2 is waiting/)
  })

  // Every conversion that can be queued: a blocker compatible with `from`, not with `to`.
  for (const [from, to, blocker] of MODES.flatMap((f) => MODES.map((t) => [f, t, MODES.find((b) => compatible(f, b) && !compatible(t, b))] as const)).filter(
    (x): x is [Mode, Mode, Mode] => x[2] !== undefined,
  )) {
    it(`cancel of a queued ${from}→${to}: no read, no write, the lock keeps what it read`, () => {
      const {res, l, req} = holding(from)
      req('n2', blocker)
      convertLock(res, l.id, {mode: to})
      expect(lockStatus(res, l)).toBe('converting')
      cancelLock(res, l.id)
      expect(l.mode).toBe(from)
      expect(l.lvb).toBe(READ_BEFORE)
      expect(res.lvb).toBe(OLD)
      expect(res.lvbValid).toBe(false)
      expect(l.writeLvb).toBeUndefined()
    })
  }
})

describe('every row, applied: queued then granted', () => {
  // Every conversion that can wait: some mode is compatible with what it holds and not with what it asks.
  for (const from of MODES)
    for (const to of MODES) {
      const blocker = MODES.find((b) => compatible(from, b) && !compatible(to, b))
      if (!blocker) continue
      it(`${from}→${to} queued behind ${blocker}: writes nothing while queued, ${expected(from, to)}s when granted`, () => {
        const {res, l, req} = holding(from)
        const b = req('n2', blocker)
        convertLock(res, l.id, {mode: to})
        expect(lockStatus(res, l)).toBe('converting')
        expect(l.lvb).toBe(READ_BEFORE)
        // The blocker writes as it goes if it can; the queued conversion is then granted.
        const writes = blocker === 'PW' || blocker === 'EX'
        releaseLock(res, b.id, writes ? NEW : undefined)
        expect(lockStatus(res, l)).toBe('granted')
        expect(l.mode).toBe(to)
        const now = writes ? NEW : OLD
        expect(res.lvb).toBe(now)
        expect(l.lvb).toBe(expected(from, to) === 'read' ? now : READ_BEFORE)
      })
    }

  it('a queued new request reads the value current at its grant', () => {
    const {res, l, req} = holding('EX')
    const w = req('n2', 'PR')
    releaseLock(res, l.id, NEW)
    expect(lockStatus(res, w)).toBe('granted')
    expect(w.lvb).toBe(NEW)
  })
})

describe('issue 9 defects (each failed on the code before the fix)', () => {
  it('1. a PW→EX up-conversion with --lvb writes nothing, queued or not: LVB_NOT_WRITER naming who writes', () => {
    // granted at once
    const a = holding('PW')
    const e = refusedUnchanged(a.res, () => convertLock(a.res, a.l.id, {mode: 'EX', lvb: NEW}))
    expect(e.message).toMatch(/up-conversion/)
    expect(e.message).toMatch(/--mode PW --lvb/)
    // queued behind a CR holder: nothing written now, and so nothing survives a cancel
    const b = holding('PW')
    b.req('n2', 'CR')
    refusedUnchanged(b.res, () => convertLock(b.res, b.l.id, {mode: 'EX', lvb: NEW}))
    convertLock(b.res, b.l.id, {mode: 'EX'})
    cancelLock(b.res, b.l.id)
    expect(b.res.lvb).toBe(OLD)
    expect(b.res.lvbValid).toBe(false)
  })

  it('2. a request never writes: --lvb refused; an EX request queued behind a writer that dies is granted with VALNOTVALID', () => {
    const d = newDomain('fs1', ['n1', 'n2'])
    const res = newResource('counter', SIZE)
    const pw = requestLock(res, {id: 1, node: 'n2', mode: 'PW', persistent: false})
    convertLock(res, pw.id, {mode: 'PW', lvb: '2a000000'})
    const e = refusedUnchanged(res, () => requestLock(res, {id: 2, node: 'n1', mode: 'EX', persistent: false, lvb: 'beef0000'}))
    expect(e.message).toMatch(/new EX request only reads/)
    expect(e.message).toMatch(/lock 1 \(n2, PW\)/)
    expect(e.detail).toEqual({resource: 'counter', writers: [{lockId: 1, node: 'n2', mode: 'PW'}]})
    const ex = requestLock(res, {id: 2, node: 'n1', mode: 'EX', persistent: false})
    expect(lockStatus(res, ex)).toBe('waiting')
    const death = applyDeath(d, 'n2', [res])
    expect(death.invalidatedResources).toEqual(['counter'])
    expect(lockStatus(res, ex)).toBe('granted')
    // It read the dead writer's value, and knows it is not valid.
    expect(ex.lvb).toBe('2a000000')
    expect(res.lvbValid).toBe(false)
    expect(invalidReasons(ex, res, d, 'up')).toEqual(['VALNOTVALID'])
    // Valid again when that EX holder writes (converting to its own mode).
    convertLock(res, ex.id, {mode: 'EX', lvb: '2b000000'})
    expect(res.lvbValid).toBe(true)
    expect(invalidReasons(ex, res, d, 'up')).toEqual([])
  })

  it('3. validate zeroes the value block of every persistent resource it makes valid again, and says so', () => {
    const d = newDomain('fs1', ['n1', 'n2'])
    const meta = newResource('meta/p', SIZE)
    const plain = newResource('counter', SIZE)
    const p = requestLock(meta, {id: 1, node: 'n2', mode: 'EX', persistent: true})
    convertLock(meta, p.id, {mode: 'EX', lvb: '07000000'})
    const c = requestLock(plain, {id: 2, node: 'n2', mode: 'PW', persistent: false})
    convertLock(plain, c.id, {mode: 'PW', lvb: '2a000000'})
    const reader = requestLock(meta, {id: 3, node: 'n1', mode: 'PR', persistent: true})
    applyDeath(d, 'n2', [meta, plain])
    expect(meta.lvbValid).toBe(false)
    expect(meta.lvb).toBe('07000000')
    const v = validate(d, attach(d, 'n1').id, [meta, plain])
    expect(v.result).toBe('VALID')
    expect(v.revalidatedResources).toEqual(['meta/p'])
    expect(meta.lvb).toBe('00000000')
    expect(meta.lvbValid).toBe(true)
    // the survivor waiting behind the orphan is granted after the zeroing: it reads zero
    expect(lockStatus(meta, reader)).toBe('granted')
    expect(reader.lvb).toBe('00000000')
    // a non-persistent resource is not validate's: it keeps the value, not valid, until a writer writes
    expect(plain.lvb).toBe('2a000000')
    expect(plain.lvbValid).toBe(false)
  })
})

describe('LVB_NOT_WRITER says which holder and mode may write', () => {
  it('a PR holder: refused, and told that nobody holds PW or EX now', () => {
    const res = newResource('r', SIZE)
    const pr = requestLock(res, {id: 1, node: 'n1', mode: 'PR', persistent: false})
    const e = refusedUnchanged(res, () => convertLock(res, pr.id, {mode: 'NL', lvb: NEW}))
    expect(e.message).toMatch(/lock 1 holds PR: only a granted PW or EX holder writes/)
    expect(e.message).toMatch(/no lock holds r in PW or EX now/)
    expect(e.detail).toEqual({resource: 'r', writers: []})
  })
})

describe('a resource with no lock left (the rule for non-persistent resources)', () => {
  it('keeps its value block and its validity until a PW or EX holder writes it; the next lock reads them', () => {
    const {res, l} = holding('PW')
    releaseLock(res, l.id)
    expect(findLock(res, l.id)).toBeUndefined()
    const r = requestLock(res, {id: 9, node: 'n2', mode: 'CR', persistent: false})
    expect(r.lvb).toBe(OLD)
    expect(res.lvbValid).toBe(false)
  })
})
