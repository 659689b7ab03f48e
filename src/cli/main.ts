// The command line: global flags moved after the command's words, the Tab
// completion answered at once, unknown commands refused with a suggestion, then a
// known command with no help or version flag runs directly (runCommand: oclif's
// public parser, then the command's run). Everything else — help, --version,
// topics — goes through oclif's own execute(), whose Command classes call the same
// runCommand (src/cli/adapter.ts). bin/run.js loads this from the bundle
// (dist/dlmctl.cjs, through src/cli/boot.ts); bin/dev.mjs from the sources.
declare const __DLMCTL_VERSION__: string
import {unknownCommand, unknownMessage} from './suggest.js'
import {escapeControl} from '../render/escape.js'
import {commandIds, fromBundle, loadCommand} from './commands.js'
import {runCommand} from './run.js'
import {EXIT} from '../errors.js'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'


/** Longest run of leading words that names a command (topics are space-separated). */
export function matchCommand(argv: string[], ids: string[]): {id: string; rest: string[]} | undefined {
  for (let n = Math.min(argv.length, 3); n >= 1; n--) {
    const id = argv.slice(0, n).join(' ')
    if (ids.includes(id)) return {id, rest: argv.slice(n)}
  }
  return undefined
}

/**
 * Global flags written before the command (`dlmctl --state c1 status`) are moved
 * after its words, where oclif reads them.
 */
export function hoistGlobalFlags(argv: string[]): {argv: string[]; hoisted: string[]} {
  const hoisted: string[] = []
  let i = 0
  for (; i < argv.length; ) {
    const a = argv[i]
    if ((a === '--state' || a === '--wait') && i + 1 < argv.length) {
      hoisted.push(a, argv[i + 1])
      i += 2
    } else if (a === '--json' || a.startsWith('--state=') || a.startsWith('--wait=')) {
      hoisted.push(a)
      i++
    } else break
  }
  return {argv: argv.slice(i), hoisted}
}

/**
 * The command the fast path runs for `argv` (global flags already after the
 * command's words), or undefined (help, version, topics, unknown: oclif's execute).
 */
export function fastPath(argv: string[]): {id: string; rest: string[]} | undefined {
  const wantsHelp = argv[0] === 'help' || argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-v')
  return wantsHelp ? undefined : matchCommand(argv, commandIds())
}

export const dlmctlVersion = (): string => (typeof __DLMCTL_VERSION__ === 'undefined' ? 'dev' : __DLMCTL_VERSION__)

/**
 * Run the command line of this process. `bin` is the path of the script node
 * runs (bin/run.js, bin/dev.mjs): oclif finds the package from it.
 */
export async function main(bin: string): Promise<void> {
  // A reader that went away (dlmctl export | head): stop quietly, as Unix tools do. Output is
  // written after a command's change is committed; what is left of it has nowhere to go.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`dlmctl: cannot write to standard output: ${e.code ?? e.message}\n`)
    process.exit(e.code === 'EPIPE' ? (process.exitCode ?? 0) : EXIT.INTERNAL)
  })
  const lifted = hoistGlobalFlags(process.argv.slice(2))
  let argv = lifted.argv
  // A Tab in the shell: answer without loading oclif (see src/cli/complete.ts).
  if (argv[0] === 'completion' && argv.includes('--complete') && (await (await import('./complete.js')).runComplete(process.argv.slice(2), bin))) return
  const ids = commandIds()
  const unknown = unknownCommand(argv[0] === 'help' ? argv.slice(1) : argv, ids)
  if (unknown) {
    // The same on both paths, help or not: a usage error (exit 2), JSON under --json.
    const message = unknownMessage(unknown)
    if (process.argv.includes('--json')) {
      process.stdout.write(JSON.stringify({error: {code: 'USAGE', message, command: unknown.typed, suggestion: unknown.suggestion ?? null}}, null, 2) + '\n')
    } else process.stderr.write(`dlmctl: ${escapeControl(message)}\n`)
    process.exitCode = 2
    return
  }
  const found = matchCommand(argv, ids)
  if (found && lifted.hoisted.length) argv = [...found.id.split(' '), ...lifted.hoisted, ...found.rest]
  else if (lifted.hoisted.length) argv = [...argv, ...lifted.hoisted]
  process.argv = [...process.argv.slice(0, 2), ...argv]
  // Testing aid (man dlmctl(1), ENVIRONMENT): every command through oclif's execute, to compare both paths.
  const hit = process.env.DLMCTL_TEST_OCLIF ? undefined : fastPath(argv)
  if (hit) return runCommand(await loadCommand(hit.id), hit.id, hit.rest)
  // require, not import(): the bundle runs through vm.Script, where import() is not available (src/cli/boot.ts).
  const {execute} = createRequire(import.meta.url)('@oclif/core/execute') as typeof import('@oclif/core/execute')
  // The package's root, where oclif reads package.json (bin/ has a package.json of its own).
  await execute({dir: join(dirname(bin), '..'), development: false, loadOptions: await oclifOptions(bin)})
}

/**
 * How oclif finds the commands: from the bundle, the package's own settings (the
 * adapters in dist/commands, through the manifest); from the sources, every
 * command's adapter from the command table.
 */
async function oclifOptions(bin: string) {
  if (fromBundle()) return undefined
  const {sourceOclifOptions} = await import('./adapter.js')
  return sourceOclifOptions(bin)
}
