// The store's contract with the built binary: environment errors (exit 9, one
// line naming the file, --json), and a recover killed by SIGKILL whose claim the
// kernel releases (the next recover neither waits nor runs anything twice).
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {HEAVY, copyFixture, dlmctl, dlmctlWith, requireBuilt, stackLines} from './helpers.js'

beforeAll(requireBuilt)

describe('environment errors: exit 9 (STORE_IO), one line naming the file', () => {
  it('a directory where membership.json should be: status and lock request say so; check lists it and exits 9', async () => {
    const s = copyFixture('basic')
    rmSync(join(s, 'membership.json'))
    mkdirSync(join(s, 'membership.json'))
    for (const args of [['status'], ['lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'PR']]) {
      const r = await dlmctl(s, ...args)
      expect(r.exitCode, args.join(' ')).toBe(9)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^dlmctl: cannot use state file membership\.json \(in .*\): is a directory where a state file should be \(EISDIR\); move that directory away/)
      expect(stackLines(r.stderr)).toEqual([])
      expect(r.stdout).toBe('')
    }
    // check lists it with the rest of its findings, and exits 9: the directory could not be read.
    const c = await dlmctl(s, 'check', '--json')
    expect(c.exitCode).toBe(9)
    expect(c.json.problems).toContainEqual(expect.objectContaining({file: 'membership.json', errno: 'EISDIR'}))
    const j = await dlmctl(s, 'status', '--json')
    expect(j.exitCode).toBe(9)
    expect(j.json.error).toMatchObject({code: 'STORE_IO', errno: 'EISDIR', file: join(s, 'membership.json')})
  })
})

describe('recover killed by SIGKILL', () => {
  it('releases its claim by itself: a rerun at once (--wait 2s) finishes, and nothing of the killed attempt is left', async () => {
    const s = copyFixture('recovering')
    const before = await dlmctl(s, 'status', '--json')
    const recovering = before.json.domains.filter((d: {state: string}) => d.state === 'recovering').map((d: {name: string}) => d.name)
    expect(recovering.length).toBeGreaterThan(0)
    // Killed in its second commit (the attach, after the recovery lock was taken).
    const killed = await dlmctlWith({env: {DLMCTL_CRASH_POINT: 'commit.after-record#2'}}, s, 'recover', '--all', '--yes')
    expect(killed.signal).toBe('SIGKILL')
    const again = await dlmctl(s, 'recover', '--all', '--yes', '--wait', '2s', '--json')
    expect({exit: again.exitCode, stderr: again.stderr}).toEqual({exit: 0, stderr: ''})
    expect(again.json.domains.every((d: {result: string}) => d.result === 'RECOVERED')).toBe(true)
    const exp = await dlmctl(s, 'export')
    for (const d of JSON.parse(exp.stdout).domains) {
      expect(d.state).toBe('normal')
      expect(d.attachments).toEqual([])
      expect(d.resources.filter((r: {name: string}) => r.name.startsWith('recovery/'))).toEqual([])
    }
    const chk = await dlmctl(s, 'check', '--json')
    expect(chk.json).toMatchObject({ok: true, problems: []})
  }, HEAVY)
})
