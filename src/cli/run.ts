// Running one command: parse its arguments with oclif's public parser, give its
// run the context it prints and asks through, and turn any error into the spec's
// exit code and a one-line message (or {error} JSON). The fast path calls this
// directly; the oclif Command adapters (help, --version) call it too, so a command
// answers the same bytes either way.
import {parse} from '@oclif/core/parser'
import * as Errors from '@oclif/core/errors'
import {resolve} from 'node:path'
import {statSync} from 'node:fs'
import {DlmError, EXIT} from '../errors.js'
import {systemClock} from '../core/clock.js'
import type {Ctx} from '../core/context.js'
import {parseDuration} from '../util/duration.js'
import {renderHuman} from '../render/table.js'
import {escapeControl} from '../render/escape.js'
import {busyWatch} from '../store/filelock.js'
import {switchWithValue, usageMessage, type CommandShape} from './usage.js'
import {writeHuman} from '../render/pager.js'
import {storeIoError, takeNotices} from '../store/envfail.js'
import {isEtcdState, parseEtcdUrl} from '../store/etcd/url.js'
import {writeJson} from '../render/json-stream.js'
import {globalFlags, type AnyDefinition, type RunContext} from './define.js'

/** This command's flags and arguments, for usage messages. */
export function shapeOf(def: AnyDefinition, id: string): CommandShape {
  return {id, flags: {...globalFlags, ...(def.flags ?? {})} as CommandShape['flags'], args: (def.args ?? {}) as CommandShape['args']}
}

/**
 * Run command `id` (space-separated words) on its own arguments `argv`. Never
 * throws: an error is printed and sets process.exitCode.
 */
export async function runCommand(def: AnyDefinition, id: string, argv: string[]): Promise<void> {
  const shape = shapeOf(def, id)
  const cx = context(argv)
  try {
    // No silent wait: say what a busy scope's wait is for (terminal only).
    // (A recover's own parallel domains may wait on each other: not worth a line.)
    busyWatch.onWait = (_scope, holder, text) => {
      if (holder?.pid !== process.pid) cx.tell(`waiting: ${text}…`)
    }
    const bad = switchWithValue(argv, shape)
    if (bad) throw new DlmError('USAGE', bad)
    const input = await parse(argv, {flags: shape.flags as never, args: def.args ?? {}, strict: def.strict !== false})
    await def.run(input as never, cx)
  } catch (e) {
    reportError(e as Error, shape, cx.json)
  }
}

function context(argv: string[]): RunContext {
  const cx: RunContext = {
    // Known before parsing, so that even a flag error answers in JSON.
    json: argv.includes('--json'),
    argv,
    ctx: storeContext,
    async emit(result, human) {
      for (const n of takeNotices()) process.stderr.write(`dlmctl: ${n}\n`)
      if (cx.json) {
        // Piecewise for long lists (a death's orphaned ids): the same bytes, never one huge string.
        await writeJson(process.stdout, result)
        return
      }
      const text = await renderHuman(human)
      if (text !== undefined && text !== '') await writeHuman(text)
    },
    tell(line) {
      if (!cx.json && process.stderr.isTTY) process.stderr.write(line + '\n')
    },
    async confirm(summary, yes) {
      if (yes) return
      if (!process.stdin.isTTY || !process.stderr.isTTY) {
        throw new DlmError('CONFIRMATION_REQUIRED', `${summary.split('\n')[0]} — refusing without --yes (no terminal to ask on)`)
      }
      const {askYesNo} = await import('./prompt.js')
      if (!(await askYesNo(`${summary}\nProceed?`))) throw new DlmError('DECLINED', 'not confirmed; nothing changed')
    },
    async plan(fn) {
      const {computing} = await import('./prompt.js')
      return computing(!cx.json, fn)
    },
    setExit(code) {
      if (code !== EXIT.OK) process.exitCode = code
    },
  }
  return cx
}

function storeContext(flags: {state: string; wait: string}): Ctx {
  // An etcd URL is checked here (a bad one is a usage error before anything runs) and kept as given.
  if (isEtcdState(flags.state)) parseEtcdUrl(flags.state)
  if (isEtcdState(flags.state)) return {root: flags.state, waitMs: parseDuration(flags.wait, '--wait'), clock: systemClock()}
  const root = resolve(flags.state)
  // A file given as the state directory: say so (not "no state directory").
  const st = statSync(root, {throwIfNoEntry: false})
  if (st && !st.isDirectory()) {
    throw new DlmError('NO_STATE', `--state ${flags.state} is a file, not a state directory (give the directory dlmctl init created, or set DLMCTL_STATE)`)
  }
  return {root, waitMs: parseDuration(flags.wait, '--wait'), clock: systemClock()}
}

/** Any error of a command → the spec's exit code, and one line on stderr (or {error} JSON on stdout). */
export function reportError(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}, shape: CommandShape, json: boolean): void {
  let code: string
  let exit: number
  let message: string
  let detail: Record<string, unknown> | undefined
  for (const n of takeNotices()) process.stderr.write(`dlmctl: ${n}\n`)
  err = storeIoError(err) ?? err // an environment error that escaped the store's own naming
  if (err instanceof DlmError) {
    ;({code, exitCode: exit, message, detail} = err)
    // A refusal, a busy directory, fencing: say which, in words a script can grep.
    if (!json && [EXIT.REFUSED, EXIT.BUSY, EXIT.FENCE].includes(exit as 5 | 6 | 7)) message = `${code}: ${message}`
  } else if (err instanceof Errors.CLIError || err.oclif?.exit === 2 || /Parse|Flag|Arg/.test(err.name ?? '')) {
    code = 'USAGE'
    exit = EXIT.USAGE
    const house = usageMessage(stripAnsi(err.message), shape)
    // Else: oclif's parse errors span lines; the first one says what is wrong.
    message = house ?? stripAnsi(err.message).replace(/The following errors? occurred:?/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^See more help with/.test(l))
      .slice(0, 2)
      .join(' ')
    if (!house && !json) message += ` (see: dlmctl ${shape.id} --help)`
  } else {
    code = 'INTERNAL'
    exit = EXIT.INTERNAL
    message = `internal error: ${err.message}`
    if (process.env.DLMCTL_DEBUG) process.stderr.write(`${err.stack}\n`)
  }
  if (json) {
    process.stdout.write(JSON.stringify({error: {code, message, ...(detail ?? {})}}, null, 2) + '\n')
  } else {
    const shown = err instanceof DlmError && err.multiline ? message.split('\n').map(escapeControl).join('\n') : escapeControl(message)
    process.stderr.write(`dlmctl: ${shown}\n`)
  }
  process.exitCode = exit
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '')
}
