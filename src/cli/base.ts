// The base of every dlmctl command: the global flags, one place that turns any
// error into the spec's exit code and a one-line message (or {error} JSON), and
// confirmation for destructive commands. Commands stay thin: parse, call the
// core, render.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import * as Errors from '@oclif/core/errors'
import type {Interfaces} from '@oclif/core'
import {resolve} from 'node:path'
import {statSync} from 'node:fs'
import {DlmError, EXIT} from '../errors.js'
import {systemClock} from '../core/clock.js'
import type {Ctx} from '../core/context.js'
import {parseDuration} from '../util/duration.js'
import {loadTables} from '../render/table.js'
import {escapeControl} from '../render/escape.js'
import {busyWatch} from '../store/filelock.js'
import {switchWithValue, usageMessage, type CommandShape} from './usage.js'
import {writeHuman} from '../render/pager.js'
import {storeIoError, takeNotices} from '../store/envfail.js'
import {isEtcdState, parseEtcdUrl} from '../store/etcd/url.js'
import {writeJson} from '../render/json-stream.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DlmCommand)['baseFlags'] & T['flags']>

export abstract class DlmCommand extends Command {
  static override baseFlags = {
    state: Flags.string({
      description: 'state directory of the cluster, or etcd://HOST:PORT[,HOST:PORT…]/PREFIX',
      env: 'DLMCTL_STATE',
      default: './dlm-cluster',
      helpGroup: 'GLOBAL',
    }),
    json: Flags.boolean({description: 'print the result as one JSON document on stdout', helpGroup: 'GLOBAL'}),
    wait: Flags.string({
      description: 'how long to wait for a busy state directory, or for etcd to answer and a lost race to be won (e.g. 500ms, 10s)',
      default: '10s',
      helpGroup: 'GLOBAL',
    }),
  }

  /** Known before parsing, so that even a flag error answers in JSON. */
  protected jsonMode = false

  override async init(): Promise<void> {
    this.jsonMode = this.argv.includes('--json')
    // No silent wait: say what a busy scope's wait is for (terminal only).
    // (A recover's own parallel domains may wait on each other: not worth a line.)
    busyWatch.onWait = (_scope, holder, text) => {
      if (holder?.pid !== process.pid) this.tell(`waiting: ${text}…`)
    }
    const bad = switchWithValue(this.argv, this.shape())
    if (bad) throw new DlmError('USAGE', bad)
    await super.init()
  }

  /** This command's flags and arguments, for usage messages. */
  private shape(): CommandShape {
    const ctor = this.constructor as typeof DlmCommand
    return {
      id: (this.id ?? ctor.id ?? '').replaceAll(':', ' '),
      flags: {...DlmCommand.baseFlags, ...(ctor.flags ?? {})} as CommandShape['flags'],
      args: (ctor.args ?? {}) as CommandShape['args'],
    }
  }

  protected ctx(flags: {state: string; wait: string}): Ctx {
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

  /** Print the result: JSON on --json, else the human rendering. */
  protected async emit(result: unknown, human: () => string | undefined): Promise<void> {
    for (const n of takeNotices()) process.stderr.write(`dlmctl: ${n}\n`)
    if (this.jsonMode) {
      // Piecewise for long lists (a death's orphaned ids): the same bytes, never one huge string.
      await writeJson(process.stdout, result)
      return
    }
    await loadTables()
    const text = human()
    if (text !== undefined && text !== '') await writeHuman(text)
  }

  /** A line about work in progress: stderr, on a terminal only, never with --json. */
  protected tell(line: string): void {
    if (!this.jsonMode && process.stderr.isTTY) process.stderr.write(line + '\n')
  }

  /** Set the exit status without throwing (e.g. MORE_RECOVERY prints a result and exits 3). */
  protected setExit(code: number): void {
    process.exitCode = code
  }

  /**
   * Ask before a destructive change. `--yes` skips; without a terminal and without
   * --yes it refuses at once (never hangs). A "no" changes nothing.
   */
  protected async confirm(summary: string, yes: boolean | undefined): Promise<void> {
    if (yes) return
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new DlmError('CONFIRMATION_REQUIRED', `${summary.split('\n')[0]} — refusing without --yes (no terminal to ask on)`)
    }
    const {askYesNo} = await import('./prompt.js')
    if (!(await askYesNo(`${summary}\nProceed?`))) throw new DlmError('DECLINED', 'not confirmed; nothing changed')
  }

  /** Compute what a confirmation will show: "computing the plan…" on a terminal meanwhile. */
  protected async plan<T>(fn: () => Promise<T>): Promise<T> {
    const {computing} = await import('./prompt.js')
    return computing(!this.jsonMode, fn)
  }

  override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<void> {
    let code: string
    let exit: number
    let message: string
    let detail: Record<string, unknown> | undefined
    for (const n of takeNotices()) process.stderr.write(`dlmctl: ${n}\n`)
    err = storeIoError(err) ?? err // an environment error that escaped the store's own naming
    if (err instanceof DlmError) {
      ;({code, exitCode: exit, message, detail} = err)
      // A refusal, a busy directory, fencing: say which, in words a script can grep.
      if (!this.jsonMode && [EXIT.REFUSED, EXIT.BUSY, EXIT.FENCE].includes(exit as 5 | 6 | 7)) message = `${code}: ${message}`
    } else if (err instanceof Errors.ExitError) {
      throw err
    } else if (err.code === 'EEXIT') {
      throw err
    } else if (err instanceof Errors.CLIError || err.oclif?.exit === 2 || /Parse|Flag|Arg/.test(err.name ?? '')) {
      code = 'USAGE'
      exit = EXIT.USAGE
      const house = usageMessage(stripAnsi(err.message), this.shape())
      // Else: oclif's parse errors span lines; the first one says what is wrong.
      message = house ?? stripAnsi(err.message).replace(/The following errors? occurred:?/g, '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^See more help with/.test(l))
        .slice(0, 2)
        .join(' ')
      if (!house && !this.jsonMode) message += ` (see: dlmctl ${this.id?.replaceAll(':', ' ') ?? ''} --help)`
    } else {
      code = 'INTERNAL'
      exit = EXIT.INTERNAL
      message = `internal error: ${err.message}`
      if (process.env.DLMCTL_DEBUG) process.stderr.write(`${err.stack}\n`)
    }
    if (this.jsonMode) {
      process.stdout.write(JSON.stringify({error: {code, message, ...(detail ?? {})}}, null, 2) + '\n')
    } else {
      const shown = err instanceof DlmError && err.multiline ? message.split('\n').map(escapeControl).join('\n') : escapeControl(message)
      process.stderr.write(`dlmctl: ${shown}\n`)
    }
    process.exitCode = exit
  }
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '')
}
