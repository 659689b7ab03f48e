// Helpers for the UX end-to-end tests (test/e2e/ux-*.test.ts): run the built CLI on
// copies of the fixture clusters, plain (a pipe, NO_COLOR) or on a pseudo-terminal
// through util-linux `script`, answer prompts, hash a state directory, read tables.
import {createHash} from 'node:crypto'
import {cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin', 'run.js')
export const FIXTURES = join(ROOT, 'fixtures', 'clusters')
export const CLOCK = '2026-01-01T00:00:00Z'

/** A fresh copy of fixtures/clusters/<name> in a temporary directory (removed by cleanupTmp). */
const tmpDirs: string[] = []
export function copyFixture(name: string): string {
  const base = mkdtempSync(join(tmpdir(), `dlmctl-ux-${name}-`))
  tmpDirs.push(base)
  const dir = join(base, name)
  cpSync(join(FIXTURES, name), dir, {recursive: true})
  return dir
}
export function tmpDir(tag: string): string {
  const base = mkdtempSync(join(tmpdir(), `dlmctl-ux-${tag}-`))
  tmpDirs.push(base)
  return base
}
export function cleanupTmp(): void {
  for (const d of tmpDirs.splice(0)) rmSync(d, {recursive: true, force: true})
}

/** The environment of every run: nothing inherited but PATH and HOME, so a caller's FORCE_COLOR etc. never leaks in. */
function baseEnv(state: string | undefined, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? tmpdir(),
    LANG: 'C.UTF-8',
    DLMCTL_CLOCK: CLOCK,
    ...(state ? {DLMCTL_STATE: state} : {}),
    ...extra,
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
  ms: number
  timedOut: boolean
}

/** The CLI with stdout/stderr as pipes (not a terminal), NO_COLOR=1 unless env says otherwise. */
export async function run(
  state: string | undefined,
  args: string[],
  opts: {env?: Record<string, string | undefined>; cwd?: string; timeout?: number} = {},
): Promise<Run> {
  const t0 = performance.now()
  const r = await execa('node', [BIN, ...args], {
    reject: false,
    extendEnv: false,
    env: baseEnv(state, {NO_COLOR: '1', ...opts.env}),
    cwd: opts.cwd ?? ROOT,
    timeout: opts.timeout ?? 20_000,
    stripFinalNewline: false,
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), ms: performance.now() - t0, timedOut: !!r.timedOut}
}

/** --json result of a command that must succeed (exit 0 unless `exit` says otherwise). */
export async function json<T = any>(state: string, args: string[], exit = 0): Promise<T> {
  const r = await run(state, [...args, '--json'])
  if (r.exitCode !== exit) throw new Error(`dlmctl ${args.join(' ')} --json: exit ${r.exitCode} (expected ${exit})\n${r.stdout}${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

const shq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/**
 * The CLI on a pseudo-terminal (util-linux `script`), stdout and stderr both on it,
 * TERM=xterm-256color, no NO_COLOR, a `cols`-wide terminal. With `answer`, types it
 * (then Enter) once a yes/no prompt "(y/N)" has appeared. Output has "\r" removed.
 */
export async function runTty(
  state: string,
  args: string[],
  opts: {answer?: string; cols?: number; rows?: number; env?: Record<string, string | undefined>; timeout?: number; prompt?: RegExp} = {},
): Promise<Run & {prompted: boolean}> {
  const cols = opts.cols ?? 120
  const cmd = `stty cols ${cols} rows ${opts.rows ?? 50}; exec node ${shq(BIN)} ${args.map(shq).join(' ')}`
  const t0 = performance.now()
  const child = execa('script', ['-qfec', cmd, '/dev/null'], {
    reject: false,
    extendEnv: false,
    env: baseEnv(state, {TERM: 'xterm-256color', COLUMNS: String(cols), SHELL: '/bin/sh', ...opts.env}),
    cwd: ROOT,
    timeout: opts.timeout ?? 20_000,
    stdin: 'pipe',
  })
  let seen = ''
  let prompted = false
  const prompt = opts.prompt ?? /\(y\/N\)/
  child.stdout!.on('data', (d: Buffer) => {
    seen += d.toString()
    if (!prompted && prompt.test(seen)) {
      prompted = true
      if (opts.answer !== undefined) child.stdin!.write(`${opts.answer}\r`)
    }
  })
  const r = await child
  return {
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout).replaceAll('\r', ''),
    stderr: String(r.stderr).replaceAll('\r', ''),
    ms: performance.now() - t0,
    timedOut: !!r.timedOut,
    prompted,
  }
}

/** Every path under dir (relative), mapped to the sha256 of its bytes and its mode, or "dir". */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = statSync(p)
      const rel = relative(dir, p)
      if (st.isDirectory()) {
        out[rel + '/'] = 'dir'
        walk(p)
      } else out[rel] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(st.mode & 0o777).toString(8)}`
    }
  }
  walk(dir)
  return out
}

export const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g
export const stripAnsi = (s: string) => s.replace(ANSI, '')
/** Columns a line takes on a terminal (box drawing, ✓ ✗ … → count as one). */
export const width = (line: string) => [...stripAnsi(line)].length

/**
 * The rows of every cli-table3 table in a text (colours removed). A row whose first
 * cell is empty continues the row above (a wrapped cell): its fragments are appended
 * to the cells above, joined by a space. The first row of a table is its header.
 */
export function parseTables(text: string): string[][][] {
  const tables: string[][][] = []
  let cur: string[][] | undefined
  for (const raw of stripAnsi(text).split('\n')) {
    const line = raw.trimEnd()
    if (line.startsWith('┌')) {
      cur = []
      tables.push(cur)
      continue
    }
    if (line.startsWith('└')) {
      cur = undefined
      continue
    }
    if (!cur || !line.startsWith('│')) continue
    const cells = line.split('│').slice(1, -1).map((c) => c.trim())
    if (cur.length > 0 && cells[0] === '') {
      const prev = cur[cur.length - 1]
      cells.forEach((c, i) => {
        if (c) prev[i] = prev[i] ? `${prev[i]} ${c}` : c
      })
    } else cur.push(cells)
  }
  return tables
}

export {pMap} from './helpers.js'

/** Ids of the chain fixture's locks, found by what they are (not hard-coded). */
export interface ChainIds {
  orphan: number // n2's persistent PR on meta/a (an orphan)
  converting: number // n1's PR→EX on meta/a
  waiting: number // n3's PR request on meta/a
  longName: string // the long resource name n3 holds CR on
}
export async function chainIds(state: string): Promise<ChainIds> {
  const {locks} = await json<{locks: any[]}>(state, ['lock', 'list', 'fs1'])
  const one = (pred: (l: any) => boolean, what: string) => {
    const m = locks.filter(pred)
    if (m.length !== 1) throw new Error(`chain fixture: expected one ${what}, found ${m.length}`)
    return m[0]
  }
  return {
    orphan: one((l) => l.resource === 'meta/a' && l.node === 'n2', "n2's lock on meta/a").lockId,
    converting: one((l) => l.resource === 'meta/a' && l.node === 'n1', "n1's lock on meta/a").lockId,
    waiting: one((l) => l.resource === 'meta/a' && l.node === 'n3', "n3's lock on meta/a").lockId,
    longName: one((l) => l.resource.startsWith('data/'), 'data/ lock').resource,
  }
}

/** One step of a conversation on a terminal: once `when` shows (in output after the previous step), do `before`, then type `send`. */
export interface TtyStep {
  when?: RegExp
  /** Wait this long after `when` before typing (ms). */
  pause?: number
  before?: () => Promise<void>
  send: string
}

/**
 * The CLI on a pseudo-terminal, talked to step by step (keys as raw bytes:
 * "\x03" is Ctrl-C, "\x1b" Escape, "\r" Enter). A step without `when` types at
 * once (before any prompt: type-ahead). Output has "\r" removed.
 */
export async function runTtyScript(state: string, args: string[], steps: TtyStep[], opts: {cols?: number; env?: Record<string, string | undefined>; timeout?: number} = {}): Promise<Run & {steps: number}> {
  const cols = opts.cols ?? 120
  const cmd = `stty cols ${cols} rows 50; exec node ${shq(BIN)} ${args.map(shq).join(' ')}`
  const t0 = performance.now()
  const child = execa('script', ['-qfec', cmd, '/dev/null'], {
    reject: false,
    extendEnv: false,
    env: baseEnv(state, {TERM: 'xterm-256color', COLUMNS: String(cols), SHELL: '/bin/sh', ...opts.env}),
    cwd: ROOT,
    timeout: opts.timeout ?? 20_000,
    stdin: 'pipe',
  })
  let seen = ''
  let from = 0
  let next = 0
  let busy = false
  const advance = async () => {
    if (busy) return
    busy = true
    while (next < steps.length) {
      const st = steps[next]
      if (st.when) {
        const m = st.when.exec(seen.slice(from))
        if (!m) break
        from += m.index + m[0].length
      }
      if (st.pause) await new Promise((r) => setTimeout(r, st.pause))
      await st.before?.()
      next++
      child.stdin!.write(st.send)
    }
    busy = false
  }
  child.stdout!.on('data', (d: Buffer) => {
    seen += stripAnsi(d.toString())
    void advance()
  })
  void advance()
  const r = await child
  return {
    exitCode: r.exitCode ?? -1,
    stdout: stripAnsi(String(r.stdout).replaceAll('\r', '')),
    stderr: String(r.stderr).replaceAll('\r', ''),
    ms: performance.now() - t0,
    timedOut: !!r.timedOut,
    steps: next,
  }
}
