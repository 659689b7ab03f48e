// The base of every dlmctl command: the global flags, one place that turns any
// error into the spec's exit code and a one-line message (or {error} JSON), and
// confirmation for destructive commands. Commands stay thin: parse, call the
// core, render.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import * as Errors from '@oclif/core/errors'
import type {Interfaces} from '@oclif/core'
import {resolve} from 'node:path'
import {DlmError, EXIT} from '../errors.js'
import {systemClock} from '../core/clock.js'
import type {Ctx} from '../core/context.js'
import {parseDuration} from '../util/duration.js'
import {loadTables} from '../render/table.js'
import {writeJson} from '../render/json-stream.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DlmCommand)['baseFlags'] & T['flags']>

export abstract class DlmCommand extends Command {
  static override baseFlags = {
    state: Flags.string({
      description: 'state directory of the cluster',
      env: 'DLMCTL_STATE',
      default: './dlm-cluster',
      helpGroup: 'GLOBAL',
    }),
    json: Flags.boolean({description: 'print the result as one JSON document on stdout', helpGroup: 'GLOBAL'}),
    wait: Flags.string({
      description: 'how long to wait for a busy state directory (e.g. 500ms, 10s)',
      default: '10s',
      helpGroup: 'GLOBAL',
    }),
  }

  /** Known before parsing, so that even a flag error answers in JSON. */
  protected jsonMode = false

  override async init(): Promise<void> {
    this.jsonMode = this.argv.includes('--json')
    await super.init()
  }

  protected ctx(flags: {state: string; wait: string}): Ctx {
    return {root: resolve(flags.state), waitMs: parseDuration(flags.wait, '--wait'), clock: systemClock()}
  }

  /** Print the result: JSON on --json, else the human rendering. */
  protected async emit(result: unknown, human: () => string | undefined): Promise<void> {
    if (this.jsonMode) {
      // Piecewise for long lists (a death's orphaned ids): the same bytes, never one huge string.
      await writeJson(process.stdout, result)
      return
    }
    await loadTables()
    const text = human()
    if (text !== undefined && text !== '') process.stdout.write(text.endsWith('\n') ? text : text + '\n')
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
    const {confirm} = await import('@inquirer/prompts')
    const ok = await confirm({message: `${summary}\nProceed?`, default: false}, {output: process.stderr})
    if (!ok) throw new DlmError('DECLINED', 'not confirmed; nothing changed')
  }

  override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<void> {
    let code: string
    let exit: number
    let message: string
    let detail: Record<string, unknown> | undefined
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
      // oclif's parse errors span lines; the first one says what is wrong.
      message = stripAnsi(err.message)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^See more help with/.test(l))
        .slice(0, 2)
        .join(' ')
      if (!this.jsonMode) message += ` (see: dlmctl ${this.id?.replaceAll(':', ' ') ?? ''} --help)`
    } else {
      code = 'INTERNAL'
      exit = EXIT.INTERNAL
      message = `internal error: ${err.message}`
      if (process.env.DLMCTL_DEBUG) process.stderr.write(`${err.stack}\n`)
    }
    if (this.jsonMode) {
      process.stdout.write(JSON.stringify({error: {code, message, ...(detail ?? {})}}, null, 2) + '\n')
    } else {
      process.stderr.write(`dlmctl: ${message}\n`)
    }
    process.exitCode = exit
  }
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '')
}
