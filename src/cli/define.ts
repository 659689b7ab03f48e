// One definition per command: what it is (summary, description, examples), what
// it takes (flags and arguments, in oclif's own flag and argument types) and what
// it does (run: the parsed input and a small context → output and exit status).
// The fast path (src/cli/run.ts) parses with oclif's public parser and calls run;
// the oclif Command classes made from these (src/cli/adapter.ts) only answer
// help, --version and discovery, and call the same run.
import * as Flags from '@oclif/core/flags'
import type {ArgInput, FlagInput, InferredArgs, InferredFlags} from '@oclif/core/interfaces'
import type {Command} from '@oclif/core/command'
import type {Ctx} from '../core/context.js'

/** The flags every command takes (help shows them under GLOBAL). */
export const globalFlags = {
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

/** What a command's run gets besides its parsed input: output, questions, the store context. */
export interface RunContext {
  /** JSON output (--json, or a listing's -o json, which sets it). */
  json: boolean
  /** The command's own arguments as typed (after its words). */
  readonly argv: readonly string[]
  /** The store context of --state and --wait. */
  ctx(flags: {state: string; wait: string}): Ctx
  /** Print the result: JSON under json, else the human rendering. */
  emit(result: unknown, human: () => string | undefined): Promise<void>
  /** A line about work in progress: stderr, on a terminal only, never under json. */
  tell(line: string): void
  /** Ask before a destructive change (--yes skips; without a terminal it refuses). */
  confirm(summary: string, yes: boolean | undefined): Promise<void>
  /** Compute what a confirmation will show ("computing the plan…" on a terminal meanwhile). */
  plan<T>(fn: () => Promise<T>): Promise<T>
  /** Set the exit status without throwing (e.g. MORE_RECOVERY prints a result and exits 3); EXIT.OK leaves it as it is. */
  setExit(code: number): void
}

export interface Input<F extends FlagInput, A extends ArgInput> {
  flags: InferredFlags<typeof globalFlags & F>
  args: InferredArgs<A>
  /** Every argument, in order (the variadic commands: recover, fs write). */
  argv: unknown[]
}

export interface CommandDefinition<F extends FlagInput = FlagInput, A extends ArgInput = ArgInput> {
  summary: string
  description?: string
  examples?: Command.Example[]
  flags?: F
  args?: A
  /** false: more arguments than declared are allowed (they arrive in input.argv). */
  strict?: boolean
  run(input: Input<F, A>, cx: RunContext): Promise<void>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDefinition = CommandDefinition<any, any>

/** A command's definition (typed: run's flags and args follow the declared ones). */
export function defineCommand<F extends FlagInput = Record<never, never>, A extends ArgInput = Record<never, never>>(def: CommandDefinition<F, A>): CommandDefinition<F, A> {
  return def
}
