// "Validated on read" (SPEC §3), in-process: every kind of damage (truncated, not
// JSON, JSON of the wrong shape) to each state file, against every command that
// reads that file (through the core function the command calls): each refuses
// with STATE_CORRUPT naming the file, check lists it, the read-only commands that
// do not read it leave it alone, and nothing in the directory is written.
// test/e2e/corrupt.test.ts checks the same table once per file through the binary
// (exit 4, the one-line message, the JSON error).
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, test} from 'vitest'
import type {Ctx} from '../../src/core/context.js'
import {checkState, events, exportState, status} from '../../src/core/cluster-views.js'
import {lockListing} from '../../src/core/listing.js'
import {requestLockOp} from '../../src/core/locks.js'
import {domainsOf, markDead} from '../../src/core/nodes.js'
import {DlmError} from '../../src/errors.js'
import {KINDS, TARGETS, damage, type Reader} from '../damage.js'
import {treeFiles} from '../e2e/helpers.js'
import {TEST_BASE, testClock} from './helpers/clusters.js'

const BASIC = fileURLToPath(new URL('../../fixtures/clusters/basic', import.meta.url))
const tmp = mkdtempSync(join(TEST_BASE, 'dlmctl-corrupt-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

/** The core call behind each command (as commands/ makes it). */
const RUN: Record<Reader, (ctx: Ctx) => Promise<unknown>> = {
  status: (ctx) => status(ctx),
  list: (ctx) => lockListing(ctx, {}, {format: 'table'}, () => domainsOf(ctx)),
  request: (ctx) => requestLockOp(ctx, {fs: 'fs1', resource: 'x', node: 'n1', mode: 'NL'}),
  'request-deadman': (ctx) => requestLockOp(ctx, {fs: 'fs1', resource: 'deadman/n2', node: 'n1', mode: 'NL'}),
  'mark-dead': (ctx) => markDead(ctx, 'n3'),
  check: (ctx) => checkState(ctx),
  events: (ctx) => events(ctx),
  export: (ctx) => exportState(ctx),
}

/** null when it succeeded; else the code and the file the error names. */
async function outcome(reader: Reader, ctx: Ctx): Promise<{code: string; file?: unknown} | null> {
  try {
    const r = await RUN[reader](ctx)
    if (reader === 'check') {
      const c = r as {ok: boolean; problems: {file: string}[]}
      return c.ok ? null : {code: 'CHECK_PROBLEMS', file: c.problems.map((p) => p.file).join(' ')}
    }
    return null
  } catch (e) {
    if (e instanceof DlmError) return {code: e.code, file: e.detail?.file}
    throw e
  }
}

let n = 0
describe.each(TARGETS)('a damaged $file', (t) => {
  const names = (file: unknown) => typeof file === 'string' && new RegExp(`(^| )${t.file.replace(/[.]/g, '\\.')}(:\\d+)?( |$)`).test(file)
  test.each(KINDS)('%s: every reader refuses naming it, the others leave it alone, nothing is written', async (kind) => {
    const root = join(tmp, `c${n++}`)
    cpSync(BASIC, root, {recursive: true})
    damage(join(root, t.file), kind)
    const before = treeFiles(root)
    const ctx: Ctx = {root, waitMs: 2000, clock: testClock}
    for (const r of t.readers) {
      const o = await outcome(r, ctx)
      // check lists a damaged file among its problems, or refuses outright when it cannot read the cluster at all.
      const codes = r === 'check' ? ['CHECK_PROBLEMS', 'STATE_CORRUPT'] : ['STATE_CORRUPT']
      expect(codes, `${r}: ${JSON.stringify(o)}`).toContain(o?.code)
      expect(names(o?.file), `${r} names ${t.file}: ${String(o?.file)}`).toBe(true)
    }
    for (const r of t.others) {
      const o = await outcome(r, ctx)
      if (o) expect({reader: r, code: o.code, names: names(o.file)}).toEqual({reader: r, code: 'STATE_CORRUPT', names: true})
    }
    expect(treeFiles(root)).toEqual(before)
  })
})
