// The start-up floor's program (bench/lib/floor.ts): oclif's flags and parser, nothing of
// dlmctl's. scripts/bundle.mjs bundles it as it bundles dlmctl (dist/bench/oclif-floor.cjs).
import * as Flags from '@oclif/core/flags'
import {parse} from '@oclif/core/parser'

export async function main(): Promise<void> {
  const {flags} = await parse(process.argv.slice(2), {flags: {state: Flags.string({default: '.'}), json: Flags.boolean()}})
  process.stdout.write(JSON.stringify(flags) + '\n')
}
