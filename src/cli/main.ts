// The entry point bin/run.js loads. Start-up is a budget (SPEC §5: 2× `node -e 0`),
// and oclif's Config.load (plugins, manifests, themes, hooks) spends most of it. So a
// known command with no help or version flag runs directly: its class is looked up
// in the command table written at build time (from oclif's manifest) and run with
// a small config that has what Command uses when running. Everything else — help,
// --version, topics, unknown commands — goes through oclif's own execute().
// Written by scripts/bundle.mjs: command id → module path (relative to bin/run.js), and the version.
declare const __DLMCTL_COMMANDS__: Record<string, string>
declare const __DLMCTL_VERSION__: string
import {unknownCommand, unknownMessage} from './suggest.js'
import {escapeControl} from '../render/escape.js'


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
export function fastPath(argv: string[]): {id: string; rest: string[]; module: string} | undefined {
  const table = __DLMCTL_COMMANDS__
  const wantsHelp = argv[0] === 'help' || argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-v')
  const hit = wantsHelp ? undefined : matchCommand(argv, Object.keys(table))
  return hit && {...hit, module: table[hit.id]}
}

export const dlmctlVersion = (): string => (typeof __DLMCTL_VERSION__ === 'undefined' ? 'dev' : __DLMCTL_VERSION__)

export async function main(binUrl: string): Promise<void> {
  const lifted = hoistGlobalFlags(process.argv.slice(2))
  let argv = lifted.argv
  // A Tab in the shell: answer without loading oclif (see src/cli/complete.ts).
  if (argv[0] === 'completion' && argv.includes('--complete') && (await (await import('./complete.js')).runComplete(process.argv.slice(2), process.argv[1]))) return
  const table = __DLMCTL_COMMANDS__
  const ids = Object.keys(table)
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
  const hit = fastPath(argv)
  if (hit) {
    const mod = (await import(new URL(hit.module, binUrl).href)) as {default: {new (argv: string[], config: unknown): {_run(): Promise<unknown>}; id?: string}}
    const Cmd = mod.default
    Cmd.id = hit.id.replaceAll(' ', ':')
    await new Cmd(hit.rest, fastConfig(__DLMCTL_VERSION__))._run()
    return
  }
  // oclif is CommonJS: in the bundle its named exports may sit on `default`.
  const core = (await import('@oclif/core')) as typeof import('@oclif/core') & {default?: typeof import('@oclif/core')}
  await (core.execute ?? core.default!.execute)({dir: binUrl})
}

/** What oclif's Command reads from its config while running (not while showing help). */
export function fastConfig(version: string) {
  return {
    bin: 'dlmctl',
    name: 'dlmctl',
    version,
    topicSeparator: ' ',
    userAgent: `dlmctl/${version} ${process.platform}-${process.arch} node-${process.version}`,
    theme: undefined,
    pjson: {oclif: {}},
    commandIDs: [],
    runHook: async () => ({successes: [], failures: []}),
    scopedEnvVar: (k: string) => process.env[`DLMCTL_${k}`],
    scopedEnvVarKey: (k: string) => `DLMCTL_${k}`,
    scopedEnvVarKeys: (k: string) => [`DLMCTL_${k}`],
    findCommand: () => undefined,
  }
}
