// Human output: plain tables when not on a terminal (snapshots, no escape codes),
// coloured tables that fit the terminal's width and cut nothing when on one.
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, ANSI, chainIds, tempDirsPerFile, copyFixture, treeFiles, json, pMap, parseTables, run, runTty, stripAnsi, width, type ChainIds} from './helpers.js'

// Rules and output shapes: this file's pipe runs go through the commands in this process
// (helpers.ts commandsInProcess); terminals, other working directories and time limits still spawn.
commandsInProcess()

tempDirsPerFile()

const PLAIN: {fixture: string; args: string[]}[] = [
  {fixture: 'chain', args: ['status']},
  {fixture: 'chain', args: ['node', 'list']},
  {fixture: 'chain', args: ['domain', 'list']},
  {fixture: 'chain', args: ['lock', 'list']},
  {fixture: 'chain', args: ['lock', 'list', '--invalid']},
  {fixture: 'chain', args: ['events']},
  {fixture: 'chain', args: ['fs', 'show', 'fs1']},
  {fixture: 'chain', args: ['journal', 'show', 'fs1', '--node', 'n2']},
  {fixture: 'recovering', args: ['status']},
  {fixture: 'recovering', args: ['domain', 'list']},
  {fixture: 'recovering', args: ['lock', 'list', '--invalid']},
  {fixture: 'recovering', args: ['fs', 'show', 'fs1']},
  {fixture: 'recovering', args: ['journal', 'show', 'fs1', '--node', 'n3']},
]

describe('plain human output (not a terminal)', () => {
  const states: Record<string, string> = {}
  const before: Record<string, Record<string, string>> = {}
  const outputs = new Map<string, Awaited<ReturnType<typeof run>>>()
  beforeAll(async () => {
    for (const f of ['chain', 'recovering']) {
      states[f] = copyFixture(f)
      before[f] = treeFiles(states[f])
    }
    await pMap(PLAIN, 4, async (c) => outputs.set(`${c.fixture}: ${c.args.join(' ')}`, await run(states[c.fixture], c.args)))
  })

  for (const c of PLAIN) {
    const key = `${c.fixture}: ${c.args.join(' ')}`
    it(`${key}`, () => {
      const r = outputs.get(key)!
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).not.toMatch(/\x1b/)
      expect(r.stdout).toMatchSnapshot()
    })
  }

  it('a pipe without NO_COLOR is plain too, and a terminal with NO_COLOR=1 has no colour', async () => {
    const [piped, ttyNoColor] = await Promise.all([
      run(states.chain, ['lock', 'list'], {env: {NO_COLOR: undefined, TERM: 'xterm-256color', FORCE_COLOR: undefined}}),
      runTty(states.chain, ['lock', 'list', 'fs1', '--resource', 'meta/a'], {env: {NO_COLOR: '1'}}),
    ])
    expect(piped.exitCode).toBe(0)
    expect(piped.stdout).toBe(outputs.get('chain: lock list')!.stdout)
    expect(ttyNoColor.exitCode).toBe(0)
    expect(ttyNoColor.stdout).toContain('meta/a')
    expect(ttyNoColor.stdout.match(ANSI) ?? []).toEqual([])
  })

  it('looking changes nothing in the state directory', () => {
    for (const f of Object.keys(states)) expect(treeFiles(states[f]), f).toEqual(before[f])
  })
})

describe('on a terminal (script, 120 columns)', () => {
  let state: string
  let ids: ChainIds
  let locks: any[]
  let list: Awaited<ReturnType<typeof runTty>>
  let metaA: Awaited<ReturnType<typeof runTty>>
  let status: Awaited<ReturnType<typeof runTty>>
  beforeAll(async () => {
    state = copyFixture('chain')
    ids = await chainIds(state)
    ;[list, metaA, status, {locks}] = await Promise.all([
      runTty(state, ['lock', 'list', '--all']),
      runTty(state, ['lock', 'list', 'fs1', '--resource', 'meta/a']),
      runTty(state, ['status']),
      json<{locks: any[]}>(state, ['lock', 'list']),
    ])
  })

  it('lock list is coloured: red for invalid, yellow for waiting and converting, green for valid', () => {
    expect(list.exitCode, list.stdout).toBe(0)
    const line = (id: number) => list.stdout.split('\n').find((l) => stripAnsi(l).startsWith(`│ ${id} `)) ?? ''
    expect(line(ids.orphan)).toContain('\x1b[31m✗') // invalid: red
    expect(line(ids.orphan)).toContain('\x1b[31m (orphan)')
    expect(line(ids.waiting)).toContain('\x1b[33mwaiting\x1b[0m') // waiting: yellow
    expect(line(ids.converting)).toContain('\x1b[33mconverting\x1b[0m')
    expect(line(ids.waiting)).toContain('\x1b[32m✓\x1b[0m') // valid: green
  })

  it('lock list (a long resource name) fits 120 columns and cuts no cell: full resource names and reasons', () => {
    for (const l of list.stdout.split('\n')) expect(width(l), `line wider than 120 columns:\n${l}`).toBeLessThanOrEqual(120)
    const [t] = parseTables(list.stdout)
    expect(t[0]).toEqual(['ID', 'DOMAIN', 'RESOURCE', 'NODE', 'MODE', 'STATUS', 'PERSISTENT', 'VALID', 'LVB'])
    const rows = new Map(t.slice(1).map((r) => [Number(r[0]), r]))
    expect(rows.size).toBe(locks.length)
    const squash = (s: string) => s.replace(/\s+/g, '')
    for (const l of locks) {
      const r = rows.get(l.lockId)!
      expect(squash(r[2]), `lock ${l.lockId}: RESOURCE cell cut (rendered "${r[2]}")`).toBe(l.resource)
      const valid = l.valid ? '✓' : `✗${l.invalidReasons.join('')}`
      expect(squash(r[7]), `lock ${l.lockId}: VALID cell cut (rendered "${r[7]}")`).toBe(valid)
    }
    expect(ids.longName.length).toBeGreaterThan(60)
  })

  it('lock list of one resource: fits, coloured, snapshot with escape codes', () => {
    expect(metaA.exitCode).toBe(0)
    for (const l of metaA.stdout.split('\n')) expect(width(l)).toBeLessThanOrEqual(120)
    expect(metaA.stdout).toContain('\x1b[31m✗ DOMAIN_RECOVERING ORPHANED\x1b[0m')
    expect(metaA.stdout).toContain('\x1b[33mwaiting\x1b[0m')
    expect(metaA.stdout).toMatchSnapshot()
  })

  it('status is coloured (dead and recovering red, up green), fits, names everything; snapshot', () => {
    expect(status.exitCode).toBe(0)
    for (const l of status.stdout.split('\n')) expect(width(l)).toBeLessThanOrEqual(120)
    expect(status.stdout).toContain('\x1b[31mdead\x1b[0m')
    expect(status.stdout).toContain('\x1b[31mrecovering\x1b[0m')
    expect(status.stdout).toContain('\x1b[32mup\x1b[0m')
    const [nodes, domains] = parseTables(status.stdout)
    expect(nodes.slice(1)).toEqual([
      ['n1', 'up', '1', '0s', '-'],
      ['n2', 'dead', '1', '0s', 'dlmctl recover fs1'],
      ['n3', 'up', '1', '0s', '-'],
    ])
    expect(domains.slice(1)).toEqual([['fs1', 'recovering', '1', 'n1 n2 n3', 'n2 (1 record)']])
    expect(stripAnsi(status.stdout)).toContain('recovery needed: fs1 (dlmctl recover fs1)')
    expect(status.stdout).toMatchSnapshot()
  })

  it('lock list snapshot on a terminal, escape codes kept (written once the table fits without cutting)', () => {
    // Recorded only when the rendering is right: a snapshot of a cut table would pin the bug.
    const [t] = parseTables(list.stdout)
    const cut = t.slice(1).some((r) => r[2].endsWith('…') || r[7].endsWith('…'))
    expect(cut, 'a cell of lock list is cut with "…" (see the test above)').toBe(false)
    expect(list.stdout).toMatchSnapshot()
  })
})

describe('progress', () => {
  it('replay: nothing on stderr through a pipe; on a terminal with --json the output is the JSON document alone', async () => {
    const [a, b] = [copyFixture('recovering'), copyFixture('recovering')]
    const [piped, tty] = await Promise.all([run(a, ['replay', 'fs1', '--id', '1']), runTty(b, ['replay', 'fs1', '--id', '1', '--json'])])
    expect(piped.exitCode).toBe(0)
    expect(piped.stderr).toBe('')
    expect(piped.stdout).toMatch(/^replayed fs1 \(recovery id 1\): 1 key\(s\) changed\n {2}n3: 1 record\(s\) applied, 0 discarded/)
    expect(tty.exitCode, tty.stdout).toBe(0)
    expect(tty.stdout).not.toMatch(/\x1b/)
    expect(JSON.parse(tty.stdout)).toMatchObject({domain: 'fs1', result: 'DONE', journals: [{node: 'n3', applied: 1}]})
  })
})
