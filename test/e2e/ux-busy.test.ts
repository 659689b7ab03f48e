// A busy state directory says who holds it: a writer stopped with its locks held
// (as Ctrl-Z leaves it) keeps a reader waiting at most --wait, and the exit-6
// message and its JSON name the holder — pid, command line, since when.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {tempDirsPerFile, copyFixture, run, runTty, spawnDlmctl, type CliProcess} from './helpers.js'

tempDirsPerFile()

let writer: CliProcess | undefined
afterEach(async () => {
  if (writer && writer.exitCode === null) process.kill(writer.pid!, 'SIGCONT')
  await writer
  writer = undefined
})

/** A `lock request` on fs1 that stops (SIGSTOP) right after taking its locks; resolves once its holder record is written. */
async function stoppedWriter(state: string): Promise<number> {
  writer = spawnDlmctl(state, ['lock', 'request', 'fs1', 'r/held', '--node', 'n1', '--mode', 'PR'], {env: {DLMCTL_TEST_STOP_HOLDING: '1'}})
  const file = join(state, 'lock', 'domain.fs1.lock')
  for (let i = 0; i < 400; i++) {
    const text = readFileSync(file, 'utf8')
    if (text.includes(`"pid":${writer.pid}`) && readFileSync(`/proc/${writer.pid}/stat`, 'utf8').split(' ')[2] === 'T') return writer.pid!
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('the writer never stopped holding fs1')
}

describe('a writer stopped holding fs1', () => {
  it('status gives up after --wait with exit 6 naming the holder (human and JSON); the writer then finishes', async () => {
    const s = copyFixture('chain')
    const pid = await stoppedWriter(s)
    const plain = await run(s, ['status', '--wait', '300ms'])
    expect(plain.exitCode).toBe(6)
    expect(plain.ms).toBeLessThan(300 + 5_000)
    expect(plain.stderr.replaceAll(String(pid), '<pid>')).toMatchInlineSnapshot(`
      "dlmctl: BUSY: state directory busy: fs1 is held by pid <pid> (dlmctl lock request fs1 r/held --node n1 --mode PR, for 0s); still held after 0.3s (try --wait)
      "
    `)
    const asJson = await run(s, ['status', '--wait', '300ms', '--json'])
    expect(asJson.exitCode).toBe(6)
    expect(JSON.parse(asJson.stdout)).toEqual({
      error: {
        code: 'BUSY',
        message: `state directory busy: fs1 is held by pid ${pid} (dlmctl lock request fs1 r/held --node n1 --mode PR, for 0s); still held after 0.3s (try --wait)`,
        scope: 'domain.fs1',
        holder: {pid, command: 'dlmctl lock request fs1 r/held --node n1 --mode PR', since: '2026-01-01T00:00:00.000Z'},
      },
    })
    process.kill(pid, 'SIGCONT')
    const w = await writer!
    expect(w.exitCode).toBe(0)
    // Released: the record is gone and status answers at once.
    expect(readFileSync(join(s, 'lock', 'domain.fs1.lock'), 'utf8')).toBe('')
    expect((await run(s, ['status', '--wait', '300ms'])).exitCode).toBe(0)
  })

  it('on a terminal, a line says what the wait is for while it waits', async () => {
    const s = copyFixture('chain')
    const pid = await stoppedWriter(s)
    const r = await runTty(s, ['status', '--wait', '1s'])
    expect(r.exitCode).toBe(6)
    expect(r.stdout).toContain(`waiting: fs1 is held by pid ${pid} (dlmctl lock request fs1 r/held --node n1 --mode PR, for 0s)…`)
  })

  it('off a terminal no waiting line: stderr holds only the error', async () => {
    const s = copyFixture('chain')
    await stoppedWriter(s)
    const r = await run(s, ['lock', 'list', 'fs1', '--wait', '200ms'])
    expect(r.exitCode).toBe(6)
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1)
  })
})
