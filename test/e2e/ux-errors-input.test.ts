// Errors and input (issue 10, item 6) and safety shown (item 5), end to end:
// unknown commands suggest the closest, flag errors name the flag, --state that
// is a file says so, filters check their names, control characters are escaped
// in human output (JSON keeps them); mark-dead says whether it fenced; status
// shows heartbeat ages and the next command per node.
import {execa} from 'execa'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {commandsInProcess, BIN, CLOCK, tempDirsPerFile, copyFixture, treeFiles, json, pMap, run, runTty, stripAnsi, tempDir} from './helpers.js'

// Rules and output shapes: this file's pipe runs go through the commands in this process
// (helpers.ts commandsInProcess); terminals, other working directories and time limits still spawn.
commandsInProcess()

tempDirsPerFile()

describe('unknown commands: the closest one, exit 2, USAGE under --json', () => {
  const CASES = [
    {argv: ['stauts'], typed: 'stauts', suggestion: 'status'},
    {argv: ['node', 'mark-ded', 'n2'], typed: 'node mark-ded', suggestion: 'node mark-dead'},
    {argv: ['lock', 'lst', 'fs1'], typed: 'lock lst', suggestion: 'lock list'},
    {argv: ['nod', 'list'], typed: 'nod list', suggestion: 'node list'},
    {argv: ['mark-dead', 'n2'], typed: 'mark-dead', suggestion: 'node mark-dead'},
    {argv: ['stauts', '--help'], typed: 'stauts', suggestion: 'status'},
    {argv: ['xyzzy'], typed: 'xyzzy', suggestion: null},
  ]
  it('each: one line on stderr in house style (no colon ids, no oclif wording), and the same as JSON', async () => {
    const s = copyFixture('chain')
    await pMap(CASES, 4, async (c) => {
      const plain = await run(s, c.argv)
      expect(plain.exitCode, c.argv.join(' ')).toBe(2)
      expect(plain.stdout).toBe('')
      expect(plain.stderr).toBe(`dlmctl: unknown command '${c.typed}'${c.suggestion ? ` (did you mean '${c.suggestion}'?)` : ''}; see: dlmctl --help\n`)
      const asJson = await run(s, [...c.argv, '--json'])
      expect(asJson.exitCode).toBe(2)
      expect(JSON.parse(asJson.stdout).error).toMatchObject({code: 'USAGE', command: c.typed, suggestion: c.suggestion})
    })
  })

  it('global flags before the command are honoured', async () => {
    const s = copyFixture('chain')
    const r = await run(undefined, ['--state', s, '--json', 'status'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).cluster).toBe('chain')
  })
})

describe('flag errors name the flag and what it takes', () => {
  const CASES: [string[], string][] = [
    [['validate', 'fs1'], 'dlmctl: missing --id: recovery id from domain attach (see: dlmctl validate --help)'],
    [['lock', 'list', '--invalid=yes'], 'dlmctl: --invalid is a switch and takes no value (got --invalid=yes): give --invalid alone, or leave it out (see: dlmctl lock list --help)'],
    [['lock', 'list', '--nod', 'n1'], 'dlmctl: unknown flag --nod (did you mean --node?) (see: dlmctl lock list --help)'],
    [['node', 'mark-dead', 'n3', '--expect-generation', 'abc'], "dlmctl: --expect-generation: 'abc' is not a whole number (see: dlmctl node mark-dead --help)"],
    [['domain', 'attach'], 'dlmctl: missing argument <fs>: file system (lock domain) (see: dlmctl domain attach --help)'],
    [['status', 'extra'], "dlmctl: unexpected argument 'extra' (dlmctl status takes no arguments; see: dlmctl status --help)"],
  ]
  it('each exits 2 with its one line, nothing changed', async () => {
    const s = copyFixture('chain')
    const before = treeFiles(s)
    await pMap(CASES, 4, async ([argv, line]) => {
      const r = await run(s, argv)
      expect(r.exitCode, argv.join(' ')).toBe(2)
      expect(r.stderr).toBe(line + '\n')
      expect(r.stderr).not.toMatch(/following error|:mark|›/)
    })
    expect(treeFiles(s)).toEqual(before)
  })

  it('--state naming a file says it is a file', async () => {
    const s = copyFixture('chain')
    const file = join(s, 'cluster.json')
    const r = await run(undefined, ['status', '--state', file])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toBe(`dlmctl: --state ${file} is a file, not a state directory (give the directory dlmctl init created, or set DLMCTL_STATE)\n`)
  })

  it('events --node/--domain check the name (not an empty listing)', async () => {
    const s = copyFixture('chain')
    const node = await run(s, ['events', '--node', 'n9', '--json'])
    expect(node.exitCode).toBe(2)
    expect(JSON.parse(node.stdout).error).toEqual({code: 'UNKNOWN_NODE', message: "unknown node 'n9' (nodes: n1, n2, n3)"})
    const dom = await run(s, ['events', '--domain', 'fs9'])
    expect(dom.exitCode).toBe(2)
    expect(dom.stderr).toBe("dlmctl: unknown file system 'fs9' (file systems: fs1)\n")
  })

  it('a bad resource name states the rule in full', async () => {
    const s = copyFixture('chain')
    const r = await run(s, ['lock', 'request', 'fs1', 'a b', '--node', 'n1', '--mode', 'PR'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toBe("dlmctl: bad resource name 'a b': a resource name is 1 to 200 printable ASCII characters (! to ~): no spaces, no control characters, nothing outside ASCII\n")
  })
})

describe('control characters: escaped in human output, exact in JSON', () => {
  it('fs show, fs read, journal show and errors', async () => {
    const s = copyFixture('basic')
    // n1 takes a persistent EX on meta/k and writes values with ESC, BEL, newline, CR and a bidi override.
    await json(s, ['lock', 'request', 'fs1', 'meta/k', '--node', 'n1', '--mode', 'EX', '--persistent'])
    const value = 'a\x1b[31mRED\x07\nrow2\rX\u202eY'
    await json(s, ['fs', 'write', 'fs1', '--node', 'n1', `k=${value}`])
    await json(s, ['fs', 'checkpoint', 'fs1', '--node', 'n1'])
    const read = await run(s, ['fs', 'read', 'fs1', 'k', '--node', 'n1'])
    expect(read.stdout).toBe('a\\e[31mRED\\x07\\nrow2\\rX\\u{202e}Y\n')
    expect((await json(s, ['fs', 'read', 'fs1', 'k', '--node', 'n1'])).value).toBe(value)
    const show = await run(s, ['fs', 'show', 'fs1'])
    expect(show.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/)
    expect(show.stdout).toMatchSnapshot('fs show with control characters')
    const journal = await run(s, ['journal', 'show', 'fs1', '--node', 'n1'])
    expect(journal.stdout).toContain('k=a\\e[31mRED\\x07\\nrow2\\rX\\u{202e}Y')
    expect(journal.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/)
    const err = await run(s, ['lock', 'list', 'fs\x1b[2J'])
    expect(err.exitCode).toBe(2)
    expect(err.stderr).not.toContain('\x1b')
    expect(err.stderr).toContain("'fs\\e[2J'")
  })
})

describe('safety shown', () => {
  it('mark-dead without a fence command: "NOT fenced" and fenced: null', async () => {
    const s = copyFixture('chain')
    const r = await run(s, ['node', 'mark-dead', 'n3', '--yes'])
    expect(r.stdout.split('\n')[1]).toBe('NOT fenced: no fence command configured')
    const t = copyFixture('chain')
    expect((await json(t, ['node', 'mark-dead', 'n3', '--yes'])).fenced).toBeNull()
  })

  it('mark-dead with a fence command: fenced {command, exit, ms}; on a terminal a line while it runs', async () => {
    const base = tempDir('fence')
    const init = async (name: string) => {
      const s = join(base, name)
      await execa('node', [BIN, 'init', '--state', s, '--nodes', 'n1,n2', '--fs', 'fs1', '--fence-cmd', '/bin/true {node}', '--json'], {env: {DLMCTL_CLOCK: CLOCK}})
      return s
    }
    const [a, b] = [await init('a'), await init('b')]
    const r = await json(a, ['node', 'mark-dead', 'n2', '--yes'])
    expect(r.fenced).toEqual({command: ['/bin/true', 'n2'], exit: 0, ms: 0})
    const tty = await runTty(b, ['node', 'mark-dead', 'n2', '--yes'])
    expect(tty.exitCode).toBe(0)
    const out = stripAnsi(tty.stdout)
    expect(out).toContain('fencing: running /bin/true n2 (timeout ')
    expect(out).toContain('fenced: /bin/true n2 exited 0 after 0 ms')
  })

  it('status: heartbeat age per node, and the next command for dead and recovered nodes', async () => {
    const s = copyFixture('recovering')
    const later = await run(s, ['status', '--json'], {env: {DLMCTL_CLOCK: '2026-01-01T00:05:00Z'}})
    const nodes = JSON.parse(later.stdout).nodes
    expect(nodes.map((n: any) => [n.name, n.heartbeatAgeSeconds, n.next])).toEqual([
      ['n1', 300, null],
      ['n2', 300, null],
      ['n3', 300, 'dlmctl recover fs1 fs2'],
    ])
    await json(s, ['recover', '--all', '--yes'])
    const after = await json(s, ['status'])
    expect(after.nodes.find((n: any) => n.name === 'n3').next).toBe('dlmctl node join n3')
  })
})
