// Exit codes and one-line errors (SPEC §2): 2 usage, 5 refused by the lock rules,
// the same with or without --json; never a stack trace; a refused or rejected
// command changes nothing.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {commandsInProcess, copyFixture, dlmctl, dlmctlWith, stackLines, tempDir, treeFiles, type RunResult} from './helpers.js'

// The rules behind the errors: this file's pipe runs go through the commands in this process
// (helpers.ts commandsInProcess). The exit status of the binary itself is checked once per
// code: an unknown command (2, only bin/run.js answers it) and a refusal (5) run as processes.
commandsInProcess()

/** A human-mode failure: exit `code`, nothing on stdout, exactly one line on stderr, no stack. */
function failsWith(r: RunResult, code: number, pattern: RegExp): void {
  expect({exit: r.exitCode, stdout: r.stdout}).toEqual({exit: code, stdout: ''})
  expect(stackLines(r.stderr)).toEqual([])
  expect(r.stderr).toMatch(/^dlmctl: [^\n]+\n$/)
  expect(r.stderr).toMatch(pattern)
}

/** A --json failure: exit `code`, stdout is exactly {error: {code, message, ...}}, stderr empty. */
function failsWithJson(r: RunResult, exit: number, code: string): {code: string; message: string} {
  expect({exit: r.exitCode, stderr: r.stderr}).toEqual({exit, stderr: ''})
  const j = r.json
  expect(Object.keys(j)).toEqual(['error'])
  expect(j.error.code).toBe(code)
  expect(typeof j.error.message).toBe('string')
  expect(j.error.message).not.toContain('\n')
  return j.error
}

describe('usage errors: exit 2 and a one-line message', () => {
  test('unknown node, unknown fs, bad mode, bad name, bad flag, bad --wait, unknown ids — human and --json', async () => {
    const s = copyFixture('basic')
    const before = treeFiles(s)
    const req = (...more: string[]) => ['lock', 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'NL', ...more]
    const cases: {args: string[]; re: RegExp; code: string}[] = [
      {args: ['lock', 'request', 'fs1', 'x', '--node', 'n9', '--mode', 'NL'], re: /unknown node 'n9'.*n1, n2, n3/, code: 'UNKNOWN_NODE'},
      {args: ['lock', 'list', 'fs9'], re: /unknown file system 'fs9'.*fs1, fs2/, code: 'UNKNOWN_DOMAIN'},
      {args: ['lock', 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'ZZ'], re: /bad mode 'ZZ'.*NL, CR, CW, PR, PW, EX/, code: 'USAGE'},
      {args: ['lock', 'request', 'fs1', 'x', '--node', 'N1', '--mode', 'NL'], re: /bad node name 'N1'/, code: 'BAD_NAME'},
      {args: req('--bogus'), re: /--bogus/, code: 'USAGE'},
      {args: ['lock', 'request', 'fs1', 'x', '--mode', 'NL'], re: /node/i, code: 'USAGE'}, // missing required flag
      {args: req('--wait', 'soon'), re: /--wait 'soon'/, code: 'USAGE'},
      {args: ['node', 'mark-dead', 'n9', '--yes'], re: /unknown node 'n9'.*n1, n2, n3/, code: 'UNKNOWN_NODE'},
      {args: ['lock', 'list', '--node', 'n9'], re: /unknown node 'n9'/, code: 'UNKNOWN_NODE'},
      {args: ['lock', 'release', 'fs1', '999'], re: /no lock 999 in domain fs1/, code: 'UNKNOWN_LOCK'},
      {args: ['validate', 'fs1', '--id', '7'], re: /no recovery id 7/, code: 'UNKNOWN_RECOVERY_ID'},
      {args: ['domain', 'attach', 'fs1', '--node', 'n9'], re: /unknown node 'n9'/, code: 'UNKNOWN_NODE'},
    ]
    const runs = await Promise.all(cases.flatMap((c) => [dlmctl(s, ...c.args), dlmctl(s, ...c.args, '--json')]))
    cases.forEach((c, i) => {
      const [human, json] = [runs[2 * i], runs[2 * i + 1]]
      failsWith(human, 2, c.re)
      expect(failsWithJson(json, 2, c.code).message).toMatch(c.re)
    })
    expect(treeFiles(s)).toEqual(before)
  })

  test('a command naming an unknown file system: exit 2 listing the known ones, and nothing is created', async () => {
    const s = copyFixture('basic')
    const before = treeFiles(s)
    const [h, j, att] = await Promise.all([
      dlmctl(s, 'lock', 'request', 'fs9', 'x', '--node', 'n1', '--mode', 'NL'),
      dlmctl(s, 'lock', 'request', 'fs9', 'x', '--node', 'n1', '--mode', 'NL', '--json'),
      dlmctl(s, 'domain', 'attach', 'fs9', '--node', 'n1', '--json'),
    ])
    failsWith(h, 2, /unknown file system 'fs9'.*fs1, fs2/)
    failsWithJson(j, 2, 'UNKNOWN_DOMAIN')
    failsWithJson(att, 2, 'UNKNOWN_DOMAIN')
    // A usage error changes nothing: no lock file for a domain that does not exist.
    expect(treeFiles(s)).toEqual(before)
  })

  test('an unknown command exits 2 without a stack trace', async () => {
    const s = copyFixture('basic')
    const r = await dlmctl(s, 'frobnicate', 'fs1')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/frobnicate/)
    expect(stackLines(r.stderr)).toEqual([])
  })

  test('mark-dead without --yes and without a terminal refuses at once and changes nothing', async () => {
    const s = copyFixture('basic')
    const before = treeFiles(s)
    const t0 = Date.now()
    const [h, j] = await Promise.all([
      dlmctlWith({timeout: 15_000}, s, 'node', 'mark-dead', 'n2'),
      dlmctlWith({timeout: 15_000}, s, 'node', 'mark-dead', 'n2', '--json'),
    ])
    expect(Date.now() - t0).toBeLessThan(14_000) // never hangs waiting for an answer (killed at 15 s)
    failsWith(h, 2, /--yes/)
    expect(h.stderr).toMatch(/n2/)
    expect(failsWithJson(j, 2, 'CONFIRMATION_REQUIRED').message).toMatch(/--yes/)
    expect(treeFiles(s)).toEqual(before)
    const st = await dlmctl(s, 'status', '--json')
    expect(st.json.nodes.find((n: {name: string}) => n.name === 'n2').state).toBe('up')
  })

  test('a missing state directory: exit 2 naming it, and nothing is created', async () => {
    const missing = join(tempDir(), 'no-such-cluster')
    const [st, req, reqJson] = await Promise.all([
      dlmctl(missing, 'status'),
      dlmctl(missing, 'lock', 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'NL'),
      dlmctl(missing, 'node', 'mark-dead', 'n2', '--yes', '--json'),
    ])
    failsWith(st, 2, new RegExp(`no state directory at ${missing}`))
    failsWith(req, 2, /no state directory/)
    failsWithJson(reqJson, 2, 'NO_STATE')
    expect(existsSync(missing)).toBe(false)
  })

  test('an empty directory is not a cluster: exit 2, nothing created in it', async () => {
    const empty = join(tempDir(), 'empty')
    mkdirSync(empty)
    const [st, req] = await Promise.all([dlmctl(empty, 'status'), dlmctl(empty, 'lock', 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'NL')])
    failsWith(st, 2, /init/)
    expect(req.exitCode).toBe(2)
    expect(stackLines(req.stderr)).toEqual([])
    expect(treeFiles(empty)).toEqual({})
  })

  test('init refuses a non-empty directory and an existing cluster (exit 2), leaving them as they were', async () => {
    const dir = tempDir()
    const busy = join(dir, 'busy')
    mkdirSync(busy)
    writeFileSync(join(busy, 'notes.txt'), 'mine\n')
    const s = copyFixture('basic')
    const beforeBusy = treeFiles(busy)
    const beforeS = treeFiles(s)
    const [a, b, c] = await Promise.all([
      dlmctl(busy, 'init', '--nodes', 'n1,n2', '--fs', 'fs1'),
      dlmctl(s, 'init', '--nodes', 'n1,n2', '--fs', 'fs1'),
      dlmctl(s, 'init', '--json'),
    ])
    failsWith(a, 2, /not empty/)
    failsWith(b, 2, /already holds a cluster/)
    failsWithJson(c, 2, 'NOT_EMPTY')
    expect(treeFiles(busy)).toEqual(beforeBusy)
    expect(treeFiles(s)).toEqual(beforeS)
  })
})

describe('refused by the lock rules: exit 5 with the code', () => {
  test('NOTQUEUED with --noqueue: {error:{code:"NOTQUEUED"}}, nothing changed', async () => {
    const s = copyFixture('basic')
    const ex = await dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'EX', '--json')
    expect(ex.json).toMatchObject({status: 'granted', mode: 'EX'})
    const before = treeFiles(s)
    const [j, h] = await Promise.all([
      dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n2', '--mode', 'PR', '--noqueue', '--json'),
      dlmctlWith({process: true}, s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n2', '--mode', 'PR', '--noqueue'),
    ])
    expect(failsWithJson(j, 5, 'NOTQUEUED').message).toMatch(/r\/1/)
    expect(h.exitCode).toBe(5)
    expect(stackLines(h.stderr)).toEqual([])
    expect(h.stderr).toMatch(/^dlmctl: [^\n]+\n$/)
    expect(treeFiles(s)).toEqual(before)
    // Without --noqueue the same request waits.
    const w = await dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n2', '--mode', 'PR', '--json')
    expect(w.json).toMatchObject({status: 'waiting', lockId: ex.json.lockId + 1})
  })

  test('DEADLOCK: two PR holders both converting to EX — the second is refused and keeps PR', async () => {
    const s = copyFixture('basic')
    const a = await dlmctl(s, 'lock', 'request', 'fs1', 'r/d', '--node', 'n1', '--mode', 'PR', '--json')
    const b = await dlmctl(s, 'lock', 'request', 'fs1', 'r/d', '--node', 'n2', '--mode', 'PR', '--json')
    expect([a.json.status, b.json.status]).toEqual(['granted', 'granted'])
    const ca = await dlmctl(s, 'lock', 'convert', 'fs1', String(a.json.lockId), '--mode', 'EX', '--json')
    expect(ca.exitCode).toBe(0)
    expect(ca.json).toMatchObject({status: 'converting', mode: 'PR', requestedMode: 'EX'})
    const before = treeFiles(s)
    const [cb, cbh] = await Promise.all([
      dlmctl(s, 'lock', 'convert', 'fs1', String(b.json.lockId), '--mode', 'EX', '--json'),
      dlmctl(s, 'lock', 'convert', 'fs1', String(b.json.lockId), '--mode', 'EX'),
    ])
    expect(failsWithJson(cb, 5, 'DEADLOCK').message).toContain(String(a.json.lockId))
    expect(cbh.exitCode).toBe(5)
    expect(cbh.stderr).toMatch(/^dlmctl: [^\n]+\n$/)
    expect(stackLines(cbh.stderr)).toEqual([])
    expect(treeFiles(s)).toEqual(before)
    const list = await dlmctl(s, 'lock', 'list', 'fs1', '--resource', 'r/d', '--json')
    expect(list.json.locks.map((l: {lockId: number; status: string; mode: string}) => [l.lockId, l.status, l.mode])).toEqual([
      [b.json.lockId, 'granted', 'PR'],
      [a.json.lockId, 'converting', 'PR'],
    ])
  })

  test('an orphan cannot be released by hand (NODE_NOT_UP, exit 5)', async () => {
    const s = copyFixture('seed-mid-recovery')
    const before = treeFiles(s)
    const r = await dlmctl(s, 'lock', 'release', 'fs1', '10', '--json')
    expect(failsWithJson(r, 5, 'NODE_NOT_UP').message).toMatch(/orphan/)
    expect(treeFiles(s)).toEqual(before)
  })

  test('the human message of a refusal names its code (SPEC §2: "the code named in the message")', async () => {
    const s = copyFixture('basic')
    await dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'EX')
    const a = await dlmctl(s, 'lock', 'request', 'fs1', 'r/2', '--node', 'n1', '--mode', 'PR', '--json')
    const b = await dlmctl(s, 'lock', 'request', 'fs1', 'r/2', '--node', 'n2', '--mode', 'PR', '--json')
    await dlmctl(s, 'lock', 'convert', 'fs1', String(a.json.lockId), '--mode', 'EX')
    const [nq, dl] = await Promise.all([
      dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n2', '--mode', 'PR', '--noqueue'),
      dlmctl(s, 'lock', 'convert', 'fs1', String(b.json.lockId), '--mode', 'EX'),
    ])
    expect(nq.exitCode).toBe(5)
    expect(dl.exitCode).toBe(5)
    expect(nq.stderr).toContain('NOTQUEUED')
    expect(dl.stderr).toContain('DEADLOCK')
  })
})
