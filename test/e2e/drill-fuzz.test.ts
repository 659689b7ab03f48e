// `dlmctl drill fuzz`, in-process drill steps, and drill authoring errors, end to
// end with the built CLI (man dlmctl-drill.5, FUZZING and IN-PROCESS STEPS).
// Every `drill run`/`drill list`/`drill fuzz` of this file goes through one of two
// processes of the built CLI, one command line after the other (helpers.ts
// inOneProcess: what bin/run.js does, per line; cli-both-ways.test.ts checks it
// answers as bin/run.js), not a process each: what is tested here is what the
// command answers. The processes that matter — each step of the covering drill
// under --processes, parallel and crash steps, fuzz workers — are still real ones.
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {BIN, BUNDLED_DRILLS as BUNDLED, COVERING_DRILL, drillEnv, drillsInOneProcess, missingFrom, requireBuilt, type DrillRun} from './helpers.js'
import {FULL} from '../full.js'
import {TEST_BASE} from '../tmpbase.js'

const TMP = mkdtempSync(join(tmpdir(), 'dlmctl-fuzz-e2e-'))
afterAll(() => rmSync(TMP, {recursive: true, force: true}))

/** A step as both runs must agree on it: what ran and what it answered (commit record names are random). */
const comparable = (s: any) => JSON.stringify({...s, durationMs: undefined}).replace(/commit\/[0-9a-z-]+\.json/g, 'commit/X.json')

// ------------------------------------------------------------------ the command lines, in two processes

const bundled = readdirSync(BUNDLED).filter((f) => f.endsWith('.yaml')).sort()
const drills = [...bundled.map((f) => join(BUNDLED, f)), COVERING_DRILL]
// Every bundled drill runs in-process (each must pass); as separate processes (~4× the CPU)
// npm test runs the covering drill (every command and kind of step once), npm run test:full every drill.
const asProcesses = new Set(FULL ? drills : [COVERING_DRILL])

const mistakes = join(TMP, 'mistakes.yaml')
writeFileSync(
  mistakes,
  [
    'name: mistakes',
    'colour: red',
    'cluster: {nodes: [n1, n2], fs: [fs1]}',
    'steps:',
    '  - run: lock request fs1 r --node n1 --mode EX',
    '    as: a',
    '  - run: frobnicate now',
    '  - kill: n9',
    '  - run: lock release fs1 ${a.lockId}',
    '    expect: {exit: banana}',
    '  - run: lock list ${zz.x}',
    '',
  ].join('\n'),
)
const keys = join(TMP, 'keys.yaml')
writeFileSync(keys, ['name: keys', 'cluster: {nodes: [n1, n2], fs: [fs1]}', 'steps:', '  - run: lock request fs1 r --node n1 --mode EX', '    expect: {json: {mode: PR, status: waiting, persistent: true, node: n1}}', ''].join('\n'))
const fuzzOut = join(TMP, 'fuzz-out')
const fuzzJunit = join(TMP, 'fuzz.xml')
const fuzz42 = ['drill', 'fuzz', '--seed', '42', '--runs', '5', '--steps', '12', '--json', '--out', fuzzOut]

/** Command lines by name: [name, args]. */
type Lines = [string, string[]][]
const half = Math.ceil(drills.length / 2)
const inprocLine = (file: string): [string, string[]] => [`inproc ${file}`, ['drill', 'run', file, '--json']]
const procLine = (file: string): [string, string[]][] => (asProcesses.has(file) ? [[`procs ${file}`, ['drill', 'run', file, '--json', '--processes']]] : [])
// Two processes at once, about as long each: the first half of the drills with the fuzz runs, the second with the steps as processes.
const lines: [Lines, Lines] = [
  [
    ...drills.slice(0, half).map(inprocLine),
    ...drills.slice(0, half).flatMap(procLine),
    // One after the other in one process, and two worker processes at once.
    ['fuzz w1', [...fuzz42, '--junit', fuzzJunit, '--workers', '1']],
    ['fuzz w2', [...fuzz42, '--workers', '2']],
    ['fuzz human', ['drill', 'fuzz', '--seed', '7', '--runs', '2', '--steps', '4']],
    ['fuzz bad', ['drill', 'fuzz', '--runs', '0']],
    ['mistakes', ['drill', 'run', mistakes]],
    ['mistakes json', ['drill', 'run', mistakes, '--json']],
    ['keys', ['drill', 'run', keys, '--json']],
  ],
  [
    ...drills.slice(half).map(inprocLine),
    ...drills.slice(half).flatMap(procLine),
    ['list', ['drill', 'list', '--json']],
    // The human timeline of the smallest bundled drill (its summary line counts steps as drill list does).
    ['human', ['drill', 'run', 'deadlock-cycle']],
  ],
]

/** Started by the first test that needs it (not at collection: a filtered run must not leave drills running). */
let started: Promise<Map<string, DrillRun>> | undefined
function runs(): Promise<Map<string, DrillRun>> {
  // The drills' throwaway clusters on tmpfs (TEST_BASE), as every other test's state directory.
  const env = drillEnv({TMPDIR: TEST_BASE})
  started ??= Promise.all(lines.map((part) => drillsInOneProcess(part.map(([, args]) => ({args, env, cwd: TMP}))))).then(
    (answers) => new Map(lines.flatMap((part, p) => part.map(([name], i): [string, DrillRun] => [name, answers[p][i]]))),
  )
  return started
}
const ran = async (name: string) => (await runs()).get(name)!

describe('in-process steps give what separate processes give', () => {
  const drillRuns = async () => Promise.all(drills.map(async (file) => ({f: basename(file), file, inproc: await ran(`inproc ${file}`), procs: asProcesses.has(file) ? await ran(`procs ${file}`) : undefined})))
  test('the covering drill runs every kind of step and check and every command a bundled drill runs', () => {
    expect(missingFrom(COVERING_DRILL, bundled.map((f) => join(BUNDLED, f)))).toEqual([])
  })
  test(`every bundled drill passes; ${FULL ? 'each' : 'the covering drill'} as processes: the same exit, the same timeline, the same JSON`, {timeout: 240_000}, async () => {
    expect(bundled.length).toBeGreaterThanOrEqual(8)
    expect(bundled).toContain('seed-story.yaml')
    for (const {f, file, inproc, procs} of await drillRuns()) {
      expect(inproc.exitCode, `${f}: ${JSON.stringify(inproc.json?.steps?.filter((s: any) => !s.ok) ?? inproc.stderr)}`).toBe(0)
      // Every bundled drill passes (the one run of each that drill-e2e relies on): every step, and more steps than written (step 0, expanded checks).
      const y = parseYaml(readFileSync(file, 'utf8'))
      expect(inproc.json, f).toMatchObject({drill: y.name, ok: true, failed: 0, state: '(temporary, removed)'})
      expect(inproc.json.passed, f).toBe(inproc.json.steps.length)
      expect(inproc.json.steps.length, f).toBeGreaterThan(y.steps.length)
      expect(!!procs, f).toBe(asProcesses.has(file))
      if (!procs) continue
      expect(procs.exitCode, f).toBe(0)
      const a = inproc.json.steps
      const b = procs.json.steps
      expect(a.map((s: any) => [s.index, s.command, s.exit, s.signal, s.ok]), f).toEqual(b.map((s: any) => [s.index, s.command, s.exit, s.signal, s.ok]))
      // Processes started at once (parallel blocks) take lock ids in any order; drills without them must match byte for byte.
      const parallel = a.some((s: any) => s.index.includes('.') && s.command.startsWith('lock request'))
      if (!parallel) expect(a.map(comparable), f).toEqual(b.map(comparable))
    }
  })
  test('the step count of drill list is the one drill run reports', {timeout: 240_000}, async () => {
    const list = await ran('list')
    for (const {f, inproc} of (await drillRuns()).filter((r) => r.file !== COVERING_DRILL)) {
      const listed = list.json.drills.find((d: any) => d.file.endsWith(`/${f}`))
      expect(inproc.json.stepCount, f).toBe(listed.steps)
    }
    const human = await ran('human')
    expect(human.exitCode, human.stdout + human.stderr).toBe(0)
    const steps = list.json.drills.find((d: any) => d.name === 'deadlock-cycle').steps
    expect(human.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^passed: ${steps} steps +drill deadlock-cycle `))
  })
})

describe('drill authoring', () => {
  test('a drill file with several mistakes reports all of them, each with file:line:col, and runs nothing', async () => {
    const file = mistakes
    const r = await ran('mistakes')
    expect(r.exitCode).toBe(2)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe(`dlmctl: 5 mistakes in ${file}:`)
    expect(lines.slice(1).map((l) => l.slice(0, l.indexOf(': ')))).toEqual([`${file}:2:1`, `${file}:7:10`, `${file}:8:11`, `${file}:10:20`, `${file}:11:10`])
    expect(lines[2]).toContain("unknown command 'frobnicate now'")
    expect(lines[5]).toContain("unknown name 'zz'")
    expect(r.stdout).toBe('')
    const j = await ran('mistakes json')
    expect(j.json.error.code).toBe('DRILL_INVALID')
    expect(j.json.error.mistakes.map((m: any) => [m.line, m.col])).toEqual([[2, 1], [7, 10], [8, 11], [10, 20], [11, 10]])
  })

  test('a failed expectation shows every mismatching key', async () => {
    const r = await ran('keys')
    expect(r.exitCode).toBe(8)
    expect(r.json.steps[1].failures).toEqual([
      {path: 'json/mode', message: 'expected "PR", got "EX"'},
      {path: 'json/status', message: 'expected "waiting", got "granted"'},
      {path: 'json/persistent', message: 'expected true, got false'},
    ])
  })
})

describe('drill fuzz', () => {
  test('passes on this build; the same --seed and --runs give the same drills, byte for byte, whatever the workers (1 or 2)', {timeout: 240_000}, async () => {
    const [a, b] = [await ran('fuzz w1'), await ran('fuzz w2')]
    expect(a.exitCode, a.stdout.slice(0, 2000) + a.stderr).toBe(0)
    expect(a.json).toMatchObject({result: 'PASSED', seed: 42, runs: 5, maxSteps: 12, drills: 5})
    expect(a.json.generated).toHaveLength(5)
    expect(a.json.steps).toBe(a.json.generated.reduce((n: number, d: any) => n + d.steps.length, 0))
    for (const d of a.json.generated) expect(d.steps.length).toBeLessThanOrEqual(12)
    expect(JSON.stringify(a.json.generated)).toBe(JSON.stringify(b.json.generated))
    // The whole answer, but for the time it took.
    expect(a.stdout.replace(/"durationMs": ?\d+/, '')).toBe(b.stdout.replace(/"durationMs": ?\d+/, ''))
    expect(readdirSync(TMP)).not.toContain('fuzz-42.yaml')
  })

  test('--junit: one testcase per drill, no failure', {timeout: 240_000}, async () => {
    expect((await ran('fuzz w1')).exitCode).toBe(0)
    const xml = readFileSync(fuzzJunit, 'utf8')
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="dlmctl drill fuzz" tests="5" failures="0"/)
    expect(xml.match(/<testcase /g)).toHaveLength(5)
    expect(xml).not.toContain('<failure')
  })

  test('the human line: PASSED with drills, steps and step kinds', {timeout: 120_000}, async () => {
    const r = await ran('fuzz human')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^PASSED: 2 drills, \d+ steps \(seed 7, \d+\.\ds\); step kinds: [a-z, -]+$/)
  })

  // The checker's rule, so its commands run in this process (from the sources, as the fuzz
  // tests of test/unit do); the crash is still a real process of the built CLI, SIGKILLed.
  test('a torn write killed after its commit record: the torn journal check reports is the command\'s own doing, not the crash\'s', {timeout: 120_000}, async () => {
    requireBuilt()
    const [{runFuzzDrill}, {sourceResolver}] = await Promise.all([import('../../src/drill/fuzz/check.js'), import('../unit/helpers/inproc.js')])
    const env: NodeJS.ProcessEnv = {...process.env, DLMCTL_CLOCK: '2026-01-01T00:00:00Z'}
    delete env.DLMCTL_STATE
    const r = await runFuzzDrill(
      {
        cluster: {nodes: ['n1', 'n2'], fs: [{name: 'fs1', members: ['n1', 'n2']}]},
        steps: [
          {kind: 'op', op: {kind: 'request', fs: 'fs1', resource: 'meta/a', node: 'n1', mode: 'PW', persistent: true, noqueue: false}},
          {kind: 'crash', op: {kind: 'write', fs: 'fs1', node: 'n1', key: 'a', value: 'v2', torn: true}, at: 'commit.after-record'},
          {kind: 'op', op: {kind: 'checkpoint', fs: 'fs1', node: 'n1'}},
        ],
      },
      {bin: BIN, resolver: sourceResolver, env},
    )
    expect(r.failure).toBeUndefined()
    expect(r.ok).toBe(true)
  })

  test('bad flags are usage errors', async () => {
    const r = await ran('fuzz bad')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/^dlmctl: .*--runs/)
  })
})
