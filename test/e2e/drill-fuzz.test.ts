// `dlmctl drill fuzz`, in-process drill steps, and drill authoring errors, end to
// end with the built CLI (man dlmctl-drill.5, FUZZING and IN-PROCESS STEPS).
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {BIN, BUNDLED_DRILLS as BUNDLED, COVERING_DRILL, drillCli, drillEnv, drillRunOf, inOneProcess, missingFrom, pMap, requireBuilt} from './helpers.js'
import {FULL} from '../full.js'

const TMP = mkdtempSync(join(tmpdir(), 'dlmctl-fuzz-e2e-'))
afterAll(() => rmSync(TMP, {recursive: true, force: true}))

const dlmctl = (args: string[]) => drillCli(args, {cwd: TMP})

/** A step as both runs must agree on it: what ran and what it answered (commit record names are random). */
const comparable = (s: any) => JSON.stringify({...s, durationMs: undefined}).replace(/commit\/[0-9a-z-]+\.json/g, 'commit/X.json')

describe('in-process steps give what separate processes give', () => {
  const bundled = readdirSync(BUNDLED).filter((f) => f.endsWith('.yaml')).sort()
  const drills = [...bundled.map((f) => join(BUNDLED, f)), COVERING_DRILL]
  // Every bundled drill runs in-process (each must pass); as separate processes (~4× the CPU)
  // npm test runs the covering drill (every command and kind of step once), npm run test:full every drill.
  const asProcesses = new Set(FULL ? drills : [COVERING_DRILL])
  // The in-process runs: `drill run` of each drill, in two processes of the built CLI (half the drills
  // each, one after the other: helpers.ts inOneProcess), not one process per drill.
  const stripped = (a: {exit: number; stdout: string; stderr: string}) => drillRunOf({exit: a.exit, stdout: a.stdout.replace(/\n$/, ''), stderr: a.stderr.replace(/\n$/, '')})
  const half = Math.ceil(drills.length / 2)
  const inprocRuns = Promise.all([drills.slice(0, half), drills.slice(half)].map((part) => inOneProcess(part.map((file) => ({args: ['drill', 'run', file, '--json'], env: drillEnv(), cwd: TMP}))))).then((x) => x.flat().map(stripped))
  const procRuns = pMap(drills, 2, (file) => (asProcesses.has(file) ? dlmctl(['drill', 'run', file, '--json', '--processes']) : Promise.resolve(undefined)))
  const runs = Promise.all([inprocRuns, procRuns]).then(([inproc, procs]) => drills.map((file, i) => ({f: basename(file), file, inproc: inproc[i], procs: procs[i]})))
  test('the covering drill runs every kind of step and check and every command a bundled drill runs', () => {
    expect(missingFrom(COVERING_DRILL, bundled.map((f) => join(BUNDLED, f)))).toEqual([])
  })
  test(`every bundled drill passes; ${FULL ? 'each' : 'the covering drill'} as processes: the same exit, the same timeline, the same JSON`, {timeout: 240_000}, async () => {
    expect(bundled.length).toBeGreaterThanOrEqual(8)
    expect(bundled).toContain('seed-story.yaml')
    for (const {f, file, inproc, procs} of await runs) {
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
    const list = await dlmctl(['drill', 'list', '--json'])
    for (const {f, inproc} of (await runs).filter((r) => r.file !== COVERING_DRILL)) {
      const listed = list.json.drills.find((d: any) => d.file.endsWith(`/${f}`))
      expect(inproc.json.stepCount, f).toBe(listed.steps)
    }
    const human = await dlmctl(['drill', 'run', 'seed-story'])
    const steps = list.json.drills.find((d: any) => d.name === 'seed-story').steps
    expect(human.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^passed: ${steps} steps +drill seed-story `))
  })
})

describe('drill authoring', () => {
  test('a drill file with several mistakes reports all of them, each with file:line:col, and runs nothing', async () => {
    const file = join(TMP, 'mistakes.yaml')
    writeFileSync(
      file,
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
    const r = await dlmctl(['drill', 'run', file])
    expect(r.exitCode).toBe(2)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe(`dlmctl: 5 mistakes in ${file}:`)
    expect(lines.slice(1).map((l) => l.slice(0, l.indexOf(': ')))).toEqual([`${file}:2:1`, `${file}:7:10`, `${file}:8:11`, `${file}:10:20`, `${file}:11:10`])
    expect(lines[2]).toContain("unknown command 'frobnicate now'")
    expect(lines[5]).toContain("unknown name 'zz'")
    expect(r.stdout).toBe('')
    const j = await dlmctl(['drill', 'run', file, '--json'])
    expect(j.json.error.code).toBe('DRILL_INVALID')
    expect(j.json.error.mistakes.map((m: any) => [m.line, m.col])).toEqual([[2, 1], [7, 10], [8, 11], [10, 20], [11, 10]])
  })

  test('a failed expectation shows every mismatching key', async () => {
    const file = join(TMP, 'keys.yaml')
    writeFileSync(
      file,
      ['name: keys', 'cluster: {nodes: [n1, n2], fs: [fs1]}', 'steps:', '  - run: lock request fs1 r --node n1 --mode EX', '    expect: {json: {mode: PR, status: waiting, persistent: true, node: n1}}', ''].join('\n'),
    )
    const r = await dlmctl(['drill', 'run', file, '--json'])
    expect(r.exitCode).toBe(8)
    expect(r.json.steps[1].failures).toEqual([
      {path: 'json/mode', message: 'expected "PR", got "EX"'},
      {path: 'json/status', message: 'expected "waiting", got "granted"'},
      {path: 'json/persistent', message: 'expected true, got false'},
    ])
  })
})

describe('drill fuzz', () => {
  const out = join(TMP, 'fuzz-out')
  const junit = join(TMP, 'fuzz.xml')
  // One after the other in one process, and three worker processes at once.
  const twice = Promise.all([
    dlmctl(['drill', 'fuzz', '--seed', '42', '--runs', '5', '--steps', '12', '--json', '--out', out, '--junit', junit, '--workers', '1']),
    dlmctl(['drill', 'fuzz', '--seed', '42', '--runs', '5', '--steps', '12', '--json', '--out', out, '--workers', '3']),
  ])

  test('passes on this build; the same --seed and --runs give the same drills, byte for byte, whatever the workers', {timeout: 240_000}, async () => {
    const [a, b] = await twice
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
    await twice
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="dlmctl drill fuzz" tests="5" failures="0"/)
    expect(xml.match(/<testcase /g)).toHaveLength(5)
    expect(xml).not.toContain('<failure')
  })

  test('the human line: PASSED with drills, steps and step kinds', {timeout: 120_000}, async () => {
    const r = await dlmctl(['drill', 'fuzz', '--seed', '7', '--runs', '3', '--steps', '5'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^PASSED: 3 drills, \d+ steps \(seed 7, \d+\.\ds\); step kinds: [a-z, -]+$/)
  })

  test('a torn write killed after its commit record: the torn journal check reports is the command\'s own doing, not the crash\'s', {timeout: 120_000}, async () => {
    requireBuilt()
    const {runFuzzDrill} = await import('../../src/drill/fuzz/check.js')
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
      {bin: BIN, env},
    )
    expect(r.failure).toBeUndefined()
    expect(r.ok).toBe(true)
  })

  test('bad flags are usage errors', async () => {
    const r = await dlmctl(['drill', 'fuzz', '--runs', '0'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/^dlmctl: .*--runs/)
  })
})
