// A reader that goes away early (`dlmctl export | head`): the command stops
// quietly, as Unix tools do — no "internal error", no stack, exit 0 (or the
// command's own code when it had already set one).
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {BIN, CLOCK, requireBuilt, tempDir, cleanup} from './helpers.js'
import {makeCluster} from '../../bench/lib/cluster.js'
import {systemClock} from '../../src/core/clock.js'

let state: string
beforeAll(async () => {
  requireBuilt()
  state = join(tempDir('pipe'), 'c')
  // Enough locks that the output outgrows a pipe's buffer (64 KiB).
  await makeCluster({state, locks: 3000, nodeLocks: 500}, systemClock({DLMCTL_CLOCK: CLOCK}))
})
afterAll(cleanup)

/** Run dlmctl with its stdout read for a few bytes, then closed. */
function readThenClose(args: string[]): Promise<{code: number | null; stderr: string; got: number}> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args, '--state', state], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, DLMCTL_CLOCK: CLOCK}})
    let stderr = ''
    let got = 0
    c.stderr.on('data', (d) => (stderr += d))
    c.stdout.once('data', (d: Buffer) => {
      got = d.length
      c.stdout.destroy()
    })
    c.on('error', reject)
    c.on('close', (code) => resolve({code, stderr, got}))
  })
}

describe('the reader of the output goes away', () => {
  for (const args of [['export'], ['lock', 'list', '--json'], ['lock', 'list', '--all']]) {
    test(`dlmctl ${args.join(' ')} | head: exit 0, nothing on stderr`, {timeout: 60_000}, async () => {
      const r = await readThenClose(args)
      expect(r.got).toBeGreaterThan(0)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    })
  }
})
