// The entry point bin/run.js loads. Start-up is a budget (SPEC §5: 2× `node -e 0`),
// and oclif's Config.load (plugins, manifests, themes, hooks) spends most of it. So a
// known command with no help or version flag runs directly: its class is looked up
// in the command table written at build time (from oclif's manifest) and run with
// a small config that has what Command uses when running. Everything else — help,
// --version, topics, unknown commands — goes through oclif's own execute().
// Written by scripts/bundle.mjs: command id → module path (relative to bin/run.js), and the version.
declare const __DLMCTL_COMMANDS__: Record<string, string>
declare const __DLMCTL_VERSION__: string


/** Longest run of leading words that names a command (topics are space-separated). */
export function matchCommand(argv: string[], ids: string[]): {id: string; rest: string[]} | undefined {
  for (let n = Math.min(argv.length, 3); n >= 1; n--) {
    const id = argv.slice(0, n).join(' ')
    if (ids.includes(id)) return {id, rest: argv.slice(n)}
  }
  return undefined
}

/** The command the fast path runs for `argv`, or undefined (help, version, topics, unknown: oclif's execute). */
export function fastPath(argv: string[]): {id: string; rest: string[]; module: string} | undefined {
  const table = __DLMCTL_COMMANDS__
  const wantsHelp = argv[0] === 'help' || argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-v')
  const hit = wantsHelp ? undefined : matchCommand(argv, Object.keys(table))
  return hit && {...hit, module: table[hit.id]}
}

export const dlmctlVersion = (): string => (typeof __DLMCTL_VERSION__ === 'undefined' ? 'dev' : __DLMCTL_VERSION__)

export async function main(binUrl: string): Promise<void> {
  const argv = process.argv.slice(2)
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
