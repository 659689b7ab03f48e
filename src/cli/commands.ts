// The command table: command id (its words, space-separated) → its definition in
// commands/, loaded only when that command runs. The bundle registers the table
// scripts/bundle.mjs generates from commands/; from the sources (tests, bin/dev.mjs)
// it is read from the commands/ directory.
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {AnyDefinition} from './define.js'

export type CommandTable = Record<string, () => Promise<{default: AnyDefinition}>>

let table: CommandTable | undefined
let isBundle = false

/** The bundle's table (its entry calls this first). */
export function registerCommands(t: CommandTable): void {
  table = t
  isBundle = true
}

/** Whether this code runs from the bundle (dist/), not from the TypeScript sources. */
export function fromBundle(): boolean {
  return isBundle
}

function sourceTable(): CommandTable {
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'commands')
  const t: CommandTable = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ts')) t[relative(dir, p).replace(/\.ts$/, '').split(/[\\/]/).join(' ')] = () => import(pathToFileURL(p).href)
    }
  }
  walk(dir)
  return t
}

/** Every command id, sorted. */
export function commandIds(): string[] {
  table ??= sourceTable()
  return Object.keys(table).sort()
}

/** The definition of command `id`. */
export async function loadCommand(id: string): Promise<AnyDefinition> {
  table ??= sourceTable()
  const load = table[id]
  if (!load) throw new Error(`no command '${id}'`)
  return (await load()).default
}
