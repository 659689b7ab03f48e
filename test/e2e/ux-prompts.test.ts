// Confirmation of destructive commands: on a terminal an inquirer yes/no that
// defaults to no ("no" → exit 2, nothing changed; "yes" → done); without a terminal
// and without --yes an immediate exit 2 with a one-line message naming --yes.
import {describe, expect, it} from 'vitest'
import {commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, pMap, run, runTty, runTtyScript, stripAnsi} from './helpers.js'

tempDirsPerFile()
// Set-up, checks and the refusals' rules in this process; the terminals, and two refusals
// with stdin a pipe nobody writes to, are processes.
commandsInProcess()

interface Case {
  name: string
  fixture: 'chain' | 'recovering'
  args: string[]
  env?: Record<string, string>
  /** What the prompt says before "Proceed?". */
  says: RegExp
  /** After "yes": what must hold. */
  done?: (state: string) => Promise<void>
}

const domainOf = async (state: string, fs: string) => (await json(state, ['domain', 'list'])).domains.find((d: any) => d.name === fs)

const CASES: Case[] = [
  {
    name: 'node mark-dead',
    fixture: 'chain',
    args: ['node', 'mark-dead', 'n3'],
    says: /marking n3 dead: 1 domain\(s\) will enter recovery/,
    done: async (s) => {
      const st = await json(s, ['status'])
      expect(st.nodes.find((n: any) => n.name === 'n3').state).toBe('dead')
      expect(st.domains[0].deadNodes).toEqual(['n2', 'n3'])
    },
  },
  {
    name: 'domain detach',
    fixture: 'recovering',
    args: ['domain', 'detach', 'fs1', '--id', '1'],
    says: /detach recovery id 1 from fs1/,
    done: async (s) => expect((await domainOf(s, 'fs1')).attachments).toEqual([]),
  },
  {
    name: 'validate --force',
    fixture: 'recovering',
    args: ['validate', 'fs1', '--id', '1', '--force'],
    says: /validate fs1 even if dead nodes' journals are not replayed/,
    done: async (s) => {
      expect((await domainOf(s, 'fs1')).state).toBe('normal')
      expect((await domainOf(s, 'fs2')).state).toBe('recovering')
    },
  },
  {
    name: 'recover',
    fixture: 'recovering',
    args: ['recover', 'fs2'],
    says: /recover fs2: replay the dead nodes' journals and validate/,
    done: async (s) => {
      expect((await domainOf(s, 'fs2')).state).toBe('normal')
      expect((await domainOf(s, 'fs1')).state).toBe('recovering')
    },
  },
]

// Each case has its own copy of a fixture: they run at once.
describe.concurrent('on a terminal: the prompt', () => {
  for (const c of CASES) {
    it(`${c.name}: answered n → exit 2 "not confirmed; nothing changed", every file byte-identical`, async ({expect}) => {
      const s = copyFixture(c.fixture)
      const before = treeFiles(s)
      const r = await runTty(s, c.args, {answer: 'n'})
      const out = stripAnsi(r.stdout)
      expect(r.prompted, out).toBe(true)
      expect(out).toMatch(c.says)
      expect(out).toMatch(/Proceed\? \(y\/N\)/)
      expect(r.exitCode, out).toBe(2)
      expect(out).toContain('dlmctl: not confirmed; nothing changed')
      expect(treeFiles(s)).toEqual(before)
    })
  }

  for (const c of CASES) {
    it(`${c.name}: answered y → done`, async ({expect}) => {
      const s = copyFixture(c.fixture)
      const r = await runTty(s, c.args, {answer: 'y'})
      expect(r.prompted).toBe(true)
      expect(r.exitCode, stripAnsi(r.stdout)).toBe(0)
      await c.done!(s)
    })
  }

  it('the default is no: Enter alone declines', async ({expect}) => {
    const s = copyFixture('chain')
    const before = treeFiles(s)
    const r = await runTty(s, ['node', 'mark-dead', 'n1'], {answer: ''})
    expect(r.prompted).toBe(true)
    expect(r.exitCode, stripAnsi(r.stdout)).toBe(2)
    expect(stripAnsi(r.stdout)).toContain('not confirmed; nothing changed')
    expect(treeFiles(s)).toEqual(before)
  })

  it('recover with no file system asks which (all recovering ones checked), then shows the plan and asks y/N', async ({expect}) => {
    const s = copyFixture('recovering')
    const r = await runTtyScript(s, ['recover'], [
      {when: /Recover which file systems\?[\s\S]*fs2/, pause: 100, send: '\r'},
      {when: /Proceed\? \(y\/N\)/, pause: 100, send: 'y\r'},
    ])
    expect(r.stdout).toMatch(/fs1 \(dead: n3\)/)
    expect(r.exitCode, r.stdout).toBe(0)
    const st = await json(s, ['status'])
    expect(st.domains.map((d: any) => [d.name, d.state])).toEqual([
      ['fs1', 'normal'],
      ['fs2', 'normal'],
    ])
  })
})

describe('without a terminal and without --yes: refuse at once, change nothing', () => {
  // `asJson`: also run with --json (answers {error: {code: CONFIRMATION_REQUIRED}}).
  // `process`: run as a process whose stdin is a pipe nobody writes to (it must not wait
  // for it); the rest in this process, where the refusal's rule is the same code.
  const REFUSE: {name: string; fixture: 'chain' | 'recovering'; args: string[]; env?: Record<string, string>; asJson?: boolean; process?: boolean}[] = [
    {name: 'node mark-dead', fixture: 'chain', args: ['node', 'mark-dead', 'n3'], asJson: true, process: true},
    // A day later every up node's heartbeat is stale.
    {name: 'node check (stale nodes)', fixture: 'recovering', args: ['node', 'check', '--timeout', '10s'], env: {DLMCTL_CLOCK: '2026-01-02T00:00:00Z'}},
    {name: 'domain detach', fixture: 'recovering', args: ['domain', 'detach', 'fs1', '--id', '1']},
    {name: 'validate --force', fixture: 'recovering', args: ['validate', 'fs1', '--id', '1', '--force']},
    {name: 'recover', fixture: 'recovering', args: ['recover', 'fs1'], asJson: true},
    {name: 'recover --all', fixture: 'recovering', args: ['recover', '--all'], process: true},
  ]
  const states = new Map<string, string>()
  const results = new Map<string, {plain: Awaited<ReturnType<typeof run>>; asJson?: Awaited<ReturnType<typeof run>>; before: Record<string, string>}>()

  it('runs them (the processes with stdin a pipe nobody writes to)', async () => {
    await pMap(REFUSE, 4, async (c) => {
      const s = copyFixture(c.fixture)
      states.set(c.name, s)
      const before = treeFiles(s)
      const how = c.process ? {timeout: 10_000} : {}
      const plain = await run(s, c.args, {env: c.env, ...how})
      const asJson = c.asJson ? await run(s, [...c.args, '--json'], {env: c.env, ...how}) : undefined
      results.set(c.name, {plain, asJson, before})
    })
    expect(results.size).toBe(REFUSE.length)
  })

  for (const c of REFUSE) {
    it(`${c.name}: exit 2 well under 5 s, one line naming --yes, nothing changed`, () => {
      const {plain, asJson, before} = results.get(c.name)!
      expect(plain.timedOut).toBe(false)
      expect(plain.exitCode, plain.stderr).toBe(2)
      expect(plain.ms).toBeLessThan(5_000)
      expect(plain.stdout).toBe('')
      const lines = plain.stderr.split('\n').filter(Boolean)
      expect(lines, plain.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(/^dlmctl: .*--yes/)
      if (asJson) {
        expect(asJson.exitCode).toBe(2)
        expect(JSON.parse(asJson.stdout).error.code).toBe('CONFIRMATION_REQUIRED')
      }
      expect(treeFiles(states.get(c.name)!)).toEqual(before)
    })
  }
})

describe('a wrong name is reported before any confirmation is asked', () => {
  // Asking "detach recovery id 1 from fs9?" — or, without a terminal, answering
  // "refusing without --yes" — for a file system or recovery id that does not exist
  // sends the operator the wrong way: the usage error must come first.
  const CASES = [
    {args: ['domain', 'detach', 'fs9', '--id', '1'], says: "unknown file system 'fs9' (file systems: fs1, fs2)"},
    {args: ['validate', 'fs1', '--id', '99', '--force'], says: 'no recovery id 99 in domain fs1 (attached: 1)'},
  ]
  for (const c of CASES) {
    it(`dlmctl ${c.args.join(' ')} (no terminal, no --yes): exit 2 "${c.says}"`, async () => {
      const s = copyFixture('recovering')
      const r = await run(s, c.args)
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toBe(`dlmctl: ${c.says}\n`)
    })
  }
})
