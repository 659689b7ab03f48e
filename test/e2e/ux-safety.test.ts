// Safe prompts on a real (pseudo-)terminal: Ctrl-C and Escape at every question
// cancel with exit 130 and change nothing; keys typed before a question appears
// never answer it; bare `recover` asks which domains, then shows the plan and asks
// y/N; a plan confirmed after the state moved is refused (STATE_CHANGED, exit 5),
// and scripts get the same guard with --expect-generation.
import {describe, expect, it} from 'vitest'
import {commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, run, runTtyScript, type TtyStep} from './helpers.js'

tempDirsPerFile()
// Set-up and pipe runs here; the terminal runs (runTty*) are processes.
commandsInProcess()

const PROCEED = /Proceed\? \(y\/N\)/
const CHOOSE = /Recover which file systems\?[\s\S]*fs2/

interface Prompt {
  name: string
  fixture: 'chain' | 'recovering'
  args: string[]
  /** The keys that bring the command to the question being tested. */
  reach: TtyStep[]
  /** What the question looks like. */
  at: RegExp
}

const PROMPTS: Prompt[] = [
  {name: 'node mark-dead', fixture: 'chain', args: ['node', 'mark-dead', 'n3'], reach: [], at: PROCEED},
  {name: 'node check', fixture: 'recovering', args: ['node', 'check', '--timeout', '10s'], reach: [], at: PROCEED},
  {name: 'domain detach', fixture: 'recovering', args: ['domain', 'detach', 'fs1', '--id', '1'], reach: [], at: PROCEED},
  {name: 'validate --force', fixture: 'recovering', args: ['validate', 'fs1', '--id', '1', '--force'], reach: [], at: PROCEED},
  {name: 'recover fs2', fixture: 'recovering', args: ['recover', 'fs2'], reach: [], at: PROCEED},
  {name: 'recover (choosing the domains)', fixture: 'recovering', args: ['recover'], reach: [], at: CHOOSE},
  {name: 'recover (y/N after choosing)', fixture: 'recovering', args: ['recover'], reach: [{when: CHOOSE, pause: 100, send: '\r'}], at: PROCEED},
]
// node check asks only about stale nodes: a day later every heartbeat is.
const envOf = (p: Prompt) => (p.name === 'node check' ? {DLMCTL_CLOCK: '2026-01-02T00:00:00Z'} : undefined)

// Every question is one of two prompts (src/cli/prompt.ts: y/N, and the checkbox of
// domains): both keys at each kind and at the y/N that follows the checkbox, and one
// key, in turn, at each command's own question.
const KEYS = [
  ['Ctrl-C', '\x03'],
  ['Escape', '\x1b'],
] as const
const BOTH_KEYS = new Set(['node mark-dead', 'recover (choosing the domains)', 'recover (y/N after choosing)'])

describe.concurrent('Ctrl-C and Escape at every question: exit 130, "cancelled; nothing changed", every file byte-identical', () => {
  for (const [i, p] of PROMPTS.entries()) {
    for (const [key, bytes] of BOTH_KEYS.has(p.name) ? KEYS : [KEYS[i % 2]]) {
      it(`${p.name}: ${key}`, async ({expect}) => {
        const s = copyFixture(p.fixture)
        const before = treeFiles(s)
        const r = await runTtyScript(s, p.args, [...p.reach, {when: p.at, pause: 100, send: bytes}], {env: envOf(p)})
        expect(r.steps, r.stdout).toBe(p.reach.length + 1)
        expect(r.exitCode, r.stdout).toBe(130)
        expect(r.stdout).toContain('dlmctl: cancelled; nothing changed')
        expect(r.stdout).not.toMatch(/internal error|force closed/)
        expect(treeFiles(s)).toEqual(before)
      })
    }
  }

  it('Ctrl-C as soon as "computing the plan…" shows: exit 130, nothing changed (during the plan or at the question)', async ({expect}) => {
    const s = copyFixture('recovering')
    const before = treeFiles(s)
    const r = await runTtyScript(s, ['recover', 'fs1', 'fs2'], [{when: /computing the plan…/, send: '\x03'}])
    expect(r.exitCode, r.stdout).toBe(130)
    expect(r.stdout).toContain('dlmctl: cancelled; nothing changed')
    expect(treeFiles(s)).toEqual(before)
  })

  it('--json: Ctrl-C answers {error: {code: CANCELLED}} on stdout, exit 130', async ({expect}) => {
    const s = copyFixture('chain')
    const before = treeFiles(s)
    const r = await runTtyScript(s, ['node', 'mark-dead', 'n3', '--json'], [{when: PROCEED, pause: 100, send: '\x03'}])
    expect(r.exitCode, r.stdout).toBe(130)
    const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')))
    expect(doc.error.code).toBe('CANCELLED')
    expect(doc.error.message).toBe('cancelled; nothing changed')
    expect(treeFiles(s)).toEqual(before)
  })
})

describe.concurrent('keys typed before a question never answer it', () => {
  it('"y" and Enter typed at once are discarded: the question still waits, and "n" then declines', async ({expect}) => {
    const s = copyFixture('chain')
    const before = treeFiles(s)
    let answeredEarly = false
    const r = await runTtyScript(s, ['node', 'mark-dead', 'n3'], [
      {send: 'y\r'},
      {
        when: PROCEED,
        pause: 400,
        // Had the early "y" answered, the command would be done by now.
        before: async () => {
          answeredEarly = (await json(s, ['status'])).nodes.find((n: any) => n.name === 'n3').state !== 'up'
        },
        send: 'n\r',
      },
    ])
    expect(answeredEarly).toBe(false)
    expect(r.exitCode, r.stdout).toBe(2)
    expect(r.stdout).toContain('not confirmed; nothing changed')
    expect(treeFiles(s)).toEqual(before)
  })

  it('bare recover: an early Enter does not pick the domains', async ({expect}) => {
    const s = copyFixture('recovering')
    const before = treeFiles(s)
    const r = await runTtyScript(s, ['recover'], [{send: '\r\r'}, {when: CHOOSE, pause: 400, send: '\x1b'}])
    expect(r.exitCode, r.stdout).toBe(130)
    expect(r.stdout).not.toMatch(PROCEED)
    expect(treeFiles(s)).toEqual(before)
  })
})

describe.concurrent('bare recover on a terminal: choose, then the plan and y/N', () => {
  it('shows the same plan as recover fs1 fs2 and asks; n changes nothing', async ({expect}) => {
    const s = copyFixture('recovering')
    const before = treeFiles(s)
    const r = await runTtyScript(s, ['recover'], [
      {when: CHOOSE, pause: 100, send: '\r'},
      {when: PROCEED, pause: 100, send: 'n\r'},
    ])
    expect(r.stdout).toMatch(/recover fs1, fs2: replay the dead nodes' journals and validate/)
    expect(r.stdout).toMatch(/fs1: n1 would run it; dead: n3/)
    expect(r.stdout).toMatch(/replay n3: \d+ transaction\(s\), \d+ record\(s\)/)
    expect(r.exitCode, r.stdout).toBe(2)
    expect(treeFiles(s)).toEqual(before)
  })

  it('y recovers both', async ({expect}) => {
    const s = copyFixture('recovering')
    const r = await runTtyScript(s, ['recover'], [
      {when: CHOOSE, pause: 100, send: '\r'},
      {when: PROCEED, pause: 100, send: 'y\r'},
    ])
    expect(r.exitCode, r.stdout).toBe(0)
    const st = await json(s, ['status'])
    expect(st.domains.map((d: any) => d.state)).toEqual(['normal', 'normal'])
  })
})

describe.concurrent('validate --force names what it abandons', () => {
  it('per dead node, the committed transactions and records its journal still holds', async ({expect}) => {
    const s = copyFixture('recovering')
    const plan = await json(s, ['recover', 'fs1', '--dry-run'])
    const j = plan.domains[0].journals.find((x: any) => x.node === 'n3')
    expect(j.pendingRecords).toBeGreaterThan(0)
    const r = await runTtyScript(s, ['validate', 'fs1', '--id', '1', '--force'], [{when: PROCEED, pause: 100, send: 'n\r'}])
    expect(r.stdout).toContain(`n3: ${j.pendingTransactions} committed transaction(s), ${j.pendingRecords} record(s) will be abandoned (never applied)`)
    expect(r.exitCode).toBe(2)
  })
})

describe.concurrent('STATE_CHANGED: what was confirmed must still hold when it commits', () => {
  it('mark-dead n3: n3 takes a persistent lock while the question is open → exit 5, says what moved, n3 still up', async ({expect}) => {
    const s = copyFixture('chain')
    const r = await runTtyScript(s, ['node', 'mark-dead', 'n3'], [
      {
        when: PROCEED,
        before: async () => {
          await json(s, ['lock', 'request', 'fs1', 'meta/late', '--node', 'n3', '--mode', 'EX', '--persistent'])
        },
        send: 'y\r',
      },
    ])
    expect(r.stdout).toContain('computing the plan…')
    expect(r.exitCode, r.stdout).toBe(5)
    expect(r.stdout).toMatch(/STATE_CHANGED: the state changed since the plan you confirmed: fs1 locks orphaned: now .* \(shown: .*\); nothing changed/)
    const st = await json(s, ['status'])
    expect(st.nodes.find((n: any) => n.name === 'n3').state).toBe('up')
  })

  it('node check: a stale node sends a heartbeat while the question is open → exit 5, it stays up', async ({expect}) => {
    const s = copyFixture('recovering')
    const env = {DLMCTL_CLOCK: '2026-01-02T00:00:00Z'}
    const r = await runTtyScript(
      s,
      ['node', 'check', '--timeout', '10s'],
      [
        {
          when: PROCEED,
          before: async () => {
            const hb = await run(s, ['node', 'heartbeat', 'n1'], {env: {DLMCTL_CLOCK: '2026-01-02T00:00:01Z'}})
            expect(hb.exitCode).toBe(0)
          },
          send: 'y\r',
        },
      ],
      {env},
    )
    expect(r.exitCode, r.stdout).toBe(5)
    expect(r.stdout).toMatch(/STATE_CHANGED: the state changed since the list you confirmed: n1 sent a heartbeat at 2026-01-02T00:00:01.000Z \(shown: .*\): it is not stale/)
    expect((await json(s, ['status'])).nodes.find((n: any) => n.name === 'n1').state).toBe('up')
  })

  it('recover fs1: another member dies while the question is open → exit 5, nothing recovered', async ({expect}) => {
    const s = copyFixture('recovering')
    const r = await runTtyScript(s, ['recover', 'fs1', '--json'], [
      {
        when: PROCEED,
        before: async () => {
          await json(s, ['node', 'mark-dead', 'n2', '--yes'])
        },
        send: 'y\r',
      },
    ])
    expect(r.exitCode, r.stdout).toBe(5)
    const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')))
    expect(doc.error.code).toBe('STATE_CHANGED')
    expect(doc.error.message).toMatch(/fs1 epoch: now \d+ \(shown: \d+\)/)
    expect((await json(s, ['domain', 'list'])).domains.find((d: any) => d.name === 'fs1').state).toBe('recovering')
  })
})

describe('--expect-generation: the same guard for scripts', () => {
  const CASES = [
    {name: 'node mark-dead', fixture: 'chain', args: ['node', 'mark-dead', 'n3', '--yes']},
    {name: 'validate', fixture: 'recovering', args: ['validate', 'fs1', '--id', '1', '--force', '--yes']},
    {name: 'recover', fixture: 'recovering', args: ['recover', 'fs1', '--yes']},
    {name: 'domain detach', fixture: 'recovering', args: ['domain', 'detach', 'fs1', '--id', '1', '--yes']},
  ] as const
  for (const c of CASES) {
    it(`${c.name}: a stale generation → exit 5 STATE_CHANGED, nothing changed; the current one → done`, async () => {
      const s = copyFixture(c.fixture)
      const gen = (await json(s, ['status'])).generation as number
      const before = treeFiles(s)
      const stale = await run(s, [...c.args, '--expect-generation', String(gen - 1), '--json'])
      expect(stale.exitCode, stale.stdout).toBe(5)
      const err = JSON.parse(stale.stdout).error
      expect(err.code).toBe('STATE_CHANGED')
      expect(err.message).toBe(`the state changed since --expect-generation ${gen - 1}: membership generation is ${gen}, not ${gen - 1}; nothing changed (look again and rerun)`)
      expect(treeFiles(s)).toEqual(before)
      const ok = await run(s, [...c.args, '--expect-generation', String(gen)])
      expect(ok.exitCode, ok.stderr).toBe(0)
    })
  }
})
