// The in-process resolver for tests: commands from their TypeScript sources (vitest), as the bundle's table maps them.
import {matchCommand} from '../../../src/cli/main.js'
import type {Resolver} from '../../../src/drill/inproc.js'
import {readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

const root = join(import.meta.dirname, '..', '..', '..')
const ids: string[] = []
const walk = (d: string) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) walk(p)
    else if (p.endsWith('.ts')) ids.push(relative(join(root, 'commands'), p).replace(/\.ts$/, '').split('/').join(' '))
  }
}
walk(join(root, 'commands'))

export const sourceResolver: Resolver = async (argv) => {
  const hit = matchCommand(argv, ids)
  if (!hit || argv.some((a) => ['--help', '-h', '--version', '-v'].includes(a))) return undefined
  const mod = (await import(join(root, 'commands', ...hit.id.split(' ')) + '.ts')) as {default: never}
  return {Cmd: mod.default, id: hit.id, rest: hit.rest}
}
