// Every command answers the same both ways it can run: on the fast path
// (bin/run.js → runCommand, oclif's parser only) and through oclif's execute()
// (the generated adapter, as for help), forced by DLMCTL_TEST_OCLIF (a testing aid,
// man dlmctl(1)). Same fixture, same arguments, fresh copies each way: stdout,
// stderr and the exit status must be equal, and be what the case expects. The
// cases of each way run one after the other in one process of the built CLI
// (workers/cli-runs.mjs: bin/run.js's boot and main, a run at a time), not a
// process each; that this answers as `node bin/run.js` does is checked on the
// command lines the bin/dev.mjs test spawns. And bin/dev.mjs (npm run dev: the
// TypeScript sources, no build) answers as the build.
import {describe, expect, it} from 'vitest'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {FULL} from '../full.js'
import {baseEnv, copyFixture, inOneProcess, ROOT, tempDir, HEAVY, CLOCK, type CliRun, type CliAnswer as Answer} from './helpers.js'

interface Case {
  fixture: 'basic' | 'chain' | 'recovering' | 'none'
  args: string[]
  exit: number
}

const cases: Case[] = [
  {fixture: 'basic', args: ['status'], exit: 0},
  {fixture: 'recovering', args: ['status', '--json'], exit: 0},
  {fixture: 'basic', args: ['check'], exit: 0},
  {fixture: 'basic', args: ['completion', 'bash'], exit: 0},
  {fixture: 'basic', args: ['completion', 'fish'], exit: 2},
  {fixture: 'recovering', args: ['domain', 'attach', 'fs2', '--node', 'n1', '--json'], exit: 0},
  {fixture: 'recovering', args: ['domain', 'detach', 'fs1', '--id', '1', '--yes'], exit: 0},
  {fixture: 'recovering', args: ['domain', 'detach', 'fs1', '--id', '1'], exit: 2},
  {fixture: 'recovering', args: ['domain', 'list', '-o', 'tsv'], exit: 0},
  {fixture: 'none', args: ['drill', 'fuzz', '--runs', '0'], exit: 2},
  {fixture: 'none', args: ['drill', 'list', '--json'], exit: 0},
  {fixture: 'none', args: ['drill', 'run', 'deadlock-cycle'], exit: 0},
  {fixture: 'chain', args: ['events', '--type', 'node'], exit: 0},
  {fixture: 'chain', args: ['export'], exit: 0},
  {fixture: 'recovering', args: ['fs', 'checkpoint', 'fs1', '--node', 'n1'], exit: 0},
  {fixture: 'chain', args: ['fs', 'read', 'fs1', 'a', '--raw', '--json'], exit: 0},
  {fixture: 'chain', args: ['fs', 'show', 'fs1'], exit: 0},
  {fixture: 'basic', args: ['fs', 'show', 'fs9'], exit: 2},
  {fixture: 'basic', args: ['fs', 'write', 'fs1', '--node', 'n1', 'a=1'], exit: 5},
  {fixture: 'basic', args: ['fs', 'write', 'fs1', '--node', 'n1', 'a=1', '--bogus'], exit: 2},
  {fixture: 'none', args: ['init', '--nodes', 'n1,n2', '--fs', 'fs1'], exit: 0},
  {fixture: 'none', args: ['init', '--nodes', 'n1,n1', '--json'], exit: 2},
  {fixture: 'recovering', args: ['journal', 'show', 'fs1', '--node', 'n3'], exit: 0},
  {fixture: 'chain', args: ['lock', 'blockers', 'fs1', '--json'], exit: 0},
  {fixture: 'basic', args: ['lock', 'convert', 'fs1', '3', '--cancel'], exit: 0},
  {fixture: 'chain', args: ['lock', 'explain', 'fs1', '1'], exit: 0},
  {fixture: 'chain', args: ['lock', 'list', '--all'], exit: 0},
  {fixture: 'basic', args: ['lock', 'list', '--invalid=yes'], exit: 2},
  {fixture: 'basic', args: ['lock', 'release', 'fs1', '3', '--json'], exit: 0},
  {fixture: 'basic', args: ['lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'PR'], exit: 0},
  {fixture: 'basic', args: ['lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'XX', '--json'], exit: 2},
  {fixture: 'basic', args: ['lock', 'request', 'fs1', 'r/1', '--mode', 'PR'], exit: 2},
  {fixture: 'chain', args: ['metrics'], exit: 0},
  {fixture: 'basic', args: ['node', 'add', 'n4'], exit: 0},
  {fixture: 'basic', args: ['node', 'check', '--timeout', '1h', '--dry-run'], exit: 0},
  {fixture: 'basic', args: ['node', 'heartbeat', 'n1', '--json'], exit: 0},
  {fixture: 'basic', args: ['node', 'join', 'n9'], exit: 2},
  {fixture: 'chain', args: ['node', 'list'], exit: 0},
  {fixture: 'basic', args: ['node', 'mark-dead', 'n2', '--skip-fence', '--yes'], exit: 0},
  {fixture: 'recovering', args: ['recover', 'fs1', '--dry-run'], exit: 0},
  {fixture: 'recovering', args: ['recover', '--all', '--yes', '--json'], exit: 0},
  {fixture: 'recovering', args: ['replay', 'fs1', '--id', '1'], exit: 0},
  {fixture: 'recovering', args: ['validate', 'fs1', '--id', '7', '--json'], exit: 2},
  // (Not `status extra`: oclif's execute reads a word after a command without arguments as part of
  // the command's id, "status:extra not found"; bin/run.js never hands it such a line.)
  {fixture: 'basic', args: ['node', 'add', 'n4', 'n5'], exit: 2},
  {fixture: 'basic', args: ['status', '--stat'], exit: 2},
  {fixture: 'basic', args: ['--json', 'status', '--wait', 'soon'], exit: 2},
]

/** Every command id (its words), from commands/. */
function commandIds(): string[] {
  const ids: string[] = []
  const walk = (dir: string, words: string[]) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      if (e.isDirectory()) walk(join(dir, e.name), [...words, e.name])
      else if (e.name.endsWith('.ts')) ids.push([...words, e.name.replace(/\.ts$/, '')].join(' '))
    }
  }
  walk(join(ROOT, 'commands'), [])
  return ids
}

/** One case one way: its own copy of the fixture, the environment every e2e run gets. */
function runOf(c: Case, viaOclif: boolean): CliRun & {state: string} {
  const state = c.fixture === 'none' ? join(tempDir('both'), 'state') : copyFixture(c.fixture)
  return {state, args: c.args, cwd: ROOT, env: baseEnv(state, {NO_COLOR: '1', ...(viaOclif ? {DLMCTL_TEST_OCLIF: '1'} : {})})}
}

/** The state's path is the copy's, and a drill's timeline shows how long steps took. */
const normalized = (a: Answer, state: string) => {
  const norm = (s: string) => s.replaceAll(state, '<state>').replace(/\b\d+(?:\.\d+)?m?s\b/g, '<time>')
  return {exit: a.exit, stdout: norm(a.stdout), stderr: norm(a.stderr)}
}

describe('the fast path and oclif answer the same', () => {
  it('has a case for every command', () => {
    const covered = new Set(cases.map((c) => commandIds().find((id) => c.args.filter((a) => !a.startsWith('-')).join(' ').startsWith(id))))
    expect(commandIds().filter((id) => !covered.has(id))).toEqual([])
  })

  it(
    'stdout, stderr and exit status, command by command',
    async () => {
      const fastRuns = cases.map((c) => runOf(c, false))
      const oclifRuns = cases.map((c) => runOf(c, true))
      // The two ways in two processes at once.
      const [fastAnswers, oclifAnswers] = await Promise.all([inOneProcess(fastRuns), inOneProcess(oclifRuns)])
      const ran = cases.map((c, i) => ({c, fast: normalized(fastAnswers[i], fastRuns[i].state), oclif: normalized(oclifAnswers[i], oclifRuns[i].state)}))
      for (const {c, fast, oclif} of ran) {
        const what = `dlmctl ${c.args.join(' ')} (on ${c.fixture})`
        expect(oclif, what).toEqual(fast)
        expect(fast.exit, `${what}\n${fast.stdout}${fast.stderr}`).toBe(c.exit)
        expect(fast.stdout + fast.stderr, what).not.toBe('')
      }
    },
    HEAVY,
  )
})

describe('bin/dev.mjs runs the sources as bin/run.js runs the bundle', () => {
  it(
    'a command, a usage error, and help through oclif; the runs of one process (workers/cli-runs.mjs) answer as bin/run.js',
    async () => {
      const state = copyFixture('chain')
      const env = {PATH: process.env.PATH!, HOME: process.env.HOME!, NO_COLOR: '1', DLMCTL_CLOCK: CLOCK, DLMCTL_STATE: state}
      const way = async (bin: string, args: string[]) => {
        const r = await execa(process.execPath, [join(ROOT, bin), ...args], {cwd: ROOT, reject: false, extendEnv: false, stdin: 'ignore', stripFinalNewline: false, env})
        return {exit: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr)}
      }
      const lines = [['lock', 'list', 'fs1', '--json'], ['lock', 'request', 'fs1', 'r', '--node', 'n1', '--mode', 'XX'], ['lock', 'request', '--help']]
      // bin/dev.mjs (~1 s of CPU a start: esbuild compiles the sources) on the fast path and through oclif;
      // the usage error takes the fast path as the command does, so it runs from the sources under test:full only.
      const fromSources = (i: number) => FULL || i !== 1
      const inOne = await inOneProcess(lines.map((args) => ({args, env, cwd: ROOT})))
      for (const [i, args] of lines.entries()) {
        const built = await way('bin/run.js', args)
        expect(built.stdout + built.stderr, args.join(' ')).not.toBe('')
        if (fromSources(i)) expect(await way('bin/dev.mjs', args), args.join(' ')).toEqual(built)
        expect(inOne[i], args.join(' ')).toEqual(built)
      }
    },
    HEAVY,
  )
})
