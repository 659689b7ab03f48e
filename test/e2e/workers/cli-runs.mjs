// Many command lines of the built CLI in one process (helpers.ts inOneProcess): each
// runs as bin/run.js runs it — dist/boot.cjs loads the bundle afresh (its code
// cache) and calls its main() — with that run's argv, whole environment and
// working directory; stdout and stderr captured; the exit status what the process
// would exit with (process.exit's code, else process.exitCode). One start-up for
// every run instead of one each. The runs go one after the other.
//   node cli-runs.mjs <runs.json> <results.json>
// runs.json: [{args: string[], env: {…}, cwd: string}]; results.json: [{exit, stdout, stderr}]
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url))
const {boot} = createRequire(import.meta.url)('../../../dist/boot.cjs')
const runs = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const streams = [process.stdout, process.stderr]
const results = []

for (const r of runs) {
  const saved = {write: streams.map((s) => s.write), exit: process.exit, argv: process.argv, cwd: process.cwd()}
  const listeners = streams.map((s) => new Map(s.eventNames().map((e) => [e, s.listeners(e)])))
  const out = ['', '']
  let exited
  for (const [i, s] of streams.entries())
    s.write = (chunk, enc, cb) => {
      out[i] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
      const done = typeof enc === 'function' ? enc : cb
      if (typeof done === 'function') queueMicrotask(done)
      return true
    }
  // A process ends at its first exit(): later calls (none are expected) change nothing.
  process.exit = (code) => {
    exited ??= code ?? process.exitCode ?? 0
  }
  for (const k of Object.keys(process.env)) delete process.env[k]
  Object.assign(process.env, r.env)
  process.argv = [process.execPath, BIN, ...r.args]
  process.exitCode = undefined
  process.chdir(r.cwd)
  try {
    await boot(BIN)
    // What a process still does before it exits (writes queued on a callback, timers).
    await new Promise((res) => setTimeout(res, 0))
  } catch (e) {
    // What node does with an error escaping bin/run.js: its stack on stderr, exit 1.
    out[1] += `${e?.stack ?? String(e)}\n`
    exited ??= 1
  }
  const exit = exited ?? Number(process.exitCode ?? 0)
  for (const [i, s] of streams.entries()) {
    s.write = saved.write[i]
    // Listeners a run added (main's EPIPE handler, oclif's flush): a process would have ended with them.
    for (const e of s.eventNames()) for (const l of s.listeners(e)) if (!(listeners[i].get(e) ?? []).includes(l)) s.removeListener(e, l)
  }
  process.exit = saved.exit
  process.argv = saved.argv
  process.chdir(saved.cwd)
  process.exitCode = undefined
  results.push({exit, stdout: out[0], stderr: out[1]})
}
writeFileSync(process.argv[3], JSON.stringify(results))
