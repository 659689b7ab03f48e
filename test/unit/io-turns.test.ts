// The store's io calls are synchronous system calls behind async methods
// (src/store/io.ts); a long run of them must still give the event loop a turn now
// and then, or a Ctrl-C while a plan is computed, a timer or a pipe would wait for
// the whole run.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {io} from '../../src/store/io.js'

const dir = mkdtempSync(join(tmpdir(), 'dlmctl-io-turns-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('io gives the event loop a turn during a long run of calls', () => {
  test('a timer and a setImmediate scheduled before a 300 ms run of reads fire during it', async () => {
    const file = join(dir, 'f.json')
    writeFileSync(file, '{}')
    let timerAt = 0
    let immediateAt = 0
    const started = Date.now()
    setTimeout(() => (timerAt = Date.now()), 10)
    setImmediate(() => (immediateAt = Date.now()))
    let calls = 0
    while (Date.now() - started < 300) {
      await io.readFile(file)
      await io.stat(file)
      calls++
    }
    const ended = Date.now()
    expect(calls).toBeGreaterThan(10)
    expect(immediateAt).toBeGreaterThan(0)
    expect(timerAt).toBeGreaterThan(0)
    // Well before the run ended: within a turn or two of 50 ms, not at its end.
    expect(timerAt).toBeLessThan(ended - 100)
  })
})
