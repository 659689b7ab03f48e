// The oclif Command class of a definition: what oclif's help, --version, topics
// and manifest read (summary, flags, args, examples), and a run that hands the
// command's arguments to the same runCommand as the fast path.
import {Command} from '@oclif/core/command'
import type {PJSON} from '@oclif/core/interfaces'
import {globalFlags, type AnyDefinition} from './define.js'
import {runCommand} from './run.js'
import {loadCommand} from './commands.js'
import {readFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

/** An oclif Command class for command `id` (space-separated words). */
export function oclifCommand(def: AnyDefinition, id: string): typeof Command {
  return class extends Command {
    static override summary = def.summary
    static override description = def.description
    static override examples = def.examples ?? []
    static override baseFlags = globalFlags
    static override flags = def.flags ?? {}
    static override args = def.args ?? {}
    static override strict = def.strict !== false

    async run(): Promise<void> {
      this.parsed = true // runCommand parses, with the same parser
      await runCommand(def, id, this.argv)
    }
  }
}

/** The adapter of command `id` (the bundle's dist/commands/*.js files export these). */
export async function adapterOf(id: string): Promise<typeof Command> {
  return oclifCommand(await loadCommand(id), id)
}

/**
 * oclif's load options when running from the sources (bin/dev.mjs): the package's
 * settings, but the commands are every adapter of the command table
 * (src/cli/source-commands.ts), not the bundle's dist/commands.
 */
export function sourceOclifOptions(bin: string): {root: string; pjson: PJSON} {
  const root = join(dirname(bin), '..')
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PJSON
  const target = relative(root, fileURLToPath(new URL('./source-commands.ts', import.meta.url)))
  pjson.oclif = {...pjson.oclif, commands: {strategy: 'explicit', target: `./${target}`, identifier: 'default'}}
  return {root, pjson}
}
