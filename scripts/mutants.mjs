// npm run test:mutants — proof that `drill fuzz` finds bugs (issue 13, item 4).
//
// For each known mutation of the model or the store, one at a time: copy the
// sources to a scratch directory, apply the mutation, bundle, and run
// `dlmctl drill fuzz` there with its default budget (--runs/--steps defaults,
// a fixed seed). Each mutant must be found within 2 minutes of CPU time, shrunk
// to a drill of at most 10 steps, and that drill must fail (exit 8) on the
// mutant and pass (exit 0) on the real build. Prints one line per mutant and a JSON summary; exits 1 if any
// mutant survives. Slow (a build and a fuzz run per mutant): not part of `npm test`.
// `node scripts/mutants.mjs NAME…` runs only those; env MUTANT_SEED (default 1).
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SEED = Number(process.env.MUTANT_SEED ?? 1)
// Crash steps kill every command they can (fs write too, since the journal
// overlay fix of store-safe); MUTANT_CRASH_OPS narrows them (as
// DLMCTL_TEST_FUZZ_CRASH_OPS of every fuzz run). The baseline below checks that
// the real build passes with these very options.
const FUZZ_ARGS = ['--seed', String(SEED)]
const only = process.argv.slice(2)

/** Each: the file, the text it must contain, what replaces it. */
const MUTANTS = [
  {
    name: 'pr-compatible-with-cw',
    what: 'the model grants CW beside PR (compatibility matrix)',
    file: 'src/model/modes.ts',
    from: '  CW: [true, true, true, false, false, false],',
    to: '  CW: [true, true, true, true, false, false],',
  },
  {
    name: 'wait-queue-before-convert-queue',
    what: 'serving grants waiting requests while a conversion still waits',
    file: 'src/model/resource.ts',
    from: '  if (res.convertQueue.length > 0) return granted\n',
    to: '',
  },
  {
    name: 'death-keeps-non-persistent',
    what: "a death keeps the dead node's non-persistent locks as orphans",
    file: 'src/model/domain.ts',
    from: '    if (lock.persistent) r.orphaned.push(lock.id)\n',
    to: "    if (lock.persistent || !res.name.startsWith('deadman/')) r.orphaned.push(lock.id)\n",
  },
  {
    name: 'validate-keeps-orphans',
    what: 'validate does not release the orphans of the replayed nodes',
    file: 'src/model/domain.ts',
    from: 'for (const lock of res.grantQueue.filter((l) => dead.has(l.node))) {',
    to: 'for (const lock of res.grantQueue.filter((l) => dead.has(l.node) && !l.persistent)) {',
  },
  {
    name: 'replay-applies-uncommitted',
    what: 'replay (and checkpoint) apply a transaction whose commit record is torn',
    file: 'src/journal/scan.ts',
    from: "          if (!stopped) r.stoppedAt = {offset: bufOffset, reason: 'torn'}\n",
    to: "          if (!stopped) r.stoppedAt = {offset: bufOffset, reason: 'torn'}\n          for (const [, v] of pending) opts.onCommit?.(v, 0)\n",
  },
  {
    name: 'commit-record-deleted-before-rename',
    what: "a commit deletes its record before renaming the files into place (a crash leaves a mix)",
    file: 'src/store/apply-record.ts',
    from: "  for (const w of r.writes) {\n    crashPoint('commit.apply')",
    to: "  await unlinkIfPresent(join(root, 'commit', `${r.txid}.json`))\n  for (const w of r.writes) {\n    crashPoint('commit.apply')",
  },
]

function sh(cmd, args, cwd) {
  return spawnSync(cmd, args, {cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: {...process.env, NO_COLOR: '1', DLMCTL_STATE: '', DLMCTL_CRASH_POINT: '', DLMCTL_TEST_FUZZ_CRASH_OPS: process.env.MUTANT_CRASH_OPS ?? ''}})
}

// The machines this runs on are shared: wall time is noise, so each fuzz run's CPU
// time (user + system, its processes included) is measured too, with GNU time
// where there is one, and the 2-minute budget is checked on it.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
function fuzzRun(bin, args, cwd) {
  if (!TIME) return {...sh(process.execPath, [bin, ...args], cwd), cpuMs: undefined}
  const file = join(mkdtempSync(join(tmpdir(), 'dlmctl-cpu-')), 'time')
  const r = sh(TIME, ['-f', '%U %S', '-o', file, process.execPath, bin, ...args], cwd)
  const [u, s] = readFileSync(file, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
  rmSync(file, {force: true})
  return {...r, cpuMs: Math.round((u + s) * 1000)}
}
const secs = (ms) => (ms === undefined ? '?' : (ms / 1000).toFixed(1))

if (!existsSync(join(ROOT, 'dist/dlmctl.cjs'))) {
  console.error('build first: npm run -s build (the real build checks the shrunk drills)')
  process.exit(2)
}
const results = []
// MUTANT_SKIP_BASELINE=1: only the mutants (while working on one; the full run checks the real build too).
if (process.env.MUTANT_SKIP_BASELINE !== '1') {
  const t0 = Date.now()
  const out = mkdtempSync(join(tmpdir(), 'dlmctl-mutant-baseline-'))
  const f = fuzzRun(join(ROOT, 'bin/run.js'), ['drill', 'fuzz', ...FUZZ_ARGS, '--out', out, '--json'], ROOT)
  const j = JSON.parse(f.stdout)
  rmSync(out, {recursive: true, force: true})
  const baseline = {mutant: '(none: the real build)', passed: f.status === 0, drills: j.drills, steps: j.steps, fuzzMs: Date.now() - t0, fuzzCpuMs: f.cpuMs, ...(f.status === 0 ? {} : {failure: j.failure})}
  console.error(`${baseline.passed ? 'baseline' : 'BASELINE FAILED'} real build: ${j.drills} drills, ${j.steps} steps, ${secs(baseline.fuzzMs)}s wall, ${secs(f.cpuMs)}s CPU${baseline.passed ? '' : ` — ${j.failure?.rules?.join(', ')}: ${j.failure?.messages?.[0]}`}`)
  results.push({...baseline, ok: baseline.passed})
}
for (const m of MUTANTS) {
  if (only.length && !only.includes(m.name)) continue
  const dir = mkdtempSync(join(tmpdir(), `dlmctl-mutant-${m.name}-`))
  const t0 = Date.now()
  let r
  try {
    for (const d of ['src', 'commands', 'bin', 'scripts', 'fixtures']) cpSync(join(ROOT, d), join(dir, d), {recursive: true})
    for (const f of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f))
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    const src = readFileSync(join(dir, m.file), 'utf8')
    if (!src.includes(m.from)) throw new Error(`mutation ${m.name} no longer applies: ${m.file} does not contain the text it changes (update scripts/mutants.mjs)`)
    writeFileSync(join(dir, m.file), src.replace(m.from, m.to))
    const b = sh(process.execPath, ['scripts/bundle.mjs'], dir)
    if (b.status !== 0) throw new Error(`mutant ${m.name} does not build: ${b.stderr}`)
    const out = join(dir, 'out')
    mkdirSync(out)
    const f = fuzzRun('bin/run.js', ['drill', 'fuzz', ...FUZZ_ARGS, '--out', out, '--json'], dir)
    const fuzzMs = Date.now() - t0
    const fuzzCpuMs = f.cpuMs
    const j = JSON.parse(f.stdout)
    if (f.status !== 8 || j.result !== 'FAILED') {
      r = {mutant: m.name, found: false, exit: f.status, drills: j.drills, fuzzMs, fuzzCpuMs}
    } else {
      const file = j.failure.file
      const onMutant = sh(process.execPath, ['bin/run.js', 'drill', 'run', file], dir)
      const onReal = sh(process.execPath, [join(ROOT, 'bin/run.js'), 'drill', 'run', file], ROOT)
      r = {
        mutant: m.name,
        found: true,
        afterDrills: j.failure.drill,
        path: j.failure.path,
        shrinks: j.failure.shrinks,
        steps: j.failure.steps,
        rules: j.failure.rules,
        failsOnMutant: onMutant.status === 8,
        passesOnReal: onReal.status === 0,
        fuzzMs,
        fuzzCpuMs,
        drill: readFileSync(file, 'utf8'),
        ...(onReal.status !== 0 ? {realOutput: onReal.stdout.slice(-1500) + onReal.stderr.slice(-500)} : {}),
      }
    }
  } catch (e) {
    r = {mutant: m.name, found: false, error: e.message}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  // Within 2 minutes: of CPU time where it was measured (wall time on a busy machine says little), else of wall time.
  r.ok = r.found && r.steps <= 10 && r.failsOnMutant && r.passesOnReal && (r.fuzzCpuMs ?? r.fuzzMs) <= 120_000
  results.push(r)
  const line = r.found
    ? `${r.ok ? 'killed ' : 'WEAK   '} ${m.name}: found after ${r.afterDrills} drills, shrunk ${r.shrinks}× to ${r.steps} steps (${r.rules.join(', ')}), ${secs(r.fuzzMs)}s wall, ${secs(r.fuzzCpuMs)}s CPU; fails on mutant: ${r.failsOnMutant}, passes on real build: ${r.passesOnReal}`
    : `SURVIVED ${m.name}: ${r.error ?? `not found in ${r.drills} drills (exit ${r.exit}, ${secs(r.fuzzMs)}s wall, ${secs(r.fuzzCpuMs)}s CPU)`}`
  console.error(line)
}
console.log(JSON.stringify({seed: SEED, mutants: results.map(({drill, ...x}) => x)}, null, 2))
if (process.env.MUTANT_DRILLS) writeFileSync(process.env.MUTANT_DRILLS, results.map((r) => `# ---- ${r.mutant}\n${r.drill ?? ''}`).join('\n'))
process.exit(results.every((r) => r.ok) ? 0 : 1)
